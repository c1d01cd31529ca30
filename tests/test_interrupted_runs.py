"""Interrupted and failing runs (issue 12): a killed run's temporary files are removed by the
next run, and an output folder that cannot be written is one line and exit status 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.app import main
from tests.helpers.validate_fixtures import GOOD_P001, returns_csv, workspace

ROOT = Path(__file__).resolve().parent.parent


def _killed_write(target: Path) -> Path:
    """Start an atomic write of `target` in another process and kill it mid-write."""
    script = (
        "import os, sys\n"
        "from pipeline.core.atomic import atomic_path\n"
        "cm = atomic_path(sys.argv[1])\n"
        "tmp = cm.__enter__()\n"
        "tmp.write_text('half a notebook')\n"
        "print(tmp, flush=True)\n"
        "os._exit(9)\n"  # killed: no clean-up runs
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 9
    left = Path(out.stdout.strip())
    assert left.exists() and left.name.startswith(f".{target.name}.pid")
    return left


def test_the_next_run_removes_a_killed_runs_temporary_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = workspace(tmp_path, {"returns/P001.csv": returns_csv(GOOD_P001)})
    left = [
        _killed_write(paths.executed / "01_validate.ipynb"),
        _killed_write(paths.clean_table("returns")),
    ]
    keep = paths.executed / "notes.tmp"  # not a temporary of ours: kept
    keep.write_text("x")
    # Any stage command sweeps first; compute then stops (no clean tables): one line, exit 2.
    with pytest.raises(SystemExit) as info:
        main(["compute", "--cycle", paths.cycle, "-w", str(tmp_path)])
    assert info.value.code == 2
    capsys.readouterr()
    assert not any(p.exists() for p in left)
    assert keep.exists()


def test_a_live_runs_temporary_file_is_left_alone(tmp_path: Path) -> None:
    from pipeline.core.atomic import atomic_path, sweep_temporaries

    target = tmp_path / "reports" / "t" / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text("being written")
        assert sweep_temporaries(tmp_path / "reports") == []
        assert tmp.exists()


def test_an_output_folder_that_cannot_be_written_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = workspace(tmp_path, {"returns/P001.csv": returns_csv(GOOD_P001)})
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    # Tests may run as root, for whom a read-only folder is writable: a file where the reports
    # folder should be fails the same way for everyone.
    (tmp_path / "reports").write_text("not a folder")
    with pytest.raises(SystemExit) as info:
        main(["validate", "--cycle", paths.cycle, "-w", str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("error: ") and "reports" in err


def test_a_killed_report_run_leaves_the_previous_reports_whole(tmp_path: Path) -> None:
    from pipeline.report.audience import render_audience
    from pipeline.report.outputs import output_paths
    from pipeline.report.stage import run_report_stage, staging_dir, swap_in
    from tests.helpers import report_fixtures as rf

    paths = rf.write_workspace(tmp_path)
    final = output_paths(paths, "P001", ["html"])["html"]
    previous = render_audience(paths, "P001", "builtin", ["html"])  # the last complete run
    assert previous.error is None
    before = final.stat().st_ino
    # This run renders into the staging folder; killed before the swap, nothing it made is
    # visible: the report in place is still the previous run's file.
    staging = staging_dir(paths)
    current = render_audience(paths, "P001", "builtin", ["html"], staging)
    assert current.error is None
    staged = Path(current.files[0])
    assert staging in staged.parents and staged.exists()
    assert final.stat().st_ino == before
    # Finished, the run swaps its reports in together.
    new = staged.stat().st_ino
    swap_in(paths, staging, [current])
    assert final.stat().st_ino == new and current.files == [str(final)]
    assert not staging.exists()
    # A leftover staging folder from a killed run is dropped by the next run.
    (staging / "partners" / "P001").mkdir(parents=True)
    (staging / "partners" / "P001" / "health-check.html").write_text("half")
    assert (
        run_report_stage(paths, partners="none", renderer="builtin", formats=["html"], jobs=1) == 0
    )
    assert not staging.exists()
    assert final.stat().st_ino == new  # not re-rendered (partners none): untouched
