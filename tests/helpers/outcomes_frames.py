"""Builders of small clean tables for the compute tests, made from the schemas the validate stage
writes them with (`pipeline.core.tables`), so an input cannot drift from the real table."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.core.framework import load_framework
from pipeline.core.tables import CONTRACTS, PARTNERS, RETURNS

FRAMEWORK = load_framework("data/reference/framework.yaml")


def returns(rows: Iterable[tuple]) -> pd.DataFrame:
    """Rows of (partner, contract, measure, period, value[, target[, denominator]])."""
    records = []
    for i, row in enumerate(rows):
        partner, contract, measure, period, value, *rest = row
        records.append(
            {
                "source_file": "returns.csv",
                "source_row": i + 2,
                "partner_id": partner,
                "contract_id": contract,
                "measure_id": measure,
                "period": period,
                "value": float(value),
                "target": rest[0] if len(rest) > 0 else None,
                "denominator": rest[1] if len(rest) > 1 else None,
            }
        )
    return RETURNS.build(records)


def partners(ids: Iterable[str]) -> pd.DataFrame:
    return PARTNERS.build(
        {
            "source_file": "partners.csv",
            "source_row": i + 2,
            "partner_id": p,
            "name": f"Partner {p}",
            "type": "private",
            "postcode": "RM17 6SL",
            "sme": True,
        }
        for i, p in enumerate(ids)
    )


def contracts(rows: Iterable[tuple]) -> pd.DataFrame:
    """Rows of (contract, partner, measures ';'-joined[, start, end, value_gbp])."""
    records = []
    for i, row in enumerate(rows):
        contract, partner, measures, *rest = row
        records.append(
            {
                "source_file": "contracts.csv",
                "source_row": i + 2,
                "contract_id": contract,
                "partner_id": partner,
                "title": f"Contract {contract}",
                "start": rest[0] if len(rest) > 0 else "2020-04-01",
                "end": rest[1] if len(rest) > 1 else "2030-03-31",
                "value_gbp": float(rest[2]) if len(rest) > 2 else 100_000.0,
                "outcome_measures": measures,
                "linked_to_subject_matter": True,
            }
        )
    return CONTRACTS.build(records)


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
