"""The Quarto renderer's command line, and how `auto` chooses a renderer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.render_quarto import quarto_command
from pipeline.report import choose_renderer

NB = Path("/w/reports/c1/notebooks/03_health_check.P001.ipynb")


def test_html_command_embeds_resources_and_does_not_execute():
    cmd = quarto_command(NB, "html", "out.html", title="Health check")
    assert cmd == [
        "quarto",
        "render",
        str(NB),
        "--to",
        "html",
        "--no-execute",
        "--output",
        "out.html",
        "-M",
        "embed-resources:true",
        "-M",
        "title:Health check",
    ]


def test_pdf_command_goes_through_typst_on_a4():
    cmd = quarto_command(NB, "pdf", "out.pdf", quarto="/opt/quarto/bin/quarto")
    assert cmd == [
        "/opt/quarto/bin/quarto",
        "render",
        str(NB),
        "--to",
        "typst",
        "--no-execute",
        "--output",
        "out.pdf",
        "-M",
        "papersize:a4",
        "-M",
        "keep-typ:false",
    ]


def test_partner_title_is_passed_as_escaped_markdown_in_one_argument():
    name = 'Acme *Ltd* <script>x</script> $1 "q"'
    cmd = quarto_command(NB, "html", "o.html", title=f"Report: {name}", subtitle="P001; rm -rf /")
    # One argv item each (no shell); Markdown punctuation escaped so Quarto shows it as text.
    assert cmd[-3:] == [
        r"title:Report\: Acme \*Ltd\* \<script\>x\<\/script\> \$1 \"q\"",
        "-M",
        r"subtitle:P001\; rm \-rf \/",
    ]


def test_unknown_format_is_a_user_error():
    with pytest.raises(UserError, match="unknown format 'docx'"):
        quarto_command(NB, "docx", "o.docx")


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="quarto is installed here")
def test_auto_falls_back_to_builtin_and_quarto_without_quarto_is_an_error():
    assert choose_renderer("auto") == "builtin"
    assert choose_renderer("builtin") == "builtin"
    with pytest.raises(UserError, match="`quarto` is not on PATH"):
        choose_renderer("quarto")


def test_auto_takes_quarto_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "quarto"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}")
    assert choose_renderer("auto") == "quarto"


def _fake_quarto(folder: Path, body: str) -> None:
    """A stand-in `quarto` executable (Quarto is not installed on the build machine)."""
    exe = folder / "quarto"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)


def test_render_moves_quartos_output_into_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipeline.render_quarto import render

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Writes the file named after --output, in the working directory, with the argv in it.
    _fake_quarto(bin_dir, 'while [ "$1" != "--output" ]; do shift; done\necho rendered > "$2"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    nb = tmp_path / "nb" / "03_health_check.P001.ipynb"
    nb.parent.mkdir()
    nb.write_text("{}")
    out = {"html": tmp_path / "out" / "health-check.html", "pdf": tmp_path / "out" / "x.pdf"}
    written = render(nb, out, title="T")
    assert written == [out["html"], out["pdf"]]
    assert out["html"].read_text() == "rendered\n"
    assert sorted(p.name for p in nb.parent.iterdir()) == [nb.name]  # nothing left beside it


def test_render_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipeline.render_quarto import render

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_quarto(bin_dir, 'echo "ERROR: typst not found" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    with pytest.raises(UserError, match="quarto render of a.ipynb to pdf failed: ERROR: typst"):
        render(nb, {"pdf": tmp_path / "a.pdf"})
    assert not (tmp_path / "a.pdf").exists()
