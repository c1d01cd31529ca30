"""Charts in the council's house style, as SVG, each with alt text stating what it shows.

The three charts (trend small multiples, target against actual, theme scorecard) are fixed
designs, so they are written straight as SVG text: a few hundred elements, about a millisecond a
chart. Drawing them with matplotlib cost about 0.1 s of CPU per chart whatever the backend (its
text layout and tick machinery run on every draw), which was most of a partner report's cost.
Axis ticks still come from matplotlib's `MaxNLocator`, so the axes read as before.

Text stays text: the browser and Typst set it in the report's own typeface (Liberation Sans,
metric-compatible with Arial, so the layout holds where only Arial is installed), it is sharp at
any zoom and in print, and a PDF reader can select it. Every string is XML-escaped: a label is
data, never markup. Status is always drawn with its word and symbol, never colour alone.

A figure block holds the SVG text, its alt text and its size in pixels (`blocks.figure`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from matplotlib.ticker import MaxNLocator

from pipeline.core.status import Status
from pipeline.report import blocks as rb

#: House palette (Okabe-Ito based: distinguishable with colour-vision deficiencies).
INK = "#1d2733"
MUTED = "#5b6670"
ACCENT = "#005ea5"
TARGET = "#c05000"
BOROUGH = "#7a7a7a"
GRID = "#dddddd"
STATUS_COLOUR = {s.value: s.colour for s in Status}
#: Pixels per inch of the size a chart is shown at in HTML (its coordinates are points).
DPI = 110
#: The report's typeface first (report.css, report.typ); DejaVu Sans has the status symbols.
FONT = "'Liberation Sans', Arial, Helvetica, 'DejaVu Sans', sans-serif"
#: Tick marks: length and gap to their labels, in points (as matplotlib's defaults).
TICK, PAD = 3.5, 3.5


def fmt_number(value: float | None, unit: str = "count") -> str:
    """A figure as a reader expects it: thousands separators, % for percentages, £ for money."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "percent":
        return f"{value:,.1f}%"
    if unit == "GBP":
        return f"£{value:,.0f}"
    if abs(value - round(value)) < 1e-9:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _tick(value: float, unit: str) -> str:
    """An axis label: like `fmt_number`, without decimals on round ticks."""
    if unit == "percent":
        # 0.25% must not read "0%": decimals only where a tick needs them.
        return f"{value:,.0f}%" if float(value).is_integer() else f"{value:,.2g}%"
    return fmt_number(value, unit)


#: Text holding a status symbol is set in a face that has the symbols, whole: Typst picks one
#: face for an SVG text element (a symbol missing from the first face set the whole line in
#: another, so the width of a label changed with its status), and so do some browsers.
SYMBOL_FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
_SYMBOLS = frozenset(s.symbol for s in Status)


