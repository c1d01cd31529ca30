"""The comparison of two closed cycles (`svf cycle diff A B`) as a page a council can read.

It starts with plain sentences (themes whose status changed, the largest like-for-like changes by
measure name, partners who slipped or recovered, whether data quality got better or worse), then
gives the headline figures and, theme by theme, each measure's name, both years' figures in their
units (£ with thousands separators, shares as percentages with the change in points), the status
in both years and a small chart of both cycles' series (from the DVC plot data).

One self-contained file: no scripts, no external styles, fonts or images, so it can be e-mailed.
The page is the template `templates/compare.html.j2` with the shared stylesheet
(`pipeline.core.html`); every value is escaped (partner names and plot rows are data, never
markup). Bookkeeping fields
(`cycle`, `generated_at`, `latest_period`) are never shown as changes. It fits a phone: the tables
become stacked cards below 40rem, the charts wrap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import html
from pipeline.core.periods import of_cycle
from pipeline.core.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, Status, status_label
from pipeline.report.blocks import as_number as _num

TEMPLATES = Path(__file__).parent / "templates"
#: Borough-level plot rows and headline metrics have these levels; partner rows are elsewhere.
_AREA_LEVELS = {"borough", "council"}
_GOOD = {ON_TRACK}
#: A like-for-like change needs at least this many partners reporting both years.
MIN_LFL_PARTNERS = 2
_BAD = {AT_RISK, OFF_TRACK}


@dataclass
class CycleDiff:
    """What two closed cycles recorded, read from their tags (git) and the DVC cache.

    `outcomes` and `validation` hold each cycle's `metrics/outcomes.json` and `validation.json`;
    `plots` maps a theme code to each cycle's plot rows (`plots/outcomes_<theme>.csv`);
    `measures` and `theme_status` are the cycles' tables (None when the DVC cache and remote do
    not have them); `names` gives measure and theme names and units, `partners` partner names.
    """

    a: str
    b: str
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    validation: dict[str, dict[str, Any]] = field(default_factory=dict)
    plots: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    measures: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    theme_status: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    #: measure id -> (short name, unit); theme code -> (name, "")
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)


# --- figures -------------------------------------------------------------------------------------


def fmt(value: Any, unit: str = "count") -> str:
    """A figure in its unit: £ with thousands separators, percentages with %, else a number."""
    number = _num(value)
    if number is None or math.isnan(number):
        return "no figure"
    if unit == "percent":
        return f"{number:,.1f}%"
    if unit == "GBP":
        return f"£{number:,.0f}"
    if abs(number - round(number)) < 1e-9:
        return f"{number:,.0f}"
    return f"{number:,.1f}"


def change(old: Any, new: Any, unit: str = "count") -> str:
    """The change in words: shares in percentage points, money and counts with the % change."""
    a, b = _num(old), _num(new)
    if a is None and b is None:
        return "no figure either year"
    if a is None:
        return "no figure the year before"
    if b is None:
        return "no figure this year"
    delta = b - a
    if abs(delta) < 1e-9:
        return "no change"
    word = "up" if delta > 0 else "down"
    if unit == "percent":
        return f"{word} {abs(delta):,.1f} points"
    size = fmt(abs(delta), unit)
    pct = f" ({abs(delta) / abs(a):.0%})" if a else ""
    return f"{word} {size}{pct}"


def _year(cycle: str, rows: Sequence[dict[str, Any]]) -> str:
    """The financial year a cycle reports on: its id's year, else its latest plotted period."""
    periods = sorted({str(r.get("period")) for r in rows if r.get("period")})
    return of_cycle(cycle) or (periods[-1] if periods else "")


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


def _measure_id(label: Any) -> str:
    return str(label or "").split(" ", 1)[0]


def _area_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if str(r.get("level", "borough")) in _AREA_LEVELS]


@dataclass
class MeasureRow:
    measure_id: str
    name: str
    unit: str
    value_a: float | None
    value_b: float | None
    status_a: str
    status_b: str
    series_a: list[tuple[str, float | None]]
    series_b: list[tuple[str, float | None]]

    @property
    def change(self) -> str:
        return change(self.value_a, self.value_b, self.unit)


