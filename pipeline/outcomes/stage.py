"""The compute stage: year-on-year outcome measures, status, gaps, social value and spend shares.

`compute_outcomes` is pure: clean tables in, an `Outcomes` out (tested directly).
`compute_cycle` reads the cycle's clean tables, computes and writes the outputs; the notebook
`notebooks/02_outcomes.ipynb` calls it. `run_compute_stage` (behind `svf compute`) runs that
notebook with papermill and shows its progress. Method: `docs/outcomes.md`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core import atomic
from pipeline.core.errors import UserError
from pipeline.core.findings import (
    Enforcement,
    Findings,
    Gaps,
    LocalArea,
    MissingReturn,
    SocialValue,
    SpendFindings,
    jsonable,
)
from pipeline.core.framework import Framework, load_framework, load_proxies
from pipeline.core.paths import CyclePaths
from pipeline.core.periods import sort_key
from pipeline.core.progress import NullReporter, Reporter
from pipeline.core.settings import Settings, load_settings
from pipeline.core.status import (
    NO_DATA,
    NO_RETURN,
    Thresholds,
    achieved_share,
    assign_status,
    endorsement,
    enforcement,
    missing_returns_list,
    theme_status,
)
from pipeline.core.tables import MEASURES, QUARANTINE, THEME_STATUS
from pipeline.outcomes.gaps import find_gaps
from pipeline.outcomes.rollup import (
    LEVEL_KEYS,
    measure_table,
    missing_returns,
    prepare_returns,
    roll_up,
)
from pipeline.outcomes.social_value import add_value_gbp
from pipeline.outcomes.social_value import summarise as summarise_social_value
from pipeline.outcomes.spend import (
    classify_spend,
    council_measure_rows,
    load_local_districts,
    load_postcode_lookup,
    spend_findings,
    spend_reading,
    spend_shares,
    unmatched_suppliers,
)
from pipeline.outcomes.yoy import add_like_for_like, add_yoy

NOTEBOOK = "02_outcomes.ipynb"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Columns of `measures.parquet` (the schema `pipeline.core.tables.MEASURES`).
MEASURE_COLUMNS = list(MEASURES.columns)
LEVEL_ORDER = {"council": 0, "borough": 1, "partner": 2, "contract": 3}


@dataclass
class Outcomes:
    """Everything the compute stage produces for one cycle."""

    measures: pd.DataFrame
    theme_status: pd.DataFrame
    findings: Findings
    spend_shares: pd.DataFrame | None = None
    plots: dict[str, pd.DataFrame] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def _missing_rows(
    prepared: pd.DataFrame,
    contracts: pd.DataFrame,
    framework: Framework,
    periods: list[str],
    partner_rows: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contract and partner rows for expected returns that did not come (value NaN)."""
    missing = missing_returns(prepared, contracts, framework, periods)
    blank = {"value": np.nan, "target": np.nan, "n_returns": 0, "partners_covered": 0}
    contract_rows = missing.assign(**blank)
    if missing.empty:
        return contract_rows, missing.assign(**blank)
    # A partner misses a measure only if none of its contracts returned it that year.
    per_partner = (
        missing.assign(_nr=missing["status"].eq("no return"))
        .groupby(["partner_id", "measure_id", "period"], as_index=False)["_nr"]
        .any()
    )
    per_partner["status"] = np.where(per_partner["_nr"], NO_RETURN, NO_DATA)
    have = partner_rows[["partner_id", "measure_id", "period"]].assign(_have=True)
    per_partner = per_partner.merge(have, how="left")
    per_partner = per_partner[per_partner["_have"].isna()].drop(columns=["_nr", "_have"])
    return contract_rows, per_partner.assign(**blank)


