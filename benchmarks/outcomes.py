"""Benchmark of the compute stage: 1,000 partners over 5 financial years (synthetic clean tables).

Run: `.venv/bin/python benchmarks/outcomes.py [--partners 1000] [--years 5] [--repeat 3]`.
Prints the size of the input and the best wall-clock and CPU time of `compute_outcomes` over the
repeats (CPU time is the steadier figure on a shared machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pipeline.core.framework import load_framework
from pipeline.core.periods import label
from pipeline.core.status import Thresholds
from pipeline.outcomes.spend import load_local_districts
from pipeline.outcomes.stage import compute_outcomes


def synthetic(partners: int, years: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Clean tables like the validate stage writes: 1-3 contracts a partner, 3-6 measures a
    contract, a return for most contract x measure x year (about 8% missing), spend with a
    supplier register."""
    rng = np.random.default_rng(seed)
    fw = load_framework("data/reference/framework.yaml")
    ids = np.array([m.id for m in fw.measures if m.level == "partner"])
    periods = [label(2025 - years + 1 + i) for i in range(years)]
    partner_ids = [f"P{i:04d}" for i in range(partners)]
    contract_rows, return_parts = [], []
    for pid in partner_ids:
        for k in range(rng.integers(1, 4)):
            cid = f"{pid}-C{k}"
            chosen = rng.choice(ids, size=rng.integers(3, 7), replace=False)
            contract_rows.append(
                {
                    "contract_id": cid,
                    "partner_id": pid,
                    "title": f"Contract {cid}",
                    "start": pd.Timestamp(2018, 4, 1),
                    "end": pd.Timestamp(2030, 3, 31),
                    "value_gbp": float(rng.integers(10_000, 5_000_000)),
                    "outcome_measures": ";".join(chosen),
                    "linked_to_subject_matter": True,
                }
            )
            grid = pd.MultiIndex.from_product([chosen, periods], names=["measure_id", "period"])
            return_parts.append(grid.to_frame(index=False).assign(partner_id=pid, contract_id=cid))
    returns = pd.concat(return_parts, ignore_index=True)
    returns = returns[rng.random(len(returns)) > 0.08].reset_index(drop=True)
    n = len(returns)
    value = rng.gamma(2.0, 50.0, n).round(1)
    returns = returns.assign(
        value=value,
        target=np.where(rng.random(n) < 0.7, (value * rng.uniform(0.7, 1.3, n)).round(1), np.nan),
        denominator=np.where(rng.random(n) < 0.8, rng.integers(10, 500, n).astype(float), np.nan),
        evidence=None,
        comment=None,
        verified=pd.array([True] * n, dtype="boolean"),
        submitted_on=pd.Timestamp(2025, 5, 1),
        source_file="returns.csv",
        source_row=np.arange(n) + 2,
    )
    partner_frame = pd.DataFrame(
        {
            "partner_id": partner_ids,
            "name": partner_ids,
            "type": "private",
            "postcode": "RM17 6SL",
            "sme": pd.array([True] * partners, dtype="boolean"),
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier_id": [f"S{i}" for i in range(2000)],
            "name": [f"Supplier {i} Ltd" for i in range(2000)],
            "postcode": rng.choice(["RM17 6SL", "SS17 0AA", "E1 6AN", "CM1 1AA", None], 2000),
            "type": rng.choice(["private", "vcfs", "public", None], 2000),
            "sme": pd.array(rng.choice([True, False, None], 2000), dtype="boolean"),
        }
    )
    m = 20 * partners
    spend = pd.DataFrame(
        {
            "body": "Thurrock Council",
            "date": pd.Timestamp(2025 - years + 1, 4, 1)
            + pd.to_timedelta(rng.integers(0, 365 * years, m), unit="D"),
            "transaction_number": [f"T{i}" for i in range(m)],
            "amount": rng.gamma(2.0, 2000.0, m).round(2),
            "supplier_name": [f"Supplier {i} Limited" for i in rng.integers(0, 2200, m)],
            "supplier_id": np.where(
                rng.random(m) < 0.7, [f"S{i}" for i in rng.integers(0, 2200, m)], None
            ),
            "expense_area": None,
            "expense_type": None,
        }
    )
    return {
        "returns": returns,
        "partners": partner_frame,
        "contracts": pd.DataFrame(contract_rows),
        "spend": spend,
        "suppliers": suppliers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fw = load_framework("data/reference/framework.yaml")
    districts = load_local_districts("data/reference/local_postcode_districts.csv")
    tables = synthetic(args.partners, args.years)
    print(
        f"input: {args.partners} partners, {len(tables['contracts'])} contracts, "
        f"{len(tables['returns'])} returns over {args.years} years, {len(tables['spend'])} payments"
    )
    best = cpu = float("inf")
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = compute_outcomes(
            tables["returns"],
            tables["partners"],
            tables["contracts"],
            fw,
            Thresholds(),
            spend=tables["spend"],
            suppliers=tables["suppliers"],
            local_districts=districts,
        )
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    print(f"output: {len(out.measures)} measure rows, {len(out.theme_status)} theme-status rows")
    print(f"compute_outcomes: best of {args.repeat}: {best:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
