"""What every section of the health check shares: the document's title and headings, how
numbers, shares and changes are written, a view's rows by level and latest period, and the
measure tables and trend series both audiences' sections draw."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pandas as pd

from pipeline.core.framework import Measure
from pipeline.core.status import (
    NO_DATA,
    NO_RETURN,
    Status,
    Thresholds,
    partner_overall,
)
from pipeline.report import blocks as rb
from pipeline.report import charts
from pipeline.report.blocks import Blocks
from pipeline.report.views import AudienceView

fmt = charts.fmt_number


as_number = rb.as_number


def text_of(v: Any) -> str:
    """A cell's text; empty for None or NaN (never the word 'nan')."""
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`1 contract`, `2 contracts`, `1,599 returns`: a count with its noun, never `contract(s)`."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def fmt_pct(v: Any, signed: bool = True) -> str:
    f = as_number(v)
    if f is None:
        return "—"
    return f"{f:+.1f}%" if signed else f"{f:.1f}%"


def fmt_share(v: Any) -> str:
    f = as_number(v)
    return "—" if f is None else f"{f * 100:.0f}%"


NOT_COMPARABLE = "not comparable"


def fmt_change(r: Any) -> str:
    """The like-for-like change of a row (the same contracts in both years), as a reader sees it.

    `—` without a figure this year, or without one last year (nothing to compare);
    `not comparable` when there are figures for both years but no contract returned the measure
    in both (so any change would only show who reported).
    """
    if as_number(getattr(r, "value", None)) is None:
        return "—"
    if as_number(getattr(r, "prev_value", None)) is None:
        return "—"
    pct = as_number(getattr(r, "lfl_yoy_pct", None))
    if pct is not None:
        return fmt_pct(pct)
    before, now = (
        as_number(getattr(r, "lfl_prev_value", None)),
        as_number(getattr(r, "lfl_value", None)),
    )
    if before == 0 and now is not None:
        return "from 0" if now else "no change"
    return NOT_COMPARABLE


def thresholds_of(view: AudienceView) -> Thresholds:
    """The status thresholds the compute stage judged by (recorded in findings.json)."""
    return view.findings.thresholds


def measure_of(view: AudienceView, mid: str) -> Measure | None:
    try:
        return view.framework.measure(mid)
    except KeyError:
        return None


@lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> Any:
    return namedtuple("Pandas", ["Index", *columns], rename=True)


def tuples(frame: pd.DataFrame) -> Iterator[Any]:
    """`frame.itertuples()` at a fraction of the cost (one conversion of the frame to Python
    objects instead of a column selection each; on a view's small frames the selections were
    most of it). The same rows and fields; nullable integers and flags come as Python `int` and
    `bool` rather than NumPy scalars, equal in value."""
    row = _row_type(tuple(str(c) for c in frame.columns))
    return map(row._make, zip(frame.index, *frame.to_numpy(dtype=object).T, strict=True))


def short_name(view: AudienceView, mid: str, unknown: str | None = None) -> str:
    """A measure's short name; for an id the framework does not know, `unknown` (default: the
    id itself)."""
    m = measure_of(view, mid)
    if m is not None:
        return m.short
    return mid if unknown is None else unknown


def rows_at(view: AudienceView, level: str) -> pd.DataFrame:
    return view.rows(level)


def latest_rows(frame: pd.DataFrame, view: AudienceView) -> pd.DataFrame:
    """The rows of the latest period; worked out once per frame and view (read, never modify)."""
    key = ("latest", id(frame))
    hit = view.memo.get(key)
    if hit is None or hit[0] is not frame:  # the frame is kept with it, so its id stays its own
        hit = view.memo[key] = (frame, frame[frame["period"] == view.latest_period])
    return hit[1]


def overall_of(view: AudienceView) -> dict[str, str]:
    """Each partner's overall status in the latest period (`status.partner_overall`), once."""
    if "overall" not in view.memo:
        view.memo["overall"] = partner_overall(view.measures, view.latest_period)
    return view.memo["overall"]


def sorted_ids(ids: Any) -> list[str]:
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


def ranked_changes(rows: pd.DataFrame, view: AudienceView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of the latest year with a like-for-like change, largest move first; and the rows
    with a figure this year and last year but no like-for-like base (not comparable)."""
    latest = latest_rows(rows, view)
    has = latest["value"].notna()
    comparable = latest[has & latest["lfl_yoy_pct"].notna()].copy()
    comparable["_move"] = comparable["lfl_yoy_pct"].abs()
    comparable = comparable.sort_values(["_move", "measure_id"], ascending=[False, True])
    other = latest[has & latest["lfl_yoy_pct"].isna() & latest["prev_value"].notna()]
    return comparable, other


def direction_words(view: AudienceView, r: Any) -> str:
    m = measure_of(view, r.measure_id)
    sign = -1.0 if m is not None and m.direction == "lower" else 1.0
    good = float(r.lfl_yoy_pct) * sign
    tol = thresholds_of(view).flat_tolerance_pct
    return "better" if good > tol else "worse" if good < -tol else "about the same"


def measure_table(view: AudienceView, rows: pd.DataFrame, *, coverage: bool) -> rb.Block:
    body = []
    for r in tuples(rows.sort_values("measure_id")):
        m = measure_of(view, r.measure_id)
        unit = m.unit if m else "count"
        line = [
            r.measure_id,
            m.short if m else "",
            fmt(as_number(r.value), unit),
            fmt(as_number(r.target), unit),
            fmt_share(r.achieved_share),
            fmt_change(r),
            Status.of(r.status),
        ]
        if coverage:
            line.append(
                str(int(r.partners_covered)) if as_number(r.partners_covered) is not None else "0"
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


def trend_series(
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
        m = measure_of(view, mid)
        r = first.get(mid, {})
        values = [as_number(r[p][0]) if p in r else None for p in view.periods]
        targets = [as_number(r[p][1]) if p in r else None for p in view.periods]
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
