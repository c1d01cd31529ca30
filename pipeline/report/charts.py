"""Charts in the council's house style, each with alt text stating what it shows.

Charts are drawn with matplotlib's object API on the Agg canvas (no pyplot state, so one worker
can draw for many audiences without anything carrying over) and returned as figure blocks holding
PNG bytes and alt text. Status is always drawn with its word and symbol, never colour alone.
Mathtext is switched off: a `$` in any label is a dollar sign, not a formula.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import patches  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from pipeline.report import blocks as rb  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: House palette (Okabe-Ito based: distinguishable with colour-vision deficiencies).
INK = "#1d2733"
MUTED = "#5b6670"
ACCENT = "#005ea5"
TARGET = "#c05000"
BOROUGH = "#7a7a7a"
STATUS_COLOUR = {
    "on track": "#1b7f3b",
    "at risk": "#b35c00",
    "off track": "#b3261e",
    "no data": "#6b6b6b",
    "no return": "#6b6b6b",
    "no target": "#6b6b6b",
}
DPI = 110

STYLE: dict[RcKeyType, Any] = {
    "font.family": ["DejaVu Sans", "Liberation Sans", "sans-serif"],
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
    "text.parse_math": False,
}


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


def _png(fig: Figure) -> tuple[bytes, int, int]:
    canvas = FigureCanvasAgg(fig)
    buf = io.BytesIO()
    canvas.print_png(buf)
    w, h = fig.get_size_inches() * DPI
    return buf.getvalue(), int(w), int(h)


def _new(width: float, height: float, **margins: float) -> Figure:
    """A figure with fixed margins: a constrained layout costs more than the drawing itself."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), dpi=DPI)
        if margins:
            fig.subplots_adjust(**margins)
        return fig


#: Units counted in whole numbers: their axes never show fractions.
WHOLE_UNITS = frozenset({"count", "visits"})

#: A trend series: (measure id, short name, unit, values per period, targets per period, what
#: each missing value is called, per period); None is a missing value, or no target that year.
Series = tuple[str, str, str, Sequence[float | None], Sequence[float | None], Sequence[str]]

#: Panels per row. Every trend chart is drawn this wide, so a panel is the same size in every
#: chart of a report, however many measures a theme has.
COLS = 3


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
    with matplotlib.rc_context(STYLE):
        fig, alt_parts = trend_figure(periods, series)
        png, w, h = _png(fig)
    alt = f"{title}. Line charts by financial year. " + ". ".join(alt_parts) + "."
    return rb.figure(png, alt, caption or title, w, h)


def trend_figure(periods: Sequence[str], series: Sequence[Series]) -> tuple[Figure, list[str]]:
    """The figure of `trend_chart` and the alt text of each panel (drawn, not yet rendered)."""
    n = max(len(series), 1)
    rows = math.ceil(n / COLS)
    drew_target = any(t is not None for s in series for t in s[4])
    with matplotlib.rc_context(STYLE):
        # Fixed margins in inches (a constrained layout would double the drawing time).
        width, gap, panel = 2.5 * COLS + 0.35, 0.8, 1.3
        height = rows * panel + (rows - 1) * gap + 0.75 + 0.4
        fig = _new(
            width,
            height,
            left=0.62 / width,
            right=1 - 0.4 / width,
            top=1 - 0.75 / height,
            bottom=0.4 / height,
            wspace=0.55,
            hspace=gap / panel,
        )
        alt_parts = []
        for i, (mid, short, unit, values, targets, missing) in enumerate(series):
            ax = fig.add_subplot(rows, COLS, i + 1)
            xs = list(range(len(periods)))
            ys = [math.nan if v is None else float(v) for v in values]
            ts = [math.nan if t is None else float(t) for t in targets]
            ax.plot(xs, ys, marker="o", color=ACCENT, linewidth=1.8, markersize=4)
            if any(not math.isnan(t) for t in ts):
                ax.plot(
                    xs,
                    ts,
                    color=TARGET,
                    linestyle="--",
                    linewidth=1.1,
                    marker="_",
                    markersize=12,
                    markeredgewidth=1.6,
                )
            for x, y, why in zip(xs, ys, missing, strict=True):
                if math.isnan(y):
                    ax.annotate(
                        why,
                        (x, 0),
                        fontsize=7,
                        color=MUTED,
                        ha="center",
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 4),
                        textcoords="offset points",
                    )
            ax.set_xticks(
                xs,
                [p.replace("/", "/\n") if len(periods) > 4 else p for p in periods],
                fontsize=7.5,
            )
            ax.set_xlim(-0.4, max(len(periods) - 0.6, 0.4))
            ax.set_title(_wrap(f"{mid} {short}", 26), fontsize=8.5)
            top = max([y for y in ys + ts if not math.isnan(y)] + [0])
            whole = unit in WHOLE_UNITS
            ax.set_ylim(0, top * 1.15 if top > 0 else (4 if whole else 1))
            ax.yaxis.set_major_locator(MaxNLocator(4, integer=whole))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p, u=unit: _tick(v, u)))
            points = "; ".join(
                f"{p} {fmt_number(v, unit) if v is not None else why}"
                + (f" (target {fmt_number(t, unit)})" if t is not None else "")
                for p, v, t, why in zip(periods, values, targets, missing, strict=True)
            )
            alt_parts.append(f"{mid} {short}: {points}")
        handles = [
            Line2D([], [], color=ACCENT, marker="o", linewidth=1.8, markersize=4, label="actual")
        ]
        if drew_target:
            handles.append(
                Line2D(
                    [],
                    [],
                    color=TARGET,
                    linestyle="--",
                    marker="_",
                    markersize=12,
                    markeredgewidth=1.6,
                    linewidth=1.1,
                    label="target (that year's own)",
                )
            )
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.62 / width, 1 - 0.04 / height),
            ncols=len(handles),
            fontsize=7.5,
            borderaxespad=0,
        )
    return fig, alt_parts


