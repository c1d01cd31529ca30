"""`svf cycle ...` and `svf remote ...`: the review-cycle commands (logic in `pipeline.cycles`).

The cycle code is imported inside each command, so `svf validate` (which DVC runs for a stage)
loads no cycle code, and a stage's DVC deps need not list it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.core import dvc_tools as tools
from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths

cycle_app = typer.Typer(
    help="Open, close, list, compare and reproduce review cycles (DVC).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Project root (a git repository with DVC)")
]


# --- commands ------------------------------------------------------------------------------------


@cycle_app.command("open")
def open_command(
    cycle: Annotated[str, typer.Argument(help="Cycle id: the financial year, e.g. 2025-26")],
    workspace: WorkspaceOpt = Path("."),
    period: Annotated[
        str | None,
        typer.Option(help="Financial year expected, YYYY/YY (default: from the cycle id)"),
    ] = None,
    name: Annotated[
        bool,
        typer.Option("--name", help="Accept an id that is not a financial year, on purpose"),
    ] = False,
    templates: Annotated[
        bool,
        typer.Option(
            "--templates/--no-templates",
            help="Also write each partner's pre-filled returns template (svf templates)",
        ),
    ] = False,
) -> None:
    """Start a cycle: create data/raw/C, add it to params.yaml, print the expected returns."""
    from pipeline.cycles import lifecycle as lc

    checklist = lc.open_cycle(workspace, cycle, period=period, name=name)
    paths = CyclePaths.of(cycle, workspace)
    root = lc.dvc_pipeline_root(paths.workspace)
    why = lc.remote_needs_setting(root) if root is not None else None
    if root is not None and why:
        # Set once, here, so that the close pushes where a colleague's clone will look.
        default = lc.suggested_remote(root)
        chosen = (
            typer.prompt(f"{why}. Where should closed cycles be stored", default=default)
            if sys.stdin.isatty()
            else default
        )
        url = tools.set_default_remote(root, chosen)
        console.print(
            f"[yellow]note:[/] {escape(why)}; closed cycles will be pushed to {escape(url)} "
            "(change it with `svf remote set URL`)",
            highlight=False,
        )
    if lc.is_closed(paths.workspace, cycle):
        console.print(
            f"[yellow]note:[/] cycle {escape(cycle)} is already closed ({lc.tag_of(cycle)}); "
            "a re-run will not change what was recorded, and it cannot be closed again",
            highlight=False,
        )
    table = Table(
        title=f"Expected returns, cycle {escape(cycle)} ({checklist.period})", title_justify="left"
    )
    for col in ("Partner", "Name", "Contract", "Measure", "Status"):
        table.add_column(col)
    for r in checklist.rows.to_dict("records"):
        status = "[green]received[/]" if r["status"] == "received" else "[red]MISSING[/]"
        table.add_row(
            escape(r["partner_id"]),
            escape(r["partner_name"]),
            escape(r["contract_id"]),
            escape(r["measure_id"]),
            status,
        )
    if len(checklist.rows):
        out.print(table)
    for note in checklist.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    out.print(escape(checklist.summary()), highlight=False)
    console.print(
        f"[green]opened[/] cycle {escape(cycle)}: put returns in {paths.raw}; "
        f"checklist in {paths.reports / 'checklist.md'}",
        highlight=False,
    )
    _offer_templates(paths, period if period else checklist.period, write=templates)


def _offer_templates(paths: CyclePaths, period: str, *, write: bool) -> None:
    """Write the partners' returns templates (`--templates`), or say how to."""
    from pipeline.validate.return_templates import write_templates

    if not write:
        console.print(
            f"[bold]next:[/] send each partner its pre-filled returns template: "
            f"svf templates --cycle {escape(paths.cycle)} (or cycle open --templates)",
            highlight=False,
        )
        return
    try:
        written = write_templates(paths, period=period)
    except UserError as exc:
        console.print(f"[yellow]note:[/] no templates written: {escape(str(exc))}", highlight=False)
        return
    console.print(
        f"[green]wrote[/] {len(written)} returns templates in "
        f"{escape(str(paths.reports / 'templates'))}",
        highlight=False,
    )


