"""Assemble what one audience's health check may show, from the validate and compute outputs.

Partner isolation is enforced here, before anything is rendered: `view_for(cycle, partner_id)`
returns frames and findings that hold only that partner's rows, plus borough totals (which carry
no partner id). `check_isolated` then refuses to hand over a view in which any other partner's id
or name can be found, so a bug in a section cannot leak another partner's figures.

Disclosure control: a borough figure resting on fewer than `report.min_partners_for_borough`
partners (default 3) would let a partner subtract its own figure and learn another's, so in a
partner's view such figures are removed from the borough rows (`suppress_small_cells`) before any
section sees them; the council's view keeps them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.errors import UserError
from pipeline.core.framework import Framework, load_framework
from pipeline.core.paths import CyclePaths
from pipeline.core.quarantine import QUARANTINE_COLUMNS
from pipeline.core.settings import DEFAULTS, load_params

COUNCIL = "council"

#: Borough figures of a period; hidden when that period rests on too few partners.
CURRENT_FIGURES = ("value", "target", "achieved_share", "value_gbp")
#: Figures that also involve the previous period's borough figure.
CHANGE_FIGURES = (
    "prev_value",
    "yoy_abs",
    "yoy_pct",
    "improved",
    "lfl_yoy_pct",
    "lfl_value",
    "lfl_prev_value",
)
DEFAULT_MIN_PARTNERS = int(DEFAULTS["report"]["min_partners_for_borough"])


def suppressed_reason(min_partners: int) -> str:
    """Why a borough figure is not shown in a partner's report."""
    return (
        f"fewer than {min_partners} partners reported: not shown to protect other partners' figures"
    )


@dataclass(frozen=True)
class CycleData:
    """Everything the report stage reads for one cycle (council-level, unfiltered)."""

    cycle: str
    framework: Framework
    measures: pd.DataFrame
    theme_status: pd.DataFrame
    findings: dict[str, Any]
    quarantine: pd.DataFrame
    partners: pd.DataFrame
    contracts: pd.DataFrame
    validation: dict[str, Any]
    data_docs: bool
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def partner_ids(self) -> list[str]:
        return sorted(str(p) for p in self.partners["partner_id"].dropna().unique())


@dataclass(frozen=True)
class AudienceView:
    """What one report may show. For a partner, every frame is already filtered to it."""

    audience: str
    cycle: str
    framework: Framework
    latest_period: str
    periods: list[str]
    measures: pd.DataFrame
    theme_status: pd.DataFrame
    findings: dict[str, Any]
    quarantine: pd.DataFrame
    partners: pd.DataFrame
    contracts: pd.DataFrame
    validation: dict[str, Any]
    data_docs: bool
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    partner_name: str | None = None
    #: Partner views: borough figures resting on fewer partners are removed (0: council view).
    min_partners_for_borough: int = 0

    @property
    def is_council(self) -> bool:
        return self.audience == COUNCIL


def _need(path: Path, stage: str) -> Path:
    if not path.exists():
        raise UserError(f"{path}: missing; run `svf {stage}` for this cycle first")
    return path