def _borough_grid(borough: pd.DataFrame, framework: Framework, periods: list[str]) -> pd.DataFrame:
    """Borough rows for every partner-reported measure in every period ('no data' where none)."""
    ids = [m.id for m in framework.measures if m.level == "partner"]
    grid = pd.MultiIndex.from_product([ids, periods], names=["measure_id", "period"]).to_frame(
        index=False
    )
    full = grid.merge(borough, on=["measure_id", "period"], how="left")
    empty = full["n_returns"].isna()
    full["n_returns"] = full["n_returns"].fillna(0)
    full["partners_covered"] = full["partners_covered"].fillna(0)
    full["status"] = pd.Series(NO_DATA, index=full.index, dtype=object).where(empty, None)
    return full


def compute_outcomes(
    returns: pd.DataFrame,
    partners: pd.DataFrame,
    contracts: pd.DataFrame,
    framework: Framework,
    thresholds: Thresholds | None = None,
    *,
    spend: pd.DataFrame | None = None,
    suppliers: pd.DataFrame | None = None,
    local_districts: frozenset[str] = frozenset(),
    postcode_lookup: pd.Series | None = None,
    reporter: Reporter | None = None,
) -> Outcomes:
    """Compute measures, theme status and findings from the clean tables (pure, no I/O)."""
    th = thresholds or Thresholds()
    rep = reporter or NullReporter()
    rep.start(6, "Computing outcomes")
    prepared = prepare_returns(returns, framework)
    if prepared.empty:
        # Without a single return there is no period to report on; say so instead of writing
        # empty tables a report would present as "no data" everywhere.
        raise UserError(
            "returns.parquet has no accepted returns with a value for a framework measure: "
            "nothing to compute (see the quarantine and data-quality summary of the cycle)"
        )
    periods = sort_key(list(pd.unique(prepared["period"])))
    latest = periods[-1] if periods else None
    rep.advance(label="roll-up")

    levels = {name: roll_up(prepared, keys) for name, keys in LEVEL_KEYS.items()}
    contract_missing, partner_missing = _missing_rows(
        prepared, contracts, framework, periods, levels["partner"]
    )
    frames = [
        pd.concat([levels["contract"], contract_missing], ignore_index=True).assign(
            level="contract"
        ),
        pd.concat([levels["partner"], partner_missing], ignore_index=True).assign(level="partner"),
        _borough_grid(levels["borough"], framework, periods).assign(level="borough"),
    ]
    shares = unmatched = None
    theme_of = {m.id: m.theme for m in framework.measures}
    if spend is not None and not spend.empty:
        classified = classify_spend(spend, suppliers, local_districts, postcode_lookup)
        shares = spend_shares(classified)
        unmatched = unmatched_suppliers(classified)
        frames.append(council_measure_rows(shares, theme_of))
    frames = [f for f in frames if not f.empty]
    measures = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*MEASURE_COLUMNS, "status"])
    )
    for col in ("partner_id", "contract_id", "status"):
        if col not in measures:
            measures[col] = None
        measures[col] = measures[col].astype(object).where(measures[col].notna(), None)
    info = measure_table(framework)[["measure_id", "theme", "unit", "direction"]]
    measures = measures.drop(columns=[c for c in ("theme", "rollup") if c in measures]).merge(
        info, on="measure_id", how="left"
    )
    if "unclassified_share" not in measures:
        measures["unclassified_share"] = np.nan
    measures = measures.astype(
        {
            "value": "float64",
            "target": "float64",
            "n_returns": "int64",
            "partners_covered": "int64",
            "unclassified_share": "float64",
        }
    )
    rep.advance(label="year on year")

    measures = add_like_for_like(add_yoy(measures), prepared)
    rep.advance(label="status")

    lower = measures["direction"].eq("lower")
    measures["achieved_share"] = achieved_share(measures["value"], measures["target"], lower)
    measures["status"] = assign_status(measures, th)
    measures["value_gbp"] = add_value_gbp(measures, framework)
    measures = _order(measures[MEASURE_COLUMNS])
    themes = theme_status(measures)
    rep.advance(label="gaps")

    gaps = find_gaps(contracts, framework, latest)
    rep.advance(label="social value")
    coverage = prepared.groupby("period")["partner_id"].nunique()
    findings = Findings(
        latest_period=latest,
        periods=periods,
        coverage={str(p): int(n) for p, n in coverage.items()},
        partners_registered=int(partners["partner_id"].nunique())
        if "partner_id" in partners
        else 0,
        thresholds=th,
        enforcement=[Enforcement(**e) for e in enforcement(measures, latest)],
        missing_returns=[MissingReturn(**e) for e in missing_returns_list(measures, latest)],
        endorsement=endorsement(measures, latest),
        gaps=Gaps.from_json(gaps),
        social_value=SocialValue.from_json(summarise_social_value(measures, framework, latest)),
        spend=SpendFindings.from_json(spend_findings(shares, unmatched))
        if shares is not None
        else None,
    )
    outcomes = Outcomes(measures, themes, findings, shares)
    outcomes.plots = plot_tables(measures, findings)
    outcomes.metrics = headline_metrics(measures, themes, findings)
    rep.advance(label="done")
    rep.finish()
    return outcomes


