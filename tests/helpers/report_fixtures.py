"""A small review cycle for the report tests, built by the REAL validate and compute stages.

The raw files below (registers, one returns file, council spend and suppliers) are written by
hand; `write_workspace` runs `validate_cycle` and `compute_cycle` on them exactly as `svf run`
does, so the reports are tested on what the stages really produce. The answers the tests expect
are worked out by hand in the comments here and in the tests.

Every partner has a "canary" name and a figure nobody else has, so a test can tell whether one
partner's report leaks into another's.

Worked out by hand (latest year 2025/26; previous 2024/25):

- P001 Canary Alpha Ltd, contract C-A1: apprenticeships CS2-06 4,321 of a 4,500 target (96%,
  on track); volunteering hours CS1-02 707 of 700 (101%), with a target of its own each year
  (600, 650, 700); business start-ups CS2-04 121 of 120. A new contract, C-A3, returned CS3-01
  (people employed from disadvantaged groups) = 12 in 2025/26, with no target: "no target", which
  neither earns nor blocks endorsement. Every judged measure on track: P001 is endorsed.
  Its first CS1-02 2025/26 return (650) was revised to 707 by a later submission (superseded).
- P002 Bluebird Beta CIC, contracts C-B1 and C-B2 (new in 2025/26): carbon CS5-01 on C-B1 is
  52, 45, 33 against 60 (87% at risk; 75% off track; 55% off track): off track two years running,
  so C-B1/CS5-01 is for enforcement. C-B2 adds 20 with no target in 2025/26. P002's CS5-01 total
  goes 45 -> 53 (+17.8%), but like for like (C-B1 alone) 45 -> 33 = -26.7%, and with no target
  on C-B2 the partner figure has no target: judged on the like-for-like fall, off track.
  P002 also reports CS2-03 (spend with local VCFS providers, a percentage): 40% then 45% of 50%.
- P003 (a hostile name): CS1-02 150, 185 then no return in 2025/26 (a return to chase, reported
  before); CS2-04 303, 313, 333. Overall status "no return".
- P004 Delta New Ltd: contract C-D1 starts 2025-04-01 and commits to CS2-04; it sent nothing.
  Its CS2-04 2025/26 is "no return" (a return to chase, never reported), not "no data".
- Borough 2025/26: CS2-06 4,321 + 8,765 = 13,086 (2024/25 12,602; 2 partners); CS2-04 121 + 222
  + 333 = 676 of 660 (2024/25 636, +6.3%, 3 partners, 3 contracts in both years); CS1-02 707
  (P001 only; 2024/25 640 + 185 = 825, so the total fell 14.3%, but like for like, C-A1 alone,
  640 -> 707 = +10.5%); CS5-01 53 (like for like -26.7%); CS2-03 (partner-reported) 45%.
- Council spend (council-level CS2-02 and CS2-03, from spend.csv + suppliers.csv):
    suppliers A RM17 local private SME, B CM1 (not local) VCFS not SME, D RM16 local VCFS SME,
    C not in the register (unclassified for every measure).
    2024/25: A 6,000, B 3,000, C 1,000 = 10,000: local 60.0%, SME 60.0%, VCFS 30.0%, local VCFS
    0.0%; unclassified 10.0% each; 3 suppliers paid; 90.0% of spend matched to the register.
    2025/26: A 9,000, B 4,000, D 5,000, C 2,000 = 20,000: local 70.0% (+10.0 pts), SME 70.0%
    (+10.0 pts), VCFS 45.0% (+15.0 pts), local VCFS 25.0% (+25.0 pts); unclassified 10.0% each.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

from pipeline.core.paths import CyclePaths
from pipeline.outcomes.stage import compute_cycle
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.helpers.shared import built_once

REPO = Path(__file__).resolve().parents[2]
PERIODS = ["2023/24", "2024/25", "2025/26"]
TODAY = dt.date(2026, 11, 25)

#: Partner id -> (name, type). P003's name is hostile markup: it must arrive as text.
PARTNERS = {
    "P001": ("Canary Alpha Ltd", "private"),
    "P002": ("Bluebird Beta CIC", "vcfs"),
    "P003": ('<script>alert("x")</script> #set page(width: 1cm) *Gamma* $x$ Trust', "public"),
    "P004": ("Delta New Ltd", "private"),
}

#: contract -> (partner, title, value_gbp, measures, start)
CONTRACTS = {
    "C-A1": ("P001", "Highways maintenance", 1_200_000, "CS2-06;CS1-02;CS2-04", "2023-04-01"),
    "C-A3": ("P001", "Job brokerage", 50_000, "CS3-01", "2025-04-01"),
    "C-B1": ("P002", "Community transport", 340_000, "CS2-06;CS5-01;CS2-04;CS2-03", "2023-04-01"),
    "C-B2": ("P002", "School runs", 60_000, "CS5-01", "2025-04-01"),
    "C-C1": ("P003", "Library services", 95_000, "CS1-02;CS2-04", "2023-04-01"),
    "C-D1": ("P004", "Street lighting", 80_000, "CS2-04", "2025-04-01"),
}

#: (contract, measure) -> values per period (None = no return) and targets per period.
RETURNS: dict[tuple[str, str], tuple[list[float | None], list[float | None]]] = {
    ("C-A1", "CS2-06"): ([3911, 4102, 4321], [4500, 4500, 4500]),  # P001 canary figure 4321
    ("C-A1", "CS1-02"): ([610, 640, 707], [600, 650, 700]),  # a target of its own each year
    ("C-A1", "CS2-04"): ([101, 111, 121], [120, 120, 120]),
    ("C-A3", "CS3-01"): ([None, None, 12], [None, None, None]),  # no target, first year
    ("C-B1", "CS2-06"): ([8001, 8500, 8765], [9000, 9000, 9000]),  # P002 canary figure 8765
    ("C-B1", "CS5-01"): ([52, 45, 33], [60, 60, 60]),
    ("C-B1", "CS2-04"): ([202, 212, 222], [220, 220, 220]),
    ("C-B1", "CS2-03"): ([None, 40, 45], [None, 50, 50]),
    ("C-B2", "CS5-01"): ([None, None, 20], [None, None, None]),
    ("C-C1", "CS1-02"): ([150, 185, None], [200, 200, 200]),  # no 2025/26 return
    ("C-C1", "CS2-04"): ([303, 313, 333], [320, 320, 320]),
}

#: The comment P001 typed on its latest apprenticeship return: markup in both languages.
HOSTILE_COMMENT = "<script>alert(1)</script> #set page(width: 2cm) <img src=x onerror=alert(2)>"

SUPPLIERS = [
    ("SUP-A", "Aveley Works Ltd", "RM17 6SL", "private", "yes"),
    ("SUP-B", "Chelmsford Care Trust", "CM1 1AA", "vcfs", "no"),
    ("SUP-D", "Tilbury Community Kitchen", "RM16 2AB", "vcfs", "yes"),
]
#: (date, amount, supplier id, supplier name)
SPEND = [
    ("15/06/2024", 6000, "SUP-A", "Aveley Works Ltd"),
    ("16/06/2024", 3000, "SUP-B", "Chelmsford Care Trust"),
    ("17/06/2024", 1000, "SUP-C", "Unregistered Catering"),
    ("15/06/2025", 9000, "SUP-A", "Aveley Works Ltd"),
    ("16/06/2025", 4000, "SUP-B", "Chelmsford Care Trust"),
    ("17/06/2025", 5000, "SUP-D", "Tilbury Community Kitchen"),
    ("18/06/2025", 2000, "SUP-C", "Unregistered Catering"),
]


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def returns_rows() -> list[list[object]]:
    """The returns file: one row per contract, measure and year with a value, plus two rows
    the validate stage rejects and one superseded submission."""
    header = [
        "partner_id",
        "contract_id",
        "measure_id",
        "period",
        "value",
        "target",
        "denominator",
        "evidence",
        "verified",
        "comment",
        "submitted_on",
    ]
    rows: list[list[object]] = [header]
    for (contract, mid), (values, targets) in RETURNS.items():
        partner = CONTRACTS[contract][0]
        for period, v, t in zip(PERIODS, values, targets, strict=True):
            if v is None:
                continue
            comment = ""
            if partner == "P001" and mid == "CS2-06" and period == PERIODS[-1]:
                comment = HOSTILE_COMMENT
            if partner == "P002" and period == PERIODS[-1]:
                comment = "Beta private remark 7373"
            when = f"{int(period[:4]) + 1}-04-20"
            if (contract, mid, period) == ("C-A1", "CS1-02", "2025/26"):
                # First sent as 650, then revised: the later submission wins.
                rows.append(
                    [partner, contract, mid, period, "650", _num(t), "", "Timesheets", "yes"]
                    + ["", f"{int(period[:4]) + 1}-04-01"]
                )
            rows.append(
                [partner, contract, mid, period, _num(v), _num(t), "", "Payroll records", "yes"]
                + [comment, when]
            )
    # Rejected: P001 typed words for a number; P002 named a measure the framework lacks.
    rows.append(
        ["P001", "C-A1", "CS2-06", "2024/25", "lots (Alpha secret 5150)", "", "", "", "", "", ""]
    )
    rows.append(["P002", "C-B1", "CS9-99", "2024/25", "6260", "", "", "", "", "", ""])
    return rows


def raw_files(spend: bool = True) -> dict[str, str]:
    """The cycle's raw files, by name in `data/raw/<cycle>/`."""
    files = {
        "partners.csv": _csv(
            [["partner_id", "name", "type", "postcode", "sme"]]
            + [
                [pid, name, kind, "RM17 6SL", "no" if kind == "public" else "yes"]
                for pid, (name, kind) in PARTNERS.items()
            ]
        ),
        "contracts.csv": _csv(
            [
                [
                    "contract_id",
                    "partner_id",
                    "title",
                    "start",
                    "end",
                    "value_gbp",
                    "outcome_measures",
                    "linked_to_subject_matter",
                ]
            ]
            + [
                [cid, p, title, start, "2027-03-31", value, ms, "yes"]
                for cid, (p, title, value, ms, start) in CONTRACTS.items()
            ]
        ),
        "returns.csv": _csv(returns_rows()),
    }
    if spend:
        files["suppliers.csv"] = _csv(
            [["supplier_id", "name", "postcode", "type", "sme"], *map(list, SUPPLIERS)]
        )
        files["spend.csv"] = _csv(
            [["Body", "Date", "Transaction Number", "Amount", "Supplier Name", "Supplier ID"]]
            + [
                ["Thurrock Council", d, f"TC{i:06d}", amount, name, sid]
                for i, (d, amount, sid, name) in enumerate(SPEND, start=1)
            ]
        )
    return files


