"""Review cycles under DVC: `svf cycle open | close | list | diff | reproduce`.

A cycle is one Spring review. Its raw returns live in `data/raw/<cycle>/`, tracked by DVC (never
git: supplier data is commercial); `dvc.yaml` runs validate, compute and report for the cycle named
in `params.yaml`; closing the cycle records `dvc.lock`, commits, tags `review/<cycle>` and pushes
inputs and results to the DVC remote, so the review can be reproduced years later and compared
with the next one. `docs/cycles.md` is the analyst's guide.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import dvc_tools as tools
from pipeline.atomic import write_text
from pipeline.checklist import Checklist, build_checklist, write_checklist
from pipeline.errors import UserError
from pipeline.params import load_params
from pipeline.paths import CyclePaths, check_cycle_name

TAG_PREFIX = "review/"

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


def tag_of(cycle: str) -> str:
    return TAG_PREFIX + check_cycle_name(cycle)


# --- params.yaml ---------------------------------------------------------------------------------

_CYCLE_LINE = re.compile(r"^cycle\s*:[^\n#]*?(?P<comment>\s+#[^\n]*)?$", re.MULTILINE)


def set_params_cycle(params_path: Path, cycle: str) -> None:
    """Point `params.yaml` at `cycle`, changing only the top-level `cycle:` line.

    A line-level edit keeps the analyst's comments and layout (a YAML round trip would drop
    them); the result is parsed back to prove the edit gave what was meant.
    """
    check_cycle_name(cycle)
    text = params_path.read_text(encoding="utf-8") if params_path.exists() else ""
    # Quoted only when YAML would read the id as something else (2025 or 1e3 as a number).
    plain = isinstance(yaml.safe_load(f"v: {cycle}")["v"], str)
    new_line = f"cycle: {cycle}" if plain else f'cycle: "{cycle}"'
    if _CYCLE_LINE.search(text):
        text = _CYCLE_LINE.sub(lambda m: new_line + (m.group("comment") or ""), text, count=1)
    else:
        text = new_line + "\n" + text
    parsed = yaml.safe_load(text) or {}
    if not isinstance(parsed, dict) or str(parsed.get("cycle")) != cycle:
        raise UserError(f"{params_path}: could not set the cycle line; edit `cycle:` by hand")
    write_text(params_path, text)


# --- open ----------------------------------------------------------------------------------------


def open_cycle(workspace: Path, cycle: str, *, period: str | None = None) -> Checklist:
    """Create the cycle's raw folder, make it the current cycle and write its checklist."""
    paths = CyclePaths.of(cycle, workspace)
    paths.raw.mkdir(parents=True, exist_ok=True)
    set_params_cycle(paths.params, cycle)
    checklist = build_checklist(paths.raw, cycle, period)
    write_checklist(checklist, paths.reports)
    return checklist


# --- close ---------------------------------------------------------------------------------------


def _outputs_to_commit(cycle: str) -> list[str]:
    """Files `dvc.yaml` keeps out of the DVC cache (`cache: false`), committed to git at close.

    They are aggregate metrics and plot data, small and free of partner detail, and being in git
    is what lets `dvc metrics diff review/A review/B` compare two closed cycles without a remote.
    """
    return [
        f"reports/{cycle}/metrics",
        f"reports/{cycle}/plots",
        f"reports/{cycle}/data-quality/validation.json",
    ]


def _allowed_dirty(cycle: str) -> tuple[str, ...]:
    """Paths close may find changed: the records of this cycle's run, which close commits."""
    return (
        "params.yaml",
        "dvc.lock",
        f"data/raw/{cycle}.dvc",
        "data/raw/.gitignore",
        *_outputs_to_commit(cycle),
    )


def _is_allowed(path: str, allowed: tuple[str, ...]) -> bool:
    return any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)


def _lock_cycle(lock_path: Path) -> str | None:
    """The cycle the last `dvc repro` ran, as recorded in `dvc.lock` (None if unknown)."""
    try:
        lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    for stage in (lock.get("stages") or {}).values():
        value = ((stage or {}).get("params") or {}).get("params.yaml", {}).get("cycle")
        if value is not None:
            return str(value)
    return None


