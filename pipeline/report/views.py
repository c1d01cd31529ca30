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

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.errors import UserError
from pipeline.core.findings import Findings, SocialValue
from pipeline.core.framework import Framework, load_framework
from pipeline.core.paths import CyclePaths
from pipeline.core.settings import ReportSettings, Settings, load_settings
from pipeline.core.tables import QUARANTINE

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
DEFAULT_MIN_PARTNERS = ReportSettings.min_partners_for_borough


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
    findings: Findings
    quarantine: pd.DataFrame
    partners: pd.DataFrame
    contracts: pd.DataFrame
    validation: dict[str, Any]
    data_docs: bool
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: params.yaml as read once for this cycle's reports.
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def partner_ids(self) -> list[str]:
        return sorted(str(p) for p in self.partners["partner_id"].dropna().unique())

    @cached_property
    def slices(self) -> Slices:
        """What every partner's view shares, worked out once per cycle (and worker process)."""
        return Slices(self)


#: The frames a partner view takes its own rows from.
PARTNER_FRAMES = ("measures", "theme_status", "quarantine", "partners", "contracts", "returns")


class Slices:
    """Per-cycle work behind every partner view, done once instead of once per partner.

    `own(name, partner)` takes a partner's rows of a frame by position (a dictionary lookup, not
    a scan of every partner's rows); the borough rows with small cells removed and the borough
    social value are kept per `min_partners`. Nothing here is ever handed out unfiltered: views
    get copies of the partner's own rows and of the borough rows, which carry no partner id.
    """

    def __init__(self, data: CycleData) -> None:
        self.data = data
        self.ids = frozenset(data.partner_ids)
        self.positions: dict[str, dict[str, Any]] = {}
        for name in PARTNER_FRAMES:
            frame: pd.DataFrame = getattr(data, name)
            if "partner_id" in frame.columns and len(frame):
                key = frame["partner_id"].astype(object)
                self.positions[name] = frame.groupby(key, sort=False, dropna=True).indices
            else:
                self.positions[name] = {}
        self.borough_theme_status = _borough(data.theme_status)
        self._borough: dict[int, tuple[pd.DataFrame, Any, dict[str, Any]]] = {}

    def own(self, name: str, partner_id: str) -> pd.DataFrame:
        """The rows of frame `name` that are `partner_id`'s (a copy, in file order)."""
        frame: pd.DataFrame = getattr(self.data, name)
        rows = self.positions[name].get(partner_id)
        return frame.iloc[0:0].copy() if rows is None else frame.take(rows)

    def borough(self, min_partners: int, latest: str) -> tuple[pd.DataFrame, Any, dict[str, Any]]:
        """Borough measure rows with small cells removed, and the borough social value (total
        and by theme) without totals holding a hidden figure; kept per `min_partners`."""
        if min_partners not in self._borough:
            data = self.data
            sv = data.findings.social_value
            self._borough[min_partners] = (
                suppress_small_cells(_borough(data.measures), min_partners),
                *_suppressed_social_value(sv, data.measures, latest, min_partners),
            )
        return self._borough[min_partners]


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
    findings: Findings
    quarantine: pd.DataFrame
    partners: pd.DataFrame
    contracts: pd.DataFrame
    validation: dict[str, Any]
    data_docs: bool
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    partner_name: str | None = None
    #: Partner views: borough figures resting on fewer partners are removed (0: council view).
    min_partners_for_borough: int = 0
    #: Council view: the rows of each long list the report shows (`report.council_list_rows`).
    council_list_rows: int = ReportSettings.council_list_rows

    @property
    def is_council(self) -> bool:
        return self.audience == COUNCIL

    def rows(self, level: str) -> pd.DataFrame:
        """The measure rows at `level` (`partner`, `borough`, `council`); in a partner's view the
        partner rows are its own. Worked out once per view and shared: read, never modify."""
        if level not in self._levels:
            m = self.measures
            rows = m[m["level"] == level]
            if level == "partner" and not self.is_council:
                rows = rows[rows["partner_id"] == self.audience]
            self._levels[level] = rows
        return self._levels[level]

    @cached_property
    def _levels(self) -> dict[str, pd.DataFrame]:
        return {}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Results the report's sections share within this view (see `sections.common.latest_rows`)."""
        return {}


def _need(path: Path, stage: str) -> Path:
    if not path.exists():
        raise UserError(f"{path}: missing; run `svf {stage}` for this cycle first")
    return path


#: Text columns as the report holds them: Python strings (same `str` dtype, NaN for missing).
PYTHON_STR = pd.StringDtype("python", na_value=np.nan)


