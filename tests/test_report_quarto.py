"""The Quarto renderer, run through the real Quarto CLI.

The report tests in `test_report.py` and `test_browser.py` run for both renderers (the session
fixture `conftest.rendered`); these cover what only the Quarto renderer does: its command line,
each report's own title reaching Quarto's title block and the PDF's metadata, the built-in
renderer's look carried into Quarto's HTML and PDF, batching several documents into one Quarto
call without one bad document taking the others with it, and how `auto` chooses a renderer.
The tests that call Quarto skip only where the real CLI is not installed.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from pipeline.core.errors import UserError
from pipeline.report.outputs import executed_path
from pipeline.report.render_quarto import Job, quarto_command, render_many, stage_notebook
from pipeline.report.stage import choose_renderer
from tests.helpers import report_fixtures as rf
from tests.helpers.report_pages import html_of, pdf_text, tags_of

needs_quarto = pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="the Quarto CLI is not on PATH (.ci/run installs it from ../shared/tools/quarto)",
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
#: `conftest.rendered` with the Quarto renderer only.
quarto_rendered = pytest.mark.parametrize("rendered", ["quarto"], indirect=True)


def test_command_renders_the_project_or_named_files_without_executing():
    assert quarto_command(["html", "pdf"]) == [
        "quarto",
        "render",
        "--to",
        "html,typst",
        "--no-execute",
        "--quiet",
    ]
    assert quarto_command(["pdf"], ["r0001.ipynb"], quarto="/q/bin/quarto", quiet=False) == [
        "/q/bin/quarto",
        "render",
        "r0001.ipynb",
        "--to",
        "typst",
        "--no-execute",
    ]


def test_unknown_format_is_a_user_error():
    with pytest.raises(UserError, match="unknown format 'docx'"):
        quarto_command(["html", "docx"])


def test_staged_notebook_carries_the_audiences_title_as_escaped_markdown(tmp_path: Path):
    """Quarto reads metadata as Markdown: a partner's name must reach it escaped, in YAML."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_raw_cell('---\ntitle: "Generic"\ntoc: true\n---'),
            nbformat.v4.new_code_cell("x = 1"),
        ]
    )
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, src)
    name = 'Acme *Ltd* <script>x</script> $1 "q": #set'
    stage_notebook(Job(src, {}, title=f"Report: {name}", council="Thurrock"), tmp_path / "o.ipynb")
    staged = nbformat.read(tmp_path / "o.ipynb", as_version=4).cells[0].source
    front = yaml.safe_load(staged.strip().strip("-"))
    assert front["toc"] is True  # the template's own options stay
    assert front["title"] == r"Report\: Acme \*Ltd\* \<script\>x\<\/script\> \$1 \"q\"\: \#set"
    assert front["svf-council"] == "Thurrock"


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="quarto is installed here")
def test_auto_falls_back_to_builtin_and_quarto_without_quarto_is_an_error():
    assert choose_renderer("auto") == "builtin"
    assert choose_renderer("builtin") == "builtin"
    with pytest.raises(UserError, match="`quarto` is not on PATH"):
        choose_renderer("quarto")


def test_auto_takes_quarto_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    exe = tmp_path / "quarto"  # only its presence on PATH is looked at here
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}")
    assert choose_renderer("auto") == "quarto"


# ------------------------------------------------------------------ the real Quarto CLI


@needs_quarto
@quarto_rendered
@pytest.mark.parametrize("audience", ["council", "P001", "P002", "P003"])
def test_each_report_has_its_own_title_in_html(rendered, audience):
    """The partner's name (P003's is markup) is the masthead and the page title, as text."""
    page = html_of(rendered, audience)
    h1 = re.search(r'<h1 class="title">(.*?)</h1>', page, re.S)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert h1 is not None and title is not None
    shown = html.unescape(h1.group(1))
    if audience == "council":
        assert shown.startswith("Social value health check 2025/26")
    else:
        assert shown == f"Social value health check 2025/26: {rf.PARTNERS[audience][0]}"
    assert html.unescape(title.group(1)) == shown
    assert 'generator" content="quarto-' in page  # Quarto wrote it, not the built-in renderer


