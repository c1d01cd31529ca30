"""Year-on-year change, missing and zero previous years, lower-is-better, coverage changes."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.core import periods
from pipeline.core.errors import UserError
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns, row


def outcomes(rows, contract_rows=()):
    r = returns(rows)
    return compute_outcomes(
        r, partners(sorted(set(r["partner_id"]))), contracts(contract_rows), FRAMEWORK
    )


def test_financial_year_arithmetic():
    assert periods.previous("2024/25") == "2023/24"
    assert periods.previous("2000/01") == "1999/00"
    assert periods.following("1999/00") == "2000/01"
    dates = pd.Series(pd.to_datetime(["2025-03-31", "2025-04-01", None]))
    assert periods.of_dates(dates).tolist() == ["2024/25", "2025/26", None]
    with pytest.raises(UserError, match="2024/26"):
        periods.start_year("2024/26")


def test_change_against_previous_financial_year():
    o = outcomes([("P1", "C1", "CS2-06", "2023/24", 8), ("P1", "C1", "CS2-06", "2024/25", 10)])
    r = row(o.measures, "partner", "CS2-06", "2024/25", partner="P1")
    assert (r["prev_period"], r["prev_value"], r["yoy_abs"], r["yoy_pct"]) == ("2023/24", 8, 2, 25)
    assert r["improved"] is not pd.NA and bool(r["improved"])


def test_zero_previous_year_gives_undefined_percentage_not_infinity():
    o = outcomes([("P1", "C1", "CS2-06", "2023/24", 0), ("P1", "C1", "CS2-06", "2024/25", 5)])
    r = row(o.measures, "partner", "CS2-06", "2024/25", partner="P1")
    assert r["prev_value"] == 0 and r["yoy_abs"] == 5
    assert math.isnan(r["yoy_pct"])
    assert r["improved"] is not pd.NA and bool(r["improved"])
    # No target: a rise from 0 is an improvement, so on track.
    assert r["status"] == "on track"


def test_missing_previous_year_is_missing_not_zero():
    o = outcomes([("P1", "C1", "CS2-06", "2024/25", 5), ("P1", "C1", "CS2-04", "2023/24", 1)])
    r = row(o.measures, "partner", "CS2-06", "2024/25", partner="P1")
    assert math.isnan(r["prev_value"]) and math.isnan(r["yoy_abs"]) and math.isnan(r["yoy_pct"])
    assert r["improved"] is pd.NA
    assert r["status"] == "no target"  # a figure, but no target and nothing to compare with


def test_partner_that_stopped_reporting_shows_no_return_not_zero():
    o = outcomes(
        [
            ("P1", "C1", "CS2-06", "2023/24", 4),
            ("P2", "C2", "CS2-06", "2023/24", 6),
            ("P1", "C1", "CS2-06", "2024/25", 5),
        ],
        [("C1", "P1", "CS2-06"), ("C2", "P2", "CS2-06")],
    )
    m = o.measures
    p2 = row(m, "partner", "CS2-06", "2024/25", partner="P2")
    assert p2["status"] == "no return" and math.isnan(p2["value"]) and p2["n_returns"] == 0
    assert row(m, "contract", "CS2-06", "2024/25", contract="C2")["status"] == "no return"
    b = row(m, "borough", "CS2-06", "2024/25")
    # The borough total is P1's 5 only, and says it covers 1 partner against 2 the year before.
    assert (b["value"], b["partners_covered"], b["prev_partners_covered"]) == (5, 1, 2)
    assert b["prev_value"] == 10 and b["yoy_pct"] == -50
    # Like for like (P1 alone, 4 -> 5) it is a 25% rise.
    assert (b["lfl_partners"], b["lfl_yoy_pct"]) == (1, 25)
    assert o.findings.coverage == {"2023/24": 2, "2024/25": 1}


def test_ended_contract_is_not_expected_to_report():
    o = outcomes(
        [("P1", "C1", "CS2-06", "2023/24", 4), ("P2", "C2", "CS2-06", "2024/25", 1)],
        [("C1", "P1", "CS2-06", "2021-04-01", "2024-03-31"), ("C2", "P2", "CS2-06")],
    )
    m = o.measures
    assert m[(m["contract_id"] == "C1") & (m["period"] == "2024/25")].empty
    # C2 committed to CS2-06 and was running in 2023/24 but sent nothing: a return to chase.
    assert row(m, "contract", "CS2-06", "2023/24", contract="C2")["status"] == "no return"
    assert row(m, "partner", "CS2-06", "2023/24", partner="P2")["status"] == "no return"
    assert [(e.contract_id, e.reported_before) for e in o.findings.missing_returns] == []


def test_coverage_change_is_flagged_and_like_for_like_separates_it():
    o = outcomes(
        [
            ("P1", "C1", "CS2-06", "2023/24", 10),
            ("P1", "C1", "CS2-06", "2024/25", 12),
            ("P2", "C2", "CS2-06", "2024/25", 20),
        ]
    )
    b = row(o.measures, "borough", "CS2-06", "2024/25")
    # 10 -> 32 looks like +220%, but one more partner reported; like for like it is +20%.
    assert (b["value"], b["prev_value"], b["yoy_pct"]) == (32, 10, pytest.approx(220))
    assert (b["partners_covered"], b["prev_partners_covered"]) == (2, 1)
    assert (b["lfl_partners"], b["lfl_yoy_pct"]) == (1, pytest.approx(20))


def test_lower_is_better_fall_is_an_improvement():
    # CS1-07 (16-19 year olds NEET) is lower-is-better: 10 -> 8 is a 20% fall, an improvement.
    o = outcomes([("P1", "C1", "CS1-07", "2023/24", 10), ("P1", "C1", "CS1-07", "2024/25", 8)])
    r = row(o.measures, "partner", "CS1-07", "2024/25", partner="P1")
    assert (r["yoy_abs"], r["yoy_pct"]) == (-2, pytest.approx(-20))
    assert r["improved"] is not pd.NA and bool(r["improved"])
    assert r["status"] == "on track"
    worse = outcomes([("P1", "C1", "CS1-07", "2023/24", 8), ("P1", "C1", "CS1-07", "2024/25", 10)])
    r = row(worse.measures, "partner", "CS1-07", "2024/25", partner="P1")
    assert r["improved"] is not pd.NA and not r["improved"]
    assert r["status"] == "off track"
