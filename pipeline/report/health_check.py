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

from pipeline.core.framework import Measure
from pipeline.core.settings import load_params
from pipeline.core.status import (
    NO_DATA,
    NO_RETURN,
    NO_TARGET,
    Thresholds,
    partner_overall,
    rules_in_words,
)
from pipeline.report import blocks as rb
from pipeline.report import charts
from pipeline.report.blocks import Blocks
from pipeline.report.views import AudienceView, suppressed_reason

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


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """`1 contract`, `2 contracts`: a count with its noun, never `contract(s)`."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _pct(v: Any, signed: bool = True) -> str:
    f = _num(v)
    if f is None:
        return "—"
    return f"{f:+.1f}%" if signed else f"{f:.1f}%"


def _share(v: Any) -> str:
    f = _num(v)
    return "—" if f is None else f"{f * 100:.0f}%"


NOT_COMPARABLE = "not comparable"


def _change(r: Any) -> str:
    """The like-for-like change of a row (the same contracts in both years), as a reader sees it.

    `—` without a figure this year, or without one last year (nothing to compare);
    `not comparable` when there are figures for both years but no contract returned the measure
    in both (so any change would only show who reported).
    """
    if _num(getattr(r, "value", None)) is None:
        return "—"
    if _num(getattr(r, "prev_value", None)) is None:
        return "—"
    pct = _num(getattr(r, "lfl_yoy_pct", None))
    if pct is not None:
        return _pct(pct)
    before, now = _num(getattr(r, "lfl_prev_value", None)), _num(getattr(r, "lfl_value", None))
    if before == 0 and now is not None:
        return "from 0" if now else "no change"
    return NOT_COMPARABLE


def _thresholds(view: AudienceView) -> Thresholds:
    t = view.findings.get("thresholds") or {}
    return Thresholds(
        float(t.get("on_track", Thresholds.on_track)),
        float(t.get("at_risk", Thresholds.at_risk)),
        float(t.get("flat_tolerance_pct", Thresholds.flat_tolerance_pct)),
    )


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


def pass_rates(validation: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Rows accepted and rows read, for partner returns and for the council's own files apart.

    A superseded row was accepted (a later submission replaced it). One bad spend file must not
    make every partner look bad, so the two are never pooled.
    """
    out = {"returns": [0, 0], "council": [0, 0]}
    for f in validation.get("files") or []:
        group = "returns" if f.get("kind") == "returns" else "council"
        out[group][0] += int(f.get("clean") or 0) + int(f.get("superseded") or 0)
        out[group][1] += int(f.get("rows") or 0)
    return {k: (a, b) for k, (a, b) in out.items()}


def _rate(accepted: int, rows: int) -> str:
    return "—" if rows == 0 else f"{accepted / rows * 100:.0f}%"


def council_summary(view: AudienceView) -> Blocks:
    """Page one: the summary a councillor reads first, then every theme at a glance."""
    fw = view.framework
    ts = _theme_counts(view, "borough").set_index("theme")
    sv = view.findings.get("social_value") or {}
    coverage = (view.findings.get("coverage") or {}).get(view.latest_period)
    n_partners = len(view.partners)
    statuses = [str(ts.loc[t.code, "status"]) if t.code in ts.index else NO_DATA for t in fw]
    on = sum(s == "on track" for s in statuses)
    rates = pass_rates(view.validation)
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(council_sentences(view)),
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
                    f"{coverage if coverage is not None else 0} of {n_partners}",
                    f"made a return for {view.latest_period}",
                ),
                (
                    "Returns accepted",
                    _rate(*rates["returns"]),
                    f"{rates['returns'][0]:,} of {rates['returns'][1]:,} rows partners sent",
                ),
                (
                    "Council files accepted",
                    _rate(*rates["council"]),
                    f"{rates['council'][0]:,} of {rates['council'][1]:,} rows of the registers "
                    "and spend",
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
                c("n_no_target"),
                c("n_no_data") + c("n_no_return"),
            )
        )
    blocks.append(
        charts.scorecard_chart(
            f"Theme status, {view.latest_period}", [(*i[:6], i[6] + i[7]) for i in items]
        )
    )
    blocks.append(
        rb.table(
            [
                "Theme",
                "Ambition",
                "Status",
                "On track",
                "At risk",
                "Off track",
                "No target",
                "No data",
            ],
            [
                [f"{code} {name}", fw.theme(code).ambition, rb.status_label(st), a, b, c_, d, e]
                for code, name, st, a, b, c_, d, e in items
            ],
            caption=f"Theme status in {view.latest_period} (borough, all partners)",
            numeric=(3, 4, 5, 6, 7),
            status_col=2,
            widths=(1.3, 2.6, 1.1, 0.6, 0.6, 0.6, 0.6, 0.6),
        )
    )
    blocks.extend(headline_changes(view).blocks)
    return Blocks(blocks)


