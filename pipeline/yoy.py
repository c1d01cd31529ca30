"""Year-on-year change: each figure against the same figure in the previous UK financial year.

A missing figure is missing, never zero: with no previous figure (or a previous figure of zero)
the percentage change is undefined (NaN, never infinite) and `improved` is NA. Improvement is
direction-aware: for a measure where lower is better, a fall is an improvement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.periods import following_series, previous_series
from pipeline.rollup import roll_up

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
    """Year-on-year change over only the partners that reported the measure in both years.

    A borough total can rise just because more partners sent returns; this figure removes that
    effect. Returns one row per `keys` + `period` with `lfl_partners` (partners in both years),
    `lfl_value`, `lfl_prev_value` and `lfl_yoy_pct` (percent, NaN when the previous is 0).
    """
    cols = [*keys, "period", "lfl_partners", "lfl_value", "lfl_prev_value", "lfl_yoy_pct"]
    if prepared.empty:
        return pd.DataFrame(columns=cols)
    seen = prepared[["partner_id", "measure_id", "period"]].drop_duplicates()
    prev = previous_series(prepared["period"])
    nxt = following_series(prepared["period"])
    probe = prepared[["partner_id", "measure_id"]]
    in_prev = (
        probe.assign(period=prev).merge(seen.assign(_hit=True), how="left")["_hit"].notna()
    ).to_numpy()
    in_next = (
        probe.assign(period=nxt).merge(seen.assign(_hit=True), how="left")["_hit"].notna()
    ).to_numpy()
    current = roll_up(prepared[in_prev], keys + ["period"])
    earlier = roll_up(prepared[in_next].assign(period=nxt[in_next]), keys + ["period"])
    out = current[[*keys, "period", "partners_covered", "value"]].rename(
        columns={"partners_covered": "lfl_partners", "value": "lfl_value"}
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
