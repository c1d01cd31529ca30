"""Read `params.yaml` (the cycle id and tunable thresholds), filling in defaults.

`load_settings` reads the file once into a typed `Settings`, which a stage passes down to the
code that needs it (nothing below a stage's entry point opens params.yaml again). `load_params`
gives the same content as a plain mapping, for the CLI's option defaults.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import UserError
from pipeline.core.status import Thresholds

#: ONS code of Thurrock Council, the default authority for an ONS postcode lookup.
THURROCK_CODE = "E06000034"
#: The postcode districts counted as in the borough, by default.
LOCAL_DISTRICTS_FILE = "data/reference/local_postcode_districts.csv"

DEFAULTS: dict[str, Any] = {
    "cycle": "sample",
    "validate": {"strict": False, "ceilings": {}},
    "status": {"on_track": 0.95, "at_risk": 0.80, "flat_tolerance_pct": 2.0},
    "compute": {
        "proxies": None,
        "local_postcode_districts": LOCAL_DISTRICTS_FILE,
        "postcode_lookup": None,
        "local_authority_code": THURROCK_CODE,
    },
    "report": {
        "renderer": "auto",
        "formats": ["html", "pdf"],
        "partners": "all",
        "min_partners_for_borough": 3,
        "council_list_rows": 25,
    },
    "sample": {"partners": 12, "years": 3, "seed": 2025, "end_period": "2025/26", "messy": True},
}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """Parameters from `path` over the defaults; a missing file gives the defaults."""
    p = Path(path)
    if not p.exists():
        return copy.deepcopy(DEFAULTS)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        from pipeline.core.framework import yaml_problem

        raise UserError(f"{p}: not valid YAML ({yaml_problem(exc)})") from None
    if not isinstance(data, dict):
        raise UserError(f"{p}: expected a mapping of parameters")
    params = _merge(DEFAULTS, data)
    status = params["status"]
    if not 0 <= float(status["at_risk"]) <= float(status["on_track"]):
        raise UserError(f"{p}: status thresholds must satisfy 0 <= at_risk <= on_track")
    report = params["report"] if isinstance(params.get("report"), dict) else {}
    for key, why in (
        ("min_partners_for_borough", "1 shows every borough figure to partners"),
        (
            "council_list_rows",
            "the rows of each long list the council report shows; every row is in the "
            "council-lists.xlsx workbook",
        ),
    ):
        n = report.get(key, DEFAULTS["report"][key])
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UserError(f"{p}: report.{key} must be a whole number, 1 or more ({why})")
    return params


@dataclass(frozen=True)
class ComputeSettings:
    """`compute` in params.yaml: reference files the compute stage reads."""

    #: A licensed proxy-values file overriding the framework's defaults (path or None).
    proxies: str | None = None
    #: CSV of the postcode districts counted as in the borough (column `district`).
    local_postcode_districts: str = LOCAL_DISTRICTS_FILE
    #: An ONS postcode lookup CSV (ONSPD or NSPL): local by full postcode (path or None).
    postcode_lookup: str | None = None
    #: The borough's ONS local authority code, used with `postcode_lookup`.
    local_authority_code: str = THURROCK_CODE


@dataclass(frozen=True)
class ReportSettings:
    """`report` in params.yaml."""

    renderer: str = "auto"
    formats: tuple[str, ...] = ("html", "pdf")
    partners: str = "all"
    #: Partner reports hide a borough figure resting on fewer partners.
    min_partners_for_borough: int = 3
    #: The council report shows at most this many rows of each list that grows with the partners
    #: and contracts (returns to chase, enforcement, endorsement, partners, contracts without
    #: outcomes), most urgent first; every row is in the workbook `council-lists.xlsx` beside it.
    #: 25 is the longest table the PDF keeps on one page (`render_builtin.KEEP_TOGETHER_ROWS`).
    council_list_rows: int = 25


@dataclass(frozen=True)
class Settings:
    """params.yaml, typed (defaults filled in and checked by `load_params`)."""

    cycle: str = "sample"
    cycles: tuple[str, ...] = ()
    strict: bool = False
    #: `validate.ceilings`: largest plausible value per unit (checked by
    #: `pipeline.validate.expectations.ceilings`).
    ceilings: Mapping[str, Any] = field(default_factory=dict)
    status: Thresholds = field(default_factory=Thresholds)
    compute: ComputeSettings = field(default_factory=ComputeSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    #: The whole mapping, for code that still takes params as a mapping (the CLI, `ceilings`).
    params: Mapping[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Settings:
        """Settings from a mapping as `load_params` returns it."""
        validate = params.get("validate") or {}
        compute = params.get("compute") or {}
        report = params.get("report") or {}
        formats = report.get("formats") or ReportSettings.formats
        return cls(
            cycle=str(params.get("cycle") or "sample"),
            cycles=tuple(str(c) for c in params.get("cycles") or ()),
            strict=bool(validate.get("strict", False)),
            ceilings=dict(validate.get("ceilings") or {}),
            status=Thresholds.from_params(params),
            compute=ComputeSettings(
                proxies=_text(compute.get("proxies")),
                local_postcode_districts=str(
                    compute.get("local_postcode_districts") or LOCAL_DISTRICTS_FILE
                ),
                postcode_lookup=_text(compute.get("postcode_lookup")),
                local_authority_code=str(compute.get("local_authority_code") or THURROCK_CODE),
            ),
            report=ReportSettings(
                renderer=str(report.get("renderer") or "auto"),
                formats=(formats,) if isinstance(formats, str) else tuple(formats),
                partners=str(report.get("partners") or "all"),
                min_partners_for_borough=int(report.get("min_partners_for_borough", 3)),
                council_list_rows=int(report.get("council_list_rows", 25)),
            ),
            params=params,
        )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def load_settings(path: str | Path = "params.yaml") -> Settings:
    """params.yaml read once into `Settings` (a missing file gives the defaults)."""
    return Settings.from_params(load_params(path))