def measure_rows(diff: CycleDiff, theme: str) -> list[MeasureRow]:
    """Each measure of the theme with its area figure and status in each cycle's own year."""
    pair = diff.plots.get(theme, {"a": [], "b": []})
    rows_a, rows_b = _area_rows(pair.get("a", [])), _area_rows(pair.get("b", []))
    year_a, year_b = _year(diff.a, pair.get("a", [])), _year(diff.b, pair.get("b", []))
    ids = sorted({_measure_id(r.get("measure")) for r in rows_a + rows_b} - {""})
    out = []
    for mid in ids:
        ra = [r for r in rows_a if _measure_id(r.get("measure")) == mid]
        rb = [r for r in rows_b if _measure_id(r.get("measure")) == mid]
        at_a = next((r for r in ra if r.get("period") == year_a), {})
        at_b = next((r for r in rb if r.get("period") == year_b), {})
        name, unit = diff.names.get(mid, (mid, "count"))
        out.append(
            MeasureRow(
                mid,
                name,
                unit,
                _num(at_a.get("value")),
                _num(at_b.get("value")),
                str(at_a.get("status") or NO_DATA),
                str(at_b.get("status") or NO_DATA),
                sorted(((str(r.get("period")), _num(r.get("value"))) for r in ra), key=_first),
                sorted(((str(r.get("period")), _num(r.get("value"))) for r in rb), key=_first),
            )
        )
    return out


# --- the sentences -------------------------------------------------------------------------------


def _theme_status(diff: CycleDiff, side: str, theme: str) -> str:
    themes = (diff.outcomes.get(side) or {}).get("themes") or {}
    return str((themes.get(theme) or {}).get("status") or NO_DATA)


def _themes(diff: CycleDiff) -> list[str]:
    codes = set(diff.plots)
    for side in ("a", "b"):
        codes |= set((diff.outcomes.get(side) or {}).get("themes") or {})
    return sorted(codes)


def _theme_name(diff: CycleDiff, code: str) -> str:
    return diff.names.get(code, (code, ""))[0]


def theme_sentences(diff: CycleDiff) -> list[str]:
    moved = []
    for code in _themes(diff):
        sa, sb = _theme_status(diff, "a", code), _theme_status(diff, "b", code)
        if sa != sb:
            moved.append(f"{_theme_name(diff, code)} moved from {sa} to {sb}")
    if not moved:
        return ["No theme changed status."]
    return ["Themes whose status changed: " + "; ".join(moved) + "."]


def largest_changes(diff: CycleDiff, n: int = 3) -> list[str]:
    """The measures with the largest change between the two years, like for like when the later
    cycle's measures table says how the partners who reported both years moved."""
    lfl: dict[str, tuple[float, int]] = {}
    mb = diff.measures.get("b")
    if mb is not None and {"lfl_yoy_pct", "lfl_partners"} <= set(mb.columns):
        year_b = of_cycle(diff.b)
        rows = mb[mb["level"].isin(["borough"]) & mb["lfl_yoy_pct"].notna()]
        if year_b:
            rows = rows[rows["period"] == year_b]
        for r in rows.to_dict("records"):
            pct = _num(r["lfl_yoy_pct"])
            partners = int(_num(r["lfl_partners"]) or 0)
            # One partner's change is that partner's news, not a like-for-like trend.
            if pct is not None and not math.isnan(pct) and partners >= MIN_LFL_PARTNERS:
                lfl[str(r["measure_id"])] = (pct, partners)
    found: list[tuple[float, str]] = []
    for code in _themes(diff):
        for m in measure_rows(diff, code):
            if m.measure_id in lfl:
                pct, partners = lfl[m.measure_id]
                text = (
                    f"{m.name} {'rose' if pct > 0 else 'fell'} {abs(pct):.0f}% like for like "
                    f"({partners} partners reporting both years; "
                    f"all partners: {fmt(m.value_a, m.unit)} to {fmt(m.value_b, m.unit)})"
                )
                found.append((abs(pct), text))
            elif m.value_a and m.value_b is not None:
                pct = 100 * (m.value_b - m.value_a) / abs(m.value_a)
                if m.unit == "percent" and abs(m.value_b - m.value_a) >= 0.05:
                    size = abs(m.value_b - m.value_a)
                    text = f"{m.name} {m.change} ({fmt(m.value_a, 'percent')} to {fmt(m.value_b, 'percent')})"
                    found.append((size, text))
                elif m.unit != "percent" and abs(pct) >= 0.5:
                    text = (
                        f"{m.name} {'rose' if pct > 0 else 'fell'} from {fmt(m.value_a, m.unit)} "
                        f"to {fmt(m.value_b, m.unit)} ({abs(pct):.0f}%)"
                    )
                    found.append((abs(pct), text))
    found.sort(key=lambda t: -t[0])
    if not found:
        return ["No measure has a figure in both years to compare."]
    return ["Largest changes: " + "; ".join(t for _, t in found[:n]) + "."]