def ranked_changes(rows: pd.DataFrame, view: AudienceView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of the latest year with a like-for-like change, largest move first; and the rows
    with a figure this year and last year but no like-for-like base (not comparable)."""
    latest = _latest(rows, view)
    has = latest["value"].notna()
    comparable = latest[has & latest["lfl_yoy_pct"].notna()].copy()
    comparable["_move"] = comparable["lfl_yoy_pct"].abs()
    comparable = comparable.sort_values(["_move", "measure_id"], ascending=[False, True])
    other = latest[has & latest["lfl_yoy_pct"].isna() & latest["prev_value"].notna()]
    return comparable, other


def _direction(view: AudienceView, r: Any) -> str:
    m = _measure(view, r.measure_id)
    sign = -1.0 if m is not None and m.direction == "lower" else 1.0
    good = float(r.lfl_yoy_pct) * sign
    tol = _thresholds(view).flat_tolerance_pct
    return "better" if good > tol else "worse" if good < -tol else "about the same"


def council_sentences(view: AudienceView) -> list[str]:
    """Five to eight plain sentences a councillor reads first; each states a number shown
    further down the report (theme table, headline changes, attention lists, spend)."""
    fw = view.framework
    latest = view.latest_period
    ts = _theme_counts(view, "borough").set_index("theme")
    statuses = {
        t.code: (str(ts.loc[t.code, "status"]) if t.code in ts.index else NO_DATA) for t in fw
    }
    on = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == "on track"]
    off = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == "off track"]
    out = [
        f"{len(on)} of {len(fw.themes)} themes are on track in {latest}"
        + (f" ({', '.join(on)})" if on else "")
        + (f"; off track: {', '.join(off)}." if off else ".")
    ]
    coverage = (view.findings.get("coverage") or {}).get(latest)
    out.append(
        f"{coverage or 0} of {len(view.partners)} registered partners made a return for {latest}."
    )
    comparable, _ = ranked_changes(_rows(view, "borough"), view)
    if not comparable.empty:
        judged = [(r, _direction(view, r)) for r in comparable.itertuples()]
        better = [r for r, d in judged if d == "better"]
        worse = [r for r, d in judged if d == "worse"]
        for word, group in (("improvement", better), ("decline", worse)):
            if group:
                r = group[0]
                m = _measure(view, r.measure_id) or _dummy(r.measure_id)
                out.append(
                    f"The biggest like-for-like {word} was {r.measure_id} {m.short}: "
                    f"{_pct(r.lfl_yoy_pct)} on the {_n(int(r.lfl_contracts), 'contract')} that "
                    "reported it in both years."
                )
    missing = view.findings.get("missing_returns") or []
    who = len({m.get("partner_id") for m in missing})
    out.append(
        f"{_n(len(missing), 'committed return')} for {latest} "
        f"{'is' if len(missing) == 1 else 'are'} missing from {_n(who, 'partner')}: "
        "chase them (see Returns to chase)."
        if missing
        else f"Every committed return for {latest} came in."
    )
    current = [e for e in view.findings.get("enforcement") or [] if e.get("current")]
    out.append(
        f"{_n(len(current), 'contract measure')} {'has' if len(current) == 1 else 'have'} been "
        "off track two years running: consider enforcement (see Contracts for enforcement)."
        if current
        else "No contract measure has been off track two years running."
    )
    endorsed = view.findings.get("endorsement") or []
    names = _names(view)
    out.append(
        f"{_n(len(endorsed), 'partner')} met every commitment with a target and can be endorsed: "
        f"{', '.join(names.get(str(p), str(p)) for p in endorsed)}."
        if endorsed
        else "No partner met every commitment this year, so none is endorsed."
    )
    by_period = ((view.findings.get("spend") or {}).get("by_period")) or {}
    if by_period:
        p = max(by_period)
        s = by_period[p]
        out.append(
            f"In {p}, {_pct(s.get('local_share'), signed=False)} of council spend went to "
            f"suppliers in the borough, {_pct(s.get('sme_share'), signed=False)} to SMEs and "
            f"{_pct(s.get('vcfs_share'), signed=False)} to the voluntary and community sector."
        )
    return out


def headline_changes(view: AudienceView, limit: int = 6) -> Blocks:
    """The largest like-for-like moves at borough level (the same contracts in both years).

    A borough total can move only because different partners reported; the change shown and
    ranked is therefore the like-for-like one, with its coverage. A measure with no contract in
    both years is named as not comparable and never ranked.
    """
    comparable, other = ranked_changes(_rows(view, "borough"), view)
    if comparable.empty and other.empty:
        return Blocks([rb.note("No year-on-year changes: no measure has figures for two years.")])
    blocks: list[rb.Block] = [rb.heading("Headline changes since last year", 3)]
    if not comparable.empty:
        rows = []
        for r in comparable.head(limit).itertuples():
            m = _measure(view, r.measure_id)
            unit = m.unit if m else "count"
            rows.append(
                [
                    r.measure_id,
                    m.short if m else "",
                    fmt(_num(r.lfl_prev_value), unit),
                    fmt(_num(r.lfl_value), unit),
                    _pct(r.lfl_yoy_pct),
                    f"{int(r.lfl_contracts)} of {int(r.n_returns)}",
                    _direction(view, r),
                ]
            )
        prev = str(comparable["prev_period"].iloc[0])
        blocks.append(
            rb.table(
                [
                    "Measure",
                    "",
                    prev,
                    view.latest_period,
                    "Change",
                    "Contracts in both years",
                    "Direction",
                ],
                rows,
                caption=(
                    "Largest like-for-like changes across the borough: figures over the same "
                    "contracts in both years"
                ),
                numeric=(2, 3, 4, 5),
                widths=(0.8, 2.4, 0.9, 0.9, 0.8, 1, 1),
            )
        )
    if not other.empty:
        blocks.append(
            rb.para(
                ("b", "Not comparable: "),
                "; ".join(
                    f"{r.measure_id} {(_measure(view, r.measure_id) or _dummy(r.measure_id)).short}"
                    for r in other.sort_values("measure_id").itertuples()
                )
                + ". No contract returned these in both years, so a change would only show "
                "which partners reported.",
            )
        )
    return Blocks(blocks)


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
            _change(r),
            rb.status_label(r.status),
        ]
        if coverage:
            line.append(
                str(int(r.partners_covered)) if _num(r.partners_covered) is not None else "0"
            )
        body.append(line)
    cols = ["Measure", "", view.latest_period, "Target", "Achieved", "Change", "Status"]
    widths = [0.8, 2.4, 0.9, 0.9, 0.8, 1, 1.1]
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


def _series(
    view: AudienceView, rows: pd.DataFrame, mids: list[str], prefix: str = ""
) -> list[charts.Series]:
    """One chart series per measure: the value and that year's own target, every period, and
    for a year without a figure its status (`no return`, or `no data` when none was expected;
    `no spend data` for a council-level figure)."""
    out: list[charts.Series] = []
    for mid in mids:
        m = _measure(view, mid)
        r = rows[rows["measure_id"] == mid].drop_duplicates("period").set_index("period")
        values = [_num(r.loc[p, "value"]) if p in r.index else None for p in view.periods]
        targets = [_num(r.loc[p, "target"]) if p in r.index else None for p in view.periods]
        council = bool(len(r)) and str(r["level"].iloc[0]) == "council"
        missing = [
            "no spend data"
            if council
            else NO_RETURN
            if p in r.index and r.loc[p, "status"] == NO_RETURN
            else NO_DATA
            for p in view.periods
        ]
        short = prefix + (m.short if m else mid)
        out.append((mid, short, m.unit if m else "count", values, targets, missing))
    return out


def council_theme(view: AudienceView, code: str) -> Blocks:
    """One theme: its outcomes, each measure's latest figure, trend and coverage of partners.

    Partner-reported figures (borough totals of the returns) and council-level figures (computed
    from the council's own spend) are different things, so they get separate tables and lines.
    """
    t = view.framework.theme(code)
    m = view.measures
    rows = m[m["level"].eq("borough") & m["theme"].eq(code)]
    council = m[m["level"].eq("council") & m["theme"].eq(code)]
    latest = _latest(rows, view)
    blocks: list[rb.Block] = [
        rb.heading(f"{t.code} {t.name}: {t.ambition}", 2, anchor=f"theme-{t.code.lower()}"),
        {**rb.para(("b", "Outcomes: "), "; ".join(t.outcomes) + "."), "keep_with_next": True},
    ]
    reported = latest[latest["value"].notna()]
    if reported.empty:
        blocks.append(
            rb.note(f"No partner reported on any {t.name} measure in {view.latest_period}.")
        )
    else:
        table = _measure_table(
            view,
            latest[latest["measure_id"].isin([x.id for x in t.measures if x.level == "partner"])],
            coverage=True,
        )
        table["caption"] = (
            f"{t.code} measures reported by partners in {view.latest_period}: borough totals"
        )
        blocks.append(table)
    council_latest = _latest(council, view)
    if not council_latest.empty:
        blocks.append(_council_measure_table(view, council_latest))
    series = _series(view, rows, _sorted_ids(rows.loc[rows["value"].notna(), "measure_id"]))
    series += _series(
        view,
        council,
        _sorted_ids(council.loc[council["value"].notna(), "measure_id"]),
        "(council spend) ",
    )
    if series:
        blocks.append(
            charts.trend_chart(f"{t.code} {t.name}: trend per measure", view.periods, series)
        )
    silent = [
        x for x in t.measures if x.level == "partner" and x.id not in set(reported["measure_id"])
    ]
    if silent:
        blocks.append(
            rb.para(
                ("b", f"Not reported by any partner in {view.latest_period}: "),
                "; ".join(f"{x.id} {x.short}" for x in silent) + ".",
            )
        )
    return Blocks(blocks)


def _council_measure_table(view: AudienceView, rows: pd.DataFrame) -> rb.Block:
    """Council-level measures (from the council's own spend): share, change, payments."""
    body = []
    for r in rows.sort_values("measure_id").itertuples():
        m = _measure(view, r.measure_id)
        body.append(
            [
                r.measure_id,
                f"{m.short if m else ''} (council spend)",
                fmt(_num(r.value), m.unit if m else "percent"),
                _pts(r.yoy_abs),
                rb.status_label(r.status),
                fmt(_num(r.n_returns), "count"),
                fmt(_num(r.partners_covered), "count"),
            ]
        )
    return rb.table(
        [
            "Measure",
            "",
            "Share of council spend",
            "Change",
            "Status",
            "Payments",
            "Suppliers paid",
        ],
        body,
        caption=(
            f"Council-level measures in {view.latest_period}: computed from the council's own "
            "spend, not reported by partners (see the spend section)"
        ),
        numeric=(2, 3, 5, 6),
        status_col=4,
        widths=(0.8, 2.4, 1, 0.9, 1.1, 0.8, 0.8),
    )


def council_targets(view: AudienceView) -> Blocks:
    """Target against actual for every borough measure that has a target."""
    latest = _latest(_rows(view, "borough"), view)
    latest = latest[latest["achieved_share"].notna()].sort_values("measure_id")
    if latest.empty:
        return Blocks(
            [
                rb.note(
                    "No borough figure has a target this year: a borough target is shown only "
                    "when every return behind the figure carries one."
                )
            ]
        )
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
        path = Path(__file__).resolve().parents[2] / name
    if not name or not path.is_file():
        return [], name, settings
    frame = pd.read_csv(path, dtype=str)
    if "district" not in frame.columns:
        return [], name, settings
    districts = frame["district"].dropna().str.upper().str.replace(r"\s+", "", regex=True)
    return sorted(set(districts)), name, settings


def _spend_reading_blocks(reading: dict[str, Any]) -> list[rb.Block]:
    """What was read of each spend file, what was refused and why (from validation)."""
    files = reading.get("files") or []
    if not files:
        return []
    rows = []
    reasons: list[str] = []
    for f in files:
        if f.get("refused"):
            state = "refused"
        elif f.get("quarantined"):
            state = "read, some lines set aside"
        else:
            state = "read"
        rows.append(
            [
                f["file"],
                state,
                fmt(_num(f.get("lines")), "count"),
                fmt(_num(f.get("clean")), "count"),
                fmt(_num(f.get("quarantined")), "count"),
            ]
        )
        if f.get("refused"):
            reasons.append(f"{f['file']}: refused as a whole: {f['refused']}")
        if f.get("header_row"):
            reasons.append(
                f"{f['file']}: the column headings are on line {f['header_row']}; the "
                f"{int(f['header_row']) - 1} lines of title above them are not payments."
            )
        for r in (f.get("reasons") or [])[:4]:
            reasons.append(
                f"{f['file']}: {fmt(_num(r['lines']), 'count')} "
                f"{'line' if r['lines'] == 1 else 'lines'} set aside, for example "
                f"line {r['example_row']}: {r['example']}"
            )
    blocks: list[rb.Block] = [
        rb.table(
            ["Spend file", "Outcome", "Lines", "Payments used", "Lines set aside"],
            rows,
            caption="Council spend files read for this review",
            numeric=(2, 3, 4),
            widths=(2.2, 1.4, 0.8, 1, 1),
        )
    ]
    if reasons:
        blocks.append(rb.para(("b", "What was set aside and why: "), ""))
        blocks.append(rb.bullets(reasons))
    return blocks


def council_spend(view: AudienceView, workspace: str | Path = ".") -> Blocks:
    """Council only: the share of the council's spend with local, SME and VCFS suppliers, with
    what was read of the spend files, what was refused and why, the redacted and unclassified
    shares and the supplier match rate."""
    spend = view.findings.get("spend") or {}
    by_period = spend.get("by_period") or {}
    reading_blocks = _spend_reading_blocks(spend.get("reading") or {})
    if not by_period:
        if reading_blocks:
            return Blocks(
                [
                    rb.note(
                        "Council spend files were supplied, but none of their lines could be "
                        "used, so the shares of spend with local, SME and voluntary-sector "
                        "suppliers are not shown. The table below says why."
                    ),
                    *reading_blocks,
                ]
            )
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
            "recorded, is unclassified and never guessed. Payments whose supplier name the "
            "council withheld (redacted, usually payments to individuals) are counted in the "
            "total as their own class and never guessed either: the true share lies between "
            "the share shown and the share plus the unclassified and redacted parts."
        ),
        rb.para(("b", "Postcode districts used: "), where),
        *reading_blocks,
        rb.table(
            ["Year", "Spend", "Payments", "Suppliers paid", "Redacted", "Matched to the register"],
            [
                [
                    p,
                    fmt(_num(by_period[p].get("total_gbp")), "GBP"),
                    fmt(_num(by_period[p].get("payments")), "count"),
                    fmt(_num(by_period[p].get("suppliers")), "count"),
                    _pct(by_period[p].get("redacted_share"), signed=False),
                    _pct(by_period[p].get("matched_share"), signed=False),
                ]
                for p in periods
            ],
            caption=(
                "Council spend by financial year (redacted: share of spend; matched: share of "
                "the spend naming a supplier whose supplier is in the register)"
            ),
            numeric=(1, 2, 3, 4, 5),
            widths=(0.8, 1.3, 0.9, 1, 0.9, 1.2),
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
                "(change in percentage points; redacted spend is in neither column)"
            ),
            numeric=(2, 3, 4),
            widths=(0.8, 2.6, 1, 1, 1.1),
        ),
    ]
    top = spend.get("top_unmatched") or []
    if top:
        blocks.append(
            rb.para(
                ("b", "Suppliers not yet in the register, most spend first: "),
                "; ".join(f"{t['name']} ({fmt(_num(t['spend_gbp']), 'GBP')})" for t in top[:5])
                + f". {spend.get('unmatched_suppliers', len(top))} suppliers in all; "
                "the command svf suppliers writes them to a register to complete.",
            )
        )
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
    """Two lists with two different actions: returns to chase, and contracts for enforcement."""
    names = _names(view)
    latest = view.latest_period
    missing = view.findings.get("missing_returns") or []
    enforcement = [e for e in view.findings.get("enforcement") or [] if e.get("current")]
    blocks: list[rb.Block] = [rb.heading("Returns to chase", 3, anchor="chase")]
    if missing:
        blocks.append(
            rb.para(
                f"Committed measures with no return for {latest}: the contract committed to the "
                "measure and was running (or reported it last year), and nothing came. The "
                "action is to chase the return; a missing return is not counted as zero."
            )
        )
        blocks.append(
            rb.table(
                ["Contract", "Partner", "Measure", "Returned in an earlier year"],
                [
                    [
                        e.get("contract_id"),
                        names.get(str(e.get("partner_id")), _text(e.get("partner_id"))),
                        f"{e.get('measure_id')} "
                        f"{(_measure(view, str(e.get('measure_id'))) or _dummy('')).short}",
                        "yes" if e.get("reported_before") else "no, never returned",
                    ]
                    for e in missing
                ],
                caption=f"Returns to chase: committed measures with no return for {latest}",
                widths=(1, 2, 2.6, 1.2),
            )
        )
    else:
        blocks.append(rb.note(f"Every committed return for {latest} came in."))
    blocks.append(rb.heading("Contracts for enforcement", 3, anchor="enforcement"))
    if enforcement:
        blocks.append(
            rb.para(
                "Contract measures off track in two or more consecutive years up to "
                f"{latest}. The action is contract management: the partner did return, and "
                "fell short. 'Against target' says whether every one of those years was judged "
                "against a committed target (firmer ground) rather than a fall since the year "
                "before."
            )
        )
        blocks.append(
            rb.table(
                ["Contract", "Partner", "Measure", "Years off track", "Against target"],
                [
                    [
                        e.get("contract_id"),
                        names.get(str(e.get("partner_id")), _text(e.get("partner_id"))),
                        f"{e.get('measure_id')} "
                        f"{(_measure(view, str(e.get('measure_id'))) or _dummy('')).short}",
                        ", ".join(e.get("periods") or []),
                        "yes" if e.get("against_target") else "no",
                    ]
                    for e in enforcement
                ],
                caption="Contracts for enforcement: off track two years running",
                widths=(1, 2, 2.4, 1.4, 0.8),
            )
        )
    else:
        blocks.append(rb.note("No contract measure has been off track two years running."))
    blocks.append(rb.heading("Partners to endorse", 3, anchor="endorse"))
    endorsed = view.findings.get("endorsement") or []
    if endorsed:
        blocks.append(
            rb.table(
                ["Partner", "Name"],
                [[p, names.get(str(p), "")] for p in endorsed],
                caption=(
                    f"Partners to endorse: every measure with a target on track in {latest}, "
                    "and no committed return missing"
                ),
                widths=(1, 3),
            )
        )
    else:
        blocks.append(rb.note("No partner met every commitment this year."))
    return Blocks(blocks)


