"""Assemble what one audience's health check may show, from the validate and compute outputs.

Partner isolation is enforced here, before anything is rendered: `view_for(cycle, partner_id)`
returns frames and findings that hold only that partner's rows, plus borough totals (which carry
no partner id). `check_isolated` then refuses to hand over a view in which any other partner's id
or name can be found, so a bug in a section cannot leak another partner's figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import UserError
from pipeline.framework import Framework, load_framework
from pipeline.paths import CyclePaths

COUNCIL = "council"


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
    partner_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
        else pd.DataFrame(
            columns=[
                "kind",
                "source_file",
                "source_row",
                "column",
                "expectation",
                "reason",
                "partner_id",
                "record",
            ]
        )
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


def view_for(data: CycleData, audience: str) -> AudienceView:
    """The view for `council` or one partner id (a `UserError` for an unknown partner)."""
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
        [_own(data.measures, audience), _borough(data.measures)], ignore_index=True
    )
    theme_status = pd.concat(
        [_own(data.theme_status, audience), _borough(data.theme_status)], ignore_index=True
    )
    f = data.findings
    sv = f.get("social_value") or {}
    findings = {
        "latest_period": latest,
        "periods": periods,
        "coverage": dict(f.get("coverage") or {}),
        "enforcement": [e for e in f.get("enforcement") or [] if e.get("partner_id") == audience],
        "endorsement": [p for p in f.get("endorsement") or [] if p == audience],
        "social_value": {
            "borough": sv.get("borough"),
            "by_theme": dict(sv.get("by_theme") or {}),
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
        partner_type=None if pd.isna(row.get("type")) else str(row.get("type")),
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


def load_view(cycle: str, workspace: str | Path, audience: str) -> AudienceView:
    """What the notebook calls: the view for `audience` in `cycle` under `workspace`."""
    paths = CyclePaths.of(cycle, workspace)
    return view_for(load_cycle(paths), audience)
