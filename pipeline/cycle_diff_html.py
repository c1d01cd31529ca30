"""The HTML comparison of two closed cycles (`svf cycle diff A B`): one self-contained page.

Every value is escaped: metric names and plot rows can carry partner-typed text (a measure
label, a partner id), which must show as text, never run as markup. No scripts, no external
styles or fonts, so the page can be e-mailed and opened offline.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from pipeline.report_blocks import as_number as _num

if TYPE_CHECKING:
    from pipeline.cycle import CycleDiff

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:68rem;color:#1b1b1b;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #1d4f91}
h3{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border:1px solid #b1b4b6;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f2f1}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#505a5f;font-size:.9rem}
"""


#: Plot-data columns that name a series rather than hold a figure.
SERIES_COLUMNS = ("measure", "measure_id", "level", "partner_id", "theme")


def _fmt(value: Any) -> str:
    number = _num(value)
    if number is None:
        return "" if value is None else escape(str(value))
    return escape(f"{number:,.4g}" if abs(number) < 1e6 else f"{number:,.0f}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in {"", "nan", "NaN"})


def _change(old: Any, new: Any, *, in_a: bool = True, in_b: bool = True) -> tuple[str, str]:
    """The change as text (absolute and %), and a CSS class; the arrow and words say the
    direction so it is never shown by colour alone."""
    if not in_a:
        return "new in the later cycle", ""
    if not in_b:
        return "not in the later cycle", ""
    a, b = _num(old), _num(new)
    if a is None or b is None:
        if _blank(old) and _blank(new):
            return "", ""
        if _blank(old):
            return "no figure before", ""
        if _blank(new):
            return "no figure now", ""
        return ("no change" if str(old) == str(new) else "changed"), ""
    delta = b - a
    if delta == 0:
        return "no change", ""
    pct = f" ({delta / a:+.1%})" if a else ""
    arrow = "\u25b2 up" if delta > 0 else "\u25bc down"
    return f"{arrow} {delta:+,.4g}{pct}", "up" if delta > 0 else "down"


def _metrics_section(diff: CycleDiff) -> list[str]:
    parts = ["<h2>Headline metrics</h2>"]
    if not diff.metrics:
        return [*parts, '<p class="note">Neither cycle recorded metrics.</p>']
    by_file: dict[str, list[tuple[str, Any, Any]]] = {}
    for (path, key), (va, vb) in sorted(diff.metrics.items()):
        by_file.setdefault(path, []).append((key, va, vb))
    for path, rows in by_file.items():
        parts.append(f"<h3>{escape(path)}</h3>")
        parts.append(
            f'<table><thead><tr><th scope="col">Metric</th><th scope="col">{escape(diff.a)}</th>'
            f'<th scope="col">{escape(diff.b)}</th><th scope="col">Change</th></tr></thead><tbody>'
        )
        for key, va, vb in rows:
            text, cls = _change(va, vb, in_a=va is not None, in_b=vb is not None)
            parts.append(
                f'<tr><th scope="row">{escape(key)}</th><td class="num">{_fmt(va)}</td>'
                f'<td class="num">{_fmt(vb)}</td><td class="{cls}">{escape(text)}</td></tr>'
            )
        parts.append("</tbody></table>")
    return parts


def _plot_section(name: str, rows: dict[str, list[dict[str, Any]]], a: str, b: str) -> list[str]:
    """One theme's plot data: each series (measure) and period, the value in A and in B."""
    sample = (rows["a"] or rows["b"])[0] if (rows["a"] or rows["b"]) else {}
    columns = list(sample)
    # A row is one series (measure, level, ...) in one period; every other column is a figure
    # (or a status) to set side by side.
    key_cols = [c for c in columns if c in SERIES_COLUMNS] or [
        c
        for c in columns
        if c != "period"
        and any(_num(r.get(c)) is None and not _blank(r.get(c)) for r in rows["a"] + rows["b"])
    ]
    value_cols = [c for c in columns if c not in key_cols and c != "period"]
    has_period = "period" in columns
    index: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for side in ("a", "b"):
        for r in rows[side]:
            key = tuple(str(r.get(c, "")) for c in key_cols) + (
                (str(r.get("period", "")),) if has_period else ()
            )
            index.setdefault(key, {})[side] = r
    head = [*key_cols, *(["period"] if has_period else [])]
    parts = [f"<h3>{escape(name)}</h3>", "<table><thead><tr>"]
    parts += [f'<th scope="col">{escape(c)}</th>' for c in head]
    for c in value_cols:
        parts += [
            f'<th scope="col">{escape(c)}: {escape(a)}</th>',
            f'<th scope="col">{escape(c)}: {escape(b)}</th>',
            f'<th scope="col">{escape(c)}: change</th>',
        ]
    parts.append("</tr></thead><tbody>")
    for key in sorted(index):
        pair = index[key]
        parts.append("<tr>" + "".join(f"<td>{escape(k)}</td>" for k in key))
        for c in value_cols:
            va = pair.get("a", {}).get(c)
            vb = pair.get("b", {}).get(c)
            text, cls = _change(va, vb, in_a="a" in pair, in_b="b" in pair)
            parts.append(
                f'<td class="num">{_fmt(va)}</td><td class="num">{_fmt(vb)}</td>'
                f'<td class="{cls}">{escape(text)}</td>'
            )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return parts


def render_diff_html(diff: CycleDiff) -> str:
    """The whole page: headline metrics, then each theme's plot data side by side."""
    a, b = diff.a, diff.b
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Review cycles compared: {escape(a)} and {escape(b)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>Review cycles compared: {escape(a)} and {escape(b)}</h1>",
        f'<p class="note">From <code>dvc metrics diff review/{escape(a)} review/{escape(b)}</code> '
        f"and <code>dvc plots diff</code> of the same tags. A period present in both cycles "
        "shows how the figure was revised; ▲ and ▼ mark a rise or a fall.</p>",
    ]
    parts += _metrics_section(diff)
    parts.append("<h2>Themes and measures</h2>")
    if not diff.plots:
        parts.append('<p class="note">Neither cycle recorded plot data.</p>')
    for name in sorted(diff.plots):
        parts += _plot_section(name, diff.plots[name], a, b)
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