def check_can_close(root: Path, cycle: str) -> None:
    """Raise `UserError` with the first reason the cycle cannot be closed yet."""
    paths = CyclePaths.of(cycle, root)
    tag = tag_of(cycle)
    if tools.tag_exists(root, tag):
        raise UserError(f"cycle {cycle} is already closed (git tag {tag} exists)")
    if not paths.raw.is_dir() or not any(paths.raw.iterdir()):
        raise UserError(f"cannot close {cycle}: {paths.raw} is missing or empty")
    current = str(load_params(paths.params)["cycle"])
    if current != cycle:
        raise UserError(
            f"cannot close {cycle}: params.yaml names cycle {current!r}; "
            f"run `svf cycle open {cycle}` and `dvc repro` first"
        )
    remote, url = tools.default_remote(root)
    if remote is None:
        raise UserError(
            f"cannot close {cycle}: no default DVC remote to push the cycle to; "
            "set one with `dvc remote add -d <name> <folder or s3://... url>`"
        )
    if url and "://" not in url and not Path(url).parent.is_dir():
        raise UserError(
            f"cannot close {cycle}: the DVC remote {remote!r} points at {url}, "
            "whose parent folder does not exist (is the shared drive mounted?)"
        )
    dirty = [
        (code, p)
        for code, p in tools.status_porcelain(root)
        if not _is_allowed(p, _allowed_dirty(cycle))
    ]
    if dirty:
        shown = ", ".join(p for _, p in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise UserError(
            f"cannot close {cycle}: uncommitted changes in {shown}; commit or discard them first "
            "(the tag must record exactly the code and settings that produced the results)"
        )
    if not (root / "dvc.lock").exists():
        raise UserError(
            f"cannot close {cycle}: the pipeline has never run here (no dvc.lock); run `dvc repro`"
        )
    ran = _lock_cycle(root / "dvc.lock")
    if ran != cycle:
        raise UserError(
            f"cannot close {cycle}: dvc.lock records a run of cycle {ran!r}; run `dvc repro`"
        )
    stale = tools.stale_stages(root)
    if stale:
        raise UserError(
            f"cannot close {cycle}: the pipeline is not up to date with its inputs: "
            f"{tools.describe_stale(stale)}; run `dvc repro`, check the results, then close"
        )


@dataclass
class Closed:
    cycle: str
    tag: str
    commit: str
    remote: str
    pushed: str = ""


def close_cycle(workspace: Path, cycle: str) -> Closed:
    """Check, then `dvc add` the inputs, commit the records, tag `review/<cycle>` and push.

    The tag is made only after the commit succeeds, and removed again if the push fails, so a
    `review/<cycle>` tag always means "closed, and everything it needs is on the remote".
    """
    root = tools.repo_root(workspace)
    check_can_close(root, cycle)
    tag = tag_of(cycle)
    raw_rel = f"data/raw/{cycle}"
    tools.dvc(root, "add", raw_rel)
    if f"{raw_rel}.dvc" not in tools.tracked_dvcfiles(root):
        # DVC skips .dvc files in folders it believes git ignores; the inputs would then be
        # neither in git nor pushed, so stop before anything is committed or tagged.
        raise UserError(
            f"cannot close {cycle}: DVC does not see {raw_rel}.dvc, so the inputs would not be "
            "pushed; check that .gitignore ignores `/data/raw/?*` (not `/data/raw` itself)"
        )
    to_add = ["dvc.lock", "params.yaml", f"{raw_rel}.dvc"]
    to_add += [p for p in _outputs_to_commit(cycle) if (root / p).exists()]
    if (root / "data/raw/.gitignore").exists():
        to_add.append("data/raw/.gitignore")
    # -f: the cache:false metrics sit under reports/, which is git-ignored for everything else.
    tools.git(root, "add", "-f", "--", *to_add)
    if tools.has_staged_changes(root):
        tools.git(root, "commit", "-q", "-m", f"Close review cycle {cycle}")
    commit = tools.git(root, "rev-parse", "HEAD").stdout.strip()
    tools.git(root, "tag", "-a", tag, "-m", f"Review cycle {cycle} closed", commit)
    remote = tools.default_remote(root)[0] or ""
    try:
        # This cycle's inputs, then every output the pipeline recorded in dvc.lock. Not a bare
        # `dvc push`: that would also push (and fail on) older cycles' inputs a fresh clone
        # never pulled. One target per call (see reproduce_cycle).
        pushed = tools.dvc(root, "push", f"{raw_rel}.dvc").stdout.strip()
        pushed += "\n" + tools.dvc(root, "push", "dvc.yaml").stdout.strip()
    except BaseException as exc:  # a failure or Ctrl-C: either way, no tag without the push
        tools.git(root, "tag", "-d", tag, check=False)
        if not isinstance(exc, tools.ToolError):
            raise
        raise UserError(
            f"pushing cycle {cycle} to the DVC remote {remote!r} failed, so the tag {tag} was "
            f"removed (the commit {commit[:8]} stays; fix the remote and run close again): {exc}"
        ) from None
    return Closed(cycle, tag, commit, remote, pushed)


# --- list ----------------------------------------------------------------------------------------


@dataclass
class CycleInfo:
    cycle: str
    state: str  # closed | open
    current: bool
    raw_folder: bool
    closed_on: str = ""


def list_cycles(workspace: Path) -> list[CycleInfo]:
    """Every cycle known from raw folders, `.dvc` files and `review/*` tags."""
    root = Path(workspace).resolve()
    raw = root / "data" / "raw"
    names: set[str] = set()
    if raw.is_dir():
        for p in raw.iterdir():
            if p.is_dir() and not p.name.startswith("."):
                names.add(p.name)
            elif p.suffix == ".dvc":
                names.add(p.stem)
    tagged: set[str] = set()
    in_git = tools.git(root, "rev-parse", "--git-dir", check=False).ok
    if in_git:
        tagged = {t[len(TAG_PREFIX) :] for t in tools.tags(root, TAG_PREFIX + "*")}
    names |= tagged
    current = str(load_params(root / "params.yaml")["cycle"])
    names.add(current)
    infos = []
    for name in sorted(names):
        closed = name in tagged
        infos.append(
            CycleInfo(
                name,
                "closed" if closed else "open",
                name == current,
                (raw / name).is_dir(),
                tools.tag_date(root, TAG_PREFIX + name) if closed else "",
            )
        )
    return infos


# --- diff ----------------------------------------------------------------------------------------


#: Fields DVC adds to plot rows.
_DVC_PLOT_FIELDS = {"rev", "step", "dvc_inferred_y_value", "filename", "field"}


def _normalise_path(path: str, cycle: str) -> str:
    """`reports/2025-26/metrics/x.json` -> `reports/<cycle>/metrics/x.json`, to pair two cycles."""
    return path.replace(f"reports/{cycle}/", "reports/<cycle>/", 1)


@dataclass
class CycleDiff:
    a: str
    b: str
    #: (file, metric) -> (value in A, value in B)
    metrics: dict[tuple[str, str], tuple[Any, Any]] = field(default_factory=dict)
    #: plot file (normalised) -> {"a": rows, "b": rows}
    plots: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)


