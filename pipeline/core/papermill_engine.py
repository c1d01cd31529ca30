"""A papermill engine that runs a notebook's code cells in this process, without a kernel.

Rendering a report per partner must not cost a kernel start and a fresh import of pandas and
matplotlib for each of hundreds of partners, nor a validate or compute stage a kernel and a
second import of Great Expectations and pandas; every stage notebook runs with this engine
(`pipeline.core.notebooks.execute`, and the report stage's `pipeline.report.audience`). Papermill does everything around the execution
(reads the notebook, injects the parameters after the `parameters`-tagged cell, records start,
end and status of each cell in the notebook's metadata, marks a failure at the top of the
notebook, writes the executed copy); this engine only executes the code cells, here:

- each run gets a brand-new namespace (nothing carries from one notebook run to the next);
- what a cell prints (`stdout`, `stderr`) becomes `stream` outputs, every `display(obj)` a
  `display_data` output and the cell's last expression an `execute_result`, each with the MIME
  bundle IPython's formatter would give (`_repr_mimebundle_`, `_repr_html_`, `_repr_png_`, ...),
  in the order they happened;
- an exception becomes the cell's `error` output and stops the run, so papermill raises
  `PapermillExecutionError` and keeps the failed notebook, as with a kernel;
- matplotlib figures open at the end of a cell become PNG `display_data` outputs (a kernel's
  `inline` backend), `plt.show()` opens no window;
- with `log_output`, what a cell prints reaches papermill's logger line by line as it is printed.

It is registered under the `papermill.engine` entry point as `svf-inprocess`, so the command line
does the same as the report stage:

    papermill notebooks/03_health_check.ipynb out.ipynb -p cycle sample -p audience P001 \
        --engine svf-inprocess

What it is not: a kernel. There are no IPython magics (`%time`), no `get_ipython()`, and cells
run with this process's working directory, modules and environment (a module imported by one
run stays imported; its module-level state is the notebook's business). `sys.stdout`, `display`
and matplotlib's pyplot are process-wide, so runs in one process take turns (a lock); run one
worker process per core for parallelism, as the report stage does.

Papermill registers it through `pipeline.core.papermill_entry` (a stand-in that imports this
module only when papermill calls it), so this module may be imported before or after papermill.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import linecache
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import nbformat
from nbformat import NotebookNode
from papermill.engines import Engine, NotebookExecutionManager

NAME = "svf-inprocess"
KERNEL_NAME = "python3"

#: One notebook run at a time per process: stdout, `display` and pyplot are process-wide.
_RUNNING = threading.Lock()

#: IPython's formatter methods and the MIME type each gives, in IPython's order.
_REPRS = (
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_latex_", "text/latex"),
    ("_repr_json_", "application/json"),
    ("_repr_javascript_", "application/javascript"),
)


def mime_bundle(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The display data and metadata of `obj`, as IPython's display formatter gives them."""
    if hasattr(obj, "_repr_mimebundle_"):
        result = obj._repr_mimebundle_()
        if isinstance(result, tuple):
            return dict(result[0]), dict(result[1] or {})
        if result is not None:
            return dict(result), {}
    data: dict[str, Any] = {"text/plain": repr(obj)}
    meta: dict[str, Any] = {}
    for attr, mime in _REPRS:
        method = getattr(obj, attr, None)
        if method is None or isinstance(obj, type):
            continue
        value = method()
        if isinstance(value, tuple):
            value, extra = value
            meta[mime] = extra
        if value is None:
            continue
        if isinstance(value, bytes):  # images: base64 text, as in a kernel's message
            value = base64.b64encode(value).decode("ascii")
        data[mime] = value
    return data, meta


def _output(output_type: str, **fields: Any) -> NotebookNode:
    """An output cell, as `nbformat.v4.new_output` makes it but without validating it on its
    own (that costs more than the cell: papermill validates the whole notebook when it writes)."""
    return nbformat.from_dict({"output_type": output_type, **fields})


class _Outputs:
    """One cell's outputs in the order they happen."""

    def __init__(self) -> None:
        self.items: list[NotebookNode] = []

    def write_stream(self, name: str, text: str) -> None:
        last = self.items[-1] if self.items else None
        if last is not None and last.output_type == "stream" and last.name == name:
            last.text += text
        else:
            self.items.append(_output("stream", name=name, text=text))

    def display(self, *objs: Any, **_kwargs: Any) -> None:
        """IPython's `display`: one `display_data` output per object."""
        for obj in objs:
            data, meta = mime_bundle(obj)
            self.items.append(_output("display_data", data=data, metadata=meta))


class _Stream(io.TextIOBase):
    """`sys.stdout` or `sys.stderr` during a cell: what the cell's thread writes becomes the
    cell's output; other threads (a progress bar, a Dask worker's own) write where they did."""

    def __init__(
        self,
        outputs: _Outputs,
        name: str,
        original: Any,
        on_text: Callable[[str, str], None] | None = None,
    ) -> None:
        self._outputs, self._name, self._original = outputs, name, original
        self._on_text = on_text
        self._thread = threading.get_ident()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if threading.get_ident() != self._thread:
            return self._original.write(text)
        if text:
            self._outputs.write_stream(self._name, text)
            if self._on_text is not None:
                self._on_text(self._name, text)
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() != self._thread:
            self._original.flush()


def _split_last_expression(source: str, filename: str) -> tuple[Any, Any]:
    """The cell's code to exec and, as IPython does, its last expression to show (or None)."""
    tree = ast.parse(source, filename=filename, mode="exec")
    last = None
    final = tree.body[-1] if tree.body else None
    # A trailing `;` hides the value, as in IPython.
    if isinstance(final, ast.Expr) and not source.rstrip().endswith(";"):
        tree.body.pop()
        last = ast.Expression(final.value)
    body = compile(tree, filename, "exec")
    return body, (compile(last, filename, "eval") if last is not None else None)


