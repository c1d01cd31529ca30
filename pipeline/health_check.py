"""The sections of the health-check report, as blocks the notebook displays.

Each function takes an `AudienceView` (already filtered to its audience by `report_data`) and
returns `Blocks`. The notebook `notebooks/03_health_check.ipynb` calls them in order; the prose
that frames them lives in the notebook's Markdown cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import charts
from pipeline import report_blocks as rb
from pipeline.framework import Measure
from pipeline.params import load_params
from pipeline.report_blocks import Blocks
from pipeline.report_data import AudienceView, suppressed_reason

fmt = charts.fmt_number
_num = rb.as_number


def _text(v: Any) -> str:
    """A cell's text; empty for None or NaN (never the word 'nan')."""
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def _pct(v: Any, signed: bool = True) -> str:
    f = _num(v)
    if f is None:
        return "—"
    return f"{f:+.1f}%" if signed else f"{f:.1f}%"


def _share(v: Any) -> str:
    f = _num(v)
    return "—" if f is None else f"{f * 100:.0f}%"


def _measure(view: AudienceView, mid: str) -> Measure | None:
    try:
        return view.framework.measure(mid)
    except KeyError:
        return None


def _rows(view: AudienceView, level: str) -> pd.DataFrame:
    m = view.measures
    rows = m[m["level"] == level]
    if level == "partner" and not view.is_council:
        rows = rows[rows["partner_id"] == view.audience]
    return rows


def _latest(frame: pd.DataFrame, view: AudienceView) -> pd.DataFrame:
    return frame[frame["period"] == view.latest_period]


def _sorted_ids(ids: Any) -> list[str]:
    return sorted({str(i) for i in ids})


def title_of(view: AudienceView) -> str:
    """The report's title: the framework name for the council, the partner's name otherwise."""
    if view.is_council:
        return f"Social value health check {view.latest_period}"
    return f"Social value health check {view.latest_period}: {view.partner_name}"


def subtitle_of(view: AudienceView) -> str:
    who = view.framework.council or "the council"
    if view.is_council:
        return f"{who}: all themes, all partners (review cycle {view.cycle})"
    return f"Report for partner {view.audience} from {who} (review cycle {view.cycle})"


def document_meta(view: AudienceView) -> Blocks:
    """The audience's title and subtitle, which override the front matter's defaults."""
    return Blocks(
        [
            rb.meta(
                title=title_of(view),
                subtitle=subtitle_of(view),
                council=view.framework.council,
                cycle=view.cycle,
                audience=view.audience,
            )
        ]
    )


def h2(text: str, anchor: str | None = None) -> Blocks:
    """A section heading (level 2, listed in the contents)."""
    slug = anchor or re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return Blocks([rb.heading(text, 2, anchor=slug)])


# ---------------------------------------------------------------- council


def _theme_counts(view: AudienceView, level: str, partner: str | None = None) -> pd.DataFrame:
    ts = view.theme_status
    rows = ts[(ts["level"] == level) & (ts["period"] == view.latest_period)]
    if partner is not None:
        rows = rows[rows["partner_id"] == partner]
    return rows


