"""`svf review`: what a reviewer must look at, and the reviewer's sign-off.

`svf review --cycle C` prints the points that need a reviewer's eye (files refused, the partners
with most rejected rows, the checks that failed most, rows superseded) and where the full page is.
With `--sign "name"` it records the reviewer's name and the time in `validation.json` under
`review` (and re-renders the reviewer's page, which then shows it); the council report states
"data quality reviewed by ... on ...", and `svf cycle close` warns when a cycle has no sign-off.

A sign-off belongs to one set of results: re-running validation writes a new `validation.json`
without it, so changed results are never shown as reviewed. Under DVC, `validation.json` and the
reviewer's page are outputs of the validate stage, so signing also records their new content in
`dvc.lock` (`dvc commit validate`); `dvc repro` then re-renders only the reports, which depend on
`validation.json`. Signing is refused while the validate stage is out of date with its inputs:
the results on the page would not be those of the data in `data/raw/`.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import clock
from pipeline.core.atomic import write_json
from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths

TOP = 5
MAX_NAME = 120


def load_validation(paths: CyclePaths) -> dict[str, Any]:
    try:
        data = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"no data-quality results for cycle {paths.cycle} ({paths.validation_json} is "
            f"missing): run `svf validate --cycle {paths.cycle}` first"
        ) from None
    except ValueError as exc:
        raise UserError(f"{paths.validation_json} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "totals" not in data:
        raise UserError(f"{paths.validation_json} is not a validate stage's result")
    return data


def signed_off(paths: CyclePaths) -> dict[str, str] | None:
    """The cycle's sign-off (`{"by", "at"}`), or None when unsigned or not validated."""
    try:
        review = json.loads(paths.validation_json.read_text(encoding="utf-8")).get("review")
    except (OSError, ValueError, AttributeError):
        return None
    return review if isinstance(review, dict) and review.get("by") else None


def clean_name(name: str) -> str:
    """The reviewer's name as it will be recorded: one line of printable text."""
    text = " ".join(name.split())
    if not text:
        raise UserError('--sign needs the reviewer\'s name, for example --sign "A. Reviewer"')
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise UserError("--sign: the name has control characters; type it as plain text")
    if len(text) > MAX_NAME:
        raise UserError(f"--sign: the name is longer than {MAX_NAME} characters")
    return text


