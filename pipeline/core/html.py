"""The one way the pipeline makes HTML: Jinja templates, autoescaped, sharing one stylesheet.

Every page the pipeline writes (the health checks, the index, the reviewer's page, the comparison
of two cycles) is a Jinja template in its stage's `templates/` folder, rendered by an
`environment()` from here: every value is escaped unless a template marks it safe (only our own
HTML, such as pandoc's output), so text a partner typed is always data. Each page includes
`report.css`, the one stylesheet (`core/templates/report.css`), so the pages look alike and a style
is changed in one place. The stylesheet's status colours are written in from
`pipeline.core.status.Status` where the file says `/* status colours */`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from pipeline.core.status import css_rules

SHARED = Path(__file__).parent / "templates"
STYLESHEET = SHARED / "report.css"
#: The line of `report.css` the status colours replace.
STATUS_MARK = "/* status colours */\n"


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The shared stylesheet as pages include it: `report.css` with the status colours."""
    text = STYLESHEET.read_text(encoding="utf-8")
    if STATUS_MARK not in text:
        raise RuntimeError(f"{STYLESHEET} lost its line {STATUS_MARK.strip()}")
    return text.replace(STATUS_MARK, css_rules())


def _shared(name: str) -> tuple[str, str, None] | None:
    if name == STYLESHEET.name:
        return stylesheet(), str(STYLESHEET), None
    return None


def loader(*folders: Path) -> jinja2.BaseLoader:
    """A loader searching `folders` in order, then the shared stylesheet (`report.css`)."""
    return jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader([str(f) for f in folders]), jinja2.FunctionLoader(_shared)]
    )


def environment(*folders: Path, strict: bool = True) -> jinja2.Environment:
    """A Jinja environment for the templates in `folders`: autoescaped, blocks trimmed, and (with
    `strict`) an error for any name a template uses that the page was not given."""
    return jinja2.Environment(
        loader=loader(*folders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
    )
