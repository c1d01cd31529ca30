"""Every validation check in plain words, for the reviewer's page and the GX Data Docs notes.

A check is named in `validation.json` by its GX expectation type and the column GX checked,
which may be a derived column (`contract_id__of_partner` is True when the contract belongs to
the partner who sent the row). The words of every rule of the data contract are on the rule
itself (`pipeline.core.contract.Rule.passes` and `.note`); this module adds the checks the
pipeline makes outside GX, and plain fallbacks for a check no rule describes (a validation.json
written by an older contract).
"""

from __future__ import annotations

from typing import Any

from pipeline.core.contract import generic_words, rule_for
from pipeline.core.quarantine import BLANK, DUPLICATE, FILE_COLUMNS, FILE_READABLE, HEADER
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


def _split_derived(checked: str) -> tuple[str, str] | None:
    """`value__percent` -> ("value", "percent"); None for a plain column."""
    if "__" not in checked or checked.startswith("_"):
        return None
    base, _, suffix = checked.partition("__")
    return base, suffix


def describe(expectation: str, checked: str | None, kwargs: dict[str, Any] | None = None) -> str:
    """What a row (or file) that passes the check looks like, in plain words."""
    c = checked or ""
    if expectation in STRUCTURAL:
        return STRUCTURAL[expectation]
    rule = rule_for(expectation, c)
    if rule is not None:
        return rule.passes
    if expectation == "expect_column_values_to_not_be_null":
        return f"{c} is filled in (required)"
    if expectation == "expect_column_values_to_be_unique":
        return f"Each {c} appears only once"
    if expectation == "expect_column_values_to_be_null":
        return f"{c} is empty"
    return generic_words(expectation, c)


def derived_note(checked: str | None) -> str | None:
    """For a derived column, how it is computed from the row (None for an input column)."""
    c = checked or ""
    for expectation in (
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_null",
    ):
        rule = rule_for(expectation, c)
        if rule is not None and rule.note:
            return rule.note
    derived = _split_derived(c)
    if not derived:
        return None
    base, _ = derived
    return (
        f"`{c}` is a derived column computed by the pipeline from `{base}`. Rejected rows "
        f"name `{base}`."
    )