def council_summary(view: AudienceView) -> Blocks:
    """Page one: every theme at a glance, headline changes, social value, data quality."""
    fw = view.framework
    ts = _theme_counts(view, "borough").set_index("theme")
    sv = view.findings.get("social_value") or {}
    coverage = (view.findings.get("coverage") or {}).get(view.latest_period)
    n_partners = len(view.partners)
    statuses = [str(ts.loc[t.code, "status"]) if t.code in ts.index else "no data" for t in fw]
    on = sum(s == "on track" for s in statuses)
    pass_rate = _num(view.validation.get("pass_rate"))
    blocks: list[rb.Block] = [
        rb.kpis(
            [
                ("Themes on track", f"{on} of {len(fw.themes)}", f"in {view.latest_period}"),
                (
                    "Social value",
                    fmt(_num(sv.get("borough")) or 0.0, "GBP"),
                    "estimated from proxy values",
                ),
                (
                    "Partners reporting",
                    f"{coverage if coverage is not None else '—'} of {n_partners}",
                    f"made a return for {view.latest_period}",
                ),
                (
                    "Data-quality pass rate",
                    _share(pass_rate) if pass_rate is not None else "—",
                    "of input rows accepted",
                ),
            ]
        ),
    ]
    items = []
    for t, status in zip(fw.themes, statuses, strict=True):
        r = ts.loc[t.code] if t.code in ts.index else None

        def c(col: str, r: Any = r) -> int:
            return 0 if r is None or col not in r.index or pd.isna(r[col]) else int(r[col])

        items.append(
            (
                t.code,
                t.name,
                status,
                c("n_on_track"),
                c("n_at_risk"),
                c("n_off_track"),
                c("n_no_data") + c("n_no_return"),
            )
        )
    blocks.append(charts.scorecard_chart(f"Theme status, {view.latest_period}", items))
    blocks.append(
        rb.table(
            ["Theme", "Ambition", "Status", "On track", "At risk", "Off track", "No data"],
            [
                [f"{code} {name}", fw.theme(code).ambition, rb.status_label(st), a, b, c_, d]
                for code, name, st, a, b, c_, d in items
            ],
            caption=f"Theme status in {view.latest_period} (borough, all partners)",
            numeric=(3, 4, 5, 6),
            status_col=2,
            widths=(1.3, 2.6, 1.1, 0.6, 0.6, 0.6, 0.6),
        )
    )
    blocks.extend(headline_changes(view).blocks)
    return Blocks(blocks)


def headline_changes(view: AudienceView, limit: int = 6) -> Blocks:
    """The largest year-on-year moves at borough level, better and worse."""
    b = _latest(_rows(view, "borough"), view)
    b = b[b["yoy_pct"].notna()].copy()
    if b.empty:
        return Blocks([rb.note("No year-on-year changes: only one year is on record.")])
    b["abs_move"] = b["yoy_pct"].abs()
    b = b.sort_values(["abs_move", "measure_id"], ascending=[False, True]).head(limit)
    rows = []
    for r in b.itertuples():
        m = _measure(view, r.measure_id)
        unit = m.unit if m else "count"
        better = {True: "better", False: "worse"}.get(
            None if pd.isna(r.improved) else bool(r.improved), "not comparable"
        )
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                fmt(_num(r.prev_value), unit),
                fmt(_num(r.value), unit),
                _pct(r.yoy_pct),
                better,
            ]
        )
    return Blocks(
        [
            rb.heading("Headline changes since last year", 3),
            rb.table(
                [
                    "Measure",
                    "",
                    str(b["prev_period"].iloc[0]),
                    view.latest_period,
                    "Change",
                    "Direction",
                ],
                rows,
                caption="Largest year-on-year changes across the borough",
                numeric=(2, 3, 4),
                widths=(0.8, 2.6, 1, 1, 0.8, 1),
            ),
        ]
    )


def _measure_table(view: AudienceView, rows: pd.DataFrame, *, coverage: bool) -> rb.Block:
    body = []
    for r in rows.sort_values("measure_id").itertuples():
        m = _measure(view, r.measure_id)
        unit = m.unit if m else "count"
        line = [
            r.measure_id,
            m.short if m else "",
            fmt(_num(r.value), unit),
            fmt(_num(r.target), unit),
            _share(r.achieved_share),
            _pct(r.yoy_pct),
            rb.status_label(r.status),
        ]
        if coverage:
            line.append(
                str(int(r.partners_covered)) if _num(r.partners_covered) is not None else "0"
            )
        body.append(line)
    cols = ["Measure", "", view.latest_period, "Target", "Achieved", "Change", "Status"]
    widths = [0.8, 2.5, 0.9, 0.9, 0.8, 0.8, 1.1]
    if coverage:
        cols.append("Partners")
        widths.append(0.7)
    return rb.table(
        cols,
        body,
        numeric=(2, 3, 4, 5, 7) if coverage else (2, 3, 4, 5),
        status_col=6,
        widths=widths,
    )