def _read_parquet(path: Path, stage: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(_need(path, stage))
    except UserError:
        raise
    except Exception as exc:  # a truncated or foreign file: say which one
        raise UserError(f"{path}: cannot read ({exc})") from None


def _read_json(path: Path, stage: str) -> dict[str, Any]:
    try:
        return json.loads(_need(path, stage).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def input_files(paths: CyclePaths) -> list[Path]:
    """The files a report depends on (also the cache key of `load_cycle`)."""
    return [
        paths.framework,
        paths.measures,
        paths.clean_table("theme_status"),
        paths.clean / "findings.json",
        paths.quarantine,
        paths.clean_table("partners"),
        paths.clean_table("contracts"),
        paths.validation_json,
        paths.clean_table("returns"),
    ]


def load_cycle(paths: CyclePaths) -> CycleData:
    """Read the cycle's outputs once per process (cached while the files are unchanged)."""
    stamp = tuple((str(p), p.stat().st_mtime_ns if p.exists() else 0) for p in input_files(paths))
    return _load_cycle(paths, stamp)


@lru_cache(maxsize=4)
def _load_cycle(paths: CyclePaths, stamp: tuple) -> CycleData:  # noqa: ARG001 - stamp is the key
    quarantine = (
        _read_parquet(paths.quarantine, "validate")
        if paths.quarantine.exists()
        else pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    )
    return CycleData(
        cycle=paths.cycle,
        framework=load_framework(paths.framework),
        measures=_read_parquet(paths.measures, "compute"),
        theme_status=_read_parquet(paths.clean_table("theme_status"), "compute"),
        findings=_read_json(paths.clean / "findings.json", "compute"),
        quarantine=quarantine,
        partners=_read_parquet(paths.clean_table("partners"), "validate"),
        contracts=_read_parquet(paths.clean_table("contracts"), "validate"),
        validation=_read_json(paths.validation_json, "validate"),
        data_docs=(paths.data_quality / "index.html").exists(),
        returns=(
            _read_parquet(paths.clean_table("returns"), "validate")
            if paths.clean_table("returns").exists()
            else pd.DataFrame(columns=["partner_id"])
        ),
    )


def _periods(data: CycleData) -> tuple[str, list[str]]:
    periods = [str(p) for p in data.findings.get("periods") or []]
    if not periods:
        periods = sorted(str(p) for p in data.measures["period"].dropna().unique())
    latest = str(data.findings.get("latest_period") or (periods[-1] if periods else ""))
    return latest, periods


def _own(frame: pd.DataFrame, partner_id: str) -> pd.DataFrame:
    if "partner_id" not in frame.columns:
        return frame.iloc[0:0].copy()
    return frame[frame["partner_id"].astype(object) == partner_id].copy()


def _borough(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows above partner level; they carry no partner id by contract, and we make sure."""
    rows = frame[frame["level"].isin(["borough", "council"])].copy()
    return rows[rows["partner_id"].isna()] if "partner_id" in rows.columns else rows


def suppress_small_cells(rows: pd.DataFrame, min_partners: int) -> pd.DataFrame:
    """Borough rows with the figures that rest on fewer than `min_partners` partners removed.

    Adds `suppressed` (this period's value, target, achieved share, social value and status are
    gone) and `prev_suppressed` (the previous period's figure and every change against it are
    gone; so is a status judged on that change, when there is no target). A change goes when
    either period is hidden; the previous figure only with its own period. Like-for-like change
    goes when fewer than `min_partners` partners reported in both years. Rows above the borough
    (council spend, where `partners_covered` counts suppliers) are left as they are.
    """
    out = rows.copy()
    borough = out["level"].eq("borough").to_numpy()
    covered = pd.to_numeric(out["partners_covered"], errors="coerce").fillna(0)
    by_period = {
        (str(m), str(p)): c
        for m, p, c in zip(
            out.loc[borough, "measure_id"],
            out.loc[borough, "period"],
            covered[borough],
            strict=True,
        )
    }
    looked_up = pd.Series(
        [
            by_period.get((str(m), str(p)), 0) if isinstance(p, str) else 0
            for m, p in zip(
                out["measure_id"], out.get("prev_period", [None] * len(out)), strict=True
            )
        ],
        index=out.index,
        dtype="float64",
    )
    prev_covered = (
        pd.to_numeric(out["prev_partners_covered"], errors="coerce").fillna(looked_up)
        if "prev_partners_covered" in out.columns
        else looked_up
    )
    # Nothing to hide where nobody reported (no figure): "no data" stays "no data".
    now = borough & (covered > 0).to_numpy() & (covered < min_partners).to_numpy()
    before = borough & (prev_covered > 0).to_numpy() & (prev_covered < min_partners).to_numpy()
    for col in CURRENT_FIGURES:
        if col in out.columns:
            out.loc[now, col] = pd.NA if out[col].dtype.name == "boolean" else float("nan")
    for col in CHANGE_FIGURES:
        if col in out.columns:
            # The previous figure goes with its own period; a change goes with either.
            hide = before if col == "prev_value" else now | before
            out.loc[hide, col] = pd.NA if out[col].dtype.name == "boolean" else float("nan")
    if "lfl_partners" in out.columns and "lfl_yoy_pct" in out.columns:
        lfl = pd.to_numeric(out["lfl_partners"], errors="coerce").fillna(0)
        few = borough & (lfl < min_partners).to_numpy()
        for col in ("lfl_yoy_pct", "lfl_value", "lfl_prev_value"):
            if col in out.columns:
                out.loc[few, col] = float("nan")
    no_target = out["target"].isna().to_numpy() if "target" in out.columns else borough
    status = out["status"].astype(object)
    status[now | (before & no_target)] = None
    out["status"] = status
    out["suppressed"] = now
    out["prev_suppressed"] = before
    return out


def _suppressed_social_value(
    sv: dict[str, Any], measures: pd.DataFrame, latest: str, min_partners: int
) -> tuple[Any, dict[str, Any]]:
    """The borough social value, total and by theme, without totals holding a hidden figure."""
    b = measures[
        measures["level"].eq("borough")
        & measures["period"].eq(latest)
        & measures["value_gbp"].notna()
    ]
    covered = pd.to_numeric(b["partners_covered"], errors="coerce").fillna(0)
    hidden = set(b.loc[(covered > 0) & (covered < min_partners), "theme"].astype(str))
    by_theme = {t: (None if t in hidden else v) for t, v in dict(sv.get("by_theme") or {}).items()}
    return (None if hidden else sv.get("borough")), by_theme


def view_for(
    data: CycleData, audience: str, *, min_partners: int = DEFAULT_MIN_PARTNERS
) -> AudienceView:
    """The view for `council` or one partner id (a `UserError` for an unknown partner).

    In a partner's view, borough figures resting on fewer than `min_partners` partners are
    removed (see `suppress_small_cells`); the council's view has every figure.
    """
    latest, periods = _periods(data)
    if audience == COUNCIL:
        return AudienceView(
            audience=COUNCIL,
            cycle=data.cycle,
            framework=data.framework,
            latest_period=latest,
            periods=periods,
            measures=data.measures.copy(),
            theme_status=data.theme_status.copy(),
            findings=json.loads(json.dumps(data.findings)),
            quarantine=data.quarantine.copy(),
            partners=data.partners.copy(),
            contracts=data.contracts.copy(),
            validation=json.loads(json.dumps(data.validation)),
            data_docs=data.data_docs,
            returns=data.returns.copy(),
        )
    if audience not in set(data.partner_ids):
        raise UserError(
            f"unknown partner {audience!r}: not in partners.parquet for cycle {data.cycle}"
        )
    me = _own(data.partners, audience)
    measures = pd.concat(
        [
            _own(data.measures, audience),
            suppress_small_cells(_borough(data.measures), min_partners),
        ],
        ignore_index=True,
    )
    for col in ("suppressed", "prev_suppressed"):
        measures[col] = measures[col].fillna(False).astype(bool)
    theme_status = pd.concat(
        [_own(data.theme_status, audience), _borough(data.theme_status)], ignore_index=True
    )
    f = data.findings
    sv = f.get("social_value") or {}
    sv_borough, sv_by_theme = _suppressed_social_value(sv, data.measures, latest, min_partners)
    findings = {
        "latest_period": latest,
        "periods": periods,
        "coverage": dict(f.get("coverage") or {}),
        "thresholds": dict(f.get("thresholds") or {}),
        "enforcement": [e for e in f.get("enforcement") or [] if e.get("partner_id") == audience],
        "missing_returns": [
            e for e in f.get("missing_returns") or [] if e.get("partner_id") == audience
        ],
        "endorsement": [p for p in f.get("endorsement") or [] if p == audience],
        "social_value": {
            "borough": sv_borough,
            "by_theme": sv_by_theme,
            "by_partner": {audience: (sv.get("by_partner") or {}).get(audience)},
            # Proxy values are the council's own reference data (a list or a mapping).
            "proxies_used": json.loads(json.dumps(sv.get("proxies_used") or [])),
        },
    }
    v = data.validation
    validation = {
        "cycle": v.get("cycle"),
        "generated_at": v.get("generated_at"),
        "partners": {audience: (v.get("partners") or {}).get(audience, {})},
    }
    row = me.iloc[0]
    view = AudienceView(
        audience=audience,
        cycle=data.cycle,
        framework=data.framework,
        latest_period=latest,
        periods=periods,
        measures=measures,
        theme_status=theme_status,
        findings=findings,
        quarantine=_own(data.quarantine, audience),
        partners=me,
        contracts=_own(data.contracts, audience),
        validation=validation,
        data_docs=data.data_docs,
        returns=_own(data.returns, audience),
        partner_name=str(row["name"]),
        min_partners_for_borough=min_partners,
    )
    check_isolated(view, data)
    return view


def check_isolated(view: AudienceView, data: CycleData) -> None:
    """Refuse a partner view that holds any other partner's id or name anywhere."""
    others = data.partners[data.partners["partner_id"] != view.audience]
    other_ids = {str(p) for p in others["partner_id"]}
    frames = [
        view.measures,
        view.theme_status,
        view.quarantine,
        view.partners,
        view.contracts,
        view.returns,
    ]
    for frame in frames:
        if "partner_id" in frame.columns:
            leaked = set(frame["partner_id"].dropna().astype(str)) & other_ids
            if leaked:
                raise AssertionError(f"partner view {view.audience} holds rows of {sorted(leaked)}")
    blob = json.dumps([view.findings, view.validation], default=str)
    for pid in other_ids:
        if f'"{pid}"' in blob:
            raise AssertionError(f"partner view {view.audience} mentions partner {pid}")
    m = view.measures
    b = m[m["level"].eq("borough")]
    covered = pd.to_numeric(b["partners_covered"], errors="coerce").fillna(0)
    small = b[(covered < view.min_partners_for_borough) & b["value"].notna()]
    if not small.empty:
        raise AssertionError(
            f"partner view {view.audience} shows borough {small['measure_id'].iloc[0]} "
            f"{small['period'].iloc[0]}, which rests on fewer than "
            f"{view.min_partners_for_borough} partners"
        )


def load_view(cycle: str, workspace: str | Path, audience: str) -> AudienceView:
    """What the notebook calls: the view for `audience` in `cycle` under `workspace`."""
    paths = CyclePaths.of(cycle, workspace)
    k = int(load_params(paths.params)["report"]["min_partners_for_borough"])
    return view_for(load_cycle(paths), audience, min_partners=k)
