"""Run a stage notebook with papermill: parameters in, executed copy kept for audit.

Every stage's notebook runs with papermill and the project's in-process engine `svf-inprocess`
(`pipeline.core.papermill_engine`): papermill injects the parameters and records the run, the
engine executes the cells in this process. No kernel is started, so a stage does not pay a
kernel's start and a second import of pandas and Great Expectations (about 2 CPU seconds a
stage), and no ports or sockets are involved. What the cells print reaches `on_line` as it is
printed, and matplotlib figures become the cells' outputs, as with a kernel.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline.core.atomic import atomic_path
from pipeline.core.errors import UserError
from pipeline.core.progress import ENV

#: The in-process papermill engine (`pipeline.core.papermill_engine.NAME`, registered by entry
#: point; named here so that running a notebook does not import the engine before papermill).
ENGINE = "svf-inprocess"


class _StreamHandler(logging.Handler):
    """Forwards papermill's log of cell output, line by line, to a callback."""

    def __init__(self, on_line: Callable[[str], object]) -> None:
        super().__init__()
        self.on_line = on_line

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            self.on_line(line)


class NotebookFailed(UserError):
    """A stage notebook raised; the message carries the error the notebook raised."""


def execute(
    notebook: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any],
    *,
    cwd: str | Path | None = None,
    on_line: Callable[[str], object] | None = None,
) -> Path:
    """Execute `notebook` with `parameters` into `output` (atomically).

    `on_line` receives each line the kernel prints; lines starting with the progress prefix let
    the caller draw one progress bar for the whole stage.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook, output = Path(notebook), Path(output)
    if not notebook.exists():
        raise UserError(f"notebook not found: {notebook}")
    logger = logging.getLogger("papermill")
    handler = None
    previous_env = os.environ.get(ENV)
    if on_line is not None:
        handler = _StreamHandler(on_line)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        os.environ[ENV] = "lines"
    try:
        with atomic_path(output) as tmp:
            tmp_nb = tmp.with_suffix(".ipynb")
            try:
                pm.execute_notebook(
                    str(notebook),
                    str(tmp_nb),
                    parameters=dict(parameters),
                    engine_name=ENGINE,
                    cwd=str(cwd) if cwd else None,
                    progress_bar=False,
                    log_output=on_line is not None,
                )
                os.replace(tmp_nb, tmp)
            except PapermillExecutionError as exc:
                # Keep the failed executed notebook for diagnosis, beside where it would have gone.
                if tmp_nb.exists():
                    os.replace(tmp_nb, output.with_name(output.stem + ".failed.ipynb"))
                raise NotebookFailed(
                    f"{notebook.name} failed: {exc.ename}: {exc.evalue} "
                    f"(executed copy: {output.with_name(output.stem + '.failed.ipynb')})"
                ) from None
            finally:
                if tmp_nb.exists():
                    tmp_nb.unlink()
    finally:
        if handler is not None:
            logger.removeHandler(handler)
        if previous_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous_env
    return output
