"""The sections of the health-check report, as blocks the notebook displays.

Each function takes an `AudienceView` (already filtered to its audience by `views`) and
returns `Blocks`. The notebook `notebooks/03_health_check.ipynb` calls them in order; the prose
that frames them lives in the notebook's Markdown cells.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pandas as pd

from pipeline.core.findings import LocalArea
from pipeline.core.framework import Measure
from pipeline.core.status import (
    AT_RISK,
    NO_DATA,
    NO_RETURN,
    NO_TARGET,
    OFF_TRACK,
    ON_TRACK,
    Status,
    Thresholds,
    partner_overall,
    rules_in_words,
    status_label,
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
    """The status thresholds the compute stage judged by (recorded in findings.json)."""
    return view.findings.thresholds


def _measure(view: AudienceView, mid: str) -> Measure | None:
    try:
        return view.framework.measure(mid)
    except KeyError:
        return None


@lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> Any:
    return namedtuple("Pandas", ["Index", *columns], rename=True)


def _tuples(frame: pd.DataFrame) -> Iterator[Any]:
    """`frame.itertuples()` at a fraction of the cost (one conversion of the frame to Python
    objects instead of a column selection each; on a view's small frames the selections were
    most of it). The same rows and fields; nullable integers and flags come as Python `int` and
    `bool` rather than NumPy scalars, equal in value."""
    row = _row_type(tuple(str(c) for c in frame.columns))
    return map(row._make, zip(frame.index, *frame.to_numpy(dtype=object).T, strict=True))


def _short(view: AudienceView, mid: str, unknown: str | None = None) -> str:
    """A measure's short name; for an id the framework does not know, `unknown` (default: the
    id itself)."""
    m = _measure(view, mid)
    if m is not None:
        return m.short
    return mid if unknown is None else unknown


def _rows(view: AudienceView, level: str) -> pd.DataFrame:
    return view.rows(level)


def _latest(frame: pd.DataFrame, view: AudienceView) -> pd.DataFrame:
    """The rows of the latest period; worked out once per frame and view (read, never modify)."""
    key = ("latest", id(frame))
    hit = view.memo.get(key)
    if hit is None or hit[0] is not frame:  # the frame is kept with it, so its id stays its own
        hit = view.memo[key] = (frame, frame[frame["period"] == view.latest_period])
    return hit[1]


def _overall(view: AudienceView) -> dict[str, str]:
    """Each partner's overall status in the latest period (`status.partner_overall`), once."""
    if "overall" not in view.memo:
        view.memo["overall"] = partner_overall(view.measures, view.latest_period)
    return view.memo["overall"]


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
    sv = view.findings.social_value
    coverage = view.findings.coverage.get(view.latest_period)
    n_partners = len(view.partners)
    statuses = [str(ts.loc[t.code, "status"]) if t.code in ts.index else NO_DATA for t in fw]
    on = sum(s == ON_TRACK for s in statuses)
    rates = pass_rates(view.validation)
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(council_sentences(view)),
        rb.kpis(
            [
                ("Themes on track", f"{on} of {len(fw.themes)}", f"in {view.latest_period}"),
                (
                    "Social value",
                    fmt(_num(sv.borough) or 0.0, "GBP"),
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
                rb.status_column("Status"),
                rb.num("On track"),
                rb.num("At risk"),
                rb.num("Off track"),
                rb.num("No target"),
                rb.num("No data"),
            ],
            [
                [f"{code} {name}", fw.theme(code).ambition, Status.of(st), a, b, c_, d, e]
                for code, name, st, a, b, c_, d, e in items
            ],
            caption=f"Theme status in {view.latest_period} (borough, all partners)",
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
    on = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == ON_TRACK]
    off = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == OFF_TRACK]
    out = [
        f"{len(on)} of {len(fw.themes)} themes are on track in {latest}"
        + (f" ({', '.join(on)})" if on else "")
        + (f"; off track: {', '.join(off)}." if off else ".")
    ]
    coverage = view.findings.coverage.get(latest)
    out.append(
        f"{coverage or 0} of {len(view.partners)} registered partners made a return for {latest}."
    )
    comparable, _ = ranked_changes(_rows(view, "borough"), view)
    if not comparable.empty:
        judged = [(r, _direction(view, r)) for r in _tuples(comparable)]
        better = [r for r, d in judged if d == "better"]
        worse = [r for r, d in judged if d == "worse"]
        for word, group in (("improvement", better), ("decline", worse)):
            if group:
                r = group[0]
                out.append(
                    f"The biggest like-for-like {word} was {r.measure_id} "
                    f"{_short(view, r.measure_id)}: "
                    f"{_pct(r.lfl_yoy_pct)} on the {_n(int(r.lfl_contracts), 'contract')} that "
                    "reported it in both years."
                )
    missing = view.findings.missing_returns
    who = len({m.partner_id for m in missing})
    out.append(
        f"{_n(len(missing), 'committed return')} for {latest} "
        f"{'is' if len(missing) == 1 else 'are'} missing from {_n(who, 'partner')}: "
        "chase them (see Returns to chase)."
        if missing
        else f"Every committed return for {latest} came in."
    )
    current = [e for e in view.findings.enforcement if e.current]
    out.append(
        f"{_n(len(current), 'contract measure')} {'has' if len(current) == 1 else 'have'} been "
        "off track two years running: consider enforcement (see Contracts for enforcement)."
        if current
        else "No contract measure has been off track two years running."
    )
    endorsed = view.findings.endorsement
    names = _names(view)
    out.append(
        f"{_n(len(endorsed), 'partner')} met every commitment with a target and can be endorsed: "
        f"{', '.join(names.get(str(p), str(p)) for p in endorsed)}."
        if endorsed
        else "No partner met every commitment this year, so none is endorsed."
    )
    by_period = view.findings.spend.by_period if view.findings.spend else {}
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
        for r in _tuples(comparable.head(limit)):
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
                    rb.num(prev),
                    rb.num(view.latest_period),
                    rb.num("Change"),
                    rb.num("Contracts in both years"),
                    "Direction",
                ],
                rows,
                caption=(
                    "Largest like-for-like changes across the borough: figures over the same "
                    "contracts in both years"
                ),
                widths=(0.8, 2.4, 0.9, 0.9, 0.8, 1, 1),
            )
        )
    if not other.empty:
        blocks.append(
            rb.para(
                ("b", "Not comparable: "),
                "; ".join(
                    f"{r.measure_id} {_short(view, r.measure_id)}"
                    for r in _tuples(other.sort_values("measure_id"))
                )
                + ". No contract returned these in both years, so a change would only show "
                "which partners reported.",
            )
        )
    return Blocks(blocks)


