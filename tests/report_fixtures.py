"""Hand-made clean tables and compute outputs, written exactly to docs/interfaces.md.

The report stage is tested against these rather than the validate and compute stages, so a report
test fails only for a report fault. Every figure is chosen to be recognisable in rendered text:
each partner has a "canary" name and a figure nobody else has, so a test can tell whether one
partner's report leaks into another's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.paths import CyclePaths

REPO = Path(__file__).resolve().parents[1]
PERIODS = ["2023/24", "2024/25", "2025/26"]

#: Partner id -> (name, type). P003's name is hostile markup: it must arrive as text.
PARTNERS = {
    "P001": ("Canary Alpha Ltd", "private"),
    "P002": ("Bluebird Beta CIC", "vcfs"),
    "P003": ('<script>alert("x")</script> #set page(width: 1cm) *Gamma* $x$ Trust', "public"),
}

#: contract -> (partner, title, value_gbp, measures)
CONTRACTS = {
    "C-A1": ("P001", "Highways maintenance", 1_200_000.0, ["CS2-06", "CS1-02", "CS2-04"]),
    "C-B1": ("P002", "Community transport", 340_000.0, ["CS2-06", "CS5-01", "CS2-04"]),
    "C-C1": ("P003", "Library services", 95_000.0, ["CS1-02", "CS2-04"]),
}

#: (contract, measure) -> values per period (None = no return that year), and a flat target.
RETURNS: dict[tuple[str, str], tuple[list[float | None], float]] = {
    ("C-A1", "CS2-06"): ([3911.0, 4102.0, 4321.0], 4500.0),  # P001 canary figure 4321
    ("C-A1", "CS1-02"): ([610.0, 640.0, 707.0], 700.0),
    ("C-B1", "CS2-06"): ([8001.0, 8500.0, 8765.0], 9000.0),  # P002 canary figure 8765
    ("C-B1", "CS5-01"): ([52.0, 49.0, 33.0], 60.0),
    ("C-C1", "CS1-02"): ([150.0, 185.0, None], 200.0),  # P003 made no return in 2025/26
    # Business start-ups: all three partners every year, so partners see the borough figure
    # (2025/26: 121 + 222 + 333 = 676 of a 660 target; 2024/25: 636; change +6.3%).
    ("C-A1", "CS2-04"): ([101.0, 111.0, 121.0], 120.0),
    ("C-B1", "CS2-04"): ([202.0, 212.0, 222.0], 220.0),
    ("C-C1", "CS2-04"): ([303.0, 313.0, 333.0], 320.0),
}
# Borough figures resting on fewer than 3 partners (hidden from partners by default):
# CS2-06 (P001 and P002 every year: 13,086 in 2025/26, 12,602 in 2024/25), CS5-01 (P002 only),
# CS1-02 (P001 and P003 until 2024/25: 825; P001 only in 2025/26: 707).

PROXY = {"CS1-02": 11.44, "CS5-01": 256.0}
THEME = {"CS2-06": "CS2", "CS1-02": "CS1", "CS5-01": "CS5", "CS2-04": "CS2"}

#: Council spend, worked out by hand from these payments (supplier: district, type, SME):
#:   A RM17 local private SME, B CM1 (not local) VCFS not SME, D RM16 local VCFS SME,
#:   C not in the supplier register (unclassified for every measure).
#:   2024/25: A 6,000, B 3,000, C 1,000 = 10,000.
#:     local 6,000 = 60.0%; SME 6,000 = 60.0%; VCFS 3,000 = 30.0%; local VCFS 0 = 0.0%;
#:     unclassified (C) 1,000 = 10.0% for each.
#:   2025/26: A 9,000, B 4,000, D 5,000, C 2,000 = 20,000.
#:     local 14,000 = 70.0% (+10.0 pts); SME 14,000 = 70.0% (+10.0 pts);
#:     VCFS 9,000 = 45.0% (+15.0 pts); local VCFS 5,000 = 25.0% (+25.0 pts);
#:     unclassified (C) 2,000 = 10.0% for each.
SPEND_SHARES = {
    "2024/25": {"total_gbp": 10000.0, "payments": 3, "suppliers": 3, "matched_share": 90.0,
                "redacted_share": 0.0,
                "local": (60.0, 10.0, None), "sme": (60.0, 10.0, None),
                "vcfs": (30.0, 10.0, None), "local_vcfs": (0.0, 10.0, None)},
    "2025/26": {"total_gbp": 20000.0, "payments": 4, "suppliers": 4, "matched_share": 90.0,
                "redacted_share": 5.0,
                "local": (70.0, 10.0, 10.0), "sme": (70.0, 10.0, 10.0),
                "vcfs": (45.0, 10.0, 15.0), "local_vcfs": (25.0, 10.0, 25.0)},
}  # fmt: skip


def spend_findings() -> dict:
    """`findings.json` `spend`, in the shape `pipeline.spend.spend_findings` writes."""
    by_period = {}
    for period, s in SPEND_SHARES.items():
        entry = {
            k: s[k]
            for k in ("total_gbp", "payments", "suppliers", "matched_share", "redacted_share")
        }
        for flag in ("local", "vcfs", "local_vcfs", "sme"):
            share, unclassified, change = s[flag]
            entry[f"{flag}_share"] = share
            entry[f"{flag}_unclassified_share"] = unclassified
            entry[f"{flag}_classified_share"] = round(share / (100 - unclassified) * 100, 2)
            entry[f"{flag}_share_change_pts"] = change
        by_period[period] = entry
    return {"basis": "Share of all spend in the financial year, percent.", "by_period": by_period}


def council_rows() -> list[dict]:
    """Level `council` rows of measures.parquet (CS2-02, CS2-03) from the spend shares."""
    rows = []
    for mid, flag in (("CS2-02", "local"), ("CS2-03", "local_vcfs")):
        prev = None
        for period, s in SPEND_SHARES.items():
            value = s[flag][0]
            rows.append(
                {
                    "level": "council",
                    "partner_id": None,
                    "contract_id": None,
                    "theme": "CS2",
                    "measure_id": mid,
                    "period": period,
                    "value": value,
                    "n_returns": s["payments"],
                    "partners_covered": s["suppliers"],
                    "target": float("nan"),
                    "achieved_share": float("nan"),
                    "prev_period": "2024/25" if prev is not None else None,
                    "prev_value": float("nan") if prev is None else prev,
                    "yoy_abs": float("nan") if prev is None else value - prev,
                    "yoy_pct": float("nan") if not prev else (value - prev) / prev * 100,
                    "improved": pd.NA if prev is None else bool(value > prev),
                    "status": "no data" if prev is None else "on track",
                    "value_gbp": float("nan"),
                }
            )
            prev = value
    return rows


#: The comment P001 typed on its latest apprenticeship return: markup in both languages.
HOSTILE_COMMENT = "<script>alert(1)</script> #set page(width: 2cm) <img src=x onerror=alert(2)>"


def _status(value: float, target: float | None, prev: float | None) -> str:
    if value != value:
        return "no data"
    if target:
        share = value / target
        return "on track" if share >= 0.95 else "at risk" if share >= 0.80 else "off track"
    return "on track" if prev is None or value >= prev else "at risk"


def _measure_rows() -> list[dict]:
    rows: list[dict] = []

    def add(level, partner, contract, mid, values, targets, n_returns, covered):
        for i, period in enumerate(PERIODS):
            v = values[i]
            value = float("nan") if v is None else float(v)
            prev = None if i == 0 or values[i - 1] is None else float(values[i - 1])
            target = targets[i]
            status = _status(value, target, prev)
            if v is None and i > 0 and values[i - 1] is not None:
                status = "no return"
            yoy_abs = value - prev if prev is not None and v is not None else float("nan")
            yoy_pct = yoy_abs / prev * 100 if prev else float("nan")
            rows.append(
                {
                    "level": level,
                    "partner_id": partner,
                    "contract_id": contract,
                    "theme": THEME[mid],
                    "measure_id": mid,
                    "period": period,
                    "value": value,
                    "n_returns": n_returns[i],
                    "partners_covered": covered[i],
                    "target": float("nan") if target is None else target,
                    "achieved_share": value / target if target and v is not None else float("nan"),
                    "prev_period": PERIODS[i - 1] if i else None,
                    "prev_value": float("nan") if prev is None else prev,
                    "yoy_abs": yoy_abs,
                    "yoy_pct": yoy_pct,
                    "improved": pd.NA if yoy_abs != yoy_abs else bool(yoy_abs > 0),
                    "status": status,
                    "value_gbp": value * PROXY[mid] if mid in PROXY else float("nan"),
                }
            )

    for (contract, mid), (values, target) in RETURNS.items():
        partner = CONTRACTS[contract][0]
        n = [0 if v is None else 1 for v in values]
        add("contract", partner, contract, mid, values, [target] * 3, n, n)
        add("partner", partner, None, mid, values, [target] * 3, n, n)
    for mid in THEME:
        series = [(vals, t) for (_, m), (vals, t) in RETURNS.items() if m == mid]
        totals, targets, n = [], [], []
        for i in range(3):
            got = [vals[i] for vals, _ in series if vals[i] is not None]
            totals.append(sum(got) if got else None)
            targets.append(sum(t for vals, t in series if vals[i] is not None) or None)
            n.append(len(got))
        add("borough", None, None, mid, totals, targets, n, n)
    return rows


def measures_frame(spend: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(_measure_rows() + (council_rows() if spend else []))
    for col in ("partner_id", "contract_id", "prev_period"):
        frame[col] = frame[col].astype(object)
    frame["n_returns"] = frame["n_returns"].astype("int64")
    frame["partners_covered"] = frame["partners_covered"].astype("int64")
    frame["improved"] = frame["improved"].astype("boolean")
    return frame


def theme_status_frame(measures: pd.DataFrame) -> pd.DataFrame:
    rows = []
    partner_level = measures[measures["level"].isin(["partner", "borough"])]
    keys = ["level", "partner_id", "theme", "period"]
    for key, group in partner_level.groupby(keys, dropna=False):
        counts = group["status"].value_counts()
        on, risk, off = (
            counts.get("on track", 0),
            counts.get("at risk", 0),
            counts.get("off track", 0),
        )
        status = "off track" if off else "at risk" if risk else "on track" if on else "no data"
        rows.append(
            {
                "level": key[0],
                "partner_id": None if key[1] != key[1] else key[1],
                "theme": key[2],
                "period": key[3],
                "status": status,
                "n_measures": len(group),
                "n_on_track": on,
                "n_at_risk": risk,
                "n_off_track": off,
                "n_no_data": int(counts.get("no data", 0) + counts.get("no return", 0)),
            }
        )
    # Themes with no measures reported still have a row at borough level.
    for code in ("CS3", "CS4"):
        for period in PERIODS:
            rows.append(
                {
                    "level": "borough",
                    "partner_id": None,
                    "theme": code,
                    "period": period,
                    "status": "no data",
                    "n_measures": 0,
                    "n_on_track": 0,
                    "n_at_risk": 0,
                    "n_off_track": 0,
                    "n_no_data": 0,
                }
            )
    frame = pd.DataFrame(rows)
    frame["partner_id"] = frame["partner_id"].astype(object)
    return frame


def findings(measures: pd.DataFrame, spend: bool = True) -> dict:
    latest = PERIODS[-1]
    m = measures[(measures["level"] == "partner") & (measures["period"] == latest)]
    by_partner = {p: float(g["value_gbp"].sum()) for p, g in m.groupby("partner_id")}
    b = measures[(measures["level"] == "borough") & (measures["period"] == latest)]
    by_theme = {t: float(g["value_gbp"].fillna(0).sum()) for t, g in b.groupby("theme")}
    return {
        "latest_period": latest,
        "periods": PERIODS,
        "coverage": {"2023/24": 3, "2024/25": 3, "2025/26": 3},
        "enforcement": [
            {
                "contract_id": "C-C1",
                "partner_id": "P003",
                "measure_id": "CS1-02",
                "periods": ["2025/26"],
            }
        ],
        "endorsement": ["P001"],
        "gaps": {
            "uncovered_measures": ["CS3-01", "CS4-01"],
            "uncovered_outcomes": ["CS3: Narrowing the gap for disadvantaged groups"],
            "contracts_without_outcomes": [],
            "theme_contract_value_share": {
                "CS1": 0.3,
                "CS2": 0.6,
                "CS3": 0.0,
                "CS4": 0.0,
                "CS5": 0.1,
            },
        },
        "social_value": {
            "borough": float(sum(by_theme.values())),
            "by_theme": by_theme,
            "by_partner": by_partner,
            "proxies_used": {"volunteering_hour": 11.44, "carbon_tonne": 256.0},
        },
        "spend": spend_findings() if spend else None,
    }


def validation(cycle: str) -> dict:
    return {
        "cycle": cycle,
        "generated_at": "2026-04-30T09:00:00Z",
        "files": [
            {
                "file": "returns.csv",
                "kind": "returns",
                "rows": 16,
                "clean": 14,
                "quarantined": 2,
                "superseded": 0,
                "file_error": None,
            },
            {
                "file": "partners.csv",
                "kind": "partners",
                "rows": 3,
                "clean": 3,
                "quarantined": 0,
                "superseded": 0,
                "file_error": None,
            },
        ],
        "totals": {"rows": 19, "clean": 17, "quarantined": 2, "superseded": 0},
        "reconciles": True,
        "pass_rate": 17 / 19,
        "expectations": [
            {
                "kind": "returns",
                "expectation": "value is a number",
                "column": "value",
                "evaluated": 16,
                "failed": 2,
                "pass_rate": 14 / 16,
            },
        ],
        "partners": {
            "P001": {"rows": 7, "quarantined": 1},
            "P002": {"rows": 6, "quarantined": 1},
            "P003": {"rows": 3, "quarantined": 0},
        },
    }


def quarantine_frame() -> pd.DataFrame:
    rows = [
        (
            "returns",
            "returns.csv",
            5,
            "value",
            "value is a number",
            "The value 'lots (Alpha secret 5150)' is not a number.",
            "P001",
            {"partner_id": "P001", "value": "lots (Alpha secret 5150)"},
        ),
        (
            "returns",
            "returns.csv",
            9,
            "measure_id",
            "measure is in the framework",
            "The measure 'CS9-99' is not in the framework (Beta secret 6260).",
            "P002",
            {"partner_id": "P002", "measure_id": "CS9-99"},
        ),
    ]
    frame = pd.DataFrame(
        [
            {
                "kind": k,
                "source_file": f,
                "source_row": r,
                "column": c,
                "expectation": e,
                "reason": why,
                "partner_id": p,
                "record": json.dumps(rec),
            }
            for k, f, r, c, e, why, p, rec in rows
        ]
    )
    frame["source_row"] = frame["source_row"].astype("Int64")
    return frame


def returns_frame() -> pd.DataFrame:
    rows = []
    row = 2
    for (contract, mid), (values, target) in RETURNS.items():
        partner = CONTRACTS[contract][0]
        for period, v in zip(PERIODS, values, strict=True):
            if v is None:
                continue
            comment = None
            if partner == "P001" and mid == "CS2-06" and period == PERIODS[-1]:
                comment = HOSTILE_COMMENT
            if partner == "P002" and period == PERIODS[-1]:
                comment = "Beta private remark 7373"
            rows.append(
                {
                    "source_file": "returns.csv",
                    "source_row": row,
                    "partner_id": partner,
                    "contract_id": contract,
                    "measure_id": mid,
                    "period": period,
                    "value": v,
                    "target": target,
                    "denominator": np.nan,
                    "evidence": "Payroll records",
                    "comment": comment,
                    "verified": True,
                    "submitted_on": pd.Timestamp("2026-04-01"),
                }
            )
            row += 1
    frame = pd.DataFrame(rows)
    frame["source_row"] = frame["source_row"].astype("int64")
    frame["verified"] = frame["verified"].astype("boolean")
    return frame


def write_workspace(root: Path, cycle: str = "fixture", *, spend: bool = True) -> CyclePaths:
    """Write a complete, small cycle (clean tables, compute outputs, validation) under `root`.

    `spend=False`: a cycle without council spend data (`findings.json` `spend` is null).
    """
    paths = CyclePaths.of(cycle, root)
    paths.reference.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "data" / "reference" / "framework.yaml", paths.framework)
    shutil.copy(REPO / "data" / "reference" / "local_postcode_districts.csv", paths.reference)
    paths.notebooks.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "notebooks" / "03_health_check.ipynb", paths.notebooks)
    paths.clean.mkdir(parents=True, exist_ok=True)
    partners = pd.DataFrame(
        [
            {
                "source_file": "partners.csv",
                "source_row": i + 2,
                "partner_id": pid,
                "name": name,
                "type": kind,
                "postcode": "RM17 6SL",
                "sme": kind != "public",
            }
            for i, (pid, (name, kind)) in enumerate(PARTNERS.items())
        ]
    )
    partners["sme"] = partners["sme"].astype("boolean")
    partners.to_parquet(paths.clean_table("partners"), index=False)
    contracts = pd.DataFrame(
        [
            {
                "source_file": "contracts.csv",
                "source_row": i + 2,
                "contract_id": cid,
                "partner_id": p,
                "title": title,
                "start": pd.Timestamp("2023-04-01"),
                "end": pd.Timestamp("2027-03-31"),
                "value_gbp": value,
                "outcome_measures": ";".join(ms),
                "linked_to_subject_matter": True,
            }
            for i, (cid, (p, title, value, ms)) in enumerate(CONTRACTS.items())
        ]
    )
    contracts["linked_to_subject_matter"] = contracts["linked_to_subject_matter"].astype("boolean")
    contracts.to_parquet(paths.clean_table("contracts"), index=False)
    returns_frame().to_parquet(paths.clean_table("returns"), index=False)
    quarantine_frame().to_parquet(paths.quarantine, index=False)
    measures = measures_frame(spend)
    measures.to_parquet(paths.measures, index=False)
    theme_status_frame(measures).to_parquet(paths.clean_table("theme_status"), index=False)
    (paths.clean / "findings.json").write_text(json.dumps(findings(measures, spend), indent=2))
    paths.data_quality.mkdir(parents=True, exist_ok=True)
    paths.validation_json.write_text(json.dumps(validation(cycle), indent=2))
    (paths.data_quality / "index.html").write_text("<!doctype html><title>Data Docs</title>")
    return paths
