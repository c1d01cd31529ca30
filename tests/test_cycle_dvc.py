"""Review cycles against real git and DVC, in a temporary repository with a stand-in pipeline.

The stand-in `dvc.yaml` has the real pipeline's shape (validate -> compute -> report, the same
paths, params, metrics and plots) but its stages are three small Python scripts, so the cycle
logic (open, run, close, refuse, diff, reproduce) is tested in seconds. `test_cycle_pipeline.py`
runs the same routine on the project's real `dvc.yaml` and CLI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _cycle_repo import PROJECT, dvc, git, ran, svf, tags

pytestmark = [pytest.mark.dvc, pytest.mark.slow]

if shutil.which("git") is None:  # pragma: no cover - CI installs git
    pytest.skip("git is not installed", allow_module_level=True)

VALIDATE = """
import csv, json, pathlib, sys, yaml
import pandas as pd
cycle = yaml.safe_load(open("params.yaml"))["cycle"]
raw, clean = pathlib.Path("data/raw", cycle), pathlib.Path("data/clean", cycle)
clean.mkdir(parents=True, exist_ok=True)
rows = []
for f in sorted((raw / "returns").glob("*.csv")):
    rows += list(csv.DictReader(open(f)))
frame = pd.DataFrame(rows)
frame["value"] = frame["value"].astype(float)
frame.to_parquet(clean / "returns.parquet", index=False)
pd.read_csv(raw / "contracts.csv", dtype=str).to_parquet(clean / "contracts.parquet", index=False)
dq = pathlib.Path("reports", cycle, "data-quality")
dq.mkdir(parents=True, exist_ok=True)
json.dump({"totals": {"rows": len(frame), "clean": len(frame)}, "pass_rate": 1.0},
          open(dq / "validation.json", "w"))
"""

COMPUTE = """
import json, pathlib, yaml
import pandas as pd
params = yaml.safe_load(open("params.yaml"))
cycle, on_track = params["cycle"], params["status"]["on_track"]
clean = pathlib.Path("data/clean", cycle)
r = pd.read_parquet(clean / "returns.parquet")
m = r.groupby(["measure_id", "period"], as_index=False)["value"].sum()
m["theme"] = m["measure_id"].str[:3]
m["status"] = ["on track" if v >= on_track * 10 else "off track" for v in m["value"]]
m.to_parquet(clean / "measures.parquet", index=False)
rep = pathlib.Path("reports", cycle)
(rep / "metrics").mkdir(parents=True, exist_ok=True)
(rep / "plots").mkdir(parents=True, exist_ok=True)
json.dump({"returns": int(len(r)), "total_value": float(m["value"].sum())},
          open(rep / "metrics" / "outcomes.json", "w"))
for theme, rows in m.groupby("theme"):
    rows.rename(columns={"measure_id": "measure"})[["period", "measure", "value"]].to_csv(
        rep / "plots" / f"outcomes_{theme}.csv", index=False)
"""

REPORT = """
import html, pathlib, yaml
import pandas as pd
params = yaml.safe_load(open("params.yaml"))
cycle = params["cycle"]
m = pd.read_parquet(pathlib.Path("data/clean", cycle, "measures.parquet"))
out = pathlib.Path("reports", cycle, "council")
out.mkdir(parents=True, exist_ok=True)
(out / "health-check.html").write_text(
    "<h1>" + html.escape(params["report"]["title"]) + "</h1>" + m.to_html())
"""

DVC_YAML = """
stages:
  validate:
    cmd: python stand_in/validate.py
    deps:
      - data/raw/${cycle}
      - stand_in/validate.py
    params:
      - cycle
    outs:
      - data/clean/${cycle}/returns.parquet
      - data/clean/${cycle}/contracts.parquet
    metrics:
      - reports/${cycle}/data-quality/validation.json:
          cache: false
  compute:
    cmd: python stand_in/compute.py
    deps:
      - data/clean/${cycle}/returns.parquet
      - stand_in/compute.py
    params:
      - cycle
      - status
    outs:
      - data/clean/${cycle}/measures.parquet
      - reports/${cycle}/plots:
          cache: false
    metrics:
      - reports/${cycle}/metrics/outcomes.json:
          cache: false
  report:
    cmd: python stand_in/report.py
    deps:
      - data/clean/${cycle}/measures.parquet
      - stand_in/report.py
    params:
      - cycle
      - report
    outs:
      - reports/${cycle}/council
plots:
  - CS1 Social:
      template: svf_period
      x: period
      y:
        reports/${cycle}/plots/outcomes_CS1.csv: value
"""

PARAMS = """\
# Review cycle parameters (stand-in).
cycle: none   # set by svf cycle open

status:
  on_track: 0.5
  at_risk: 0.4

report:
  title: Health check
