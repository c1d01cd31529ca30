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
