"""Gaps in provision: what the framework asks for that no current contract commits to.

The framework says every tender will include at least one outcome; this module lists the
contracts that committed to none, the measures (and, through their theme, the outcomes) that no
contract running in the latest period commits to, and the share of contract value behind each
theme.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.core.framework import Framework
from pipeline.outcomes.rollup import active_in, committed_measures


def current_contracts(contracts: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """Contracts running for at least a day of `period` (all contracts when there is no period)."""
    if period is None or contracts.empty:
        return contracts
    active = active_in(contracts, [period])
    return contracts[contracts["contract_id"].isin(active["contract_id"])]


def find_gaps(contracts: pd.DataFrame, framework: Framework, period: str | None) -> dict[str, Any]:
    """The `gaps` block of `findings.json`.

    - `uncovered_measures`: partner-reported framework measures no current contract commits to
      (council-level measures come from spend data, not contracts, so they are not gaps).
    - `uncovered_outcomes`: outcomes of themes where no current contract commits to any measure
      (the framework ties measures to themes, not to single outcomes).
    - `contracts_without_outcomes`: every contract in the register that committed to no
      framework measure at all.
    - `theme_contract_value_share`: for each theme, the value of current contracts committing to
      at least one of its measures over the value of all current contracts. A contract counts
      in full for every theme it commits to, so the shares can add up to more than 1.
    """
    known = framework.measure_ids
    partner_measures = [m.id for m in framework.measures if m.level == "partner"]
    commitments = committed_measures(contracts)
    commitments = commitments[commitments["measure_id"].isin(known)]
    current = current_contracts(contracts, period)
    current_commitments = commitments[commitments["contract_id"].isin(current["contract_id"])]
    covered = set(current_commitments["measure_id"])
    uncovered = [m for m in partner_measures if m not in covered]
    theme_of = {m.id: m.theme for m in framework.measures}
    covered_themes = {theme_of[m] for m in covered}
    uncovered_outcomes = [
        {"theme": t.code, "outcome": o}
        for t in framework.themes
        if t.code not in covered_themes
        for o in t.outcomes
    ]
    without = contracts[~contracts["contract_id"].isin(commitments["contract_id"])]
    without_list = [
        {"contract_id": str(r.contract_id), "partner_id": str(r.partner_id), "title": r.title}
        for r in without.sort_values("contract_id").itertuples()
    ]
    value = pd.to_numeric(current.get("value_gbp"), errors="coerce") if not current.empty else None
    total = float(value.sum()) if value is not None else 0.0
    shares: dict[str, float | None] = {}
    if value is not None:
        by_contract = current.assign(_v=value)[["contract_id", "_v"]]
        themed = current_commitments.assign(theme=current_commitments["measure_id"].map(theme_of))
        themed = themed[["contract_id", "theme"]].drop_duplicates().merge(by_contract)
        per_theme = themed.groupby("theme")["_v"].sum()
    for t in framework.themes:
        if total > 0 and value is not None:
            shares[t.code] = round(float(per_theme.get(t.code, 0.0)) / total, 6)
        else:
            shares[t.code] = None
    return {
        "period": period,
        "current_contracts": int(len(current)),
        "current_contract_value_gbp": total,
        "uncovered_measures": uncovered,
        "uncovered_outcomes": uncovered_outcomes,
        "contracts_without_outcomes": without_list,
        "theme_contract_value_share": shares,
    }
