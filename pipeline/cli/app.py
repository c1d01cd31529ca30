"""`svf`: the command line of the review pipeline (typer + rich).

The same stage functions run from here and from `dvc.yaml` (whose stages call this CLI), so
there is one code path. A user's mistake (missing folder, bad framework, unknown partner) ends
with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.core.errors import UserError

try:  # typer 0.2x vendors its own click; older versions use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_errors  # type: ignore[no-redef]
from pipeline.core.paths import CyclePaths

app = typer.Typer(
    name="svf",
    help="Social value review pipeline: validate returns, compute outcomes, render health checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)
out = Console()

CycleOpt = Annotated[
    str | None,
    typer.Option(
        "--cycle", "-c", help="Review cycle id (folder under data/raw); default: params.yaml"
    ),
]
WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Project root holding data/ and reports/")
]


RendererOpt = Annotated[
    str | None,
    typer.Option(help="auto | quarto | builtin (default: params.yaml report.renderer)"),
]
FormatsOpt = Annotated[
    str | None,
    typer.Option(help="Comma-separated: html,pdf (default: params.yaml report.formats)"),
]
# Where reports render changes how fast, not what: not in params.yaml (DVC would re-run the
# stage), but an option with an environment variable, which `svf run` passes through `dvc repro`.
ExecutorOpt = Annotated[
    str,
    typer.Option(
        envvar="SVF_EXECUTOR",
        help="Where reports render: process (a pool of --jobs worker processes here) | dask (a Dask cluster)",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        envvar="SVF_SCHEDULER",
        help="With --executor dask: the Dask scheduler's address (tcp://host:8786); "
        "default: a LocalCluster of --jobs worker processes on this machine",
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def resolve_cycle(cycle: str | None, workspace: Path) -> CyclePaths:
    from pipeline.core.atomic import sweep_temporaries
    from pipeline.core.settings import load_params

    params = load_params(workspace / "params.yaml")
    paths = CyclePaths.of(cycle or str(params["cycle"]), workspace)
    # Temporary files a killed run left behind go before this run writes anything.
    sweep_temporaries(paths.reports, paths.clean)
    return paths


@app.command()
def framework(
    path: Annotated[
        Path | None,
        typer.Option(
            "--framework",
            "-f",
            help="Framework file (default: data/reference/framework.yaml in the workspace)",
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Print the framework: themes, outcomes and measures with unit, direction and roll-up."""
    from pipeline.core.framework import load_framework

    fw = load_framework(path or CyclePaths(workspace.resolve(), "_").framework)
    for theme in fw.themes:
        table = Table(
            title=f"{theme.label}: {theme.ambition}", title_justify="left", show_lines=False
        )
        table.add_column("Id", no_wrap=True)
        table.add_column("Measure (seed wording)")
        table.add_column("Unit")
        table.add_column("Better")
        table.add_column("Roll-up")
        table.add_column("Proxy GBP/unit", justify="right")
        for m in theme.measures:
            proxy = f"{m.proxy.gbp_per_unit:g}" if m.proxy else ""
            level = " (council)" if m.level == "council" else ""
            table.add_row(m.id, m.text + level, m.unit, m.direction, m.rollup, proxy)
        out.print(table)
        out.print("Outcomes: " + "; ".join(theme.outcomes), highlight=False)
        out.print()
    out.print(f"{len(fw.themes)} themes, {len(fw.measures)} measures ({fw.source_path})")


@app.command()
def sample(
    partners: Annotated[int, typer.Option(min=1, help="Number of partners")] = 12,
    years: Annotated[int, typer.Option(min=1, max=20, help="Financial years of returns")] = 3,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same files")
    ] = 2025,
    messy: Annotated[
        bool, typer.Option("--messy/--clean", help="Add the faults real returns have")
    ] = False,
    end_period: Annotated[
        str | None,
        typer.Option(help="Last financial year, YYYY/YY (default: the cycle's year, or 2025/26)"),
    ] = None,
    cycle: Annotated[
        str, typer.Option("--cycle", "-c", help="Write into data/raw/<cycle>")
    ] = "sample",
    workspace: WorkspaceOpt = Path("."),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (overrides --cycle)")
    ] = None,
) -> None:
    """Write a synthetic, realistic cycle of returns, registers and spend for a borough like Thurrock."""
    from pipeline.sample.generator import generate_sample

    target = out_dir or CyclePaths.of(cycle, workspace).raw
    if end_period is None:  # a cycle's id fixes its latest year: 2024-25 holds up to 2024/25
        from pipeline.core.periods import of_cycle

        end_period = of_cycle(cycle) or "2025/26"
    manifest = generate_sample(
        target, partners=partners, years=years, seed=seed, end_period=end_period, messy=messy
    )
    console.print(
        f"[green]wrote[/] sample cycle to {target} ({manifest.summary()})", highlight=False
    )


