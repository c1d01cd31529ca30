"""`svf remote set`: where closed cycles go, written so that every clone reaches the same place."""

from __future__ import annotations

import configparser
import shutil
from pathlib import Path

import pytest
from _cycle_repo import dvc, git, svf

from pipeline import dvc_tools as tools
from pipeline.cycle import remote_needs_setting

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
