"""What a reviewer reads: the GX Data Docs site, a one-page summary, and the console summary.

Everything here is built from `validation.json`'s content and the quarantine table, so the
notebook, the HTML page and the CLI show the same figures. Partner text on the summary page is
escaped by Jinja's autoescaping (it is data, never markup).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.atomic import write_text
from pipeline.paths import CyclePaths

#: What GX writes into the site folder; only these are replaced on a new build.
SITE_ENTRIES = ("index.html", "static", "expectations", "validations")
TOP = 10


def build_site(paths: CyclePaths, runner: Any) -> Path:
    """Build the GX Data Docs into `reports/<cycle>/data-quality/` (index.html is the site).

    GX writes many files; it builds into a temporary folder beside the target, and each entry is
    then swapped in by rename, so an interrupted build never leaves a half-written site.
    """
    target = paths.data_quality
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".data-docs.", dir=target))
    try:
        runner.build_data_docs(str(tmp), paths.cycle)
        for entry in SITE_ENTRIES:
            new, old = tmp / entry, target / entry
            if not new.exists():
                continue
            if old.is_dir():
                trash = tmp / f".old-{entry}"
                os.replace(old, trash)
            os.replace(new, old)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "index.html"


def summary_tables(summary: dict[str, Any], quarantine: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The summary as tables: files, reasons, top failing expectations, partners."""
    files = pd.DataFrame(
        summary["files"],
        columns=["file", "kind", "rows", "clean", "quarantined", "superseded", "file_error"],
    )
    rows = quarantine[quarantine["source_row"].notna()]
    reasons = (
        rows.groupby(["kind", "expectation", "column"], dropna=False)
        .size()
        .rename("rows")
        .reset_index()
        .sort_values("rows", ascending=False, kind="stable")
    )
    whole = quarantine[quarantine["source_row"].isna()][["kind", "source_file", "reason"]]
    exps = pd.DataFrame(
        summary["expectations"],
        columns=["kind", "expectation", "column", "checked", "evaluated", "failed", "pass_rate"],
    )
    top = exps[exps["failed"] > 0].sort_values("failed", ascending=False, kind="stable").head(TOP)
    partners = pd.DataFrame(
        [{"partner_id": p, **v} for p, v in summary["partners"].items()],
        columns=["partner_id", "rows", "quarantined"],
    )
    return {
        "files": files,
        "reasons": reasons,
        "files_rejected": whole,
        "top_expectations": top,
        "partners": partners,
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Data quality: cycle {{ s.cycle }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}
table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #999;padding:.3rem .6rem;
text-align:left}td.n{text-align:right}caption{text-align:left;font-weight:bold;padding:.4rem 0}
</style></head><body>
<h1>Data quality: cycle {{ s.cycle }}</h1>
<p>Generated {{ s.generated_at }}. {{ t.rows }} rows read from {{ s.files|length }} files:
<strong>{{ t.clean }} accepted</strong>, <strong>{{ t.quarantined }} quarantined</strong>,
{{ t.superseded }} superseded by a later submission.
{% if s.reconciles %}Every row read is accounted for: accepted, quarantined or superseded.{% else %}
<strong>WARNING: the row counts do not add up; tell the pipeline's maintainers.</strong>{% endif %}
Pass rate {{ "%.1f"|format(100 * s.pass_rate) }}%.
Full results: <a href="index.html">Great Expectations Data Docs</a>.</p>
{% macro table(caption, frame) %}
<table><caption>{{ caption }}</caption><thead><tr>{% for c in frame.columns %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in frame.itertuples(index=False) %}<tr>{% for v in row %}
<td{% if v is number %} class="n"{% endif %}>{{ v | cell }}</td>{% endfor %}</tr>{% else %}
<tr><td colspan="{{ frame.columns|length }}">none</td></tr>{% endfor %}</tbody></table>
{% endmacro %}
{{ table("Files read", tables.files) }}
{{ table("Files rejected whole", tables.files_rejected) }}
{{ table("Rows quarantined by reason", tables.reasons) }}
{{ table("Top failing expectations", tables.top_expectations) }}
{{ table("Returns per partner", tables.partners) }}
<p>Each partner's rejected rows, with reasons, are in <code>partners/&lt;partner_id&gt;.csv</code>.</p>
</body></html>
"""


def render_summary_html(summary: dict[str, Any], quarantine: pd.DataFrame) -> str:
    from jinja2 import Environment

    env = Environment(autoescape=True)
    # An empty cell reads as a dash, never as "nan", "None" or "<NA>".
    env.filters["cell"] = lambda v: (
        "—" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else v
    )
    tables = summary_tables(summary, quarantine)
    return env.from_string(_PAGE).render(s=summary, t=summary["totals"], tables=tables)


def write_summary_html(target: Path, summary: dict[str, Any], quarantine: pd.DataFrame) -> Path:
    return write_text(target, render_summary_html(summary, quarantine))


def print_summary(console: Any, summary: dict[str, Any], paths: CyclePaths) -> None:
    """The end-of-run summary on the console."""
    from rich.table import Table
    from rich.text import Text

    quarantine = pd.read_parquet(paths.quarantine)
    tables = summary_tables(summary, quarantine)
    t = summary["totals"]
    console.print(
        f"[bold]validate {summary['cycle']}[/]: {len(summary['files'])} files, {t['rows']} rows: "
        f"[green]{t['clean']} accepted[/], [red]{t['quarantined']} quarantined[/], "
        f"{t['superseded']} superseded; "
        + (
            "every row accounted for"
            if summary["reconciles"]
            else "[red]ROW COUNTS DO NOT ADD UP: tell the pipeline's maintainers[/]"
        ),
        highlight=False,
    )
    for title, key in (
        ("Quarantined by reason", "reasons"),
        ("Top failing expectations", "top_expectations"),
        ("Files rejected whole", "files_rejected"),
        ("Per partner", "partners"),
    ):
        frame = tables[key].head(TOP)
        if frame.empty:
            continue
        table = Table(title=title, title_justify="left")
        for c in frame.columns:
            table.add_column(str(c))
        for row in frame.itertuples(index=False):
            # Text(): a partner's "[bold]" is shown as typed, never read as console markup.
            table.add_row(*[Text("" if v is None or v != v else str(v)) for v in row])
        console.print(table)
    console.print(f"Data Docs: {paths.data_quality / 'index.html'}", highlight=False)
    console.print(f"Summary: {paths.data_quality / 'summary.html'}", highlight=False)
