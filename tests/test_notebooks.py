"""The papermill runner: parameters reach the notebook, progress lines reach the caller, kernels
run side by side without port collisions, and a failing notebook is reported in one line."""

from __future__ import annotations

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


def test_parallel_kernels_do_not_collide(tmp_path):
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
