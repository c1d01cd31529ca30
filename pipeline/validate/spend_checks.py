"""Validation rules particular to council spend files (the validate stage calls these).

- Lines that are not payments: a `Total` footer is quarantined as a total line; a line with no
  letter or digit in any cell (blank, or filler such as `††††`) as blank.
- Dates and amounts are read as councils write them (`pipeline.core.spend_cells`); a cell that cannot
  be read quarantines its row, quoting the cell.
- Duplicates: within one published file every line is a payment and counts, even when two
  lines are identical (one invoice split over several schools, fifty thousand card payments of
  the same amount). Only the same line arriving in two files (an overlapping re-publication) is
  counted once: the copy in the later file is quarantined with a sentence naming the first.
- Redacted payments (empty supplier name, `Redacted`, `Personal Data`) are clean spend, marked
  `redacted` in the clean table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.contract import SOURCE_COLUMNS, SOURCE_FILE, SOURCE_ROW, spec
from pipeline.core.spend_cells import (
    cell_ok,
    empty_lines,
    footer_lines,
    parse_amounts,
    parse_spend_dates,
    redacted,
)
from pipeline.validate.spend_layouts import HEADINGS

TOTAL_LINE = "row_is_not_a_total_line"
REPUBLISHED = "row_is_not_in_an_earlier_file"

#: Columns of the clean spend table after source_file and source_row (docs/interfaces.md),
#: with their types, from the data contract.
CLEAN_COLUMNS = spec("spend").clean_columns
COLUMNS: tuple[str, ...] = tuple(c.name for c in CLEAN_COLUMNS)


def _cells(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.drop(columns=[c for c in raw.columns if c in SOURCE_COLUMNS])


def structural_codes(raw: pd.DataFrame, blank: str) -> pd.Series:
    """For each raw spend row: `blank`, `TOTAL_LINE` or None."""
    cells = _cells(raw)
    out = pd.Series(None, index=raw.index, dtype=object)
    dates_ok = cell_ok(raw["date"], parse_spend_dates(raw["date"])["date"])
    out[footer_lines(cells, dates_ok)] = TOTAL_LINE
    # A line with a date is not empty: only the undated lines are looked at cell by cell.
    undated = ~(dates_ok == True).to_numpy()  # noqa: E712 - object column of True/False/None
    empty = empty_lines(cells[undated])
    out[empty[empty].index.difference(out.dropna().index)] = blank
    return out


def total_reason(row: pd.Series) -> str:
    cells = [str(v).strip() for k, v in row.items() if k not in SOURCE_COLUMNS and v]
    shown = ", ".join(repr(c) for c in cells if c)
    return f"the row is the file's total line ({shown}), not a payment"


def _strip(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text, None for empty (worked out once per distinct cell)."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    stripped = np.array([_strip(u) for u in uniques] + [None], dtype=object)
    return pd.Series(stripped[codes], index=series.index, dtype=object)


def typed_table(checked: pd.DataFrame) -> pd.DataFrame:
    """The clean spend table from rows that passed the rules."""
    out = pd.DataFrame(index=checked.index)
    out[SOURCE_FILE] = checked[SOURCE_FILE].astype(object)
    out[SOURCE_ROW] = checked[SOURCE_ROW].astype("int64")
    if "date__value" in checked.columns:
        dates = pd.DataFrame(
            {"date": checked["date__value"], "precision": checked["date__precision"]}
        )
    else:
        dates = parse_spend_dates(
            checked["date"] if "date" in checked else pd.Series(None, index=checked.index)
        )
    for column in CLEAN_COLUMNS:
        col = column.name
        raw = checked[col] if col in checked.columns else pd.Series(None, index=checked.index)
        if column.type == "spend_date":
            out[col] = dates["date"]
        elif column.type == "date_precision":
            out[col] = dates["precision"].astype(object)
        elif column.type == "amount":
            given = f"{col}__value"
            out[col] = (
                checked[given].astype("float64") if given in checked.columns else parse_amounts(raw)
            )
        elif column.type == "flag":  # the one flag: a withheld supplier name
            out[col] = redacted(out["supplier_name"]).astype(bool)
        else:
            out[col] = _text(raw)
    return out


def republished(table: pd.DataFrame, checked: pd.DataFrame) -> pd.Series:
    """For each clean spend row: the index of the same line in an earlier file, or -1.

    Lines are the same when every cell is, once read (typed columns compared as values, other
    columns of the file as text). Within a file nothing is a duplicate; the k-th copy of a line
    in a later file repeats the k-th copy in the first file that has one.
    """
    out = pd.Series(-1, index=table.index, dtype="int64")
    if table.empty or table[SOURCE_FILE].nunique() < 2:
        return out
    others = [
        c
        for c in checked.columns
        if c not in table.columns
        and c not in SOURCE_COLUMNS
        and "__" not in c
        and c not in HEADINGS
        and not c.startswith("_")
    ]
    # Only lines whose date and amount occur in two files can be the same line: hash the rest
    # of the cells for those alone (a year of spend, one file, costs nothing here).
    quick = pd.util.hash_pandas_object(table[["date", "amount"]], index=False)
    files_per_key = (
        pd.Series(table[SOURCE_FILE].to_numpy()).groupby(quick.to_numpy()).transform("nunique")
    )
    candidates = table.index[(files_per_key > 1).to_numpy()]
    if candidates.empty:
        return out
    table = table.loc[candidates]
    key = pd.concat(
        [
            table.drop(columns=list(SOURCE_COLUMNS)).astype(object),
            checked.loc[table.index, others].astype(object),
        ],
        axis=1,
    )
    key = key.where(key.notna(), None).astype(str)
    group = pd.util.hash_pandas_object(key, index=False).to_numpy()
    work = pd.DataFrame(
        {"g": group, "file": table[SOURCE_FILE].to_numpy(), "idx": np.arange(len(table))}
    )
    work["k"] = work.groupby(["g", "file"], sort=False).cumcount()
    first_file = work.groupby(["g", "k"], sort=False)["file"].transform("first")
    first_pos = work.groupby(["g", "k"], sort=False)["idx"].transform("first")
    later = (work["file"] != first_file).to_numpy()
    out[table.index[later]] = table.index.to_numpy()[first_pos.to_numpy()[later]]
    return out


def rule_columns(expectations: list[dict], checked: pd.DataFrame) -> list[str]:
    """The columns of `checked` the spend rules read (the frame GX is given)."""
    wanted: list[str] = []
    for e in expectations:
        kwargs = e.get("kwargs", {})
        for c in [kwargs.get("column"), *(kwargs.get("column_list") or [])]:
            if c and c in checked.columns and c not in wanted:
                wanted.append(c)
    return wanted
