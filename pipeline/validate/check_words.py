"""Every validation check in plain words, for the reviewer's page and the GX Data Docs notes.

A check is named in `validation.json` by its GX expectation type and the column GX checked,
which may be a derived column computed by `pipeline.validate.expectations.derive_columns`
(`contract_id__of_partner` is True when the contract belongs to the partner who sent the row).
These sentences say what a passing row looks like; `derived_note` says how a derived column was
computed, so the Data Docs pages explain names a reviewer would otherwise have to look up.
"""

from __future__ import annotations

from typing import Any

from pipeline.core import parsing
from pipeline.core.quarantine import BLANK, DUPLICATE, FILE_COLUMNS, FILE_READABLE, HEADER
from pipeline.validate.expectations import EXTRA_CELLS, ID_PATTERN, PARTNER_TYPE_PATTERN
from pipeline.validate.spend_checks import REPUBLISHED, TOTAL_LINE

#: Checks the pipeline makes itself, outside GX.
STRUCTURAL = {
    FILE_READABLE: "The file can be read (a CSV or XLSX file with a heading row)",
    FILE_COLUMNS: "The file has every required column",
    BLANK: "The row is not blank",
    HEADER: "The row is not a repeat of the heading row",
    DUPLICATE: "The row does not repeat an earlier row exactly",
    TOTAL_LINE: "The spend line is a payment, not the file's total line",
    REPUBLISHED: "The spend line is not the same line as one in an earlier spend file",
}

#: Derived columns with a fixed meaning: (input column, what a passing row has).
DERIVED = {
    EXTRA_CELLS: (None, "No cells beyond the last column heading"),
    "period__consecutive": ("period", "The period's two years are consecutive (2024/25)"),
    "period__start": ("period", "The period is not in the future"),
    "denominator__number": ("denominator", "The denominator is not negative"),
    "value_gbp__number": ("value_gbp", "The contract value is not negative"),
    "contract_id__of_partner": (
        "contract_id",
        "The contract belongs to the partner who sent the return",
    ),
    "measure_id__committed": (
        "measure_id",
        "The contract committed to the measure (it is in the contract's outcome_measures)",
    ),
    "end__after_start": ("end", "The end date is on or after the start date"),
    "amount__is_amount": (
        "amount",
        "amount is an amount of money (1,100.00, £1100, -25.50 or (25.50))",
    ),
    "outcome_measures__unknown": (
        "outcome_measures",
        "outcome_measures lists only measures of the framework",
    ),
}
_REGEX = {
    parsing.NUMBER_PATTERN: "{c} is a number",
    parsing.YES_NO_PATTERN: "{c} is yes or no",
    parsing.PERIOD_PATTERN: "{c} is a financial year naming both years (2024/25, 2024-25, "
    "2024/2025, FY2024/25)",
    ID_PATTERN: "{c} uses only letters, digits, '.', '-' and '_'",
    PARTNER_TYPE_PATTERN: "{c} is private, vcfs or public",
}
_PARAMETER_SETS = {
    "measure_ids": "{c} is a measure of the framework",
    "council_measure_ids": "{c} is not a council-level measure (those come from spend data)",
}


def _split_derived(checked: str) -> tuple[str, str] | None:
    """`value__percent` -> ("value", "percent"); None for a plain column."""
    if "__" not in checked or checked.startswith("_"):
        return None
    base, _, suffix = checked.partition("__")
    return base, suffix


def _parameter(value: Any) -> str | None:
    return str(value["$PARAMETER"]) if isinstance(value, dict) and "$PARAMETER" in value else None


def describe(expectation: str, checked: str | None, kwargs: dict[str, Any] | None = None) -> str:
    """What a row (or file) that passes the check looks like, in plain words."""
    kwargs = kwargs or {}
    c = checked or ""
    if expectation in STRUCTURAL:
        return STRUCTURAL[expectation]
    if c in DERIVED:
        return DERIVED[c][1]
    derived = _split_derived(c)
    if derived:
        base, suffix = derived
        if suffix == "is_date" and base == "date":  # spend: dates as councils write them
            return (
                "date is a date (DD/MM/YYYY, DD/MM/YY, YYYY-MM-DD, an Excel date number, or a "
                "month such as Sep 2014)"
            )
        if suffix == "is_date":
            return f"{base} is a date (YYYY-MM-DD or DD/MM/YYYY)"
        if suffix == "registered":
            register = base.removesuffix("_id") + "s"
            return f"{base} is in the {register} register"
        if expectation == "expect_column_values_to_be_between":
            if suffix == "percent":
                return f"{base} is between 0 and 100 (measures in percent)"
            return f"{base} is not negative (measures in {suffix})"
    if expectation == "expect_column_values_to_not_be_null":
        return f"{c} is filled in (required)"
    if expectation == "expect_column_values_to_match_regex":
        template = _REGEX.get(kwargs.get("regex", ""), "{c} has the expected form")
        return template.format(c=c)
    if expectation in (
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
    ):
        name = _parameter(kwargs.get("value_set"))
        if name in _PARAMETER_SETS:
            return _PARAMETER_SETS[name].format(c=c)
        return f"{c} is one of the allowed values"
    if expectation == "expect_column_values_to_be_unique":
        return f"Each {c} appears only once"
    if expectation == "expect_compound_columns_to_be_unique":
        return f"No two rows share the same {c}"
    if expectation == "expect_column_values_to_be_null":
        return f"{c} is empty"
    words = expectation.removeprefix("expect_").replace("_", " ")
    return f"{c}: {words}" if c else words[:1].upper() + words[1:]


def derived_note(checked: str | None) -> str | None:
    """For a derived column, how it is computed from the row (None for an input column)."""
    c = checked or ""
    if c == EXTRA_CELLS:
        return (
            f"`{c}` is not a column of the file: it holds any cells the row has beyond the last "
            "column heading, collected when the file is read."
        )
    if c in DERIVED:
        base = DERIVED[c][0]
        return (
            f"`{c}` is a derived column, computed by the pipeline from `{base}` (and the "
            f"registers) before the check; the row passes when it is true. "
            f"Rejected rows name `{base}`."
        )
    derived = _split_derived(c)
    if not derived:
        return None
    base, suffix = derived
    if suffix == "is_date":
        how = f"true when `{base}` reads as a date"
    elif suffix == "registered":
        how = (
            f"true when `{base}` is an id of the cycle's clean {base.removesuffix('_id')}s register"
        )
    elif suffix == "number":
        how = f"`{base}` read as a number"
    else:
        how = (
            f"`{base}` read as a number, for rows whose measure is counted in {suffix} (else empty)"
        )
    return (
        f"`{c}` is a derived column computed by the pipeline: {how}. Rejected rows name `{base}`."
    )
