"""`reports/<cycle>/index.html`: every report of the cycle, each partner's status, the data docs.

The index is for the council (it lists every partner); partners are sent their own report file.
Links are relative, so the folder can be copied or published as it is. Partner names are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline import clock
from pipeline.atomic import write_text
from pipeline.paths import CyclePaths
from pipeline.report_blocks import status_label
from pipeline.report_data import COUNCIL, CycleData

#: Worst first: a partner's overall status is its worst theme status.
_SEVERITY = ("off track", "no return", "at risk", "on track")


def partner_status(data: CycleData, latest: str) -> dict[str, str]:
    """Each partner's overall status in the latest period: its worst theme status."""
    ts = data.theme_status
    ts = ts[(ts["level"] == "partner") & (ts["period"] == latest)]
    out: dict[str, str] = {}
    for pid in data.partner_ids:
        statuses = set(ts.loc[ts["partner_id"] == pid, "status"])
        out[pid] = next((s for s in _SEVERITY if s in statuses), "no data")
    return out


def _rel(paths: CyclePaths, target: Path) -> str:
    return target.relative_to(paths.reports).as_posix()


def build_index(
    paths: CyclePaths, data: CycleData, results: Sequence[Any], formats: Sequence[str]
) -> str:
    """The index page's HTML."""
    import jinja2

    from pipeline.report import executed_path, output_paths

    latest = str(data.findings.get("latest_period") or "")
    status = partner_status(data, latest)
    names = {str(r.partner_id): str(r.name) for r in data.partners.itertuples()}
    by_audience = {r.audience: r for r in results}
    rows = []
    for audience in [COUNCIL, *data.partner_ids]:
        outs = output_paths(paths, audience, ("html", "pdf"))
        links = [(fmt.upper(), _rel(paths, p)) for fmt, p in outs.items() if p.exists()]
        nb = executed_path(paths, audience)
        r = by_audience.get(audience)
        rows.append(
            {
                "id": audience,
                "name": "Council (all partners)"
                if audience == COUNCIL
                else names.get(audience, ""),
                "status": "" if audience == COUNCIL else status_label(status.get(audience)),
                "status_class": ""
                if audience == COUNCIL
                else "st-" + status.get(audience, "no data").replace(" ", "-"),
                "links": links,
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
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html.j2").render(
        cycle=paths.cycle,
        council=data.framework.council,
        latest=latest,
        rows=rows,
        docs=docs,
        generated=f"{clock.now():%d %B %Y %H:%M} UTC",
        pass_rate=data.validation.get("pass_rate"),
    )


def write_index(
    paths: CyclePaths, data: CycleData, results: Sequence[Any], formats: Sequence[str]
) -> Path:
    write_text(paths.index_html, build_index(paths, data, results, formats))
    return paths.index_html
