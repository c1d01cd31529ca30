"""Benchmark: how long `svf sample` takes, and how much it writes, at benchmark scale.

    .venv/bin/python benchmarks/sample.py [--partners 1000] [--years 5] [--messy/--clean]

Writes into a temporary folder (removed afterwards) and prints seconds, files, rows and faults.
Other benchmarks build their large cycles with the same generator, so this is its cost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.sample.generator import generate_sample  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--messy", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="svf-bench-sample-") as tmp:
        out = Path(tmp) / "cycle"
        start = time.perf_counter()
        manifest = generate_sample(
            out,
            partners=args.partners,
            years=args.years,
            seed=args.seed,
            end_period="2025/26",
            messy=args.messy,
        )
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    totals = manifest.totals()
    print(
        f"svf sample --partners {args.partners} --years {args.years}"
        f"{' --messy' if args.messy else ''}"
    )
    print(f"  {seconds:.2f} s, {len(manifest.files)} files, {size / 1e6:.1f} MB")
    print(
        f"  {totals['rows']:,} rows ({totals['good']:,} good, {totals['faults']:,} faults, "
        f"{totals['superseded']:,} superseded)"
    )
    print(f"  {totals['rows'] / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