def _measure_table(view: AudienceView, rows: pd.DataFrame, *, coverage: bool) -> rb.Block:
    body = []
    for r in _tuples(rows.sort_values("measure_id")):
        m = _measure(view, r.measure_id)
        unit = m.unit if m else "count"
        line = [
            r.measure_id,
            m.short if m else "",
            fmt(_num(r.value), unit),
            fmt(_num(r.target), unit),
            _share(r.achieved_share),
            _change(r),
            Status.of(r.status),
        ]
        if coverage:
            line.append(
                str(int(r.partners_covered)) if _num(r.partners_covered) is not None else "0"
            )
        body.append(line)
    cols: list[str | rb.Col] = [
        "Measure",
        "",
        rb.num(view.latest_period),
        rb.num("Target"),
        rb.num("Achieved"),
        rb.num("Change"),
        rb.status_column("Status"),
    ]
    widths = [0.8, 2.4, 0.9, 0.9, 0.8, 1, 1.1]
    if coverage:
        cols.append(rb.num("Partners"))
        widths.append(0.7)
    return rb.table(cols, body, widths=widths)


def _series(
    view: AudienceView, rows: pd.DataFrame, mids: list[str], prefix: str = ""
) -> list[charts.Series]:
    """One chart series per measure: the value and that year's own target, every period, and
    for a year without a figure its status (`no return`, or `no data` when none was expected;
    `no spend data` for a council-level figure)."""
    # One pass over the rows (a pandas selection per measure and year cost more than the chart):
    # each measure's first row per period, and the level of its first row.
    first: dict[str, dict[Any, tuple[Any, Any, Any]]] = {}
    level: dict[str, str] = {}
    columns = (rows[c] for c in ("measure_id", "period", "value", "target", "status", "level"))
    for mid, period, value, target, status, lvl in zip(*columns, strict=True):
        key = str(mid)
        level.setdefault(key, str(lvl))
        first.setdefault(key, {}).setdefault(period, (value, target, status))
    out: list[charts.Series] = []
    for mid in mids:
        m = _measure(view, mid)
        r = first.get(mid, {})
        values = [_num(r[p][0]) if p in r else None for p in view.periods]
        targets = [_num(r[p][1]) if p in r else None for p in view.periods]
        council = level.get(mid) == "council"
        missing = [
            "no spend data"
            if council
            else NO_RETURN
            if p in r and r[p][2] == NO_RETURN
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
    for r in _tuples(rows.sort_values("measure_id")):
        m = _measure(view, r.measure_id)
        body.append(
            [
                r.measure_id,
                f"{m.short if m else ''} (council spend)",
                fmt(_num(r.value), m.unit if m else "percent"),
                _pts(r.yoy_abs),
                Status.of(r.status),
                fmt(_num(r.n_returns), "count"),
                fmt(_num(r.partners_covered), "count"),
            ]
        )
    return rb.table(
        [
            "Measure",
            "",
            rb.num("Share of council spend"),
            rb.num("Change"),
            rb.status_column("Status"),
            rb.num("Payments"),
            rb.num("Suppliers paid"),
        ],
        body,
        caption=(
            f"Council-level measures in {view.latest_period}: computed from the council's own "
            "spend, not reported by partners (see the spend section)"
        ),
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
            _short(view, r.measure_id),
            float(r.achieved_share),
            str(r.status),
        )
        for r in _tuples(latest)
    ]
    return Blocks([charts.target_chart(f"Target against actual, {view.latest_period}", items)])


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