@app.command()
def validate(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Exit 1 if anything was quarantined (default: params.yaml validate.strict)",
        ),
    ] = None,
    write_suites: Annotated[
        bool,
        typer.Option(
            "--write-suites",
            help="Write expectations/*.json (and the contract tables in docs/) from the contract "
            "and framework.yaml, then stop",
        ),
    ] = False,
) -> None:
    """Validate the cycle's returns and registers: clean tables, quarantine, Data Docs."""
    from pipeline.validate.stage import run_validate_stage

    paths = resolve_cycle(cycle, workspace)
    if write_suites:
        from pipeline.core.framework import load_framework
        from pipeline.validate.expectations import write_docs
        from pipeline.validate.expectations import write_suites as write_suite_files

        framework = load_framework(paths.framework)
        for path in write_suite_files(paths.expectations, framework):
            console.print(f"[green]wrote[/] {path}", highlight=False)
        for path in write_docs(paths.workspace, framework):
            console.print(f"[green]wrote[/] {path} (the contract's tables)", highlight=False)
        return
    paths.require_raw()
    if strict is None:  # dvc.yaml tracks params.yaml validate.*, so the stage reads it from there
        from pipeline.core.settings import load_params

        strict = bool(load_params(paths.params)["validate"].get("strict", False))
    raise typer.Exit(run_validate_stage(paths, strict=strict, console=console))


@app.command()
def compute(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    proxies: Annotated[
        Path | None, typer.Option(help="Proxy values file (e.g. a licensed set) over the defaults")
    ] = None,
) -> None:
    """Compute year-on-year outcome measures, status, gaps and social value from the clean tables."""
    from pipeline.outcomes.stage import run_compute_stage

    paths = resolve_cycle(cycle, workspace)
    raise typer.Exit(run_compute_stage(paths, proxies=proxies, console=console))


@app.command()
def suppliers(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="CSV to write (default reports/<cycle>/suppliers-to-complete.csv)"
        ),
    ] = None,
) -> None:
    """Write the supplier register to complete: suppliers paid but not in suppliers.csv first,
    most spend first. Fill in postcode, type and sme, save it as data/raw/<cycle>/suppliers.csv."""
    from pipeline.outcomes.supplier_register import supplier_worklist

    paths = resolve_cycle(cycle, workspace)
    work = supplier_worklist(paths, out_file)
    rate = "n/a" if work.match_rate is None else f"{work.match_rate:.1f}%"
    console.print(
        f"[green]wrote[/] {work.path}: {work.unmatched} suppliers to complete "
        f"(GBP {work.unmatched_gbp:,.2f} of spend unmatched; match rate {rate} of the spend "
        "naming a supplier)",
        highlight=False,
    )
    top = work.table[work.table["status"] == "to complete"].head(10)
    if not top.empty:
        table = Table(title="Unmatched suppliers with the most spend", title_justify="left")
        table.add_column("Supplier")
        table.add_column("Id")
        table.add_column("Payments", justify="right")
        table.add_column("Spend GBP", justify="right")
        for r in top.itertuples():
            table.add_row(
                escape(str(r.name)),
                escape(str(r.supplier_id)),
                str(r.payments),
                f"{r.spend_gbp:,.2f}",
            )
        out.print(table)


