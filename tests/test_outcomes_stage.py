"""The compute stage end to end: clean tables in a workspace -> notebook -> every output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths
from pipeline.outcomes.stage import run_compute_stage
from tests.helpers.outcomes_frames import contracts, partners, returns

INTERFACE_COLUMNS = [
    "level",
    "partner_id",
    "contract_id",
    "theme",
    "measure_id",
    "period",
    "value",
    "n_returns",
    "partners_covered",
    "target",
    "achieved_share",
    "prev_period",
    "prev_value",
    "yoy_abs",
    "yoy_pct",
    "improved",
    "status",
    "value_gbp",
]


def _workspace(tmp_path: Path) -> CyclePaths:
    paths = CyclePaths.of("t1", tmp_path)
    paths.clean.mkdir(parents=True)
    returns(
        [
            ("P1", "C1", "CS2-06", "2023/24", 4, 5),
            ("P1", "C1", "CS2-06", "2024/25", 6, 5),
            ("P2", "C2", "CS1-02", "2024/25", 300),
        ]
    ).to_parquet(paths.clean_table("returns"))
    partners(["P1", "P2"]).to_parquet(paths.clean_table("partners"))
    contracts([("C1", "P1", "CS2-06"), ("C2", "P2", "CS1-02")]).to_parquet(
        paths.clean_table("contracts")
    )
    return paths


@pytest.mark.slow
def test_stage_runs_notebook_and_writes_every_output(tmp_path):
    paths = _workspace(tmp_path)
    proxies = tmp_path / "licensed.yaml"
    proxies.write_text(
        "proxies:\n  volunteering_hour:\n    gbp_per_unit: 20\n    price_year: 2025\n"
        "    source: A licensed set\n",
        encoding="utf-8",
    )
    assert run_compute_stage(paths, proxies=proxies, console=None) == 0
    measures = pd.read_parquet(paths.measures)
    assert list(measures.columns[: len(INTERFACE_COLUMNS)]) == INTERFACE_COLUMNS
    assert set(measures["level"]) == {"contract", "partner", "borough"}
    assert (paths.executed / "02_outcomes.ipynb").exists()
    findings = json.loads((paths.clean / "findings.json").read_text(encoding="utf-8"))
    assert findings["latest_period"] == "2024/25"
    assert findings["social_value"]["borough"] == 6000.0  # 300 hours x GBP 20 (licensed file)
    assert findings["endorsement"] == ["P1"]
    metrics = json.loads((paths.metrics / "outcomes.json").read_text(encoding="utf-8"))
    assert metrics["partners_reporting"] == 2
    assert metrics["themes"]["CS2"]["on_track"] == 1
    plot = pd.read_csv(paths.plots / "outcomes_CS2.csv")
    assert list(plot.columns[:4]) == ["period", "measure", "level", "value"]
    assert (paths.plots / "coverage.csv").exists()
    themes = pd.read_parquet(paths.clean / "theme_status.parquet")
    assert {"n_on_track", "n_no_data"} <= set(themes.columns)


def test_missing_clean_tables_is_a_one_line_error(tmp_path):
    paths = CyclePaths.of("t2", tmp_path)
    with pytest.raises(UserError, match=r"returns.parquet: not found; run `svf validate"):
        run_compute_stage(paths, proxies=None, console=None)


def test_cli_reports_missing_tables_without_traceback(tmp_path):
    svf = Path(sys.executable).with_name("svf")
    done = subprocess.run(
        [str(svf), "compute", "--cycle", "t3", "--workspace", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "svf validate" in done.stderr


def test_bad_proxy_file_fails_before_the_notebook_runs(tmp_path):
    paths = _workspace(tmp_path)
    bad = tmp_path / "proxies.yaml"
    bad.write_text("proxies:\n  volunteering_hour:\n    gbp_per_unit: -3\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"proxies.yaml: proxy 'volunteering_hour': gbp_per_unit"):
        run_compute_stage(paths, proxies=bad, console=None)
    assert not (paths.executed / "02_outcomes.ipynb").exists()