def partner_status_table(view: AudienceView) -> Blocks:
    """Council only: every partner's overall status (the same rule as the index and the
    partner's own report) and the rows it sent."""
    overall = partner_overall(view.measures, view.latest_period)
    rows = []
    q = view.validation.get("partners") or {}
    for r in view.partners.sort_values("partner_id").itertuples():
        qp = q.get(str(r.partner_id), {})
        rows.append(
            [
                r.partner_id,
                r.name,
                rb.status_label(overall.get(str(r.partner_id), NO_DATA)),
                fmt(_num(qp.get("rows")) or 0, "count"),
                fmt(_num(qp.get("quarantined")) or 0, "count"),
            ]
        )
    return Blocks(
        [
            rb.table(
                ["Partner", "Name", "Overall status", "Rows sent", "Rows rejected"],
                rows,
                caption=(
                    f"Partners in {view.latest_period} (overall: the worst status among the "
                    "partner's measures)"
                ),
                numeric=(3, 4),
                status_col=2,
                widths=(0.8, 2.6, 1.2, 0.8, 0.9),
            )
        ]
    )


#: The data-quality checks in plain words (the Great Expectations names stay in the Data Docs).
CHECK_WORDS = {
    "expect_column_values_to_not_be_null": "a value is given",
    "expect_column_values_to_be_null": "left empty where it must be",
    "expect_column_values_to_be_between": "the value is within the allowed range",
    "expect_column_values_to_match_regex": "the value has the expected form",
    "expect_column_values_to_be_in_set": "the value is one of those allowed",
    "expect_column_values_to_not_be_in_set": "the value is not one of those refused",
    "expect_column_values_to_be_unique": "the value appears only once",
    "expect_compound_columns_to_be_unique": "the combination appears only once",
    "file_has_required_columns": "the file has the required columns",
    "file_is_readable": "the file can be read",
}


