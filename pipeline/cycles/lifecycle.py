"""Review cycles under DVC: what `svf cycle open | close | list | diff | reproduce` do.

A cycle is one Spring review. Its raw returns live in `data/raw/<cycle>/`, tracked by DVC (never
git: supplier data is commercial); `dvc.yaml` runs validate, compute and report for the cycle named
in `params.yaml`; closing the cycle records `dvc.lock`, commits, tags `review/<cycle>` and pushes
inputs and results to the DVC remote, so the review can be reproduced years later and compared
with the next one. `docs/cycles.md` is the analyst's guide; the commands themselves are in
`pipeline.cli.cycle_commands`.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.core import dvc_tools as tools
from pipeline.core.atomic import write_text
from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths, check_cycle_name
from pipeline.core.periods import of_cycle
from pipeline.core.settings import load_params
from pipeline.cycles.compare_page import CycleDiff
from pipeline.validate.checklist import Checklist, build_checklist, write_checklist

TAG_PREFIX = "review/"


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


#: The stages `dvc.yaml` runs for each cycle, in order; DVC names them `validate@2025-26`, ...
STAGES = ("validate", "compute", "report")
#: The bundled demo cycle: in the pipeline of a fresh clone, dropped when a real cycle opens.
SAMPLE = "sample"
_CYCLES_LINE = re.compile(r"^cycles\s*:[^\n#]*?(?P<comment>\s+#[^\n]*)?$", re.MULTILINE)


def stage_names(cycle: str) -> list[str]:
    """The cycle's stages as DVC names them (`foreach` over `cycles:` in `dvc.yaml`)."""
    return [f"{s}@{check_cycle_name(cycle)}" for s in STAGES]


def pipeline_cycles(params_path: Path) -> list[str]:
    """The cycles `dvc.yaml` builds: `cycles:` in params.yaml (empty when there is none)."""
    value = load_params(params_path).get("cycles") or []
    if not isinstance(value, list):
        raise UserError(f"{params_path}: `cycles:` must be a list of cycle ids, like [2025-26]")
    return [str(c) for c in value]


def _yaml_scalar(value: str) -> str:
    """`value` as YAML text that reads back as the same string (quoted only when needed)."""
    return value if isinstance(yaml.safe_load(f"v: {value}")["v"], str) else f'"{value}"'


def set_params_cycles(params_path: Path, cycles: list[str]) -> None:
    """Write the `cycles:` list on one line (comments elsewhere are kept, as for `cycle:`)."""
    for c in cycles:
        check_cycle_name(c)
    text = params_path.read_text(encoding="utf-8") if params_path.exists() else ""
    new_line = "cycles: [" + ", ".join(_yaml_scalar(c) for c in cycles) + "]"
    if _CYCLES_LINE.search(text):
        text = _CYCLES_LINE.sub(lambda m: new_line + (m.group("comment") or ""), text, count=1)
    else:
        match = _CYCLE_LINE.search(text)
        at = text.index("\n", match.end()) + 1 if match and "\n" in text[match.end() :] else 0
        text = text[:at] + new_line + "\n" + text[at:]
    parsed = yaml.safe_load(text) or {}
    if [str(c) for c in parsed.get("cycles") or []] != list(cycles):
        raise UserError(f"{params_path}: could not set the cycles line; edit `cycles:` by hand")
    write_text(params_path, text)


# --- run -----------------------------------------------------------------------------------------


def dvc_pipeline_root(workspace: Path) -> Path | None:
    """The workspace when it is a DVC project with the pipeline (`.dvc/` and `dvc.yaml`)."""
    root = Path(workspace).resolve()
    return root if (root / ".dvc").is_dir() and (root / "dvc.yaml").is_file() else None


