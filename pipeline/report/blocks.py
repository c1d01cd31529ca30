"""Document blocks: what a report notebook cell displays, in a form both renderers can read.

A cell of the health-check notebook displays `Blocks` (headings, paragraphs, tables, figures,
headline figures). Each display carries three representations:

- `application/vnd.svf.blocks+json`: the structured blocks. The built-in renderer reads these and
  writes HTML (Jinja2, autoescaped) and Typst (every text as a string literal), so text a partner
  typed is data in both formats and can never become markup.
- `text/markdown`: Pandoc Markdown with every ASCII punctuation character backslash-escaped, for
  Quarto (which renders Markdown outputs) and for anyone reading the executed notebook.
- `image/svg+xml` (a cell showing one figure only) with the alt text in the output metadata.

Blocks are plain dicts so they survive the trip through the executed notebook's JSON unchanged.
"""

from __future__ import annotations

import base64
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.core.status import Status
from pipeline.core.status import (
    status_label as status_label,  # charts and notebooks use rb.status_label
)

MIME = "application/vnd.svf.blocks+json"

Block = dict[str, Any]

_PUNCT = frozenset(string.punctuation)


def heading(text: str, level: int = 2, anchor: str | None = None) -> Block:
    return {"type": "heading", "level": level, "text": str(text), "id": anchor}


def para(*runs: str | tuple[str, str] | Block) -> Block:
    """A paragraph of runs: plain text, `(style, text)` with style `b` (bold) or `i`, or a
    `link_run`."""
    out = []
    for r in runs:
        if isinstance(r, dict):
            out.append(r)
        elif isinstance(r, tuple):
            out.append({"style": r[0], "text": str(r[1])})
        else:
            out.append({"style": "", "text": str(r)})
    return {"type": "para", "runs": out}


def link_run(text: str, href: str) -> Block:
    """A link inside a paragraph: `href` relative to the report (a file beside it), so it works
    from the HTML and from the PDF in the same folder; the text names the file, so a PDF read
    elsewhere still says what to open."""
    return {"style": "link", "text": str(text), "href": str(href)}


def bullets(items: Iterable[str]) -> Block:
    return {"type": "list", "items": [str(i) for i in items]}


@dataclass(frozen=True)
class Col:
    """A table column: its heading and how its cells read. `numeric`: figures, right-aligned;
    `status`: status labels, marked with their status (at most one per table)."""

    heading: str
    numeric: bool = False
    status: bool = False


def num(heading: str) -> Col:
    """A column of figures (right-aligned)."""
    return Col(heading, numeric=True)


def status_column(heading: str) -> Col:
    """The column of status labels."""
    return Col(heading, status=True)


def table(
    columns: Sequence[str | Col],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str = "",
    widths: Sequence[float] | None = None,
) -> Block:
    """A real table: header row, body rows of text. A column given as `num(heading)` is
    right-aligned; one given as `status_column(heading)` holds statuses: each cell a `Status`
    (shown as its label, `✔ on track`) or empty, and `statuses` keeps each row's status word so a
    renderer colours the cell without reading the label back. A plain heading is text."""
    cols = [c if isinstance(c, Col) else Col(str(c)) for c in columns]
    cells: list[list[Any]] = [list(r) for r in rows]
    status = [i for i, c in enumerate(cols) if c.status]
    status_col = status[0] if status else None
    statuses: list[str] | None = None
    if status_col is not None:
        shown = [
            c if isinstance(c, Status) else Status.of_label(c)
            for c in (r[status_col] for r in cells)
        ]
        statuses = ["" if s is None else s.value for s in shown]
        for r, s in zip(cells, shown, strict=True):
            if s is not None:
                r[status_col] = s.label
    body = [["" if c is None else str(c) for c in r] for r in cells]
    return {
        "type": "table",
        "caption": caption,
        "columns": [c.heading for c in cols],
        "rows": body,
        "numeric": [i for i, c in enumerate(cols) if c.numeric],
        "status_col": status_col,
        "statuses": statuses,
        "widths": list(widths) if widths else None,
    }


def figure(svg: str, alt: str, caption: str = "", width_px: int = 0, height_px: int = 0) -> Block:
    """A chart: its SVG text (see `pipeline.charts`), alt text, caption and size in pixels."""
    return {
        "type": "figure",
        "svg": svg,
        "alt": alt,
        "caption": caption,
        "width": width_px,
        "height": height_px,
    }


def svg_data_uri(b: Block) -> str:
    """A figure block's SVG as a `data:` URI (for an HTML `img` or Pandoc Markdown)."""
    return "data:image/svg+xml;base64," + base64.b64encode(b["svg"].encode("utf-8")).decode("ascii")


