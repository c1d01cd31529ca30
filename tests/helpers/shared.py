"""Expensive test inputs built once per test run, shared by every pytest-xdist worker.

`make test` runs the suite in several worker processes (pytest-xdist). A session fixture runs
once per worker, so an expensive input (the report fixture cycle through the real stages, its
reports rendered) would be built once per worker. `built_once` builds it once per run, in a
folder all workers share, under a file lock: the first worker to ask builds it, the others wait
and then read the same folder.

What it builds is read-only for the tests: a test that changes files copies them first
(`report_fixtures.write_workspace` does).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

#: Set by `tests/conftest.py` at the start of a run: the folder the workers share.
ROOT: Path | None = None


def shared_root(basetemp: Path) -> Path:
    """The folder every worker of this run shares: the run's own temporary folder (a worker's
    `basetemp` is `<run>/popen-gwN`). pytest removes it with the run's other temporary folders
    (it keeps the last three runs)."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


def built_once(name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name`, made by `build(folder)` by the first worker of the run that asks."""
    if ROOT is None:
        raise RuntimeError("tests.helpers.shared.ROOT is set by tests/conftest.py")
    folder = ROOT / name
    with FileLock(str(ROOT / f"{name}.lock")):
        done = ROOT / f"{name}.built"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker stopped half-way
            folder.mkdir(parents=True)
            build(folder)
            done.touch()
    return folder