def run_through_dvc(root: Path, cycle: str) -> int:
    """`dvc repro report@<cycle>`: the cycle's stages that are not up to date, nothing else.

    DVC runs the same `svf validate|compute|report` commands a direct run would, and records
    the run in `dvc.lock`, which is what `svf cycle close` checks and commits. Other cycles'
    stages are not targets, so they are never re-run (or found stale) by a run of this one.
    """
    if cycle not in pipeline_cycles(root / "params.yaml"):
        raise UserError(
            f"cycle {cycle} is not in the pipeline (`cycles:` in params.yaml): "
            f"run `svf cycle open {cycle}` first"
        )
    code = tools.dvc_shown(root, "repro", f"{STAGES[-1]}@{cycle}")
    # DVC exits 255 whatever the stage's own status was (1: a --strict gate, 2: bad input); the
    # stage has printed why, so say only that it stopped, with the documented "failed" status.
    return 0 if code == 0 else 1


# --- open ----------------------------------------------------------------------------------------


def check_cycle_id(cycle: str, *, name: bool = False) -> str:
    """A cycle id is a financial year (`2025-26`), which fixes the latest year its returns may
    report; any other plain name only when the analyst says so (`--name`)."""
    check_cycle_name(cycle)
    if not name and of_cycle(cycle) is None:
        raise UserError(
            f"cycle {cycle!r} is not a financial year like 2025-26 (the cycle's id fixes the "
            "latest year its returns may report); to use another name on purpose, add --name"
        )
    return cycle


def open_cycle(
    workspace: Path, cycle: str, *, period: str | None = None, name: bool = False
) -> Checklist:
    """Create the cycle's raw folder, add it to the pipeline, make it current, write its checklist.

    The cycle joins `cycles:` in params.yaml (so `dvc.yaml` builds it beside every earlier
    cycle); the bundled sample leaves the list, as it is not a review to record.
    """
    check_cycle_id(cycle, name=name)
    paths = CyclePaths.of(cycle, workspace)
    paths.raw.mkdir(parents=True, exist_ok=True)
    set_params_cycle(paths.params, cycle)
    cycles = [c for c in pipeline_cycles(paths.params) if c != SAMPLE or cycle == SAMPLE]
    if cycle not in cycles:
        cycles.append(cycle)
    set_params_cycles(paths.params, cycles)
    checklist = build_checklist(paths.raw, cycle, period)
    write_checklist(checklist, paths.reports)
    return checklist


# --- remote --------------------------------------------------------------------------------------


def remote_needs_setting(root: Path) -> str | None:
    """Why the project's DVC remote would not travel to a colleague's clone (None when it does):
    there is none, or it is a folder written relative to the clone."""
    remote, _ = tools.default_remote(root)
    if remote is None:
        return "no default DVC remote is set"
    written = tools.remote_url_as_written(root, remote) or ""
    if written and "://" not in written and not Path(written).is_absolute():
        return f"the DVC remote {remote!r} is the relative path {written}"
    return None


def suggested_remote(root: Path) -> str:
    """The folder a relative remote means from this clone, else `svf-dvc-remote` beside it."""
    remote, url = tools.default_remote(root)
    if remote and url and "://" not in url:
        return str(Path(url).resolve())
    return str(root.parent / "svf-dvc-remote")


# --- close ---------------------------------------------------------------------------------------


def _outputs_to_commit(cycle: str) -> list[str]:
    """Files `dvc.yaml` keeps out of the DVC cache (`cache: false`), and the cycle's checklist of
    expected returns, committed to git at close.

    They are small and free of commercial detail (aggregate metrics and plot data; the checklist
    names who owed which return), and being in git is what lets `dvc metrics diff review/A
    review/B` compare two closed cycles without a remote.
    """
    return [
        f"reports/{cycle}/metrics",
        f"reports/{cycle}/plots",
        f"reports/{cycle}/data-quality/validation.json",
        f"reports/{cycle}/checklist.md",
        f"reports/{cycle}/checklist.csv",
    ]


def _allowed_dirty(cycle: str) -> tuple[str, ...]:
    """Paths close may find changed: the records of this cycle's run, which close commits."""
    return (
        "params.yaml",
        "dvc.lock",
        ".dvc/config",  # `svf remote set` or the remote fixed at `svf cycle open`
        f"data/raw/{cycle}.dvc",
        "data/raw/.gitignore",
        *_outputs_to_commit(cycle),
    )


