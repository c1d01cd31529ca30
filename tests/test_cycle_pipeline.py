"""Two review cycles living together, end to end, on the project's real `dvc.yaml` and `svf` stages.

The one end-to-end DVC test of the suite. A copy of the project (code, notebooks, suites,
reference data, `dvc.yaml`, `params.yaml`) goes into a temporary git + DVC repository whose remote
is written relative to the clone, as the shipped `.dvc/config` has it; reports are rendered as
HTML only (`report.formats`) to keep the run short. It follows the analyst's routine of
docs/cycles.md over two years and then a colleague's restore:

open (a financial-year id), sample, `svf run` (through DVC), the reviewer's sign-off (under DVC
it keeps the validate stage current: only the report re-runs; results older than their inputs
are refused), close (refusals first), open the next year, change one return, close, compare,
delete the outputs and `dvc checkout`, clone and `dvc pull`, reproduce.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers.cycle_repo import PROJECT, dvc, git, ran, svf, tags

pytestmark = [pytest.mark.dvc, pytest.mark.slow]

if shutil.which("git") is None:  # pragma: no cover - CI installs git
    pytest.skip("git is not installed", allow_module_level=True)

COPY = [
    "dvc.yaml",
    "params.yaml",
    ".gitignore",
    ".dvcignore",
    "pyproject.toml",
    "pipeline",
    "notebooks",
    "expectations",
    "data/reference",
]
STAGES_2024 = {"validate@2024-25", "compute@2024-25", "report@2024-25"}
STAGES_2025 = {"validate@2025-26", "compute@2025-26", "report@2025-26"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "council"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in COPY:
        src, dst = PROJECT / name, repo / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore)
        elif src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    params = (repo / "params.yaml").read_text()
    assert "formats: [html, pdf]" in params and "cycles: [sample]" in params
    (repo / "params.yaml").write_text(params.replace("formats: [html, pdf]", "formats: [html]"))
    git(repo, "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    dvc(repo, "config", "core.autostage", "false")
    shutil.copytree(PROJECT / ".dvc" / "plots", repo / ".dvc" / "plots")
    # Relative to .dvc/config, as shipped: a clone elsewhere would read another folder.
    dvc(repo, "remote", "add", "-d", "local", "../remote")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def sample(repo: Path, cycle: str) -> None:
    svf(repo, "sample", "--cycle", cycle, "--partners", "3", "--years", "2", "--seed", "7")


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_two_cycles_live_together_and_travel_to_a_colleague(project: Path, tmp_path: Path) -> None:
    repo = project
    # A cycle id is a financial year: a typo is refused and params.yaml is left alone.
    params_before = (repo / "params.yaml").read_text()
    refused = svf(repo, "cycle", "open", "2025-26x", ok=False)
    assert refused.returncode == 2 and "not a financial year" in refused.stderr
    assert (repo / "params.yaml").read_text() == params_before

    opened = svf(repo, "cycle", "open", "2024-25")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    assert params["cycle"] == "2024-25" and params["cycles"] == ["2024-25"]
    # The relative remote became the absolute folder it meant, so clones elsewhere reach it.
    remote = (tmp_path / "remote").resolve()
    assert f"closed cycles will be pushed to {remote}" in one_line(opened.stderr)
    assert f"url = {remote}" in (repo / ".dvc" / "config").read_text()

    # The sample for cycle 2024-25 holds that cycle's years: 2023/24 and 2024/25.
    sample(repo, "2024-25")
    manifest = json.loads((repo / "data/raw/2024-25/.sample-manifest.json").read_text())
    assert manifest["periods"] == ["2023/24", "2024/25"]

    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert "never run here (no dvc.lock); run `svf run`" in one_line(refused.stderr)

    # `svf run` runs through DVC: every stage once, then nothing when nothing changed.
    first = svf(repo, "run")
    assert ran(first.stdout) == STAGES_2024
    assert "git add" not in first.stdout  # DVC's staging advice: the close does that
    assert ran(svf(repo, "run").stdout) == set()
    validation = repo / "reports/2024-25/data-quality/validation.json"

    # The reviewer signs off. validation.json and the reviewer's page are validate's outputs:
    # signing records their new content in dvc.lock, so validate stays current and only the
    # report (which reads validation.json) re-runs, stating the sign-off.
    signed = svf(repo, "review", "-c", "2024-25", "--sign", "Alex Reviewer")
    assert "reviewed by Alex Reviewer" in one_line(signed.stderr)
    assert json.loads(validation.read_text())["review"]["by"] == "Alex Reviewer"
    assert set(json.loads(dvc(repo, "status", "--json").stdout)) == {"report@2024-25"}
    assert ran(svf(repo, "run").stdout) == {"report@2024-25"}
    council = (repo / "reports/2024-25/council/health-check.html").read_text(encoding="utf-8")
    assert "Data quality reviewed by Alex Reviewer on" in council
    recorded_validation = validation.read_bytes()

    # An input changed since the run: stale, so signing and closing are refused, no tag.
    partners = repo / "data/raw/2024-25/partners.csv"
    original = partners.read_bytes()
    partners.write_bytes(original + b"\n")
    refused = svf(repo, "review", "-c", "2024-25", "--sign", "Sam Late", ok=False)
    assert refused.returncode == 2
    assert "validate stage is not up to date" in one_line(refused.stderr)
    assert validation.read_bytes() == recorded_validation  # the earlier sign-off stands
    refused = svf(repo, "cycle", "close", "2024-25", ok=False)
    assert "validate@2024-25 (deps: data/raw/2024-25 modified)" in one_line(refused.stderr)
    partners.write_bytes(original)
    assert tags(repo) == []

    closed = svf(repo, "cycle", "close", "2024-25")
    assert "closed cycle 2024-25" in one_line(closed.stderr)
    committed = git(repo, "ls-files").stdout.split()
    assert {"dvc.lock", "data/raw/2024-25.dvc", "reports/2024-25/checklist.md"} <= set(committed)
    assert not [f for f in committed if f.startswith(("data/raw/2024-25/", "data/clean/"))]
    assert git(repo, "status", "--porcelain").stdout == ""

    # Second year. Opening it leaves every 2024-25 stage up to date.
    svf(repo, "cycle", "open", "2025-26")
    sample(repo, "2025-26")
    assert ran(svf(repo, "run").stdout) == STAGES_2025
    # One 2025-26 return changes: a partner adds a row for 2026/27, after the cycle's year.
    returns = sorted((repo / "data/raw/2025-26/returns").glob("*.csv"))[0]
    lines = returns.read_text().splitlines()
    header = lines[0].split(",")
    late = lines[-1].split(",")
    late[header.index("period")] = "2026/27"
    returns.write_text("\n".join([*lines, ",".join(late)]) + "\n")
    # Validation sees it; the late row is quarantined, so the clean tables come out the same
    # bytes and compute is not re-run; the report reads the quarantine, so it is.
    assert ran(svf(repo, "run").stdout) == {"validate@2025-26", "report@2025-26"}
    assert ran(svf(repo, "run").stdout) == set()
    assert ran(dvc(repo, "repro").stdout) == set()  # nor does a bare `dvc repro` of all cycles
    # The late row is quarantined with the reason, not counted and not lost.
    quarantine = pd.read_parquet(repo / "data/clean/2025-26/quarantine.parquet")
    late_rows = quarantine[quarantine["expectation"] == "period_within_cycle"]
    assert late_rows["source_row"].tolist() == [len(lines) + 1]  # file line, header is 1
    assert late_rows["reason"].tolist() == [
        "period '2026/27' is after this cycle's year 2025/26: send it in the cycle for that year"
    ]
    # 2024-25's tracked record was not touched by any of this.
    assert validation.read_bytes() == recorded_validation
    svf(repo, "cycle", "close", "2025-26")
    assert tags(repo) == ["review/2024-25", "review/2025-26"]

    diffed = svf(repo, "cycle", "diff", "2024-25", "2025-26")
    page = (repo / "reports/diff-2024-25-2025-26.html").read_text()
    said = one_line(diffed.stdout)
    assert said.startswith("Estimated social value")
    # The only row held back in either year is the late 2026/27 one (the samples are clean).
    assert "100.0% in 2024-25 (1 row held back, 0 the year before)." in said
    assert "<h1>Social value review: 2024-25 compared with 2025-26</h1>" in page
    assert "generated_at" not in page and "£" in page

    # Every year's reports come back from DVC after the outputs are deleted.
    shutil.rmtree(repo / "data/clean")
    shutil.rmtree(repo / "reports")
    dvc(repo, "checkout")
    git(repo, "checkout", "--", "reports")
    for cycle in ("2024-25", "2025-26"):
        assert (repo / f"reports/{cycle}/council/health-check.html").stat().st_size > 1000
        assert (repo / f"reports/{cycle}/index.html").exists()
    assert "up to date" in dvc(repo, "status").stdout

    # A colleague's clone: git clone, dvc pull (the committed remote), both years' reports.
    clone = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    dvc(clone, "pull")
    for cycle in ("2024-25", "2025-26"):
        assert (clone / f"reports/{cycle}/council/health-check.html").stat().st_size > 1000
        assert (clone / f"data/raw/{cycle}/partners.csv").exists()

    # Reproduce the first cycle from its tag: the measures equal those recorded at close.
    reproduced = svf(repo, "cycle", "reproduce", "2024-25")
    assert "equals the one recorded at close" in one_line(reproduced.stderr)
    assert "git add" not in reproduced.stdout
    refused = svf(repo, "cycle", "diff", "2024-25", "2026-27", ok=False)
    assert "is not closed (no git tag review/2026-27)" in refused.stderr
