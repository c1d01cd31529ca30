"""`dvc.yaml` stays exact: its deps cover the code each stage runs, its paths are the contract's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.core.paths import CyclePaths

PROJECT = Path(__file__).resolve().parents[1]

#: Each DVC stage: the package it runs and the notebook it executes.
STAGES = {
    "validate": ("validate", "notebooks/01_validate.ipynb"),
    "compute": ("outcomes", "notebooks/02_outcomes.ipynb"),
    "report": ("report", "notebooks/03_health_check.ipynb"),
}


def _dvc_yaml() -> dict:
    return yaml.safe_load((PROJECT / "dvc.yaml").read_text())


def _paths(entries: list) -> list[str]:
    """Paths of a deps/outs/metrics list (entries are strings or one-key mappings)."""
    return [e if isinstance(e, str) else next(iter(e)) for e in entries or []]


def _stage(name: str) -> dict:
    """The stage template DVC repeats for every cycle in `cycles:`."""
    stage = _dvc_yaml()["stages"][name]
    assert stage["foreach"] == "${cycles}", f"stages.{name} must run for every cycle"
    return stage["do"]


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_deps_are_the_folders_of_the_code_the_stage_runs(stage):
    package, _ = STAGES[stage]
    deps = set(_paths(_stage(stage)["deps"]))
    folders = {"pipeline/__init__.py", "pipeline/cli", "pipeline/core", f"pipeline/{package}"}
    assert folders <= deps, f"dvc.yaml stages.{stage}.deps needs {sorted(folders - deps)}"
    # What the stage really loads (its CLI command and everything that imports) lies inside
    # those folders; import-linter (make lint) checks the same for imports inside functions.
    probe = (
        f"import sys, pipeline.cli.app, pipeline.{package}.stage as s\n"
        "print('\\n'.join(m.__file__ for m in list(sys.modules.values())"
        " if (m.__name__ or '').startswith('pipeline') and getattr(m, '__file__', None)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = [
        f
        for f in (str(Path(f).resolve().relative_to(PROJECT)) for f in loaded)
        if not any(f == d or f.startswith(d + "/") for d in folders)
    ]
    assert not outside, f"stage {stage} loads code outside its deps: {outside}"


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_deps_exist_and_run_from_the_cli(stage):
    spec = _stage(stage)
    assert spec["cmd"] == f"svf {stage} --cycle ${{item}}"
    for dep in _paths(spec["deps"]):
        if "${" not in dep:
            assert (PROJECT / dep).exists(), f"dvc.yaml stages.{stage}: dep {dep} does not exist"
    assert STAGES[stage][1] in _paths(spec["deps"])
    # Opening a cycle changes `cycle` and `cycles`: no stage may track them, or opening 2025-26
    # would make every 2024-25 stage stale.
    assert not {"cycle", "cycles"} & set(_paths(spec["params"]))


def test_stage_outputs_are_the_paths_of_the_contract():
    paths = CyclePaths(PROJECT, "${item}")
    rel = lambda p: str(p.relative_to(PROJECT))  # noqa: E731
    validate, compute, report = (_stage(s) for s in ("validate", "compute", "report"))
    assert {
        rel(paths.clean_table(t))
        for t in ("returns", "partners", "contracts", "quarantine", "superseded")
    } <= set(_paths(validate["outs"]))
    assert _paths(validate["metrics"]) == [rel(paths.validation_json)]
    assert rel(paths.measures) in _paths(compute["outs"])
    assert _paths(compute["metrics"]) == [rel(paths.metrics / "outcomes.json")]
    assert rel(paths.plots) in _paths(compute["outs"])
    assert {rel(paths.council_report_dir), rel(paths.index_html)} <= set(_paths(report["outs"]))
    # Metrics and plot data stay out of the DVC cache (git has them, for `metrics diff`).
    for entry in [*validate["metrics"], *compute["metrics"]]:
        assert next(iter(entry.values()))["cache"] is False
    plots_out = next(e for e in compute["outs"] if isinstance(e, dict) and rel(paths.plots) in e)
    assert plots_out[rel(paths.plots)]["cache"] is False


def test_a_downstream_stage_depends_on_what_upstream_writes():
    outs = {
        s: set(_paths(_stage(s).get("outs"))) | set(_paths(_stage(s).get("metrics")))
        for s in STAGES
    }
    compute_inputs = {d for d in _paths(_stage("compute")["deps"]) if d.startswith("data/clean")}
    report_inputs = {
        d for d in _paths(_stage("report")["deps"]) if d.startswith(("data/clean", "reports/"))
    }
    assert compute_inputs <= outs["validate"]
    assert report_inputs <= outs["validate"] | outs["compute"]


def test_plots_use_the_period_template_which_dvc_can_fill():
    plots = _dvc_yaml()["plots"]
    themes = [p for p in plots if next(iter(p)).startswith("CS")]
    assert [next(iter(p)) for p in themes] == [
        "CS1 Social",
        "CS2 Economic",
        "CS3 Equality",
        "CS4 Compassion",
        "CS5 Environmental",
    ]
    for plot in themes:
        props = next(iter(plot.values()))
        assert props["template"] == "svf_period" and props["x"] == "period"
    template = json.loads((PROJECT / ".dvc" / "plots" / "svf_period.json").read_text())
    assert template["data"]["values"] == "<DVC_METRIC_DATA>"
    assert template["encoding"]["x"] == {
        "field": "<DVC_METRIC_X>",
        "type": "ordinal",
        "sort": "ascending",
        "title": "<DVC_METRIC_X_LABEL>",
    }


def test_dvc_config_never_stages_files_in_git_by_itself():
    config = (PROJECT / ".dvc" / "config").read_text()
    assert "autostage = false" in config
    assert "remote = local" in config


def test_report_deps_include_every_file_the_report_stage_reads():
    from pipeline.report.views import input_files

    paths = CyclePaths(PROJECT, "${item}")
    deps = set(_paths(_stage("report")["deps"]))
    missing = [str(p.relative_to(PROJECT)) for p in input_files(paths)]
    missing = [p for p in missing if p not in deps]
    assert not missing, f"add to dvc.yaml stages.report.deps: {missing}"