def _is_allowed(path: str, allowed: tuple[str, ...]) -> bool:
    return any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)


def _locked_stages(lock_path: Path) -> set[str]:
    """The stages `dvc.lock` records a run of (empty if there is no readable lock)."""
    try:
        lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return set()
    return set(lock.get("stages") or {})


def check_can_close(root: Path, cycle: str) -> None:
    """Raise `UserError` with the first reason the cycle cannot be closed yet."""
    paths = CyclePaths.of(cycle, root)
    tag = tag_of(cycle)
    if tools.tag_exists(root, tag):
        raise UserError(f"cycle {cycle} is already closed (git tag {tag} exists)")
    if not paths.raw.is_dir() or not any(paths.raw.iterdir()):
        raise UserError(f"cannot close {cycle}: {paths.raw} is missing or empty")
    current = str(load_params(paths.params)["cycle"])
    if current != cycle or cycle not in pipeline_cycles(paths.params):
        raise UserError(
            f"cannot close {cycle}: params.yaml names cycle {current!r}; "
            f"run `svf cycle open {cycle}` and `svf run` first"
        )
    remote, url = tools.default_remote(root)
    if remote is None:
        raise UserError(
            f"cannot close {cycle}: no default DVC remote to push the cycle to; "
            "set one with `svf remote set <shared folder or s3://... url>`"
        )
    raw_url = tools.remote_url_as_written(root, remote)
    if raw_url and "://" not in raw_url and not Path(raw_url).is_absolute():
        raise UserError(
            f"cannot close {cycle}: the DVC remote {remote!r} is the relative path {raw_url}, "
            "which a colleague's clone would read as another folder; set it with "
            "`svf remote set <absolute path or url>`"
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
            f"cannot close {cycle}: the pipeline has never run here (no dvc.lock); run `svf run`"
        )
    never = [s for s in stage_names(cycle) if s not in _locked_stages(root / "dvc.lock")]
    if never:
        raise UserError(
            f"cannot close {cycle}: dvc.lock records no run of {', '.join(never)}; run `svf run`"
        )
    # Only this cycle's stages: a closed cycle's stages may be stale against today's code or
    # thresholds, which is the record of what they were run with, not a reason to refuse.
    stale = tools.stale_stages(root, stage_names(cycle))
    if stale:
        raise UserError(
            f"cannot close {cycle}: the pipeline is not up to date with its inputs: "
            f"{tools.describe_stale(stale)}; run `svf run`, check the results, then close"
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
    paths = CyclePaths.of(cycle, root)
    # The checklist as it stands at close, missing returns first: the record of who never sent
    # what this cycle expected.
    write_checklist(build_checklist(paths.raw, cycle, of_cycle(cycle)), paths.reports)
    tools.dvc(root, "add", raw_rel)
    if f"{raw_rel}.dvc" not in tools.tracked_dvcfiles(root):
        # DVC skips .dvc files in folders it believes git ignores; the inputs would then be
        # neither in git nor pushed, so stop before anything is committed or tagged.
        raise UserError(
            f"cannot close {cycle}: DVC does not see {raw_rel}.dvc, so the inputs would not be "
            "pushed; check that .gitignore ignores `/data/raw/?*` (not `/data/raw` itself)"
        )
    to_add = ["dvc.lock", "params.yaml", ".dvc/config", f"{raw_rel}.dvc"]
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
        # This cycle's inputs, then the outputs of this cycle's stages. Not a bare `dvc push`:
        # that would also push (and fail on) older cycles' data a fresh clone never pulled.
        # One target per call (see reproduce_cycle).
        pushed = tools.dvc(root, "push", f"{raw_rel}.dvc").stdout.strip()
        for stage in stage_names(cycle):
            pushed += "\n" + tools.dvc(root, "push", stage).stdout.strip()
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


def _git_text(root: Path, rev: str, path: str) -> str | None:
    result = tools.git(root, "show", f"{rev}:{path}", check=False)
    return result.stdout if result.ok else None


def _git_json(root: Path, rev: str, path: str) -> dict[str, Any]:
    text = _git_text(root, rev, path)
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _dvc_table(root: Path, rev: str, path: str) -> pd.DataFrame | None:
    """A DVC-tracked table as the tag recorded it (from the cache, else the remote)."""
    data = tools.read_at(root, rev, path)
    if data is None:
        return None
    try:
        return pd.read_parquet(io.BytesIO(data))
    except (OSError, ValueError):
        return None


def diff_cycles(workspace: Path, a: str, b: str) -> CycleDiff:
    """What two closed cycles recorded, read from their tags.

    The metrics and plot data are committed at close, so they come from git alone (`git show
    review/A:reports/A/...`: the same files `dvc metrics diff` and `dvc plots diff` read); the
    measures and status tables, for partner detail, come from DVC at each tag.
    """
    from pipeline.core.framework import load_framework

    root = tools.repo_root(workspace)
    for c in (a, b):
        if not tools.tag_exists(root, tag_of(c)):
            raise UserError(
                f"cycle {c} is not closed (no git tag {tag_of(c)}): "
                f"close it with `svf cycle close {c}` first"
            )
    result = CycleDiff(a, b)
    for side, cyc in (("a", a), ("b", b)):
        tag = tag_of(cyc)
        result.outcomes[side] = _git_json(root, tag, f"reports/{cyc}/metrics/outcomes.json")
        result.validation[side] = _git_json(
            root, tag, f"reports/{cyc}/data-quality/validation.json"
        )
        listing = tools.git(root, "ls-tree", "--name-only", tag, f"reports/{cyc}/plots/").stdout
        for path in listing.split():
            name = Path(path).stem
            if not name.startswith("outcomes_"):
                continue
            text = _git_text(root, tag, path) or ""
            rows = (
                pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False) if text else None
            )
            result.plots.setdefault(name[len("outcomes_") :], {"a": [], "b": []})[side] = (
                rows.to_dict("records") if rows is not None else []
            )
        result.measures[side] = _dvc_table(root, tag, f"data/clean/{cyc}/measures.parquet")
        result.theme_status[side] = _dvc_table(root, tag, f"data/clean/{cyc}/theme_status.parquet")
        partners = _dvc_table(root, tag, f"data/clean/{cyc}/partners.parquet")
        if partners is not None and {"partner_id", "name"} <= set(partners.columns):
            for pid, name in zip(partners["partner_id"], partners["name"], strict=True):
                if isinstance(pid, str) and isinstance(name, str):
                    result.partners[pid] = name
    framework = load_framework(CyclePaths.of(b, root).framework)
    for theme in framework.themes:
        result.names[theme.code] = (theme.name, "")
        for m in theme.measures:
            result.names[m.id] = (m.short or m.text, m.unit)
    return result


def write_diff_html(diff: CycleDiff, target: Path) -> Path:
    from pipeline.cycles.compare_page import render_diff_html

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
        # Forcing `compute@C` re-runs it and, as its inputs were not pulled, validation before
        # it: the stages the measures table depends on. `all_stages` renders the reports too.
        target = f"{STAGES[-1] if all_stages else 'compute'}@{cycle}"
        if show_output:
            # The stages' progress, without DVC's "git add ... dvc push" advice, which from a
            # temporary checkout would point at the wrong folder.
            code = tools.dvc_shown(wt, "repro", "--force", target, env=env)
            detail = ""
        else:
            result = tools.dvc(wt, "repro", "--force", target, check=False, env=env)
            code = result.returncode
            detail = tools.last_line(result.stderr) or tools.last_line(result.stdout)
        if code:
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


def is_closed(workspace: Path, cycle: str) -> bool:
    """Whether the `review/<cycle>` tag exists (False outside git, or without git)."""
    try:
        return tools.tag_exists(workspace, tag_of(cycle))
    except tools.ToolError:
        return False