def points(paths: CyclePaths, summary: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer must look at, from the validate stage's outputs."""
    from pipeline.validate.check_words import describe
    from pipeline.validate.review_page import percent, suite_kwargs

    partners = sorted(
        ((p, v) for p, v in (summary.get("partners") or {}).items() if v.get("quarantined")),
        key=lambda pv: (-int(pv[1]["quarantined"]), pv[0]),
    )
    kwargs = suite_kwargs(paths)
    failing = sorted(
        (e for e in summary.get("expectations") or [] if e.get("failed")),
        key=lambda e: -int(e["failed"]),
    )
    checks = []
    for e in failing:
        checked = e.get("checked") or e.get("column")
        checks.append(
            {
                "kind": e["kind"],
                "words": describe(
                    e["expectation"], checked, kwargs.get((e["kind"], e["expectation"], checked))
                ),
                "rule": e["expectation"],
                "failed": int(e["failed"]),
                "rate": percent(e.get("pass_rate"), e.get("failed"), e.get("evaluated")),
            }
        )
    superseded = pd.read_parquet(paths.superseded) if paths.superseded.exists() else pd.DataFrame()
    return {
        "refused": [f for f in summary.get("files") or [] if f.get("file_error")],
        "partners": partners,
        "checks": checks,
        "superseded": superseded,
    }


def _lock_records_validate(root: Path, cycle: str) -> bool:
    import yaml

    try:
        lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return False
    # dvc.yaml repeats each stage per cycle (`foreach: ${cycles}`), so DVC names this cycle's
    # validation `validate@<cycle>`.
    return bool((lock.get("stages") or {}).get(validate_stage(cycle)))


def validate_stage(cycle: str) -> str:
    """The DVC stage that validates `cycle`."""
    return f"validate@{cycle}"


def _dvc_root(paths: CyclePaths) -> Path | None:
    """The DVC project holding this workspace whose dvc.lock records this cycle's validation."""
    root = paths.workspace
    if (root / ".dvc").is_dir() and _lock_records_validate(root, paths.cycle):
        return root
    return None


def _outs_changed_by_signing(paths: CyclePaths, root: Path) -> set[str]:
    return {
        str(p.relative_to(root)) for p in (paths.validation_json, paths.data_quality / "index.html")
    }


def check_current(paths: CyclePaths, root: Path) -> None:
    """Refuse to sign results that are out of date with the validate stage's inputs."""
    from pipeline.core import dvc_tools

    stage = validate_stage(paths.cycle)
    status = dvc_tools.stale_stages(root, [stage]).get(stage) or []
    allowed = _outs_changed_by_signing(paths, root)
    for entry in status:
        if not isinstance(entry, dict):
            raise UserError(
                f"cannot sign cycle {paths.cycle}: the validate stage is not up to date "
                f"({entry}); run `dvc repro`, review the new results, then sign"
            )
        for what, changed in entry.items():
            extra = set(changed) - allowed if what == "changed outs" else set(changed)
            if extra:
                raise UserError(
                    f"cannot sign cycle {paths.cycle}: the validate stage is not up to date "
                    f"({what}: {', '.join(sorted(extra))}); run `dvc repro`, review the new "
                    "results, then sign"
                )


def record_sign_off(
    paths: CyclePaths, name: str, *, at: dt.datetime | None = None
) -> dict[str, str]:
    """Record the sign-off in validation.json, re-render the reviewer's page and, under DVC,
    record both in dvc.lock. Returns the sign-off."""
    from pipeline.validate import review_page

    reviewer = clean_name(name)
    summary = load_validation(paths)
    root = _dvc_root(paths)
    if root is not None:
        check_current(paths, root)
    when = (at or clock.now()).astimezone(dt.UTC)
    summary["review"] = {"by": reviewer, "at": when.isoformat(timespec="seconds")}
    write_json(paths.validation_json, summary)
    review_page.write_page(paths, summary)
    if root is not None:
        from pipeline.core import dvc_tools

        dvc_tools.dvc(root, "commit", "--force", validate_stage(paths.cycle))
    return summary["review"]


def unsigned_warning(paths: CyclePaths) -> str | None:
    """What `svf cycle close` warns when the cycle's data quality was not signed off."""
    if not paths.validation_json.exists() or signed_off(paths):
        return None
    return (
        f"cycle {paths.cycle} has no data-quality sign-off: a reviewer should check "
        f"{paths.data_quality / 'index.html'} and run `svf review --cycle {paths.cycle} "
        '--sign "name"` (then `dvc repro`, so the council report states it) before it is closed'
    )


def print_review(paths: CyclePaths, out: Any, console: Any, *, sign: str | None = None) -> int:
    """The `svf review` command: print the points to look at; sign when asked. Returns 0."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from pipeline.validate.review_page import when

    summary = load_validation(paths)
    p = points(paths, summary)
    t = summary["totals"]
    page = paths.data_quality / "index.html"
    out.print(
        f"[bold]Data-quality review, cycle {escape(paths.cycle)}[/]"
        # validation.json carries no timestamp (a tracked output must not change on a re-run).
        + (f" (validated {validated})" if (validated := when(summary.get("generated_at"))) else "")
        + f": {t['rows']} rows read, {t['clean']} accepted, "
        f"{t['quarantined']} quarantined, {t['superseded']} superseded; counts reconcile: "
        f"{'yes' if summary.get('reconciles') else '[bold red]NO[/]'}",
        highlight=False,
    )

    def table(title: str, *columns: str) -> Table:
        tab = Table(title=title, title_justify="left")
        for c in columns:
            right = c in {"Rows", "Rows sent", "Rejected", "Failed", "Pass rate", "Row", "By row"}
            tab.add_column(c, overflow="fold", justify="right" if right else "left")
        return tab

    if p["refused"]:
        tab = table(f"Files refused ({len(p['refused'])})", "File", "Rows", "Why")
        for f in p["refused"]:
            tab.add_row(Text(f["file"]), str(f["rows"]), Text(str(f["file_error"])))
        out.print(tab)
    else:
        out.print("Files refused: none.")
    if p["partners"]:
        tab = table(
            f"Partners with most rejected rows (top {min(TOP, len(p['partners']))} of {len(p['partners'])})",
            "Partner",
            "Rows sent",
            "Rejected",
        )
        for pid, v in p["partners"][:TOP]:
            tab.add_row(Text(pid), str(v.get("rows", "")), str(v["quarantined"]))
        out.print(tab)
    else:
        out.print("Partners with rejected rows: none.")
    if p["checks"]:
        tab = table(
            f"Checks that failed most (top {min(TOP, len(p['checks']))} of {len(p['checks'])})",
            "Input",
            "Check",
            "Rule",
            "Failed",
            "Pass rate",
        )
        for c in p["checks"][:TOP]:
            tab.add_row(c["kind"], c["words"], c["rule"], str(c["failed"]), c["rate"])
        out.print(tab)
    else:
        out.print("Checks that rejected rows: none.")
    sup = p["superseded"]
    if len(sup):
        tab = table(f"Rows superseded ({len(sup)})", "File", "Row", "Replaced by", "By row")
        for s in sup.head(TOP).to_dict("records"):
            tab.add_row(
                Text(str(s["source_file"])),
                str(s["source_row"]),
                Text(str(s["superseded_by_file"])),
                str(s["superseded_by_row"]),
            )
        out.print(tab)
    else:
        out.print("Rows superseded: none.")
    more = " (every row of each table)" if len(p["partners"]) > TOP or len(sup) > TOP else ""
    out.print(f"Reviewer's page{more}: {page}", highlight=False)

    if sign is not None:
        done = record_sign_off(paths, sign)
        console.print(
            f"[green]signed[/]: data quality of cycle {escape(paths.cycle)} reviewed by "
            f"{escape(done['by'])} on {when(done['at'])} (recorded in "
            f"{paths.validation_json}); run `dvc repro` or `svf report` so the council report "
            "states it",
            highlight=False,
        )
        return 0
    review = summary.get("review")
    if isinstance(review, dict) and review.get("by"):
        out.print(
            f"Signed off: reviewed by {escape(str(review['by']))} on {when(review.get('at'))}.",
            highlight=False,
        )
    else:
        out.print(
            f'Not signed off. When reviewed: svf review --cycle {escape(paths.cycle)} --sign "name"',
            highlight=False,
        )
    return 0
