"""The Quarto renderer: our own thin wrapper over the Quarto CLI (`quarto render`).

Used when `quarto` is on PATH (`--renderer auto` prefers it). Quarto renders the executed
notebooks from their stored outputs (`--no-execute`): the cells display Pandoc Markdown
(`pipeline.report.blocks.to_markdown`, every punctuation character escaped, so partner text is
text), which the notebook's front matter includes as is (`output: asis`).

Quarto takes about as long to start as to render one report, so documents are rendered in
batches: each batch is a throw-away Quarto project holding several executed notebooks, rendered
with one `quarto render --to html,typst`, and batches run in parallel (one per worker). Each
staged notebook gets its audience's own title in its front matter (Markdown-escaped), and each
figure its size for each format. The project carries the built-in renderer's look:

- HTML: the built-in stylesheet `core/templates/report.css` (the same file, copied in at render time)
  plus `templates/quarto/quarto.css` for Quarto's own elements, the masthead and the
  contents as `title-block.html` and `toc.html` partials, and the filter `templates/quarto/svf.lua`, which draws headline
  figures, notes and status cells with the built-in renderer's classes, and the same
  Content-Security-Policy (`csp.html`: the page may make no request);
- PDF (Typst): the built-in `templates/report.typ` imported by the `typst-template.typ` and
  `typst-show.typ` partials, and the same filter (string literals for anything from data).

If a batch fails, its documents are rendered one by one, so one bad report names itself and
does not take the others with it. Every file is moved into place atomically.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from pipeline.core import html
from pipeline.core.atomic import atomic_path
from pipeline.core.errors import UserError
from pipeline.core.status import Status, typst_palette
from pipeline.report.blocks import (
    MIME,
    Block,
    md_escape,
    to_markdown,
)

#: Quarto's target format for each of our output formats, and the file it writes.
QUARTO_TO = {"html": "html", "pdf": "typst"}
SUFFIX = {"html": ".html", "pdf": ".pdf"}

TEMPLATES = Path(__file__).parent / "templates"
#: Files copied into every Quarto project: the built-in renderer's stylesheet and Typst template
#: (reused, not copied in the repository), and the Quarto-only partials, CSS and filter.
RESOURCES = [
    html.STYLESHEET,
    TEMPLATES / "report.typ",
    TEMPLATES / "quarto" / "quarto.css",
    TEMPLATES / "quarto" / "title-block.html",
    TEMPLATES / "quarto" / "toc.html",
    TEMPLATES / "quarto" / "csp.html",
    TEMPLATES / "quarto" / "typst-template.typ",
    TEMPLATES / "quarto" / "typst-show.typ",
    TEMPLATES / "quarto" / "svf.lua",
]

NOT_ON_PATH = (
    "renderer 'quarto' asked for, but `quarto` is not on PATH: install it "
    "(conda-forge quarto or https://quarto.org) or use --renderer builtin"
)


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


@dataclass
class Job:
    """One executed notebook to render, and where each format goes."""

    notebook: Path
    outputs: dict[str, Path]
    title: str = ""
    subtitle: str = ""
    council: str = ""
    cycle: str = ""
    generated: str = ""


@dataclass
class Outcome:
    """What became of one job: the files written, or the error."""

    job: Job
    files: list[Path] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def quarto_command(
    formats: Sequence[str], files: Sequence[str] = (), *, quarto: str = "quarto", quiet: bool = True
) -> list[str]:
    """The argv that renders `files` (default: the whole project) of executed notebooks to every
    one of `formats` in one call. `--no-execute`: the stored outputs are the report."""
    bad = [f for f in formats if f not in QUARTO_TO]
    if bad or not formats:
        raise UserError(f"unknown format {', '.join(map(repr, bad)) or '(none)'}: use html or pdf")
    to = ",".join(QUARTO_TO[f] for f in formats)
    cmd = [quarto, "render", *files, "--to", to, "--no-execute"]
    return [*cmd, "--quiet"] if quiet else cmd


def project_config() -> dict[str, Any]:
    """`_quarto.yml` of a render project: the built-in renderer's look for both formats."""
    return {
        "project": {"type": "default"},
        "filters": ["svf.lua"],
        "svf-status": {s.label: s.value for s in Status},
        "format": {
            "html": {
                "minimal": True,
                "embed-resources": True,
                "format-links": False,
                "css": ["report.css", "quarto.css"],
                "template-partials": ["title-block.html", "toc.html"],
                # As the built-in renderer's: the page may make no request at all.
                "include-in-header": ["csp.html"],
                "toc-title": "Contents",
                "html-math-method": "plain",
            },
            "typst": {
                "papersize": "a4",
                "keep-typ": False,
                # Quarto's Typst default moves `##` up to level 1; the title is level 1 here.
                "shift-heading-level-by": 0,
                "template-partials": ["typst-template.typ", "typst-show.typ"],
            },
        },
    }


