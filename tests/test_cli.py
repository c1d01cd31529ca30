"""The `svf` command line: useful output, and one line with exit status 2 for a user's mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "data" / "reference" / "framework.yaml"
#: The installed console script: beside the interpreter running the tests, else on PATH.
SVF = shutil.which("svf", path=str(Path(sys.executable).parent)) or shutil.which("svf")


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def test_framework_prints_every_theme_and_measure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "framework", "--framework", str(FRAMEWORK))
    assert code == 0
    for label in (
        "CS1 Social",
        "CS2 Economic",
        "CS3 Equality",
        "CS4 Compassion",
        "CS5 Environmental",
    ):
        assert label in out
    for theme, n in (("CS1", 7), ("CS2", 10), ("CS3", 3), ("CS4", 4), ("CS5", 3)):
        for i in range(1, n + 1):
            assert f"{theme}-{i:02d}" in out
    assert "5 themes, 27 measures" in out
    assert "Outcomes: Strong communities and a thriving voluntary sector;" in out


def test_broken_framework_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "framework.yaml"
    broken.write_text(
        FRAMEWORK.read_text(encoding="utf-8").replace("id: CS3-02", "id: CS3-01"), encoding="utf-8"
    )
    code, _, err = run(capsys, "framework", "-f", str(broken))
    assert code == 2
    assert "measure CS3-01: duplicate id" in one_line_error(err)
    code, _, err = run(capsys, "framework", "-f", str(tmp_path / "missing.yaml"))
    assert code == 2 and "framework file not found" in one_line_error(err)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_cycle_folder_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    code, _, err = run(capsys, command, "--cycle", "2031-32", "--workspace", str(tmp_path))
    assert code == 2
    line = one_line_error(err)
    assert f"no input folder {tmp_path / 'data' / 'raw' / '2031-32'}" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate", "--cycle", "../etc"], "is not a valid cycle id"),
        (["sample", "--partners", "0"], "Invalid value for '--partners'"),
        (["sample", "--years", "three"], "Invalid value for '--years'"),
        (["sample", "--colour"], "No such option: --colour"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["report", "--renderer", "latex"], "unknown renderer 'latex'"),
        (["report", "--formats", "docx"], "unknown format 'docx'"),
        (["sample", "--end-period", "2025-26"], "end period '2025-26' is not a UK financial year"),
    ],
)
def test_bad_usage_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    expected: str,
) -> None:
    # Run from an empty folder, so nothing could be written into the project by mistake.
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert expected in one_line_error(err)


def test_unreadable_params_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "params.yaml").write_text("cycle: [sample\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", "--workspace", str(tmp_path))
    assert code == 2
    assert "params.yaml: not valid YAML (line 2, column 1:" in one_line_error(err)


def test_sample_writes_the_cycle_folder_and_refuses_real_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "sample",
        "--workspace",
        str(tmp_path),
        "--cycle",
        "demo",
        "--partners",
        "4",
        "--years",
        "2",
        "--seed",
        "9",
        "--messy",
    )
    assert code == 0, err
    raw = tmp_path / "data" / "raw" / "demo"
    message = " ".join(err.split())
    assert message.startswith(f"wrote sample cycle to {raw} (4 partners, 2 years 2024/25 to")
    assert {
        "partners.csv",
        "contracts.csv",
        "spend.csv",
        "suppliers.csv",
        ".sample-manifest.json",
    } <= {p.name for p in raw.iterdir()}
    assert any((raw / "returns").iterdir())
    real = tmp_path / "real"
    real.mkdir()
    (real / "P001.csv").write_text("partner_id\n", encoding="utf-8")
    code, _, err = run(capsys, "sample", "--out", str(real))
    assert code == 2 and "already holds files not written by `svf sample`" in one_line_error(err)


def test_installed_command_reports_a_missing_folder_without_traceback(tmp_path: Path) -> None:
    # The real console script, as a user runs it.
    assert SVF is not None, "the svf console script is not installed (pip install -e .)"
    result = subprocess.run(
        [SVF, "validate", "--cycle", "nope", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert one_line_error(result.stderr).startswith("error: no input folder")
    assert result.stdout == ""


def test_error_text_is_shown_as_typed_not_as_markup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A file name (or a partner's text) in a message may contain rich markup-like brackets.
    code, _, err = run(capsys, "framework", "-f", str(tmp_path / "[bold]framework.yaml"))
    assert code == 2
    assert f"{tmp_path}/[bold]framework.yaml: framework file not found" in one_line_error(err)