def _series(view: AudienceView, rows: pd.DataFrame, mids: list[str]) -> list:
    out = []
    for mid in mids:
        m = _measure(view, mid)
        r = rows[rows["measure_id"] == mid].set_index("period")
        values = [_num(r.loc[p, "value"]) if p in r.index else None for p in view.periods]
        target = (
            _num(r.loc[view.latest_period, "target"]) if view.latest_period in r.index else None
        )
        out.append((mid, m.short if m else mid, m.unit if m else "count", values, target))
    return out


def council_theme(view: AudienceView, code: str) -> Blocks:
    """One theme: its outcomes, each measure's latest figure, trend and coverage of partners."""
    t = view.framework.theme(code)
    m = view.measures
    borough = m[m["level"].isin(["borough", "council"])]
    rows = borough[borough["theme"] == code]
    latest = _latest(rows, view)
    blocks: list[rb.Block] = [
        rb.heading(f"{t.code} {t.name}: {t.ambition}", 2, anchor=f"theme-{t.code.lower()}"),
        rb.para(("b", "Outcomes: "), "; ".join(t.outcomes) + "."),
    ]
    silent = [m for m in t.measures if m.id not in set(latest["measure_id"])]
    if latest.empty:
        blocks.append(
            rb.note(f"No partner reported on any {t.name} measure in {view.latest_period}.")
        )
    else:
        table = _measure_table(view, latest, coverage=True)
        table["caption"] = f"{t.code} measures in {view.latest_period}: borough totals"
        blocks.append(table)
    with_history = _sorted_ids(rows.loc[rows["value"].notna(), "measure_id"])
    if with_history:
        blocks.append(
            charts.trend_chart(
                f"{t.code} {t.name}: trend per measure",
                view.periods,
                _series(view, rows, with_history),
            )
        )
    if silent:
        blocks.append(
            rb.para(
                ("b", "Not reported by any partner: "),
                "; ".join(f"{m.id} {m.short}" for m in silent) + ".",
            )
        )
    return Blocks(blocks)


def council_targets(view: AudienceView) -> Blocks:
    """Target against actual for every borough measure that has a target."""
    latest = _latest(_rows(view, "borough"), view)
    latest = latest[latest["achieved_share"].notna()].sort_values("measure_id")
    if latest.empty:
        return Blocks([rb.note("No measure has a target this year.")])
    items = [
        (
            r.measure_id,
            (_measure(view, r.measure_id) or _dummy(r.measure_id)).short,
            float(r.achieved_share),
            str(r.status),
        )
        for r in latest.itertuples()
    ]
    return Blocks([charts.target_chart(f"Target against actual, {view.latest_period}", items)])


def _dummy(mid: str) -> Any:
    class _M:
        short = mid
        unit = "count"

    return _M()


#: The spend shares the council report shows: findings.json `spend` flag and its label.
SPEND_FLAGS = (
    ("local", "Suppliers in the borough (CS2-02)"),
    ("sme", "Small and medium-sized enterprises (SMEs)"),
    ("vcfs", "Voluntary and community sector (VCFS)"),
    ("local_vcfs", "VCFS in the borough (CS2-03)"),
)


def _pts(v: Any) -> str:
    f = _num(v)
    return "—" if f is None else f"{f:+.1f} pts"


def _local_districts(workspace: str | Path) -> tuple[list[str], str, dict[str, Any]]:
    """The postcode districts counted as in the borough (from the compute settings in
    params.yaml, as the compute stage read them), the file they came from, and the settings."""
    settings = load_params(Path(workspace) / "params.yaml").get("compute") or {}
    name = str(settings.get("local_postcode_districts") or "")
    path = Path(name) if Path(name).is_absolute() else Path(workspace) / name
    if name and not path.is_file():  # as compute does: the project's own copy otherwise
        path = Path(__file__).resolve().parents[1] / name
    if not name or not path.is_file():
        return [], name, settings
    frame = pd.read_csv(path, dtype=str)
    if "district" not in frame.columns:
        return [], name, settings
    districts = frame["district"].dropna().str.upper().str.replace(r"\s+", "", regex=True)
    return sorted(set(districts)), name, settings