def _report_options(
    workspace: Path, partners: str | None, renderer: str | None, formats: str | None
) -> tuple[str, str, list[str]]:
    """Report options given on the command line, else from params.yaml (which dvc.yaml tracks)."""
    from pipeline.core.settings import load_params

    opts = load_params(workspace / "params.yaml")["report"]
    partners = partners or str(opts.get("partners") or "all")
    renderer = renderer or str(opts.get("renderer") or "auto")
    if formats is None:
        chosen = opts.get("formats") or ["html", "pdf"]
        formats = ",".join(map(str, chosen)) if isinstance(chosen, list) else str(chosen)
    if renderer not in {"auto", "quarto", "builtin"}:
        raise fail(f"unknown renderer {renderer!r}: use auto, quarto or builtin")
    fmts = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in {"html", "pdf"}]
    if bad or not fmts:
        raise fail(f"unknown format {', '.join(bad) or formats!r}: use html, pdf or html,pdf")
    return partners, renderer, fmts


@app.command()
def report(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    partners: Annotated[
        str | None,
        typer.Option(
            help="all, none, or comma-separated partner ids (default: params.yaml report.partners)"
        ),
    ] = None,
    renderer: RendererOpt = None,
    formats: FormatsOpt = None,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes")] = 2,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
) -> None:
    """Render health-check reports (council and partners) in HTML and PDF, and the index page."""
    from pipeline.report.stage import check_executor, run_report_stage

    check_executor(executor, scheduler)
    partners, renderer, fmts = _report_options(workspace, partners, renderer, formats)
    paths = resolve_cycle(cycle, workspace)
    raise typer.Exit(
        run_report_stage(
            paths,
            partners=partners,
            renderer=renderer,
            formats=fmts,
            jobs=jobs,
            console=console,
            executor=executor,
            scheduler=scheduler,
        )
    )


@app.command()
def run(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Stop after validation if anything was quarantined (default: params.yaml validate.strict)",
        ),
    ] = None,
    renderer: RendererOpt = None,
    formats: FormatsOpt = None,
    use_dvc: Annotated[
        bool | None,
        typer.Option(
            "--dvc/--no-dvc",
            help="Run through `dvc repro` (default: yes inside a DVC project whose params.yaml "
            "`cycles:` lists the cycle), so dvc.lock records the run",
        ),
    ] = None,
    executor: ExecutorOpt = "process",
    scheduler: SchedulerOpt = None,
) -> None:
    """Run every stage for the cycle: validate, compute, report."""
    from pipeline.outcomes.stage import run_compute_stage
    from pipeline.report.stage import check_executor, run_report_stage
    from pipeline.validate.stage import run_validate_stage

    check_executor(executor, scheduler)
    paths = resolve_cycle(cycle, workspace)
    paths.require_raw()
    if use_dvc is not False:
        from pipeline.cycles.lifecycle import dvc_pipeline_root, pipeline_cycles, run_through_dvc

        root = dvc_pipeline_root(workspace)
        in_pipeline = root is not None and paths.cycle in pipeline_cycles(paths.params)
        if use_dvc and not in_pipeline:
            raise fail(
                f"cannot run cycle {paths.cycle} through DVC: "
                + ("no .dvc/ and dvc.yaml here" if root is None else "it is not in `cycles:`")
            )
        if in_pipeline and root is not None:
            given = [
                n
                for n, v in (("--strict", strict), ("--renderer", renderer), ("--formats", formats))
                if v is not None
            ]
            if given:
                raise fail(
                    f"{', '.join(given)}: through DVC, svf run takes these from params.yaml "
                    "(which DVC records); set them there, or add --no-dvc for a one-off run"
                )
            # The executor changes where the reports render, not what they say, so it is not
            # a parameter DVC records: `svf report` under `dvc repro` reads it from these.
            os.environ["SVF_EXECUTOR"] = executor
            if scheduler:
                os.environ["SVF_SCHEDULER"] = scheduler
            code = run_through_dvc(root, paths.cycle)
            if code == 0:
                console.print(f"[bold green]done[/]: open {paths.index_html}", highlight=False)
            else:
                console.print(
                    f"[bold red]stopped[/]: a stage of cycle {escape(paths.cycle)} failed "
                    "(its reason is above); dvc.lock keeps the last complete run",
                    highlight=False,
                )
            raise typer.Exit(code)
        if root is not None:
            console.print(
                f"[yellow]note:[/] cycle {escape(paths.cycle)} is not in params.yaml `cycles:`, "
                "so DVC does not record this run (`svf cycle open` adds it)",
                highlight=False,
            )
    partners, renderer, fmts = _report_options(workspace, None, renderer, formats)
    if strict is None:
        from pipeline.core.settings import load_params

        strict = bool(load_params(paths.params)["validate"].get("strict", False))
    code = run_validate_stage(paths, strict=strict, console=console)
    if code:
        raise typer.Exit(code)
    code = run_compute_stage(paths, proxies=None, console=console)
    if code:
        raise typer.Exit(code)
    code = run_report_stage(
        paths,
        partners=partners,
        renderer=renderer,
        formats=fmts,
        jobs=2,
        console=console,
        executor=executor,
        scheduler=scheduler,
    )
    if code == 0:
        console.print(f"[bold green]done[/]: open {paths.index_html}", highlight=False)
    raise typer.Exit(code)


