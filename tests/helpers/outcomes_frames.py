"""Builders of small clean tables (as the validate stage writes them) for the compute tests."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from pipeline.core.framework import load_framework

FRAMEWORK = load_framework("data/reference/framework.yaml")


def returns(rows: Iterable[tuple]) -> pd.DataFrame:
    """Rows of (partner, contract, measure, period, value[, target[, denominator]])."""
    records = []
    for i, row in enumerate(rows):
        partner, contract, measure, period, value, *rest = row
        target = rest[0] if len(rest) > 0 else np.nan
        denominator = rest[1] if len(rest) > 1 else np.nan
        records.append(
            {
                "partner_id": partner,
                "contract_id": contract,
                "measure_id": measure,
                "period": period,
                "value": float(value),
                "target": np.nan if target is None else float(target),
                "denominator": np.nan if denominator is None else float(denominator),
                "evidence": None,
                "comment": None,
                "verified": pd.NA,
                "submitted_on": pd.NaT,
                "source_file": "returns.csv",
                "source_row": i + 2,
            }
        )
    frame = pd.DataFrame(records)
    return frame.astype({"verified": "boolean", "submitted_on": "datetime64[ns]"})


def partners(ids: Iterable[str]) -> pd.DataFrame:
    ids = list(ids)
    return pd.DataFrame(
        {
            "partner_id": ids,
            "name": [f"Partner {p}" for p in ids],
            "type": "private",
            "postcode": "RM17 6SL",
            "sme": pd.array([True] * len(ids), dtype="boolean"),
        }
    )


def contracts(rows: Iterable[tuple]) -> pd.DataFrame:
    """Rows of (contract, partner, measures ';'-joined[, start, end, value_gbp])."""
    records = []
    for row in rows:
        contract, partner, measures, *rest = row
        start = rest[0] if len(rest) > 0 else "2020-04-01"
        end = rest[1] if len(rest) > 1 else "2030-03-31"
        value = rest[2] if len(rest) > 2 else 100_000.0
        records.append(
            {
                "contract_id": contract,
                "partner_id": partner,
                "title": f"Contract {contract}",
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(end),
                "value_gbp": float(value),
                "outcome_measures": measures,
                "linked_to_subject_matter": True,
            }
        )
    columns = [
        "contract_id",
        "partner_id",
        "title",
        "start",
        "end",
        "value_gbp",
        "outcome_measures",
        "linked_to_subject_matter",
    ]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype(
        {
            "start": "datetime64[ns]",
            "end": "datetime64[ns]",
            "value_gbp": "float64",
            "linked_to_subject_matter": "boolean",
        }
    )


def row(measures: pd.DataFrame, level: str, measure: str, period: str, partner=None, contract=None):
    sel = (
        (measures["level"] == level)
        & (measures["measure_id"] == measure)
        & (measures["period"] == period)
    )
    if partner is not None:
        sel &= measures["partner_id"] == partner
    if contract is not None:
        sel &= measures["contract_id"] == contract
    found = measures[sel]
    assert len(found) == 1, found
    return found.iloc[0]
