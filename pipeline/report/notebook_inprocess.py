"""Execute a notebook's code cells inside this process, as papermill would, without a kernel.

Rendering a report per partner must not cost a kernel start and a fresh import of pandas and
matplotlib for each of hundreds of partners. A report worker imports the pipeline once and runs
the notebook for each audience here: the parameters are injected after the `parameters`-tagged
cell exactly as papermill does, each run gets a brand-new namespace (nothing carries from one
audience to the next), and every `display(...)` and final expression is captured into the
notebook's outputs with nbformat, so the executed notebook kept for audit looks like papermill's.

The same notebook still runs under papermill and Jupyter: it only uses `display`, which IPython
provides and this module injects.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import traceback
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from pipeline.core.errors import UserError


class CellFailed(UserError):
    """A notebook cell raised while rendering one audience's report."""


@lru_cache(maxsize=8)
def _template(path: str, mtime_ns: int) -> NotebookNode:  # noqa: ARG001 - mtime is the key
    return nbformat.read(path, as_version=4)


def read_template(path: str | Path) -> NotebookNode:
    """The notebook at `path`, read once per process while it is unchanged (a deep copy)."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"notebook not found: {p}")
    return copy.deepcopy(_template(str(p), p.stat().st_mtime_ns))


def parameters_source(parameters: Mapping[str, Any]) -> str:
    """The injected-parameters cell's code, in papermill's style."""
    lines = ["# Parameters"]
    lines += [f"{k} = {v!r}" for k, v in parameters.items()]
    return "\n".join(lines) + "\n"


def inject_parameters(nb: NotebookNode, parameters: Mapping[str, Any]) -> NotebookNode:
    """Insert an `injected-parameters` cell after the `parameters` cell (or first), as papermill."""
    cell = nbformat.v4.new_code_cell(parameters_source(parameters))
    cell.metadata["tags"] = ["injected-parameters"]
    index = next(
        (
            i + 1
            for i, c in enumerate(nb.cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        0,
    )
    nb.cells = [
        c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]
    nb.cells.insert(index, cell)
    return nb


def mime_bundle(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The display data of `obj`, as IPython's formatter would give it for our objects."""
    if hasattr(obj, "_repr_mimebundle_"):
        result = obj._repr_mimebundle_()
        if isinstance(result, tuple):
            return dict(result[0]), dict(result[1] or {})
        return dict(result), {}
    data: dict[str, Any] = {"text/plain": repr(obj)}
    for attr, mime in (("_repr_html_", "text/html"), ("_repr_markdown_", "text/markdown")):
        if hasattr(obj, attr):
            value = getattr(obj, attr)()
            if value is not None:
                data[mime] = value
    return data, {}


class _Outputs:
    def __init__(self) -> None:
        self.items: list[NotebookNode] = []

    def display(self, *objs: Any, **_kwargs: Any) -> None:
        for obj in objs:
            data, meta = mime_bundle(obj)
            self.items.append(nbformat.v4.new_output("display_data", data=data, metadata=meta))


def _run_cell(source: str, ns: dict[str, Any], outputs: _Outputs, count: int) -> None:
    tree = ast.parse(source, mode="exec")
    last = None
    tail = tree.body[-1] if tree.body else None
    if isinstance(tail, ast.Expr):
        tree.body.pop()
        last = ast.Expression(tail.value)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, f"<cell {count}>", "exec"), ns)  # noqa: S102 - our own notebook
        value = eval(compile(last, f"<cell {count}>", "eval"), ns) if last else None  # noqa: S307
    text = stdout.getvalue()
    if text:
        outputs.items.insert(0, nbformat.v4.new_output("stream", name="stdout", text=text))
    if value is not None:
        data, meta = mime_bundle(value)
        outputs.items.append(
            nbformat.v4.new_output(
                "execute_result", data=data, metadata=meta, execution_count=count
            )
        )


def execute(template: str | Path, parameters: Mapping[str, Any]) -> NotebookNode:
    """Run the notebook's code cells with `parameters` in a fresh namespace; return it executed.

    Raises `CellFailed` naming the cell and the error; the partly executed notebook (with the
    error as the failing cell's output) is on the exception as `.notebook`.
    """
    nb = inject_parameters(read_template(template), parameters)
    ns: dict[str, Any] = {"__name__": "__main__"}
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        count += 1
        outputs = _Outputs()
        ns["display"] = outputs.display
        cell.execution_count = count
        try:
            _run_cell(cell.source, ns, outputs, count)
        except Exception as exc:
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            outputs.items.append(
                nbformat.v4.new_output(
                    "error", ename=type(exc).__name__, evalue=str(exc), traceback=tb
                )
            )
            cell.outputs = outputs.items
            error = CellFailed(
                f"{Path(template).name} cell {index + 1} failed for "
                f"{dict(parameters).get('audience', '')}: "
                f"{type(exc).__name__}: {exc}"
            )
            error.notebook = nb  # type: ignore[attr-defined]
            raise error from None
        cell.outputs = outputs.items
    nb.metadata.setdefault("svf", {})
    nb.metadata["svf"] = {"executed": "in-process", "parameters": dict(parameters)}
    return nb
