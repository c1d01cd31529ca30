"""The one rule set for status: each figure against its target (or, without one, its
like-for-like year-on-year direction), theme and partner status, and the enforcement,
missing-return and endorsement lists the framework promises.

Every report (the index, the council report, each partner's report) takes its statuses from here,
and states the rules in the words of `rules_in_words`, so the three can never disagree.

Statuses:

- `on track`, `at risk`, `off track`: judged against the target, or without a target against the
  like-for-like change since last year (the same contracts in both years);
- `no return`: a return was expected (the contract committed to the measure and was running, or
  reported it last year) and none came;
- `no target`: a figure was returned, but there is neither a target nor a like-for-like figure
  for last year to judge it against;
- `no data`: nothing was expected and nothing came (a borough figure no partner reported).

Thresholds come from `params.yaml` (`status`).

`Status` is the one vocabulary: each status's word (what the tables store), its symbol (so status
never depends on colour alone), its colour (chart bars and tiles), its ink (status text on a page,
HTML and PDF, dark enough to read on white) and its rank (worst first). The renderers, charts,
stylesheet and Typst template all take them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.periods import previous_series


class Status(StrEnum):
    """A status: its word (the member's value, as stored in every table), symbol, colours, rank.

    A member is a `str` equal to its word (`Status.ON_TRACK == "on track"`), so tables, JSON and
    comparisons keep plain words. `rank` orders by severity, worst first: a partner's overall
    status is the worst status of its measures this year.
    """

    # word, symbol, colour (charts), ink (text on a page), rank (0 = worst)
    ON_TRACK = ("on track", "✔", "#1b7f3b", "#17692f", 3)
    AT_RISK = ("at risk", "▲", "#b35c00", "#8a4700", 2)
    OFF_TRACK = ("off track", "✖", "#b3261e", "#a3221b", 0)
    NO_DATA = ("no data", "–", "#6b6b6b", "#4f4f4f", 5)
    NO_RETURN = ("no return", "○", "#6b6b6b", "#4f4f4f", 1)
    NO_TARGET = ("no target", "◇", "#6b6b6b", "#4f4f4f", 4)

    symbol: str
    colour: str
    ink: str
    rank: int

    def __new__(cls, word: str, symbol: str, colour: str, ink: str, rank: int) -> Status:
        member = str.__new__(cls, word)
        member._value_ = word
        member.symbol, member.colour, member.ink, member.rank = symbol, colour, ink, rank
        return member

    @property
    def word(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """`✔ on track`: the word with its symbol (never colour alone)."""
        return f"{self.symbol} {self.value}"

    @property
    def css_class(self) -> str:
        """The stylesheet class of a status cell: `st-on-track`."""
        return "st-" + self.value.replace(" ", "-")

    @classmethod
    def of(cls, value: object) -> Status:
        """The status a word names; `no data` for anything else (None, NaN, an unknown word)."""
        return _BY_WORD.get(value, cls.NO_DATA) if isinstance(value, str) else cls.NO_DATA

    @classmethod
    def of_label(cls, text: object) -> Status | None:
        """The status whose label (`✔ on track`) `text` is exactly; None for any other text."""
        return _BY_LABEL.get(str(text))


_BY_WORD: dict[str, Status] = {s.value: s for s in Status}
_BY_LABEL: dict[str, Status] = {s.label: s for s in Status}


def status_label(status: object) -> str:
    """`✔ on track`: a status word with its symbol; anything else shows as `– no data`."""
    return Status.of(status).label


def css_rules() -> str:
    """The stylesheet's status colours, one class per status (see `pipeline.core.html`)."""
    return "\n".join(f".{s.css_class} {{ color: {s.ink}; }}" for s in Status) + "\n"


def typst_palette() -> str:
    """The Typst template's `status-fill` dictionary: each status word's ink."""
    items = "".join(f'  "{s.value}": rgb("{s.ink}"),\n' for s in Status)
    return f"#let status-fill = (\n{items})\n"


ON_TRACK = Status.ON_TRACK.value
AT_RISK = Status.AT_RISK.value
OFF_TRACK = Status.OFF_TRACK.value
NO_DATA = Status.NO_DATA.value
NO_RETURN = Status.NO_RETURN.value
NO_TARGET = Status.NO_TARGET.value
STATUSES = tuple(s.value for s in Status)
#: Worst first: a partner's overall status is the worst status of its measures this year.
SEVERITY = tuple(s.value for s in sorted(Status, key=lambda s: s.rank))

#: Shares are compared after rounding, so 95/100 is exactly "at" a 0.95 threshold.
ROUND = 9


@dataclass(frozen=True)
class Thresholds:
    """`on_track` and `at_risk` are achieved shares of target (0.95 = 95%); `flat_tolerance_pct`
    is the year-on-year change, in percent, that still counts as flat."""

    on_track: float = 0.95
    at_risk: float = 0.80
    flat_tolerance_pct: float = 2.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Thresholds:
        status = params.get("status", {})
        return cls(
            float(status.get("on_track", cls.on_track)),
            float(status.get("at_risk", cls.at_risk)),
            float(status.get("flat_tolerance_pct", cls.flat_tolerance_pct)),
        )


def achieved_share(value: pd.Series, target: pd.Series, lower: pd.Series) -> pd.Series:
    """Achieved share of target, direction-aware; NaN without a positive target.

    Higher is better: value / target (95 of a target of 100 is 0.95).
    Lower is better: 2 - value / target, so overshooting the target by 5% scores 0.95, exactly as
    falling 5% short does for a higher-is-better measure; 0 (the best result) scores 2.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / target
    share = pd.Series(np.where(lower, 2.0 - ratio, ratio), index=value.index, dtype="float64")
    return share.where(target > 0).round(ROUND)


def assign_status(frame: pd.DataFrame, th: Thresholds) -> pd.Series:
    """The status of every row of a measures table.

    Needs `value`, `target`, `achieved_share`, `direction`, `lfl_value`, `lfl_prev_value`,
    `lfl_yoy_pct` (the like-for-like change: the same contracts in both years), and `status`
    already set to `no return` or `no data` for rows without a value.
    """
    lower = frame["direction"].eq("lower").to_numpy()
    value, target = frame["value"], frame["target"]
    share = frame["achieved_share"]
    has_value = value.notna().to_numpy()
    has_target = target.notna().to_numpy()
    # A target of 0 (or below) has no share: met or not met.
    met = np.where(lower, value <= target, value >= target)
    by_share = np.select(
        [share >= th.on_track, share >= th.at_risk, share.notna()],
        [ON_TRACK, AT_RISK, OFF_TRACK],
        np.where(met, ON_TRACK, OFF_TRACK),
    )
    # No target: the direction of the like-for-like change, with a tolerance for "flat".
    sign = np.where(lower, -1.0, 1.0)
    pct = frame["lfl_yoy_pct"]
    good_pct = (pct * sign).round(ROUND)
    good_abs = (frame["lfl_value"] - frame["lfl_prev_value"]) * sign
    tol = th.flat_tolerance_pct
    by_pct = np.select([good_pct > tol, good_pct < -tol], [ON_TRACK, OFF_TRACK], AT_RISK)
    by_abs = np.select([good_abs > 0, good_abs < 0], [ON_TRACK, OFF_TRACK], AT_RISK)
    zero_base = frame["lfl_prev_value"].eq(0) & frame["lfl_value"].notna()
    by_change = np.where(pct.notna(), by_pct, np.where(zero_base, by_abs, NO_TARGET))
    given = frame["status"].fillna(NO_DATA).to_numpy() if "status" in frame else NO_DATA
    status = np.where(has_value, np.where(has_target, by_share, by_change), given)
    return pd.Series(status, index=frame.index, dtype=object)


def rules_in_words(th: Thresholds) -> list[str]:
    """The status rules in plain words, for the method section of every report."""
    on, risk, tol = th.on_track * 100, th.at_risk * 100, th.flat_tolerance_pct
    return [
        f"With a target: on track when at least {on:.0f}% of the target was achieved, at risk "
        f"from {risk:.0f}% up to that, off track below {risk:.0f}%. Where lower is better, "
        f"going over the target counts the same way (5% over scores 95%).",
        f"Without a target, the change since last year on the same contracts in both years "
        f"(like for like) decides: better by more than {tol:g}% is on track, within {tol:g}% "
        f"either way is at risk, worse by more than {tol:g}% is off track.",
        "No target: a figure was returned but there is neither a target nor a like-for-like "
        "figure for last year to judge it against.",
        "No return: a return was expected (the contract committed to the measure and was "
        "running, or reported it last year) and none came. A missing return is never counted "
        "as zero.",
        "No data: nothing was expected and nothing came.",
        "A partner's overall status is the worst status among its measures this year, in the "
        f"order {', '.join(SEVERITY[:-1])}. A theme's status is the "
        "status most of its judged measures have (a tie goes to the worse), with a missing "
        "return counted as off track.",
    ]


def overall_status(statuses: pd.Series | list[str]) -> str:
    """The worst of some statuses (`SEVERITY` order); `no data` when there are none."""
    present = set(pd.Series(list(statuses), dtype=object).dropna())
    return next((s for s in SEVERITY if s in present), NO_DATA)


def partner_overall(measures: pd.DataFrame, period: str | None) -> dict[str, str]:
    """Each partner's overall status in `period`: the worst status of its partner-level rows."""
    rows = measures[(measures["level"] == "partner") & (measures["period"] == period)]
    return {
        str(pid): overall_status(group["status"])
        for pid, group in rows.groupby("partner_id", sort=True)
    }


def theme_status(measures: pd.DataFrame) -> pd.DataFrame:
    """One status per level, partner, theme and period, by majority of its measures.

    Rule: a committed measure with no return counts as off track. The theme takes the status most
    of its judged measures have; a tie goes to the worse status. With only missing returns judged
    it is `no return`; with nothing judged, `no target` when figures came without anything to
    judge them against, else `no data`. Contract rows are summarised at partner level, so they
    are left out.
    """
    cols = [
        "level",
        "partner_id",
        "theme",
        "period",
        "status",
        "n_measures",
        "n_on_track",
        "n_at_risk",
        "n_off_track",
        "n_no_data",
        "n_no_return",
        "n_no_target",
    ]
    frame = measures[measures["level"] != "contract"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    keys = ["level", "partner_id", "theme", "period"]
    dummies = pd.get_dummies(frame["status"]).reindex(columns=list(STATUSES), fill_value=False)
    counts = (
        pd.concat([frame[keys], dummies.astype("int64")], axis=1)
        .groupby(keys, dropna=False, sort=True)
        .sum()
        .reset_index()
    )
    counts = counts.rename(
        columns={
            ON_TRACK: "n_on_track",
            AT_RISK: "n_at_risk",
            OFF_TRACK: "n_off_track",
            NO_DATA: "n_no_data",
            NO_RETURN: "n_no_return",
            NO_TARGET: "n_no_target",
        }
    )
    counts["n_measures"] = counts[
        ["n_on_track", "n_at_risk", "n_off_track", "n_no_data", "n_no_return", "n_no_target"]
    ].sum(axis=1)
    on, risk = counts["n_on_track"], counts["n_at_risk"]
    off = counts["n_off_track"] + counts["n_no_return"]
    judged = on + risk + off
    counts["status"] = np.select(
        [
            judged.eq(0) & counts["n_no_target"].gt(0),
            judged.eq(0),
            (off >= on) & (off >= risk),
            risk >= on,
        ],
        [NO_TARGET, NO_DATA, OFF_TRACK, AT_RISK],
        ON_TRACK,
    )
    counts["status"] = np.where(
        counts["n_no_return"].eq(judged) & judged.gt(0), NO_RETURN, counts["status"]
    )
    counts["partner_id"] = (
        counts["partner_id"].astype(object).where(counts["partner_id"].notna(), None)
    )
    return counts[cols]


def enforcement(measures: pd.DataFrame, latest_period: str | None) -> list[dict[str, Any]]:
    """Contracts off track on the same measure in two (or more) consecutive financial years.

    One entry per contract and measure, with every period that is part of such a run;
    `current` is true when the run reaches the latest period (the case for contract management
    now) and `against_target` when every one of those years was judged against a committed
    target (otherwise at least one was judged on a year-on-year fall, which is weaker ground).
    """
    off = measures[(measures["level"] == "contract") & (measures["status"] == OFF_TRACK)]
    if off.empty:
        return []
    keys = ["contract_id", "partner_id", "measure_id"]
    off = (
        off[[*keys, "period"]]
        .assign(_targeted=off["target"].notna())
        .drop_duplicates([*keys, "period"])
    )
    pairs = off[[*keys, "period"]].assign(prev_period=previous_series(off["period"]))
    pairs = pairs.merge(
        off[[*keys, "period"]].rename(columns={"period": "prev_period"}), on=[*keys, "prev_period"]
    )
    if pairs.empty:
        return []
    in_run = pd.concat(
        [
            pairs[[*keys, "period"]],
            pairs[[*keys, "prev_period"]].rename(columns={"prev_period": "period"}),
        ]
    ).drop_duplicates()
    in_run = in_run.merge(off, on=[*keys, "period"])
    out = []
    for (contract, partner, measure), group in in_run.groupby(keys, sort=True):
        periods = sorted(group["period"])
        out.append(
            {
                "contract_id": contract,
                "partner_id": partner,
                "measure_id": measure,
                "periods": periods,
                "current": latest_period in periods,
                "against_target": bool(group["_targeted"].all()),
            }
        )
    return out


def endorsement(measures: pd.DataFrame, latest_period: str | None) -> list[str]:
    """Partners on track on every measure they reported in the latest period.

    They must have reported against at least one target, and have no measure they committed to
    left without a return this year (`no return` rows): a partner cannot be endorsed for what it
    chose not to report. A figure with nothing to judge it against (`no target`) neither earns
    nor blocks endorsement.
    """
    rows = measures[(measures["level"] == "partner") & (measures["period"] == latest_period)]
    if rows.empty:
        return []
    reported = rows["value"].notna()
    per = (
        pd.DataFrame(
            {
                "partner_id": rows["partner_id"],
                # A row without a value here is a committed measure left unreported.
                "bad": ~reported | ~rows["status"].isin([ON_TRACK, NO_TARGET]),
                "targeted": reported & rows["target"].notna(),
            }
        )
        .groupby("partner_id")[["bad", "targeted"]]
        .sum()
    )
    good = per[(per["bad"] == 0) & (per["targeted"] > 0)]
    return sorted(str(p) for p in good.index)


def missing_returns_list(measures: pd.DataFrame, period: str | None) -> list[dict[str, Any]]:
    """Contract measures with no return in `period`: the returns to chase (not to enforce).

    One entry per contract and measure, with `reported_before` (the contract returned the measure
    in an earlier year) so a reader can tell a lapsed return from one that never started.
    """
    rows = measures[
        (measures["level"] == "contract")
        & (measures["period"] == period)
        & (measures["status"] == NO_RETURN)
    ]
    if rows.empty:
        return []
    contract = measures[(measures["level"] == "contract") & measures["value"].notna()]
    before = set(zip(contract["contract_id"], contract["measure_id"], strict=True))
    return [
        {
            "contract_id": str(r.contract_id),
            "partner_id": str(r.partner_id),
            "measure_id": str(r.measure_id),
            "period": str(period),
            "reported_before": (r.contract_id, r.measure_id) in before,
        }
        for r in rows.sort_values(["partner_id", "contract_id", "measure_id"]).itertuples()
    ]