def _order(measures: pd.DataFrame) -> pd.DataFrame:
    """Stable, readable row order: council, borough, partner, contract; then ids and period."""
    order = measures.assign(_lvl=measures["level"].map(LEVEL_ORDER))
    order = order.sort_values(
        ["_lvl", "partner_id", "contract_id", "measure_id", "period"],
        na_position="first",
        kind="stable",
    )
    return order.drop(columns="_lvl").reset_index(drop=True)


def plot_tables(measures: pd.DataFrame, findings: Findings) -> dict[str, pd.DataFrame]:
    """DVC plot data: per theme, the borough figure of each measure per period (tidy)."""
    plots: dict[str, pd.DataFrame] = {}
    top = measures[measures["level"].isin(["borough", "council"])]
    cols = [
        "period",
        "measure",
        "level",
        "value",
        "target",
        "partners_covered",
        "yoy_pct",
        "status",
    ]
    # A council figure (from spend) and a borough figure (from returns) of one measure are
    # different lines, so the council's is labelled "(council)".
    label = top["measure_id"].where(top["level"] == "borough", top["measure_id"] + " (council)")
    top = top.assign(measure=label).sort_values(["measure", "period"], kind="stable")
    for theme, rows in top.groupby("theme", sort=True):
        plots[f"outcomes_{theme}"] = rows[cols].reset_index(drop=True)
    plots["coverage"] = pd.DataFrame(
        {"period": list(findings.coverage), "partners": list(findings.coverage.values())}
    )
    return plots


def headline_metrics(
    measures: pd.DataFrame, themes: pd.DataFrame, findings: Findings
) -> dict[str, Any]:
    """DVC metrics: headline figures for the latest period, per theme (flat-ish JSON)."""
    latest = findings.latest_period
    sv = findings.social_value
    gaps = findings.gaps
    per_theme: dict[str, Any] = {}
    rows = themes[(themes["level"] == "borough") & (themes["period"] == latest)]
    for r in rows.itertuples():
        per_theme[str(r.theme)] = {
            "status": r.status,
            "measures": int(r.n_measures),
            "on_track": int(r.n_on_track),
            "at_risk": int(r.n_at_risk),
            "off_track": int(r.n_off_track),
            "no_data": int(r.n_no_data),
            "no_target": int(r.n_no_target),
            "social_value_gbp": sv.by_theme.get(str(r.theme), 0.0),
            "contract_value_share": gaps.theme_contract_value_share.get(str(r.theme)),
        }
    latest_returns = measures[(measures["level"] == "contract") & (measures["period"] == latest)][
        "n_returns"
    ].sum()
    metrics: dict[str, Any] = {
        "latest_period": latest,
        "partners_reporting": findings.coverage.get(str(latest), 0),
        "partners_registered": findings.partners_registered,
        "returns": int(latest_returns),
        "social_value_gbp": sv.borough,
        "enforcement_current": sum(1 for e in findings.enforcement if e.current),
        "endorsed_partners": len(findings.endorsement),
        "uncovered_measures": len(gaps.uncovered_measures),
        "contracts_without_outcomes": len(gaps.contracts_without_outcomes),
        "themes": per_theme,
    }
    if findings.spend:
        by_period = findings.spend.by_period
        if by_period:
            last = max(by_period)
            metrics["spend"] = {
                "period": last,
                **{
                    k: by_period[last][k]
                    for k in (
                        "local_share",
                        "local_unclassified_share",
                        "vcfs_share",
                        "vcfs_unclassified_share",
                        "sme_share",
                        "sme_unclassified_share",
                        "redacted_share",
                        "matched_share",
                    )
                },
            }
    return metrics


