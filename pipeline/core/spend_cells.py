"""The cells of published spend files: dates, amounts, redacted suppliers and footer lines.

Councils write dates `24/09/2014`, `24/09/14`, `2014-09-24`, `24-SEP-2014`, as Excel serial
numbers (`41906`) or only as a month (`Sep 2014`), and amounts as `"1,100.00"`, `£1,100.00`,
`1100.00 ` or `(1,100.00)` for a credit. Each rule here is vectorised over the distinct texts of
a column (a year of spend has far fewer distinct dates and amounts than lines), and a cell that
cannot be read is NaN/NaT *and* flagged, so validation quarantines its row quoting the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

#: Day-first and ISO forms, tried in this order (a two-digit year `24/09/14` is 2014).
DAY_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y%m%d",
)
#: Month-only forms (`Sep 2014`, `September 2014`, `Sep-14`, `09/2014`, `2014-09`).
MONTH_FORMATS = ("%b %Y", "%B %Y", "%b-%Y", "%B-%Y", "%b-%y", "%b %y", "%m/%Y", "%Y-%m")
#: Excel serial day numbers accepted as dates: 1 January 1990 to 31 December 2099.
SERIAL_MIN, SERIAL_MAX = 32874, 73050
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: Dates before this are not spend of a council covered by the Transparency Code era.
EARLIEST = dt.datetime(1990, 1, 1)

_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
#: An amount: optional sign or brackets, optional £/GBP, digits with optional thousands commas,
#: optional pence, optional trailing minus (ledger exports write `123.45-`).
_AMOUNT = re.compile(
    r"^(?P<open>\()?(?P<sign>[-+])?(?:£|GBP)?(?P<sign2>[-+])?"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<close>\))?(?P<trail>-)?$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def _by_distinct(series: pd.Series, convert: Callable[[object], object]) -> np.ndarray:
    """`convert` applied once per distinct cell of the column, as an object array."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    converted = np.array([convert(u) for u in uniques] + [None], dtype=object)
    return converted[codes]


def _one_date(value: object) -> tuple[dt.datetime, str] | None:
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", value).strip()
    if not text:
        return None
    if _SERIAL.match(text):
        serial = int(float(text))
        if SERIAL_MIN <= serial <= SERIAL_MAX:
            return EXCEL_EPOCH + dt.timedelta(days=serial), "day"
        return None
    for fmt in DAY_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if day >= EARLIEST:  # `24/09/14` read as year 14 by %Y: try the two-digit form
            return day, "day"

    for fmt in MONTH_FORMATS:
        try:
            month = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if month >= EARLIEST:
            return month, "month"

    return None


def parse_spend_dates(series: pd.Series) -> pd.DataFrame:
    """`date` (datetime64, NaT where empty or unreadable) and `precision` (`day`, `month` or
    None) for each cell. A month-only cell is dated the first of its month: its financial year
    is then the month's (`Sep 2014` is in 2014/15, `Mar 2015` too)."""
    text = series.astype(object).where(series.notna(), None)
    # Fast path: most files write every date one way (`24/09/2014` or ISO); read those
    # vectorised, and only the other texts one by one (per distinct text).
    dates = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    for fmt, pattern in (
        (r"%d/%m/%Y", r"^\d{2}/\d{2}/\d{4}$"),
        ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$"),
    ):
        rest = dates.isna() & text.notna()
        if not rest.any():
            break
        candidates = text[rest].astype(str)
        candidates = candidates[candidates.str.match(pattern)]
        if not candidates.empty:
            parsed = pd.to_datetime(candidates, format=fmt, errors="coerce")
            dates[parsed.index] = parsed[parsed >= EARLIEST].reindex(parsed.index)
    precision = pd.Series(None, index=series.index, dtype=object)
    precision[dates.notna()] = "day"
    rest = dates.isna() & text.notna()
    if rest.any():
        parsed_rest = _by_distinct(text[rest], _one_date)
        dates[rest] = pd.to_datetime(
            pd.Series([p[0] if p else None for p in parsed_rest], index=text[rest].index)
        )
        precision[rest] = [p[1] if p else None for p in parsed_rest]
    return pd.DataFrame({"date": dates.astype("datetime64[ns]"), "precision": precision})