def _where_local(area: LocalArea | None) -> str:
    """What counted as in the borough, as the compute stage recorded it in findings.json."""
    if area is None:  # findings written before the compute stage recorded it
        return "not recorded (re-run svf compute)."
    listed = f"{', '.join(area.districts) or 'none listed'} ({area.districts_file})"
    if area.postcode_lookup:
        return (
            f"{listed}. A full postcode counts as in the borough when the ONS postcode lookup "
            f"{area.postcode_lookup} places it in local authority "
            f"{area.local_authority_code}; a postcode given only as a "
            "district counts when the district is listed."
        )
    return f"{listed}. A supplier counts as in the borough when its postcode district is listed."


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
            [
                "Spend file",
                "Outcome",
                rb.num("Lines"),
                rb.num("Payments used"),
                rb.num("Lines set aside"),
            ],
            rows,
            caption="Council spend files read for this review",
            widths=(2.2, 1.4, 0.8, 1, 1),
        )
    ]
    if reasons:
        blocks.append(rb.para(("b", "What was set aside and why: "), ""))
        blocks.append(rb.bullets(reasons))
    return blocks


def council_spend(view: AudienceView) -> Blocks:
    """Council only: the share of the council's spend with local, SME and VCFS suppliers, with
    what was read of the spend files, what was refused and why, the redacted and unclassified
    shares and the supplier match rate."""
    spend = view.findings.spend
    by_period = spend.by_period if spend else {}
    reading_blocks = _spend_reading_blocks((spend.reading if spend else None) or {})
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
    assert spend is not None  # by_period is not empty
    periods = sorted(by_period)
    where = _where_local(spend.local_area)
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
            [
                "Year",
                rb.num("Spend"),
                rb.num("Payments"),
                rb.num("Suppliers paid"),
                rb.num("Redacted"),
                rb.num("Matched to the register"),
            ],
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
            widths=(0.8, 1.3, 0.9, 1, 0.9, 1.2),
        ),
        rb.table(
            [
                "Year",
                "Spend with",
                rb.num("Share of all spend"),
                rb.num("Unclassified"),
                rb.num("Change since last year"),
            ],
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
            widths=(0.8, 2.6, 1, 1, 1.1),
        ),
    ]
    top = spend.top_unmatched
    if top:
        blocks.append(
            rb.para(
                ("b", "Suppliers not yet in the register, most spend first: "),
                "; ".join(f"{t['name']} ({fmt(_num(t['spend_gbp']), 'GBP')})" for t in top[:5])
                + f". {spend.unmatched_suppliers} suppliers in all; "
                "the command svf suppliers writes them to a register to complete.",
            )
        )
    return Blocks(blocks)


