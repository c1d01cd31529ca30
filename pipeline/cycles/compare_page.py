"""The comparison of two closed cycles (`svf cycle diff A B`) as a page a council can read.

It starts with plain sentences (themes whose status changed, the largest like-for-like changes by
measure name, partners who slipped or recovered, whether data quality got better or worse), then
gives the headline figures and, theme by theme, each measure's name, both years' figures in their
units (£ with thousands separators, shares as percentages with the change in points), the status
in both years and a small chart of both cycles' series (from the DVC plot data).

One self-contained file: no scripts, no external styles, fonts or images, so it can be e-mailed.
Every value is escaped (partner names and plot rows are data, never markup). Bookkeeping fields
(`cycle`, `generated_at`, `latest_period`) are never shown as changes. It fits a phone: the tables
become stacked cards below 40rem, the charts wrap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd

from pipeline.core.periods import of_cycle
from pipeline.core.status import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, status_label
from pipeline.report.blocks import as_number as _num

#: Borough-level plot rows and headline metrics have these levels; partner rows are elsewhere.
_AREA_LEVELS = {"borough", "council"}
_GOOD = {ON_TRACK}
#: A like-for-like change needs at least this many partners reporting both years.
MIN_LFL_PARTNERS = 2
_BAD = {AT_RISK, OFF_TRACK}

_CSS = """
:root{--ink:#1b1b1b;--muted:#505a5f;--rule:#b1b4b6;--accent:#1d4f91;--a:#8a8f93}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:var(--ink);
line-height:1.5;background:#fff}
main{max-width:62rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0 .8rem}h2{font-size:1.25rem;margin-top:2.2rem;
border-bottom:3px solid var(--accent);padding-bottom:.2rem}h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
.lede{font-size:1.08rem}.lede li{margin:.35rem 0}
.note{color:var(--muted);font-size:.9rem}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
thead th{white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.93rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid var(--rule);padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f3f2f1;border-bottom:2px solid var(--ink)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status{white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.8rem;margin:.6rem 0}
figure{margin:0;border:1px solid var(--rule);padding:.4rem}
figcaption{font-size:.8rem;color:var(--muted)}
svg{width:100%;height:auto;display:block}
.key{font-size:.85rem;color:var(--muted)}
.key .sa{border-top:2px dashed var(--a);display:inline-block;width:1.6rem;vertical-align:middle}
.key .sb{border-top:3px solid var(--accent);display:inline-block;width:1.6rem;vertical-align:middle}
@media (max-width:40rem){
 table.cards thead{position:absolute;left:-9999px}
 table.cards,table.cards tbody,table.cards tr,table.cards td,table.cards th{display:block;width:100%}
 table.cards tr{border:1px solid var(--rule);margin:0 0 .7rem;padding:.3rem .5rem}
 table.cards td,table.cards th[scope=row]{border:0;padding:.15rem 0;text-align:left}
 table.cards td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
 table.cards td.num{text-align:left;white-space:normal}
}
"""


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


def status_text(status: Any) -> str:
    return status_label(status)


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


def _cards_table(caption: str, head: Sequence[str], rows: list[list[tuple[str, str]]]) -> str:
    """A table that becomes stacked cards on a phone; cells are (html, css class), the first
    cell of each row is its header."""
    parts = [f'<table class="cards"><caption class="vh">{escape(caption)}</caption><thead><tr>']
    parts += [f'<th scope="col">{escape(h)}</th>' for h in head]
    parts.append("</tr></thead><tbody>")
    for row in rows:
        first, *rest = row
        parts.append(f'<tr><th scope="row">{first[0]}</th>')
        for (cell, cls), label in zip(rest, head[1:], strict=True):
            klass = f' class="{cls}"' if cls else ""
            parts.append(f'<td{klass} data-label="{escape(label)}">{cell}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _headline_table(diff: CycleDiff) -> str:
    oa, ob = diff.outcomes.get("a"), diff.outcomes.get("b")
    va, vb = diff.validation.get("a") or {}, diff.validation.get("b") or {}
    rows = []
    for label, path, unit in _HEADLINES:
        a, b = _get(oa, path), _get(ob, path)
        if a is None and b is None:
            continue
        rows.append(
            [
                (escape(label), ""),
                (escape(fmt(a, unit)), "num"),
                (escape(fmt(b, unit)), "num"),
                (escape(change(a, b, unit)), ""),
            ]
        )
    pa, pb = _num(va.get("pass_rate")), _num(vb.get("pass_rate"))
    if pa is not None or pb is not None:
        a = None if pa is None else 100 * pa
        b = None if pb is None else 100 * pb
        rows.append(
            [
                ("Rows accepted by validation", ""),
                (escape(fmt(a, "percent")), "num"),
                (escape(fmt(b, "percent")), "num"),
                (escape(change(a, b, "percent")), ""),
            ]
        )
    head = ["Figure", diff.a, diff.b, "Change"]
    return _cards_table("Headline figures", head, rows)


def _chart(m: MeasureRow, a: str, b: str) -> str:
    """Both cycles' series of one measure as a small SVG line chart (with a text alternative)."""
    periods = sorted({p for p, _ in m.series_a + m.series_b})
    values = [v for _, v in m.series_a + m.series_b if v is not None and not math.isnan(v)]
    if not periods or not values:
        return ""
    w, h, left, right, top, bottom = 220, 124, 26, 26, 20, 24
    lo, hi = min(0.0, min(values)), max(values)
    hi = hi if hi > lo else lo + 1

    def x(p: str) -> float:
        i = periods.index(p)
        return left + (w - left - right) * (i / (len(periods) - 1) if len(periods) > 1 else 0.5)

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / (hi - lo))

    def line(series: list[tuple[str, float | None]], style: str) -> str:
        pts = [(x(p), y(v)) for p, v in series if v is not None and not math.isnan(v)]
        if not pts:
            return ""
        dots = "".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" {style}/>' for px, py in pts)
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        return f'<polyline points="{path}" fill="none" {style}/>' + dots

    scale = (
        f'<text x="2" y="{top - 4}" font-size="12" fill="#505a5f">{escape(fmt(hi, m.unit))}</text>'
        f'<line x1="{left}" x2="{w - right}" y1="{top}" y2="{top}" stroke="#e5e6e7"/>'
    )
    ticks = "".join(
        f'<text x="{x(p):.1f}" y="{h - 7}" font-size="12" text-anchor="middle" fill="#505a5f">'
        f"{escape(p)}</text>"
        for p in periods
    )
    said = "; ".join(
        f"{label}: " + ", ".join(f"{p} {fmt(v, m.unit)}" for p, v in series)
        for label, series in ((a, m.series_a), (b, m.series_b))
        if series
    )
    alt = f"{m.name}, by financial year. {said}."
    svg = (
        f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="{escape(alt)}">'
        f'<line x1="{left}" x2="{w - right}" y1="{y(lo):.1f}" y2="{y(lo):.1f}" stroke="#b1b4b6"/>'
        + line(
            m.series_a, 'stroke="#8a8f93" stroke-width="2" stroke-dasharray="5 3" fill="#8a8f93"'
        )
        + line(m.series_b, 'stroke="#1d4f91" stroke-width="2.5" fill="#1d4f91"')
        + ticks
        + scale
        + "</svg>"
    )
    return (
        f"<figure>{svg}<figcaption>{escape(m.measure_id)} {escape(m.name)}: "
        f"{escape(fmt(m.value_b, m.unit))} in {escape(b)}</figcaption></figure>"
    )


def _theme_section(diff: CycleDiff, code: str) -> list[str]:
    rows = measure_rows(diff, code)
    sa, sb = _theme_status(diff, "a", code), _theme_status(diff, "b", code)
    parts = [
        f'<h2 id="{escape(code)}">{escape(_theme_name(diff, code))}</h2>',
        f"<p>Status: <strong>{escape(status_text(sa))}</strong> in {escape(diff.a)}, "
        f"<strong>{escape(status_text(sb))}</strong> in {escape(diff.b)}.</p>",
    ]
    empty = [m for m in rows if m.value_a is None and m.value_b is None]
    rows = [m for m in rows if m.value_a is not None or m.value_b is not None]
    if not rows:
        return [*parts, '<p class="note">Neither cycle has figures for this theme.</p>']
    table_rows = [
        [
            (f"{escape(m.name)} <span class='note'>({escape(m.measure_id)})</span>", ""),
            (escape(fmt(m.value_a, m.unit)), "num"),
            (escape(fmt(m.value_b, m.unit)), "num"),
            (escape(m.change), ""),
            (escape(status_text(m.status_a)), "status"),
            (escape(status_text(m.status_b)), "status"),
        ]
        for m in rows
    ]
    head = ["Measure", diff.a, diff.b, "Change", f"Status {diff.a}", f"Status {diff.b}"]
    parts.append(_cards_table(f"{_theme_name(diff, code)}: measures", head, table_rows))
    if empty:
        names = ", ".join(f"{escape(m.name)} ({escape(m.measure_id)})" for m in empty)
        parts.append(f'<p class="note">No figure in either year: {names}.</p>')
    charts = [c for c in (_chart(m, diff.a, diff.b) for m in rows) if c]
    if charts:
        parts.append(
            f'<p class="key"><span class="sa"></span> {escape(diff.a)} as recorded &nbsp; '
            f'<span class="sb"></span> {escape(diff.b)} as recorded</p>'
        )
        parts.append('<div class="charts">' + "".join(charts) + "</div>")
    return parts


def _partner_section(diff: CycleDiff) -> list[str]:
    parts = ["<h2 id='partners'>Partners</h2>"]
    if diff.theme_status.get("a") is None or diff.theme_status.get("b") is None:
        return [
            *parts,
            '<p class="note">The cycles\' tables are not in the DVC cache: run '
            "<code>dvc pull</code> and compare again for partner detail.</p>",
        ]
    moves, same = partner_moves(diff)
    if not moves:
        return [*parts, f"<p>No partner changed status on any theme ({same} unchanged).</p>"]
    rows = [
        [
            (escape(_partner(diff, p)), ""),
            (escape(_theme_name(diff, t)), ""),
            (escape(status_text(a)), "status"),
            (escape(status_text(b)), "status"),
        ]
        for p, t, a, b in moves
    ]
    head = ["Partner", "Theme", f"Status {diff.a}", f"Status {diff.b}"]
    parts.append(_cards_table("Partners whose status on a theme changed", head, rows))
    parts.append(f'<p class="note">{same} other partner and theme pairs kept their status.</p>')
    return parts


def render_diff_html(diff: CycleDiff) -> str:
    a, b = escape(diff.a), escape(diff.b)
    title = f"Social value review: {a} compared with {b}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{title}</h1>",
        '<ul class="lede">' + "".join(f"<li>{escape(s)}</li>" for s in summary(diff)) + "</ul>",
        f'<p class="note">Each cycle\'s figures are for its own financial year, as recorded when '
        f"it was closed (git tags <code>review/{a}</code> and <code>review/{b}</code>). "
        "Shares change in percentage points; status is shown by symbol and word: "
        + ", ".join(escape(status_text(s)) for s in (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA))
        + ".</p>",
        "<h2>Headline figures</h2>",
        _headline_table(diff),
    ]
    for code in _themes(diff):
        parts += _theme_section(diff, code)
    parts += _partner_section(diff)
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