def council_spend(view: AudienceView, workspace: str | Path = ".") -> Blocks:
    """Council only: the share of the council's spend with local, SME and VCFS suppliers."""
    spend = view.findings.get("spend") or {}
    by_period = spend.get("by_period") or {}
    if not by_period:
        return Blocks(
            [
                rb.note(
                    "No council spend data was supplied for this review cycle (spend.csv with "
                    "suppliers.csv), so the shares of spend with local, SME and voluntary-sector "
                    "suppliers are not shown."
                )
            ]
        )
    periods = sorted(by_period)
    districts, source, settings = _local_districts(workspace)
    listed = f"{', '.join(districts) or 'none listed'} ({source})"
    if settings.get("postcode_lookup"):
        where = (
            f"{listed}. A full postcode counts as in the borough when the ONS postcode lookup "
            f"{settings['postcode_lookup']} places it in local authority "
            f"{settings.get('local_authority_code') or 'E06000034'}; a postcode given only as a "
            "district counts when the district is listed."
        )
    else:
        where = (
            f"{listed}. A supplier counts as in the borough when its postcode district is listed."
        )
    blocks: list[rb.Block] = [
        rb.para(
            "Spend from the council's published spend over £500, joined to the supplier "
            "register. Each share is a percentage of all spend in the financial year. Spend "
            "whose supplier is not in the register, or whose postcode, type or size is not "
            "recorded, is unclassified and never guessed: the true share lies between the "
            "share shown and the share plus the unclassified part."
        ),
        rb.para(("b", "Postcode districts used: "), where),
        rb.table(
            ["Year", "Spend", "Payments", "Suppliers paid", "Matched to the register"],
            [
                [
                    p,
                    fmt(_num(by_period[p].get("total_gbp")), "GBP"),
                    fmt(_num(by_period[p].get("payments")), "count"),
                    fmt(_num(by_period[p].get("suppliers")), "count"),
                    _pct(by_period[p].get("matched_share"), signed=False),
                ]
                for p in periods
            ],
            caption="Council spend by financial year",
            numeric=(1, 2, 3, 4),
            widths=(0.8, 1.3, 0.9, 1, 1.3),
        ),
        rb.table(
            ["Year", "Spend with", "Share of all spend", "Unclassified", "Change since last year"],
            [
                [
                    p,
                    label,
                    _pct(by_period[p].get(f"{flag}_share"), signed=False),
                    _pct(by_period[p].get(f"{flag}_unclassified_share"), signed=False),
                    _pts(by_period[p].get(f"{flag}_share_change_pts")),
                ]
                for p in periods
                for flag, label in SPEND_FLAGS
            ],
            caption=(
                "Share of council spend with local, SME and voluntary-sector suppliers "
                "(change in percentage points)"
            ),
            numeric=(2, 3, 4),
            widths=(0.8, 2.6, 1, 1, 1.1),
        ),
    ]
    return Blocks(blocks)


def council_gaps(view: AudienceView) -> Blocks:
    gaps = view.findings.get("gaps") or {}
    fw = view.framework
    blocks: list[rb.Block] = []
    uncovered = gaps.get("uncovered_measures") or []
    if uncovered:
        blocks.append(rb.para(("b", "Measures no contract commits to: "), ""))
        blocks.append(
            rb.bullets(f"{mid} {(_measure(view, mid) or _dummy(mid)).short}" for mid in uncovered)
        )
    outcomes = gaps.get("uncovered_outcomes") or []
    if outcomes:
        blocks.append(rb.para(("b", "Outcomes with no committed measure: "), ""))
        blocks.append(rb.bullets(str(o) for o in outcomes))
    no_outcomes = gaps.get("contracts_without_outcomes") or []
    if no_outcomes:
        names = _names(view)
        blocks.append(
            rb.table(
                ["Contract", "Partner", "Title"],
                [
                    [
                        c.get("contract_id"),
                        names.get(str(c.get("partner_id")), _text(c.get("partner_id"))),
                        _text(c.get("title")),
                    ]
                    if isinstance(c, dict)
                    else [str(c), "", ""]
                    for c in no_outcomes
                ],
                caption="Current contracts that commit to no outcome measure",
                widths=(1, 2, 3),
            )
        )
    share = gaps.get("theme_contract_value_share") or {}
    if share:
        blocks.append(
            rb.table(
                ["Theme", "Share of contract value committed to it"],
                [[f"{t.code} {t.name}", _share(share.get(t.code))] for t in fw],
                caption="Where committed contract value goes, by theme",
                numeric=(1,),
                widths=(2, 2),
            )
        )
    if not blocks:
        blocks.append(rb.note("No gaps in provision were found."))
    return Blocks(blocks)