# ---------------------------------------------------------------------------- I/O around it


def _reference(paths: CyclePaths, relative: str | Path) -> Path:
    """A reference file from the workspace, or the project's own copy when the workspace has none."""
    candidate = Path(relative)
    if not candidate.is_absolute():
        candidate = paths.workspace / candidate
    if candidate.exists():
        return candidate
    fallback = PROJECT_ROOT / relative
    return fallback if fallback.exists() else candidate


def resolve_framework(
    paths: CyclePaths, proxies: str | Path | None, settings: Settings
) -> Framework:
    """The framework, with proxy values overridden by `proxies` (CLI) or params `compute.proxies`."""
    framework = load_framework(_reference(paths, "data/reference/framework.yaml"))
    chosen = proxies or settings.compute.proxies
    if chosen:
        path = Path(chosen)
        if not path.is_absolute():
            path = paths.workspace / path
        framework = framework.with_proxies(load_proxies(path))
    return framework


def _read(paths: CyclePaths, name: str, required: bool) -> pd.DataFrame | None:
    path = paths.clean_table(name)
    if not path.exists():
        if required:
            raise UserError(f"{path}: not found; run `svf validate --cycle {paths.cycle}` first")
        return None
    return pd.read_parquet(path)


def check_inputs(paths: CyclePaths) -> None:
    """Fail with one line, before starting a kernel, when the clean tables are not there."""
    for name in ("returns", "partners", "contracts"):
        if not paths.clean_table(name).exists():
            raise UserError(
                f"{paths.clean_table(name)}: not found; run `svf validate --cycle {paths.cycle}` first"
            )


def _add_spend_reading(paths: CyclePaths, outcomes: Outcomes) -> None:
    """What validation read and refused of the spend files (from validation.json and the
    quarantine), so the report can say it: a refused file is not "no spend data"."""
    if not paths.validation_json.exists():
        return
    validation = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    if not any(f.get("kind") == "spend" for f in validation.get("files", [])):
        return
    quarantine = (
        pd.read_parquet(
            paths.quarantine, columns=["kind", "source_file", "source_row", "expectation", "reason"]
        )
        if paths.quarantine.exists()
        else QUARANTINE.empty()
    )
    block = outcomes.findings.spend or SpendFindings()
    outcomes.findings = replace(
        outcomes.findings, spend=replace(block, reading=spend_reading(validation, quarantine))
    )


