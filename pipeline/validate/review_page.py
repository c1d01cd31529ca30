"""The reviewer's page, `reports/<cycle>/data-quality/index.html`: one offline page to work from.

Built from what the validate stage wrote (`validation.json`, `quarantine.parquet`,
`superseded.parquet`, the clean partners and returns tables) so it shows the same figures as the
console and the notebook. It is one self-contained file in the reports' own style (the built-in
renderer's `report.css`, included, not copied), with no request leaving the page. Tables are
complete without scripts; a small inline script, allowed by its hash in the page's
Content-Security-Policy and by nothing else, adds sorting and filtering. Partner text is
autoescaped by Jinja: it is data, never markup.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import html
from pipeline.core.atomic import write_text
from pipeline.core.paths import CyclePaths
from pipeline.validate.check_words import describe
from pipeline.validate.feedback import SAFE_ID

TEMPLATES = Path(__file__).parent / "templates"
#: The GX Data Docs site, inside the data-quality folder.
GX_DIR = "gx"


def percent(rate: float | None, failed: int | None = None, evaluated: int | None = None) -> str:
    """A pass rate as a percentage with one decimal, never rounded up to 100% when a row failed
    (1 failure in 5,000 is 99.9%, not 100.0%)."""
    if evaluated == 0:
        return "no rows"
    if rate is None:
        return ""
    value = round(float(rate) * 100, 1)
    if failed and value >= 100:
        value = 99.9
    return f"{value:.1f}%"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def when(iso: str | None) -> str:
    """`2026-11-28T09:12:00+00:00` -> `28 November 2026 at 09:12 UTC`."""
    if not iso:
        return ""
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return f"{t:%d %B %Y at %H:%M} UTC".lstrip("0")


def suite_kwargs(paths: CyclePaths) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(kind, expectation type, checked column) -> kwargs, from the suites in expectations/."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for suite in sorted(paths.expectations.glob("*.json")):
        try:
            data = json.loads(suite.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for e in data.get("expectations") or []:
            kw = e.get("kwargs") or {}
            checked = kw.get("column") or ", ".join(kw.get("column_list") or [])
            out[(suite.stem, str(e.get("type")), checked)] = kw
    return out


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def _council(paths: CyclePaths) -> str:
    try:
        from pipeline.core.framework import load_framework

        return load_framework(paths.framework).council
    except Exception:  # the page is still useful without the council's name
        return ""


def gx_pages(paths: CyclePaths, from_dir: Path) -> list[tuple[str, str]]:
    """(label, relative link) for every validation-result page of the Data Docs site."""
    site = paths.data_quality / GX_DIR
    pages = []
    for page in sorted((site / "validations").rglob("*.html")):
        suite = page.stem  # returns, returns.keys
        kind, _, part = suite.partition(".")
        label = f"{kind}: {'unique keys' if part == 'keys' else 'row checks'}"
        pages.append((label, page.relative_to(from_dir).as_posix()))
    return pages


def page_context(paths: CyclePaths, summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the page shows, from the validate stage's outputs."""
    dq = paths.data_quality
    quarantine = _read(paths.quarantine)
    superseded = _read(paths.superseded)
    partners_table = _read(paths.clean_table("partners"))
    returns = _read(paths.clean_table("returns"))
    totals = summary.get("totals") or {}

    files = [
        {**f, "balances": f["rows"] == f["clean"] + f["quarantined"] + f["superseded"]}
        for f in summary.get("files") or []
    ]
    refused = [f for f in files if f.get("file_error")]

    kwargs = suite_kwargs(paths)
    checks = []
    for i, e in enumerate(summary.get("expectations") or []):
        checked = e.get("checked") or e.get("column") or ""
        kw = kwargs.get((e["kind"], e["expectation"], checked))
        checks.append(
            {
                **e,
                "column": "" if e.get("column") in (None, "*") else e["column"],
                "checked": "" if checked == "*" else checked,
                "words": describe(e["expectation"], checked, kw),
                "rate": percent(e.get("pass_rate"), e.get("failed"), e.get("evaluated")),
                "sort_rate": -1 if not e.get("evaluated") else e.get("pass_rate"),
                "_i": i,
            }
        )
    checks.sort(key=lambda c: (-(c.get("failed") or 0), c["_i"]))

    # Partners: rows and rejections as validation.json counts them; superseded from its table.
    names: dict[str, str] = {}
    if partners_table is not None and "partner_id" in partners_table:
        names = {
            str(p): _text(n)
            for p, n in zip(partners_table["partner_id"], partners_table["name"], strict=True)
        }
    sup_by_partner: dict[str, int] = {}
    if superseded is not None and len(superseded):
        ids = superseded["partner_id"].map(lambda v: v.strip() if isinstance(v, str) else v)
        sup_by_partner = {str(k): int(v) for k, v in ids.value_counts().items()}
    with_feedback: set[str] = set()
    unattributed = 0
    if quarantine is not None:
        mine = quarantine[quarantine["kind"] == "returns"]
        with_feedback = {p for p in mine["partner_id"].dropna() if SAFE_ID.match(str(p))}
        unattributed = int((mine["partner_id"].isna() & mine["source_row"].notna()).sum())
    partners = []
    for pid, counts in (summary.get("partners") or {}).items():
        rows = int(counts.get("rows", 0))
        rejected = int(counts.get("quarantined", 0))
        sup = int(counts.get("superseded", sup_by_partner.get(pid, 0)))
        accepted = int(counts.get("clean", rows - rejected - sup))
        partners.append(
            {
                "id": pid,
                "name": names.get(pid, ""),
                "rows": rows,
                "accepted": accepted,
                "rejected": rejected,
                "superseded": sup,
                "feedback": f"partners/{pid}.csv" if pid in with_feedback else None,
            }
        )

    # Partners in the register who sent nothing: shown too, so a missing return is seen.
    for pid in sorted(set(names) - {p["id"] for p in partners}):
        partners.append(
            {"id": pid, "name": names[pid], "rows": 0, "accepted": 0, "rejected": 0,
             "superseded": 0, "feedback": None}
        )  # fmt: skip
    quarantined = []
    for q in (quarantine if quarantine is not None else pd.DataFrame()).to_dict("records"):
        try:
            record = json.loads(q.get("record") or "{}")
        except ValueError:
            record = {}
        column = _text(q.get("column"))
        quarantined.append(
            {
                "file": q["source_file"],
                "row": None if pd.isna(q["source_row"]) else int(q["source_row"]),
                "partner": _text(q.get("partner_id")),
                "column": column,
                "value": _text(record.get(column)) if column and isinstance(record, dict) else "",
                "reason": _text(q.get("reason")),
                "expectation": q["expectation"],
            }
        )

    replaced: dict[tuple[str, int], dict[str, Any]] = {}
    if returns is not None and superseded is not None and len(superseded):
        wanted = set(
            zip(superseded["superseded_by_file"], superseded["superseded_by_row"], strict=True)
        )
        hit = returns[
            [
                (f, int(r)) in wanted
                for f, r in zip(returns["source_file"], returns["source_row"], strict=True)
            ]
        ]
        replaced = {(r["source_file"], int(r["source_row"])): r for r in hit.to_dict("records")}
    superseded_rows = []
    for s in (superseded if superseded is not None else pd.DataFrame()).to_dict("records"):
        new = replaced.get((s["superseded_by_file"], int(s["superseded_by_row"])), {})
        superseded_rows.append(
            {
                "file": s["source_file"],
                "row": int(s["source_row"]),
                "contract": _text(s.get("contract_id")),
                "measure": _text(s.get("measure_id")),
                "period": _text(s.get("period")),
                "value": _text(s.get("value")),
                "submitted": _text(s.get("submitted_on"))[:10],
                "by_file": s["superseded_by_file"],
                "by_row": int(s["superseded_by_row"]),
                "new_value": _text(new.get("value")),
                "new_submitted": _text(new.get("submitted_on"))[:10],
            }
        )

    review = summary.get("review")
    rate = summary.get("pass_rate")
    kpis = [
        {"label": "Rows read", "value": f"{totals.get('rows', 0):,}", "note": f"from {len(files)} files"},
        {"label": "Accepted", "value": f"{totals.get('clean', 0):,}", "note": "in the clean tables"},
        {"label": "Quarantined", "value": f"{totals.get('quarantined', 0):,}", "note": f"{len(refused)} files refused"},
        {"label": "Superseded", "value": f"{totals.get('superseded', 0):,}", "note": "by a later submission"},
        {"label": "Rows passing", "value": percent(rate, totals.get("quarantined"), totals.get("rows")), "note": "accepted or superseded"},
        {"label": "Counts reconcile", "value": "yes" if summary.get("reconciles") else "NO", "note": "read = accepted + quarantined + superseded"},
    ]  # fmt: skip
    return {
        "cycle": summary.get("cycle", paths.cycle),
        "council": _council(paths),
        "generated": when(summary.get("generated_at")),
        "review": {"by": review.get("by"), "on": when(review.get("at"))}
        if isinstance(review, dict) and review.get("by")
        else None,
        "kpis": kpis,
        "reconciles": bool(summary.get("reconciles")),
        "totals": {k: totals.get(k, 0) for k in ("rows", "clean", "quarantined", "superseded")},
        "files": files,
        "refused": refused,
        "failing": [c for c in checks if c.get("failed")],
        "passing": [c for c in checks if not c.get("failed")],
        "partners": partners,
        "unattributed": unattributed,
        "quarantined": quarantined,
        "quarantine_path": paths.quarantine.relative_to(paths.workspace).as_posix(),
        "superseded": superseded_rows,
        "gx_index": f"{GX_DIR}/index.html",
        "gx_pages": gx_pages(paths, dq) if (dq / GX_DIR / "index.html").exists() else [],
    }


def render(context: dict[str, Any]) -> str:
    env = html.environment(TEMPLATES)
    script = (TEMPLATES / "data_quality.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return env.get_template("data_quality.html.j2").render(
        **context, script=script, script_hash=f"sha256-{digest}"
    )


def write_page(paths: CyclePaths, summary: dict[str, Any] | None = None) -> Path:
    """Write `data-quality/index.html` (atomically) from the validate stage's outputs."""
    if summary is None:
        summary = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    target = paths.data_quality / "index.html"
    write_text(target, render(page_context(paths, summary)))
    return target
