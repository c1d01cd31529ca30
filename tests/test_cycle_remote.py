"""`svf remote set`: where closed cycles go, written so that every clone reaches the same place."""

from __future__ import annotations

import configparser
import shutil
from pathlib import Path

import pytest

from pipeline.core import dvc_tools as tools
from pipeline.cycles.lifecycle import remote_needs_setting
from tests.helpers.cycle_repo import PROJECT, dvc, git, svf

pytestmark = [pytest.mark.dvc]

if shutil.which("git") is None:  # pragma: no cover - CI installs git
    pytest.skip("git is not installed", allow_module_level=True)


def _url(repo: Path) -> str:
    parser = configparser.ConfigParser()
    parser.read(repo / ".dvc" / "config")
    return parser.get("'remote \"local\"'", "url")


def test_remote_set_writes_a_folder_as_an_absolute_path(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    assert remote_needs_setting(repo) == "no default DVC remote is set"
    # As the shipped config has it: relative to .dvc/, so a clone elsewhere reads another folder.
    dvc(repo, "remote", "add", "-d", "local", "../shared")
    assert _url(repo) == "../../shared"
    assert remote_needs_setting(repo) == "the DVC remote 'local' is the relative path ../../shared"

    done = svf(repo, "remote", "set", "../shared")
    assert _url(repo) == str(tmp_path / "shared")
    assert remote_needs_setting(repo) is None
    assert "remote local is now " + str(tmp_path / "shared") in " ".join(done.stderr.split())
    assert tools.default_remote(repo) == ("local", str(tmp_path / "shared"))

    svf(repo, "remote", "set", "s3://council-svf/dvc")
    assert _url(repo) == "s3://council-svf/dvc"


def test_close_refuses_with_the_reason_and_leaves_no_tag(tmp_path: Path) -> None:
    """The checks that come before any run is looked at: remote, uncommitted work, no run."""
    repo = tmp_path / "project"
    (repo / "data/raw/2025-26").mkdir(parents=True)
    (repo / "data/raw/2025-26/partners.csv").write_text("partner_id,name\nP1,Alpha\n")
    (repo / "params.yaml").write_text("cycle: 2025-26\ncycles: [2025-26]\n")
    (repo / "notes.txt").write_text("v1\n")
    shutil.copy(PROJECT / ".gitignore", repo / ".gitignore")  # raw returns never in git
    git(repo, "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    git(repo, "add", "params.yaml", "notes.txt", ".gitignore", ".dvc")
    git(repo, "commit", "-q", "-m", "project")

    def refused() -> str:
        result = svf(repo, "cycle", "close", "2025-26", ok=False)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert git(repo, "tag", "--list").stdout == ""
        return " ".join(result.stderr.split())

    assert "no default DVC remote to push the cycle to; set one with `svf remote set" in refused()
    dvc(repo, "remote", "add", "-d", "local", "../shared")
    assert "is the relative path ../../shared" in refused()
    svf(repo, "remote", "set", str(tmp_path / "shared"))
    (repo / "notes.txt").write_text("v2\n")
    assert "uncommitted changes in notes.txt" in refused()
    git(repo, "checkout", "--", "notes.txt")
    # .dvc/config changed (the remote) is the close's own record to commit, not a refusal.
    assert "the pipeline has never run here (no dvc.lock); run `svf run`" in refused()
