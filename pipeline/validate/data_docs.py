"""What a reviewer reads: the reviewer's page, the GX Data Docs site, and the console summary.

Everything here is built from `validation.json`'s content and the quarantine table, so the
notebook, the HTML pages and the CLI show the same figures. `reports/<cycle>/data-quality/` holds:

- `index.html`: the reviewer's page (`pipeline.validate.review_page`), the one page to work from;
- `gx/`: the Great Expectations Data Docs site, with its scripts and styles served from the site
  itself (`pipeline.validate.data_docs_assets`), so it works offline and tells no outside host it was opened;
- `validation.json` and `partners/<partner_id>.csv`, written by the validate stage.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import html
from pipeline.core.paths import CyclePaths
from pipeline.validate import data_docs_assets, review_page

#: The GX site's folder inside data-quality/.
GX_DIR = review_page.GX_DIR
#: What earlier versions wrote at the top of data-quality/ (GX's site and summary.html); removed
#: so a re-run in the same workspace leaves no stale page behind.
LEGACY_ENTRIES = ("static", "expectations", "validations", "summary.html")
TOP = 10
#: Partners with rejected rows the console lists before saying how many more there are.
TOP_PARTNERS = 20


def build_site(paths: CyclePaths, runner: Any) -> Path:
    """Build the GX Data Docs into `reports/<cycle>/data-quality/gx/`, working offline.

    GX writes many files; it builds into a temporary folder beside the target, its pages are
    pointed at the vendored assets, and the folder is then swapped in by rename, so an
    interrupted build never leaves a half-written site.
    """
    dq = paths.data_quality
    dq.mkdir(parents=True, exist_ok=True)
    target = dq / GX_DIR
    tmp = Path(tempfile.mkdtemp(prefix=".data-docs.", dir=dq))
    try:
        site = tmp / "site"
        site.mkdir()
        runner.build_data_docs(str(site), paths.cycle)
        data_docs_assets.install(site)
        pages = data_docs_assets.rewrite_pages(site)
        describe_derived_columns(pages)
        if target.exists():
            os.replace(target, tmp / "old")
        os.replace(site, target)
        for entry in LEGACY_ENTRIES:
            old = dq / entry
            if old.is_dir():
                shutil.rmtree(old)
            elif old.is_file():
                old.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target / "index.html"


_SECTION = re.compile(r'(<h5 class="m-0" >\s*)([A-Za-z_][\w]*)(\s*</h5>)')


def _note_html(note: str) -> str:
    """Our own note text (no partner data) as a paragraph: escaped, `code` spans kept."""
    template = html.environment(review_page.TEMPLATES).get_template("derived_note.html.j2")
    return template.render(parts=note.split("`"))


def describe_derived_columns(pages: list[Path]) -> None:
    """Under each Data Docs section headed by a derived column (`contract_id__of_partner`), say
    how the pipeline computed it. GX shows expectation notes on suite pages only, and a
    reviewer reading a validation result needs to know what the column means."""
    from pipeline.validate.check_words import derived_note

    def add(m: re.Match[str]) -> str:
        note = derived_note(m.group(2))
        if not note:
            return m.group(0)
        return m.group(0) + _note_html(note)

    for page in pages:
        text = page.read_text(encoding="utf-8")
        new = _SECTION.sub(add, text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def write_reviewer_page(paths: CyclePaths, summary: dict[str, Any] | None = None) -> Path:
    """`data-quality/index.html`, from what the validate stage wrote (see pipeline.validate.review_page)."""
    return review_page.write_page(paths, summary)


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


def print_summary(
    console: Any, summary: dict[str, Any], paths: CyclePaths, *, partners_shown: int = TOP_PARTNERS
) -> None:
    """The end-of-run summary on the console: the reconciliation, files refused, the checks that
    rejected rows and every partner with rejected rows (or how many more, and where to see them).

    Text columns fold instead of being cut, so a check's name is never shortened to `expect_c…`
    on a narrow terminal; partner text goes through `Text`, so `[bold]` typed in a return is
    shown as typed, never read as console markup.
    """
    from rich.table import Table
    from rich.text import Text

    from pipeline.validate.check_words import describe

    page = paths.data_quality / "index.html"
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

    def table(title: str, *columns: str) -> Table:
        out = Table(title=title, title_justify="left")
        for c in columns:
            numeric = c in {"Failed", "Pass rate", "Rows sent", "Rejected", "Rows"}
            out.add_column(c, overflow="fold", justify="right" if numeric else "left")
        return out

    def more(n: int, what: str, anchor: str) -> None:
        if n > 0:
            console.print(f"{n} more {what}, see {page}#{anchor}", highlight=False)

    refused = [f for f in summary["files"] if f.get("file_error")]
    if refused:
        files = table("Files refused", "File", "Rows", "Why")
        for f in refused:
            files.add_row(Text(f["file"]), str(f["rows"]), Text(str(f["file_error"])))
        console.print(files)

    failing = sorted(
        (e for e in summary["expectations"] if e.get("failed")),
        key=lambda e: -int(e["failed"]),
    )
    if failing:
        kwargs = review_page.suite_kwargs(paths)
        checks = table("Checks that rejected rows", "Input", "Check", "Rule", "Failed", "Pass rate")
        for e in failing[:TOP]:
            checked = e.get("checked") or e.get("column")
            rule = e["expectation"] + (f" on {checked}" if checked and checked != "*" else "")
            checks.add_row(
                e["kind"],
                describe(
                    e["expectation"], checked, kwargs.get((e["kind"], e["expectation"], checked))
                ),
                rule,
                str(e["failed"]),
                review_page.percent(e.get("pass_rate"), e.get("failed"), e.get("evaluated")),
            )
        console.print(checks)
        more(len(failing) - TOP, "checks rejected rows", "checks")

    rejected = sorted(
        ((p, v) for p, v in summary["partners"].items() if v.get("quarantined")),
        key=lambda pv: (-int(pv[1]["quarantined"]), pv[0]),
    )
    if rejected:
        partners = table("Partners with rejected rows", "Partner", "Rows sent", "Rejected")
        for pid, v in rejected[:partners_shown]:
            partners.add_row(Text(pid), str(v.get("rows", "")), str(v["quarantined"]))
        console.print(partners)
        more(len(rejected) - partners_shown, "partners with rejected rows", "partners")
    console.print(f"Reviewer's page: {page}", highlight=False)
    console.print(f"Data Docs: {paths.data_quality / GX_DIR / 'index.html'}", highlight=False)
