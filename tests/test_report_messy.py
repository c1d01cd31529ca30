"""Every report of a messy sample reads cleanly: `svf sample --partners 30 --years 5 --messy`
through the real validate, compute and report stages, then every HTML and PDF is read for
`nan`, `None`, `NaT`, `inf`, `<NA>`, empty table cells, relative links and stranded captions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.paths import CyclePaths
from pipeline.core.status import partner_overall
from pipeline.outcomes.stage import compute_cycle
from pipeline.sample.generator import generate_sample
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.helpers.report_pages import (
    BAD_WORDS,
    assert_captions_kept_with_tables,
    assert_clean_html,
    assert_clean_pdf,
    html_of,
    needs_poppler,
    pdf_text,
    table,
    visible_text,
)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> CyclePaths:
    import datetime as dt

    root = tmp_path_factory.mktemp("messy")
    for folder in ("data/reference", "notebooks", "expectations"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    paths = CyclePaths.of("messy", root)
    generate_sample(root / "data" / "raw" / "messy", partners=30, years=5, seed=2025, messy=True)
    write_outputs(paths, validate_cycle(paths, today=dt.date(2026, 11, 25)))
    compute_cycle(paths)
    # The report stage as an analyst runs it: its own process (its workers fork from a process
    # that holds no test-suite threads).
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "report", "--cycle", "messy"]
        + [
            "--workspace",
            str(root),
            "--renderer",
            "builtin",
            "--formats",
            "html,pdf",
            "--jobs",
            "2",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    return paths


def audiences(paths: CyclePaths) -> list[str]:
    partners = pd.read_parquet(paths.clean_table("partners"))["partner_id"]
    return ["council", *sorted(partners)]


def test_every_html_report_of_a_messy_sample_is_clean(messy):
    assert len(audiences(messy)) >= 30
    for audience in audiences(messy):
        assert_clean_html(html_of(messy, audience), audience)
    index = messy.index_html.read_text(encoding="utf-8")
    assert not BAD_WORDS.search(visible_text(index))
    # The reviewer's data-quality page (issue 14), which replaced summary.html.
    page = messy.data_quality / "index.html"
    assert not BAD_WORDS.search(visible_text(page.read_text(encoding="utf-8")))


@needs_poppler
def test_every_pdf_report_of_a_messy_sample_is_clean(messy):
    for audience in audiences(messy):
        assert_clean_pdf(pdf_text(messy, audience), audience)
        folder = (
            messy.council_report_dir
            if audience == "council"
            else messy.partner_report_dir(audience)
        )
        assert_captions_kept_with_tables(folder / "health-check.pdf")


def test_status_agrees_everywhere_on_a_messy_sample(messy):
    findings = json.loads((messy.clean / "findings.json").read_text(encoding="utf-8"))
    overall = partner_overall(pd.read_parquet(messy.measures), findings["latest_period"])
    council = table(html_of(messy, "council"), "Partners in ")
    shown = {row[0]: row[2].split(" ", 1)[1] for row in council[1:]}
    for pid, status in shown.items():
        assert status == overall.get(pid, "no data"), pid
        own = visible_text(html_of(messy, pid))
        assert f"Overall status {council_label(status)} in {findings['latest_period']}" in own


def council_label(status: str) -> str:
    from pipeline.core.status import status_label

    return status_label(status)