def council_gaps(view: AudienceView) -> Blocks:
    gaps = view.findings.gaps
    fw = view.framework
    blocks: list[rb.Block] = []
    uncovered = gaps.uncovered_measures
    if uncovered:
        blocks.append(rb.para(("b", "Measures no contract commits to: "), ""))
        blocks.append(rb.bullets(f"{mid} {_short(view, mid)}" for mid in uncovered))
    outcomes = gaps.uncovered_outcomes
    if outcomes:
        blocks.append(rb.para(("b", "Outcomes with no committed measure: "), ""))
        blocks.append(rb.bullets(f"{o.theme}: {o.outcome}" for o in outcomes))
    no_outcomes = gaps.contracts_without_outcomes
    if no_outcomes:
        names = _names(view)
        blocks.append(
            rb.table(
                ["Contract", "Partner", "Title"],
                [
                    [c.contract_id, names.get(c.partner_id, c.partner_id), _text(c.title)]
                    for c in no_outcomes
                ],
                caption="Current contracts that commit to no outcome measure",
                widths=(1, 2, 3),
            )
        )
    share = gaps.theme_contract_value_share
    if share:
        blocks.append(
            rb.table(
                ["Theme", rb.num("Share of contract value committed to it")],
                [[f"{t.code} {t.name}", _share(share.get(t.code))] for t in fw],
                caption="Where committed contract value goes, by theme",
                widths=(2, 2),
            )
        )
    if not blocks:
        blocks.append(rb.note("No gaps in provision were found."))
    return Blocks(blocks)


def _names(view: AudienceView) -> dict[str, str]:
    return {str(r.partner_id): str(r.name) for r in _tuples(view.partners)}


