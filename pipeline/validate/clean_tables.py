"""Typed clean tables (`data/clean/<cycle>/*.parquet`) from rows that passed validation.

The columns, their order and their types come from the data contract (`pipeline.core.contract`:
`spec(kind).clean_columns`, `Column.type`, `CLEAN_DTYPES`); the schemas in `pipeline.core.tables`
are built from the same model and check the tables when they are written. Compute and report
read them.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core import parsing
from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Column, Kind, spec
from pipeline.core.tables import CLEAN_ORDER
from pipeline.validate import spend_checks
from pipeline.validate.expectations import parsed_number

#: The columns of each clean table, in order (after source_file, source_row): the contract's.
COLUMNS: dict[Kind, tuple[str, ...]] = CLEAN_ORDER


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text as object dtype, None for empty (partners' text kept as typed otherwise)."""
    return parsing.map_distinct(
        series, lambda v: v.strip() if isinstance(v, str) and v.strip() else None
    ).astype(object)


def typed_column(column: Column, raw: pd.Series, checked: pd.DataFrame | None = None) -> pd.Series:
    """One column of a register or returns table, typed as the contract says. Text is mapped once
    per distinct value (`parsing.map_distinct`): ids and codes repeat across a million rows."""
    if column.type == "number":
        parsed = parsed_number(column.name)
        # derive_columns has read these numbers already (the same parse, row by row).
        if checked is not None and parsed in checked.columns:
            return checked[parsed]
        return parsing.parse_number(raw)
    if column.type == "date":
        return parsing.parse_date(raw)
    if column.type == "yes_no":
        return parsing.parse_yes_no(raw)
    if column.type == "period":
        return parsing.period_parts(raw)["period"].astype(object)
    if column.type == "measure":
        return parsing.map_distinct(
            raw, lambda v: v.strip().upper() if isinstance(v, str) else None
        )
    if column.type == "measures":
        return parsing.map_distinct(raw, lambda v: ";".join(parsing.split_measures(v))).astype(
            object
        )
    if column.type == "party_type":
        return parsing.map_distinct(
            raw, lambda v: v.strip().lower() if isinstance(v, str) else None
        )
    return _text(raw)


def typed_table(kind: Kind, checked: pd.DataFrame) -> pd.DataFrame:
    """The clean table for `kind` from the checked frame (ids already trimmed, see
    `expectations.derive_columns`), with the dtypes of the interface."""
    if kind == "spend":
        return spend_checks.typed_table(checked)
    out = pd.DataFrame(index=checked.index)
    out[SOURCE_FILE] = checked[SOURCE_FILE].astype(object)
    out[SOURCE_ROW] = checked[SOURCE_ROW].astype("int64")
    for col in spec(kind).clean_columns:
        raw = (
            checked[col.name]
            if col.name in checked.columns
            else pd.Series(None, index=checked.index)
        )
        out[col.name] = typed_column(col, raw, checked)
    return out


def empty_table(kind: Kind) -> pd.DataFrame:
    return typed_table(kind, pd.DataFrame({SOURCE_FILE: [], SOURCE_ROW: []}))
