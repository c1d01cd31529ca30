"""Returns as people write the financial year: unambiguous spellings are read and stored as
`2024/25`; ambiguous ones are refused with the reason."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core import parsing
from tests.helpers.validate_fixtures import returns_csv, run, workspace


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2024/25", "2024/25"),
        ("2024-25", "2024/25"),
        ("2024/2025", "2024/25"),
        ("2024-2025", "2024/25"),
        ("FY2024/25", "2024/25"),
        ("fy 2024-25", "2024/25"),
        ("1999/2000", "1999/00"),
        ("1999-00", "1999/00"),
        ("FY25", None),
        ("FY2024", None),
        ("2024", None),
        ("2024/2026", None),
        ("2024/26", None),
        ("24/25", None),
    ],
)
def test_financial_year_spellings(typed: str, stored: str | None) -> None:
    got = parsing.period_parts(pd.Series([typed], dtype=object))["period"].iloc[0]
    assert got == stored if stored else pd.isna(got)


def test_returns_store_the_canonical_year_and_refuse_ambiguous_ones(tmp_path) -> None:  # noqa: ANN001
    rows = [
        f"P001,C001,CS1-02,{period},120,100,,Timesheets,yes,,2025-04-10"
        for period in ("2024-25", "2023/2024", "FY2022/23", "FY25", "2024")
    ]
    result = run(workspace(tmp_path, {"P001.csv": returns_csv(*rows)}))
    clean = result.tables["returns"].sort_values("source_row")
    assert clean["period"].tolist() == ["2024/25", "2023/24", "2022/23"]
    refused = {r.row: r.reason for r in result.rejections if r.file == "P001.csv"}
    assert sorted(refused) == [5, 6]
    assert "period 'FY25' is not a financial year written like 2024/25" in refused[5]
    assert "could mean either of two financial years" in refused[6]