def compute_cycle(
    paths: CyclePaths, *, proxies: str | Path | None = None, reporter: Reporter | None = None
) -> Outcomes:
    """Read the cycle's clean tables, compute, and write every output (atomically)."""
    settings = load_settings(paths.params)
    framework = resolve_framework(paths, proxies, settings)
    returns = _read(paths, "returns", True)
    partners = _read(paths, "partners", True)
    contracts = _read(paths, "contracts", True)
    spend = _read(paths, "spend", False)
    suppliers = _read(paths, "suppliers", False)
    districts: frozenset[str] = frozenset()
    lookup = None
    area = None
    if spend is not None:
        local = settings.compute
        districts = load_local_districts(_reference(paths, local.local_postcode_districts))
        if local.postcode_lookup:
            lookup = load_postcode_lookup(
                paths.workspace / local.postcode_lookup, local.local_authority_code
            )
        area = LocalArea(
            districts=sorted(districts),
            districts_file=local.local_postcode_districts,
            postcode_lookup=local.postcode_lookup,
            local_authority_code=local.local_authority_code,
        )
    outcomes = compute_outcomes(
        returns,
        partners,
        contracts,
        framework,
        settings.status,
        spend=spend,
        suppliers=suppliers,
        local_districts=districts,
        postcode_lookup=lookup,
        reporter=reporter,
    )
    _add_spend_reading(paths, outcomes)
    if area is not None and outcomes.findings.spend is not None:
        # What the report states as "postcode districts used": what was used here.
        spend_block = replace(outcomes.findings.spend, local_area=area)
        outcomes.findings = replace(outcomes.findings, spend=spend_block)
    write_outcomes(paths, outcomes)
    return outcomes


def write_outcomes(paths: CyclePaths, outcomes: Outcomes) -> None:
    """Write measures, theme status, findings, DVC metrics and plot data."""
    MEASURES.write(paths.measures, outcomes.measures)
    THEME_STATUS.write(paths.clean_table("theme_status"), outcomes.theme_status)
    outcomes.findings.write(paths.findings)
    atomic.write_json(paths.metrics / "outcomes.json", jsonable(outcomes.metrics))
    for name, frame in outcomes.plots.items():
        atomic.write_csv(paths.plots / f"{name}.csv", frame)


def _notebook(paths: CyclePaths) -> Path:
    own = paths.notebooks / NOTEBOOK
    return own if own.exists() else PROJECT_ROOT / "notebooks" / NOTEBOOK


def run_compute_stage(
    paths: CyclePaths, *, proxies: Path | None = None, console: Any = None
) -> int:
    """`svf compute`: run `notebooks/02_outcomes.ipynb` with papermill and print a summary."""
    from rich.console import Console

    from pipeline.core.notebooks import execute
    from pipeline.core.progress import RichReporter

    console = console or Console(stderr=True)
    check_inputs(paths)
    if proxies is not None:
        load_proxies(proxies)  # a bad file fails here, in one line, before a kernel starts
    reporter = RichReporter(console)
    try:
        execute(
            _notebook(paths),
            paths.executed / NOTEBOOK,
            {
                "cycle": paths.cycle,
                "workspace": str(paths.workspace),
                "proxies": str(Path(proxies).resolve()) if proxies else None,
            },
            cwd=paths.workspace,
            on_line=reporter.handle_line,
        )
    finally:
        reporter.finish()
    findings = Findings.read(paths.findings)
    sv = findings.social_value
    console.print(
        f"[green]computed[/] {paths.measures} for {findings.latest_period}: "
        f"{findings.coverage.get(str(findings.latest_period), 0)} partners reporting, "
        f"{len(findings.missing_returns)} missing returns to chase, "
        f"{sum(1 for e in findings.enforcement if e.current)} contract measures off track "
        f"two years running, {len(findings.endorsement)} partners endorsed, "
        f"{len(findings.gaps.uncovered_measures)} measures uncovered, "
        f"social value estimate GBP {sv.borough or 0:,.0f}",
        highlight=False,
    )
    spend = findings.spend
    if spend and spend.by_period:
        from rich.markup import escape

        last = max(spend.by_period)
        year = spend.by_period[last]
        rate = year.get("matched_share")
        top = spend.top_unmatched
        console.print(
            f"spend {last}: GBP {year['total_gbp']:,.2f} in {year['payments']:,} payments; "
            f"supplier match rate {'n/a' if rate is None else f'{rate:.1f}%'}; "
            f"{spend.unmatched_suppliers} suppliers not in the register"
            + (f" (most spend: {escape(str(top[0]['name']))})" if top else "")
            + "; `svf suppliers` lists them",
            highlight=False,
        )
    return 0
