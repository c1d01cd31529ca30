"""Identity, provenance, fault isolation and bounded numbers in the validate stage (issue 12).

Every cycle here goes through the real validate stage (`validate_cycle`, and `write_outputs`
where a test reads the files a partner is sent).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.validate.stage import write_outputs
from tests.helpers.hostile_files import RETURNS_HEADER, dimension_bomb, sheet_xml, workbook
from tests.helpers.validate_fixtures import (
    CONTRACTS,
    GOOD_P001,
    PARTNERS,
    returns_csv,
    run,
    workspace,
)

P002_ROW = "P002,C002,CS1-01,2024/25,5,6,,Register,yes,,2025-04-10"


def _reasons(result, file: str) -> dict[int | None, str]:  # noqa: ANN001
    return {r.row: r.reason for r in result.rejections if r.file == file}


def _feedback(paths, partner: str) -> list[dict[str, str]]:  # noqa: ANN001
    path = paths.data_quality / "partners" / f"{partner}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------------------ identity


def test_case_twin_partner_ids_are_refused_and_nothing_leaks_between_them(
    tmp_path: Path,
) -> None:
    partners = PARTNERS + "p001,Another Acme,private,RM17 6SL,no\n"
    paths = workspace(
        tmp_path,
        {
            "partners.csv": partners,
            "returns/P001.csv": returns_csv(GOOD_P001),
            # p001's rejected row (a bad value) must not reach P001's feedback or reports.
            "returns/p001.csv": returns_csv("p001,C001,CS1-02,2024/25,lots,,,,,,"),
        },
    )
    result = run(paths)
    reasons = _reasons(result, "partners.csv")
    assert (
        "partner id 'P001' differs from 'p001' (row 4) only in upper and lower case" in (reasons[2])
    )
    assert (
        "partner id 'p001' differs from 'P001' (row 2) only in upper and lower case" in (reasons[4])
    )
    assert set(result.tables["partners"]["partner_id"]) == {"P002"}
    # Neither twin owns a file: their rows go to the council's quarantine, to no partner.
    assert [r.partner_id for r in result.rejections if r.kind == "returns"] == [None, None]
    write_outputs(paths, result)
    assert _feedback(paths, "P001") == [] and _feedback(paths, "p001") == []


def test_a_partner_id_over_64_characters_is_refused_row_by_row(tmp_path: Path) -> None:
    long_id = "P" * 300
    paths = workspace(tmp_path, {"partners.csv": PARTNERS + f"{long_id},Long Ltd,private,,\n"})
    result = run(paths)
    assert "is longer than 64 characters" in _reasons(result, "partners.csv")[4]
    assert set(result.tables["partners"]["partner_id"]) == {"P001", "P002"}


def test_a_register_id_given_twice_still_routes_its_partners_feedback(tmp_path: Path) -> None:
    partners = PARTNERS + "P001,Acme Care (new name),private,RM17 6SL,yes\n"
    paths = workspace(
        tmp_path, {"partners.csv": partners, "returns/P001.csv": returns_csv(GOOD_P001)}
    )
    result = run(paths)
    write_outputs(paths, result)
    assert {2, 4} <= set(_reasons(result, "partners.csv"))
    rows = _feedback(paths, "P001")
    assert [r["row"] for r in rows] == ["2"]
    assert "not in the partners register" in rows[0]["problem"]


# ---------------------------------------------------------------------------------- provenance


def test_a_partner_file_cannot_supersede_another_partners_figure(tmp_path: Path) -> None:
    spoof = "P002,C002,CS1-01,2024/25,500,6,,Forged,yes,,2025-06-30"  # later date than P002's
    paths = workspace(
        tmp_path,
        {
            "returns/P001.csv": returns_csv(GOOD_P001, spoof),
            "returns/P002.csv": returns_csv(P002_ROW),
        },
    )
    result = run(paths)
    returns = result.tables["returns"].set_index("source_file")
    assert returns.at["returns/P002.csv", "value"] == 5.0  # P002's own figure stands
    assert result.superseded.empty
    reason = _reasons(result, "returns/P001.csv")[3]
    assert reason.startswith("this file is P001's; the row is for partner 'P002'")
    write_outputs(paths, result)
    assert _feedback(paths, "P002") == []  # P002 is not told about P001's file
    assert [r["row"] for r in _feedback(paths, "P001")] == ["3"]


def test_files_are_owned_by_name_or_folder_and_the_rest_are_listed_as_combined(
    tmp_path: Path,
) -> None:
    paths = workspace(
        tmp_path,
        {
            "returns/P001-resubmission.csv": returns_csv(GOOD_P001),
            "returns/P002/q4.csv": returns_csv(P002_ROW),
            "returns/council-combined.csv": returns_csv(
                P002_ROW.replace("2024/25", "2023/24"),
                "P999,C001,CS1-02,2024/25,1,,,,,,",  # a partner nobody registered
            ),
        },
    )
    result = run(paths)
    owners = {f.file: f.partner for f in result.files if f.kind == "returns"}
    assert owners == {
        "returns/P001-resubmission.csv": "P001",
        "returns/P002/q4.csv": "P002",
        "returns/council-combined.csv": None,
    }
    summary = result.summary()
    assert summary["combined_files"] == ["returns/council-combined.csv"]
    assert (
        "partner 'P999' in column partner_id is not in the partners register"
        in (_reasons(result, "returns/council-combined.csv")[3])
    )
    assert len(result.tables["returns"]) == 3


# ------------------------------------------------------------------------ one file, one fault


def test_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    broken = sheet_xml([RETURNS_HEADER, ["P002", "C002", "CS1-01", "2024/25", 7]]).replace(
        "</sheetData>", "<row><c><v>1</c></sheetData>"
    )
    paths = workspace(
        tmp_path,
        {
            "partners.csv": PARTNERS.replace("sme\n", "sme,Source Row\n", 1),
            "returns/P001.csv": returns_csv(GOOD_P001).replace(
                "submitted_on\n", "submitted_on,Source File\n", 1
            ),
            "returns/P002.xlsx": workbook([("Returns", "visible", broken)]),
            "returns/P002-bomb.xlsx": dimension_bomb(),
        },
    )
    result = run(paths)
    errors = {f.file: f.file_error for f in result.files if f.file_error}
    assert set(errors) == {"returns/P002.xlsx", "returns/P002-bomb.xlsx"}
    assert errors["returns/P002.xlsx"].startswith(
        "returns/P002.xlsx: corrupt or unreadable Excel workbook (ParseError"
    )
    assert "declares 1,048,576 rows" in errors["returns/P002-bomb.xlsx"]
    assert list(result.tables["returns"]["source_file"]) == ["returns/P001.csv"]
    assert set(result.tables["partners"]["partner_id"]) == {"P001", "P002"}
    assert result.summary()["reconciles"] is True


def test_rows_the_reader_faulted_are_quarantined_and_counted(tmp_path: Path) -> None:
    data = (
        returns_csv(GOOD_P001).encode()
        + b"P001,C001,CS1-06,2024/25,40,,,,,caf\xe9 \xe2\x80\x93 ok?,2025-04-10\n"
        + "P001,C001,CS2-08,2024/25,10,,,,,café – fine,2025-04-10\n".encode()
        + b"P001,C001,CS1-02,2023/24,1\x002,,,,,,2025-04-10\n"
    )
    result = run(workspace(tmp_path, {"returns/P001.csv": data}))
    reasons = _reasons(result, "returns/P001.csv")
    assert set(reasons) == {3, 5}
    assert "column comment holds bytes that are not text" in reasons[3]
    assert reasons[5] == "the cell in column value holds a NUL character (\\0)"
    count = next(f for f in result.files if f.file == "returns/P001.csv")
    assert (count.rows, count.clean, count.quarantined) == (4, 2, 2)
    assert result.summary()["reconciles"] is True


# ------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ("9" * 400, "value"),  # overflows to inf as a float
        ("1" + "0" * 300, "value"),  # finite, but no partner delivered 1e300 hours
        ("100000001", "value"),  # just over the hours ceiling
        ("1" + "0" * 400, "target"),
    ],
)
def test_values_beyond_the_ceilings_are_quarantined(
    tmp_path: Path, value: str, column: str
) -> None:
    row = GOOD_P001.split(",")
    row[4 if column == "value" else 5] = value
    result = run(workspace(tmp_path, {"returns/P001.csv": returns_csv(",".join(row))}))
    assert result.tables["returns"].empty
    reason = _reasons(result, "returns/P001.csv")[2]
    assert f"in column {column} is negative or implausibly large" in reason
    assert "validate.ceilings.hours" in reason


def test_ceilings_come_from_params_yaml(tmp_path: Path) -> None:
    paths = workspace(tmp_path, {"returns/P001.csv": returns_csv(GOOD_P001)})
    (tmp_path / "params.yaml").write_text("validate:\n  ceilings:\n    hours: 100\n")
    result = run(paths)  # GOOD_P001 returns 120 hours
    assert "validate.ceilings.hours" in _reasons(result, "returns/P001.csv")[2]


def test_an_implausible_contract_value_is_quarantined(tmp_path: Path) -> None:
    contracts = CONTRACTS.replace(",100000,", ",1" + "0" * 30 + ",")
    result = run(workspace(tmp_path, {"contracts.csv": contracts}))
    assert "value_gbp is negative or implausibly large" in _reasons(result, "contracts.csv")[2]


def test_a_target_of_zero_gets_a_status_from_the_rule_and_no_infinity(tmp_path: Path) -> None:
    import numpy as np

    from pipeline.outcomes.stage import compute_cycle

    # 5 hours against a target of 0 (higher is better): met, so on track; CS2-08 (GBP) 0 of 0.
    paths = workspace(
        tmp_path,
        {
            "returns/P001.csv": returns_csv(
                "P001,C001,CS1-02,2024/25,5,0,,Timesheets,yes,,2025-04-10",
                "P001,C001,CS1-02,2023/24,0,0,,Timesheets,yes,,2024-04-10",
            )
        },
    )
    write_outputs(paths, run(paths))
    measures = compute_cycle(paths).measures
    mine = measures[(measures["partner_id"] == "P001") & (measures["measure_id"] == "CS1-02")]
    by_period = mine.groupby("period")["status"].first().to_dict()
    assert by_period["2024/25"] == "on track"
    numbers = measures.select_dtypes("number").to_numpy(dtype="float64")
    assert not np.isinf(numbers).any()