def _names(view: AudienceView) -> dict[str, str]:
    return {str(r.partner_id): str(r.name) for r in view.partners.itertuples()}


def council_attention(view: AudienceView) -> Blocks:
    names = _names(view)
    enforcement = view.findings.get("enforcement") or []
    blocks: list[rb.Block] = []
    if enforcement:
        blocks.append(
            rb.table(
                ["Contract", "Partner", "Measure", "Periods without a return"],
                [
                    [
                        e.get("contract_id"),
                        names.get(str(e.get("partner_id")), e.get("partner_id")),
                        f"{e.get('measure_id')} {(_measure(view, str(e.get('measure_id'))) or _dummy('')).short}",
                        ", ".join(e.get("periods") or []),
                    ]
                    for e in enforcement
                ],
                caption="Contracts for management attention: committed measures with no return",
                widths=(1, 2, 2.4, 1.4),
            )
        )
    else:
        blocks.append(rb.note("No contract needs management attention this year."))
    endorsed = view.findings.get("endorsement") or []
    if endorsed:
        blocks.append(
            rb.table(
                ["Partner", "Name"],
                [[p, names.get(str(p), "")] for p in endorsed],
                caption="Partners to endorse: every committed measure on track",
                widths=(1, 3),
            )
        )
    else:
        blocks.append(rb.note("No partner met every commitment this year."))
    return Blocks(blocks)


def partner_status_table(view: AudienceView) -> Blocks:
    """Council only: every partner's theme status and returns."""
    ts = view.theme_status
    ts = ts[(ts["level"] == "partner") & (ts["period"] == view.latest_period)]
    rows = []
    q = view.validation.get("partners") or {}
    for r in view.partners.sort_values("partner_id").itertuples():
        own = ts[ts["partner_id"] == r.partner_id]
        statuses = own["status"].tolist()
        worst = next(
            (s for s in ("off track", "no return", "at risk", "on track") if s in statuses),
            "no data",
        )
        qp = q.get(str(r.partner_id), {})
        rows.append(
            [
                r.partner_id,
                r.name,
                rb.status_label(worst),
                str(qp.get("rows", "—")),
                str(qp.get("quarantined", "—")),
            ]
        )
    return Blocks(
        [
            rb.table(
                ["Partner", "Name", "Overall status", "Rows sent", "Rows rejected"],
                rows,
                caption=f"Partners in {view.latest_period} (overall: the worst theme status)",
                numeric=(3, 4),
                status_col=2,
                widths=(0.8, 2.6, 1.2, 0.8, 0.9),
            )
        ]
    )


