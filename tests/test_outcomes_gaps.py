"""Gaps in provision and social value in money (answers worked by hand)."""

from __future__ import annotations

import math

import pytest

from pipeline.core.framework import Proxy
from pipeline.outcomes.gaps import find_gaps
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns, row


def test_gaps_in_provision():
    c = contracts(
        [
            ("C1", "P1", "CS1-01; CS2-06", "2022-04-01", "2026-03-31", 100_000),
            ("C2", "P2", "CS5-01", "2020-04-01", "2022-03-31", 500_000),  # ended before 2024/25
            ("C3", "P3", "", "2024-01-01", "2027-03-31", 300_000),  # committed to nothing
        ]
    )
    gaps = find_gaps(c, FRAMEWORK, "2024/25")
    partner_measures = [m.id for m in FRAMEWORK.measures if m.level == "partner"]
    assert gaps["uncovered_measures"] == [
        m for m in partner_measures if m not in {"CS1-01", "CS2-06"}
    ]
    # CS2-02 is computed from the council's spend, so it is never a contract gap.
    assert "CS2-02" not in gaps["uncovered_measures"]
    # CS5 is uncovered too: its only contract (C2) has ended.
    assert {o["theme"] for o in gaps["uncovered_outcomes"]} == {"CS3", "CS4", "CS5"}
    assert len(gaps["uncovered_outcomes"]) == 3 + 1 + 2
    assert [x["contract_id"] for x in gaps["contracts_without_outcomes"]] == ["C3"]
    # Current value is C1 100k + C3 300k = 400k; only C1's 100k is behind CS1 and CS2.
    assert gaps["current_contract_value_gbp"] == 400_000
    assert gaps["theme_contract_value_share"] == {
        "CS1": 0.25,
        "CS2": 0.25,
        "CS3": 0.0,
        "CS4": 0.0,
        "CS5": 0.0,
    }


def test_contract_committed_to_unknown_measures_only_has_no_outcomes():
    gaps = find_gaps(contracts([("C1", "P1", "XX-99")]), FRAMEWORK, "2024/25")
    assert [x["contract_id"] for x in gaps["contracts_without_outcomes"]] == ["C1"]


def _with_proxies():
    r = returns(
        [
            ("P1", "C1", "CS1-02", "2024/25", 300),  # volunteering hours
            ("P2", "C2", "CS5-01", "2024/25", 2),  # tonnes of carbon reduced
            ("P2", "C2", "CS2-01", "2024/25", 90, None, 10),  # a percentage: no proxy
        ]
    )
    return r, partners(["P1", "P2"])


def test_social_value_is_value_times_proxy_labelled_as_estimate():
    r, p = _with_proxies()
    o = compute_outcomes(r, p, contracts([]), FRAMEWORK)
    # 300 hours x GBP 11.44 = 3,432; 2 tCO2e x GBP 256 = 512.
    assert row(o.measures, "partner", "CS1-02", "2024/25", partner="P1")["value_gbp"] == 3432.0
    assert row(o.measures, "borough", "CS5-01", "2024/25")["value_gbp"] == 512.0
    assert math.isnan(row(o.measures, "borough", "CS2-01", "2024/25")["value_gbp"])
    sv = o.findings.social_value
    assert sv.estimate is True and "Estimate" in sv.label
    assert sv.borough == 3944.0
    assert sv.by_theme == {"CS1": 3432.0, "CS2": 0.0, "CS3": 0.0, "CS4": 0.0, "CS5": 512.0}
    assert sv.by_partner == {"P1": 3432.0, "P2": 512.0}
    used = {u["key"]: u for u in sv.proxies_used}
    assert set(used) == {"volunteering_hour", "carbon_tonne"}
    assert (
        used["carbon_tonne"]["price_year"] == 2020
        and "Green Book" in used["carbon_tonne"]["source"]
    )


def test_licensed_proxy_values_override_the_defaults():
    r, p = _with_proxies()
    fw = FRAMEWORK.with_proxies(
        {"volunteering_hour": Proxy("volunteering_hour", 20.0, "Own licence", 2025)}
    )
    o = compute_outcomes(r, p, contracts([]), fw)
    sv = o.findings.social_value
    assert sv.by_partner["P1"] == pytest.approx(6000.0)  # 300 x 20
    used = {u["key"]: u for u in sv.proxies_used}
    assert used["volunteering_hour"]["source"] == "Own licence"
