"""Typed clean tables (`data/clean/<cycle>/*.parquet`) from rows that passed validation.

The columns, their order and their types come from the data contract (`pipeline.core.contract`:
`spec(kind).clean_columns`, `Column.type`, `CLEAN_DTYPES`); `docs/interfaces.md` lists them.
Compute and report read them.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core import parsing
from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Column, Kind, spec
from pipeline.validate import spend_checks

#: The columns of each clean table, in order (after source_file, source_row).
COLUMNS: dict[Kind, tuple[str, ...]] = {
    kind: tuple(c.name for c in spec(kind).clean_columns)
    for kind in ("returns", "partners", "contracts", "spend", "suppliers")
}


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text as object dtype, None for empty (partners' text kept as typed otherwise)."""
    return series.map(lambda v: v.strip() if isinstance(v, str) and v.strip() else None).astype(
        object
    )


def typed_column(column: Column, raw: pd.Series) -> pd.Series:
    """One column of a register or returns table, typed as the contract says."""
    if column.type == "number":
        return parsing.parse_number(raw)
    if column.type == "date":
        return parsing.parse_date(raw)
    if column.type == "yes_no":
        return parsing.parse_yes_no(raw)
    if column.type == "period":
        return parsing.period_parts(raw)["period"].astype(object)
    if column.type == "measure":
        return raw.map(lambda v: v.strip().upper() if isinstance(v, str) else None)
    if column.type == "measures":
        return raw.map(lambda v: ";".join(parsing.split_measures(v))).astype(object)
    if column.type == "party_type":
        return raw.map(lambda v: v.strip().lower() if isinstance(v, str) else None)
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
        out[col.name] = typed_column(col, raw)
    return out


def empty_table(kind: Kind) -> pd.DataFrame:
    return typed_table(kind, pd.DataFrame({SOURCE_FILE: [], SOURCE_ROW: []}))
