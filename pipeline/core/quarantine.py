"""The row-level outcome of validation: which rows are quarantined, duplicated or superseded.

Rules (docs/validation.md records them for users):

- A blank row, or a row that repeats the header, is quarantined before any other check.
- Exact duplicates (every cell the same once read, for example `2024-25` and `2024/25`): the
  first is kept, the rest are quarantined as duplicates of it.
- Returns with the same contract, measure and period: the latest `submitted_on` wins and the
  earlier ones go to `superseded.parquet` (a missing date counts as the earliest). Two or more
  different rows sharing the latest date cannot be told apart: all of them are quarantined
  (nothing is guessed) and the earlier ones are still superseded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.contract import SOURCE_COLUMNS, Kind, normalise, spec
from pipeline.core.tables import QUARANTINE

QUARANTINE_COLUMNS = QUARANTINE.columns

BLANK = "row_is_not_blank"
HEADER = "row_is_not_a_repeated_header"
DUPLICATE = "row_is_not_an_exact_duplicate"
FILE_READABLE = "file_is_readable"
FILE_COLUMNS = "file_has_required_columns"


@dataclass(frozen=True)
class Rejection:
    """Why one input row (or whole file, row None) was rejected."""

    kind: str
    file: str
    row: int | None
    column: str | None
    expectation: str
    reason: str
    partner_id: str | None
    record: str


def record_json(row: pd.Series | dict[str, Any]) -> str:
    """The row's original cells as JSON text (source columns left out: they have their own)."""
    cells = {
        k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
        for k, v in row.items()
        if k not in SOURCE_COLUMNS and k != "_row_fault"
    }
    return json.dumps(cells, ensure_ascii=False, default=str)


def _header_names(kind: Kind) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for col in spec(kind).columns:
        names[col.name] = {normalise(col.name), *(normalise(a) for a in col.aliases)}
    return names


def structural_faults(kind: Kind, frame: pd.DataFrame) -> pd.Series:
    """For each row: `BLANK`, `HEADER` or None. Vectorised on the first required column, so the
    per-cell header test only runs on the few rows that could be headers."""
    cells = frame.drop(columns=[c for c in SOURCE_COLUMNS if c in frame.columns])
    blank = cells.isna().all(axis=1)
    out = pd.Series(None, index=frame.index, dtype=object)
    out[blank] = BLANK
    names = _header_names(kind)
    first = spec(kind).required[0]
    key = frame[first].astype(object).where(frame[first].notna(), "").astype(str)
    key = key.str.lower().str.replace(r"[\s_\-./]+", "", regex=True)
    candidates = frame.index[key.isin(names[first]) & ~blank]
    for idx in candidates:
        row = frame.loc[idx]
        present = [(c, row[c]) for c in names if c in frame.columns and isinstance(row[c], str)]
        if len(present) >= 2 and all(normalise(v) in names[c] for c, v in present):
            out[idx] = HEADER
    return out


def structural_reason(code: str) -> str:
    if code == BLANK:
        return "the row is blank"
    return "the row repeats the column headings (a second header row)"


def exact_duplicates(table: pd.DataFrame) -> pd.Series:
    """For each row of a typed clean table: the index of the earlier identical row, or -1."""
    out = pd.Series(-1, index=table.index, dtype="int64")
    if table.empty:
        return out
    cols = [c for c in table.columns if c not in SOURCE_COLUMNS]
    # `duplicated` treats missing values as equal, which is what "identical" means to a person;
    # only the (few) rows involved are grouped to find which earlier row each one repeats.
    involved = table[table.duplicated(subset=cols, keep=False)]
    if involved.empty:
        return out
    group = (
        involved[cols]
        .astype(object)
        .fillna("\0")
        .astype(str)
        .groupby(cols, sort=False, dropna=False)
        .ngroup()
    )
    first = (
        pd.Series(involved.index, index=involved.index).groupby(group.to_numpy()).transform("first")
    )
    later = first.to_numpy() != involved.index.to_numpy()
    out.loc[involved.index[later]] = first.to_numpy()[later]
    return out


def supersede(table: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    """For each return: the index of the later submission that supersedes it, or -1.

    Within a key the latest `submitted_on` wins (NaT is earliest). Rows sharing the latest date
    are all kept here; the unique-key expectation then rejects them when there are several.
    """
    if table.empty:
        return pd.Series(-1, index=table.index, dtype="int64")
    date = table["submitted_on"].fillna(pd.Timestamp.min)
    latest = date.groupby([table[k] for k in key], sort=False).transform("max")
    is_latest = date == latest
    order = pd.Series(np.arange(len(table)), index=table.index)
    # The first row holding the latest date is named as the superseding one.
    winner_pos = (
        order.where(is_latest).groupby([table[k] for k in key], sort=False).transform("min")
    )
    winner = table.index.to_numpy()[winner_pos.astype("int64").to_numpy()]
    return pd.Series(np.where(is_latest.to_numpy(), -1, winner), index=table.index)


def rejections_frame(rejections: list[Rejection]) -> pd.DataFrame:
    """`quarantine.parquet`'s table (docs/interfaces.md)."""
    frame = pd.DataFrame(
        [
            (r.kind, r.file, r.row, r.column, r.expectation, r.reason, r.partner_id, r.record)
            for r in rejections
        ],
        columns=list(QUARANTINE_COLUMNS),
        dtype=object,
    )
    frame["source_row"] = pd.array(frame["source_row"].tolist(), dtype="Int64")
    return frame


def file_record() -> str:
    """A whole-file fault has no cells to keep: its record is an empty object."""
    return "{}"
