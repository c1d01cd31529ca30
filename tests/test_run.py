"""The main job end to end, as an analyst runs it: `svf sample` then `svf run` in a fresh
workspace leaves every report, the index and reconciled data-quality figures, and nothing
half-written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def svf(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args, "--workspace", str(workspace)],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "DVC_NO_ANALYTICS": "1"},
    )


@pytest.mark.slow
def test_sample_then_run_gives_every_report(tmp_path: Path) -> None:
    for folder in ("data/reference", "notebooks", "expectations"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")

    made = svf(tmp_path, "sample", "--cycle", "c1", "--partners", "4", "--years", "2", "--messy")
    assert made.returncode == 0, made.stderr
    done = svf(tmp_path, "run", "--cycle", "c1")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    reports = tmp_path / "reports" / "c1"
    partners = pd.read_csv(tmp_path / "data/raw/c1/partners.csv")["partner_id"].tolist()
    assert partners == ["P001", "P002", "P003", "P004"]
    for folder in [reports / "council", *(reports / "partners" / p for p in partners)]:
        for name in ("health-check.html", "health-check.pdf"):
            assert (folder / name).stat().st_size > 1000, folder / name
    index = (reports / "index.html").read_text(encoding="utf-8")
    for p in partners:
        assert f"partners/{p}/health-check.html" in index

    # Every raw row is accounted for: clean + quarantined + superseded = read.
    validation = json.loads((reports / "data-quality" / "validation.json").read_text())
    totals = validation["totals"]
    assert validation["reconciles"] is True
    assert totals["rows"] == totals["clean"] + totals["quarantined"] + totals["superseded"]
    manifest = json.loads((tmp_path / "data/raw/c1/.sample-manifest.json").read_text())
    assert totals["quarantined"] == len(manifest["faults"])

    measures = pd.read_parquet(tmp_path / "data/clean/c1/measures.parquet")
    assert set(measures["level"]) >= {"contract", "partner", "borough"}

    # Atomic writes: no temporary file is left anywhere in the workspace.
    assert not [p for p in tmp_path.rglob("*.tmp")]
