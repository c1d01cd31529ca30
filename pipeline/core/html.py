"""Where HTML templates are found: a stage's own templates, then the one shared stylesheet.

Every page the pipeline writes (the health checks, the index, the reviewer's page) includes
`core/templates/report.css`, so the pages look alike and a style is changed in one place.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

SHARED = Path(__file__).parent / "templates"
STYLESHEET = SHARED / "report.css"


def loader(*folders: Path) -> jinja2.FileSystemLoader:
    """A loader searching `folders` in order, then the shared templates (`report.css`)."""
    return jinja2.FileSystemLoader([str(f) for f in folders] + [str(SHARED)])