@cycle_app.command("close")
def close_command(
    cycle: Annotated[str, typer.Argument(help="Cycle id to close")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Record and publish a finished cycle: dvc add, commit, tag review/C, dvc push."""
    from pipeline.cycles import lifecycle as lc
    from pipeline.validate.review import unsigned_warning

    warning = unsigned_warning(CyclePaths.of(cycle, workspace))
    if warning:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    closed = lc.close_cycle(workspace, cycle)
    console.print(
        f"[green]closed[/] cycle {escape(cycle)}: commit {closed.commit[:8]}, tag "
        f"{escape(closed.tag)}, pushed to DVC remote {escape(closed.remote)}. "
        "Push the tag to your git server with `git push --follow-tags`.",
        highlight=False,
    )


@cycle_app.command("list")
def list_command(workspace: WorkspaceOpt = Path(".")) -> None:
    """List cycles: raw folders and review/* tags, closed or open, and the current one."""
    from pipeline.cycles import lifecycle as lc

    table = Table(title="Review cycles", title_justify="left")
    for col in ("Cycle", "State", "Closed on", "Raw folder", "Current"):
        table.add_column(col)
    for info in lc.list_cycles(workspace):
        table.add_row(
            escape(info.cycle),
            info.state,
            info.closed_on,
            "yes" if info.raw_folder else "no",
            "*" if info.current else "",
        )
    out.print(table)


@cycle_app.command("diff")
def diff_command(
    a: Annotated[str, typer.Argument(help="Earlier closed cycle")],
    b: Annotated[str, typer.Argument(help="Later closed cycle")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Compare two closed cycles for a council: reports/diff-A-B.html, summary printed."""
    from pipeline.cycles import compare_page
    from pipeline.cycles import lifecycle as lc

    diff = lc.diff_cycles(workspace, a, b)
    root = tools.repo_root(workspace)
    target = lc.write_diff_html(diff, root / "reports" / f"diff-{a}-{b}.html")
    for sentence in compare_page.summary(diff):
        out.print(escape(sentence), highlight=False)
    console.print(f"[green]wrote[/] {target}", highlight=False)


@cycle_app.command("reproduce")
def reproduce_command(
    cycle: Annotated[str, typer.Argument(help="Closed cycle to re-run")],
    workspace: WorkspaceOpt = Path("."),
    keep: Annotated[bool, typer.Option(help="Keep the temporary checkout for inspection")] = False,
    from_remote: Annotated[
        bool,
        typer.Option(
            "--from-remote", help="Use an empty cache: pull every input from the DVC remote"
        ),
    ] = False,
    all_stages: Annotated[
        bool,
        typer.Option("--all-stages", help="Also re-render the reports (default: up to compute)"),
    ] = False,
) -> None:
    """Check out review/C in a temporary worktree, re-run the pipeline, compare the measures."""
    from pipeline.cycles import lifecycle as lc

    result = lc.reproduce_cycle(
        workspace,
        cycle,
        keep=keep,
        from_remote=from_remote,
        all_stages=all_stages,
        show_output=True,
    )
    where = f" (checkout kept in {result.worktree})" if result.worktree else ""
    if result.equal:
        console.print(
            f"[green]reproduced[/] cycle {escape(cycle)}: the measures table "
            f"({result.rows} rows) equals the one recorded at close{where}",
            highlight=False,
        )
        return
    console.print(
        f"[bold red]not reproduced[/]: cycle {escape(cycle)}'s measures differ from "
        f"those recorded at close: {escape(result.detail)}{where}",
        highlight=False,
    )
    raise typer.Exit(1)


remote_app = typer.Typer(
    help="Where closed cycles are stored: the project's DVC remote.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@remote_app.command("set")
def remote_set_command(
    url: Annotated[
        str,
        typer.Argument(
            help="A shared folder (/mnt/shared/svf, \\\\server\\share\\svf), s3://bucket/path, "
            "azure://container/path or ssh://host/path"
        ),
    ],
    workspace: WorkspaceOpt = Path("."),
    remote_name: Annotated[str, typer.Option("--remote-name", help="The remote's name")] = "local",
) -> None:
    """Make URL the project's default DVC remote (in .dvc/config, committed at the next close)."""

    root = tools.repo_root(workspace)
    written = tools.set_default_remote(root, url, remote_name)
    console.print(
        f"[green]remote[/] {escape(remote_name)} is now {escape(written)}: `svf cycle close` "
        "pushes there, and `svf cycle close` commits .dvc/config so colleagues' clones use it",
        highlight=False,
    )
    scheme = written.split("://", 1)[0] if "://" in written else ""
    if scheme in {"s3", "azure", "gs", "ssh"}:
        console.print(
            f"[yellow]note:[/] install DVC's {scheme} support (`pip install 'dvc[{scheme}]'`) and "
            f"keep credentials out of git: `dvc remote modify --local {escape(remote_name)} ...`",
            highlight=False,
        )
