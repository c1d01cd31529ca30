"""Thin wrappers over the `git` and `dvc` command lines, with errors an analyst can act on.

The cycle commands drive git and DVC as subprocesses rather than through DVC's Python API: the
command line is DVC's stable, documented interface, and it is exactly what an analyst would type,
so a failure message can say which command failed and what it printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import UserError


class ToolError(UserError):
    """A git or dvc command failed; the message names the command and its last output line."""


@dataclass(frozen=True)
class Result:
    """What a finished command printed."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git and dvc: no DVC usage analytics, and this venv's `svf` on PATH.

    `dvc repro` runs the stage commands (`svf validate ...`) through the shell, so the folder of
    the running interpreter goes first on PATH: the stages then run with this installation even
    when the analyst did not activate the virtual environment.
    """
    env = dict(os.environ)
    env["DVC_NO_ANALYTICS"] = "1"
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    bindir = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        env["PATH"] = bindir + (os.pathsep + path if path else "")
    if extra:
        env.update(extra)
    return env


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _run(
    argv: Sequence[str],
    cwd: Path,
    *,
    check: bool,
    what: str,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
) -> Result:
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=tool_env(env),
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            check=False,
        )
    except FileNotFoundError:
        raise ToolError(
            f"{what} is not installed or not on PATH (needed to run {argv[0]})"
        ) from None
    result = Result(tuple(argv), proc.returncode, proc.stdout or "", proc.stderr or "")
    if check and not result.ok:
        shown = " ".join(argv)
        detail = (
            last_line(result.stderr) or last_line(result.stdout) or f"exit status {proc.returncode}"
        )
        raise ToolError(f"`{shown}` failed in {cwd}: {detail}")
    return result


def git(repo: Path, *args: str, check: bool = True) -> Result:
    """Run `git <args>` in `repo`."""
    if shutil.which("git") is None:
        raise ToolError("git is not installed or not on PATH: the review cycles need git")
    return _run(["git", *args], repo, check=check, what="git")


def dvc(
    repo: Path,
    *args: str,
    check: bool = True,
    capture: bool = True,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run `dvc <args>` in `repo` with this interpreter's DVC (`python -m dvc`)."""
    argv = [sys.executable, "-m", "dvc", *args]
    result = _run(argv, repo, check=False, what="dvc", capture=capture, env=env)
    if check and not result.ok:
        detail = (
            last_line(result.stderr)
            or last_line(result.stdout)
            or f"exit status {result.returncode}"
        )
        raise ToolError(f"`dvc {' '.join(args)}` failed in {repo}: {detail}")
    return result


#: What `dvc repro` prints after a run about staging and pushing: the cycle commands do both at
#: close, so the advice would only mislead (and from a temporary checkout, point at the wrong
#: folder).
_ADVICE = (
    "To track the changes with git",
    "git add ",
    "To enable auto staging",
    "dvc config core.autostage",
    "Use `dvc push`",
)


