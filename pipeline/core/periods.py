"""UK financial years, the one place: periods are `YYYY/YY` strings running 1 April to 31 March.

Year-on-year figures compare a period with the one before it (2024/25 with 2023/24), so every
stage that needs "the previous year", "which year a payment falls in", "which year a partner
meant by `FY 2024-25`" or "which year a review cycle is for" asks this module:

- arithmetic on the `YYYY/YY` form: `start_year`, `label`, `previous`, `following`, `bounds`,
  `ending`, `of_dates`, `of_day`, `current`;
- reading what people type: `cell_parts` (a return's period cell: `2024-25`, `FY2024/25`;
  ambiguous `FY25` or `2024` refused) and `in_text` (a year named in a file or cycle name);
- review cycles: a cycle id `2025-26` is the financial year 2025/26 (`of_cycle`). A cycle reviews
  returns up to its own year; a return for a later year (a 2026/27 row sent into the 2025-26
  cycle) belongs in a later cycle, and the validate stage quarantines it with `after_cycle_reason`
  (`after_cycle`), so it neither counts in this year's figures nor is lost. A cycle with another
  name (opened with `svf cycle open NAME --name`) has no year, and this rule does not apply to it.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from pipeline.core.errors import UserError

PERIOD = re.compile(r"^(\d{4})/(\d{2})$")
#: The UK financial year starts on 1 April.
FY_START_MONTH = 4

#: A period cell as people write it: `2024/25` (the stored form), `2024-25`, `2024/2025`,
#: `2024-2025`, `FY2024/25`, `FY 2024-25`. Ambiguous spellings are refused: `FY25` (2024/25 or
#: 2025/26?) and `2024` (which of the two years touching 2024?). The validation suites use the
#: same pattern (`pipeline.core.parsing.PERIOD_PATTERN`), so the check and the reading agree.
CELL_PATTERN = r"(?i)^\s*(?:FY\s*)?\d{4}\s*[/\-\u2013]\s*(?:\d{2}|\d{4})\s*$"
_CELL = re.compile(r"(?i)^\s*(?:FY\s*)?(\d{4})\s*[/\-\u2013]\s*(\d{2}|\d{4})\s*$")
#: A financial year written inside a name: 2025/26, 2025-26, 2025_26, FY2025-2026.
_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\s*[-/_ ]\s*(\d{2}|\d{4})(?!\d)")
#: A review cycle named after its financial year: `2025-26`.
_CYCLE_ID = re.compile(r"^(\d{4})-(\d{2})$")

#: The expectation name the quarantine and the Data Docs show for a return after the cycle's year.
AFTER_CYCLE = "period_within_cycle"


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


def ending(end_period: str, years: int) -> list[str]:
    """The `years` financial years ending with `end_period` (`2025/26`), oldest first."""
    match = PERIOD.match(end_period or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise UserError(f"end period {end_period!r} is not a UK financial year like 2025/26")
    end = int(match.group(1))
    return [label(y) for y in range(end - years + 1, end + 1)]


def year_of(day: dt.date) -> int:
    """The calendar year the financial year holding `day` starts in (31 March 2025 -> 2024)."""
    return day.year if day.month >= FY_START_MONTH else day.year - 1


def of_day(day: dt.date) -> str:
    """The financial year `day` falls in (1 April 2025 -> `2025/26`)."""
    return label(year_of(day))


def current(today: dt.date | None = None) -> str:
    """The financial year running `today` (default: the real today)."""
    return of_day(today or dt.date.today())


def cell_parts(text: pd.Series) -> pd.DataFrame:
    """For each period cell (text, or None): `start` (first year, Int64), `consecutive`
    (True/False, None when the text is not a period at all) and `period` (the `YYYY/YY` form,
    None unless the text names two consecutive years)."""
    parts = text.astype(str).where(text.notna(), "").str.extract(_CELL)
    start = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    end = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    # `2024/2025` names the second year in full: it must be the year after, not just end in 25.
    full_end = parts[1].str.len().eq(4).fillna(False).to_numpy(dtype=bool)
    matched = start.notna()
    consecutive = pd.Series(None, index=text.index, dtype=object)
    ok = ((start + 1) % 100 == end).where(~pd.Series(full_end, index=text.index), start + 1 == end)
    consecutive[matched] = ok[matched].to_numpy(dtype=bool)
    canonical = pd.Series(None, index=text.index, dtype=object)
    good = consecutive == True  # noqa: E712
    canonical[good] = [label(y) for y in start[good].astype(int)]
    return pd.DataFrame({"start": start, "consecutive": consecutive, "period": canonical})


def in_text(text: str | None) -> str | None:
    """The financial year written in a name (`returns 2025-26.xlsx` -> `2025/26`), or None."""
    if not text:
        return None
    match = _IN_TEXT.search(str(text))
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    if (start + 1) % (100 if end < 100 else 10_000) != end:
        return None
    return label(start)


def of_cycle(cycle: str) -> str | None:
    """The financial year a cycle id names (`2025-26` -> `2025/26`), None for any other id."""
    match = _CYCLE_ID.match(cycle or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        return None
    return f"{match.group(1)}/{match.group(2)}"


def after_cycle(periods: pd.Series, cycle: str) -> pd.Series:
    """True where a period is a financial year later than the cycle's own (False elsewhere,
    including every row of a cycle whose id is not a financial year)."""
    period = of_cycle(cycle)
    if period is None:
        return pd.Series(False, index=periods.index, dtype=bool)
    # Read each distinct cell once: a column of 1,000,000 rows holds a few distinct periods.
    key = periods.astype(object).where(periods.notna(), "\0")
    uniques = pd.Series(pd.unique(key.to_numpy()), dtype=object)
    later = cell_parts(uniques.where(uniques != "\0", None))["start"] > start_year(period)
    codes = pd.Index(uniques).get_indexer(key.to_numpy())
    return pd.Series(later.fillna(False).to_numpy(dtype=bool)[codes], index=periods.index)


def after_cycle_reason(value: object, cycle: str) -> str:
    """Why a return for a later year was held back from this cycle."""
    return (
        f"period '{value}' is after this cycle's year {of_cycle(cycle)}: "
        "send it in the cycle for that year"
    )


def sort_key(periods: list[str]) -> list[str]:
    """Periods in time order (the `YYYY/YY` form already sorts as text; this checks the form)."""
    return sorted(periods, key=start_year)


def is_consecutive(earlier: str, later: str) -> bool:
    """True when `later` is the financial year straight after `earlier`."""
    return start_year(later) - start_year(earlier) == 1


__all__ = [
    "AFTER_CYCLE",
    "CELL_PATTERN",
    "after_cycle",
    "after_cycle_reason",
    "bounds",
    "cell_parts",
    "current",
    "ending",
    "following",
    "following_series",
    "in_text",
    "is_consecutive",
    "label",
    "of_cycle",
    "of_dates",
    "of_day",
    "previous",
    "previous_series",
    "sort_key",
    "start_year",
    "year_of",
]
