"""Render the reports on a Dask cluster (`svf report --executor dask [--scheduler ADDRESS]`).

A council's review fits one machine; a consortium's or a national programme's tens of thousands
of suppliers need more. Each Dask task renders one audience exactly as a local worker does
(`audience.render_audience`: papermill with the in-process engine, then HTML and PDF), reading the
cycle's files from the workspace and writing the reports into the run's staging folder there, so
the workspace must be on storage every worker sees at the same path (NFS, a cloud file share).
A task returns only its `Rendered` (the file list, or the error, and its timings); nothing large
crosses the network. Failures per audience come back like a local worker's: the others still
render, the failed notebook is kept, the run reports it.

Without `--scheduler`, a `LocalCluster` of `--jobs` single-threaded worker processes on this
machine runs the tasks (and is closed afterwards). Workers should run one thread each
(`dask worker ADDRESS --nthreads 1 --nworkers N`): a notebook run uses process-wide state
(`sys.stdout`, pyplot), so runs in one process take turns anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths

#: The environment a task carries from the machine that started the run to the worker that runs
#: it: with `SOURCE_DATE_EPOCH` set, a cluster's reports carry the same dates as a local run's.
TASK_ENV = ("SOURCE_DATE_EPOCH",)

#: How long to wait for a scheduler given with `--scheduler`.
CONNECT_TIMEOUT = "20s"


def render_on_worker(
    paths: CyclePaths,
    audience: str,
    renderer: str,
    formats: Sequence[str],
    staging: Path | None,
    env: dict[str, str],
) -> Any:
    """One Dask task: render one audience from the workspace on shared storage. Never raises:
    the error, if any, comes back in the `Rendered`."""
    from pipeline.report.audience import Rendered, render_audience

    if not paths.workspace.is_dir():
        return Rendered(
            audience,
            error=f"{audience}: workspace {paths.workspace} is not on Dask worker "
            f"{socket.gethostname()}: the workers need it on shared storage at the same path",
        )
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return render_audience(paths, audience, renderer, formats, staging)
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of the Dask scheduler at `scheduler`, or of a new `LocalCluster` of `workers`
    single-threaded worker processes on this machine (closed afterwards)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise UserError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc}); "
                "start one with `dask scheduler`, or leave out --scheduler for a local cluster"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # No fixed port (the default 8787 may be taken): the scheduler's HTTP server and
            # any dashboard on a free one.
            dashboard_address=":0",
            # Its own errors only: a slow worker shutdown is not the analyst's business.
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def describe(scheduler: str | None, workers: int) -> str:
    """How the run is executed, for the progress line."""
    if scheduler:
        return f"dask at {scheduler}"
    return f"dask LocalCluster, {workers} worker{'s' if workers != 1 else ''}"


def render_on_dask(
    paths: CyclePaths,
    audiences: Sequence[str],
    renderer: str,
    formats: Sequence[str],
    *,
    workers: int,
    scheduler: str | None = None,
    staging: Path | None = None,
    on_done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Render every audience as one Dask task each; results in the order of `audiences`."""
    from dask.distributed import as_completed

    from pipeline.report.audience import Rendered

    env = {k: os.environ[k] for k in TASK_ENV if k in os.environ}
    run = uuid.uuid4().hex[:8]  # task keys unique to this run on a shared scheduler
    results: list[Rendered] = []
    with dask_client(scheduler, min(workers, len(audiences))) as client:
        futures = {
            client.submit(
                render_on_worker,
                paths,
                audience,
                renderer,
                list(formats),
                staging,
                env,
                key=f"svf-report-{paths.cycle}-{audience}-{run}",
            ): audience
            for audience in audiences
        }
        for future in as_completed(futures):
            audience = futures[future]
            try:
                r = future.result()
            except Exception as exc:  # the task could not run: a lost worker, a missing package
                r = Rendered(
                    audience, error=f"{audience}: Dask task failed: {type(exc).__name__}: {exc}"
                )
            results.append(r)
            if on_done:
                on_done(r)
    order = {a: i for i, a in enumerate(audiences)}
    return sorted(results, key=lambda r: order[r.audience])