def data_quality(view: AudienceView, link_prefix: str = "../") -> Blocks:
    v = view.validation
    totals = v.get("totals") or {}
    blocks: list[rb.Block] = [
        rb.para(
            f"{totals.get('rows', 0):,} input rows: {totals.get('clean', 0):,} accepted, "
            f"{totals.get('superseded', 0):,} superseded by a later submission and "
            f"{totals.get('quarantined', 0):,} rejected. Pass rate "
            f"{_share(v.get('pass_rate'))}. Counts "
            f"{'reconcile' if v.get('reconciles') else 'DO NOT reconcile'} between raw and "
            "clean."
        ),
    ]
    review = v.get("review")  # recorded by `svf review --sign` (pipeline/review.py)
    if isinstance(review, dict) and review.get("by"):
        blocks.append(
            rb.para(f"Data quality reviewed by {review['by']} on {str(review.get('at'))[:10]}.")
        )
    exp = v.get("expectations") or []
    failing = [e for e in exp if e.get("failed")]
    if failing:
        blocks.append(
            rb.table(
                ["File kind", "Check", "Column", "Rows checked", "Failed", "Pass rate"],
                [
                    [
                        e.get("kind"),
                        e.get("expectation"),
                        e.get("column") or "",
                        e.get("evaluated"),
                        e.get("failed"),
                        _share(e.get("pass_rate")),
                    ]
                    for e in failing
                ],
                caption="Checks that rejected rows",
                numeric=(3, 4, 5),
                widths=(0.9, 2.6, 1, 0.8, 0.7, 0.8),
            )
        )
    if view.data_docs:
        blocks.append(
            {
                "type": "link",
                "text": "Open the full data-quality results (Data Docs)",
                "href": f"{link_prefix}data-quality/index.html",
            }
        )
    return Blocks(blocks)


def appendix(view: AudienceView, workspace: str | Path = ".") -> Blocks:
    """The framework's own wording and the method: roll-up, thresholds, proxies."""
    fw = view.framework
    params = load_params(Path(workspace) / "params.yaml")
    st = params["status"]
    blocks: list[rb.Block] = [
        rb.heading("Method", 3),
        rb.bullets(
            [
                "Partners' returns are added up per measure as the framework says: a sum for counts, "
                "hours and money; a mean or a weighted mean for percentages.",
                f"Status: on track when the achieved share of target is at least "
                f"{float(st['on_track']) * 100:.0f}%, at risk from {float(st['at_risk']) * 100:.0f}%, "
                "off track below that. Without a target, a year-on-year move the wrong way counts as at "
                f"risk (within {float(st['flat_tolerance_pct']):g}% counts as flat).",
                "A missing return is never counted as zero: it shows as 'no return' and is left out of "
                "totals.",
                "Social value in GBP is an estimate: the figure times a proxy value per unit.",
            ]
        ),
    ]
    proxies = fw.proxies
    if proxies:
        blocks.append(
            rb.table(
                ["Proxy", "GBP per unit", "Source"],
                [[p.key, f"£{p.gbp_per_unit:,.2f}", p.source] for p in proxies.values()],
                caption="Proxy values",
                numeric=(1,),
                widths=(1.2, 0.9, 4),
            )
        )
    if view.is_council:
        for t in fw:
            blocks.append(
                rb.table(
                    ["Id", "Measure (framework wording)", "Unit", "Better", "Roll-up"],
                    [
                        [m.id, m.text, m.unit, m.direction, m.rollup.replace("_", " ")]
                        for m in t.measures
                    ],
                    caption=f"{t.code} {t.name}: {t.ambition}",
                    widths=(0.7, 4.2, 0.7, 0.6, 0.9),
                )
            )
    return Blocks(blocks)


# ---------------------------------------------------------------- partner


def _committed(view: AudienceView) -> list[str]:
    ids: set[str] = set()
    for v in view.contracts["outcome_measures"].fillna(""):
        ids.update(x.strip() for x in str(v).split(";") if x.strip())
    return sorted(ids)


def partner_summary(view: AudienceView) -> Blocks:
    mine = _latest(_rows(view, "partner"), view)
    committed = _committed(view)
    statuses = mine["status"].tolist()
    sv = ((view.findings.get("social_value") or {}).get("by_partner") or {}).get(view.audience)
    rejected = len(view.quarantine)
    blocks: list[rb.Block] = [
        rb.kpis(
            [
                (
                    "Measures committed",
                    str(len(committed)),
                    f"across {len(view.contracts)} contract(s)",
                ),
                (
                    "On track",
                    f"{statuses.count('on track')} of {len(mine)}",
                    f"measures due for {view.latest_period}",
                ),
                # No return is not zero: without a figure there is no estimate to show.
                (
                    "Social value delivered",
                    "—" if _num(sv) is None else fmt(_num(sv), "GBP"),
                    "estimated from proxy values"
                    if _num(sv) is not None
                    else "no return with a proxy value",
                ),
                ("Rows rejected", str(rejected), "see 'Returns we could not accept'"),
            ]
        )
    ]
    if not mine.empty:
        table = _measure_table(view, mine, coverage=False)
        table["caption"] = f"Your returns for {view.latest_period} against your targets"
        blocks.append(table)
        items = [
            (
                r.measure_id,
                (_measure(view, r.measure_id) or _dummy(r.measure_id)).short,
                float(r.achieved_share),
                str(r.status),
            )
            for r in mine.sort_values("measure_id").itertuples()
            if _num(r.achieved_share) is not None
        ]
        if items:
            blocks.append(
                charts.target_chart(f"Your target against actual, {view.latest_period}", items)
            )
    else:
        blocks.append(rb.note(f"We have no return from you for {view.latest_period}."))
    return Blocks(blocks)