"""


def write_returns(repo: Path, cycle: str, partner: str, rows: list[tuple[str, str, float]]) -> None:
    path = repo / "data" / "raw" / cycle / "returns" / f"{partner}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["partner_id,contract_id,measure_id,period,value"]
    lines += [f"{partner},C-{partner},{m},{p},{v}" for m, p, v in rows]
    path.write_text("\n".join(lines) + "\n")


def write_contracts(repo: Path, cycle: str) -> None:
    path = repo / "data" / "raw" / cycle / "contracts.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "contract_id,partner_id,title,start,end,value_gbp,outcome_measures,linked_to_subject_matter\n"
        "C-P1,P1,Care,2020-04-01,2030-03-31,100,CS1-01;CS2-01,yes\n"
        "C-P2,P2,Meals,2020-04-01,2030-03-31,100,CS1-01,yes\n"
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git + DVC project with the stand-in pipeline, committed, and a local DVC remote."""
    repo = tmp_path / "project"
    (repo / "stand_in").mkdir(parents=True)
    for name, code in (("validate", VALIDATE), ("compute", COMPUTE), ("report", REPORT)):
        (repo / "stand_in" / f"{name}.py").write_text(code)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    (repo / "params.yaml").write_text(PARAMS)
    shutil.copy(PROJECT / ".gitignore", repo / ".gitignore")
    git(repo, "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    dvc(repo, "config", "core.autostage", "false")
    (repo / ".dvc" / "plots").mkdir()
    shutil.copy(PROJECT / ".dvc" / "plots" / "svf_period.json", repo / ".dvc" / "plots")
    dvc(repo, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def test_open_run_close_change_diff_reproduce(repo: Path, tmp_path: Path) -> None:
    # Open the first cycle: folder, params, checklist.
    opened = svf(repo, "cycle", "open", "2024-25")
    assert (repo / "data/raw/2024-25").is_dir()
    assert "cycle: 2024-25   # set by svf cycle open" in (repo / "params.yaml").read_text()
    assert "no contracts.csv" in opened.stderr
    write_contracts(repo, "2024-25")
    write_returns(repo, "2024-25", "P1", [("CS1-01", "2024/25", 6), ("CS2-01", "2024/25", 2)])
    opened = svf(repo, "cycle", "open", "2024-25")
    # P1 has sent both its returns; P2 owes CS1-01 and has sent nothing.
    assert (
        "2 of 3 expected returns received for 2024/25; no return yet from 1 partner(s): P2"
        in " ".join(opened.stdout.split())
    )
    assert "| P2 |" in (repo / "reports/2024-25/checklist.md").read_text()
    write_returns(repo, "2024-25", "P2", [("CS1-01", "2024/25", 3)])

    # Closing before the pipeline ran is refused, and leaves no tag.
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert refused.returncode == 2 and "never run here (no dvc.lock)" in refused.stderr
    assert tags(repo) == []

    first = dvc(repo, "repro")
    assert ran(first.stdout) == {"validate", "compute", "report"}
    # Nothing changed: nothing re-runs.
    again = dvc(repo, "repro")
    assert ran(again.stdout) == set()
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout

    # Uncommitted change to a tracked file: refused, no tag.
    (repo / "stand_in" / "report.py").write_text(REPORT + "# edited\n")
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert refused.returncode == 2
    assert "uncommitted changes in stand_in/report.py" in " ".join(refused.stderr.split())
    assert tags(repo) == []
    git(repo, "checkout", "--", "stand_in/report.py")

    # An input changed since the last run: the pipeline is stale, refused, no tag.
    write_returns(repo, "2024-25", "P2", [("CS1-01", "2024/25", 4)])
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    message = " ".join(refused.stderr.split())
    assert "not up to date" in message and "validate (deps: data/raw/2024-25 modified)" in message
    assert tags(repo) == []
    write_returns(repo, "2024-25", "P2", [("CS1-01", "2024/25", 3)])  # back as it was run

    # An output changed since the run (a report edited by hand): stale, refused, no tag.
    report = repo / "reports/2024-25/council/health-check.html"
    report.write_text(report.read_text() + "<p>edited</p>")
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    message = " ".join(refused.stderr.split())
    assert "report (outs: reports/2024-25/council modified)" in message and tags(repo) == []
    dvc(repo, "checkout", "--force", "reports/2024-25/council")

    # No remote: refused, no tag.
    dvc(repo, "remote", "default", "--unset")
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert "no default DVC remote" in refused.stderr and tags(repo) == []
    dvc(repo, "remote", "default", "local")
    git(repo, "commit", "-q", "-am", "remote back")

    # A push that fails removes the tag again (the remote here is a file, not a folder).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    dvc(repo, "remote", "add", "broken", str(blocker))
    dvc(repo, "remote", "default", "broken")
    git(repo, "commit", "-q", "-am", "broken remote")
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert refused.returncode == 2
    assert "tag review/2024-25 was removed" in " ".join(refused.stderr.split())
    assert tags(repo) == []
    dvc(repo, "remote", "default", "local")
    git(repo, "commit", "-q", "-am", "good remote")

    closed = svf(repo, "cycle", "close", "2024-25")
    assert "closed cycle 2024-25" in " ".join(closed.stderr.split())
    assert tags(repo) == ["review/2024-25"]
    committed = git(repo, "ls-files").stdout.split()
    assert "data/raw/2024-25.dvc" in committed and "dvc.lock" in committed
    assert "reports/2024-25/metrics/outcomes.json" in committed
    # The supplier data itself is never in git, only in DVC (and so on the remote).
    assert not [f for f in committed if f.startswith("data/raw/2024-25/")]
    assert not [f for f in committed if f.startswith("data/clean/")]
    assert git(repo, "status", "--porcelain").stdout == ""
    assert dvc(repo, "status", "--cloud").stdout.strip().startswith(("Cache and remote", "Data"))
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert "already closed" in refused.stderr
    reopened = svf(repo, "cycle", "open", "2024-25")
    assert "cycle 2024-25 is already closed (review/2024-25)" in " ".join(reopened.stderr.split())

    # Second cycle: only what depends on a change re-runs.
    svf(repo, "cycle", "open", "2025-26")
    write_contracts(repo, "2025-26")
    write_returns(
        repo,
        "2025-26",
        "P1",
        [("CS1-01", "2024/25", 6), ("CS1-01", "2025/26", 9), ("CS2-01", "2025/26", 1)],
    )
    write_returns(repo, "2025-26", "P2", [("CS1-01", "2025/26", 2)])
    assert ran(dvc(repo, "repro").stdout) == {"validate", "compute", "report"}
    # A report option changes: only the report re-runs.
    params = (repo / "params.yaml").read_text().replace("title: Health check", "title: <Spring>")
    (repo / "params.yaml").write_text(params)
    assert list(yaml.safe_load(dvc(repo, "status", "--json").stdout)) == ["report"]
    assert ran(dvc(repo, "repro").stdout) == {"report"}
    # A status threshold changes: compute and report re-run, validation does not.
    (repo / "params.yaml").write_text(params.replace("on_track: 0.5", "on_track: 0.8"))
    assert ran(dvc(repo, "repro").stdout) == {"compute", "report"}
    # One partner's return changes: validation sees it first; downstream follows its outputs.
    write_returns(repo, "2025-26", "P2", [("CS1-01", "2025/26", 5)])
    assert list(yaml.safe_load(dvc(repo, "status", "--json").stdout)) == ["validate"]
    assert ran(dvc(repo, "repro").stdout) == {"validate", "compute", "report"}
    assert ran(dvc(repo, "repro").stdout) == set()
    svf(repo, "cycle", "close", "2025-26")
    assert tags(repo) == ["review/2024-25", "review/2025-26"]

    listed = " ".join(svf(repo, "cycle", "list").stdout.split())
    assert "2024-25 │ closed" in listed and "2025-26 │ closed" in listed

    # Compare the two closed cycles.
    diffed = svf(repo, "cycle", "diff", "2024-25", "2025-26")
    page = (repo / "reports" / "diff-2024-25-2025-26.html").read_text().replace("\n", "")
    assert "total_value" in diffed.stdout
    # total value: 6 + 2 + 3 = 11 in 2024-25; 6 + 9 + 1 + 5 = 21 in 2025-26.
    assert '<td class="num">11</td><td class="num">21</td>' in page
    assert "▲ up +10 (+90.9%)" in page
    # CS1 plot rows: 2024/25 was 6 + 3 = 9 in the first cycle, 6 in the second (P2 dropped it).
    assert '<td>CS1-01</td><td>2024/25</td><td class="num">9</td><td class="num">6</td>' in page

    # Reproduce the first cycle from its tag: same measures table, user's checkout untouched.
    head = git(repo, "rev-parse", "HEAD").stdout
    recorded_at_close = pd.DataFrame(
        {"measure_id": ["CS1-01", "CS2-01"], "period": ["2024/25", "2024/25"], "value": [9.0, 2.0]}
    )
    reproduced = svf(repo, "cycle", "reproduce", "2024-25", "--from-remote")
    assert "equals the one recorded at close" in " ".join(reproduced.stderr.split())
    assert git(repo, "rev-parse", "HEAD").stdout == head
    assert yaml.safe_load((repo / "params.yaml").read_text())["cycle"] == "2025-26"
    assert git(repo, "worktree", "list").stdout.count("\n") == 1
    # And what was recorded is what the 2024-25 returns give: 6 + 3 for CS1-01, 2 for CS2-01.
    dvc(repo, "checkout", "-q")  # (the workspace holds the 2025-26 run)
    shown = git(repo, "show", "review/2024-25:dvc.lock").stdout
    measures_md5 = next(
        o["md5"]
        for o in yaml.safe_load(shown)["stages"]["compute"]["outs"]
        if o["path"].endswith("measures.parquet")
    )
    cached = repo / ".dvc" / "cache" / "files" / "md5" / measures_md5[:2] / measures_md5[2:]
    table = pd.read_parquet(cached)[["measure_id", "period", "value"]]
    pd.testing.assert_frame_equal(table, recorded_at_close)


def test_cycle_commands_need_a_closed_cycle(repo: Path) -> None:
    for args in (("diff", "a", "b"), ("reproduce", "a")):
        result = svf(repo, "cycle", *args, ok=False)
        assert result.returncode == 2
        assert "is not closed (no git tag review/a)" in result.stderr
        assert "Traceback" not in result.stderr
