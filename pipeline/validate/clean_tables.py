"""Typed clean tables (`data/clean/<cycle>/*.parquet`) from rows that passed validation.

The columns and their types are those of the schemas in `pipeline.core.tables` (checked when the
tables are written); compute and report read them.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core import parsing
from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Kind
from pipeline.core.tables import CLEAN_ORDER, CLEAN_TYPES
from pipeline.validate import spend_checks
from pipeline.validate.expectations import parsed_number, split_measures

#: The columns of each clean table, in order (after source_file, source_row).
COLUMNS: dict[Kind, tuple[str, ...]] = CLEAN_ORDER


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text as object dtype, None for empty (partners' text kept as typed otherwise)."""
    return parsing.map_distinct(
        series, lambda v: v.strip() if isinstance(v, str) and v.strip() else None
    ).astype(object)


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
        kind_of = CLEAN_TYPES.get(col, "text")
        if kind_of == "number":
            parsed = parsed_number(col)
            # derive_columns has read these numbers already (the same parse, row by row).
            out[col] = checked[parsed] if parsed in checked.columns else parsing.parse_number(raw)
        elif kind_of == "date":
            out[col] = parsing.parse_date(raw)
        elif kind_of == "yes_no":
            out[col] = parsing.parse_yes_no(raw)
        elif col == "period":
            out[col] = parsing.period_parts(raw)["period"].astype(object)
        elif col == "measure_id":
            out[col] = parsing.map_distinct(
                raw, lambda v: v.strip().upper() if isinstance(v, str) else None
            )
        elif col == "outcome_measures":
            out[col] = parsing.map_distinct(raw, lambda v: ";".join(split_measures(v))).astype(
                object
            )
        elif col == "type":
            out[col] = parsing.map_distinct(
                raw, lambda v: v.strip().lower() if isinstance(v, str) else None
            )
        else:
            out[col] = _text(raw)
    return out


def empty_table(kind: Kind) -> pd.DataFrame:
    return typed_table(kind, pd.DataFrame({SOURCE_FILE: [], SOURCE_ROW: []}))