def target_chart(
    title: str, items: Sequence[tuple[str, str, float, str]], *, caption: str = ""
) -> rb.Block:
    """Achieved share of target per measure as horizontal bars, with status word and symbol.

    `items`: (measure id, short name, achieved share (1.0 = target met), status).
    """
    items = list(items)
    with matplotlib.rc_context(STYLE):
        height = 0.42 * max(len(items), 1) + 0.9
        fig = _new(6.6, height, left=0.36, right=0.98, top=1 - 0.3 / height, bottom=0.55 / height)
        ax = fig.add_subplot(1, 1, 1)
        ax.grid(axis="x", color="#dddddd")
        ax.grid(axis="y", visible=False)
        labels = [_wrap(f"{mid} {short}", 38) for mid, short, _s, _st in items]
        shares = [min(s, 1.5) * 100 for _m, _n, s, _st in items]
        colours = [STATUS_COLOUR.get(st, BOROUGH) for *_x, st in items]
        ys = list(range(len(items)))[::-1]
        ax.barh(ys, shares, color=colours, height=0.6)
        ax.axvline(100, color=INK, linewidth=1, linestyle="--")
        ax.text(100, len(items) - 0.35, " target", fontsize=7.5, color=INK, va="bottom")
        for y, share, (_m, _n, s, st) in zip(ys, shares, items, strict=True):
            # Labels start right of the target line so the two never overlap.
            ax.text(
                max(share, 100) + 2,
                y,
                f"{s * 100:.0f}%  {rb.status_label(st)}",
                va="center",
                fontsize=7.5,
                color=INK,
            )
        ax.set_yticks(ys, labels, fontsize=7.5)
        ax.set_xlim(0, 185)
        ax.set_xticks([0, 50, 100, 150], ["0%", "50%", "100%", "150%"])
        ax.set_xlabel("Achieved share of target (bars capped at 150%)")
        png, w, h = _png(fig)
    described = "; ".join(
        f"{mid} {short} {s * 100:.0f}% of target, {st}" for mid, short, s, st in items
    )
    alt = f"{title}. Horizontal bar chart of achieved share of target: {described}."
    return rb.figure(png, alt, caption or title, w, h)


def scorecard_chart(
    title: str, items: Sequence[tuple[str, str, str, int, int, int, int]], *, caption: str = ""
) -> rb.Block:
    """Theme scorecard: one tile per theme with status word and symbol and the measure counts.

    `items`: (theme code, name, status, on track, at risk, off track, not judged), where not
    judged counts measures with no target, no return or no data.
    """
    items = list(items)
    with matplotlib.rc_context(STYLE):
        fig = _new(6.6, 1.45, left=0.01, right=0.99, top=0.98, bottom=0.02, wspace=0.06)
        n = max(len(items), 1)
        for i, (code, name, status, on, risk, off, nod) in enumerate(items):
            ax = fig.add_subplot(1, n, i + 1)
            ax.set_axis_off()
            colour = STATUS_COLOUR.get(status, BOROUGH)
            ax.add_patch(
                patches.FancyBboxPatch(
                    (0.02, 0.02),
                    0.96,
                    0.96,
                    boxstyle="round,pad=0,rounding_size=0.06",
                    facecolor="white",
                    edgecolor=colour,
                    linewidth=2.2,
                    transform=ax.transAxes,
                )
            )
            ax.add_patch(
                patches.Rectangle(
                    (0.02, 0.74), 0.96, 0.24, facecolor=colour, transform=ax.transAxes
                )
            )
            ax.text(
                0.5,
                0.86,
                f"{code} {name}",
                ha="center",
                va="center",
                color="white",
                fontsize=8 if len(name) < 12 else 7,
                fontweight="bold",
                transform=ax.transAxes,
            )
            ax.text(
                0.5,
                0.52,
                rb.status_label(status),
                ha="center",
                va="center",
                color=INK,
                fontsize=9,
                fontweight="bold",
                transform=ax.transAxes,
            )
            ax.text(
                0.5,
                0.22,
                f"{on} on track · {risk} at risk\n{off} off track · {nod} not judged",
                ha="center",
                va="center",
                color=MUTED,
                fontsize=6.5,
                transform=ax.transAxes,
            )
        png, w, h = _png(fig)
    described = "; ".join(
        f"{code} {name} {status} ({on} on track, {risk} at risk, {off} off track, {nod} not judged)"
        for code, name, status, on, risk, off, nod in items
    )
    alt = f"{title}. Scorecard of theme status: {described}."
    return rb.figure(png, alt, caption or title, w, h)


def _wrap(text: str, width: int) -> str:
    """At most two lines of `width` characters, with an ellipsis if the text is longer."""
    lines = textwrap.wrap(text, width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")
