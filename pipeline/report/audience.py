"""One audience's report: execute the health-check notebook with papermill (the in-process
engine, `pipeline.core.papermill_engine`) and render it to HTML and PDF, or hand it to Quarto.

Shared by the stage's process pool (`pipeline.report.stage`) and its Dask tasks
(`pipeline.report.dask_executor`), so neither imports the other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from pipeline.core.atomic import atomic_path, write_bytes, write_text
from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths
from pipeline.report.outputs import executed_path, output_paths, workbook_path
from pipeline.report.views import COUNCIL

NOTEBOOK = "03_health_check.ipynb"


@dataclass
class Rendered:
    """What one audience's render produced (sent back from a worker)."""

    audience: str
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    cpu_seconds: float = 0.0
    #: Quarto renderer: the executed notebook waiting for the batched `quarto render` calls.
    quarto_job: Any = None


def staged(paths: CyclePaths, targets: dict[str, Path], staging: Path | None) -> dict[str, Path]:
    """`targets` moved under `staging` (same relative layout), or unchanged without one."""
    if staging is None:
        return targets
    return {fmt: staging / p.relative_to(paths.reports) for fmt, p in targets.items()}


class NotebookFailed(UserError):
    """A cell of the health-check notebook raised while rendering one audience's report."""


def execute_notebook(paths: CyclePaths, audience: str) -> NotebookNode:
    """Run the health-check notebook for `audience` with papermill and the in-process engine
    (`papermill_engine`); the executed notebook is written (atomically) for audit and returned.

    On a failing cell the partly executed notebook is kept as
    `03_health_check.<audience>.failed.ipynb` and `NotebookFailed` names the cell and the error.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from pipeline.core.papermill_engine import NAME

    nb_out = executed_path(paths, audience)
    failed = nb_out.with_name(nb_out.stem + ".failed.ipynb")
    params = {"cycle": paths.cycle, "workspace": str(paths.workspace), "audience": audience}
    with atomic_path(nb_out) as tmp:
        tmp_nb = tmp.with_suffix(".ipynb")  # papermill writes .ipynb files
        try:
            nb: NotebookNode = pm.execute_notebook(
                str(paths.notebooks / NOTEBOOK),
                str(tmp_nb),
                parameters=params,
                engine_name=NAME,
                progress_bar=False,
                request_save_on_cell_execute=False,  # written once, at the end
            )
            os.replace(tmp_nb, tmp)
        except PapermillExecutionError as exc:
            if tmp_nb.exists():
                os.replace(tmp_nb, failed)
            raise NotebookFailed(
                f"{NOTEBOOK} cell {exc.cell_index + 1} failed for {audience}: "
                f"{exc.ename}: {exc.evalue}"
            ) from None
        finally:
            tmp_nb.unlink(missing_ok=True)
    return nb


def write_council_workbook(paths: CyclePaths, staging: Path | None) -> Path:
    """The council's workbook annex (every row of the report's long lists), into `staging`
    when given; from the same view the council's notebook read (cached in this process)."""
    from pipeline.report.annex import write_workbook
    from pipeline.report.views import load_view

    target = staged(paths, {"xlsx": workbook_path(paths)}, staging)["xlsx"]
    return write_workbook(target, load_view(paths.cycle, paths.workspace, COUNCIL))


def render_audience(
    paths: CyclePaths,
    audience: str,
    renderer: str,
    formats: Sequence[str],
    staging: Path | None = None,
) -> Rendered:
    """Execute the notebook for one audience and render it (into `staging` when given); never
    raises (errors are returned). For the council, the workbook annex is written too (one per
    run, whatever the formats)."""
    start, cpu = time.perf_counter(), time.process_time()
    nb_out = executed_path(paths, audience)
    try:
        nb = execute_notebook(paths, audience)
        targets = staged(paths, output_paths(paths, audience, formats), staging)
        written: list[Path] = []
        if audience == COUNCIL:
            written.append(write_council_workbook(paths, staging))
        if renderer == "quarto":
            # Rendered afterwards, several documents per Quarto call (`render_all`).
            from pipeline.report import render_builtin, render_quarto

            doc = render_builtin.document_from_notebook(nb)
            job = render_quarto.Job(
                nb_out,
                targets,
                title=doc.title,
                subtitle=doc.subtitle,
                council=doc.council,
                cycle=doc.cycle,
                generated=doc.generated,
            )
            seconds = time.perf_counter() - start
            return Rendered(
                audience,
                [str(p) for p in written],
                seconds,
                cpu_seconds=time.process_time() - cpu,
                quarto_job=job,
            )
        else:
            from pipeline.report import render_builtin

            doc = render_builtin.document_from_notebook(nb)
            if "html" in targets:
                written.append(write_text(targets["html"], render_builtin.to_html(doc)))
            if "pdf" in targets:
                written.append(write_bytes(targets["pdf"], render_builtin.to_pdf(doc)))
        return Rendered(
            audience,
            [str(p) for p in written],
            time.perf_counter() - start,
            cpu_seconds=time.process_time() - cpu,
        )
    except UserError as exc:
        return Rendered(audience, [], time.perf_counter() - start, str(exc))
    except Exception as exc:  # a bug in one audience's report must not stop the others
        return Rendered(
            audience, [], time.perf_counter() - start, f"{audience}: {type(exc).__name__}: {exc}"
        )
