"""The papermill runner of the stage notebooks (the in-process engine): parameters reach the
notebook, progress lines reach the caller while the cell still runs, figures become outputs and
no window, runs side by side each get their own parameters, and a failing notebook is reported
in one line."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pipeline.core.notebooks import NotebookFailed, execute
from pipeline.core.progress import PREFIX


def _notebook(path, body: str):
    nb = new_notebook(
        cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_code_cell(body)]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_parameters_and_progress_lines(tmp_path):
    src = _notebook(
        tmp_path / "nb.ipynb",
        "from pipeline.core.progress import from_env\n"
        "r = from_env()\nr.start(2, 'demo')\nr.advance(1, 'a')\nr.advance(1, 'b')\nprint(x * 2)",
    )
    lines: list[str] = []
    out = execute(src, tmp_path / "out" / "nb.ipynb", {"x": 21}, on_line=lines.append)
    progress = [line for line in lines if line.startswith(PREFIX)]
    assert len(progress) == 3
    executed = nbformat.read(out, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "42" in printed
    # Only the executed notebook is left: no temporary files beside it.
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["nb.ipynb"]


def test_runs_side_by_side_each_get_their_own_parameters(tmp_path):
    src = _notebook(tmp_path / "nb.ipynb", "print(x + 1)")

    def run(i: int) -> str:
        out = execute(src, tmp_path / f"out{i}.ipynb", {"x": i})
        nb = nbformat.read(out, as_version=4)
        return nb.cells[-1].outputs[0]["text"].strip()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(4)))
    assert results == ["1", "2", "3", "4"]


def test_failure_is_one_line_and_keeps_failed_copy(tmp_path):
    src = _notebook(tmp_path / "nb.ipynb", "raise ValueError('no returns for P007')")
    with pytest.raises(NotebookFailed, match="ValueError: no returns for P007"):
        execute(src, tmp_path / "out" / "nb.ipynb", {})
    assert not (tmp_path / "out" / "nb.ipynb").exists()
    assert (tmp_path / "out" / "nb.failed.ipynb").exists()


def test_progress_lines_arrive_while_the_cell_runs(tmp_path, monkeypatch):
    # The cell prints a progress line, then records that it went on; the caller must have seen
    # the line before that (an analyst's progress bar moves during the stage, not at its end).
    import builtins

    events: list[str] = []
    monkeypatch.setattr(builtins, "_svf_test_events", events, raising=False)
    src = _notebook(
        tmp_path / "nb.ipynb",
        "import builtins\n"
        "from pipeline.core.progress import from_env\n"
        "r = from_env()\nr.start(1, 'demo')\n"
        "builtins._svf_test_events.append('cell went on')\n"
        "r.advance(1, 'done')",
    )

    def on_line(line: str) -> None:
        if line.startswith(PREFIX):
            events.append("progress line")

    execute(src, tmp_path / "out.ipynb", {}, on_line=on_line)
    assert events == ["progress line", "cell went on", "progress line"]


def test_a_figure_becomes_an_output_and_show_opens_no_window(tmp_path):
    src = _notebook(
        tmp_path / "nb.ipynb",
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(4, 2))\nax.plot([1, 2, 3])\nplt.show()\nprint('drawn')",
    )
    out = execute(src, tmp_path / "out.ipynb", {})
    outputs = nbformat.read(out, as_version=4).cells[-1].outputs
    kinds = [o["output_type"] for o in outputs]
    assert kinds == ["stream", "display_data"], outputs
    assert outputs[0]["name"] == "stdout" and outputs[0]["text"] == "drawn\n"
    png = outputs[1]["data"]["image/png"]
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert outputs[1]["data"]["text/plain"] == "<Figure size 400x200 with 1 Axes>"
