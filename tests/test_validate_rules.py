"""Every rule of the returns suite, with a row that passes it and a row that fails it.

One cycle holds all the rows (validating once keeps the test fast); each row is built to break
exactly the rule it is about, with a period of its own so no two rows share a key by accident.
The expected sentences are the ones a partner reads in their feedback file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.validate.stage import ValidationResult
from tests.helpers.validate_fixtures import returns_csv, run, workspace

_periods = iter(f"{y}/{(y + 1) % 100:02d}" for y in range(1980, 2026))


def r(
    period: str | None = None,
    *,
    partner: str = "P001",
    contract: str = "C001",
    measure: str = "CS1-02",
    value: str = "10",
    target: str = "",
    denominator: str = "",
    verified: str = "yes",
    comment: str = "",
    submitted: str = "2025-04-10",
    extra: str = "",
) -> str:
    """One return row; by default a good one, in a period no other row uses."""
    period = next(_periods) if period is None else period
    row = (
        f"{partner},{contract},{measure},{period},{value},{target},{denominator},Timesheets,"
        f"{verified},{comment},{submitted}"
    )
    return row + (f",{extra}" if extra else "")


# (case, row, expected): expected is None for a row that must be accepted, else
# (expectation, column, words of the sentence).
CASES: list[tuple[str, str, tuple[str, str | None, str] | None]] = [
    ("good", r(), None),
    (
        "extra cells",
        r(extra="surprise"),
        (
            "expect_column_values_to_be_null",
            "_extra_cells",
            "the row has cells beyond the last column heading ('surprise')",
        ),
    ),
    (
        "partner_id missing",
        r(partner=""),
        ("expect_column_values_to_not_be_null", "partner_id", "column partner_id is empty"),
    ),
    (
        "contract_id missing",
        r(contract=""),
        ("expect_column_values_to_not_be_null", "contract_id", "column contract_id is empty"),
    ),
    (
        "measure_id missing",
        r(measure=""),
        ("expect_column_values_to_not_be_null", "measure_id", "column measure_id is empty"),
    ),
    (
        "period missing",
        r(period=""),
        ("expect_column_values_to_not_be_null", "period", "column period is empty"),
    ),
    (
        "value missing",
        r(value=""),
        ("expect_column_values_to_not_be_null", "value", "column value is empty"),
    ),
    ("measure lower case is the same measure", r(measure=" cs1-06 ", value="55"), None),
    (
        "measure not in framework",
        r(measure="CS9-01"),
        (
            "expect_column_values_to_be_in_set",
            "measure_id",
            "measure 'CS9-01' in column measure_id is not a measure of the framework",
        ),
    ),
    (
        "council-level measure",
        r(measure="CS2-02"),
        (
            "expect_column_values_to_not_be_in_set",
            "measure_id",
            "measure CS2-02 is a council-level measure",
        ),
    ),
    (
        "period as an ambiguous FY25",
        r(period="FY25"),
        (
            "expect_column_values_to_match_regex",
            "period",
            "period 'FY25' is not a financial year written like 2024/25",
        ),
    ),
    (
        "period years not consecutive",
        r(period="2011/13"),
        (
            "expect_column_values_to_be_in_set",
            "period",
            "period '2011/13' is not a financial year: its two years must be consecutive",
        ),
    ),
    (
        "period in the future",
        r(period="2027/28"),
        ("expect_column_values_to_be_between", "period", "period '2027/28' is in the future"),
    ),
    ("current financial year is not future", r(period="2026/27"), None),
    ("value with thousands comma", r(value='"1,200"'), None),
    ("money with pound sign", r(measure="CS2-08", value='"£1,000.50"'), None),
    (
        "value is a word",
        r(value="twelve"),
        (
            "expect_column_values_to_match_regex",
            "value",
            "value 'twelve' in column value is not a number",
        ),
    ),
    (
        "target is a word",
        r(target="lots"),
        (
            "expect_column_values_to_match_regex",
            "target",
            "value 'lots' in column target is not a number",
        ),
    ),
    (
        "denominator is n/a",
        r(denominator="n/a"),
        (
            "expect_column_values_to_match_regex",
            "denominator",
            "value 'n/a' in column denominator is not a number",
        ),
    ),
    ("percentage of exactly 100", r(measure="CS1-06", value="100", denominator="40"), None),
    (
        "percentage over 100",
        r(measure="CS1-06", value="120"),
        (
            "expect_column_values_to_be_between",
            "value",
            "value '120' in column value is outside 0 to 100: measure CS1-06 is a percentage",
        ),
    ),
    ("hours of zero", r(value="0"), None),
    (
        "negative hours",
        r(value="-5"),
        (
            "expect_column_values_to_be_between",
            "value",
            "value '-5' in column value is negative or implausibly large: measure CS1-02 "
            "counts hours",
        ),
    ),
    (
        "negative money",
        r(measure="CS2-08", value="-1"),
        (
            "expect_column_values_to_be_between",
            "value",
            "counts GBP, from 0 up to the ceiling in params.yaml (validate.ceilings.GBP)",
        ),
    ),
    (
        "negative target",
        r(target="-1"),
        ("expect_column_values_to_be_between", "target", "value '-1' in column target is negative"),
    ),
    (
        "negative denominator",
        r(denominator="-3"),
        (
            "expect_column_values_to_be_between",
            "denominator",
            "value '-3' in column denominator is negative",
        ),
    ),
    ("verified Y", r(verified="Y"), None),
    (
        "verified maybe",
        r(verified="maybe"),
        (
            "expect_column_values_to_match_regex",
            "verified",
            "value 'maybe' in column verified is not yes or no",
        ),
    ),
    ("UK date", r(submitted="10/04/2025"), None),
    (
        "no such date",
        r(submitted="31/02/2025"),
        (
            "expect_column_values_to_be_in_set",
            "submitted_on",
            "value '31/02/2025' in column submitted_on is not a date",
        ),
    ),
    (
        "unknown partner",
        r(partner="P999"),
        (
            "expect_column_values_to_be_in_set",
            "partner_id",
            "partner 'P999' in column partner_id is not in the partners register",
        ),
    ),
    (
        "unknown contract",
        r(contract="C999"),
        (
            "expect_column_values_to_be_in_set",
            "contract_id",
            "contract 'C999' in column contract_id is not in the contracts register",
        ),
    ),
    (
        "another partner's contract",
        r(contract="C002", measure="CS1-01"),
        (
            "expect_column_values_to_be_in_set",
            "contract_id",
            "contract 'C002' belongs to partner P002, not to partner 'P001'",
        ),
    ),
    (
        # P001's file cannot speak for P002, even with P002's own contract (issue 12).
        "another partner's row in a partner's file",
        r(partner="P002", contract="C002", measure="CS1-01"),
        (
            "row_is_for_the_partner_the_file_belongs_to",
            "partner_id",
            "this file is P001's; the row is for partner 'P002'",
        ),
    ),
    (
        "measure the contract did not commit to",
        r(measure="CS1-01"),
        (
            "expect_column_values_to_be_in_set",
            "measure_id",
            "contract 'C001' did not commit to measure CS1-01",
        ),
    ),
    ("blank row", ",,,,,,,,,,", ("row_is_not_blank", None, "the row is blank")),
    (
        "repeated header",
        "Partner ID,Contract ID,Measure,Period,Value,Target,Denominator,"
        "Evidence,Verified,Comment,Submitted On",
        ("row_is_not_a_repeated_header", None, "the row repeats the column headings"),
    ),
]
FILE = "P001.csv"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    paths = workspace(
        tmp_path_factory.mktemp("rules"), {FILE: returns_csv(*(row for _, row, _ in CASES))}
    )
    return run(paths)


def _row(case: str) -> int:
    return 2 + [c for c, _, _ in CASES].index(case)


@pytest.mark.parametrize("case", [c for c, _, e in CASES if e is None])
def test_row_passing_every_rule_is_accepted(result: ValidationResult, case: str) -> None:
    returns = result.tables["returns"]
    assert _row(case) in set(returns.loc[returns["source_file"] == FILE, "source_row"])
    assert not [q for q in result.rejections if q.file == FILE and q.row == _row(case)]


@pytest.mark.parametrize("case", [c for c, _, e in CASES if e is not None])
def test_row_failing_a_rule_is_quarantined_with_its_sentence(
    result: ValidationResult, case: str
) -> None:
    expectation, column, words = dict((c, e) for c, _, e in CASES)[case]  # type: ignore[misc]
    found = [q for q in result.rejections if q.file == FILE and q.row == _row(case)]
    assert len(found) == 1
    q = found[0]
    assert (q.expectation, q.column) == (expectation, column)
    assert words in q.reason
    assert q.partner_id == "P001"  # the file's sender gets the feedback
    assert _row(case) not in set(result.tables["returns"]["source_row"])


def test_clean_returns_are_typed_as_the_interface_says(result: ValidationResult) -> None:
    returns = result.tables["returns"].set_index("source_row")
    assert returns.at[_row("value with thousands comma"), "value"] == 1200.0
    assert returns.at[_row("money with pound sign"), "value"] == 1000.5
    assert returns.at[_row("measure lower case is the same measure"), "measure_id"] == "CS1-06"
    assert returns.at[_row("UK date"), "submitted_on"] == pd.Timestamp("2025-04-10")
    assert bool(returns.at[_row("verified Y"), "verified"]) is True
    assert returns["value"].dtype == "float64"
    assert str(returns["verified"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_dtype(returns["submitted_on"])
    assert pd.isna(returns.at[_row("good"), "target"])


def test_every_row_is_counted_once(result: ValidationResult) -> None:
    f = next(f for f in result.files if f.file == FILE)
    accepted = sum(1 for _, _, e in CASES if e is None)
    assert (f.rows, f.clean, f.quarantined, f.superseded) == (
        len(CASES),
        accepted,
        len(CASES) - accepted,
        0,
    )


def test_a_row_failing_several_rules_names_every_reason(tmp_path) -> None:  # noqa: ANN001
    paths = workspace(tmp_path, {FILE: returns_csv(r(value="-5", verified="maybe"))})
    q = run(paths).rejections[0]
    assert q.expectation == "expect_column_values_to_be_between"  # the first rule decides
    assert "value '-5' in column value is negative" in q.reason
    assert "value 'maybe' in column verified is not yes or no" in q.reason


def test_expectation_pass_rates_count_rows_evaluated(result: ValidationResult) -> None:
    stat = next(
        s
        for s in result.stats
        if s.kind == "returns"
        and s.expectation == "expect_column_values_to_be_in_set"
        and s.column == "partner_id"
    )
    # Rows with a partner_id that reached the row rules: not blank, not the header row, not the
    # row for P002 (P001's file cannot hold it); one names a partner the register does not know.
    reached = len(CASES) - 2 - 1 - 1  # ... and the row with no partner_id
    assert (stat.evaluated, stat.failed) == (reached, 1)


def test_rules_on_one_column_are_told_apart_by_the_column_checked(
    result: ValidationResult,
) -> None:
    failed = {
        s.checked: s.failed
        for s in result.stats
        if s.kind == "returns" and s.column == "contract_id"
    }
    # One row with no contract_id, one unknown contract; C001 is not P999's (the unknown partner)
    # and C002 is not P001's; no two accepted rows share a key.
    assert failed == {
        "contract_id": 1,
        "contract_id__registered": 1,
        "contract_id__of_partner": 2,
        "contract_id, measure_id, period": 0,
    }
