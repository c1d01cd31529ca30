"""Benchmark: what checking a table against its schema costs when it is written.

    .venv/bin/python benchmarks/tables.py [--rows 1000000]

Builds a clean returns table of `--rows` rows (13 partners' worth of ids, every column of the
schema, a third of the optional cells empty), then times `RETURNS.check` (the pandera schema of
`pipeline.core.tables`, run by `RETURNS.write`) against the parquet write itself, and prints the
import time of pandera. Nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    import pandera.pandas  # noqa: F401

    imported = time.perf_counter() - t0
    import numpy as np
    import pandas as pd

    from pipeline.core.atomic import write_parquet
    from pipeline.core.tables import RETURNS

    n = args.rows
    rng = np.random.default_rng(1)
    some = rng.random(n) < 2 / 3
    frame = pd.DataFrame(
        {
            "source_file": pd.Series(["returns/P001.csv"] * n, dtype=object),
            "source_row": np.arange(2, n + 2, dtype="int64"),
            "partner_id": pd.Series(rng.choice([f"P{i:03d}" for i in range(13)], n), dtype=object),
            "contract_id": pd.Series(rng.choice([f"C{i:04d}" for i in range(40)], n), dtype=object),
            "measure_id": pd.Series(rng.choice(["CS1-02", "CS2-06", "CS3-01"], n), dtype=object),
            "period": pd.Series(rng.choice(["2023/24", "2024/25"], n), dtype=object),
            "value": rng.random(n) * 100,
            "target": np.where(some, 50.0, np.nan),
            "denominator": np.where(some, 10.0, np.nan),
            "evidence": pd.Series(np.where(some, "timesheets", None), dtype=object),
            "comment": pd.Series(np.where(some, "as planned", None), dtype=object),
            "verified": pd.array(np.where(some, True, None), dtype="boolean"),
            "submitted_on": pd.Series(pd.Timestamp("2025-05-01"), index=range(n)).astype(
                "datetime64[ns]"
            ),
        }
    )
    t0 = time.perf_counter()
    RETURNS.check(frame)
    checked = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_parquet(Path(tmp) / "returns.parquet", frame)
        written = time.perf_counter() - t0
    print(f"pandera import: {imported:.2f} s")
    print(f"RETURNS.check, {n:,} rows x {len(frame.columns)} columns: {checked:.2f} s")
    print(f"parquet write of the same table: {written:.2f} s")


if __name__ == "__main__":
    main()
