"""Roll partners' returns up to contract, partner and borough figures, by each measure's rule.

The framework says how each measure combines across returns (`rollup`): `sum` for counts, hours
and money, `mean` for averages, `weighted_mean` for percentages (weighted by each return's
`denominator`, the base the percentage is of). Every figure keeps how many returns are behind it
(`n_returns`) and from how many partners (`partners_covered`), so a reader can tell a borough
total of 3 partners from one of 30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.errors import UserError
from pipeline.core.framework import Framework
from pipeline.core.periods import bounds, following_series, start_year

KEY = ("contract_id", "measure_id", "period")

#: Keys of each level of the measures table (the `partner_id` of a contract is carried along).
LEVEL_KEYS: dict[str, list[str]] = {
    "contract": ["contract_id", "partner_id", "measure_id", "period"],
    "partner": ["partner_id", "measure_id", "period"],
    "borough": ["measure_id", "period"],
}


def measure_table(framework: Framework) -> pd.DataFrame:
    """One row per framework measure: theme, unit, direction, roll-up, level and proxy."""
    rows = [
        {
            "measure_id": m.id,
            "theme": m.theme,
            "unit": m.unit,
            "direction": m.direction,
            "rollup": m.rollup,
            "measure_level": m.level,
            "proxy_key": m.proxy.key if m.proxy else None,
            "gbp_per_unit": m.proxy.gbp_per_unit if m.proxy else np.nan,
        }
        for m in framework.measures
    ]
    return pd.DataFrame(rows)


def latest_only(returns: pd.DataFrame) -> pd.DataFrame:
    """One row per contract, measure and period: the latest submission.

    The validate stage already guarantees this; doing it again here is cheap and means a revised
    return can never be counted twice, whatever table compute is handed.
    """
    if returns.empty or not returns.duplicated(list(KEY)).any():
        return returns
    order = returns.assign(
        _when=pd.to_datetime(returns.get("submitted_on"), errors="coerce")
        if "submitted_on" in returns
        else pd.NaT,
        _pos=np.arange(len(returns)),
    )
    # Latest submission date wins; on a tie (or no dates) the row read last wins.
    order = order.sort_values(["_when", "_pos"], na_position="first", kind="stable")
    return order.drop_duplicates(list(KEY), keep="last").drop(columns=["_when", "_pos"])


def prepare_returns(returns: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Returns ready to roll up: latest submission only, a value present, framework columns added.

    A return without a value is no return (never 0), and a measure the framework does not know
    (or one computed by the council, not reported) cannot be rolled up, so both are left out.
    """
    cols = ["partner_id", "contract_id", "measure_id", "period", "value", "target", "denominator"]
    frame = latest_only(returns)
    frame = frame[[c for c in cols if c in frame] + [c for c in ("submitted_on",) if c in frame]]
    for col in ("target", "denominator"):
        if col not in frame:
            frame = frame.assign(**{col: np.nan})
    frame = frame.astype({"value": "float64", "target": "float64", "denominator": "float64"})
    frame = frame[frame["value"].notna()]
    measures = measure_table(framework)
    measures = measures[measures["measure_level"] == "partner"]
    frame = frame.merge(measures[["measure_id", "theme", "rollup", "direction"]], on="measure_id")
    # Check every period once; a malformed one is named with the file and row it came from.
    for period in pd.unique(frame["period"]):
        try:
            start_year(period)
        except UserError:
            first = returns[returns["period"] == period].iloc[0]
            where = f"{first.get('source_file', 'returns')}, row {first.get('source_row', '?')}"
            raise UserError(
                f"{where}, column period: {period!r} is not a UK financial year like 2024/25"
            ) from None
    return frame.reset_index(drop=True)


