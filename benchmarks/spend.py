"""Benchmark: a full year of a large council's spend (200,000 lines) through validate and compute.

    .venv/bin/python benchmarks/spend.py [--lines 200000] [--suppliers 6000]

Target (issue 10): under 30 s and under 1.5 GB of memory on the project machine. Builds a
sample cycle (12 partners, so compute has returns) in a temporary workspace and adds a generated
spend file in a published layout (Trafford-like: `Body` URI and `Body name`, `"1,100.00"`
amounts, day-first dates, an `Extended Description`, about a quarter of the lines repeating
another line of the file, 2 % redacted, one in a thousand garbled by the source) and a supplier
register holding two thirds of the suppliers. Times `validate_cycle` + `write_outputs` and
`compute_cycle` in this process and prints the peak resident memory of the process.

The generated files are written to a temporary folder and removed; nothing is committed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.paths import CyclePaths  # noqa: E402
from pipeline.sample.generator import generate_sample  # noqa: E402

HEADER = [
    "Body",
    "Body name",
    "Date",
    "Transaction number",
    "Invoice Number",
    "Amount",
    "Supplier Name",
    "Supplier ID",
    "VAT Registration Number",
    "Expense Area",
    "Expense Type",
    "Expense Code",
    "Extended Description",
]
AREAS = ("Adults", "Children", "Highways", "Housing", "Waste", "Schools", "Finance", "Leisure")
TYPES = ("Care", "Agency staff", "Repairs", "Grants", "Energy", "Fuel", "Consultancy", "IT")
DISTRICTS = ("RM15", "RM16", "RM17", "RM18", "RM19", "RM20", "SS17", "E1", "M1", "B1", "LS1")


def _amount(rng: random.Random) -> str:
    value = round(500 + rng.lognormvariate(7.0, 1.4), 2)
    if rng.random() < 0.03:
        value = -value  # credit notes
    return f"{value:,.2f}"


def build(raw: Path, lines: int, n_suppliers: int, seed: int = 10) -> float:
    """Write spend-2024-25.csv and suppliers.csv into `raw`; return the sum of sound amounts."""
    rng = random.Random(seed)
    suppliers = [
        (f"V{i:06d}", f"Supplier {i} {rng.choice(('Ltd', 'Limited', 'plc', 'CIC', 'Trust'))}")
        for i in range(n_suppliers)
    ]
    with open(raw / "suppliers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["supplier_id", "name", "postcode", "type", "sme"])
        for sid, name in suppliers[: n_suppliers * 2 // 3]:
            w.writerow(
                [
                    sid,
                    name,
                    f"{rng.choice(DISTRICTS)} {rng.randint(1, 9)}AA",
                    rng.choice(("private", "private", "vcfs", "public")),
                    rng.choice(("yes", "no")),
                ]
            )
    weights = [1.0 / (i + 1) for i in range(n_suppliers)]  # a few suppliers take most lines
    start = dt.date(2024, 4, 1)
    total = 0.0
    previous: list[str] | None = None
    with open(raw / "spend-2024-25.csv", "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        picks = rng.choices(range(n_suppliers), weights=weights, k=lines)
        for n, k in enumerate(picks):
            if previous is not None and rng.random() < 0.25:
                row = list(previous)  # the same line again: a split invoice, a repeat payment
            else:
                sid, name = suppliers[k]
                if rng.random() < 0.02:
                    sid, name = "REDACTED", "Redacted Personal Data"
                day = start + dt.timedelta(days=rng.randrange(365))
                row = [
                    "http://statistics.data.gov.uk/id/local-authority/00XX",
                    "Example Council",
                    day.strftime("%d/%m/%Y"),
                    str(1900000000 + n),
                    f"INV{n:07d}",
                    _amount(rng),
                    name,
                    sid,
                    "",
                    rng.choice(AREAS),
                    rng.choice(TYPES),
                    str(rng.randint(100000, 999999)),
                    rng.choice(("", "School A", "School B", "")),
                ]
            previous = row
            if rng.random() < 0.001:
                # The source ran the date and amount together: quarantined, not counted.
                garbled = row[:2] + [row[2] + row[5].replace(",", "")] + row[3:5] + row[6:]
                w.writerow(garbled)
                continue
            total += float(row[5].replace(",", ""))
            w.writerow(row)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--suppliers", type=int, default=6_000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import great_expectations  # noqa: F401 - timed apart: a fixed cost of every validate

    print(f"import great_expectations: {time.perf_counter() - t0:.1f} s")
    from pipeline.outcomes.stage import compute_cycle
    from pipeline.validate.stage import validate_cycle, write_outputs

    workspace = Path(tempfile.mkdtemp(prefix="svf-bench-spend-"))
    try:
        (workspace / "data" / "reference").mkdir(parents=True)
        for name in ("framework.yaml", "local_postcode_districts.csv"):
            shutil.copy(ROOT / "data" / "reference" / name, workspace / "data" / "reference")
        shutil.copytree(ROOT / "expectations", workspace / "expectations")
        paths = CyclePaths.of("bench", workspace)
        generate_sample(paths.raw, partners=12, years=2, seed=3, end_period="2024/25")
        t = time.perf_counter()
        expected = build(paths.raw, args.lines, args.suppliers)
        print(
            f"generated {args.lines:,} spend lines, {args.suppliers:,} suppliers "
            f"({(paths.raw / 'spend-2024-25.csv').stat().st_size / 2**20:.1f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
        t, cpu = time.perf_counter(), time.process_time()
        result = validate_cycle(paths)
        write_outputs(paths, result)
        t_validate = time.perf_counter() - t
        spend_file = next(f for f in result.files if f.file == "spend-2024-25.csv")
        if spend_file.file_error:
            # A refused file would make every figure below meaningless: say so and stop.
            sys.exit(f"the generated spend file was refused: {spend_file.file_error}")
        t = time.perf_counter()
        outcomes = compute_cycle(paths)
        t_compute = time.perf_counter() - t
        cpu = time.process_time() - cpu
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        year = outcomes.findings.spend.by_period["2024/25"]
        print(
            f"validate: {t_validate:.1f} s ({spend_file.clean:,} spend lines clean, "
            f"{spend_file.quarantined:,} quarantined)"
        )
        print(f"compute: {t_compute:.1f} s")
        print(
            f"validate + compute: {t_validate + t_compute:.1f} s wall (target < 30 s), "
            f"{cpu:.1f} s CPU of this process (what a quiet machine takes)"
        )
        print(f"peak memory (max RSS of this process): {peak_mb:,.0f} MB (target < 1,536 MB)")
        sample_spend = sum(
            float(v)
            for v in result.tables["spend"]
            .query("source_file == 'spend.csv' and date >= '2024-04-01'")["amount"]
            .tolist()
        )
        print(
            f"spend 2024/25 reported GBP {year['total_gbp']:,.2f}; generated sound lines "
            f"GBP {expected + sample_spend:,.2f}; match rate {year['matched_share']:.1f}%"
        )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