def diff_cycles(workspace: Path, a: str, b: str) -> CycleDiff:
    """Metrics and plot data of two closed cycles, paired by file and key.

    Each cycle writes under its own `reports/<cycle>/`, so `dvc metrics diff` sees different
    files in the two tags; pairing them by their path with the cycle taken out is what turns
    its output into a comparison.
    """
    root = tools.repo_root(workspace)
    for c in (a, b):
        if not tools.tag_exists(root, tag_of(c)):
            raise UserError(
                f"cycle {c} is not closed (no git tag {tag_of(c)}): "
                f"close it with `svf cycle close {c}` first"
            )
    result = CycleDiff(a, b)
    raw = tools.dvc_json(root, "metrics", "diff", tag_of(a), tag_of(b), "--all")
    for path, entries in (raw or {}).items():
        for key, vals in (entries or {}).items():
            if path.startswith(f"reports/{a}/") and vals.get("old") is not None:
                k = (_normalise_path(path, a), key)
                result.metrics[k] = (vals["old"], result.metrics.get(k, (None, None))[1])
            if path.startswith(f"reports/{b}/") and vals.get("new") is not None:
                k = (_normalise_path(path, b), key)
                result.metrics[k] = (result.metrics.get(k, (None, None))[0], vals["new"])
    # One `dvc plots diff` per tag: given two revisions, DVC keeps only the first one's
    # definition of a plot whose file path differs between them (as reports/<cycle>/ does).
    # The tag is given twice so the workspace is not compared in as well.
    for side, cyc in (("a", a), ("b", b)):
        plots = tools.dvc_json(root, "plots", "diff", tag_of(cyc), tag_of(cyc))
        for name, renders in ((plots or {}).get("data") or {}).items():
            for render in renders:
                content = render.get("content") or {}
                for row in (content.get("data") or {}).get("values") or []:
                    if row.get("rev") != tag_of(cyc):
                        continue
                    clean = {k: v for k, v in row.items() if k not in _DVC_PLOT_FIELDS}
                    key = _normalise_path(name, cyc)
                    result.plots.setdefault(key, {"a": [], "b": []})[side].append(clean)
    return result