def roll_up(prepared: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Combine prepared returns over `keys` (which must include `measure_id`).

    `value` and `target` follow the measure's rule. A weighted mean uses the denominators when
    every return in the group has a positive one, otherwise it is the plain mean of all the
    returns (a return is never dropped for lacking a denominator). A target is rolled up only when
    every return behind the figure carries one: a total of some partners' targets compared with
    all partners' delivery would misstate progress.
    """
    out_cols = [*keys, "rollup", "value", "target", "n_returns", "partners_covered"]
    if prepared.empty:
        return pd.DataFrame(columns=out_cols)
    weight = prepared["denominator"].where(prepared["denominator"] > 0)
    cols = list(dict.fromkeys([*keys, "rollup", "partner_id", "value", "target"]))
    work = prepared[cols].assign(
        _vd=prepared["value"] * weight,
        _d=weight,
        _w=weight.notna(),
        _t=prepared["target"].notna(),
        _td=prepared["target"] * weight,
    )
    # Four grouped passes (sums, means, sizes, distinct partners) rather than one per column:
    # much faster on the many small tables the tests and a small borough give.
    grouped = work.groupby([*keys, "rollup"], sort=True, dropna=False)
    sums = grouped[["value", "_vd", "_d", "_w", "_t", "target", "_td"]].sum()
    means = grouped[["value", "target"]].mean()
    agg = pd.DataFrame(
        {
            "n_returns": grouped.size(),
            "partners_covered": grouped["partner_id"].nunique(),
            "v_sum": sums["value"],
            "v_mean": means["value"],
            "vd_sum": sums["_vd"],
            "d_sum": sums["_d"],
            "w_n": sums["_w"],
            "t_n": sums["_t"],
            "t_sum": sums["target"],
            "t_mean": means["target"],
            "td_sum": sums["_td"],
        }
    ).reset_index()
    is_sum = agg["rollup"].eq("sum").to_numpy()
    weighted = (agg["rollup"].eq("weighted_mean") & agg["w_n"].eq(agg["n_returns"])).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["value"] = np.select(
            [is_sum, weighted], [agg["v_sum"], agg["vd_sum"] / agg["d_sum"]], agg["v_mean"]
        )
        target = np.select(
            [is_sum, weighted], [agg["t_sum"], agg["td_sum"] / agg["d_sum"]], agg["t_mean"]
        )
    agg["target"] = np.where(agg["t_n"].eq(agg["n_returns"]), target, np.nan)
    agg["n_returns"] = agg["n_returns"].astype("int64")
    agg["partners_covered"] = agg["partners_covered"].astype("int64")
    return agg[out_cols]


def committed_measures(contracts: pd.DataFrame) -> pd.DataFrame:
    """One row per contract and measure it committed to (`outcome_measures`, `;`-joined)."""
    if contracts.empty:
        return pd.DataFrame(columns=["contract_id", "partner_id", "measure_id"])
    ids = contracts["outcome_measures"].fillna("").astype(str).str.split(";")
    frame = contracts[["contract_id", "partner_id"]].assign(measure_id=ids).explode("measure_id")
    frame["measure_id"] = frame["measure_id"].str.strip().str.upper()
    frame = frame[frame["measure_id"].ne("") & frame["measure_id"].notna()]
    return frame.drop_duplicates().reset_index(drop=True)


def active_in(contracts: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """(contract_id, period) pairs where the contract runs for at least a day of the year.

    A contract with no start (or end) date is taken as running since (or until) any period.
    """
    if contracts.empty or not periods:
        return pd.DataFrame(columns=["contract_id", "period"])
    years = pd.DataFrame(
        [(p, *bounds(p)) for p in periods], columns=["period", "fy_start", "fy_end"]
    )
    frame = contracts[["contract_id", "start", "end"]].merge(years, how="cross")
    start = pd.to_datetime(frame["start"])
    end = pd.to_datetime(frame["end"])
    running = (start.isna() | (start <= frame["fy_end"])) & (
        end.isna() | (end >= frame["fy_start"])
    )
    return frame.loc[running, ["contract_id", "period"]].reset_index(drop=True)


def missing_returns(
    prepared: pd.DataFrame, contracts: pd.DataFrame, framework: Framework, periods: list[str]
) -> pd.DataFrame:
    """Contract x measure x period rows that were expected but have no return.

    Expected: a measure the contract committed to, in a year the contract was running; and any
    measure the contract reported the year before while it still runs (or is not in the
    register). The status is `no return`: the return was expected and did not come, whether or
    not the contract ever reported the measure before.
    """
    cols = ["contract_id", "partner_id", "measure_id", "period", "status"]
    partner_measures = {m.id for m in framework.measures if m.level == "partner"}
    active = active_in(contracts, periods)
    committed = committed_measures(contracts)
    committed = committed[committed["measure_id"].isin(partner_measures)]
    expected = committed.merge(active, on="contract_id")
    # Reported last year: expected this year too unless the contract has ended.
    carried = prepared[["contract_id", "partner_id", "measure_id", "period"]].assign(
        period=following_series(prepared["period"])
    )
    carried = carried[carried["period"].isin(periods)]
    known = carried["contract_id"].isin(contracts.get("contract_id", pd.Series(dtype=object)))
    running = carried.merge(active, on=["contract_id", "period"], how="left", indicator=True)
    carried = carried[(~known).to_numpy() | running["_merge"].eq("both").to_numpy()]
    expected = pd.concat([expected, carried], ignore_index=True).drop_duplicates(
        ["contract_id", "measure_id", "period"]
    )
    present = prepared[["contract_id", "measure_id", "period"]].assign(_present=True)
    expected = expected.merge(present, on=["contract_id", "measure_id", "period"], how="left")
    missing = expected[expected["_present"].isna()].drop(columns="_present")
    if missing.empty:
        return pd.DataFrame(columns=cols)
    missing["status"] = "no return"
    return missing[cols].sort_values(cols[:4]).reset_index(drop=True)
