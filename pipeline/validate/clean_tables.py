"""Typed clean tables (`data/clean/<cycle>/*.parquet`) from rows that passed validation.

The column names and dtypes are those of `docs/interfaces.md`; compute and report read them.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core import parsing
from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Kind
from pipeline.validate import spend_checks
from pipeline.validate.expectations import split_measures

#: The columns of each clean table, in order (after source_file, source_row).
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "returns": (
        "partner_id",
        "contract_id",
        "measure_id",
        "period",
        "value",
        "target",
        "denominator",
        "evidence",
        "comment",
        "verified",
        "submitted_on",
    ),
    "partners": ("partner_id", "name", "type", "postcode", "sme"),
    "contracts": (
        "contract_id",
        "partner_id",
        "title",
        "start",
        "end",
        "value_gbp",
        "outcome_measures",
        "linked_to_subject_matter",
    ),
    "spend": spend_checks.COLUMNS,
    "suppliers": (
        "supplier_id",
        "name",
        "postcode",
        "type",
        "sme",
        "company_number",
        "charity_number",
    ),
}
NUMBERS = {"value", "target", "denominator", "value_gbp", "amount"}
DATES = {"submitted_on", "start", "end", "date"}
BOOLEANS = {"verified", "sme", "linked_to_subject_matter"}


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text as object dtype, None for empty (partners' text kept as typed otherwise)."""
    return series.map(lambda v: v.strip() if isinstance(v, str) and v.strip() else None).astype(
        object
    )


def typed_table(kind: Kind, checked: pd.DataFrame) -> pd.DataFrame:
    """The clean table for `kind` from the checked frame (ids already trimmed, see
    `expectations.derive_columns`), with the dtypes of the interface."""
    if kind == "spend":
        return spend_checks.typed_table(checked)
    out = pd.DataFrame(index=checked.index)
    out[SOURCE_FILE] = checked[SOURCE_FILE].astype(object)
    out[SOURCE_ROW] = checked[SOURCE_ROW].astype("int64")
    for col in COLUMNS[kind]:
        raw = checked[col] if col in checked.columns else pd.Series(None, index=checked.index)
        if col in NUMBERS:
            out[col] = parsing.parse_number(raw)
        elif col in DATES:
            out[col] = parsing.parse_date(raw)
        elif col in BOOLEANS:
            out[col] = parsing.parse_yes_no(raw)
        elif col == "period":
            out[col] = parsing.period_parts(raw)["period"].astype(object)
        elif col == "measure_id":
            out[col] = raw.map(lambda v: v.strip().upper() if isinstance(v, str) else None)
        elif col == "outcome_measures":
            out[col] = raw.map(lambda v: ";".join(split_measures(v))).astype(object)
        elif col == "type":
            out[col] = raw.map(lambda v: v.strip().lower() if isinstance(v, str) else None)
        else:
            out[col] = _text(raw)
    return out


def empty_table(kind: Kind) -> pd.DataFrame:
    return typed_table(kind, pd.DataFrame({SOURCE_FILE: [], SOURCE_ROW: []}))
