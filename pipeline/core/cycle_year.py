"""What a review cycle's id says about its years: `2025-26` is the financial year 2025/26.

A cycle reviews returns up to its own year. A return for a later year (a 2026/27 row sent into
the 2025-26 cycle) belongs in a later cycle: the validate stage quarantines it with a reason, so
it neither counts in this year's figures nor is lost. A cycle with another name (opened with
`svf cycle open NAME --name`) has no year, and this rule does not apply to it.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.core import parsing

_FY_ID = re.compile(r"^(\d{4})-(\d{2})$")

#: The expectation name the quarantine and the Data Docs show for the rule.
EXPECTATION = "period_within_cycle"


def fy_period(cycle: str) -> str | None:
    """The financial year a cycle id names (`2025-26` -> `2025/26`), None for any other id."""
    match = _FY_ID.match(cycle or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        return None
    return f"{match.group(1)}/{match.group(2)}"


def after_cycle(periods: pd.Series, cycle: str) -> pd.Series:
    """True where a period is a financial year later than the cycle's own (False elsewhere,
    including every row of a cycle whose id is not a financial year)."""
    period = fy_period(cycle)
    if period is None:
        return pd.Series(False, index=periods.index, dtype=bool)
    start = parsing.period_parts(periods)["start"]
    return (start > int(period[:4])).fillna(False).astype(bool)


def reason(value: object, cycle: str) -> str:
    return (
        f"period '{value}' is after this cycle's year {fy_period(cycle)}: "
        "send it in the cycle for that year"
    )
