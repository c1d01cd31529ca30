"""The registers (partners, contracts, suppliers, spend) are validated too, rule by rule."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.validate.stage import ValidationResult
from tests.helpers.validate_fixtures import GOOD_P001, returns_csv, run, workspace

PARTNERS = """partner_id,name,type,postcode,sme
P001,Acme Care Ltd,private,RM17 6SL,yes
P002,Grays Community Trust,VCFS,RM20 3AA,N
P003,Bad Type Ltd,charity,RM20 3AA,no
P004,Unsure Ltd,private,RM20 3AA,perhaps
P 5,Spaces In Id,public,,
P006,,public,,
P007,Twice Ltd,private,,yes
P007,Twice Limited,private,,yes
P008,Copy Ltd,private,,no
P008,Copy Ltd,private,,no
"""
CONTRACTS = """contract_id,partner_id,title,start,end,value_gbp,outcome_measures,linked_to_subject_matter
C001,P001,Home care,2023-04-01,2027-03-31,100000,CS1-02;CS1-06,yes
C002,P002,Youth work,01/04/2023,31/03/2027,"5,000",,no
C003,P001,Backwards,2024-04-01,2023-03-31,10,CS1-02,yes
C004,P001,Negative,2023-04-01,2027-03-31,-10,CS1-02,yes
C005,P001,Wordy,2023-04-01,2027-03-31,lots,CS1-02,yes
C006,P001,Unlinked,2023-04-01,2027-03-31,10,CS1-02,sometimes
C007,P999,Stranger,2023-04-01,2027-03-31,10,CS1-02,yes
C008,P001,Unknown measure,2023-04-01,2027-03-31,10,CS1-02;CS9-09,yes
C009,P001,Bad date,2023-13-01,2027-03-31,10,CS1-02,yes
C010,P003,Partner rejected,2023-04-01,2027-03-31,10,CS1-02,yes
"""
SUPPLIERS = """supplier_id,name,postcode,type,sme
S1,Local Ltd,RM17 6SL,private,yes
S2,Odd Ltd,RM17 6SL,cooperative,yes
S3,Dup Ltd,,private,no
S3,Dup Two Ltd,,private,no
"""
SPEND = """Body,Date,Transaction Number,Amount,Supplier Name,Supplier ID,Expense Area,Expense Type
Thurrock Council,01/04/2025,T1,"1,500.00",Local Ltd,S1,Place,Consultancy
Thurrock Council,2025-04-02,T2,-250.00,Local Ltd,S1,Place,Credit note
Thurrock Council,32/04/2025,T3,600,Local Ltd,S1,Place,Consultancy
Thurrock Council,2025-04-03,T4,six hundred,Local Ltd,S1,Place,Consultancy
Thurrock Council,2025-04-03,T5,600,,S1,Place,Consultancy
"""

# (file, row, expectation, column, words) for each rejected register row.
REJECTED = [
    (
        "partners.csv",
        4,
        "expect_column_values_to_match_regex",
        "type",
        "value 'charity' in column type is not one of private, vcfs, public",
    ),
    (
        "partners.csv",
        5,
        "expect_column_values_to_match_regex",
        "sme",
        "value 'perhaps' in column sme is not yes or no",
    ),
    (
        "partners.csv",
        6,
        "expect_column_values_to_match_regex",
        "partner_id",
        "partner id 'P 5' can only use letters, digits",
    ),
    ("partners.csv", 7, "expect_column_values_to_not_be_null", "name", "column name is empty"),
    (
        "partners.csv",
        8,
        "expect_column_values_to_be_unique",
        "partner_id",
        "partner 'P007' appears more than once",
    ),
    (
        "partners.csv",
        9,
        "expect_column_values_to_be_unique",
        "partner_id",
        "partner 'P007' appears more than once",
    ),
    ("partners.csv", 11, "row_is_not_an_exact_duplicate", None, "repeats row 10 of partners.csv"),
    (
        "contracts.csv",
        4,
        "expect_column_values_to_be_in_set",
        "end",
        "end date '2023-03-31' is before the start date '2024-04-01'",
    ),
    (
        "contracts.csv",
        5,
        "expect_column_values_to_be_between",
        "value_gbp",
        "value '-10' in column value_gbp is negative",
    ),
    (
        "contracts.csv",
        6,
        "expect_column_values_to_match_regex",
        "value_gbp",
        "value 'lots' in column value_gbp is not a number",
    ),
    (
        "contracts.csv",
        7,
        "expect_column_values_to_match_regex",
        "linked_to_subject_matter",
        "value 'sometimes' in column linked_to_subject_matter is not yes or no",
    ),
    (
        "contracts.csv",
        8,
        "expect_column_values_to_be_in_set",
        "partner_id",
        "partner 'P999' in column partner_id is not in the partners register",
    ),
    (
        "contracts.csv",
        9,
        "expect_column_values_to_be_null",
        "outcome_measures",
        "column outcome_measures lists CS9-09, which is not a measure of the framework",
    ),
    (
        "contracts.csv",
        10,
        "expect_column_values_to_be_in_set",
        "start",
        "value '2023-13-01' in column start is not a date",
    ),
    # P003 was itself rejected, so its contract cannot be accepted either.
    (
        "contracts.csv",
        11,
        "expect_column_values_to_be_in_set",
        "partner_id",
        "partner 'P003' in column partner_id is not in the partners register",
    ),
    (
        "suppliers.csv",
        3,
        "expect_column_values_to_match_regex",
        "type",
        "value 'cooperative' in column type is not one of private, vcfs, public",
    ),
    (
        "suppliers.csv",
        4,
        "expect_column_values_to_be_unique",
        "supplier_id",
        "supplier 'S3' appears more than once",
    ),
    (
        "suppliers.csv",
        5,
        "expect_column_values_to_be_unique",
        "supplier_id",
        "supplier 'S3' appears more than once",
    ),
    (
        "spend.csv",
        4,
        "expect_column_values_to_be_in_set",
        "date",
        "value '32/04/2025' in column date is not a date",
    ),
    (
        "spend.csv",
        5,
        "expect_column_values_to_be_in_set",
        "amount",
        "value 'six hundred' in column amount is not an amount of money",
    ),
]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    files = {
        "partners.csv": PARTNERS,
        "contracts.csv": CONTRACTS,
        "suppliers.csv": SUPPLIERS,
        "spend.csv": SPEND,
        "P001.csv": returns_csv(GOOD_P001),
    }
    return run(workspace(tmp_path_factory.mktemp("registers"), files))


@pytest.mark.parametrize(("file", "row", "expectation", "column", "words"), REJECTED)
def test_register_row_failing_a_rule_is_quarantined(
    result: ValidationResult,
    file: str,
    row: int,
    expectation: str,
    column: str | None,
    words: str,
) -> None:
    found = [q for q in result.rejections if q.file == file and q.row == row]
    assert len(found) == 1
    assert (found[0].expectation, found[0].column) == (expectation, column)
    assert words in found[0].reason


def test_only_good_register_rows_are_clean(result: ValidationResult) -> None:
    def rows(kind: str) -> list[int]:
        return sorted(result.tables[kind]["source_row"])

    assert rows("partners") == [2, 3, 10]  # P008's first copy is kept
    assert rows("contracts") == [2, 3]
    assert rows("suppliers") == [2]
    # A negative amount is a credit note, not an error; a payment with no supplier name is a
    # redacted payment (to a person): real spend, kept and marked.
    assert rows("spend") == [2, 3, 6]
    assert result.tables["spend"]["redacted"].tolist() == [False, False, True]


def test_clean_registers_are_typed(result: ValidationResult) -> None:
    partners = result.tables["partners"].set_index("partner_id")
    assert partners.at["P002", "type"] == "vcfs"  # VCFS, as typed, is read as vcfs
    assert partners.at["P002", "sme"] == False  # noqa: E712 - pandas boolean
    contracts = result.tables["contracts"].set_index("contract_id")
    assert contracts.at["C002", "value_gbp"] == 5000.0
    assert contracts.at["C002", "start"] == pd.Timestamp("2023-04-01")
    assert contracts.at["C002", "outcome_measures"] == ""
    assert contracts.at["C001", "outcome_measures"] == "CS1-02;CS1-06"
    spend = result.tables["spend"].set_index("transaction_number")
    assert spend.at["T1", "amount"] == 1500.0 and spend.at["T2", "amount"] == -250.0


def test_register_faults_go_to_no_partner(result: ValidationResult) -> None:
    assert all(q.partner_id is None for q in result.rejections if q.kind != "returns")