def partner_commitments(view: AudienceView) -> Blocks:
    rows = []
    for c in view.contracts.sort_values("contract_id").itertuples():
        measures = [x.strip() for x in str(c.outcome_measures or "").split(";") if x.strip()]
        rows.append(
            [
                c.contract_id,
                c.title,
                fmt(_num(c.value_gbp), "GBP"),
                "; ".join(f"{m} {(_measure(view, m) or _dummy(m)).short}" for m in measures)
                or "none",
                "yes" if bool(c.linked_to_subject_matter) else "no (contract terms)",
            ]
        )
    if not rows:
        return Blocks([rb.note("No contracts are on record for you in this cycle.")])
    return Blocks(
        [
            rb.table(
                ["Contract", "Title", "Value", "Committed measures", "Linked to subject matter"],
                rows,
                caption="Your contracts and the outcomes you committed to",
                numeric=(2,),
                widths=(0.9, 1.8, 1, 2.8, 1.1),
            )
        ]
    )


def partner_history(view: AudienceView) -> Blocks:
    """Every measure the partner reported, year by year, with its trend."""
    rows = _rows(view, "partner")
    mids = _sorted_ids(rows["measure_id"])
    if not mids:
        return Blocks([rb.note("No returns on record.")])
    body = []
    for r in rows.sort_values(["measure_id", "period"]).itertuples():
        m = _measure(view, r.measure_id)
        unit = m.unit if m else "count"
        body.append(
            [
                r.measure_id,
                r.period,
                fmt(_num(r.value), unit),
                fmt(_num(r.target), unit),
                _share(r.achieved_share),
                _pct(r.yoy_pct),
                rb.status_label(r.status),
            ]
        )
    return Blocks(
        [
            rb.table(
                ["Measure", "Year", "Value", "Target", "Achieved", "Change", "Status"],
                body,
                caption="Your returns by year",
                numeric=(2, 3, 4, 5),
                status_col=6,
                widths=(0.9, 0.9, 1, 1, 0.9, 0.9, 1.2),
            ),
            charts.trend_chart("Your figures by year", view.periods, _series(view, rows, mids)),
        ]
    )


def partner_social_value(view: AudienceView) -> Blocks:
    mine = _latest(_rows(view, "partner"), view)
    mine = mine[mine["value_gbp"].notna()]
    if mine.empty:
        return Blocks(
            [
                rb.note(
                    "None of your measures has a proxy value, so no social value in "
                    "GBP is estimated."
                )
            ]
        )
    rows = []
    for r in mine.sort_values("measure_id").itertuples():
        m = _measure(view, r.measure_id)
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                fmt(_num(r.value), m.unit if m else ""),
                fmt(_num(r.value_gbp), "GBP"),
            ]
        )
    total = float(mine["value_gbp"].sum())
    rows.append(["Total", "", "", fmt(total, "GBP")])
    return Blocks(
        [
            rb.table(
                ["Measure", "", view.latest_period, "Social value"],
                rows,
                caption="Social value you delivered (figure times proxy value)",
                numeric=(2, 3),
                widths=(0.9, 2.8, 1.2, 1.2),
            )
        ]
    )


