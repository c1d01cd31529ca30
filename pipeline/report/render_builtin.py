"""The built-in renderer: an executed health-check notebook to one HTML file and one PDF.

It needs no Quarto: the notebook's Markdown cells go through pandoc (`pypandoc-binary`, cached,
since they are the same for every audience), the blocks the code cells displayed go through the
project's own templates, HTML with Jinja2 (autoescaped) and PDF with the `typst` Python package,
all inside the calling process. Every text that comes from data is escaped in HTML and passed to
Typst as a string literal, so a partner's `<script>` or `#set page(...)` is printed, not run.

Titles and options come from the Quarto front matter in the notebook's first (raw) cell, the same
source the Quarto renderer uses; the notebook's `meta` block sets the audience's own title.
"""

from __future__ import annotations

import copy
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from nbformat import NotebookNode

from pipeline.core import clock, html
from pipeline.core.status import Status, typst_palette
from pipeline.report.blocks import MIME, Block, svg_data_uri

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Part:
    """A run of blocks from a code cell, or HTML/Typst converted from a Markdown cell."""

    kind: str  # "blocks" | "markdown"
    blocks: list[Block] = field(default_factory=list)
    markdown: str = ""


@dataclass
class Document:
    """What the templates need: metadata from the front matter and meta block, then the parts."""

    title: str
    subtitle: str
    council: str
    cycle: str
    audience: str
    lang: str
    generated: str
    front: dict[str, Any]
    parts: list[Part]

    @property
    def toc(self) -> list[dict[str, str]]:
        return [
            {"id": b["id"], "text": b["text"]}
            for p in self.parts
            for b in p.blocks
            if b["type"] == "heading" and b["level"] == 2 and b.get("id")
        ]


def front_matter(nb: NotebookNode) -> dict[str, Any]:
    """The Quarto front matter: YAML between `---` lines in the first raw cell."""
    for cell in nb.cells:
        if cell.cell_type == "raw":
            match = re.match(r"\s*---\s*\n(.*?)\n---\s*$", cell.source, re.S)
            if match:
                return copy.deepcopy(_front_yaml(match.group(1)))
        if cell.cell_type == "code":
            break
    return {}


@lru_cache(maxsize=8)
def _front_yaml(text: str) -> dict[str, Any]:
    """The front matter's YAML, parsed once per process (it is the same for every audience)."""
    data = yaml.safe_load(text) or {}
    return data if isinstance(data, dict) else {}


def document_from_notebook(nb: NotebookNode) -> Document:
    """Collect the front matter, the notebook's meta block and every block, in cell order."""
    front = front_matter(nb)
    meta: dict[str, Any] = {}
    parts: list[Part] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            parts.append(Part("markdown", markdown=cell.source))
        elif cell.cell_type == "code":
            blocks: list[Block] = []
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if MIME in data:
                    for b in data[MIME]["blocks"]:
                        if b["type"] == "meta":
                            meta.update(b)
                        else:
                            blocks.append(b)
            if blocks:
                parts.append(Part("blocks", blocks=blocks))
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    return Document(
        title=str(meta.get("title") or front.get("title") or "Health check"),
        subtitle=str(meta.get("subtitle") or front.get("subtitle") or ""),
        council=str(meta.get("council") or front.get("author") or ""),
        cycle=str(meta.get("cycle") or params.get("cycle") or ""),
        audience=str(meta.get("audience") or params.get("audience") or ""),
        lang=str(front.get("lang") or "en-GB"),
        generated=str(meta.get("generated") or f"Produced {clock.today():%d %B %Y}"),
        front=front,
        parts=parts,
    )


# ------------------------------------------------------------------ pandoc (Markdown cells)


@lru_cache(maxsize=256)
def pandoc(markdown: str, to: str) -> str:
    """Convert our own Markdown prose with pandoc; cached, as it is the same for every audience."""
    import pypandoc

    return pypandoc.convert_text(markdown, to, format="markdown", extra_args=["--wrap=none"])


# ------------------------------------------------------------------ HTML


def _status_class(word: str) -> str:
    """The class of a status cell, from the status word the table block keeps for each row."""
    return Status.of(word).css_class if word else ""


@lru_cache(maxsize=1)
def _jinja_env() -> Any:
    # Every value is escaped unless marked safe (only pandoc's own output).
    env = html.environment(TEMPLATES)
    env.globals["status_class"] = _status_class
    env.globals["svg_data_uri"] = svg_data_uri
    return env


