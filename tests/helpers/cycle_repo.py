"""Running git, dvc and svf in the review-cycle tests' temporary repositories."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
ENV = {
    **os.environ,
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
}


def run(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(args), cwd=repo, env=ENV, text=True, capture_output=True, check=False
    )
    if ok and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def svf(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """`svf ARGS` in `repo`, run by the interpreter running the tests (`python -m pipeline`)."""
    return run(repo, sys.executable, "-m", "pipeline", *args, ok=ok)


def dvc(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run(repo, sys.executable, "-m", "dvc", *args, ok=ok)


def git(repo: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return run(repo, "git", *args, ok=ok)


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "--list").stdout.split()


def ran(output: str) -> set[str]:
    """Stages `dvc repro` (or `svf run` through it) executed, from its output: `validate@2025-26`."""
    return set(re.findall(r"Running stage '([a-z]+@[^']+)'", output))
