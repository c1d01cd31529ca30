"""Benchmark of `svf templates`: writing every partner's returns workbook and CSV.

Run: `.venv/bin/python benchmarks/templates.py [--partners 200] [--repeat 3]`.
Builds a sample cycle (`svf sample`) of that many partners over two years in a temporary
workspace, validates it (so last year's figures are filled in), then prints the number of
templates and rows and the best wall-clock and CPU time of `write_templates` over the repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.core.paths import CyclePaths
from pipeline.sample.generator import generate_sample
from pipeline.validate.return_templates import write_templates
from pipeline.validate.stage import validate_cycle, write_outputs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data" / "reference").mkdir(parents=True)
        shutil.copy(ROOT / "data" / "reference" / "framework.yaml", root / "data" / "reference")
        shutil.copytree(ROOT / "expectations", root / "expectations")
        shutil.copy(ROOT / "params.yaml", root / "params.yaml")
        paths = CyclePaths.of("2025-26", root)
        generate_sample(paths.raw, partners=args.partners, years=2, end_period="2025/26")
        write_outputs(paths, validate_cycle(paths, today=dt.date(2026, 11, 25)))
        best_wall = best_cpu = float("inf")
        written = []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            written = write_templates(paths)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        rows = sum(w.rows for w in written)
        size = sum(w.xlsx.stat().st_size for w in written)
        print(
            f"{len(written)} templates, {rows:,} rows, {size / 1e6:.1f} MB of workbooks: "
            f"best {best_wall:.2f} s wall, {best_cpu:.2f} s CPU "
            f"({1000 * best_cpu / max(len(written), 1):.0f} ms CPU a partner)"
        )


if __name__ == "__main__":
    main()