def partner_moves(diff: CycleDiff) -> tuple[list[tuple[str, str, str, str]], int]:
    """(partner, theme, status before, status now) for every partner x theme that changed status
    between the two years, and how many stayed the same."""
    ta, tb = diff.theme_status.get("a"), diff.theme_status.get("b")
    if ta is None or tb is None:
        return [], 0

    def by_partner(frame: pd.DataFrame, year: str | None) -> dict[tuple[str, str], str]:
        rows = frame[frame["level"] == "partner"]
        if year and (rows["period"] == year).any():
            rows = rows[rows["period"] == year]
        else:
            rows = rows[rows["period"] == rows["period"].max()]
        return {
            (str(r["partner_id"]), str(r["theme"])): str(r["status"])
            for r in rows.to_dict("records")
        }

    sa, sb = by_partner(ta, of_cycle(diff.a)), by_partner(tb, of_cycle(diff.b))
    moves, same = [], 0
    for key in sorted(set(sa) & set(sb)):
        if sa[key] != sb[key]:
            moves.append((key[0], key[1], sa[key], sb[key]))
        else:
            same += 1
    return moves, same


def _partner(diff: CycleDiff, pid: str) -> str:
    name = diff.partners.get(pid)
    return f"{name} ({pid})" if name else pid


def partner_sentences(diff: CycleDiff) -> list[str]:
    if diff.theme_status.get("a") is None or diff.theme_status.get("b") is None:
        return ["Partner detail is not available: the cycles' tables are not in the DVC cache."]
    moves, _ = partner_moves(diff)
    slipped = [m for m in moves if m[2] in _GOOD and m[3] in _BAD]
    back = [m for m in moves if m[2] in _BAD and m[3] in _GOOD]
    out = []
    for label, items in (("slipped from on track", slipped), ("came back on track", back)):
        if items:
            by: dict[str, list[str]] = {}
            for p, t, a, b in items:
                now = f"{b} now" if label.startswith("slipped") else f"was {a}"
                by.setdefault(p, []).append(f"{_theme_name(diff, t)} ({now})")
            shown = "; ".join(
                f"{_partner(diff, p)} on {' and '.join(themes)}" for p, themes in by.items()
            )
            out.append(f"Partners who {label}: {shown}.")
    if not out:
        out.append("No partner moved between on track and at risk or off track.")
    return out


def quality_sentence(diff: CycleDiff) -> str:
    va, vb = diff.validation.get("a") or {}, diff.validation.get("b") or {}
    pa, pb = _num(va.get("pass_rate")), _num(vb.get("pass_rate"))
    qa = _num((va.get("totals") or {}).get("quarantined"))
    qb = _num((vb.get("totals") or {}).get("quarantined"))
    if pa is None or pb is None:
        return "Data quality cannot be compared: a cycle has no validation record."
    points = 100 * (pb - pa)
    verdict = (
        "was about the same" if abs(points) < 0.05 else ("improved" if points > 0 else "got worse")
    )
    held = (
        f" ({fmt(qb)} row{'' if qb == 1 else 's'} held back, {fmt(qa)} the year before)"
        if qa is not None and qb is not None
        else ""
    )
    return (
        f"Data quality {verdict}: {100 * pb:.1f}% of rows accepted in {diff.b}, "
        f"{100 * pa:.1f}% in {diff.a}{held}."
    )


