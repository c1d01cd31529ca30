"""Status against target (every threshold boundary), without target, theme status, and the
enforcement and endorsement lists. Thresholds are params.yaml's defaults: 0.95 and 0.80, 2%."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.settings import load_params
from pipeline.core.status import (
    Thresholds,
    enforcement,
    overall_status,
    partner_overall,
    rules_in_words,
    theme_status,
)
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns, row


def status_of(measure, prev, value, target, thresholds=None):
    rows = [("P1", "C1", measure, "2024/25", value, target)]
    if prev is not None:
        rows.insert(0, ("P1", "C1", measure, "2023/24", prev, None))
    r = returns(rows)
    m = compute_outcomes(r, partners(["P1"]), contracts([]), FRAMEWORK, thresholds).measures
    got = row(m, "partner", measure, "2024/25", partner="P1")
    return got["status"], got["achieved_share"]


@pytest.mark.parametrize(
    ("value", "share", "status"),
    [
        (95, 0.95, "on track"),  # exactly at on_track
        (94.9, 0.949, "at risk"),  # just below on_track
        (80, 0.80, "at risk"),  # exactly at at_risk
        (79.9, 0.799, "off track"),  # just below at_risk
        (130, 1.30, "on track"),
        (0, 0.0, "off track"),
    ],
)
def test_higher_is_better_boundaries(value, share, status):
    # CS2-06 apprenticeships, target 100: achieved share is value / target.
    assert status_of("CS2-06", None, value, 100) == (status, pytest.approx(share))


@pytest.mark.parametrize(
    ("value", "share", "status"),
    [
        (105, 0.95, "on track"),  # 5% over a lower-is-better target: exactly at on_track
        (105.1, 0.949, "at risk"),
        (120, 0.80, "at risk"),  # exactly at at_risk
        (120.1, 0.799, "off track"),
        (90, 1.10, "on track"),  # beating the target
    ],
)
def test_lower_is_better_boundaries(value, share, status):
    # CS1-07 NEETs, target 100, lower is better: achieved share is 2 - value / target.
    assert status_of("CS1-07", None, value, 100) == (status, pytest.approx(share))


@pytest.mark.parametrize(
    ("measure", "prev", "value", "status"),
    [
        ("CS2-06", 100, 102, "at risk"),  # +2% is within the 2% flat tolerance
        ("CS2-06", 100, 102.5, "on track"),
        ("CS2-06", 100, 98, "at risk"),  # -2%: still flat
        ("CS2-06", 100, 97.5, "off track"),
        ("CS1-07", 100, 97.5, "on track"),  # lower is better: a 2.5% fall is an improvement
        ("CS1-07", 100, 102.5, "off track"),
        ("CS2-06", 0, 0, "at risk"),  # 0 -> 0: flat
        ("CS2-06", None, 5, "no target"),  # a figure, no target, no previous year
    ],
)
def test_without_target_status_follows_year_on_year_direction(measure, prev, value, status):
    assert status_of(measure, prev, value, None)[0] == status


def test_zero_target_is_met_or_not():
    assert status_of("CS1-07", None, 0, 0)[0] == "on track"
    assert status_of("CS1-07", None, 1, 0)[0] == "off track"


def test_thresholds_come_from_params(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("status:\n  on_track: 0.9\n  at_risk: 0.5\n", encoding="utf-8")
    th = Thresholds.from_params(load_params(params))
    assert (th.on_track, th.at_risk, th.flat_tolerance_pct) == (0.9, 0.5, 2.0)
    assert status_of("CS2-06", None, 90, 100, th)[0] == "on track"
    assert status_of("CS2-06", None, 50, 100, th)[0] == "at risk"


def _themes(statuses):
    frame = pd.DataFrame(
        {
            "level": "partner",
            "partner_id": "P1",
            "contract_id": None,
            "theme": "CS1",
            "period": "2024/25",
            "status": statuses,
        }
    )
    return theme_status(frame).iloc[0]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["on track", "on track", "off track"], "on track"),  # majority
        (["on track", "off track"], "off track"),  # tie goes to the worse
        (["on track", "at risk"], "at risk"),
        (["on track", "on track", "at risk", "no data"], "on track"),  # no data is not judged
        (["no data", "no data"], "no data"),
        (["no return"], "no return"),
        (["on track", "no return", "no return"], "off track"),  # no return counts as off track
        (["no target", "no data"], "no target"),  # figures, but nothing to judge them by
        (["no target", "on track"], "on track"),  # no target is not judged
    ],
)
def test_theme_status_by_majority(statuses, expected):
    t = _themes(statuses)
    assert t["status"] == expected
    assert t["n_measures"] == len(statuses)
    assert t["n_on_track"] == statuses.count("on track")


def _contract_rows(pattern):
    return pd.DataFrame(
        [
            {
                "level": "contract",
                "contract_id": c,
                "partner_id": p,
                "measure_id": m,
                "period": period,
                "status": s,
                "target": target,
            }
            for c, p, m, period, s, target in pattern
        ]
    )


def test_enforcement_lists_two_consecutive_years_off_track():
    m = _contract_rows(
        [
            ("C1", "P1", "CS2-06", "2022/23", "off track", 10),
            ("C1", "P1", "CS2-06", "2023/24", "off track", 10),
            ("C1", "P1", "CS2-06", "2024/25", "on track", 10),
            ("C2", "P2", "CS2-06", "2023/24", "off track", None),  # judged year on year
            ("C2", "P2", "CS2-06", "2024/25", "off track", 10),
            ("C3", "P3", "CS2-06", "2022/23", "off track", 10),  # not consecutive
            ("C3", "P3", "CS2-06", "2023/24", "on track", 10),
            ("C3", "P3", "CS2-06", "2024/25", "off track", 10),
            ("C4", "P4", "CS2-06", "2023/24", "off track", 10),  # different measures
            ("C4", "P4", "CS2-04", "2024/25", "off track", 10),
        ]
    )
    assert enforcement(m, "2024/25") == [
        {
            "contract_id": "C1",
            "partner_id": "P1",
            "measure_id": "CS2-06",
            "periods": ["2022/23", "2023/24"],
            "current": False,
            "against_target": True,
        },
        {
            "contract_id": "C2",
            "partner_id": "P2",
            "measure_id": "CS2-06",
            "periods": ["2023/24", "2024/25"],
            "current": True,
            "against_target": False,
        },
    ]


def test_enforcement_end_to_end():
    r = returns(
        [
            ("P1", "C1", "CS2-06", "2023/24", 5, 10),
            ("P1", "C1", "CS2-06", "2024/25", 6, 10),
            ("P2", "C2", "CS2-06", "2023/24", 5, 10),
            ("P2", "C2", "CS2-06", "2024/25", 10, 10),
        ]
    )
    o = compute_outcomes(r, partners(["P1", "P2"]), contracts([]), FRAMEWORK)
    assert [(e.contract_id, e.current) for e in o.findings.enforcement] == [("C1", True)]


def test_endorsement_needs_every_reported_measure_on_track_and_a_target():
    r = returns(
        [
            ("P1", "C1", "CS2-06", "2024/25", 10, 10),  # on track on both, with targets
            ("P1", "C1", "CS2-04", "2024/25", 3, 2),
            ("P2", "C2", "CS2-06", "2024/25", 10, 10),
            ("P2", "C2", "CS2-04", "2024/25", 1, 2),  # off track on one
            ("P3", "C3", "CS2-06", "2023/24", 1),  # on track by year on year, but no target
            ("P3", "C3", "CS2-06", "2024/25", 5),
            ("P4", "C4", "CS2-06", "2023/24", 1, 1),  # on track, but left a committed
            ("P4", "C4", "CS2-04", "2023/24", 1, 1),  # measure without a return
            ("P4", "C4", "CS2-06", "2024/25", 10, 10),
            ("P5", "C5", "CS2-06", "2024/25", 10, 10),  # committed to CS2-04, never reported it
        ]
    )
    c = contracts([("C4", "P4", "CS2-06;CS2-04"), ("C5", "P5", "CS2-06;CS2-04")])
    o = compute_outcomes(r, partners(["P1", "P2", "P3", "P4", "P5"]), c, FRAMEWORK)
    assert o.findings.endorsement == ["P1"]


def test_status_without_target_follows_the_like_for_like_change_not_a_new_contract():
    """P1's C1 fell from 10 to 8; a new contract C2 added 20. The partner's total rose 10 -> 28
    (+180%), but like for like (C1 alone) it fell 20%: worse by more than 2%, off track."""
    r = returns(
        [
            ("P1", "C1", "CS2-06", "2023/24", 10),
            ("P1", "C1", "CS2-06", "2024/25", 8),
            ("P1", "C2", "CS2-06", "2024/25", 20),
        ]
    )
    m = compute_outcomes(r, partners(["P1"]), contracts([]), FRAMEWORK).measures
    p = row(m, "partner", "CS2-06", "2024/25", partner="P1")
    assert (p["value"], p["yoy_pct"]) == (28, pytest.approx(180))
    assert (p["lfl_contracts"], p["lfl_value"], p["lfl_prev_value"]) == (1, 8, 10)
    assert p["lfl_yoy_pct"] == pytest.approx(-20)
    assert p["status"] == "off track"
    b = row(m, "borough", "CS2-06", "2024/25")
    assert b["status"] == "off track" and b["lfl_yoy_pct"] == pytest.approx(-20)
    assert row(m, "contract", "CS2-06", "2024/25", contract="C2")["status"] == "no target"


def test_no_contract_in_both_years_is_not_comparable_and_not_judged():
    """CS1-07 from P1 in 2023/24 and from P2 in 2024/25: no contract in both years, so there is
    no like-for-like change and, without a target, nothing to judge: no target."""
    r = returns([("P1", "C1", "CS1-07", "2023/24", 102), ("P2", "C2", "CS1-07", "2024/25", 3)])
    m = compute_outcomes(r, partners(["P1", "P2"]), contracts([]), FRAMEWORK).measures
    b = row(m, "borough", "CS1-07", "2024/25")
    assert b["yoy_pct"] == pytest.approx(-97.06, abs=0.01)  # the misleading raw change
    assert pd.isna(b["lfl_yoy_pct"]) and pd.isna(b["lfl_contracts"])
    assert b["status"] == "no target"


def test_partner_overall_is_the_worst_measure_status():
    assert overall_status(["on track", "no target"]) == "on track"
    assert overall_status(["on track", "no return", "at risk"]) == "no return"
    assert overall_status(["no return", "off track"]) == "off track"
    assert overall_status(["no target"]) == "no target"
    assert overall_status([]) == "no data"
    m = pd.DataFrame(
        {
            "level": ["partner", "partner", "partner", "contract"],
            "partner_id": ["P1", "P1", "P2", "P2"],
            "period": ["2024/25"] * 4,
            "status": ["on track", "no return", "on track", "off track"],
        }
    )
    assert partner_overall(m, "2024/25") == {"P1": "no return", "P2": "on track"}


def test_rules_in_words_state_the_thresholds_in_use():
    words = " ".join(rules_in_words(Thresholds(0.9, 0.5, 3.0)))
    assert "at least 90%" in words and "from 50%" in words and "within 3%" in words
    assert "worse by more than 3% is off track" in words
    for state in ("No target", "No return", "No data"):
        assert state in words