def dvc_shown(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> int:
    """Run `dvc <args>` showing what it and its stages print, less DVC's git/push advice.

    The stages' own progress (on stderr) passes straight through; DVC's stdout is read line by
    line so the advice can be left out. Returns the exit status.
    """
    argv = [sys.executable, "-m", "dvc", *args]
    try:
        proc = subprocess.Popen(
            argv, cwd=repo, env=tool_env(env), text=True, stdout=subprocess.PIPE, stderr=None
        )
    except FileNotFoundError:
        raise ToolError("dvc is not installed or not on PATH") from None
    assert proc.stdout is not None
    blank = False
    for line in proc.stdout:
        if line.strip().startswith(_ADVICE):
            continue
        if not line.strip():
            blank = True
            continue
        if blank:
            sys.stdout.write("\n")
            blank = False
        sys.stdout.write(line)
        sys.stdout.flush()
    return proc.wait()


# --- questions about the repository ------------------------------------------------------------


def repo_root(start: Path) -> Path:
    """The git work tree holding `start`, which must also be a DVC project."""
    start = Path(start).resolve()
    result = git(start, "rev-parse", "--show-toplevel", check=False)
    if not result.ok:
        raise UserError(f"{start} is not inside a git repository: run `git init` there first")
    root = Path(result.stdout.strip())
    if not (root / ".dvc").is_dir():
        raise UserError(f"{root} is not a DVC project (no .dvc folder): run `dvc init` there first")
    return root


def tag_exists(repo: Path, tag: str) -> bool:
    return git(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}", check=False).ok


def tags(repo: Path, pattern: str) -> list[str]:
    return [t for t in git(repo, "tag", "--list", pattern).stdout.split() if t]


def tag_date(repo: Path, tag: str) -> str:
    """The date the tag's commit was made, YYYY-MM-DD."""
    return git(repo, "log", "-1", "--format=%cs", tag).stdout.strip()


def status_porcelain(repo: Path) -> list[tuple[str, str]]:
    """`git status --porcelain`: (two-letter code, path) for every changed or untracked file."""
    out = git(repo, "status", "--porcelain=v1", "--untracked-files=all").stdout
    rows = []
    for line in out.splitlines():
        if len(line) > 3:
            path = line[3:]
            if " -> " in path:  # a rename: the new name is the one in the work tree
                path = path.split(" -> ", 1)[1]
            rows.append((line[:2], path.strip('"')))
    return rows


def has_staged_changes(repo: Path) -> bool:
    return not git(repo, "diff", "--cached", "--quiet", check=False).ok


def _open_repo(repo: Path):  # noqa: ANN202
    """DVC's own `Repo`, for read-only questions (config, status) without a subprocess each."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        return Repo(str(repo))
    except DvcException as exc:
        raise ToolError(f"{repo}: DVC cannot open the project: {exc}") from None


def default_remote(repo: Path) -> tuple[str | None, str | None]:
    """The default DVC remote's name and URL (None, None when there is none).

    DVC's config loader makes a relative local remote absolute (DVC stores it relative to
    `.dvc/config`), so the URL also works from another work tree.
    """
    with _open_repo(repo) as r:
        name = r.config.get("core", {}).get("remote")
        if not name:
            return None, None
        url = r.config.get("remote", {}).get(name, {}).get("url")
        return name, (str(url) if url else None)


def remote_url_as_written(repo: Path, name: str) -> str | None:
    """The remote's URL as `.dvc/config` spells it (DVC itself turns a relative path absolute,
    relative to the config file, which hides that a clone elsewhere would read another folder)."""
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(repo / ".dvc" / "config", encoding="utf-8")
    except configparser.Error:
        return None
    for section in (f'remote "{name}"', f"'remote \"{name}\"'"):
        if parser.has_option(section, "url"):
            return parser.get(section, "url").strip()
    return None


def set_default_remote(repo: Path, url: str, name: str = "local") -> str:
    """Make `url` the project's default remote (written to `.dvc/config`, which git shares).

    A local folder is written as an absolute path, so every clone on the machine (or every
    machine that mounts the drive at the same place) reaches the same folder.
    """
    if "://" not in url:
        url = str(Path(url).expanduser().resolve())
    dvc(repo, "remote", "add", "--force", "--default", name, url)
    return url


def tracked_dvcfiles(repo: Path) -> set[str]:
    """The `.dvc` files DVC finds in the project (paths relative to the root)."""
    with _open_repo(repo) as r:
        return {s.addressing for s in r.index.stages if s.addressing.endswith(".dvc")}


def stale_stages(repo: Path, targets: Sequence[str] | None = None) -> dict[str, Any]:
    """What `dvc status [targets]` reports as not up to date (empty when they are current)."""
    from dvc.exceptions import DvcException

    with _open_repo(repo) as r:
        try:
            data = r.status(targets=list(targets) if targets else None)
        except DvcException as exc:
            raise ToolError(f"`dvc status` failed in {repo}: {exc}") from None
    return data if isinstance(data, dict) else {}


def describe_stale(status: Mapping[str, Any]) -> str:
    """One line naming each stale stage or .dvc file and what changed, from `dvc status --json`."""
    parts = []
    for name, changes in status.items():
        reasons: list[str] = []
        for change in changes if isinstance(changes, list) else [changes]:
            if isinstance(change, str):
                reasons.append(change)
            elif isinstance(change, dict):
                for kind, detail in change.items():
                    if isinstance(detail, dict):
                        reasons.append(
                            kind.replace("changed ", "")
                            + ": "
                            + ", ".join(f"{p} {s}" for p, s in detail.items())
                        )
                    else:
                        reasons.append(f"{kind} {detail}")
        parts.append(f"{name} ({'; '.join(reasons) or 'changed'})")
    return "; ".join(parts)
