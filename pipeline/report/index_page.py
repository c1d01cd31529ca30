"""`reports/<cycle>/index.html`: every report of the cycle, each partner's status, the data docs.

The index is for the council (it lists every partner); partners are sent their own report file.
Links are relative, so the folder can be copied or published as it is. Partner names are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.core import clock, html
from pipeline.core.atomic import write_text
from pipeline.core.paths import CyclePaths
from pipeline.core.status import NO_DATA, Status, partner_overall, status_label
from pipeline.report.outputs import executed_path, output_paths, workbook_path
from pipeline.report.views import COUNCIL, CycleData


def partner_status(data: CycleData, latest: str) -> dict[str, str]:
    """Each partner's overall status in the latest period, by the one rule every report uses
    (`pipeline.core.status.partner_overall`: the worst status among the partner's measures)."""
    overall = partner_overall(data.measures, latest)
    return {pid: overall.get(pid, NO_DATA) for pid in data.partner_ids}


def _rel(paths: CyclePaths, target: Path) -> str:
    return target.relative_to(paths.reports).as_posix()


def build_index(
    paths: CyclePaths, data: CycleData, results: Sequence[Any], formats: Sequence[str]
) -> str:
    """The index page's HTML."""
    from pipeline.report.sections.quality import pass_rates

    latest = str(data.findings.latest_period or "")
    status = partner_status(data, latest)
    rates = pass_rates(data.validation)
    names = {str(r.partner_id): str(r.name) for r in data.partners.itertuples()}
    by_audience = {r.audience: r for r in results}
    rows = []
    for audience in [COUNCIL, *data.partner_ids]:
        outs = output_paths(paths, audience, ("html", "pdf"))
        links = [(fmt.upper(), _rel(paths, p)) for fmt, p in outs.items() if p.exists()]
        nb = executed_path(paths, audience)
        r = by_audience.get(audience)
        # The council's workbook annex: every row of its report's long lists (council only).
        annex = workbook_path(paths) if audience == COUNCIL else None
        rows.append(
            {
                "id": audience,
                "name": "Council (all partners)"
                if audience == COUNCIL
                else names.get(audience, ""),
                "status": "" if audience == COUNCIL else status_label(status.get(audience)),
                "status_class": ""
                if audience == COUNCIL
                else Status.of(status.get(audience)).css_class,
                "links": links,
                "annex": _rel(paths, annex) if annex is not None and annex.exists() else None,
                "notebook": _rel(paths, nb) if nb.exists() else None,
                "error": r.error if r is not None else None,
            }
        )
    dq = paths.data_quality
    docs = [
        (label, _rel(paths, dq / name))
        for label, name in (
            ("Data-quality review: reconciliation, checks, rejected rows", "index.html"),
            ("Data Docs (Great Expectations validation results)", "gx/index.html"),
            ("validation.json", "validation.json"),
        )
        if (dq / name).exists()
    ]
    # Returns templates written by `svf templates` (pipeline/validate/return_templates.py), if any.
    folder = paths.reports / "templates"
    templates = []
    for book in sorted(folder.glob("*-return.xlsx")) if folder.is_dir() else []:
        pid = book.name.removesuffix("-return.xlsx")
        text = book.with_suffix(".csv")
        templates.append(
            {
                "id": pid,
                "name": names.get(pid, ""),
                "xlsx": _rel(paths, book),
                "csv": _rel(paths, text) if text.exists() else None,
            }
        )
    env = html.environment(Path(__file__).parent / "templates", strict=False)
    return env.get_template("index.html.j2").render(
        cycle=paths.cycle,
        council=data.framework.council,
        latest=latest,
        rows=rows,
        docs=docs,
        templates=templates,
        generated=f"{clock.now():%d %B %Y %H:%M} UTC",
        pass_rates=[
            ("partner returns", rates["returns"]),
            ("council files", rates["council"]),
        ],
    )


def write_index(
    paths: CyclePaths, data: CycleData, results: Sequence[Any], formats: Sequence[str]
) -> Path:
    write_text(paths.index_html, build_index(paths, data, results, formats))
    return paths.index_html
