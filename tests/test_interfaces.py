"""The typed hand-offs between stages: table schemas checked when written, findings.json read
back as it was written, and the report stating the settings the compute stage used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.findings import Findings
from pipeline.core.tables import MEASURES, RETURNS, THEME_STATUS, TableSchemaError
from pipeline.outcomes.stage import compute_outcomes
from tests.helpers import report_fixtures as rf
from tests.helpers.outcomes_frames import FRAMEWORK, contracts, partners, returns


def _outcomes():
    r = returns(
        [
            ("P1", "C1", "CS2-06", "2023/24", 4, 10),
            ("P1", "C1", "CS2-06", "2024/25", 10, 10),
            ("P2", "C2", "CS2-06", "2024/25", 3, 10),
        ]
    )
    c = contracts([("C1", "P1", "CS2-06"), ("C2", "P2", "CS2-06")])
    return compute_outcomes(r, partners(["P1", "P2"]), c, FRAMEWORK)


def test_compute_outputs_match_their_schemas():
    o = _outcomes()
    assert list(o.measures.columns) == list(MEASURES.columns)
    MEASURES.check(o.measures)
    THEME_STATUS.check(o.theme_status)


def test_a_table_breaking_its_schema_is_refused_naming_table_column_and_value(tmp_path: Path):
    measures = _outcomes().measures
    measures.loc[0, "status"] = "fine"  # not one of the six statuses
    target = tmp_path / "measures.parquet"
    with pytest.raises(TableSchemaError, match=r"measures\.parquet, column 'status'.*'fine'"):
        MEASURES.write(target, measures)
    assert not target.exists()  # nothing half-checked is written


def test_a_missing_or_extra_column_is_refused(tmp_path: Path):
    measures = _outcomes().measures
    with pytest.raises(TableSchemaError, match=r"measures\.parquet: no column unclassified_share"):
        MEASURES.write(tmp_path / "m.parquet", measures.drop(columns="unclassified_share"))
    with pytest.raises(TableSchemaError, match=r"measures\.parquet: columns not in the schema: x"):
        MEASURES.write(tmp_path / "m.parquet", measures.assign(x=1))


def test_a_null_where_the_contract_requires_a_value_is_refused():
    # measure_id is required in a return (docs/data-contract.md): never null once validated.
    with pytest.raises(TableSchemaError, match=r"returns\.parquet, column 'measure_id'"):
        RETURNS.build(
            [
                {
                    "source_file": "r.csv",
                    "source_row": 2,
                    "partner_id": "P1",
                    "contract_id": "C1",
                    "measure_id": None,
                    "period": "2024/25",
                    "value": 1.0,
                }
            ]
        )


def test_findings_read_back_as_written(tmp_path: Path):
    findings = _outcomes().findings
    path = findings.write(tmp_path / "findings.json")
    again = Findings.read(path)
    assert again == findings
    assert again.enforcement == findings.enforcement
    assert again.social_value.by_partner == findings.social_value.by_partner


def test_findings_of_another_shape_name_the_file(tmp_path: Path):
    from pipeline.core.errors import UserError

    path = tmp_path / "findings.json"
    path.write_text('{"latest_period": "2024/25"}', encoding="utf-8")
    with pytest.raises(UserError, match=r"findings\.json: the file has no coverage"):
        Findings.read(path)


def test_report_states_the_local_area_the_compute_stage_used(tmp_path: Path):
    """The spend shares were computed with the districts in params.yaml at compute time; the
    report says those, even when params.yaml has changed since (it reads findings.json)."""
    from pipeline.report import sections as hc
    from pipeline.report.views import load_view

    paths = rf.write_workspace(tmp_path)
    used = pd.read_csv(paths.reference / "local_postcode_districts.csv", dtype=str)["district"]
    area = Findings.read(paths.findings).spend.local_area
    assert area is not None and area.districts == sorted(set(used))
    other = tmp_path / "other.csv"
    other.write_text("district\nZZ1\n", encoding="utf-8")
    paths.params.write_text(
        paths.params.read_text(encoding="utf-8").replace(
            "local_postcode_districts: data/reference/local_postcode_districts.csv",
            f"local_postcode_districts: {other}",
        ),
        encoding="utf-8",
    )
    text = str(hc.council_spend(load_view(paths.cycle, paths.workspace, "council")).blocks)
    assert f"{', '.join(sorted(set(used)))} (data/reference/local_postcode_districts.csv)" in text
    assert "ZZ1" not in text
