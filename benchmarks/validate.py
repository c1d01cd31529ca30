"""Benchmark: validate 100,000 return rows (plus registers) and print how long it takes.

    .venv/bin/python benchmarks/validate.py [--rows 100000] [--files 50] [--profile]

Builds a synthetic cycle in a temporary workspace: 400 partners with five contracts each,
returns spread over `--files` CSV files, about 1 % of rows carrying a fault (text in a number,
a percentage over 100, an unknown contract, a duplicate). Times `validate_cycle` (reading,
checking with GX, duplicates and superseded) and `write_outputs` (parquet, Data Docs, summary,
feedback) separately. The Great Expectations import (about 3 s) is timed on its own.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.contract import spec  # noqa: E402
from pipeline.core.framework import load_framework  # noqa: E402

HEADER = list(spec("returns").names)


def build_cycle(workspace: Path, rows: int, files: int, seed: int = 1) -> None:
    """Write framework, suites and a raw cycle `bench` with `rows` return rows."""
    rng = random.Random(seed)
    (workspace / "data" / "reference").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "reference" / "framework.yaml", workspace / "data" / "reference")
    shutil.copytree(ROOT / "expectations", workspace / "expectations")
    raw = workspace / "data" / "raw" / "bench"
    (raw / "returns").mkdir(parents=True)
    fw = load_framework(ROOT / "data" / "reference" / "framework.yaml")
    measures = [m for m in fw.measures if m.level == "partner"]
    n_partners, n_contracts, per_contract = 400, 5, 5
    contracts = n_partners * n_contracts
    years = max(1, -(-rows // (contracts * per_contract)))
    periods = [f"{y}/{(y + 1) % 100:02d}" for y in range(2025 - years + 1, 2026)]
    with open(raw / "partners.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["partner_id", "name", "type", "postcode", "sme"])
        for p in range(n_partners):
            w.writerow(
                [
                    f"P{p:05d}",
                    f"Partner {p}",
                    rng.choice(["private", "vcfs", "public"]),
                    "RM17 6SL",
                    rng.choice(["yes", "no"]),
                ]
            )
    committed: dict[int, list] = {}
    with open(raw / "contracts.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(spec("contracts").names)
        for c in range(contracts):
            committed[c] = rng.sample(measures, per_contract)
            w.writerow(
                [
                    f"C{c:05d}",
                    f"P{c % n_partners:05d}",
                    "Contract",
                    "2015-04-01",
                    "2030-03-31",
                    rng.randint(10_000, 5_000_000),
                    ";".join(m.id for m in committed[c]),
                    "yes",
                ]
            )
    out: list[list[str]] = []
    for period in periods:
        for c in range(contracts):
            for m in committed[c]:
                value = rng.uniform(0, 100) if m.unit == "percent" else rng.uniform(0, 5000)
                out.append(
                    [
                        f"P{c % n_partners:05d}",
                        f"C{c:05d}",
                        m.id,
                        period,
                        f"{value:.1f}",
                        "",
                        "",
                        "Payroll records",
                        "yes",
                        "",
                        f"{period[:4]}-0{rng.randint(4, 9)}-15",
                    ]
                )
                if len(out) == rows:
                    break
    for i in rng.sample(range(len(out)), len(out) // 100):
        fault = rng.choice(["text", "contract", "dup"])
        if fault == "text":
            out[i][4] = "twelve"
        elif fault == "contract":
            out[i][1] = "C99999"
        else:
            out[i] = list(out[i - 1])
    size = -(-len(out) // files)
    for f in range(files):
        with open(raw / "returns" / f"batch{f:03d}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADER)
            w.writerows(out[f * size : (f + 1) * size])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    import great_expectations  # noqa: F401

    print(f"import great_expectations: {time.perf_counter() - started:.1f} s")
    from pipeline.core.paths import CyclePaths
    from pipeline.validate.stage import validate_cycle, write_outputs

    with tempfile.TemporaryDirectory(prefix="svf-bench-validate-") as tmp:
        build_cycle(Path(tmp), args.rows, args.files)
        paths = CyclePaths.of("bench", tmp)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        result = validate_cycle(paths, today=dt.date(2026, 11, 25))
        t1 = time.perf_counter()
        write_outputs(paths, result)
        t2 = time.perf_counter()
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        totals = result.totals()
        returns_rows = sum(f.rows for f in result.files if f.kind == "returns")
        print(
            f"return rows: {returns_rows}, all rows: {totals['rows']} "
            f"(clean {totals['clean']}, quarantined {totals['quarantined']}, "
            f"superseded {totals['superseded']})"
        )
        print(f"validate_cycle: {t1 - t0:.1f} s")
        print(f"write_outputs (parquet, Data Docs, summary, feedback): {t2 - t1:.1f} s")
        print(f"total: {t2 - t0:.1f} s")


if __name__ == "__main__":
    main()