def check_words(expectation: Any) -> str:
    """A check's name as a reader understands it."""
    name = _text(expectation)
    return CHECK_WORDS.get(name, name.replace("_", " ") or "—")


def data_quality(view: AudienceView, link_prefix: str = "../") -> Blocks:
    v = view.validation
    rates = pass_rates(v)
    totals = v.get("totals") or {}
    (ra, rn), (ca, cn) = rates["returns"], rates["council"]
    blocks: list[rb.Block] = [
        rb.para(
            f"Partner returns: {ra:,} of {rn:,} rows accepted ({_rate(ra, rn)}). "
            f"The council's own files (partner and contract registers, spend and supplier "
            f"files): {ca:,} of {cn:,} rows accepted ({_rate(ca, cn)}). "
            f"Returned rows replaced by a later submission (counted as accepted): "
            f"{_num(totals.get('superseded')) or 0:,.0f}. "
            + (
                "Every row read is either accepted or listed as rejected: none is lost."
                if v.get("reconciles")
                else "WARNING: the row counts do not add up between the files read and the "
                "tables written; tell the pipeline's maintainers."
            )
        ),
    ]
    review = v.get("review")  # recorded by `svf review --sign` (pipeline/validate/review.py)
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
                        _text(e.get("kind")),
                        check_words(e.get("expectation")),
                        "any" if _text(e.get("column")) in ("", "*") else _text(e.get("column")),
                        fmt(_num(e.get("evaluated")) or 0, "count"),
                        fmt(_num(e.get("failed")) or 0, "count"),
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
                # What a PDF prints instead of a link that means nothing once it is emailed.
                "document": (
                    f"The full data-quality results are in the Data Docs of review cycle "
                    f"{view.cycle} (data-quality/index.html in the cycle's report folder)."
                ),
            }
        )
    return Blocks(blocks)


