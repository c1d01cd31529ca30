"""`svf review`: the points a reviewer must look at, and the sign-off the council report states."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.core.errors import UserError
from pipeline.report import sections as hc
from pipeline.report.views import load_view
from pipeline.validate.review import clean_name, record_sign_off, signed_off, unsigned_warning
from pipeline.validate.stage import write_outputs
from tests.helpers import report_fixtures as rf
from tests.helpers.cli import run as svf
from tests.helpers.validate_fixtures import returns_csv, run, workspace

AT = dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC)
FILES = {
    "returns/P001.csv": returns_csv(
        "P001,C001,CS1-02,2024/25,100,,,Timesheets,yes,,2025-04-10",
        "P001,C001,CS1-02,2024/25,120,,,Timesheets,yes,,2025-05-10",
    ),
    "returns/P002.csv": returns_csv("P002,C002,CS1-01,2023/24,seven,,,Register,yes,,2024-04-10"),
}


@pytest.fixture
def validated(tmp_path):  # noqa: ANN001, ANN201
    paths = workspace(tmp_path, FILES)
    write_outputs(paths, run(paths))
    return paths


def test_review_lists_what_to_look_at_then_sign_records_name_and_time(
    validated, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = validated
    assert "no data-quality sign-off" in unsigned_warning(paths)
    code, out, _ = svf(capsys, "review", "--cycle", paths.cycle, "-w", str(paths.workspace))
    assert code == 0
    text = " ".join(out.split())
    assert "Files refused: none." in text
    assert "P002" in text and "value is a number" in text  # the one rejection and its check
    assert "Rows superseded (1)" in text and "returns/P001.csv" in text
    assert "Not signed off" in text

    review = record_sign_off(paths, "  Alex   Reviewer ", at=AT)
    assert review == {"by": "Alex Reviewer", "at": "2026-11-28T09:15:00+00:00"}
    on_disk = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    assert on_disk["review"] == review and on_disk["totals"]["rows"] == 7
    assert signed_off(paths) == review and unsigned_warning(paths) is None
    page = (paths.data_quality / "index.html").read_text(encoding="utf-8")
    assert "Data quality reviewed by <strong>Alex Reviewer</strong> on 28 November 2026" in page

    # New results are not the ones reviewed: validating again drops the sign-off.
    write_outputs(paths, run(paths))
    assert signed_off(paths) is None


def test_sign_from_the_command_line(validated, capsys: pytest.CaptureFixture[str]) -> None:
    paths = validated
    code, _, err = svf(
        capsys, "review", "-c", paths.cycle, "-w", str(paths.workspace), "--sign", "Sam Lee"
    )
    assert code == 0 and "reviewed by Sam Lee" in " ".join(err.split())
    assert signed_off(paths)["by"] == "Sam Lee"


@pytest.mark.parametrize("name", ["", "   ", "Alex\x1b[31mRed", "x" * 121])
def test_a_name_must_be_one_line_of_plain_text(name: str) -> None:
    with pytest.raises(UserError):
        clean_name(name)


def test_review_without_results_says_to_validate_first(tmp_path, capsys) -> None:  # noqa: ANN001
    paths = workspace(tmp_path, FILES)
    code, _, err = svf(capsys, "review", "-c", paths.cycle, "-w", str(paths.workspace))
    assert code == 2 and "run `svf validate --cycle t` first" in err


def test_council_report_states_the_sign_off(tmp_path) -> None:  # noqa: ANN001
    paths = rf.write_workspace(tmp_path)

    def stated() -> list[str]:
        view = load_view(paths.cycle, paths.workspace, "council")
        blocks = hc.data_quality(view)
        return [
            "".join(r["text"] for r in b["runs"])
            for b in json.loads(json.dumps(list(blocks.blocks)))
            if b["type"] == "para" and "reviewed by" in "".join(r["text"] for r in b["runs"])
        ]

    assert stated() == []
    record_sign_off(paths, "A. Reviewer", at=AT)
    assert stated() == ["Data quality reviewed by A. Reviewer on 2026-11-28."]