def front_matter_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The raw cell holding the Quarto front matter (before the first code cell), if any."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            return cell
        if cell.cell_type == "code":
            return None
    return None


def figure_size(b: Block, fmt: str) -> str:
    """Pandoc attributes sizing a figure block as the built-in renderer does.

    HTML: the image's own pixel size (the stylesheet caps it at the page width). PDF: the full
    text width (174 mm), or 200 mm tall when that would be taller, or its own size when it is
    narrower than 560 px.
    """
    w, h = b.get("width") or 700, b.get("height") or 400
    if fmt == "html":
        return f'width="{w}" height="{h}"' if b.get("width") else ""
    if 174 * h / w > 200:
        return 'height="200mm"'
    return 'width="100%"' if w >= 560 else f'width="{w / 7.3:.0f}%"'


def quarto_markdown(blocks: Sequence[Block]) -> str:
    """`to_markdown` of the blocks, each figure sized for HTML and for Typst (one document
    renders to both formats in one Quarto call, so each size is shown only in its format), and
    each table's column widths, when the block sets them, on a div around it."""
    parts = []
    for b in blocks:
        md = to_markdown([b])
        if b["type"] == "table" and b.get("widths"):
            # The column widths the built-in PDF uses, for the filter's Typst tables.
            widths = ",".join(f"{float(w):g}" for w in b["widths"])
            md = f'::: {{.svf-table widths="{widths}"}}\n{md}:::\n'
        if b["type"] == "figure":
            md = "\n".join(
                f'::: {{.content-visible when-format="{to}"}}\n'
                + md.replace("){fig-alt=", "){" + figure_size(b, fmt) + " fig-alt=", 1)
                + ":::\n"
                for fmt, to in QUARTO_TO.items()
            )
        parts.append(md)
    return "\n".join(parts)


def stage_notebook(job: Job, dest: Path) -> None:
    """Copy the executed notebook with the audience's own title etc. in its front matter.

    Quarto reads metadata strings as Markdown, so every value is Markdown-escaped; YAML quoting
    is left to the YAML library.
    """
    nb = nbformat.read(job.notebook, as_version=4)
    for code in nb.cells:
        for out in code.get("outputs", []) if code.cell_type == "code" else []:
            blocks = out.get("data", {}).get(MIME)
            if blocks is not None:
                # Quarto reads the Markdown: the same for every display (a lone figure too, so
                # its alt text goes with it), set apart by blank lines, as `output: asis` joins
                # outputs as they are.
                md = quarto_markdown(blocks["blocks"])
                out["data"] = {MIME: blocks, "text/markdown": f"\n{md}\n"}
                out["metadata"] = {}
    cell = front_matter_cell(nb)
    front: dict[str, Any] = {}
    if cell is not None:
        body = cell.source.strip().strip("-").strip()
        loaded = yaml.safe_load(body) if body else {}
        front = loaded if isinstance(loaded, dict) else {}
    own = {
        "title": job.title,
        "subtitle": job.subtitle,
        "svf-council": job.council,
        "svf-cycle": job.cycle,
        "svf-generated": job.generated,
    }
    for key, value in own.items():
        if value:
            front[key] = md_escape(value)
    source = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---"
    if cell is None:
        nb.cells.insert(0, nbformat.v4.new_raw_cell(source))
    else:
        cell.source = source
    nbformat.write(nb, dest)


