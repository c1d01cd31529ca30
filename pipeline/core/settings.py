"""Read `params.yaml` (the cycle id and tunable thresholds), filling in defaults."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import UserError

DEFAULTS: dict[str, Any] = {
    "cycle": "sample",
    "validate": {"strict": False, "ceilings": {}},
    "status": {"on_track": 0.95, "at_risk": 0.80, "flat_tolerance_pct": 2.0},
    "compute": {
        "proxies": None,
        "local_postcode_districts": "data/reference/local_postcode_districts.csv",
    },
    "report": {
        "renderer": "auto",
        "formats": ["html", "pdf"],
        "partners": "all",
        "min_partners_for_borough": 3,
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
    k = report.get("min_partners_for_borough", 3)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UserError(
            f"{p}: report.min_partners_for_borough must be a whole number, 1 or more "
            "(1 shows every borough figure to partners)"
        )
    return params
