"""`findings.json`: what the compute stage found, as typed objects serialised in one place.

The compute stage builds a `Findings` and writes it with `Findings.write`; the report stage reads
it with `Findings.read` and narrows it to one partner with `Findings.for_partner`. Nothing else
reads or writes the file, so the JSON shape (docs/interfaces.md) is defined only here:
`to_json` gives the mapping that is written, `from_json` reads it back (`from_json(to_json())`
is the same object).

Blocks whose rows are open-ended (a spend year's shares, proxy sources, what was read of each
spend file) stay JSON mappings inside their typed block; their keys are documented in
docs/interfaces.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core import atomic
from pipeline.core.errors import UserError
from pipeline.core.status import Thresholds

JSON = Any


def jsonable(obj: Any) -> JSON:
    """Replace NaN/NA with None and numpy scalars with Python ones, so the JSON is valid."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return None if math.isnan(float(obj)) else float(obj)
    return obj


def _fields_of(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    """The known keys of `data` for dataclass `cls` (a clear error for a missing one)."""
    names = {f.name for f in fields(cls)}
    required = {
        f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
    }
    missing = sorted(required - set(data))
    if missing:
        raise UserError(f"findings.json: {where} has no {', '.join(missing)}")
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class Enforcement:
    """A contract off track on one measure in two or more consecutive financial years."""

    contract_id: str
    partner_id: str
    measure_id: str
    periods: list[str]
    current: bool
    against_target: bool


@dataclass(frozen=True)
class MissingReturn:
    """A contract measure with no return in the latest period: a return to chase."""

    contract_id: str
    partner_id: str
    measure_id: str
    period: str
    reported_before: bool


@dataclass(frozen=True)
class ContractWithoutOutcomes:
    contract_id: str
    partner_id: str
    title: str | None


@dataclass(frozen=True)
class UncoveredOutcome:
    theme: str
    outcome: str


@dataclass(frozen=True)
class Gaps:
    """Gaps in provision in the latest period (`pipeline.outcomes.gaps.find_gaps`)."""

    period: str | None
    current_contracts: int
    current_contract_value_gbp: float
    uncovered_measures: list[str]
    uncovered_outcomes: list[UncoveredOutcome]
    contracts_without_outcomes: list[ContractWithoutOutcomes]
    theme_contract_value_share: dict[str, float | None]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Gaps:
        d = _fields_of(cls, data, "gaps")
        return cls(
            **{
                **d,
                "uncovered_outcomes": [UncoveredOutcome(**o) for o in d["uncovered_outcomes"]],
                "contracts_without_outcomes": [
                    ContractWithoutOutcomes(**c) for c in d["contracts_without_outcomes"]
                ],
            }
        )

    @classmethod
    def empty(cls) -> Gaps:
        return cls(None, 0, 0.0, [], [], [], {})


@dataclass(frozen=True)
class SocialValue:
    """The social value estimate of the latest period (`pipeline.outcomes.social_value`).

    `borough` and a theme's figure are None in a partner's view when they hold a borough figure
    resting on too few partners (`pipeline.report.views`)."""

    label: str
    estimate: bool
    period: str | None
    currency: str
    borough: float | None
    by_theme: dict[str, float | None]
    by_measure: dict[str, float]
    by_partner: dict[str, float | None]
    #: The proxy values used: the council's own reference data (rows of `proxies_used`).
    proxies_used: list[dict[str, JSON]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SocialValue:
        return cls(**_fields_of(cls, data, "social_value"))

    @classmethod
    def empty(cls) -> SocialValue:
        return cls("", True, None, "GBP", None, {}, {}, {}, [])


@dataclass(frozen=True)
class LocalArea:
    """What the compute stage counted as in the borough when it classified spend (from the
    `compute` settings), so the report states exactly what was used."""

    #: Postcode districts read from `districts_file`, sorted.
    districts: list[str]
    #: `compute.local_postcode_districts` as given in params.yaml.
    districts_file: str
    #: `compute.postcode_lookup` (an ONS postcode lookup CSV) or None.
    postcode_lookup: str | None
    #: `compute.local_authority_code`: the authority a full postcode must lie in.
    local_authority_code: str


@dataclass(frozen=True)
class SpendFindings:
    """The council's spend (`pipeline.outcomes.spend.spend_findings`), or, when spend files were
    supplied but none could be used, only `reading` with an empty `by_period`."""

    #: Per financial year: `total_gbp`, `payments`, `suppliers`, `matched_share`,
    #: `redacted_gbp`, `redacted_payments`, `redacted_share` and per flag (local, sme, vcfs,
    #: local_vcfs) `_share`, `_unclassified_share`, `_classified_share`, `_share_change_pts`.
    by_period: dict[str, dict[str, JSON]] = field(default_factory=dict)
    basis: str | None = None
    unmatched_suppliers: int = 0
    #: Rows of name, payments, spend_gbp.
    top_unmatched: list[dict[str, JSON]] = field(default_factory=list)
    #: What validation read and refused of each spend file (`spend.spend_reading`).
    reading: dict[str, JSON] | None = None
    local_area: LocalArea | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpendFindings:
        d = _fields_of(cls, data, "spend")
        if d.get("local_area") is not None:
            d["local_area"] = LocalArea(**d["local_area"])
        return cls(**d)


@dataclass(frozen=True)
class Findings:
    """Everything `findings.json` holds (docs/interfaces.md)."""

    latest_period: str | None
    periods: list[str]
    #: Partners with a return, per period.
    coverage: dict[str, int]
    thresholds: Thresholds
    enforcement: list[Enforcement]
    missing_returns: list[MissingReturn]
    #: Partners endorsed: on track on every measure they reported.
    endorsement: list[str]
    gaps: Gaps
    social_value: SocialValue
    spend: SpendFindings | None = None
    partners_registered: int = 0

    # ------------------------------------------------------------------ serialisation

    def to_json(self) -> dict[str, JSON]:
        """The mapping written to findings.json (NaN as null, plain Python scalars)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _plain(value)
        return jsonable(out)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Findings:
        d = _fields_of(cls, data, "the file")
        th = d["thresholds"] or {}
        return cls(
            latest_period=d["latest_period"],
            periods=[str(p) for p in d["periods"]],
            coverage={str(k): int(v) for k, v in (d["coverage"] or {}).items()},
            thresholds=Thresholds(
                float(th.get("on_track", Thresholds.on_track)),
                float(th.get("at_risk", Thresholds.at_risk)),
                float(th.get("flat_tolerance_pct", Thresholds.flat_tolerance_pct)),
            ),
            enforcement=[Enforcement(**e) for e in d["enforcement"] or []],
            missing_returns=[MissingReturn(**e) for e in d.get("missing_returns") or []],
            endorsement=[str(p) for p in d["endorsement"] or []],
            gaps=Gaps.from_json(d["gaps"]) if d["gaps"] else Gaps.empty(),
            social_value=(
                SocialValue.from_json(d["social_value"])
                if d["social_value"]
                else SocialValue.empty()
            ),
            spend=SpendFindings.from_json(d["spend"]) if d.get("spend") else None,
            partners_registered=int(d.get("partners_registered") or 0),
        )

    def write(self, path: str | Path) -> Path:
        """Write findings.json atomically (sorted keys, so diffs are stable)."""
        return atomic.write_json(path, self.to_json())

    @classmethod
    def read(cls, path: str | Path) -> Findings:
        """Read findings.json (a `UserError` naming the file when it is not valid)."""
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, dict):
            raise UserError(f"{p}: expected a JSON object")
        try:
            return cls.from_json(data)
        except UserError as exc:
            raise UserError(f"{p}: {str(exc).removeprefix('findings.json: ')}") from None
        except (TypeError, KeyError, ValueError) as exc:
            raise UserError(f"{p}: not the findings of this version ({exc})") from None

    # ------------------------------------------------------------------ views

    def for_partner(
        self, partner_id: str, *, borough_value: float | None, by_theme: dict[str, float | None]
    ) -> Findings:
        """What a partner's report may hold: its own enforcement, returns to chase and
        endorsement, its own social value, and the borough totals given (small cells removed by
        the caller); no gaps (they name other partners' contracts) and no council spend."""
        sv = self.social_value
        return Findings(
            latest_period=self.latest_period,
            periods=list(self.periods),
            coverage=dict(self.coverage),
            thresholds=self.thresholds,
            enforcement=[e for e in self.enforcement if e.partner_id == partner_id],
            missing_returns=[e for e in self.missing_returns if e.partner_id == partner_id],
            endorsement=[p for p in self.endorsement if p == partner_id],
            gaps=Gaps.empty(),
            social_value=replace(
                sv,
                borough=borough_value,
                by_theme=dict(by_theme),
                by_measure={},
                by_partner={partner_id: sv.by_partner.get(partner_id)},
            ),
            spend=None,
            partners_registered=0,
        )


def _plain(value: Any) -> Any:
    """A dataclass tree as plain dicts and lists (dataclasses.asdict without deep-copying)."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


__all__ = [
    "ContractWithoutOutcomes",
    "Enforcement",
    "Findings",
    "Gaps",
    "LocalArea",
    "MissingReturn",
    "SocialValue",
    "SpendFindings",
    "UncoveredOutcome",
    "jsonable",
]
