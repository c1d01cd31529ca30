"""Year-on-year change: each figure against the same figure in the previous UK financial year.

A missing figure is missing, never zero: with no previous figure (or a previous figure of zero)
the percentage change is undefined (NaN, never infinite) and `improved` is NA. Improvement is
direction-aware: for a measure where lower is better, a fall is an improvement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.periods import following_series, previous_series
from pipeline.outcomes.rollup import roll_up

ROW_KEY = ("level", "partner_id", "contract_id", "measure_id")


def _row_key(frame: pd.DataFrame) -> pd.Series:
    """One text key per series of figures (level, partner, contract, measure); None -> ''."""
    parts = [frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in ROW_KEY]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def add_yoy(measures: pd.DataFrame) -> pd.DataFrame:
    """Add `prev_period`, `prev_value`, `prev_partners_covered`, `yoy_abs`, `yoy_pct`, `improved`.

    `measures` needs the `ROW_KEY` columns, `period`, `value`, `partners_covered` and
    `direction` (higher | lower). `yoy_pct` is in percent (10.0 means a 10% rise).
    """
    frame = measures.copy()
    frame["_key"] = _row_key(frame)
    frame["prev_period"] = previous_series(frame["period"])
    lookup = frame[["_key", "period", "value", "partners_covered"]].rename(
        columns={
            "period": "prev_period",
            "value": "prev_value",
            "partners_covered": "prev_partners_covered",
        }
    )
    frame = frame.merge(lookup, on=["_key", "prev_period"], how="left", validate="many_to_one")
    frame["prev_partners_covered"] = frame["prev_partners_covered"].astype("Int64")
    frame["yoy_abs"] = frame["value"] - frame["prev_value"]
    prev = frame["prev_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = frame["yoy_abs"] / prev.abs() * 100.0
    frame["yoy_pct"] = pct.where(prev.notna() & prev.ne(0))
    sign = np.where(frame["direction"].eq("lower"), -1.0, 1.0)
    good = frame["yoy_abs"] * sign
    improved = pd.array(good > 0, dtype="boolean")
    improved[good.isna().to_numpy()] = pd.NA
    frame["improved"] = improved
    return frame.drop(columns="_key")


def like_for_like(prepared: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Year-on-year change over only the contracts that returned the measure in both years.

    A total can rise just because more partners sent returns, or a partner added a contract; this
    figure removes that effect. Returns one row per `keys` + `period` with `lfl_contracts`
    (contracts with a return in both years), `lfl_partners` (their partners), `lfl_value`,
    `lfl_prev_value` (both over those contracts only) and `lfl_yoy_pct` (percent, NaN when the
    previous is 0). A figure with no contract in both years has no row: it is not comparable.
    """
    cols = [
        *keys,
        "period",
        "lfl_contracts",
        "lfl_partners",
        "lfl_value",
        "lfl_prev_value",
        "lfl_yoy_pct",
    ]
    if prepared.empty:
        return pd.DataFrame(columns=cols)
    seen = prepared[["contract_id", "measure_id", "period"]].drop_duplicates()
    prev = previous_series(prepared["period"])
    nxt = following_series(prepared["period"])
    probe = prepared[["contract_id", "measure_id"]]
    in_prev = (
        probe.assign(period=prev).merge(seen.assign(_hit=True), how="left")["_hit"].notna()
    ).to_numpy()
    in_next = (
        probe.assign(period=nxt).merge(seen.assign(_hit=True), how="left")["_hit"].notna()
    ).to_numpy()
    current = roll_up(prepared[in_prev], keys + ["period"])
    earlier = roll_up(prepared[in_next].assign(period=nxt[in_next]), keys + ["period"])
    out = current[[*keys, "period", "n_returns", "partners_covered", "value"]].rename(
        columns={
            "n_returns": "lfl_contracts",
            "partners_covered": "lfl_partners",
            "value": "lfl_value",
        }
    )
    out = out.merge(
        earlier[[*keys, "period", "value"]].rename(columns={"value": "lfl_prev_value"}),
        on=[*keys, "period"],
        how="left",
    )
    prev_v = out["lfl_prev_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (out["lfl_value"] - prev_v) / prev_v.abs() * 100.0
    out["lfl_yoy_pct"] = pct.where(prev_v.notna() & prev_v.ne(0))
    return out[cols]


#: Keys of each level for the like-for-like change (the partner of a contract is carried along).
LFL_KEYS: dict[str, list[str]] = {
    "contract": ["contract_id", "partner_id", "measure_id"],
    "partner": ["partner_id", "measure_id"],
    "borough": ["measure_id"],
}
LFL_COLUMNS = ["lfl_contracts", "lfl_partners", "lfl_value", "lfl_prev_value", "lfl_yoy_pct"]


def add_like_for_like(measures: pd.DataFrame, prepared: pd.DataFrame) -> pd.DataFrame:
    """Add the `LFL_COLUMNS` to every row of a measures table (after `add_yoy`).

    Contract, partner and borough rows: over the contracts that returned the measure in both
    years. Council rows (from the council's whole spend) are like for like by nature: their change
    is the plain year-on-year change, over all spend both years.
    """
    parts = []
    for level, keys in LFL_KEYS.items():
        part = like_for_like(prepared, keys)
        for col in ROW_KEY:
            if col not in part:
                part[col] = None
        parts.append(part.assign(level=level))
    lfl = pd.concat(parts, ignore_index=True)
    lfl["_key"] = _row_key(lfl)
    frame = measures.copy()
    frame["_key"] = _row_key(frame)
    frame = frame.merge(
        lfl[["_key", "period", *LFL_COLUMNS]],
        on=["_key", "period"],
        how="left",
        validate="many_to_one",
    ).drop(columns="_key")
    council = frame["level"].eq("council") & frame["prev_value"].notna() & frame["value"].notna()
    frame.loc[council, "lfl_value"] = frame.loc[council, "value"]
    frame.loc[council, "lfl_prev_value"] = frame.loc[council, "prev_value"]
    frame.loc[council, "lfl_yoy_pct"] = frame.loc[council, "yoy_pct"]
    for col in ("lfl_contracts", "lfl_partners"):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in ("lfl_value", "lfl_prev_value", "lfl_yoy_pct"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    return frame
