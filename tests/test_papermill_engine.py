"""The `svf-inprocess` papermill engine: papermill's own parameter injection and bookkeeping,
the cells run in this process in a fresh namespace each run, and outputs recorded as a kernel
records them (streams, displays, results, errors), so the executed notebook reads the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from papermill.exceptions import PapermillExecutionError

from pipeline.core.papermill_engine import NAME
from pipeline.report import render_builtin
from tests.helpers import report_fixtures as rf

CELLS = [
    new_markdown_cell("# A notebook"),
    new_code_cell('greeting = "hello"', metadata={"tags": ["parameters"]}),
    new_code_cell(
        'import sys\nprint("to stdout")\nsys.stderr.write("to stderr\\n")\nprint(greeting)'
    ),
    new_code_cell(
        "class Card:\n"
        "    def _repr_html_(self):\n"
        '        return "<b>card</b>"\n'
        "display(Card(), Card())\n"
        "6 * 7"
    ),
    new_code_cell("6 * 7;"),
    new_code_cell('seen = globals().get("leftover", "nothing")\nleftover = greeting\nseen'),
]


def _write(path: Path, cells) -> Path:
    nb = new_notebook(cells=[nbformat.from_dict(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _run(src: Path, out: Path, **parameters):
    return pm.execute_notebook(
        str(src), str(out), parameters=parameters, engine_name=NAME, progress_bar=False
    )


def test_outputs_are_recorded_as_a_kernel_records_them(tmp_path: Path):
    src = _write(tmp_path / "nb.ipynb", CELLS)
    nb = _run(src, tmp_path / "out.ipynb", greeting="hi")
    # papermill injected the parameters after the `parameters` cell, and recorded them.
    injected = nb.cells[2]
    assert injected.metadata.tags == ["injected-parameters"]
    assert 'greeting = "hi"' in injected.source
    assert nb.metadata.papermill.parameters == {"greeting": "hi"}
    # stdout and stderr as stream outputs, in the order they were written.
    streams = [(o.output_type, o.name, o.text) for o in nb.cells[3].outputs]
    assert streams == [
        ("stream", "stdout", "to stdout\n"),
        ("stream", "stderr", "to stderr\n"),
        ("stream", "stdout", "hi\n"),
    ]
    # each displayed object a display_data output with its rich representation, then the last
    # expression as the cell's result.
    shown = nb.cells[4].outputs
    assert [o.output_type for o in shown] == ["display_data", "display_data", "execute_result"]
    assert shown[0].data["text/html"] == "<b>card</b>"
    assert shown[2].data["text/plain"] == "42"
    assert shown[2].execution_count == nb.cells[4].execution_count == 4
    # a trailing semicolon hides the value, as in IPython.
    assert nb.cells[5].outputs == []
    # the file papermill wrote is the notebook it returned, and is a valid notebook.
    written = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    nbformat.validate(written)
    assert written.cells[4].outputs[0].data["text/html"] == "<b>card</b>"
    assert {c.metadata.papermill.status for c in written.cells} == {"completed"}


def test_each_run_starts_with_a_fresh_namespace(tmp_path: Path):
    """The last cell sets `leftover`; the next run, in the same process, does not see it."""
    src = _write(tmp_path / "nb.ipynb", CELLS)
    first = _run(src, tmp_path / "first.ipynb", greeting="first")
    second = _run(src, tmp_path / "second.ipynb", greeting="second")
    assert first.cells[-1].outputs[0].data["text/plain"] == "'nothing'"
    assert second.cells[-1].outputs[0].data["text/plain"] == "'nothing'"


def test_a_failing_cell_stops_the_run_and_papermill_keeps_the_error(tmp_path: Path):
    src = _write(
        tmp_path / "nb.ipynb",
        [
            new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            new_code_cell('print("before")\nraise ValueError(f"no returns for P00{x}")'),
            new_code_cell('print("never")'),
        ],
    )
    out = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError) as info:
        _run(src, out, x=7)
    assert (info.value.ename, info.value.evalue) == ("ValueError", "no returns for P007")
    nb = nbformat.read(out, as_version=4)
    # papermill's marker at the top, then the cells: the failing one holds what it printed and
    # the error (its traceback shows the cell's own line); the next never ran.
    assert "An Exception was encountered" in nb.cells[0].source
    failing = next(c for c in nb.cells if "raise ValueError" in c.source)
    assert [o.output_type for o in failing.outputs] == ["stream", "error"]
    assert failing.outputs[1].ename == "ValueError"
    assert any("raise ValueError" in line for line in failing.outputs[1].traceback)
    assert failing.metadata.papermill.status == "failed"
    never = nb.cells[-1]
    assert never.outputs == [] and never.execution_count is None


@pytest.mark.slow
def test_an_analyst_runs_the_report_notebook_with_the_papermill_cli(tmp_path: Path):
    """`papermill ... --engine svf-inprocess` finds the engine through its entry point and gives
    the notebook the report stage renders."""
    paths = rf.write_workspace(tmp_path)
    out = tmp_path / "P001.ipynb"
    papermill_cli = Path(sys.executable).parent / "papermill"
    proc = subprocess.run(
        [
            str(papermill_cli),
            str(paths.notebooks / "03_health_check.ipynb"),
            str(out),
            "-p",
            "cycle",
            paths.cycle,
            "-p",
            "workspace",
            str(paths.workspace),
            "-p",
            "audience",
            "P001",
            "--engine",
            NAME,
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    doc = render_builtin.document_from_notebook(nbformat.read(out, as_version=4))
    assert doc.title == "Social value health check 2025/26: Canary Alpha Ltd"
    assert (doc.cycle, doc.audience) == (paths.cycle, "P001")
    html = render_builtin.to_html(doc)
    assert "4,321" in html and "Bluebird" not in html
