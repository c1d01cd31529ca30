"""The Quarto renderer: our own thin wrapper over the Quarto CLI (`quarto render`).

Used when `quarto` is on PATH (`--renderer auto` prefers it). Quarto renders the executed
notebook from its stored outputs (it does not execute an `.ipynb` unless asked), reading the
front matter in the notebook's first raw cell: the same titles and options as the built-in
renderer. The audience's own title goes in with `-M`, escaped as Markdown text, since Quarto
reads metadata values as Markdown.

The command line is built by the pure function `quarto_command`, which the tests cover; the
PyPI `quarto` package is not used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.errors import UserError
from pipeline.report_blocks import md_escape

#: Quarto's target format for each of our output formats.
QUARTO_TO = {"html": "html", "pdf": "typst"}


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


def quarto_command(
    notebook: Path,
    fmt: str,
    output_name: str,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    quarto: str = "quarto",
) -> list[str]:
    """The argv that renders `notebook` (already executed) to `fmt` (`html` or `pdf`).

    HTML is one self-contained file (`embed-resources`); PDF goes through Typst (`--to typst`,
    A4). `--no-execute` keeps Quarto from re-running cells: the stored outputs are the report.
    """
    if fmt not in QUARTO_TO:
        raise UserError(f"unknown format {fmt!r}: use html or pdf")
    cmd = [
        quarto,
        "render",
        str(notebook),
        "--to",
        QUARTO_TO[fmt],
        "--no-execute",
        "--output",
        output_name,
    ]
    if fmt == "html":
        cmd += ["-M", "embed-resources:true"]
    else:
        cmd += ["-M", "papersize:a4", "-M", "keep-typ:false"]
    if title:
        cmd += ["-M", f"title:{md_escape(title)}"]
    if subtitle:
        cmd += ["-M", f"subtitle:{md_escape(subtitle)}"]
    return cmd


def render(
    notebook: Path,
    outputs: dict[str, Path],
    *,
    title: str | None = None,
    subtitle: str | None = None,
    timeout: float = 600,
) -> list[Path]:
    """Run Quarto for each format in `outputs` ({"html": path, "pdf": path}); move results there.

    Quarto writes beside the notebook, so each format renders to a private name and is then moved
    (atomically) to its destination.
    """
    quarto = shutil.which("quarto")
    if quarto is None:
        raise UserError(
            "renderer 'quarto' asked for, but `quarto` is not on PATH: install it "
            "(conda-forge quarto or pip install quarto-cli) or use --renderer builtin"
        )
    written: list[Path] = []
    for fmt, target in outputs.items():
        name = f"{notebook.stem}.{fmt}.{'html' if fmt == 'html' else 'pdf'}"
        cmd = quarto_command(notebook, fmt, name, title=title, subtitle=subtitle, quarto=quarto)
        proc = subprocess.run(
            cmd,
            cwd=notebook.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "QUARTO_PRINT_STACK": "false"},
        )
        produced = notebook.parent / name
        if proc.returncode != 0 or not produced.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"quarto render of {notebook.name} to {fmt} failed: {tail[0]}")
        with atomic_path(target) as tmp:
            shutil.move(produced, tmp)
        written.append(target)
    return written


def describe(cmd: Sequence[str]) -> str:
    """The command as a user would type it (for logs)."""
    import shlex

    return " ".join(shlex.quote(c) for c in cmd)