def _n(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


class Canvas:
    """SVG elements in a box `width` x `height` points (y grows downwards)."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def line(
        self, x1: float, y1: float, x2: float, y2: float, colour: str, width: float, dash: str = ""
    ) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" '
            f'stroke-width="{_n(width)}"{d}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        colour: str = INK,
        *,
        anchor: str = "start",
        bold: bool = False,
        middle: bool = False,
        line_height: float = 1.2,
        cls: str = "",
    ) -> None:
        """Text with its first baseline at `y` (or, with `middle`, its lines centred on `y`).
        A newline starts a new line, `line_height` times the size below."""
        lines = text.split("\n")
        step = size * line_height
        if middle:
            # Cap height is about 0.7 of the size: centre the block of lines on y.
            y = y - (len(lines) - 1) * step / 2 + 0.35 * size
        attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{colour}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if bold:
            attrs += ' font-weight="bold"'
        if cls:
            attrs += f' class="{cls}"'
        if _SYMBOLS & set(text):
            attrs += f' font-family="{SYMBOL_FONT}"'
        if len(lines) == 1:
            self.add(f"<text {attrs}>{escape(text)}</text>")
            return
        spans = "".join(
            f'<tspan x="{_n(x)}" dy="{_n(0 if i == 0 else step)}">{escape(s)}</tspan>'
            for i, s in enumerate(lines)
        )
        self.add(f"<text {attrs}>{spans}</text>")

    def svg(self) -> str:
        w, h = self.width, self.height
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
            f'width="{round(w * DPI / 72)}" height="{round(h * DPI / 72)}" '
            f'viewBox="0 0 {_n(w)} {_n(h)}" font-family="{FONT}">'
            f'<rect width="{_n(w)}" height="{_n(h)}" fill="#ffffff"/>'
            + "".join(self.parts)
            + "</svg>"
        )

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * DPI / 72), round(self.height * DPI / 72)


def _figure(canvas: Canvas, alt: str, caption: str) -> rb.Block:
    w, h = canvas.pixels
    return rb.figure(canvas.svg(), alt, caption, w, h)


#: Units counted in whole numbers: their axes never show fractions.
WHOLE_UNITS = frozenset({"count", "visits"})

#: A trend series: (measure id, short name, unit, values per period, targets per period, what
#: each missing value is called, per period); None is a missing value, or no target that year.
Series = tuple[str, str, str, Sequence[float | None], Sequence[float | None], Sequence[str]]

#: Panels per row. Every trend chart is drawn this wide, so a panel is the same size in every
#: chart of a report, however many measures a theme has.
COLS = 3
#: Trend chart geometry in points: panel size, gaps, margins. The left margin holds a y label of
#: eleven characters at 9 pt ("£12,345,678"); at 44.6 pt (the matplotlib charts' 0.62 in) a
#: council total of millions lost its first characters off the edge.
PANEL_W, PANEL_H = 120.0, 93.6
GAP_X, GAP_Y = 66.0, 57.6
LEFT, RIGHT, TOP, BOTTOM = 58.0, 28.8, 54.0, 28.8


@dataclass
class Panel:
    """One drawn panel of a trend chart: where it is and what its axes show."""

    x: float
    y: float
    width: float
    height: float
    ymax: float
    yticks: list[float]
    ytick_labels: list[str]
    lines: list[str] = field(default_factory=list)  # "actual", "target"


@dataclass
class TrendFigure:
    """A trend chart drawn: the SVG, the alt text of each panel, the panels and legend."""

    canvas: Canvas
    alt_parts: list[str]
    panels: list[Panel]
    legend: list[str]


def trend_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    caption: str = "",
) -> rb.Block:
    """Small multiples, one panel per measure: value by year, and each year's own target.

    A target is drawn only for the years that had one (never carried back to earlier years).
    Count measures get whole-number axes. The legend names every kind of line drawn.
    """
    fig = trend_figure(periods, series)
    alt = f"{title}. Line charts by financial year. " + ". ".join(fig.alt_parts) + "."
    return _figure(fig.canvas, alt, caption or title)


def _y_axis(top: float, whole: bool) -> tuple[float, list[float]]:
    """The upper limit of a panel's y axis (from 0) and its ticks, as matplotlib would set them."""
    ymax = top * 1.15 if top > 0 else (4.0 if whole else 1.0)
    ticks = MaxNLocator(4, integer=whole).tick_values(0.0, ymax)
    return ymax, [float(t) for t in ticks if -1e-9 <= t <= ymax * (1 + 1e-9)]


def _polyline(points: list[tuple[float, float]], colour: str, width: float, dash: str = "") -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    xy = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return (
        f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="{_n(width)}" '
        f'stroke-linejoin="round" stroke-linecap="butt"{d}/>'
    )


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive drawn points: a missing value breaks the line, as matplotlib does."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if len(r) > 1]


def trend_figure(periods: Sequence[str], series: Sequence[Series]) -> TrendFigure:
    """The trend chart of `trend_chart`: its canvas, the alt text of each panel, its panels."""
    n = max(len(series), 1)
    rows = math.ceil(n / COLS)
    drew_target = any(t is not None for s in series for t in s[4])
    width = LEFT + COLS * PANEL_W + (COLS - 1) * GAP_X + RIGHT
    height = TOP + rows * PANEL_H + (rows - 1) * GAP_Y + BOTTOM
    c = Canvas(width, height)
    npts = len(periods)
    x_lo, x_hi = -0.4, max(npts - 0.6, 0.4)
    xlabels = [p.replace("/", "/\n") if npts > 4 else p for p in periods]
    panels, alt_parts = [], []
    for i, (mid, short, unit, values, targets, missing) in enumerate(series):
        px = LEFT + (i % COLS) * (PANEL_W + GAP_X)
        py = TOP + (i // COLS) * (PANEL_H + GAP_Y)
        ys = [math.nan if v is None else float(v) for v in values]
        ts = [math.nan if t is None else float(t) for t in targets]
        whole = unit in WHOLE_UNITS
        ymax, yticks = _y_axis(max([y for y in ys + ts if not math.isnan(y)] + [0]), whole)
        labels = [_tick(t, unit) for t in yticks]
        panel = Panel(px, py, PANEL_W, PANEL_H, ymax, yticks, labels)

        def sx(x: float, px: float = px) -> float:
            return px + (x - x_lo) / (x_hi - x_lo) * PANEL_W

        def sy(y: float, py: float = py, ymax: float = ymax) -> float:
            return py + PANEL_H - y / ymax * PANEL_H

        c.add('<g class="panel">')
        for t, label in zip(yticks, labels, strict=True):
            y = sy(t)
            c.line(px, y, px + PANEL_W, y, GRID, 0.6)
            c.line(px - TICK, y, px, y, MUTED, 0.8)
            c.text(px - TICK - PAD, y, label, 9, MUTED, anchor="end", middle=True, cls="ytick")
        for x, label in enumerate(xlabels):
            xx = sx(x)
            c.line(xx, py + PANEL_H, xx, py + PANEL_H + TICK, MUTED, 0.8)
            c.text(xx, py + PANEL_H + TICK + PAD + 7.5 * 0.8, label, 7.5, MUTED, anchor="middle")
        c.line(px, py, px, py + PANEL_H, MUTED, 0.8)
        c.line(px, py + PANEL_H, px + PANEL_W, py + PANEL_H, MUTED, 0.8)
        c.add(
            f'<clipPath id="p{i}"><rect x="{_n(px)}" y="{_n(py)}" width="{_n(PANEL_W)}" '
            f'height="{_n(PANEL_H)}"/></clipPath><g clip-path="url(#p{i})">'
        )
        actual = [None if math.isnan(y) else (sx(x), sy(y)) for x, y in enumerate(ys)]
        target = [None if math.isnan(t) else (sx(x), sy(t)) for x, t in enumerate(ts)]
        if any(p is not None for p in target):
            panel.lines.append("target")
            for run in _runs(target):
                c.add(_polyline(run, TARGET, 1.1, "4.07 1.76"))
            for p in target:
                if p is not None:
                    c.line(p[0] - 6, p[1], p[0] + 6, p[1], TARGET, 1.6)
        panel.lines.append("actual")
        for run in _runs(actual):
            c.add(_polyline(run, ACCENT, 1.8))
        for p in actual:
            if p is not None:
                c.add(f'<circle cx="{_n(p[0])}" cy="{_n(p[1])}" r="2" fill="{ACCENT}"/>')
        c.add("</g>")
        for x, (y, why) in enumerate(zip(ys, missing, strict=True)):
            if math.isnan(y):
                c.text(sx(x), py + PANEL_H - 4, why, 7, MUTED, anchor="middle")
        title = _wrap(f"{mid} {short}", 26).split("\n")
        for k, line in enumerate(reversed(title)):
            c.text(px, py - 6 - 3 - k * 8.5 * 1.2, line, 8.5, INK, bold=True, cls="title")
        c.add("</g>")
        panels.append(panel)
        points = "; ".join(
            f"{p} {fmt_number(v, unit) if v is not None else why}"
            + (f" (target {fmt_number(t, unit)})" if t is not None else "")
            for p, v, t, why in zip(periods, values, targets, missing, strict=True)
        )
        alt_parts.append(f"{mid} {short}: {points}")
    legend = ["actual"] + (["target (that year's own)"] if drew_target else [])
    lx, ly = LEFT, 3 + 7.5 * 0.6
    c.add('<g class="legend">')
    for label in legend:
        if label == "actual":
            c.line(lx, ly, lx + 15, ly, ACCENT, 1.8)
            c.add(f'<circle cx="{_n(lx + 7.5)}" cy="{_n(ly)}" r="2" fill="{ACCENT}"/>')
        else:
            c.line(lx, ly, lx + 15, ly, TARGET, 1.1, "4.07 1.76")
            c.line(lx + 1.5, ly, lx + 13.5, ly, TARGET, 1.6)
        c.text(lx + 21, ly, label, 7.5, INK, middle=True, cls="legend-label")
        lx += 21 + 4.6 * len(label) + 15
    c.add("</g>")
    return TrendFigure(c, alt_parts, panels, legend)


def target_chart(
    title: str, items: Sequence[tuple[str, str, float, str]], *, caption: str = ""
) -> rb.Block:
    """Achieved share of target per measure as horizontal bars, with status word and symbol.

    `items`: (measure id, short name, achieved share (1.0 = target met), status).
    """
    items = list(items)
    n = max(len(items), 1)
    width, height = 6.6 * 72, (0.42 * n + 0.9) * 72
    c = Canvas(width, height)
    left, right = 0.36 * width, 0.98 * width
    top, bottom = 0.3 * 72, height - 0.55 * 72
    x_max = 185.0
    # The bars' own extent plus matplotlib's 5% margin either side.
    lo, hi = -0.3, len(items) - 0.7
    lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)

    def sx(v: float) -> float:
        return left + v / x_max * (right - left)

    def sy(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    for v, label in zip((0, 50, 100, 150), ("0%", "50%", "100%", "150%"), strict=True):
        c.line(sx(v), top, sx(v), bottom, GRID, 0.6)
        c.line(sx(v), bottom, sx(v), bottom + TICK, MUTED, 0.8)
        c.text(sx(v), bottom + TICK + PAD + 9 * 0.8, label, 9, MUTED, anchor="middle")
    ys = list(range(len(items)))[::-1]
    bar = 0.6 / (hi - lo) * (bottom - top)
    for y, (mid, short, share, status) in zip(ys, items, strict=True):
        capped = min(share, 1.5) * 100
        colour = STATUS_COLOUR.get(status, BOROUGH)
        c.add(
            f'<rect x="{_n(sx(0))}" y="{_n(sy(y) - bar / 2)}" width="{_n(sx(capped) - sx(0))}" '
            f'height="{_n(bar)}" fill="{colour}"/>'
        )
        c.line(left - TICK, sy(y), left, sy(y), MUTED, 0.8)
        c.text(
            left - TICK - PAD,
            sy(y),
            _wrap(f"{mid} {short}", 38),
            7.5,
            MUTED,
            anchor="end",
            middle=True,
        )
        # Labels start right of the target line so the two never overlap.
        c.text(
            sx(max(capped, 100) + 2),
            sy(y),
            f"{share * 100:.0f}%  {rb.status_label(status)}",
            7.5,
            INK,
            middle=True,
        )
    c.line(sx(100), top, sx(100), bottom, INK, 1, "3.7 1.6")
    c.text(sx(100) + 2, sy(len(items) - 0.35) - 1, "target", 7.5, INK)
    c.line(left, top, left, bottom, MUTED, 0.8)
    c.line(left, bottom, right, bottom, MUTED, 0.8)
    c.text(
        (left + right) / 2,
        bottom + TICK + PAD + 9 * 1.2 + 4 + 9 * 0.8,
        "Achieved share of target (bars capped at 150%)",
        9,
        INK,
        anchor="middle",
    )
    described = "; ".join(
        f"{mid} {short} {s * 100:.0f}% of target, {st}" for mid, short, s, st in items
    )
    alt = f"{title}. Horizontal bar chart of achieved share of target: {described}."
    return _figure(c, alt, caption or title)


def scorecard_chart(
    title: str, items: Sequence[tuple[str, str, str, int, int, int, int]], *, caption: str = ""
) -> rb.Block:
    """Theme scorecard: one tile per theme with status word and symbol and the measure counts.

    `items`: (theme code, name, status, on track, at risk, off track, not judged), where not
    judged counts measures with no target, no return or no data.
    """
    items = list(items)
    width, height = 6.6 * 72, 1.45 * 72
    c = Canvas(width, height)
    n = max(len(items), 1)
    left, right, top, bottom = 0.01 * width, 0.99 * width, 0.02 * height, 0.98 * height
    tile = (right - left) / (n + (n - 1) * 0.06)
    gap = 0.06 * tile
    th = bottom - top
    for i, (code, name, status, on, risk, off, nod) in enumerate(items):
        colour = STATUS_COLOUR.get(status, BOROUGH)
        x0 = left + i * (tile + gap) + 0.02 * tile
        y0 = top + 0.02 * th
        w, h = 0.96 * tile, 0.96 * th
        rx, ry = 0.06 * tile, 0.06 * th
        band = 0.24 * th
        c.add(
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(rx)}" '
            f'ry="{_n(ry)}" fill="#ffffff" stroke="{colour}" stroke-width="2.2"/>'
        )
        # The coloured band: rounded at the top like the tile, square where it meets the body.
        c.add(
            f'<path d="M{_n(x0)},{_n(y0 + band)} V{_n(y0 + ry)} '
            f"Q{_n(x0)},{_n(y0)} {_n(x0 + rx)},{_n(y0)} H{_n(x0 + w - rx)} "
            f'Q{_n(x0 + w)},{_n(y0)} {_n(x0 + w)},{_n(y0 + ry)} V{_n(y0 + band)} Z" '
            f'fill="{colour}"/>'
        )
        cx = left + i * (tile + gap) + tile / 2
        c.text(
            cx,
            top + 0.14 * th,
            f"{code} {name}",
            8 if len(name) < 12 else 7,
            "#ffffff",
            anchor="middle",
            bold=True,
            middle=True,
        )
        c.text(
            cx,
            top + 0.48 * th,
            rb.status_label(status),
            9,
            INK,
            anchor="middle",
            bold=True,
            middle=True,
        )
        c.text(
            cx,
            top + 0.78 * th,
            f"{on} on track · {risk} at risk\n{off} off track · {nod} not judged",
            6.5,
            MUTED,
            anchor="middle",
            middle=True,
        )
    described = "; ".join(
        f"{code} {name} {status} ({on} on track, {risk} at risk, {off} off track, {nod} not judged)"
        for code, name, status, on, risk, off, nod in items
    )
    alt = f"{title}. Scorecard of theme status: {described}."
    return _figure(c, alt, caption or title)


def _wrap(text: str, width: int) -> str:
    """At most two lines of `width` characters, with an ellipsis if the text is longer."""
    lines = textwrap.wrap(text, width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")
