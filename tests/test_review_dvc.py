"""Signing off under DVC, in a temporary git + DVC repository with a stand-in pipeline.

`validation.json` and the reviewer's page are outputs of the validate stage. Signing records
their new content in `dvc.lock`, so the validate stage stays up to date and only the report
stage (which depends on `validation.json`) re-runs, stating the sign-off. Signing results that
are out of date with their inputs is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _cycle_repo import dvc, git, ran, svf

pytestmark = [pytest.mark.dvc, pytest.mark.slow]

if shutil.which("git") is None:  # pragma: no cover - CI installs git
    pytest.skip("git is not installed", allow_module_level=True)

VALIDATE = """
import json, pathlib
rows = pathlib.Path("data/raw/c1/returns.csv").read_text().splitlines()[1:]
dq = pathlib.Path("reports/c1/data-quality")
dq.mkdir(parents=True, exist_ok=True)
n = len(rows)
json.dump({"cycle": "c1", "generated_at": "2026-11-28T08:00:00+00:00",
           "files": [{"file": "returns.csv", "kind": "returns", "rows": n, "clean": n,
                      "quarantined": 0, "superseded": 0, "file_error": None}],
           "totals": {"rows": n, "clean": n, "quarantined": 0, "superseded": 0},
           "reconciles": True, "pass_rate": 1.0, "expectations": [], "partners": {}},
          open(dq / "validation.json", "w"))
(dq / "index.html").write_text("<!doctype html><title>page</title>")
"""

REPORT = """
import json, pathlib
v = json.load(open("reports/c1/data-quality/validation.json"))
out = pathlib.Path("reports/c1/council")
out.mkdir(parents=True, exist_ok=True)
by = (v.get("review") or {}).get("by", "nobody")
(out / "health-check.html").write_text("reviewed by " + by)
"""

DVC_YAML = """
stages:
  validate:
    foreach: ${cycles}
    do:
      cmd: python stand_in/validate.py
      deps:
        - data/raw/${item}
        - stand_in/validate.py
      outs:
        - reports/${item}/data-quality/index.html
      metrics:
        - reports/${item}/data-quality/validation.json:
            cache: false
  report:
    foreach: ${cycles}
    do:
      cmd: python stand_in/report.py
      deps:
        - reports/${item}/data-quality/validation.json
        - stand_in/report.py
      outs:
        - reports/${item}/council
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    dvc(tmp_path, "init", "-q")
    (tmp_path / "stand_in").mkdir()
    (tmp_path / "stand_in" / "validate.py").write_text(VALIDATE)
    (tmp_path / "stand_in" / "report.py").write_text(REPORT)
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    (tmp_path / "params.yaml").write_text("cycle: c1\ncycles: [c1]\n")
    raw = tmp_path / "data" / "raw" / "c1"
    raw.mkdir(parents=True)
    (raw / "returns.csv").write_text("partner_id,value\nP001,1\nP002,2\n")
    dvc(tmp_path, "repro", "-q")
    return tmp_path


def test_sign_keeps_validate_current_and_only_the_report_reruns(repo: Path) -> None:
    signed = svf(repo, "review", "-c", "c1", "--sign", "Alex Reviewer")
    assert "reviewed by Alex Reviewer" in " ".join(signed.stderr.split())
    review = json.loads((repo / "reports/c1/data-quality/validation.json").read_text())["review"]
    assert review["by"] == "Alex Reviewer"
    status = json.loads(dvc(repo, "status", "--json").stdout)
    assert set(status) == {"report@c1"}  # validate is current: the lock records the signed files
    out = dvc(repo, "repro").stdout
    assert ran(out) == {"report@c1"}
    assert (
        repo / "reports/c1/council/health-check.html"
    ).read_text() == "reviewed by Alex Reviewer"


def test_signing_results_older_than_their_inputs_is_refused(repo: Path) -> None:
    (repo / "data/raw/c1/returns.csv").write_text("partner_id,value\nP001,1\nP002,3\n")
    refused = svf(repo, "review", "-c", "c1", "--sign", "Alex Reviewer", ok=False)
    assert refused.returncode == 2
    assert "validate stage is not up to date" in refused.stderr
    assert "review" not in json.loads(
        (repo / "reports/c1/data-quality/validation.json").read_text()
    )