def _one_amount(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    text = _SPACES.sub("", value)
    match = _AMOUNT.match(text)
    if not match or bool(match["open"]) != bool(match["close"]):
        return None
    signs = [s for s in (match["sign"], match["sign2"], match["trail"]) if s]
    if len(signs) > 1 or (match["open"] and signs):
        return None
    number = float(match["num"].replace(",", ""))
    negative = bool(match["open"]) or (signs and signs[0] == "-")
    return -number if negative else number


#: The plain forms (`1100`, `-25.50`, `1,100.00`) read vectorised; others one by one.
_PLAIN_AMOUNT = r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"


def parse_amounts(series: pd.Series) -> pd.Series:
    """float64: each cell as an amount in pounds, NaN where empty or not an amount."""
    text = series.astype(object).where(series.notna(), None)
    out = pd.Series(np.nan, index=series.index, dtype="float64")
    present = text.notna()
    if not present.any():
        return out
    values = text[present].astype(str)
    plain = values.str.match(_PLAIN_AMOUNT).to_numpy(dtype=bool)
    if plain.any():
        cleaned = values[plain].str.replace(",", "", regex=False)
        out[values.index[plain]] = pd.to_numeric(cleaned, errors="coerce").to_numpy()
    if (~plain).any():
        others = values[~plain]
        out[others.index] = np.asarray(_by_distinct(others, _one_amount), dtype="float64")
    return out


def cell_ok(series: pd.Series, parsed: pd.Series) -> pd.Series:
    """True where the cell was read, False where it was not, None where it is empty."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    present = (text.str.strip() != "").to_numpy(dtype=bool)
    out = pd.Series(None, index=series.index, dtype=object)
    out[present] = parsed[present].notna().to_numpy()
    return out


#: Supplier names councils publish in place of a person's name (payments to individuals).
REDACTED = re.compile(
    r"(?i)^\s*(?:redacted.*|.*\bredacted\b.*|personal data|personal information|"
    r"withheld|private individual|individual|confidential|data protection(?: act)?|"
    r"not disclosed|name withheld|\*+|x+)\s*$"
)


def redacted(names: pd.Series) -> pd.Series:
    """bool: the supplier's name is empty or stands for a withheld name (`Redacted`,
    `Redacted Personal Data`, `Personal Data`, ...). Such payments are real spend: they stay in
    the total as their own class and are never guessed local, SME or VCFS."""
    text = names.astype(object).where(names.notna(), "").astype(str)
    return (text.str.strip() == "") | text.str.match(REDACTED)


#: A footer line: `Total`, `Grand Total`, `Totals`, `Sum`, `Report Total` in a leading cell.
TOTAL = re.compile(r"(?i)^\s*(?:grand\s+|report\s+|sub\s*-?\s*)?totals?\s*:?\s*$|^\s*sum\s*$")
_HAS_WORD = re.compile(r"[A-Za-z0-9]")


def footer_lines(cells: pd.DataFrame, dates_ok: pd.Series) -> pd.Series:
    """bool: the line is a total line (a cell says `Total`, `Grand Total`, ... and the line has
    no payment date), not a payment. Only lines without a date are looked at, so this costs
    nothing on a year of payments."""
    out = pd.Series(False, index=cells.index)
    undated = cells[~(dates_ok == True).to_numpy()]  # noqa: E712 - object column
    if undated.empty:
        return out
    says_total = pd.Series(False, index=undated.index)
    for col in undated.columns:
        text = undated[col].astype(object).where(undated[col].notna(), "").astype(str)
        says_total |= text.str.match(TOTAL)
    out[says_total[says_total].index] = True
    return out


def empty_lines(cells: pd.DataFrame) -> pd.Series:
    """bool: no cell of the line holds a letter or digit (blank, or filler such as `†††`)."""
    has = pd.Series(False, index=cells.index)
    for col in cells.columns:
        text = cells[col].astype(object).where(cells[col].notna(), "").astype(str)
        has |= text.str.contains(_HAS_WORD)
    return ~has
