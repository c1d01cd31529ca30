"""The report stage: a health check for the council and every partner, in HTML and PDF.

One notebook, `notebooks/03_health_check.ipynb`, is executed once per audience and rendered from
its stored outputs. For speed at scale (hundreds of partners) the stage does not start a kernel,
re-import the pipeline and spawn a render process per partner: a pool of `jobs` worker processes
each imports the pipeline once, then for every audience it is handed

1. executes the notebook with papermill and the project's in-process engine
   (`pipeline.core.papermill_engine`, no kernel; a fresh namespace per run, so no state passes
   between audiences), and keeps the executed notebook under `reports/<cycle>/notebooks/` for
   audit;
2. renders HTML (Jinja2) and PDF (Typst) in-process (`pipeline.report.render_builtin`), or calls the
   Quarto CLI (`pipeline.report.render_quarto`) when that renderer is chosen.

A partner's view is filtered to that partner in `pipeline.report.views` before any cell sees it.
Every file is written atomically. `reports/<cycle>/index.html` links every report at the end.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths
from pipeline.report.audience import (
    NOTEBOOK,
    Rendered,
    render_audience,
)
from pipeline.report.views import COUNCIL, load_cycle

RENDERERS = ("auto", "quarto", "builtin")
#: `process`: a pool of worker processes on this machine (the default); `dask`: a Dask cluster.
EXECUTORS = ("process", "dask")
FORMATS = ("html", "pdf")


def choose_renderer(renderer: str) -> str:
    """`auto` takes Quarto when it is on PATH, else the built-in renderer."""
    from pipeline.report.render_quarto import quarto_available

    if renderer not in RENDERERS:
        raise UserError(f"unknown renderer {renderer!r}: use auto, quarto or builtin")
    if renderer == "auto":
        return "quarto" if quarto_available() else "builtin"
    if renderer == "quarto" and not quarto_available():
        raise UserError(
            "renderer 'quarto' asked for, but `quarto` is not on PATH: install it "
            "(conda-forge quarto or pip install quarto-cli) or use --renderer builtin"
        )
    return renderer


def select_audiences(partners: str, known: Sequence[str]) -> list[str]:
    """`council` first, then the partners asked for: `all`, `none` or comma-separated ids."""
    spec = (partners or "all").strip()
    if spec.lower() == "all":
        chosen = list(known)
    elif spec.lower() == "none":
        chosen = []
    else:
        chosen = [p.strip() for p in spec.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in set(known)]
        if unknown:
            raise UserError(
                f"unknown partner {', '.join(unknown)}: not in partners.parquet "
                f"(known: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''})"
            )
        chosen = list(dict.fromkeys(chosen))
    return [COUNCIL, *chosen]


def staging_dir(paths: CyclePaths) -> Path:
    """Where a report run renders before its reports are swapped in (`swap_in`)."""
    return paths.reports / ".staging"


def swap_in(paths: CyclePaths, staging: Path, results: Sequence[Rendered]) -> None:
    """Move every staged report into place (each an atomic rename) and drop the staging folder.
    A run killed before this point leaves the previous run's reports and index as they were."""
    for r in results:
        moved = []
        for f in r.files:
            src = Path(f)
            if staging in src.parents:
                dest = paths.reports / src.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
                moved.append(str(dest))
            else:
                moved.append(f)
        r.files = moved
    shutil.rmtree(staging, ignore_errors=True)


def _warm_up() -> None:
    """Import what every render needs once per worker, before the first audience arrives."""
    import matplotlib  # noqa: F401
    import papermill  # noqa: F401
    import typst  # noqa: F401

    from pipeline.report import charts, render_builtin, sections  # noqa: F401


def render_all(
    paths: CyclePaths,
    audiences: Sequence[str],
    *,
    renderer: str,
    formats: Sequence[str],
    jobs: int = 2,
    on_done: Any = None,
    staging: Path | None = None,
    executor: str = "process",
    scheduler: str | None = None,
) -> list[Rendered]:
    """Render every audience with `jobs` worker processes (in this process when `jobs` is 1),
    or, with `executor="dask"`, as one Dask task each (`dask_executor`: on the cluster at
    `scheduler`, else on a `LocalCluster` of `jobs` workers).

    With Quarto, the workers execute the notebooks, then `render_quarto.render_many` renders
    them all on this machine, `jobs` Quarto projects at a time; each report's time includes its
    share of those.
    """
    check_executor(executor, scheduler)
    if renderer == "quarto":
        executed = _execute_all(
            paths, audiences, "quarto", formats, jobs, None, staging, executor, scheduler
        )
        return _quarto_render(executed, jobs, on_done)
    return _execute_all(
        paths, audiences, renderer, formats, jobs, on_done, staging, executor, scheduler
    )


def check_executor(executor: str, scheduler: str | None) -> None:
    if executor not in EXECUTORS:
        raise UserError(f"unknown executor {executor!r}: use process or dask")
    if scheduler and executor != "dask":
        raise UserError(
            f"--scheduler {scheduler} is for --executor dask (the executor is {executor})"
        )


