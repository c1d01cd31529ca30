"""Fixtures shared by the report tests."""

from __future__ import annotations

import pytest
import report_fixtures as rf
from rich.console import Console

from pipeline.report import run_report_stage


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    """The `report_fixtures` cycle (real validate and compute), every report in HTML and PDF."""
    root = tmp_path_factory.mktemp("reports")
    paths = rf.write_workspace(root)
    code = run_report_stage(
        paths,
        partners="all",
        renderer="builtin",
        formats=["html", "pdf"],
        jobs=2,
        console=Console(stderr=True, quiet=True),
    )
    assert code == 0
    return paths
