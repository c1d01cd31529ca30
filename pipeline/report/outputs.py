"""Where the report stage writes each audience's reports and executed notebook.

The stage writes these files and the index page links them; both take the names from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.core.paths import CyclePaths
from pipeline.report.views import COUNCIL


def output_paths(paths: CyclePaths, audience: str, formats: Iterable[str]) -> dict[str, Path]:
    """Each format's report file for `audience` (the council or a partner id)."""
    folder = paths.council_report_dir if audience == COUNCIL else paths.partner_report_dir(audience)
    return {fmt: folder / f"health-check.{fmt}" for fmt in formats}


#: The council's workbook annex: every row of the council report's long lists
#: (`pipeline.report.annex`), beside the council's report, so a relative link reaches it.
COUNCIL_WORKBOOK = "council-lists.xlsx"


def workbook_path(paths: CyclePaths) -> Path:
    """The council's workbook annex (`COUNCIL_WORKBOOK` in the council's report folder)."""
    return paths.council_report_dir / COUNCIL_WORKBOOK


def executed_path(paths: CyclePaths, audience: str) -> Path:
    """The executed notebook kept for audit under `reports/<cycle>/notebooks/`."""
    return paths.executed / f"03_health_check.{audience}.ipynb"
