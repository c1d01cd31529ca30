"""`dvc.yaml` stays exact: its deps cover the code each stage runs, its paths are the contract's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.paths import CyclePaths
from pipeline.stage_deps import STAGES, closure, stage_files

PROJECT = Path(__file__).resolve().parents[1]


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
def test_stage_deps_list_every_pipeline_module_the_stage_runs(stage):
    deps = set(_paths(_stage(stage)["deps"]))
    missing = [f for f in stage_files(PROJECT, stage) if f not in deps]
    assert not missing, f"add to dvc.yaml stages.{stage}.deps: {missing}"


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


def test_closure_follows_relative_and_from_package_imports(tmp_path):
    pkg = tmp_path / "pipeline"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\nfrom pipeline.c import thing\n")
    (pkg / "b.py").write_text("def f():\n    import pipeline.d\n")
    (pkg / "c.py").write_text("thing = 1\n")
    (pkg / "d.py").write_text("import os\n")
    (pkg / "e.py").write_text("")  # imported by nobody
    assert closure(tmp_path, {"pipeline.a"}) == {
        "pipeline",
        "pipeline.a",
        "pipeline.b",
        "pipeline.c",
        "pipeline.d",
    }


def test_report_deps_include_every_file_the_report_stage_reads():
    from pipeline.report_data import input_files

    paths = CyclePaths(PROJECT, "${item}")
    deps = set(_paths(_stage("report")["deps"]))
    missing = [str(p.relative_to(PROJECT)) for p in input_files(paths)]
    missing = [p for p in missing if p not in deps]
    assert not missing, f"add to dvc.yaml stages.report.deps: {missing}"
