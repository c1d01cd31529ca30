"""Council-level spend measures: joining spend to the supplier register, shares per year."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.core.errors import UserError
from pipeline.core.tables import SPEND, SUPPLIERS
from pipeline.outcomes.spend import (
    classify_spend,
    load_local_districts,
    load_postcode_lookup,
    normalise_name,
    postcode_district,
    spend_shares,
)
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns

THURROCK = frozenset({"RM15", "RM16", "RM17", "RM18", "RM19", "RM20", "SS17"})


def test_reference_districts_file():
    assert load_local_districts("data/reference/local_postcode_districts.csv") == THURROCK


def test_bad_districts_file_names_row_and_column(tmp_path):
    bad = tmp_path / "d.csv"
    bad.write_text("district,source\nRM17,x\nnot a district,x\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"row 3, column district"):
        load_local_districts(bad)


def test_postcode_district():
    got = postcode_district(
        pd.Series(["rm17 6sl", "SS17 7AB", "RM1 3BB", "E1 6AN", "RM17", "12345", None])
    )
    assert got.tolist() == ["RM17", "SS17", "RM1", "E1", "RM17", None, None]


def test_normalised_names_ignore_case_punctuation_and_legal_form():
    got = normalise_name(pd.Series(["ACME Ltd.", "acme limited", "Smith & Sons", "smith and sons"]))
    assert got[0] == got[1] and got[2] == got[3]


def _spend():
    """A council's spend and supplier register as the validate stage writes them."""
    names = ["Local Charity", "Beta Services Limited", "Unknown Co", "Gamma", "Local Charity"]
    dates = ["2024-04-01", "2024-09-30", "2025-01-15", "2025-03-31", "2025-04-01"]
    amounts = [100.0, 300.0, 100.0, 500.0, 50.0]
    ids = ["S1", None, "S99", "S4", "S1"]
    spend = SPEND.build(
        {
            "source_file": "spend.csv",
            "source_row": i + 2,
            "body": "Thurrock Council",
            "date": date,
            "date_precision": "day",
            "transaction_number": f"T{i + 1}",
            "amount": amount,
            "supplier_name": name,
            "supplier_id": sid,
            "redacted": False,
        }
        for i, (name, date, amount, sid) in enumerate(zip(names, dates, amounts, ids, strict=True))
    )
    suppliers = SUPPLIERS.build(
        {
            "source_file": "suppliers.csv",
            "source_row": i + 2,
            "supplier_id": sid,
            "name": name,
            "postcode": postcode,
            "type": kind,
            "sme": sme,
        }
        for i, (sid, name, postcode, kind, sme) in enumerate(
            [
                ("S1", "Local Charity", "RM17 6SL", "vcfs", True),
                ("S2", "BETA SERVICES LTD", "E1 6AN", "private", False),
                ("S4", "Gamma", None, "public", None),
            ]
        )
    )
    return spend, suppliers


def test_spend_shares_report_unclassified_spend_never_guess():
    spend, suppliers = _spend()
    classified = classify_spend(spend, suppliers, THURROCK)
    assert classified["matched_by"].tolist() == ["id", "name", None, "id", "id"]
    shares = spend_shares(classified).set_index("period")
    y = shares.loc["2024/25"]
    # 2024/25 total 1,000: S1 100 (local VCFS SME), S2 300 by name (London, private, not SME),
    # unknown 100, S4 500 (public, postcode and size unknown).
    assert y["total_gbp"] == 1000 and y["payments"] == 4
    assert (y["local_share"], y["local_unclassified_share"]) == (
        10,
        60,
    )  # 100 local; 100+500 unknown
    assert y["local_classified_share"] == 25  # 100 of the 400 classified
    assert (y["vcfs_share"], y["vcfs_unclassified_share"]) == (10, 10)
    assert (y["sme_share"], y["sme_unclassified_share"]) == (10, 60)
    assert (y["local_vcfs_share"], y["local_vcfs_unclassified_share"]) == (10, 10)
    # 1 April 2025 is in the next financial year.
    assert shares.loc["2025/26", "local_share"] == 100
    # Year on year, in percentage points: 10% -> 100%.
    assert shares.loc["2025/26", "local_share_change_pts"] == 90
    assert math.isnan(shares.loc["2024/25", "local_share_change_pts"])


def test_ambiguous_name_is_not_matched():
    spend, suppliers = _spend()
    twins = pd.concat([suppliers, suppliers.iloc[[1]].assign(supplier_id="S5")], ignore_index=True)
    classified = classify_spend(spend, twins, THURROCK)
    assert classified["matched_by"].iloc[1] is None
    assert classified["local"].isna().iloc[1]


def test_council_measures_in_measures_table_with_year_on_year():
    spend, suppliers = _spend()
    r = returns([("P1", "C1", "CS2-06", "2024/25", 1)])
    o = compute_outcomes(
        r,
        partners(["P1"]),
        contracts([]),
        FRAMEWORK,
        spend=spend,
        suppliers=suppliers,
        local_districts=THURROCK,
    )
    council = o.measures[o.measures["level"] == "council"].set_index(["measure_id", "period"])
    assert council.loc[("CS2-02", "2024/25"), "value"] == 10
    assert council.loc[("CS2-02", "2024/25"), "n_returns"] == 4  # payments
    assert council.loc[("CS2-02", "2025/26"), "value"] == 100
    assert council.loc[("CS2-02", "2025/26"), "yoy_abs"] == 90
    assert council.loc[("CS2-03", "2024/25"), "value"] == 10
    assert council["partner_id"].isna().all() and (council["theme"] == "CS2").all()
    by_period = o.findings.spend.by_period
    assert by_period["2024/25"]["local_unclassified_share"] == 60
    assert math.isnan(council.loc[("CS2-02", "2024/25"), "value_gbp"])


def test_ons_postcode_lookup_classifies_by_full_postcode(tmp_path):
    lookup_csv = tmp_path / "onspd.csv"
    lookup_csv.write_text(
        "pcds,oslaua\nRM17 6SL,E06000034\nE1 6AN,E09000030\nRM20 1AA,E06000034\n",
        encoding="utf-8",
    )
    lookup = load_postcode_lookup(lookup_csv, "E06000034")
    spend, suppliers = _spend()
    # S4 gets a Thurrock postcode the lookup does not list: unclassified, not guessed local.
    suppliers.loc[2, "postcode"] = "RM16 9ZZ"
    classified = classify_spend(spend, suppliers, frozenset(), lookup)
    assert classified["local"].tolist()[:4] == [True, False, pd.NA, pd.NA]


def test_postcode_lookup_without_expected_columns_is_a_user_error(tmp_path):
    bad = tmp_path / "lookup.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UserError, match="ONS postcode lookup"):
        load_postcode_lookup(bad, "E06000034")


def test_council_figures_are_their_own_line_in_the_plot_data():
    spend, suppliers = _spend()
    r = returns([("P1", "C1", "CS2-03", "2024/25", 12, None, 100)])
    o = compute_outcomes(
        r,
        partners(["P1"]),
        contracts([]),
        FRAMEWORK,
        spend=spend,
        suppliers=suppliers,
        local_districts=THURROCK,
    )
    plot = o.plots["outcomes_CS2"].set_index(["measure", "period"])
    assert plot.loc[("CS2-03", "2024/25"), "value"] == 12  # the partners' return
    assert plot.loc[("CS2-03 (council)", "2024/25"), "value"] == 10  # the council's spend
