"""`--executor dask`: the reports rendered as Dask tasks on a `LocalCluster` of 2 worker processes
are, byte for byte, the reports the default process pool writes; a failing audience is reported
as with the pool and the others are still written.

The workspace is the fixture cycle of `report_fixtures` (real validate and compute stages);
`SOURCE_DATE_EPOCH` fixes the dates the reports and the PDF metadata carry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.paths import CyclePaths
from pipeline.report.stage import run_report_stage
from tests.helpers import report_fixtures as rf

pytestmark = pytest.mark.slow

EPOCH = "1767225600"  # 1 January 2026, 00:00 UTC


def _reports(paths: CyclePaths) -> dict[str, bytes]:
    """Every report, the council's workbook annex and the index page, by path under
    reports/<cycle>/."""
    files = [paths.index_html, paths.council_report_dir / "council-lists.xlsx"]
    for folder in (paths.council_report_dir, paths.reports / "partners"):
        files += [p for p in folder.rglob("health-check.*") if p.is_file()]
    return {str(p.relative_to(paths.reports)): p.read_bytes() for p in files}


def _clear(paths: CyclePaths) -> None:
    shutil.rmtree(paths.council_report_dir, ignore_errors=True)
    shutil.rmtree(paths.reports / "partners", ignore_errors=True)
    paths.index_html.unlink()


def test_dask_local_cluster_writes_the_same_reports_as_the_process_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # the cluster's workers inherit it
    paths = rf.write_workspace(tmp_path)
    options = {"partners": "all", "renderer": "builtin", "formats": ["html", "pdf"], "jobs": 2}
    assert run_report_stage(paths, **options) == 0
    pool = _reports(paths)
    # the council and 4 partners, in HTML and PDF, the council's workbook and the index page
    assert len(pool) == 2 * (1 + 4) + 1 + 1
    _clear(paths)

    assert run_report_stage(paths, **options, executor="dask") == 0
    on_dask = _reports(paths)
    assert sorted(on_dask) == sorted(pool)
    different = [name for name in pool if on_dask[name] != pool[name]]
    assert different == []
    # the executed notebooks are kept for audit as with the pool
    assert (paths.executed / "03_health_check.P003.ipynb").exists()


def test_a_failing_audience_on_dask_is_reported_and_the_others_written(tmp_path: Path):
    """On a cluster given by its scheduler's address (`--scheduler`), one partner's notebook run
    fails on a worker: its failed notebook is kept, the index and the exit status say so, the
    other reports are written."""
    import nbformat
    from dask.distributed import LocalCluster

    paths = rf.write_workspace(tmp_path)
    notebook = paths.notebooks / "03_health_check.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            'if audience == "P002":\n    raise ValueError("simulated fault for P002")'
        )
    )
    nbformat.write(nb, notebook)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        code = run_report_stage(
            paths,
            partners="P001,P002",
            renderer="builtin",
            formats=["html"],
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert code == 1
    assert (paths.partner_report_dir("P001") / "health-check.html").exists()
    assert (paths.council_report_dir / "health-check.html").exists()
    assert not (paths.partner_report_dir("P002") / "health-check.html").exists()
    failed = paths.executed / "03_health_check.P002.failed.ipynb"
    errors = [
        o
        for c in json.loads(failed.read_text(encoding="utf-8"))["cells"]
        for o in c.get("outputs", [])
        if o["output_type"] == "error"
    ]
    assert [(e["ename"], e["evalue"]) for e in errors] == [
        ("ValueError", "simulated fault for P002")
    ]
    index = paths.index_html.read_text(encoding="utf-8")
    assert "simulated fault for P002" in index


def test_scheduler_without_dask_executor_is_refused_in_one_line(tmp_path: Path):
    svf = [sys.executable, "-m", "pipeline"]
    proc = subprocess.run(
        [*svf, "report", "--workspace", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--scheduler tcp://127.0.0.1:8786 is for --executor dask" in proc.stderr
    assert "Traceback" not in proc.stderr