def appendix(view: AudienceView, workspace: str | Path = ".") -> Blocks:
    """The framework's own wording and the method: roll-up, status rules, proxies."""
    fw = view.framework
    th = Thresholds.from_params(load_params(Path(workspace) / "params.yaml"))
    blocks: list[rb.Block] = [
        rb.heading("Method", 3),
        rb.bullets(
            [
                "Partners' returns are added up per measure as the framework says: a sum for "
                "counts, hours and money; a mean or a weighted mean for percentages.",
                "Change since last year is like for like: it compares the same contracts in "
                "both years, so a total does not rise just because more partners reported. "
                "Where no contract reported a measure in both years the change is 'not "
                "comparable'.",
                "Council-level measures (marked 'council spend') are computed from the "
                "council's own published spend, not from partner returns.",
                "Social value in GBP is an estimate: the figure times a proxy value per unit.",
            ]
        ),
        rb.heading("How status is decided", 3, anchor="status-rules"),
        rb.bullets(rules_in_words(th)),
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
                        [
                            m.id,
                            m.text
                            + (" (council level, from spend)" if m.level == "council" else ""),
                            m.unit,
                            m.direction,
                            m.rollup.replace("_", " "),
                        ]
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
    counts = mine["status"].value_counts()
    overall = partner_overall(view.measures, view.latest_period).get(view.audience, NO_DATA)
    sv = ((view.findings.get("social_value") or {}).get("by_partner") or {}).get(view.audience)
    rejected = len(view.quarantine)
    sent = _num(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows"))
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(partner_sentences(view)),
        rb.kpis(
            [
                ("Overall status", rb.status_label(overall), f"in {view.latest_period}"),
                (
                    "On track",
                    f"{int(counts.get('on track', 0))} of {len(mine)}",
                    f"measures for {view.latest_period} ({len(committed)} committed across "
                    f"{_n(len(view.contracts), 'contract')})",
                ),
                # No return is not zero: without a figure there is no estimate to show.
                (
                    "Social value",
                    "—" if _num(sv) is None else fmt(_num(sv), "GBP"),
                    "estimated from proxy values"
                    if _num(sv) is not None
                    else "none estimated: no figure with a proxy value",
                ),
                (
                    ("Rows rejected", f"{rejected} of {int(sent)}", "rows you sent")
                    if sent
                    else ("Rows received", "none", "you sent no rows this cycle")
                ),
            ]
        ),
    ]
    if not mine.empty:
        table = _measure_table(view, mine, coverage=False)
        table["caption"] = f"Your figures for {view.latest_period} against your targets"
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


def partner_sentences(view: AudienceView) -> list[str]:
    """The plain sentences a partner reads first; each states a number shown further down."""
    latest = view.latest_period
    mine = _latest(_rows(view, "partner"), view)
    overall = partner_overall(view.measures, latest).get(view.audience, NO_DATA)
    counts = mine["status"].value_counts()
    out = []
    if mine.empty:
        out.append(f"We have no figures from you for {latest}.")
    else:
        parts = [
            f"{int(counts.get(s, 0))} {s}"
            for s in ("on track", "at risk", "off track", NO_RETURN, NO_TARGET)
            if counts.get(s, 0)
        ]
        out.append(
            f"Your overall status for {latest} is {overall}: of your {_n(len(mine), 'measure')}, "
            + ", ".join(parts)
            + "."
        )
    missing = mine[mine["status"].eq(NO_RETURN)]
    if not missing.empty:
        out.append(
            f"We have no {latest} return for {_n(len(missing), 'measure')} you committed to: "
            + ", ".join(_sorted_ids(missing["measure_id"]))
            + ". Please send them: a missing return is not counted as zero."
        )
    comparable, _ = ranked_changes(_rows(view, "partner"), view)
    judged = [(r, _direction(view, r)) for r in comparable.itertuples()]
    for word, want in (("improvement", "better"), ("decline", "worse")):
        hit = next((r for r, d in judged if d == want), None)
        if hit is not None:
            m = _measure(view, hit.measure_id) or _dummy(hit.measure_id)
            out.append(
                f"Your biggest like-for-like {word} since last year was {hit.measure_id} "
                f"{m.short}: {_pct(hit.lfl_yoy_pct)}."
            )
    sv = _num(
        ((view.findings.get("social_value") or {}).get("by_partner") or {}).get(view.audience)
    )
    if sv is not None:
        out.append(
            f"Your figures for {latest} are worth an estimated {fmt(sv, 'GBP')} in social value."
        )
    enforcement = [e for e in view.findings.get("enforcement") or [] if e.get("current")]
    if enforcement:
        out.append(
            f"{len(enforcement)} of your contract measures "
            f"{'has' if len(enforcement) == 1 else 'have'} been off track two years running ("
            + ", ".join(f"{e.get('contract_id')} {e.get('measure_id')}" for e in enforcement)
            + "); the council may raise them under the contract."
        )
    if view.audience in (view.findings.get("endorsement") or []):
        out.append(
            "Every measure you reported against a target is on track and no committed return "
            "is missing: the council will endorse your contribution."
        )
    rejected = len(view.quarantine)
    sent = int(
        _num(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows")) or 0
    )
    if sent == 0:
        out.append("We received no rows from you in this review cycle.")
    elif rejected:
        out.append(
            f"We could not accept {rejected} of the {_n(sent, 'row')} you sent; they are listed with "
            "the reason under 'Returns we could not accept'."
        )
    else:
        out.append(
            "We accepted the one row you sent."
            if sent == 1
            else f"We accepted all {sent} rows you sent."
        )
    return out


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
    """Every measure the partner reported or owed, year by year, with its trend."""
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
                _change(r),
                rb.status_label(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            ["Measure", "Year", "Value", "Target", "Achieved", "Change", "Status"],
            body,
            caption="Your returns by year (change: like for like, the same contracts both years)",
            numeric=(2, 3, 4, 5),
            status_col=6,
            widths=(0.9, 0.9, 1, 1, 0.9, 1, 1.2),
        )
    ]
    drawn = _sorted_ids(rows.loc[rows["value"].notna(), "measure_id"])
    if drawn:
        blocks.append(
            charts.trend_chart("Your figures by year", view.periods, _series(view, rows, drawn))
        )
    return Blocks(blocks)


def partner_social_value(view: AudienceView) -> Blocks:
    mine = _latest(_rows(view, "partner"), view)
    mine = mine[mine["value_gbp"].notna()]
    if mine.empty:
        return Blocks(
            [
                rb.note(
                    f"No measure you returned for {view.latest_period} has a proxy value, so no "
                    "social value in GBP is estimated."
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
    rows.append(["Total", "all the measures above", "—", fmt(total, "GBP")])
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
    sent = int(
        _num(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows")) or 0
    )
    if q.empty:
        if sent == 0:
            return Blocks([rb.note("We received no rows from you in this review cycle.")])
        return Blocks([rb.para(f"Every row you sent ({sent:,}) was accepted. Thank you.")])
    rows = [
        [
            _text(r.source_file) or "—",
            "whole file" if pd.isna(r.source_row) else str(int(r.source_row)),
            _text(r.column) or "—",
            _text(r.reason) or "—",
        ]
        for r in q.sort_values(["source_file", "source_row"]).itertuples()
    ]
    return Blocks(
        [
            rb.para(
                f"We could not accept {_n(len(q), 'row')} you sent. Please correct "
                f"{'it' if len(q) == 1 else 'them'} and send "
                f"{'it' if len(q) == 1 else 'them'} again with your next return."
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
    typed = r[cols].apply(lambda col: col.map(_text).str.strip().ne(""))
    r = r[typed.any(axis=1)]
    if r.empty:
        return Blocks(
            [rb.para(f"You gave no evidence or comments with your {view.latest_period} returns.")]
        )
    rows = []
    for x in r.sort_values(["contract_id", "measure_id"]).itertuples():
        verified = getattr(x, "verified", None)
        rows.append(
            [
                _text(x.contract_id),
                _text(x.measure_id),
                _text(getattr(x, "evidence", None)) or "—",
                "—" if verified is None or pd.isna(verified) else ("yes" if verified else "no"),
                _text(getattr(x, "comment", None)) or "—",
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
        lfl_n = _num(getattr(r, "lfl_partners", None))
        change_hidden = now or before or (lfl_n is not None and 0 < lfl_n < k)
        if now or before:
            years = [p for p, h in ((r.prev_period, before), (r.period, now)) if h and p]
            withheld.append(f"{r.measure_id} {m.short if m else ''} ({', '.join(years)})")
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                hidden if before else fmt(_num(r.prev_value), unit),
                hidden if now else fmt(_num(r.value), unit),
                hidden if change_hidden else _change(r),
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
            caption=(
                "The borough as a whole (all partners together) on your measures; change: like "
                "for like"
            ),
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
