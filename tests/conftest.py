"""Fixtures shared by the report tests."""

from __future__ import annotations

import shutil

import pytest
import report_fixtures as rf
from rich.console import Console

from pipeline.report.stage import run_report_stage

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


@pytest.fixture(scope="session", params=RENDERERS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The `report_fixtures` cycle (real validate and compute), every report in HTML and PDF, by
    each renderer."""
    root = tmp_path_factory.mktemp(f"reports-{request.param}")
    paths = rf.write_workspace(root)
    code = run_report_stage(
        paths,
        partners="all",
        renderer=request.param,
        formats=["html", "pdf"],
        jobs=2,
        console=Console(stderr=True, quiet=True),
    )
    assert code == 0
    return paths