@app.command()
def review(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    sign: Annotated[
        str | None,
        typer.Option(help="Record that NAME reviewed the data quality (in validation.json)"),
    ] = None,
) -> None:
    """What a reviewer must look at (files refused, rejections, failing checks, superseded rows);
    with --sign "name", record the reviewer's sign-off."""
    from pipeline.validate.review import print_review

    raise typer.Exit(print_review(resolve_cycle(cycle, workspace), out, console, sign=sign))


@app.command()
def templates(
    cycle: CycleOpt = None,
    workspace: WorkspaceOpt = Path("."),
    partners: Annotated[
        str, typer.Option(help="all | comma-separated partner ids (default: all)")
    ] = "all",
    period: Annotated[
        str | None, typer.Option(help="Financial year asked for, YYYY/YY (default: the cycle's)")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option(help="Return deadline, printed on the Guidance sheet")
    ] = None,
    contact: Annotated[
        str | None, typer.Option(help="Who partners contact, printed on the Guidance sheet")
    ] = None,
) -> None:
    """Write each partner's pre-filled returns workbook and CSV to reports/C/templates/."""
    from pipeline.validate.return_templates import write_templates

    paths = resolve_cycle(cycle, workspace)
    wanted = (
        None
        if partners.strip().lower() == "all"
        else [p.strip() for p in partners.split(",") if p.strip()]
    )
    extra = {k: v for k, v in (("deadline", deadline), ("contact", contact)) if v}
    for w in write_templates(paths, wanted, period=period, **extra):
        out.print(
            f"[green]wrote[/] {escape(str(w.xlsx))} and .csv ({w.rows} rows)",
            highlight=False,
            soft_wrap=True,
        )


def _register_cycle_commands() -> None:
    from pipeline.cli.cycle_commands import cycle_app, remote_app

    app.add_typer(
        cycle_app,
        name="cycle",
        help="Open, close, list, compare and reproduce review cycles (DVC).",
    )
    app.add_typer(remote_app, name="remote", help="Where closed cycles are stored (DVC remote).")


_register_cycle_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point that turns user errors into one line and exit status 2.

    Typer runs in non-standalone mode so that bad usage (an unknown option, a value out of range)
    is reported here as one line too, instead of click's multi-line usage box.
    """
    try:
        code = app(args=argv, prog_name="svf", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        exc.show()  # plain `svf`: the help, as before
        sys.exit(2)
    except click_errors.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "svf"
        message = " ".join(exc.format_message().split())
        console.print(
            f"[bold red]error:[/] {escape(message)} (see `{where} --help`)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    except click_errors.ClickException as exc:
        console.print(
            f"[bold red]error:[/] {escape(exc.format_message())}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except UserError as exc:
        # Escaped: a file name or a partner's text in the message is not rich markup.
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as exc:
        # An environment problem (a read-only or full output folder): one line, exit 2.
        where = f"{exc.filename}: " if exc.filename else ""
        what = exc.strerror or str(exc)
        console.print(
            f"[bold red]error:[/] {escape(where + what)} (check the folder exists and can be "
            "written)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        console.print("[yellow]interrupted[/]: no partial outputs were left behind")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
