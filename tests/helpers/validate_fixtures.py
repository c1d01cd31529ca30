"""A small cycle folder for the validate tests: registers, returns, framework and suites."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from pipeline.core.paths import CyclePaths
from pipeline.validate.stage import ValidationResult, validate_cycle

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 25)  # financial year 2026/27: 2027/28 is the first future one

RETURNS_HEADER = (
    "partner_id,contract_id,measure_id,period,value,target,denominator,evidence,verified,"
    "comment,submitted_on"
)
PARTNERS = (
    "partner_id,name,type,postcode,sme\n"
    "P001,Acme Care Ltd,private,RM17 6SL,yes\n"
    "P002,Grays Community Trust,vcfs,RM20 3AA,no\n"
)
# C001 (P001) committed to hours, a percentage and money; C002 (P002) to a count.
CONTRACTS = (
    "contract_id,partner_id,title,start,end,value_gbp,outcome_measures,linked_to_subject_matter\n"
    "C001,P001,Home care,2023-04-01,2027-03-31,100000,CS1-02;CS1-06;CS2-08,yes\n"
    'C002,P002,Youth work,01/04/2023,31/03/2027,"5,000",CS1-01,no\n'
)
GOOD_P001 = "P001,C001,CS1-02,2024/25,120,100,,Timesheets,yes,,2025-04-10"


def workspace(
    tmp_path: Path, files: dict[str, str | bytes], *, registers: bool = True, cycle: str = "t"
) -> CyclePaths:
    """A workspace under tmp_path with the project's framework and suites and `files` in
    `data/raw/<cycle>/` (the default registers unless `registers=False` or overridden)."""
    (tmp_path / "data" / "reference").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "reference" / "framework.yaml", tmp_path / "data" / "reference")
    if not (tmp_path / "expectations").exists():
        shutil.copytree(ROOT / "expectations", tmp_path / "expectations")
    raw = tmp_path / "data" / "raw" / cycle
    raw.mkdir(parents=True, exist_ok=True)
    all_files: dict[str, str | bytes] = (
        {"partners.csv": PARTNERS, "contracts.csv": CONTRACTS} if registers else {}
    )
    all_files.update(files)
    for name, content in all_files.items():
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return CyclePaths.of(cycle, tmp_path)


def returns_csv(*rows: str) -> str:
    return "\n".join([RETURNS_HEADER, *rows]) + "\n"


def run(paths: CyclePaths) -> ValidationResult:
    return validate_cycle(paths, today=TODAY)


#: The review-page cycle: a resubmission, a rejected value, markup in a cell and a file
#: without its value column (read by the reviewer's-page tests, in Python and in a browser).
REVIEW_FILES = {
    "returns/P001.csv": returns_csv(
        "P001,C001,CS1-02,2024/25,100,,,Timesheets,yes,,2025-04-10",
        "P001,C001,CS1-06,2024/25,40,,,Records,yes,,2025-04-10",
        "P001,C001,CS2-08,2024/25,<b>12</b>,,,Ledger,yes,,2025-04-10",
    ),
    "returns/P001-resubmission.csv": returns_csv(
        "P001,C001,CS1-02,2024/25,110,,,Timesheets,yes,revised,2025-06-01"
    ),
    "returns/P002.csv": returns_csv(
        "P002,C002,CS1-01,2024/25,7,,,Register,yes,,2025-04-10",
        "P002,C002,CS1-01,2023/24,seven,,,Register,yes,,2024-04-10",
    ),
    "returns/P002-late.csv": "partner_id,contract_id,measure_id,period\nP002,C002,CS1-01,2022/23\n",
}