def headline_sentence(diff: CycleDiff) -> list[str]:
    """Social value and how many partners reported, both years, in one sentence."""
    oa, ob = diff.outcomes.get("a") or {}, diff.outcomes.get("b") or {}
    parts = []
    sa, sb = _num(oa.get("social_value_gbp")), _num(ob.get("social_value_gbp"))
    if sa is not None and sb is not None:
        verb = "rose" if sb > sa else ("fell" if sb < sa else "stayed")
        where = "at" if verb == "stayed" else "from"
        to = "" if verb == "stayed" else f" to {fmt(sb, 'GBP')}"
        parts.append(f"Estimated social value {verb} {where} {fmt(sa, 'GBP')}{to}")
    ra, rb = _num(oa.get("partners_reporting")), _num(ob.get("partners_reporting"))
    reg = _num(ob.get("partners_registered"))
    if ra is not None and rb is not None:
        of = f" of {fmt(reg)}" if reg is not None else ""
        parts.append(f"{fmt(rb)}{of} partners sent returns for {diff.b} ({fmt(ra)} for {diff.a})")
    return ["; ".join(parts) + "."] if parts else []


def summary(diff: CycleDiff) -> list[str]:
    """The page's opening sentences (also printed by `svf cycle diff`)."""
    return [
        *headline_sentence(diff),
        *theme_sentences(diff),
        *largest_changes(diff),
        *partner_sentences(diff),
        quality_sentence(diff),
    ]


# --- the page ------------------------------------------------------------------------------------

_HEADLINES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Social value (proxy estimate)", ("social_value_gbp",), "GBP"),
    ("Partners registered", ("partners_registered",), "count"),
    ("Partners who sent returns", ("partners_reporting",), "count"),
    ("Returns accepted", ("returns",), "count"),
    ("Council spend with local suppliers", ("spend", "local_share"), "percent"),
    ("Council spend with small businesses (SMEs)", ("spend", "sme_share"), "percent"),
    ("Council spend with voluntary and community groups", ("spend", "vcfs_share"), "percent"),
    ("Contracts with no outcome measures", ("contracts_without_outcomes",), "count"),
    ("Measures no partner reported", ("uncovered_measures",), "count"),
)


