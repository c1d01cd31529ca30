"""Properties that must hold for any input: borough totals add up, row order does not matter."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.outcomes.rollup import LEVEL_KEYS, prepare_returns, roll_up
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns

PERIODS = ["2022/23", "2023/24", "2024/25"]

# A return: (partner 0-4, contract 0-2 of that partner, measure, period, value, target or None).
return_rows = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 2),
        st.sampled_from(["CS2-06", "CS1-02", "CS1-06", "CS1-07"]),
        st.sampled_from(PERIODS),
        st.integers(0, 10_000),
        st.one_of(st.none(), st.integers(1, 10_000)),
        st.one_of(st.none(), st.integers(1, 500)),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda t: (t[0], t[1], t[2], t[3]),
)


def build(rows):
    r = returns((f"P{p}", f"C{p}{c}", m, period, v, t, d) for p, c, m, period, v, t, d in rows)
    ids = sorted(set(r["partner_id"]))
    c = contracts(
        (f"C{p}{c}", f"P{p}", "CS2-06;CS1-07") for p, c in sorted({(x[0], x[1]) for x in rows})
    )
    return r, partners(ids), c


@settings(max_examples=50, deadline=None)
@given(return_rows)
def test_rolled_up_borough_total_is_sum_over_partners(rows):
    r, _, _ = build(rows)
    prepared = prepare_returns(r, FRAMEWORK)
    partner = roll_up(prepared, LEVEL_KEYS["partner"])
    borough = roll_up(prepared, LEVEL_KEYS["borough"]).set_index(["measure_id", "period"])
    summed = partner[partner["rollup"] == "sum"].groupby(["measure_id", "period"])
    for key, total in summed["value"].sum().items():
        assert borough.loc[key, "value"] == total
        assert borough.loc[key, "n_returns"] == summed["n_returns"].sum()[key]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(return_rows)
def test_borough_total_of_summed_measure_is_sum_over_partners(rows):
    r, p, c = build(rows)
    m = compute_outcomes(r, p, c, FRAMEWORK).measures
    for measure in ("CS2-06", "CS1-02"):  # both summed
        rows_m = m[m["measure_id"] == measure]
        borough = rows_m[rows_m["level"] == "borough"].set_index("period")["value"]
        by_partner = (
            rows_m[rows_m["level"] == "partner"].groupby("period")["value"].sum(min_count=1)
        )
        raw = r[r["measure_id"] == measure].groupby("period")["value"].sum()
        for period in PERIODS:
            expected = raw.get(period)
            if expected is None:
                assert pd.isna(borough.get(period))  # nothing reported is missing, not 0
            else:
                assert borough[period] == expected == by_partner[period]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(return_rows, st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_nothing(rows, rnd):
    r, p, c = build(rows)
    first = compute_outcomes(r, p, c, FRAMEWORK)
    order = list(range(len(r)))
    rnd.shuffle(order)
    corder = list(range(len(c)))
    rnd.shuffle(corder)
    second = compute_outcomes(r.iloc[order], p.iloc[::-1], c.iloc[corder], FRAMEWORK)
    pd.testing.assert_frame_equal(first.measures, second.measures)
    pd.testing.assert_frame_equal(first.theme_status, second.theme_status)
    assert json.dumps(first.findings.to_json(), sort_keys=True) == json.dumps(
        second.findings.to_json(), sort_keys=True
    )