def write_diff_html(diff: CycleDiff, target: Path) -> Path:
    from pipeline.cycle_diff_html import render_diff_html

    return write_text(target, render_diff_html(diff))


# --- reproduce -----------------------------------------------------------------------------------


@dataclass
class Reproduced:
    cycle: str
    equal: bool
    rows: int
    detail: str
    worktree: Path | None


def _compare_tables(recorded: pd.DataFrame, rerun: pd.DataFrame) -> str:
    """Empty when the tables are equal (values, dtypes, row order); else what differs."""
    if list(recorded.columns) != list(rerun.columns):
        return f"columns differ: {list(recorded.columns)} vs {list(rerun.columns)}"
    if len(recorded) != len(rerun):
        return f"row counts differ: {len(recorded)} recorded vs {len(rerun)} reproduced"
    try:
        pd.testing.assert_frame_equal(recorded, rerun, check_exact=True)
    except AssertionError as exc:
        return " ".join(str(exc).split())[:400]
    return ""


def reproduce_cycle(
    workspace: Path,
    cycle: str,
    *,
    keep: bool = False,
    from_remote: bool = False,
    all_stages: bool = False,
    show_output: bool = False,
) -> Reproduced:
    """Re-run a closed cycle from its tag in a separate git worktree and compare measures.

    The worktree (a checkout of `review/<cycle>` in a temporary folder) leaves the analyst's own
    checkout, branch and files alone. It shares the project's DVC cache unless `from_remote`,
    in which case it starts from an empty cache and pulls everything from the remote: the
    stronger proof that the closed cycle can be rebuilt on a new machine.
    """
    root = tools.repo_root(workspace)
    tag = tag_of(cycle)
    if not tools.tag_exists(root, tag):
        raise UserError(f"cycle {cycle} is not closed (no git tag {tag}): nothing to reproduce")
    tmp = Path(tempfile.mkdtemp(prefix=f"svf-reproduce-{cycle}-"))
    wt = tmp / "checkout"
    tools.git(root, "worktree", "add", "--detach", str(wt), tag)
    try:
        remote, url = tools.default_remote(root)
        if from_remote:
            tools.dvc(wt, "cache", "dir", "--local", str(tmp / "cache"))
        else:
            cache_dir = tools.dvc(root, "cache", "dir").stdout.strip() or str(
                root / ".dvc" / "cache"
            )
            tools.dvc(wt, "cache", "dir", "--local", cache_dir)
        if remote and url:
            # The committed config may hold a relative path, which means another folder here.
            tools.dvc(wt, "remote", "modify", "--local", remote, "url", url)
        # Only what the re-run needs: this cycle's inputs, and the measures recorded at close
        # to compare with (not other cycles' inputs, not the rendered reports).
        measures = CyclePaths.of(cycle, wt).measures
        # One target per call: given both, DVC 3.67 fetched the first and skipped the second.
        for target in (f"data/raw/{cycle}.dvc", str(measures.relative_to(wt))):
            tools.dvc(wt, "pull" if (from_remote or remote) else "checkout", target)
        if not measures.exists():
            raise UserError(f"the closed cycle {cycle} has no {measures.relative_to(wt)} recorded")
        recorded = pd.read_parquet(measures)
        # Run the tagged code, not whatever is installed now: the worktree's package first.
        env = {"PYTHONPATH": str(wt)}
        # Forcing `compute` re-runs it and, as its inputs were not pulled, validation before it:
        # the stages the measures table depends on. `all_stages` renders the reports as well.
        targets = [] if all_stages else ["compute"]
        result = tools.dvc(
            wt, "repro", "--force", *targets, check=False, env=env, capture=not show_output
        )
        if not result.ok:
            detail = tools.last_line(result.stderr) or tools.last_line(result.stdout)
            raise UserError(
                f"re-running cycle {cycle} failed in {wt}: {detail or 'see the dvc output above'}"
            )
        rerun = pd.read_parquet(measures)
        detail = _compare_tables(recorded, rerun)
        return Reproduced(cycle, detail == "", len(rerun), detail, wt if keep else None)
    finally:
        if not keep:
            tools.git(root, "worktree", "remove", "--force", str(wt), check=False)
            shutil.rmtree(tmp, ignore_errors=True)
            tools.git(root, "worktree", "prune", check=False)