def _get(data: dict[str, Any] | None, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, its CSS class, and a note shown after it (a measure's id)."""

    text: str
    cls: str = ""
    note: str = ""


def _status_cell(status: str) -> Cell:
    """A status as its symbol and word, coloured by the shared stylesheet's status classes."""
    s = Status.of(status)
    return Cell(s.label, f"status {s.css_class}")


@dataclass(frozen=True)
class CardsTable:
    """A table that becomes stacked cards on a phone; the first cell of each row is its header."""

    caption: str
    head: list[str]
    rows: list[list[Cell]]


def _headline_table(diff: CycleDiff) -> CardsTable:
    oa, ob = diff.outcomes.get("a"), diff.outcomes.get("b")
    va, vb = diff.validation.get("a") or {}, diff.validation.get("b") or {}
    rows = []
    for label, path, unit in _HEADLINES:
        a, b = _get(oa, path), _get(ob, path)
        if a is None and b is None:
            continue
        rows.append(
            [
                Cell(label),
                Cell(fmt(a, unit), "num"),
                Cell(fmt(b, unit), "num"),
                Cell(change(a, b, unit)),
            ]
        )
    pa, pb = _num(va.get("pass_rate")), _num(vb.get("pass_rate"))
    if pa is not None or pb is not None:
        a = None if pa is None else 100 * pa
        b = None if pb is None else 100 * pb
        rows.append(
            [
                Cell("Rows accepted by validation"),
                Cell(fmt(a, "percent"), "num"),
                Cell(fmt(b, "percent"), "num"),
                Cell(change(a, b, "percent")),
            ]
        )
    return CardsTable("Headline figures", ["Figure", diff.a, diff.b, "Change"], rows)


@dataclass(frozen=True)
class Line:
    """One cycle's series in a chart: points as SVG coordinates, and how the line is drawn."""

    points: list[tuple[str, str]]
    colour: str
    width: str
    dash: str = ""


@dataclass(frozen=True)
class Chart:
    """A small SVG line chart of one measure, both cycles, with its text alternative."""

    width: int
    height: int
    left: int
    right: int
    top: int
    base: str
    lines: list[Line]
    ticks: list[tuple[str, str]]
    scale: str
    alt: str
    caption: str


def _chart(m: MeasureRow, a: str, b: str) -> Chart | None:
    """Both cycles' series of one measure as a small line chart (with a text alternative)."""
    periods = sorted({p for p, _ in m.series_a + m.series_b})
    values = [v for _, v in m.series_a + m.series_b if v is not None and not math.isnan(v)]
    if not periods or not values:
        return None
    w, h, left, right, top, bottom = 220, 124, 26, 26, 20, 24
    lo, hi = min(0.0, min(values)), max(values)
    hi = hi if hi > lo else lo + 1

    def x(p: str) -> float:
        i = periods.index(p)
        return left + (w - left - right) * (i / (len(periods) - 1) if len(periods) > 1 else 0.5)

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    def line(series: list[tuple[str, float | None]], colour: str, width: str, dash: str = ""):  # noqa: ANN202
        pts = [
            (f"{x(p):.1f}", f"{y(v):.1f}") for p, v in series if v is not None and not math.isnan(v)
        ]
        return Line(pts, colour, width, dash) if pts else None

    said = "; ".join(
        f"{label}: " + ", ".join(f"{p} {fmt(v, m.unit)}" for p, v in series)
        for label, series in ((a, m.series_a), (b, m.series_b))
        if series
    )
    lines = [
        line(m.series_a, "#8a8f93", "2", "5 3"),
        line(m.series_b, "#1d4f91", "2.5"),
    ]
    return Chart(
        width=w,
        height=h,
        left=left,
        right=w - right,
        top=top,
        base=f"{y(lo):.1f}",
        lines=[ln for ln in lines if ln is not None],
        ticks=[(f"{x(p):.1f}", p) for p in periods],
        scale=fmt(hi, m.unit),
        alt=f"{m.name}, by financial year. {said}.",
        caption=f"{m.measure_id} {m.name}: {fmt(m.value_b, m.unit)} in {b}",
    )


def _theme_section(diff: CycleDiff, code: str) -> dict[str, Any]:
    rows = measure_rows(diff, code)
    section: dict[str, Any] = {
        "code": code,
        "name": _theme_name(diff, code),
        "status_a": status_label(_theme_status(diff, "a", code)),
        "status_b": status_label(_theme_status(diff, "b", code)),
        "table": None,
        "empty": [],
        "charts": [],
    }
    empty = [m for m in rows if m.value_a is None and m.value_b is None]
    rows = [m for m in rows if m.value_a is not None or m.value_b is not None]
    if not rows:
        return section
    head = ["Measure", diff.a, diff.b, "Change", f"Status {diff.a}", f"Status {diff.b}"]
    section["table"] = CardsTable(
        f"{_theme_name(diff, code)}: measures",
        head,
        [
            [
                Cell(m.name, note=m.measure_id),
                Cell(fmt(m.value_a, m.unit), "num"),
                Cell(fmt(m.value_b, m.unit), "num"),
                Cell(m.change),
                _status_cell(m.status_a),
                _status_cell(m.status_b),
            ]
            for m in rows
        ],
    )
    section["empty"] = [f"{m.name} ({m.measure_id})" for m in empty]
    section["charts"] = [c for c in (_chart(m, diff.a, diff.b) for m in rows) if c]
    return section


def _partner_section(diff: CycleDiff) -> dict[str, Any] | None:
    if diff.theme_status.get("a") is None or diff.theme_status.get("b") is None:
        return None
    moves, same = partner_moves(diff)
    if not moves:
        return {"table": None, "same": same}
    head = ["Partner", "Theme", f"Status {diff.a}", f"Status {diff.b}"]
    rows = [
        [
            Cell(_partner(diff, p)),
            Cell(_theme_name(diff, t)),
            _status_cell(a),
            _status_cell(b),
        ]
        for p, t, a, b in moves
    ]
    table = CardsTable("Partners whose status on a theme changed", head, rows)
    return {"table": table, "same": same}


def render_diff_html(diff: CycleDiff) -> str:
    """The page (`templates/compare.html.j2`, with the shared stylesheet)."""
    template = html.environment(TEMPLATES).get_template("compare.html.j2")
    return template.render(
        title=f"Social value review: {diff.a} compared with {diff.b}",
        a=diff.a,
        b=diff.b,
        summary=summary(diff),
        key=[status_label(s) for s in (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)],
        headline=_headline_table(diff),
        themes=[_theme_section(diff, code) for code in _themes(diff)],
        partners=_partner_section(diff),
    )