def _flush_figures(outputs: _Outputs) -> None:
    """Every open matplotlib figure as a PNG `display_data` output, then closed: what the
    `inline` backend of a kernel does at the end of a cell (`plt.show()` draws nothing here)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for num in pyplot.get_fignums():
        fig = pyplot.figure(num)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        width, height = fig.get_size_inches() * fig.dpi
        outputs.items.append(
            _output(
                "display_data",
                data={
                    "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                    "text/plain": f"<Figure size {width:g}x{height:g} with {len(fig.axes)} Axes>",
                },
                metadata={},
            )
        )
        pyplot.close(fig)


def run_cell(
    source: str,
    namespace: dict[str, Any],
    count: int,
    on_text: Callable[[str, str], None] | None = None,
) -> list[NotebookNode]:
    """Execute one cell's `source` in `namespace`; return its outputs (an `error` output last
    when it raised). `on_text(stream, text)` sees what the cell prints as it prints it (a stage's
    progress lines)."""
    filename = f"<cell In[{count}]>"
    # Tracebacks show the cell's lines, as in a kernel.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    outputs = _Outputs()
    namespace["display"] = outputs.display
    saved = sys.stdout, sys.stderr
    sys.stdout = _Stream(outputs, "stdout", saved[0], on_text)
    sys.stderr = _Stream(outputs, "stderr", saved[1], on_text)
    try:
        body, last = _split_last_expression(source, filename)
        exec(body, namespace)  # noqa: S102 - executing the notebook is the point
        value = eval(last, namespace) if last is not None else None  # noqa: S307
        _flush_figures(outputs)
        if value is not None:
            data, meta = mime_bundle(value)
            outputs.items.append(
                _output("execute_result", data=data, metadata=meta, execution_count=count)
            )
    except BaseException as exc:  # noqa: BLE001 - a notebook's SystemExit is its error too
        if isinstance(exc, KeyboardInterrupt):
            raise
        # The traceback starts in the cell, not in this module.
        origin = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        tb = traceback.format_exception(type(exc), exc, origin or exc.__traceback__)
        outputs.items.append(
            _output("error", ename=type(exc).__name__, evalue=str(exc), traceback=tb)
        )
    finally:
        sys.stdout, sys.stderr = saved
    return outputs.items


class _LineLog:
    """With papermill's `log_output`: each whole line a cell prints goes to papermill's logger
    as it is printed (stdout as info, stderr as a warning), as a kernel's output does, so a
    stage's progress lines reach its progress bar while the cell runs."""

    def __init__(self) -> None:
        from papermill.log import logger

        self._logger = logger
        self._pending: dict[str, str] = {}

    def write(self, name: str, text: str) -> None:
        *whole, rest = (self._pending.get(name, "") + text).split("\n")
        self._pending[name] = rest
        for line in whole:
            self._emit(name, line)

    def flush(self) -> None:
        for name, rest in self._pending.items():
            if rest:
                self._emit(name, rest)
        self._pending.clear()

    def _emit(self, name: str, line: str) -> None:
        (self._logger.info if name == "stdout" else self._logger.warning)(line)


@contextlib.contextmanager
def _figures_inline(nb: NotebookNode) -> Iterator[None]:
    """For a notebook that draws with matplotlib: the non-interactive Agg backend and a
    `plt.show()` that draws nothing, so no window opens on an analyst's desktop; each cell's
    figures become its outputs (`_flush_figures`), as with a kernel's `inline` backend."""
    if not any("matplotlib" in c.source for c in nb.cells if c.cell_type == "code"):
        yield
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    show = pyplot.show
    pyplot.show = lambda *args, **kwargs: None
    try:
        yield
    finally:
        pyplot.show = show
        pyplot.close("all")


class InProcessEngine(Engine):
    """Papermill engine: the notebook's code cells run in this process, each run in a fresh
    namespace (see the module's docstring)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: NotebookExecutionManager,
        kernel_name: str,
        log_output: bool = False,
        **kwargs: Any,
    ) -> NotebookNode:
        lines = _LineLog() if log_output else None
        namespace: dict[str, Any] = {"__name__": "__main__"}
        count = 0
        with _RUNNING, _figures_inline(nb_man.nb):
            for index, cell in enumerate(nb_man.nb.cells):
                try:
                    nb_man.cell_start(cell, index)
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue
                    count += 1
                    cell.execution_count = count
                    cell.outputs = run_cell(
                        cell.source, namespace, count, lines.write if lines else None
                    )
                    if lines is not None:
                        lines.flush()
                    if cell.outputs and cell.outputs[-1].output_type == "error":
                        nb_man.cell_exception(cell, cell_index=index)
                        break
                finally:
                    nb_man.cell_complete(cell, cell_index=index)
        namespace.clear()  # drop the run's objects now, not at the next collection
        return nb_man.nb

    @classmethod
    def nb_kernel_name(cls, nb: NotebookNode, name: str | None = None) -> str:
        """No kernel is started; papermill's Python translator is chosen by this name."""
        return name or nb.metadata.get("kernelspec", {}).get("name") or KERNEL_NAME

    @classmethod
    def nb_language(cls, nb: NotebookNode, language: str | None = None) -> str:
        """Only Python runs in this process."""
        found = language or nb.metadata.get("kernelspec", {}).get("language") or "python"
        if found != "python":
            from papermill.exceptions import PapermillException

            raise PapermillException(f"engine {NAME} runs Python notebooks only, not {found}")
        return found