def to_html(doc: Document) -> str:
    """One self-contained HTML page: inline CSS, images as data URIs, no external request."""
    parts: list[dict[str, Any]] = []
    for p in doc.parts:
        if p.kind == "markdown":
            parts.append({"kind": "html", "html": pandoc(p.markdown, "html5")})
        else:
            parts.append({"kind": "blocks", "blocks": p.blocks})
    template = _jinja_env().get_template("report.html.j2")
    return template.render(doc=_DocView(doc, parts))


class _DocView:
    def __init__(self, doc: Document, parts: list[dict[str, Any]]) -> None:
        self.title, self.subtitle, self.council = doc.title, doc.subtitle, doc.council
        self.cycle, self.lang, self.generated = doc.cycle, doc.lang, doc.generated
        self.toc = doc.toc if doc.front.get("toc", True) else []
        self.parts = parts


# ------------------------------------------------------------------ Typst


#: What a Typst string literal escapes: backslash, quote, newline and every other control.
_TSTR = {
    **{c: f"\\u{{{c:x}}}" for c in [*range(32), 127]},
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
}


def tstr(text: Any) -> str:
    """A Typst string literal holding `text` exactly: data, never markup."""
    return '"' + str(text).translate(_TSTR) + '"'


def tcontent(text: Any) -> str:
    """A Typst content block showing `text` verbatim."""
    return f"[#{tstr(text)}]"


#: Tables up to this many rows are kept on one page in the PDF; longer ones break between rows,
#: with the header repeated.
KEEP_TOGETHER_ROWS = 25


def _typst_table(b: Block) -> str:
    ncol = len(b["columns"])
    widths = b.get("widths") or [1] * ncol
    cols = ", ".join(f"{w}fr" for w in widths)
    align = ", ".join("right" if i in b["numeric"] else "left" for i in range(ncol))
    cells = [f"table.header(repeat: true, {', '.join(tcontent(c) for c in b['columns'])})"]
    status_col = b.get("status_col")
    for r, row in enumerate(b["rows"]):
        for i, cell in enumerate(row):
            if i == status_col:
                cells.append(f"status({tstr(b['statuses'][r])}, {tstr(cell)})")
            else:
                cells.append(tcontent(cell))
    body = f"table(columns: ({cols},), align: ({align},), {', '.join(cells)})"
    caption = f", caption: {tcontent(b['caption'])}" if b.get("caption") else ""
    figure = f"figure(kind: table, {body}{caption})"
    if len(b["rows"]) <= KEEP_TOGETHER_ROWS:
        # A short table moves whole to the next page rather than leave a row or two behind.
        return f"#block(breakable: false, width: 100%, {figure})\n"
    return f"#{figure}\n"


def _typst_block(b: Block) -> str:
    kind = b["type"]
    if kind == "heading":
        return f"#heading(level: {b['level']}, {tstr(b['text'])})\n"
    if kind == "para":
        runs = []
        for r in b["runs"]:
            s = tstr(r["text"])
            runs.append(
                f"#strong({s})"
                if r["style"] == "b"
                else f"#emph({s})"
                if r["style"] == "i"
                # A file beside the report: a relative link, with the file named in its text.
                else f"#link({tstr(r['href'])}, {s})"
                if r["style"] == "link"
                else f"#{s}"
            )
        if b.get("keep_with_next"):
            # An introduction (a theme's outcomes) stays on the page of what it introduces.
            return f"#block(sticky: true, width: 100%)[{''.join(runs)}]\n\n"
        return "".join(runs) + "\n\n"
    if kind == "list":
        return "".join(f"- #{tstr(i)}\n" for i in b["items"]) + "\n"
    if kind == "note":
        return f"#note({tstr(b['text'])})\n"
    if kind == "link":
        # A relative link means nothing once a PDF is emailed: name the document instead.
        return f"#{tstr(b.get('document') or b['text'])}\n\n"
    if kind == "kpis":
        items = ", ".join(
            f"(label: {tstr(k['label'])}, value: {tstr(k['value'])}, note: {tstr(k['note'])})"
            for k in b["items"]
        )
        return f"#kpis(({items},))\n"
    if kind == "table":
        return _typst_table(b)
    if kind == "figure":
        w, h = b.get("width") or 700, b.get("height") or 400
        # Fit the page: full text width (174 mm) unless that would be taller than 200 mm.
        size = (
            f"height: {min(200, 174 * h / w):.0f}mm"
            if 174 * h / w > 200
            else ("width: 100%" if w >= 560 else f"width: {w / 7.3:.0f}%")
        )
        caption = f", caption: {tcontent(b['caption'])}" if b.get("caption") else ""
        # The SVG goes in the source itself: no file to write, and nothing a later compile could
        # take from an earlier report's file of the same name.
        image = f'image(bytes({tstr(b["svg"])}), format: "svg", alt: {tstr(b["alt"])}, {size})'
        return f"#figure({image}{caption})\n"
    if kind == "pagebreak":
        return "#pagebreak(weak: true)\n"
    return ""


