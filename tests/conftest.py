"""Fixtures shared by the test modules; their helpers are in `tests/helpers/`.

The suite runs in parallel (`make test`: pytest-xdist). Expensive inputs that many tests read
are built once per run and shared by the workers (`tests.helpers.shared.built_once`); tests
only read them, or copy them first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.core.paths import CyclePaths
from pipeline.report.stage import run_report_stage
from tests.helpers import report_fixtures as rf
from tests.helpers import shared

#: The report tests run for both renderers; Quarto's skip only where the real CLI is absent
#: (`.ci/run` installs it, so CI runs them).
RENDERERS = [
    "builtin",
    pytest.param(
        "quarto",
        marks=pytest.mark.skipif(
            shutil.which("quarto") is None,
            reason="the Quarto CLI is not on PATH (.ci/run installs it from ../shared/tools/quarto)",
        ),
    ),
]


@pytest.fixture(scope="session", autouse=True)
def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where this run's shared inputs are built (`tests.helpers.shared`)."""
    shared.ROOT = shared.shared_root(tmp_path_factory.getbasetemp())


def _render(root: Path, renderer: str) -> None:
    paths = rf.write_workspace(root)
    code = run_report_stage(
        paths,
        partners="all",
        renderer=renderer,
        formats=["html", "pdf"],
        jobs=2,
        console=Console(stderr=True, quiet=True),
    )
    assert code == 0, f"the {renderer} renderer failed on the report fixture cycle"


@pytest.fixture(scope="session", params=RENDERERS)
def rendered(request: pytest.FixtureRequest) -> CyclePaths:
    """The `report_fixtures` cycle (real validate and compute), every report in HTML and PDF, by
    each renderer; rendered once per run, read-only."""
    root = shared.built_once(f"reports-{request.param}", lambda r: _render(r, request.param))
    return CyclePaths.of("fixture", root)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end DVC tests first, then the other slow ones (order within a module kept):
    with the suite spread over workers (`make test`), the longest tests start at once instead of
    ending the run alone."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("dvc") is None,
            item.get_closest_marker("slow") is None,
        )
    )