def _execute_all(
    paths: CyclePaths,
    audiences: Sequence[str],
    renderer: str,
    formats: Sequence[str],
    jobs: int,
    on_done: Any = None,
    staging: Path | None = None,
    executor: str = "process",
    scheduler: str | None = None,
) -> list[Rendered]:
    if executor == "dask":
        from pipeline.report.dask_executor import render_on_dask

        return render_on_dask(
            paths,
            audiences,
            renderer,
            formats,
            workers=jobs,
            scheduler=scheduler,
            staging=staging,
            on_done=on_done,
        )
    results: list[Rendered] = []
    jobs = max(1, min(jobs, len(audiences)))
    if jobs == 1:
        for audience in audiences:
            r = render_audience(paths, audience, renderer, formats, staging)
            results.append(r)
            if on_done:
                on_done(r)
        return results
    # Fork where available: workers inherit the imported pipeline instead of importing it again.
    # Not once this process has compiled a PDF itself (a test, a notebook calling the stage):
    # Typst's threads do not survive a fork, and a forked worker's first compile would hang.
    from pipeline.report.render_builtin import compiled_in_process

    fork = "fork" in mp.get_all_start_methods() and not compiled_in_process()
    method = "fork" if fork else "spawn"
    _warm_up()
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=mp.get_context(method), initializer=_warm_up
    ) as pool:
        futures: dict[Future[Rendered], str] = {
            pool.submit(render_audience, paths, a, renderer, list(formats), staging): a
            for a in audiences
        }
        for fut in as_completed(futures):
            r = fut.result()
            results.append(r)
            if on_done:
                on_done(r)
    order = {a: i for i, a in enumerate(audiences)}
    return sorted(results, key=lambda r: order[r.audience])


def _quarto_render(executed: list[Rendered], jobs: int, on_done: Any) -> list[Rendered]:
    from pipeline.report import render_quarto

    waiting = [r for r in executed if r.quarto_job is not None and not r.error]
    by_job = {id(r.quarto_job): r for r in waiting}

    def done(out: render_quarto.Outcome) -> None:
        r = by_job[id(out.job)]
        r.files = [*r.files, *(str(p) for p in out.files)]  # after the council's workbook
        r.error = out.error
        r.seconds += out.seconds
        r.quarto_job = None
        if on_done:
            on_done(r)

    for r in executed:
        if r.quarto_job is None and on_done:
            on_done(r)  # failed before rendering
    render_quarto.render_many([r.quarto_job for r in waiting], workers=jobs, on_done=done)
    return executed


def run_report_stage(
    paths: CyclePaths,
    *,
    partners: str = "all",
    renderer: str = "auto",
    formats: list[str] | None = None,
    jobs: int = 2,
    console: Any = None,
    executor: str = "process",
    scheduler: str | None = None,
) -> int:
    """Render the cycle's reports and the index page; 0 when every report was written.

    `executor`: `process` (a pool of `jobs` worker processes here) or `dask` (on the Dask cluster at
    `scheduler`, or a `LocalCluster` of `jobs` workers); the reports are the same either way."""
    from pipeline.core.progress import NullReporter, RichReporter
    from pipeline.report.index_page import write_index

    formats = [f for f in (formats or list(FORMATS))]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UserError(f"unknown format {', '.join(bad) or '(none)'}: use html, pdf or html,pdf")
    check_executor(executor, scheduler)
    engine = choose_renderer(renderer)
    if not (paths.notebooks / NOTEBOOK).exists():
        raise UserError(f"notebook not found: {paths.notebooks / NOTEBOOK}")
    data = load_cycle(paths)
    audiences = select_audiences(partners, data.partner_ids)
    reporter = RichReporter(console) if console is not None else NullReporter()
    if executor == "dask":
        from pipeline.report.dask_executor import describe

        how = describe(scheduler, min(jobs, len(audiences)))
    else:
        how = f"{jobs} worker{'s' if jobs > 1 else ''}"
    reporter.start(len(audiences), f"report ({engine}, {how})")
    start = time.perf_counter()

    def done(r: Rendered) -> None:
        reporter.advance(1, r.audience)

    # Reports render into a staging folder and are swapped in together at the end, so a killed
    # run never leaves a mix of new and old reports (a leftover staging folder is dropped here).
    staging = staging_dir(paths)
    shutil.rmtree(staging, ignore_errors=True)
    # Workers fork from here: keep the progress bar's thread from running across the fork.
    results = render_all(
        paths,
        audiences,
        renderer=engine,
        formats=formats,
        jobs=jobs,
        on_done=done,
        staging=staging,
        executor=executor,
        scheduler=scheduler,
    )
    reporter.finish()
    swap_in(paths, staging, results)
    index = write_index(paths, data, results, formats)
    failed = [r for r in results if r.error]
    elapsed = time.perf_counter() - start
    if console is not None:
        ok = len(results) - len(failed)
        slowest = max(results, key=lambda r: r.seconds, default=None)
        per_report = (
            f" ({elapsed / len(results):.2f} s per report; slowest {slowest.audience} "
            f"{slowest.seconds:.1f} s)"
            if slowest is not None
            else ""
        )
        console.print(
            f"[green]reports[/]: {ok} of {len(results)} audiences rendered "
            f"({', '.join(formats)}, {engine}) in {elapsed:.1f} s{per_report}; index {index}",
            highlight=False,
        )
        for r in failed:
            console.print(f"[bold red]error:[/] {r.error}", highlight=False, soft_wrap=True)
    return 1 if failed else 0