def to_typst(doc: Document) -> str:
    """The Typst source of the PDF: the template, then the body (charts inline as SVG bytes)."""
    body = []
    for p in doc.parts:
        if p.kind == "markdown":
            body.append(pandoc(p.markdown, "typst") + "\n")
        else:
            for b, after in zip(p.blocks, [*p.blocks[1:], None], strict=True):
                if b["type"] == "para" and after is not None and after["type"] == "table":
                    b = {**b, "keep_with_next": True}  # a table's introduction stays with it
                body.append(_typst_block(b))
    head = (
        f"#show: report.with(title: {tstr(doc.title)}, subtitle: {tstr(doc.subtitle)}, "
        f"council: {tstr(doc.council)}, cycle: {tstr(doc.cycle)}, "
        f"generated: {tstr(doc.generated)})\n\n"
    )
    return _typst_template() + "\n" + head + "".join(body)


@lru_cache(maxsize=1)
def _typst_template() -> str:
    """`templates/report.typ` after the status colours (`pipeline.core.status.typst_palette`)."""
    return typst_palette() + (TEMPLATES / "report.typ").read_text(encoding="utf-8")


#: Whether this process has compiled a PDF itself (see `compiled_in_process`).
_COMPILED_HERE = False


def compiled_in_process() -> bool:
    """Whether this process has run Typst: its worker threads do not survive a fork, so a worker
    forked from this process afterwards would wait forever in its first compile."""
    return _COMPILED_HERE


def to_pdf(doc: Document) -> bytes:
    """Compile the Typst source in-process (charts are inline SVG bytes: no files to write).

    A fresh `typst.compile` per report, never a `typst.Compiler` kept in the process; and once a
    process has compiled, the report pool spawns its workers instead of forking them
    (`compiled_in_process`): Typst's threads do not survive a fork.
    """
    import typst

    global _COMPILED_HERE
    source = to_typst(doc).encode("utf-8")
    stamp = int(clock.now().timestamp())
    _COMPILED_HERE = True
    try:
        # PDF/UA-1: Typst checks the accessibility rules (a title, alt text on every image,
        # headings from level 1 without gaps) and writes the conformance claim.
        return typst.compile(source, format="pdf", pdf_standards=["ua-1"], timestamp=stamp)
    except typst.TypstError as exc:
        if "PDF/UA" not in str(exc):
            raise
        # A report that breaks a PDF/UA rule is still sent, as a tagged PDF, with a warning
        # naming the rule, rather than not at all.
        warnings.warn(f"PDF is tagged but not PDF/UA-1: {exc}", stacklevel=2)
        return typst.compile(source, format="pdf", timestamp=stamp)


def render_file(executed: Path, out_dir: Path, formats: list[str]) -> list[Path]:
    """Render one executed notebook file to `out_dir/health-check.<fmt>` (atomic writes)."""
    import nbformat

    from pipeline.core.atomic import write_bytes, write_text

    doc = document_from_notebook(nbformat.read(executed, as_version=4))
    written = []
    if "html" in formats:
        written.append(write_text(out_dir / "health-check.html", to_html(doc)))
    if "pdf" in formats:
        written.append(write_bytes(out_dir / "health-check.pdf", to_pdf(doc)))
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.report.render_builtin EXECUTED.ipynb OUT_DIR [html,pdf]`: render by hand."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(
            "usage: python -m pipeline.report.render_builtin EXECUTED.ipynb OUT_DIR [html,pdf]",
            file=sys.stderr,
        )
        return 2
    formats = (args[2] if len(args) == 3 else "html,pdf").split(",")
    for path in render_file(Path(args[0]), Path(args[1]), formats):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
