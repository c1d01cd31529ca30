"""Benchmark: memory and time the readers spend on hostile files (issue 12), one child process
per file so each peak resident size (ru_maxrss) is that file's alone.

    .venv/bin/python benchmarks/hostile.py

Files: the dimension bomb (a few KB declaring the whole grid, one cell in row 1,048,576), the
milder declared-grid bomb, a far cell with no dimension, a workbook inflating past 1 GB, a
workbook at the 2,000,000-cell limit (200,000 rows by 10 columns of inline strings, the
slowest layout) and one just over it, a CSV of 200,000 rows and a CSV just under the 20 MB
size limit, one with a 1 MB cell. Prints seconds, peak MB and the outcome of each.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from pipeline.core.errors import ContractError
from pipeline.core.readers import read_table
start, cpu = time.perf_counter(), time.process_time()
try:
    frame = read_table(sys.argv[1], "returns")
    outcome = f"read {len(frame):,} rows"
except ContractError as exc:
    outcome = "refused: " + str(exc)[:110]
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}))
"""


def _files(folder: Path) -> dict[str, Path]:
    from tests.helpers.hostile_files import (
        RETURNS_HEADER,
        declared_grid,
        dimension_bomb,
        far_cell,
        inflation_bomb,
        sheet_xml,
        workbook,
    )

    out: dict[str, bytes] = {
        "dimension bomb (XFD1048576)": dimension_bomb(),
        "declared 1,048,576 rows": declared_grid(),
        "far cell, no dimension": far_cell(),
        "inflates to 1.1 GB": inflation_bomb(),
    }
    header10 = [*RETURNS_HEADER, "target", "denominator", "evidence", "verified", "comment"]
    row10 = ["P001", "C001", "CS1-02", "2024/25", 12, 10, 40, "Timesheets", "yes", "Checked"]
    out["xlsx at the cell limit"] = workbook(
        [("Returns", "visible", sheet_xml([header10, *([row10] * 199_999)]))]
    )
    out["xlsx over the cell limit"] = workbook(
        [("Returns", "visible", sheet_xml([[*header10, "x"], *([[*row10, 1]] * 199_999)]))]
    )
    line = "P001,C001,CS1-02,2024/25,12,Timesheets checked by the site manager\n"
    header = ",".join(RETURNS_HEADER) + ",comment\n"
    out["csv 200,000 rows (legit)"] = (header + line * 200_000).encode()
    wide = "P001,C001,CS1-02,2024/25,12," + "x" * 400 + "\n"
    out["csv 19.9 MB, 47,000 rows"] = (header + wide * (19_900_000 // len(wide))).encode()
    out["csv with a 1 MB cell"] = (
        header + line + f'P001,C001,CS1-02,2024/25,1,"{"y" * 2**20}"\n'
    ).encode()
    paths = {}
    for i, (label, data) in enumerate(out.items()):
        suffix = ".csv" if label.startswith("csv") else ".xlsx"
        p = folder / f"P{i:03d}{suffix}"
        p.write_bytes(data)
        paths[label] = p
    return paths


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        print(json.dumps({k: str(v) for k, v in _files(Path(sys.argv[2])).items()}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Built in another process: Linux keeps a process's peak memory across exec, so
        # children of a parent that had built the files would all report its peak.
        built = subprocess.run(
            [sys.executable, __file__, "--build", tmp], capture_output=True, text=True, check=True
        )
        files = {k: Path(v) for k, v in json.loads(built.stdout).items()}
        print(f"{'file':<30} {'on disk':>12} {'seconds':>8} {'cpu s':>6} {'peak MB':>8}  outcome")
        for label, path in files.items():
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(ROOT)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            r = json.loads(out.stdout)
            size = path.stat().st_size
            print(
                f"{label:<30} {size:>12,} {r['seconds']:>8.2f} {r['cpu']:>6.2f} {r['peak_mb']:>8.0f}  "
                f"{r['outcome']}"
            )
            del start
    print(
        f"(benchmark process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
