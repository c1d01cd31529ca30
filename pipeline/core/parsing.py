"""Turn the text partners typed into typed values, column by column, without guessing.

The readers keep every cell as text. Validation decides what each text means here, vectorised
over whole columns so 100,000 rows take well under a second. A cell that cannot be read is
returned as missing *and* flagged, so the expectation suites can reject the row with a sentence
that quotes what the partner typed. The patterns are shared with the suites in
`pipeline.validate.expectations`, so the check and the conversion can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core import periods

#: A number as people type it: optional sign, optional pound sign, thousands commas, decimals,
#: an optional trailing percent sign. No exponents, no words ("twelve", "n/a", "TBC").
NUMBER_PATTERN = r"^(?=[^0-9]*[0-9])\s*[-+]?\s*£?\s*(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?\s*%?\s*$"
_NUMBER = re.compile(NUMBER_PATTERN)

#: yes/no cells: the words a spreadsheet user types, and what Excel writes for booleans.
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")
YES_NO_PATTERN = r"(?i)^\s*(?:" + "|".join(YES + NO) + r")\s*$"

#: UK financial year, as `pipeline.core.periods` reads it (`2024/25`, `2024-25`, `FY 2024-25`).
PERIOD_PATTERN = periods.CELL_PATTERN

#: Dates: ISO 8601 (what Excel cells become) or the UK day-first form people type.
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y", "%d.%m.%Y")


def _text(series: pd.Series) -> pd.Series:
    """The column as object dtype text with None for empty cells."""
    return series.astype(object).where(series.notna(), None)


def number_ok(series: pd.Series) -> pd.Series:
    """True where the cell reads as a number, False where it does not, None where it is empty."""
    return _by_unique(series, _numbers_ok)


def _numbers_ok(series: pd.Series) -> pd.Series:
    text = _text(series)
    present = text.notna()
    out = pd.Series(None, index=series.index, dtype=object)
    if present.any():
        values = text[present].astype(str)
        ok = values.str.match(_NUMBER)
        out[present] = ok.to_numpy()
    return out


def parse_number(series: pd.Series) -> pd.Series:
    """float64: the number in each cell, NaN where empty or not a number (see `number_ok`)."""
    return _by_unique(series, _parse_numbers)


def _parse_numbers(series: pd.Series) -> pd.Series:
    text = _text(series)
    ok = _numbers_ok(series) == True  # noqa: E712 - object column of True/False/None
    out = pd.Series(np.nan, index=series.index, dtype="float64")
    if ok.any():
        cleaned = text[ok].astype(str).str.replace(r"[\s,£%+]", "", regex=True)
        out[ok] = pd.to_numeric(cleaned, errors="coerce").to_numpy()
    return out


def parse_yes_no(series: pd.Series) -> pd.Series:
    """pandas `boolean`: yes/no cells, NA where empty or not yes/no."""
    norm = map_distinct(_text(series), lambda v: v.strip().lower() if isinstance(v, str) else None)
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[norm.isin(YES)] = True
    out[norm.isin(NO)] = False
    return out


def _parse_date_text(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_date(series: pd.Series) -> pd.Series:
    """datetime64: each cell as a date, NaT where empty or not a real date (31/02/2025 is not)."""
    return _by_unique(series, _parse_dates)


def _parse_dates(series: pd.Series) -> pd.Series:
    text = _text(series)
    # Most files use one form throughout: try the fast vectorised ISO parse first.
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    rest = iso.isna() & text.notna()
    if rest.any():
        iso[rest] = pd.to_datetime(text[rest].map(_parse_date_text), errors="coerce")
    return iso.astype("datetime64[ns]")


def date_ok(series: pd.Series) -> pd.Series:
    """True where the cell is a real date, False where it is not, None where it is empty."""
    text = _text(series)
    parsed = parse_date(series)
    out = pd.Series(None, index=series.index, dtype=object)
    present = text.notna()
    out[present] = parsed[present].notna().to_numpy()
    return out


def map_distinct(series: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """`series.map(fn)`, same values and dtype, calling `fn` once per distinct value rather than
    once per row (empty cells are given to `fn` as None): an id or a yes/no column holds a few
    hundred distinct texts over a million rows."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    if not len(codes):
        return series.map(fn)
    missing = codes < 0
    keys = [*uniques, *([None] if missing.any() else [])]
    # Mapping the distinct values with Series.map infers the same dtype as mapping every row:
    # the mapped values are the same set.
    mapped = pd.Series(keys, dtype=object).map(fn)
    out = mapped.iloc[np.where(missing, len(uniques), codes)]
    out.index = series.index
    out.name = series.name
    return out


def _by_unique(series: pd.Series, convert) -> pd.DataFrame | pd.Series:  # noqa: ANN001
    """Apply `convert` to the distinct values only: a column of periods or dates holds a few
    dozen distinct texts over 100,000 rows."""
    text = _text(series)
    key = text.where(text.notna(), "\0")
    uniques = pd.Series(pd.unique(key.to_numpy()))
    converted = convert(uniques.where(uniques != "\0", None))
    codes = pd.Index(uniques).get_indexer(key.to_numpy())
    if isinstance(converted, pd.DataFrame):
        out = converted.iloc[codes].reset_index(drop=True)
        out.index = series.index
        return out
    return pd.Series(converted.to_numpy()[codes], index=series.index, dtype=converted.dtype)


def period_parts(series: pd.Series) -> pd.DataFrame:
    """For each period cell: `start` (first year, Int64), `consecutive` (True/False/None) and
    `period` (the canonical `YYYY/YY` text, None when not a financial year)."""
    return _by_unique(series, _period_parts)


def _period_parts(series: pd.Series) -> pd.DataFrame:
    return periods.cell_parts(_text(series))


def split_measures(text: object) -> list[str]:
    """`CS1-01; cs2-06` -> ['CS1-01', 'CS2-06'] (the contracts' outcome_measures cell)."""
    if not isinstance(text, str):
        return []
    return [p.strip().upper() for p in text.replace(",", ";").split(";") if p.strip()]