def python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its Arrow-backed text columns held as Python strings, each distinct text
    once (so the column is an array of references: no bigger than the Arrow one when values
    repeat, as ids, periods and statuses do).

    A report selects, sorts and walks a few dozen rows many times over; each such step costs
    several times more on Arrow arrays than on Python objects, and a report takes hundreds.
    """
    out = {}
    for col, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
            codes, uniques = pd.factorize(frame[col])
            values = np.asarray(uniques, dtype=object).take(codes) if len(uniques) else codes
            values = np.where(codes < 0, np.nan, values).astype(object)
            out[col] = pd.array(values, dtype=PYTHON_STR)
    return frame.assign(**out) if out else frame


def _read_parquet(path: Path, stage: str) -> pd.DataFrame:
    try:
        return python_strings(pd.read_parquet(_need(path, stage)))
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
        paths.findings,
        paths.quarantine,
        paths.clean_table("partners"),
        paths.clean_table("contracts"),
        paths.validation_json,
        paths.clean_table("returns"),
    ]


def load_cycle(paths: CyclePaths) -> CycleData:
    """Read the cycle's outputs and params.yaml once per process (cached while the files are
    unchanged)."""
    stamp = tuple(_stamp(p) for p in [*input_files(paths), paths.params])
    return _load_cycle(paths, stamp)


def _stamp(path: Path) -> tuple[str, int, int]:
    """What tells a file changed: its path, modification time and size (0, 0 when missing)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return str(path), 0, 0
    return str(path), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=2)
def _load_cycle(paths: CyclePaths, stamp: tuple) -> CycleData:  # noqa: ARG001 - stamp is the key
    quarantine = (
        _read_parquet(paths.quarantine, "validate")
        if paths.quarantine.exists()
        else QUARANTINE.empty()
    )
    return CycleData(
        cycle=paths.cycle,
        framework=load_framework(paths.framework),
        measures=_read_parquet(paths.measures, "compute"),
        theme_status=_read_parquet(paths.clean_table("theme_status"), "compute"),
        findings=Findings.read(_need(paths.findings, "compute")),
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
        settings=load_settings(paths.params),
    )


def _periods(data: CycleData) -> tuple[str, list[str]]:
    periods = list(data.findings.periods)
    if not periods:
        periods = sorted(str(p) for p in data.measures["period"].dropna().unique())
    latest = str(data.findings.latest_period or (periods[-1] if periods else ""))
    return latest, periods


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
    sv: SocialValue, measures: pd.DataFrame, latest: str, min_partners: int
) -> tuple[float | None, dict[str, float | None]]:
    """The borough social value, total and by theme, without totals holding a hidden figure."""
    b = measures[
        measures["level"].eq("borough")
        & measures["period"].eq(latest)
        & measures["value_gbp"].notna()
    ]
    covered = pd.to_numeric(b["partners_covered"], errors="coerce").fillna(0)
    hidden = set(b.loc[(covered > 0) & (covered < min_partners), "theme"].astype(str))
    by_theme = {t: (None if t in hidden else v) for t, v in sv.by_theme.items()}
    return (None if hidden else sv.borough), by_theme


def view_for(
    data: CycleData,
    audience: str,
    *,
    min_partners: int = DEFAULT_MIN_PARTNERS,
    list_rows: int = ReportSettings.council_list_rows,
) -> AudienceView:
    """The view for `council` or one partner id (a `UserError` for an unknown partner).

    In a partner's view, borough figures resting on fewer than `min_partners` partners are
    removed (see `suppress_small_cells`); the council's view has every figure, and its report
    shows at most `list_rows` rows of each long list (`pipeline.report.council_lists`).
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
            findings=data.findings,  # frozen: shared, never changed
            quarantine=data.quarantine.copy(),
            partners=data.partners.copy(),
            contracts=data.contracts.copy(),
            validation=copy.deepcopy(data.validation),
            data_docs=data.data_docs,
            returns=data.returns.copy(),
            council_list_rows=list_rows,
        )
    own = data.slices
    if audience not in own.ids:
        raise UserError(
            f"unknown partner {audience!r}: not in partners.parquet for cycle {data.cycle}"
        )
    me = own.own("partners", audience)
    borough, sv_borough, sv_by_theme = own.borough(min_partners, latest)
    measures = pd.concat([own.own("measures", audience), borough], ignore_index=True)
    for col in ("suppressed", "prev_suppressed"):
        measures[col] = measures[col].fillna(False).astype(bool)
    theme_status = pd.concat(
        [own.own("theme_status", audience), own.borough_theme_status], ignore_index=True
    )
    findings = data.findings.for_partner(audience, borough_value=sv_borough, by_theme=sv_by_theme)
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
        quarantine=own.own("quarantine", audience),
        partners=me,
        contracts=own.own("contracts", audience),
        validation=validation,
        data_docs=data.data_docs,
        returns=own.own("returns", audience),
        partner_name=str(row["name"]),
        min_partners_for_borough=min_partners,
    )
    check_isolated(view, data)
    return view


def _texts(obj: Any) -> Iterator[str]:
    """Every key and text in nested findings (other values as `str`, as `json.dumps(default=str)`
    would write them; numbers, flags and None are not texts)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _texts(v)
    elif isinstance(obj, str):
        yield obj
    elif not isinstance(obj, bool | int | float) and obj is not None:
        yield str(obj)


def check_isolated(view: AudienceView, data: CycleData) -> None:
    """Refuse a partner view that holds any other partner's id or name anywhere."""
    other_ids = data.slices.ids - {view.audience}
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
    # Every key and text of the findings, against the other partners' ids.
    mentioned = set(_texts([view.findings.to_json(), view.validation])) & other_ids
    if mentioned:
        raise AssertionError(f"partner view {view.audience} mentions partner {min(mentioned)}")
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
    data = load_cycle(CyclePaths.of(cycle, workspace))
    report = data.settings.report
    return view_for(
        data,
        audience,
        min_partners=report.min_partners_for_borough,
        list_rows=report.council_list_rows,
    )