@needs_quarto
@needs_poppler
@quarto_rendered
@pytest.mark.parametrize("audience", ["council", "P001", "P002", "P003"])
def test_each_pdf_has_its_own_title_page_and_metadata(rendered, audience):
    folder = (
        rendered.council_report_dir
        if audience == "council"
        else rendered.partner_report_dir(audience)
    )
    info = subprocess.run(
        ["pdfinfo", str(folder / "health-check.pdf")], capture_output=True, text=True, check=True
    ).stdout
    title = re.search(r"^Title:\s+(.*)$", info, re.M)
    assert title is not None and title.group(1).startswith("Social value health check 2025/26")
    if audience != "council":
        assert title.group(1) == f"Social value health check 2025/26: {rf.PARTNERS[audience][0]}"
    assert "595.276 x 841.89 pts (A4)" in info and re.search(r"Tagged:\s+yes", info)
    text = pdf_text(rendered, audience)
    assert re.search(r"Page 1 of \d+", text)  # the built-in template's footer
    assert " ".join(title.group(1).split()) in text


@needs_quarto
@quarto_rendered
def test_html_has_no_dangling_other_formats_link_and_no_script(rendered):
    for audience in ("council", "P001", "P003"):
        html = html_of(rendered, audience)
        assert "Other Formats" not in html
        hrefs = [a.get("href") or "" for t, a in tags_of(html) if t == "a"]
        # Only the contents and skip links, and the council's link to the data-quality page
        # (as the built-in renderer has it); never a link to a file Quarto did not write.
        assert all(h.startswith("#") or h == "../data-quality/index.html" for h in hrefs), hrefs
        assert not [t for t, _ in tags_of(html) if t == "script"]


@needs_quarto
@quarto_rendered
def test_quarto_html_uses_the_builtin_stylesheet_and_blocks(rendered):
    html = html_of(rendered, "P001")
    css = (Path(__file__).parents[1] / "pipeline" / "core" / "templates" / "report.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments may not be kept
    rules = [ln.strip() for ln in css.splitlines() if ln.strip()]
    assert [r for r in rules if r not in html] == []  # the same stylesheet, inlined
    tags = tags_of(html)
    classes = [a.get("class") or "" for _, a in tags]
    assert "masthead" in classes and "kpis" in classes and "kpi" in classes
    assert [a for t, a in tags if t == "main" and a.get("id") == "main"]
    status = [c for c in classes if c.startswith("status st-")]
    assert "status st-on-track" in status  # status cells carry the built-in classes
    # Headline figures as cards: a label, a value and a note each (the content is checked for
    # both renderers in test_report.py).
    assert classes.count("kpi") >= 3
    assert classes.count("kpi-label") == classes.count("kpi-value") == classes.count("kpi")
    wraps = [a for t, a in tags if t == "div" and a.get("class") == "table-wrap"]
    assert wraps and all(a.get("tabindex") == "0" and a.get("aria-label") for a in wraps)


@needs_quarto
@needs_poppler
@quarto_rendered
def test_quarto_pdf_keeps_hyphens_and_shows_chart_figures(rendered):
    text = pdf_text(rendered, "P001")
    assert "4,321" in text and "CS2-06" in text  # a string literal: no Typst minus sign
    assert "Figure 1" in text  # charts are figures with captions


@needs_quarto
def test_one_bad_document_does_not_stop_the_batch(tmp_path: Path):
    """Quarto stops a whole call at the first failing document: the others are rendered anyway,
    and the failure names its notebook."""
    from pipeline.report.audience import render_audience

    paths = rf.write_workspace(tmp_path)
    for audience in ("P001", "P002"):
        r = render_audience(paths, audience, "quarto", ["pdf"])
        assert r.error is None and r.quarto_job is not None
    good = executed_path(paths, "P001")
    bad = executed_path(paths, "P002").with_name("broken.ipynb")
    nb = nbformat.read(executed_path(paths, "P002"), as_version=4)
    nb.cells.append(
        nbformat.v4.new_markdown_cell("```{=typst}\n#this-function-does-not-exist()\n```")
    )
    nbformat.write(nb, bad)
    out = tmp_path / "out"
    jobs = [
        Job(bad, {"pdf": out / "bad.pdf"}, title="Bad"),
        Job(good, {"pdf": out / "good.pdf"}, title="Good"),
    ]
    first, second = render_many(jobs, workers=1)
    assert first.error is not None and "broken.ipynb to pdf failed" in first.error
    assert not (out / "bad.pdf").exists()
    assert second.error is None and second.files == [out / "good.pdf"]
    assert (out / "good.pdf").read_bytes().startswith(b"%PDF")