def council_attention(view: AudienceView) -> Blocks:
    """Two lists with two different actions: returns to chase, and contracts for enforcement."""
    names = _names(view)
    latest = view.latest_period
    missing = view.findings.missing_returns
    enforcement = [e for e in view.findings.enforcement if e.current]
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
                        e.contract_id,
                        names.get(e.partner_id, e.partner_id),
                        f"{e.measure_id} {_short(view, e.measure_id, unknown='')}",
                        "yes" if e.reported_before else "no, never returned",
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
                        e.contract_id,
                        names.get(e.partner_id, e.partner_id),
                        f"{e.measure_id} {_short(view, e.measure_id, unknown='')}",
                        ", ".join(e.periods),
                        "yes" if e.against_target else "no",
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
    endorsed = view.findings.endorsement
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
    overall = _overall(view)
    rows = []
    q = view.validation.get("partners") or {}
    for r in _tuples(view.partners.sort_values("partner_id")):
        qp = q.get(str(r.partner_id), {})
        rows.append(
            [
                r.partner_id,
                r.name,
                Status.of(overall.get(str(r.partner_id), NO_DATA)),
                fmt(_num(qp.get("rows")) or 0, "count"),
                fmt(_num(qp.get("quarantined")) or 0, "count"),
            ]
        )
    return Blocks(
        [
            rb.table(
                [
                    "Partner",
                    "Name",
                    rb.status_column("Overall status"),
                    rb.num("Rows sent"),
                    rb.num("Rows rejected"),
                ],
                rows,
                caption=(
                    f"Partners in {view.latest_period} (overall: the worst status among the "
                    "partner's measures)"
                ),
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
                [
                    "File kind",
                    "Check",
                    "Column",
                    rb.num("Rows checked"),
                    rb.num("Failed"),
                    rb.num("Pass rate"),
                ],
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


def appendix(view: AudienceView) -> Blocks:
    """The framework's own wording and the method: roll-up, status rules (with the thresholds
    the compute stage judged by), proxies."""
    fw = view.framework
    th = _thresholds(view)
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
                ["Proxy", rb.num("GBP per unit"), "Source"],
                [[p.key, f"£{p.gbp_per_unit:,.2f}", p.source] for p in proxies.values()],
                caption="Proxy values",
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
    overall = _overall(view).get(view.audience, NO_DATA)
    sv = view.findings.social_value.by_partner.get(view.audience)
    rejected = len(view.quarantine)
    sent = _num(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows"))
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(partner_sentences(view)),
        rb.kpis(
            [
                ("Overall status", status_label(overall), f"in {view.latest_period}"),
                (
                    "On track",
                    f"{int(counts.get(ON_TRACK, 0))} of {len(mine)}",
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
                _short(view, r.measure_id),
                float(r.achieved_share),
                str(r.status),
            )
            for r in _tuples(mine.sort_values("measure_id"))
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
    overall = _overall(view).get(view.audience, NO_DATA)
    counts = mine["status"].value_counts()
    out = []
    if mine.empty:
        out.append(f"We have no figures from you for {latest}.")
    else:
        parts = [
            f"{int(counts.get(s, 0))} {s}"
            for s in (ON_TRACK, AT_RISK, OFF_TRACK, NO_RETURN, NO_TARGET)
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
    judged = [(r, _direction(view, r)) for r in _tuples(comparable)]
    for word, want in (("improvement", "better"), ("decline", "worse")):
        hit = next((r for r, d in judged if d == want), None)
        if hit is not None:
            out.append(
                f"Your biggest like-for-like {word} since last year was {hit.measure_id} "
                f"{_short(view, hit.measure_id)}: {_pct(hit.lfl_yoy_pct)}."
            )
    sv = _num(view.findings.social_value.by_partner.get(view.audience))
    if sv is not None:
        out.append(
            f"Your figures for {latest} are worth an estimated {fmt(sv, 'GBP')} in social value."
        )
    enforcement = [e for e in view.findings.enforcement if e.current]
    if enforcement:
        out.append(
            f"{len(enforcement)} of your contract measures "
            f"{'has' if len(enforcement) == 1 else 'have'} been off track two years running ("
            + ", ".join(f"{e.contract_id} {e.measure_id}" for e in enforcement)
            + "); the council may raise them under the contract."
        )
    if view.audience in view.findings.endorsement:
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
    for c in _tuples(view.contracts.sort_values("contract_id")):
        measures = [x.strip() for x in str(c.outcome_measures or "").split(";") if x.strip()]
        rows.append(
            [
                c.contract_id,
                c.title,
                fmt(_num(c.value_gbp), "GBP"),
                "; ".join(f"{m} {_short(view, m)}" for m in measures) or "none",
                "yes" if bool(c.linked_to_subject_matter) else "no (contract terms)",
            ]
        )
    if not rows:
        return Blocks([rb.note("No contracts are on record for you in this cycle.")])
    return Blocks(
        [
            rb.table(
                [
                    "Contract",
                    "Title",
                    rb.num("Value"),
                    "Committed measures",
                    "Linked to subject matter",
                ],
                rows,
                caption="Your contracts and the outcomes you committed to",
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
    for r in _tuples(rows.sort_values(["measure_id", "period"])):
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
                Status.of(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            [
                "Measure",
                "Year",
                rb.num("Value"),
                rb.num("Target"),
                rb.num("Achieved"),
                rb.num("Change"),
                rb.status_column("Status"),
            ],
            body,
            caption="Your returns by year (change: like for like, the same contracts both years)",
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
    for r in _tuples(mine.sort_values("measure_id")):
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
                ["Measure", "", rb.num(view.latest_period), rb.num("Social value")],
                rows,
                caption="Social value you delivered (figure times proxy value)",
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
        for r in _tuples(q.sort_values(["source_file", "source_row"]))
    ]
    return Blocks(
        [
            rb.para(
                f"We could not accept {_n(len(q), 'row')} you sent. Please correct "
                f"{'it' if len(q) == 1 else 'them'} and send "
                f"{'it' if len(q) == 1 else 'them'} again with your next return."
            ),
            rb.table(
                ["File", rb.num("Row"), "Column", "Why"],
                rows,
                caption="Rows we could not accept",
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
    for x in _tuples(r.sort_values(["contract_id", "measure_id"])):
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
    (`views.suppress_small_cells`); they read "not shown", with the reason below the table.
    """
    mids = _sorted_ids(_rows(view, "partner")["measure_id"])
    b = _latest(_rows(view, "borough"), view)
    b = b[b["measure_id"].isin(mids)]
    if b.empty:
        return Blocks([rb.note("No borough figures for your measures this year.")])
    k = view.min_partners_for_borough
    hidden = "not shown"
    rows, withheld = [], []
    for r in _tuples(b.sort_values("measure_id")):
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
                else Status.of(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            [
                "Measure",
                "",
                rb.num("Last year"),
                rb.num(view.latest_period),
                rb.num("Change"),
                rb.status_column("Borough status"),
            ],
            rows,
            caption=(
                "The borough as a whole (all partners together) on your measures; change: like "
                "for like"
            ),
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
