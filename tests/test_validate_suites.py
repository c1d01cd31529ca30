"""The expectation suites in expectations/ are generated from the contract and the framework,
and a new measure in framework.yaml needs no suite edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.cli.app import main
from pipeline.core.contract import KINDS
from pipeline.core.errors import UserError
from pipeline.core.framework import load_framework
from pipeline.validate.expectations import build_suites, suite_json
from tests.helpers.validate_fixtures import ROOT, returns_csv, run, workspace

FRAMEWORK = load_framework(ROOT / "data" / "reference" / "framework.yaml")


@pytest.mark.parametrize("kind", KINDS)
def test_committed_suite_is_what_the_generator_writes(kind: str) -> None:
    committed = (ROOT / "expectations" / f"{kind}.json").read_text(encoding="utf-8")
    assert committed == suite_json(build_suites(FRAMEWORK)[kind]), (
        "expectations/ is stale: run `svf validate --write-suites`"
    )


def _with_new_measures(path: Path) -> Path:
    """framework.yaml plus a partner measure CS5-04 and a council measure CS5-05."""
    data = yaml.safe_load((ROOT / "data" / "reference" / "framework.yaml").read_text("utf-8"))
    cs5 = next(t for t in data["themes"] if t["code"] == "CS5")
    cs5["measures"].append(
        {
            "id": "CS5-04",
            "text": "Trees planted",
            "unit": "count",
            "direction": "higher",
            "rollup": "sum",
        }
    )
    cs5["measures"].append(
        {
            "id": "CS5-05",
            "text": "Council fleet miles",
            "unit": "miles",
            "direction": "lower",
            "rollup": "sum",
            "level": "council",
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_new_measure_needs_no_suite_edit(tmp_path: Path) -> None:
    contracts = (
        "contract_id,partner_id,title,start,end,value_gbp,outcome_measures,"
        "linked_to_subject_matter\n"
        "C001,P001,Tree planting,2023-04-01,2027-03-31,1000,CS5-04,yes\n"
    )
    paths = workspace(
        tmp_path,
        {
            "contracts.csv": contracts,
            "P001.csv": returns_csv(
                "P001,C001,CS5-04,2024/25,250,,,Planting log,yes,,2025-04-10",
                "P001,C001,CS5-05,2024/25,250,,,Fleet log,yes,,2025-04-10",
            ),
        },
    )
    _with_new_measures(paths.framework)
    new = load_framework(paths.framework)
    assert {"CS5-04", "CS5-05"} <= new.measure_ids
    assert build_suites(new) == build_suites(FRAMEWORK)  # same suites, nothing to edit
    result = run(paths)
    assert result.tables["returns"]["measure_id"].tolist() == ["CS5-04"]
    (rejected,) = result.rejections
    assert rejected.reason.startswith("measure CS5-05 is a council-level measure")


def test_write_suites_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data" / "reference").mkdir(parents=True)
    (tmp_path / "data" / "reference" / "framework.yaml").write_bytes(
        (ROOT / "data" / "reference" / "framework.yaml").read_bytes()
    )
    with pytest.raises(SystemExit) as info:
        main(["validate", "--cycle", "any", "--workspace", str(tmp_path), "--write-suites"])
    assert int(info.value.code or 0) == 0
    for kind in KINDS:
        written = json.loads((tmp_path / "expectations" / f"{kind}.json").read_text("utf-8"))
        assert written == build_suites(FRAMEWORK)[kind]
    assert capsys.readouterr().err.count("wrote") == len(KINDS)


def test_broken_suite_file_is_a_one_line_user_error(tmp_path: Path) -> None:
    paths = workspace(tmp_path, {"P001.csv": returns_csv()})
    (paths.expectations / "returns.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match=r"returns.json: not valid JSON \(line 1"):
        run(paths)


def test_suite_naming_a_missing_column_is_a_user_error(tmp_path: Path) -> None:
    paths = workspace(
        tmp_path,
        {"P001.csv": returns_csv("P001,C001,CS1-02,2024/25,1,,,Timesheets,yes,,2025-04-10")},
    )
    suite = json.loads((paths.expectations / "returns.json").read_text("utf-8"))
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "no_such_column"},
            "meta": {"column": "no_such_column", "sentence": "x"},
        }
    )
    (paths.expectations / "returns.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(UserError, match="returns.json: expectation #.* could not run"):
        run(paths)
