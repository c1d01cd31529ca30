"""UK financial-year arithmetic: periods are `YYYY/YY` strings running 1 April to 31 March.

Year-on-year figures compare a period with the one before it (2024/25 with 2023/24), so every
stage that needs "the previous year" or "which year a payment falls in" asks this module.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.core.errors import UserError

PERIOD = re.compile(r"^(\d{4})/(\d{2})$")
#: The UK financial year starts on 1 April.
FY_START_MONTH = 4


def start_year(period: str) -> int:
    """The calendar year a financial year starts in (`2024/25` -> 2024)."""
    match = PERIOD.match(str(period))
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise UserError(f"period {period!r} is not a UK financial year like 2024/25")
    return int(match.group(1))


def label(year: int) -> str:
    """The financial year starting in `year` (2024 -> `2024/25`)."""
    return f"{year}/{(year + 1) % 100:02d}"


def previous(period: str) -> str:
    """The financial year before `period` (`2024/25` -> `2023/24`)."""
    return label(start_year(period) - 1)


def following(period: str) -> str:
    """The financial year after `period` (`2023/24` -> `2024/25`)."""
    return label(start_year(period) + 1)


def bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the financial year (1 April, 31 March)."""
    year = start_year(period)
    return pd.Timestamp(year, FY_START_MONTH, 1), pd.Timestamp(year + 1, FY_START_MONTH - 1, 31)


def previous_series(periods: pd.Series) -> pd.Series:
    """`previous` for a whole column, computed once per distinct period (fast on big tables)."""
    mapping = {p: previous(p) for p in pd.unique(periods.dropna())}
    return periods.map(mapping)


def following_series(periods: pd.Series) -> pd.Series:
    """`following` for a whole column."""
    mapping = {p: following(p) for p in pd.unique(periods.dropna())}
    return periods.map(mapping)


def of_dates(dates: pd.Series) -> pd.Series:
    """The financial year each date falls in (NaT gives None): 31 March 2025 is in 2024/25."""
    dates = pd.to_datetime(dates)
    years = dates.dt.year - (dates.dt.month < FY_START_MONTH).astype("Int64")
    labels = {y: label(int(y)) for y in pd.unique(years.dropna())}
    out = years.astype(object).map(labels)
    return out.astype(object).where(out.notna(), None)


def sort_key(periods: list[str]) -> list[str]:
    """Periods in time order (the `YYYY/YY` form already sorts as text; this checks the form)."""
    return sorted(periods, key=start_year)


def is_consecutive(earlier: str, later: str) -> bool:
    """True when `later` is the financial year straight after `earlier`."""
    return start_year(later) - start_year(earlier) == 1


__all__ = [
    "bounds",
    "following",
    "following_series",
    "is_consecutive",
    "label",
    "of_dates",
    "previous",
    "previous_series",
    "sort_key",
    "start_year",
]