def _is_closed(workspace: Path, cycle: str) -> bool:
    """Whether the `review/<cycle>` tag exists (False outside git, or without git)."""
    try:
        return tools.tag_exists(workspace, tag_of(cycle))
    except tools.ToolError:
        return False


# --- commands ------------------------------------------------------------------------------------


@cycle_app.command("open")
def open_command(
    cycle: Annotated[str, typer.Argument(help="Cycle id, e.g. 2025-26")],
    workspace: WorkspaceOpt = Path("."),
    period: Annotated[
        str | None,
        typer.Option(help="Financial year expected, YYYY/YY (default: from the cycle id)"),
    ] = None,
) -> None:
    """Start a cycle: create data/raw/C, set params.yaml, print the checklist of expected returns."""
    checklist = open_cycle(workspace, cycle, period=period)
    paths = CyclePaths.of(cycle, workspace)
    if _is_closed(paths.workspace, cycle):
        console.print(
            f"[yellow]note:[/] cycle {escape(cycle)} is already closed ({tag_of(cycle)}); "
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


@cycle_app.command("close")
def close_command(
    cycle: Annotated[str, typer.Argument(help="Cycle id to close")],
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Record and publish a finished cycle: dvc add, commit, tag review/C, dvc push."""
    from pipeline.review import unsigned_warning

    warning = unsigned_warning(CyclePaths.of(cycle, workspace))
    if warning:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    closed = close_cycle(workspace, cycle)
    console.print(
        f"[green]closed[/] cycle {escape(cycle)}: commit {closed.commit[:8]}, tag "
        f"{escape(closed.tag)}, pushed to DVC remote {escape(closed.remote)}. "
        "Push the tag to your git server with `git push --follow-tags`.",
        highlight=False,
    )


@cycle_app.command("list")
def list_command(workspace: WorkspaceOpt = Path(".")) -> None:
    """List cycles: raw folders and review/* tags, closed or open, and the current one."""
    table = Table(title="Review cycles", title_justify="left")
    for col in ("Cycle", "State", "Closed on", "Raw folder", "Current"):
        table.add_column(col)
    for info in list_cycles(workspace):
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
    """Compare two closed cycles (dvc metrics diff + plots diff) in reports/diff-A-B.html."""
    diff = diff_cycles(workspace, a, b)
    root = tools.repo_root(workspace)
    target = write_diff_html(diff, root / "reports" / f"diff-{a}-{b}.html")
    table = Table(title=f"Metrics: {escape(a)} -> {escape(b)}", title_justify="left")
    for col in ("Metric", a, b):
        table.add_column(escape(col))
    for (_, key), (va, vb) in sorted(diff.metrics.items()):
        table.add_row(escape(key), escape(str(va)), escape(str(vb)))
    out.print(table)
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
    result = reproduce_cycle(
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