def _run(cmd: list[str], cwd: Path, timeout: float) -> tuple[bool, str]:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "QUARTO_PRINT_STACK": "false", "NO_COLOR": "1"},
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s"
    if proc.returncode == 0:
        return True, ""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "ERROR" in ln or "error:" in ln]
    return False, (errors[:1] or lines[-1:] or ["no output"])[0]


def _render_batch(jobs: Sequence[Job], quarto: str, timeout: float) -> list[Outcome]:
    """Render `jobs` in one private Quarto project with one `quarto render` (both formats);
    `timeout` is per document."""
    start = time.perf_counter()
    outcomes = [Outcome(job) for job in jobs]
    formats = [f for f in QUARTO_TO if f in jobs[0].outputs]
    if any(list(j.outputs) != list(jobs[0].outputs) for j in jobs):
        raise ValueError("every job in a Quarto batch must ask for the same formats")
    with tempfile.TemporaryDirectory(prefix="svf-quarto-") as tmp:
        root = Path(tmp)
        for res in RESOURCES:
            shutil.copy(res, root / res.name)
        # The shared stylesheet and the Typst template with the status colours written in.
        (root / html.STYLESHEET.name).write_text(html.stylesheet(), encoding="utf-8")
        typ = root / "report.typ"
        typ.write_text(typst_palette() + typ.read_text(encoding="utf-8"), encoding="utf-8")
        names = [f"r{i:04d}" for i in range(len(jobs))]
        for name, out in zip(names, outcomes, strict=True):
            try:
                stage_notebook(out.job, root / f"{name}.ipynb")
            except (OSError, ValueError) as exc:  # unreadable notebook: this report only
                out.error = f"quarto: cannot read {out.job.notebook.name}: {exc}"
        staged = [(n, o) for n, o in zip(names, outcomes, strict=True) if not o.error]
        config = project_config()
        config["project"]["render"] = [f"{name}.ipynb" for name, _ in staged]
        (root / "_quarto.yml").write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        ok, why = True, ""
        if staged:
            cmd = quarto_command(formats, quarto=quarto)
            ok, why = _run(cmd, root, timeout * len(staged))
        for name, out in staged:
            missing = [f for f in formats if not (root / f"{name}{SUFFIX[f]}").exists()]
            if missing and not ok and len(jobs) > 1:
                # One bad document stops Quarto's whole call: this one again on its own.
                _, why = _run(
                    quarto_command(missing, [f"{name}.ipynb"], quarto=quarto), root, timeout
                )
            for fmt in formats:
                produced = root / f"{name}{SUFFIX[fmt]}"
                if not produced.exists():
                    out.error = out.error or (
                        f"quarto render of {out.job.notebook.name} to {fmt} failed: {why}"
                    )
                    continue
                target = out.job.outputs[fmt]
                with atomic_path(target) as dest:
                    shutil.move(produced, dest)
                out.files.append(target)
    share = (time.perf_counter() - start) / max(1, len(jobs))
    for out in outcomes:
        out.seconds = share
    return outcomes


def render_many(
    jobs: Sequence[Job],
    *,
    workers: int = 2,
    per_call: int = 20,
    timeout: float = 600,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Render every job with Quarto: `workers` projects at once, up to `per_call` documents each.

    The jobs are spread evenly over the workers, in batches of at most `per_call` (a Quarto
    start-up costs about one document; smaller batches report progress sooner). `timeout` is
    per document. Results come back in the order of `jobs`; `seconds` is each document's share
    of its batch's time.
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise UserError(NOT_ON_PATH)
    if not jobs:
        return []
    workers = max(1, min(workers, len(jobs)))
    size = max(1, min(per_call, -(-len(jobs) // workers)))
    batches = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
    results: dict[int, Outcome] = {}
    index = {id(j): i for i, j in enumerate(jobs)}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_render_batch, b, quarto, timeout) for b in batches]
        for fut in as_completed(futures):
            for out in fut.result():
                results[index[id(out.job)]] = out
                if on_done:
                    on_done(out)
    return [results[i] for i in range(len(jobs))]
