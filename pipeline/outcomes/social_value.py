"""Social value in money: a measure's value times its proxy (GBP per unit), as an estimate.

Proxy values come from open sources listed in `framework.yaml` (source and price year); a
council with a licence for other values (for example the National TOMs, which may not be
bundled) loads its own file over them. Only summed measures are valued: a mean or a percentage
times a unit price is not an amount of value delivered.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.core.framework import Framework

LABEL = (
    "Estimate: value delivered times a proxy value per unit from the sources listed; "
    "not a cash amount, and not comparable across proxy sets or price years."
)


def add_value_gbp(measures: pd.DataFrame, framework: Framework) -> pd.Series:
    """`value_gbp` for every row of a measures table (NaN where the measure has no proxy)."""
    price = {
        m.id: m.proxy.gbp_per_unit
        for m in framework.measures
        if m.proxy is not None and m.rollup == "sum" and m.unit != "percent"
    }
    per_unit = measures["measure_id"].map(price).astype("float64")
    return measures["value"] * per_unit


def proxies_used(framework: Framework, measure_ids: set[str]) -> list[dict[str, Any]]:
    """The proxies behind the figures, with their source and price year, for the label."""
    used: dict[str, dict[str, Any]] = {}
    for m in framework.measures:
        if m.proxy is None or m.id not in measure_ids:
            continue
        entry = used.setdefault(
            m.proxy.key,
            {
                "key": m.proxy.key,
                "gbp_per_unit": m.proxy.gbp_per_unit,
                "source": m.proxy.source,
                "price_year": m.proxy.price_year,
                "measures": [],
            },
        )
        entry["measures"].append(m.id)
    return [used[k] for k in sorted(used)]


def _money(x: float) -> float:
    return round(float(x), 2)


def summarise(measures: pd.DataFrame, framework: Framework, period: str | None) -> dict[str, Any]:
    """The `social_value` block of `findings.json` for `period`: borough, by theme, by partner."""
    rows = measures[(measures["period"] == period) & measures["value_gbp"].notna()]
    borough = rows[rows["level"] == "borough"]
    partner = rows[rows["level"] == "partner"]
    by_theme = {t.code: 0.0 for t in framework.themes}
    for theme, gbp in borough.groupby("theme")["value_gbp"].sum().items():
        by_theme[str(theme)] = _money(gbp)
    by_partner = {
        str(p): _money(v) for p, v in partner.groupby("partner_id")["value_gbp"].sum().items()
    }
    by_measure = {
        str(m): _money(v) for m, v in borough.groupby("measure_id")["value_gbp"].sum().items()
    }
    return {
        "label": LABEL,
        "estimate": True,
        "period": period,
        "currency": "GBP",
        "borough": _money(borough["value_gbp"].sum()) if len(borough) else 0.0,
        "by_theme": by_theme,
        "by_measure": by_measure,
        "by_partner": by_partner,
        "proxies_used": proxies_used(framework, set(borough["measure_id"])),
    }


__all__ = ["LABEL", "add_value_gbp", "proxies_used", "summarise"]