def kpis(items: Iterable[tuple[str, str, str]]) -> Block:
    """Headline figures: (label, value, note)."""
    return {"type": "kpis", "items": [{"label": a, "value": b, "note": c} for a, b, c in items]}


def note(text: str) -> Block:
    """A boxed aside (for example 'no data this year')."""
    return {"type": "note", "text": str(text)}


def meta(**fields: str) -> Block:
    """Document metadata the notebook sets for its audience (title, subtitle, council, cycle)."""
    return {"type": "meta", **{k: str(v) for k, v in fields.items()}}


def pagebreak() -> Block:
    return {"type": "pagebreak"}


def md_escape(text: str) -> str:
    """Escape every ASCII punctuation character for Pandoc Markdown, so text is only ever text."""
    out = []
    for ch in str(text):
        if ch in _PUNCT:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def to_markdown(blocks: Sequence[Block]) -> str:
    """Pandoc Markdown for the blocks (used by Quarto and by people reading the notebook)."""
    parts: list[str] = []
    for b in blocks:
        kind = b["type"]
        if kind == "heading":
            parts.append("#" * b["level"] + " " + md_escape(b["text"]))
        elif kind == "para":
            text = ""
            for r in b["runs"]:
                t = md_escape(r["text"])
                if r["style"] == "link":
                    text += f"[{t}](<{r['href'].replace('>', '%3E')}>)"
                    continue
                text += f"**{t}**" if r["style"] == "b" else f"*{t}*" if r["style"] == "i" else t
            parts.append(text)
        elif kind == "list":
            parts.append("\n".join("- " + md_escape(i) for i in b["items"]))
        elif kind == "note":
            parts.append('::: {.note role="note"}\n' + md_escape(b["text"]) + "\n:::")
        elif kind == "kpis":
            # Classed spans in a `.kpis` div: Quarto's filter (templates/quarto/svf.lua) draws
            # them as the built-in renderer's headline-figure cards.
            items = "\n".join(
                f"- [{md_escape(i['label'])}]{{.kpi-label}}: [{md_escape(i['value'])}]{{.kpi-value}}"
                f" [{md_escape(i['note'])}]{{.kpi-note}}"
                for i in b["items"]
            )
            parts.append("::: {.kpis}\n" + items + "\n:::")
        elif kind == "table":
            cols = b["columns"]
            align = ["---:" if i in b["numeric"] else ":---" for i in range(len(cols))]
            lines = [
                "| " + " | ".join(md_escape(c) for c in cols) + " |",
                "|" + "|".join(align) + "|",
            ]
            lines += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in b["rows"]]
            if b["caption"]:
                lines.append("")
                lines.append(": " + md_escape(b["caption"]))
            parts.append("\n".join(lines))
        elif kind == "figure":
            parts.append(
                f"![{md_escape(b['caption'] or b['alt'])}]({svg_data_uri(b)})"
                f'{{fig-alt="{b["alt"].replace(chr(34), "")}"}}'
            )
        elif kind == "link":
            # HTML gets the link; a PDF names the document instead (a relative link means
            # nothing once a PDF is emailed), as the built-in renderer does.
            parts.append(
                '::: {.content-visible when-format="html"}\n'
                f"[{md_escape(b['text'])}]({b['href']})\n:::\n\n"
                '::: {.content-hidden when-format="html"}\n'
                + md_escape(b.get("document") or b["text"])
                + "\n:::"
            )
        elif kind == "pagebreak":
            parts.append("{{< pagebreak >}}")
    return "\n\n".join(parts) + "\n"


class Blocks:
    """What a notebook cell displays: one or more blocks with their mime bundle."""

    def __init__(self, blocks: Iterable[Block]) -> None:
        self.blocks = list(blocks)

    def __add__(self, other: Blocks) -> Blocks:
        return Blocks(self.blocks + other.blocks)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        data: dict[str, Any] = {
            MIME: {"blocks": self.blocks},
            "text/markdown": to_markdown(self.blocks),
        }
        figs = [b for b in self.blocks if b["type"] == "figure"]
        meta: dict[str, Any] = {}
        if len(figs) == 1 and len(self.blocks) == 1:
            data = {
                MIME: data[MIME],
                "image/svg+xml": figs[0]["svg"],
                "text/plain": f"<Figure: {figs[0]['alt']}>",
            }
            meta = {"image/svg+xml": {"alt": figs[0]["alt"], "width": figs[0]["width"]}}
        else:
            data["text/plain"] = f"<{len(self.blocks)} report blocks>"
        return data, meta

    def __repr__(self) -> str:
        return f"Blocks({len(self.blocks)})"


def as_number(value: Any) -> float | None:
    """A cell as a float, or None when it is empty, NaN, NA, a yes/no flag or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