def partner_rejected(view: AudienceView) -> Blocks:
    q = view.quarantine
    if q.empty:
        return Blocks([rb.para("Every row you sent was accepted. Thank you.")])
    rows = [
        [
            _text(r.source_file),
            "" if pd.isna(r.source_row) else str(int(r.source_row)),
            _text(r.column),
            _text(r.reason),
        ]
        for r in q.sort_values(["source_file", "source_row"]).itertuples()
    ]
    return Blocks(
        [
            rb.para(
                f"We could not accept {len(q)} row(s) you sent. Please correct them and send "
                "them again with your next return."
            ),
            rb.table(
                ["File", "Row", "Column", "Why"],
                rows,
                caption="Rows we could not accept",
                numeric=(1,),
                widths=(1.4, 0.5, 1, 4),
            ),
        ]
    )


def partner_comments(view: AudienceView) -> Blocks:
    """The evidence and comments the partner gave with its latest returns, as typed."""
    r = view.returns
    if r.empty or "period" not in r.columns:
        return Blocks([rb.note("No returns on record for this year.")])
    r = r[r["period"] == view.latest_period]
    cols = [c for c in ("evidence", "comment") if c in r.columns]
    if r.empty or not cols:
        return Blocks([rb.note(f"No returns on record for {view.latest_period}.")])
    r = r[r[cols].notna().any(axis=1)]
    if r.empty:
        return Blocks(
            [rb.para(f"You gave no evidence or comments with your {view.latest_period} returns.")]
        )
    rows = []
    for x in r.sort_values(["contract_id", "measure_id"]).itertuples():
        verified = getattr(x, "verified", None)
        rows.append(
            [
                x.contract_id,
                x.measure_id,
                getattr(x, "evidence", None) or "",
                "" if verified is None or pd.isna(verified) else ("yes" if verified else "no"),
                getattr(x, "comment", None) or "",
            ]
        )
    return Blocks(
        [
            rb.table(
                ["Contract", "Measure", "Evidence", "Verified", "Your comment"],
                rows,
                caption=f"Evidence and comments with your {view.latest_period} returns",
                widths=(0.9, 0.8, 2, 0.7, 3),
            )
        ]
    )


def partner_borough(view: AudienceView) -> Blocks:
    """How the borough as a whole moved on the partner's measures (totals only, no partners).

    Figures resting on fewer than `min_partners_for_borough` partners were removed from the view
    (`report_data.suppress_small_cells`); they read "not shown", with the reason below the table.
    """
    mids = _sorted_ids(_rows(view, "partner")["measure_id"])
    b = _latest(_rows(view, "borough"), view)
    b = b[b["measure_id"].isin(mids)]
    if b.empty:
        return Blocks([rb.note("No borough figures for your measures this year.")])
    k = view.min_partners_for_borough
    hidden = "not shown"
    rows, withheld = [], []
    for r in b.sort_values("measure_id").itertuples():
        m = _measure(view, r.measure_id)
        unit = m.unit if m else "count"
        now = bool(getattr(r, "suppressed", False))
        before = bool(getattr(r, "prev_suppressed", False))
        change_hidden = now or before
        if now or before:
            years = [p for p, h in ((r.prev_period, before), (r.period, now)) if h and p]
            withheld.append(f"{r.measure_id} {m.short if m else ''} ({', '.join(years)})")
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                hidden if before else fmt(_num(r.prev_value), unit),
                hidden if now else fmt(_num(r.value), unit),
                hidden if change_hidden else _pct(r.yoy_pct),
                f"fewer than {k} partners"
                if now
                else hidden
                if before and _text(r.status) == ""
                else rb.status_label(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            ["Measure", "", "Last year", view.latest_period, "Change", "Borough status"],
            rows,
            caption="The borough as a whole (all partners together) on your measures",
            numeric=(2, 3, 4),
            status_col=5,
            widths=(0.9, 2.5, 1, 1, 0.8, 1.2),
        )
    ]
    if withheld:
        blocks.append(
            rb.note(
                f"Borough figures not shown for {'; '.join(withheld)}. "
                f"{suppressed_reason(k).capitalize()} (from a total of so few and your own "
                "figure, another partner's could be worked out)."
            )
        )
    return Blocks(blocks)
