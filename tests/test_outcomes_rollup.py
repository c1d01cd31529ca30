"""Roll-up of returns to contract, partner and borough figures (answers worked by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.outcomes.rollup import LEVEL_KEYS, prepare_returns, roll_up
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns, row


def compute(rows, contract_rows=None):
    r = returns(rows)
    ids = sorted(set(r["partner_id"]))
    c = contracts(contract_rows or [])
    return compute_outcomes(r, partners(ids), c, FRAMEWORK).measures


def test_sum_measure_adds_contracts_to_partner_and_partners_to_borough():
    m = compute(
        [
            ("P1", "C1", "CS2-06", "2024/25", 3, 4),
            ("P1", "C2", "CS2-06", "2024/25", 5, 6),
            ("P2", "C3", "CS2-06", "2024/25", 2, 2),
        ]
    )
    p1 = row(m, "partner", "CS2-06", "2024/25", partner="P1")
    assert (p1["value"], p1["target"], p1["n_returns"], p1["partners_covered"]) == (8, 10, 2, 1)
    b = row(m, "borough", "CS2-06", "2024/25")
    # 3 + 5 + 2 = 10 delivered against 4 + 6 + 2 = 12 committed, from 3 returns of 2 partners.
    assert (b["value"], b["target"], b["n_returns"], b["partners_covered"]) == (10, 12, 3, 2)
    assert b["partner_id"] is None and b["contract_id"] is None
    c2 = row(m, "contract", "CS2-06", "2024/25", contract="C2")
    assert (c2["value"], c2["target"], c2["partner_id"]) == (5, 6, "P1")


def test_weighted_mean_weights_by_denominator():
    # CS1-06 is a percentage rolled up by weighted mean: 60% of 100 users and 90% of 300 users
    # is (60*100 + 90*300) / 400 = 82.5%, not the plain mean 75%.
    m = compute(
        [
            ("P1", "C1", "CS1-06", "2024/25", 60, 70, 100),
            ("P2", "C2", "CS1-06", "2024/25", 90, 80, 300),
        ]
    )
    b = row(m, "borough", "CS1-06", "2024/25")
    assert b["value"] == 82.5
    # Targets weighted the same way: (70*100 + 80*300) / 400 = 77.5.
    assert b["target"] == 77.5
    assert b["n_returns"] == 2


def test_weighted_mean_falls_back_to_plain_mean_without_every_denominator():
    m = compute(
        [
            ("P1", "C1", "CS1-06", "2024/25", 60, None, 100),
            ("P2", "C2", "CS1-06", "2024/25", 90, None, None),
        ]
    )
    assert row(m, "borough", "CS1-06", "2024/25")["value"] == 75.0


def test_plain_mean_measure():
    # CS1-04 average miles travelled rolls up by mean: (4 + 8) / 2 = 6.
    m = compute([("P1", "C1", "CS1-04", "2024/25", 4, 5), ("P2", "C2", "CS1-04", "2024/25", 8, 7)])
    b = row(m, "borough", "CS1-04", "2024/25")
    assert (b["value"], b["target"]) == (6.0, 6.0)


def test_target_rolled_up_only_when_every_return_has_one():
    m = compute(
        [("P1", "C1", "CS2-06", "2024/25", 3, 4), ("P2", "C2", "CS2-06", "2024/25", 2, None)]
    )
    b = row(m, "borough", "CS2-06", "2024/25")
    assert b["value"] == 5
    assert math.isnan(b["target"]) and math.isnan(b["achieved_share"])


def test_revised_submission_counted_once_latest_wins():
    r = returns(
        [
            ("P1", "C1", "CS2-06", "2024/25", 10, 12),
            ("P1", "C1", "CS2-06", "2024/25", 12, 12),
            ("P2", "C2", "CS2-06", "2024/25", 1, 1),
        ]
    )
    r["submitted_on"] = pd.to_datetime(["2025-06-01", "2025-05-01", "2025-05-01"])
    m = compute_outcomes(r, partners(["P1", "P2"]), contracts([]), FRAMEWORK).measures
    # The first row was submitted later, so it is the one counted: 10, not 12 and not 22.
    assert row(m, "partner", "CS2-06", "2024/25", partner="P1")["value"] == 10
    b = row(m, "borough", "CS2-06", "2024/25")
    assert (b["value"], b["n_returns"]) == (11, 2)


def test_clean_table_with_one_row_per_key_is_not_double_counted_across_levels():
    r = returns([("P1", "C1", "CS2-06", "2024/25", 7), ("P1", "C2", "CS2-06", "2024/25", 4)])
    m = compute_outcomes(r, partners(["P1"]), contracts([]), FRAMEWORK).measures
    # Each return appears once per level: contract rows 7 and 4, partner 11, borough 11.
    totals = m[(m["measure_id"] == "CS2-06")].groupby("level")["value"].sum()
    assert totals.to_dict() == {"borough": 11.0, "contract": 11.0, "partner": 11.0}


def test_return_without_value_is_not_a_zero():
    r = returns([("P1", "C1", "CS2-06", "2024/25", 3), ("P2", "C2", "CS2-06", "2024/25", 0)])
    r.loc[1, "value"] = float("nan")
    prepared = prepare_returns(r, FRAMEWORK)
    b = roll_up(prepared, LEVEL_KEYS["borough"]).iloc[0]
    assert (b["value"], b["n_returns"], b["partners_covered"]) == (3, 1, 1)


def test_no_returns_at_all_is_a_clear_error():
    from pipeline.core.errors import UserError

    empty = returns([("P1", "C1", "CS2-06", "2024/25", 1)]).iloc[0:0]
    with pytest.raises(UserError, match="no accepted returns"):
        compute_outcomes(empty, partners(["P1"]), contracts([]), FRAMEWORK)


def test_malformed_period_names_file_row_and_column():
    from pipeline.core.errors import UserError

    bad = returns([("P1", "C1", "CS2-06", "2024/25", 1), ("P1", "C1", "CS2-06", "2023/24", 1)])
    # Not a table the validate stage would write (its schema refuses it): compute says so too.
    bad.loc[1, "period"] = "2024-25"
    with pytest.raises(UserError, match=r"returns.csv, row 3, column period: '2024-25'"):
        compute_outcomes(bad, partners(["P1"]), contracts([]), FRAMEWORK)