def _prepare(root: Path, cycle: str, spend: bool) -> CyclePaths:
    paths = CyclePaths.of(cycle, root)
    paths.reference.mkdir(parents=True, exist_ok=True)
    for name in ("framework.yaml", "local_postcode_districts.csv"):
        shutil.copy(REPO / "data" / "reference" / name, paths.reference)
    shutil.copytree(REPO / "expectations", root / "expectations", dirs_exist_ok=True)
    paths.notebooks.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "notebooks" / "03_health_check.ipynb", paths.notebooks)
    shutil.copy(REPO / "params.yaml", paths.params)
    raw = root / "data" / "raw" / cycle
    raw.mkdir(parents=True, exist_ok=True)
    for name, text in raw_files(spend).items():
        (raw / name).write_text(text, encoding="utf-8")
    # The real stages, as `svf run` calls them (without the notebooks around them).
    write_outputs(paths, validate_cycle(paths, today=TODAY))
    compute_cycle(paths)
    return paths


def _built(cycle: str, spend: bool) -> Path:
    """Validate and compute once per test run (shared by the xdist workers); each test gets its
    own copy."""
    name = f"report-fixture-{cycle}-{'spend' if spend else 'nospend'}"
    return built_once(name, lambda root: _prepare(root, cycle, spend))


def write_workspace(root: Path, cycle: str = "fixture", *, spend: bool = True) -> CyclePaths:
    """A complete small cycle under `root`: raw files, then the clean tables, measures,
    findings and validation the real validate and compute stages wrote from them.

    `spend=False`: a cycle without council spend data (`findings.json` `spend` is null).
    """
    shutil.copytree(_built(cycle, spend), root, dirs_exist_ok=True)
    return CyclePaths.of(cycle, root)
