"""On `svf sample --messy` data every injected fault is caught, no good row is lost, and the
reconciliation holds exactly against what the generator recorded in its manifest."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from pipeline.core.paths import CyclePaths
from pipeline.sample.generator import MANIFEST_NAME, generate_sample
from pipeline.validate.stage import ValidationResult, validate_cycle
from tests.helpers.validate_fixtures import ROOT, TODAY

#: The rule each kind of injected fault must be caught by, and the column it names.
CAUGHT_BY = {
    "bad_measure_id": ("expect_column_values_to_be_in_set", "measure_id"),
    "text_in_number": ("expect_column_values_to_match_regex", "value"),
    "percent_over_100": ("expect_column_values_to_be_between", "value"),
    "unknown_partner": ("expect_column_values_to_be_in_set", "partner_id"),
    "unknown_contract": ("expect_column_values_to_be_in_set", "contract_id"),
    "duplicate_row": ("row_is_not_an_exact_duplicate", None),
    "blank_row": ("row_is_not_blank", None),
    "repeated_header": ("row_is_not_a_repeated_header", None),
}


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationResult, dict[str, Any]]:
    root = tmp_path_factory.mktemp("sample")
    (root / "data" / "reference").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "reference" / "framework.yaml", root / "data" / "reference")
    shutil.copytree(ROOT / "expectations", root / "expectations")
    paths = CyclePaths.of("sample", root)
    generate_sample(paths.raw, partners=12, years=3, seed=2025, end_period="2025/26", messy=True)
    manifest = json.loads((paths.raw / MANIFEST_NAME).read_text(encoding="utf-8"))
    return validate_cycle(paths, today=TODAY), manifest


def test_every_injected_fault_is_caught(messy: tuple[ValidationResult, dict[str, Any]]) -> None:
    result, manifest = messy
    assert manifest["faults"], "a messy sample has faults"
    by_row = {(q.file, q.row): q for q in result.rejections}
    for fault in manifest["faults"]:
        q = by_row.get((fault["file"], fault["row"]))
        assert q is not None, f"not caught: {fault}"
        if fault["kind"] in CAUGHT_BY:
            assert (q.expectation, q.column) == CAUGHT_BY[fault["kind"]], fault
        else:  # e.g. a period in the wrong form: caught by a rule on that column
            assert q.column == fault["column"], fault
        assert q.partner_id == fault.get("partner_id", q.partner_id)


def test_no_good_row_is_lost(messy: tuple[ValidationResult, dict[str, Any]]) -> None:
    result, manifest = messy
    faults = {(f["file"], f["row"]) for f in manifest["faults"]}
    assert {(q.file, q.row) for q in result.rejections} == faults


def test_superseded_rows_are_the_ones_the_generator_revised(
    messy: tuple[ValidationResult, dict[str, Any]],
) -> None:
    result, manifest = messy
    got = sorted(
        zip(
            result.superseded["source_file"],
            result.superseded["source_row"],
            result.superseded["superseded_by_file"],
            result.superseded["superseded_by_row"],
            strict=True,
        )
    )
    want = sorted(
        (s["file"], s["row"], s["superseded_by_file"], s["superseded_by_row"])
        for s in manifest["superseded"]
    )
    assert got == want


def test_reconciliation_holds_exactly_against_the_manifest(
    messy: tuple[ValidationResult, dict[str, Any]],
) -> None:
    result, manifest = messy
    counts = {f.file: f for f in result.files}
    assert set(counts) == set(manifest["files"])
    for name, expected in manifest["files"].items():
        f = counts[name]
        assert (f.rows, f.quarantined, f.superseded) == (
            expected["rows"],
            expected["faults"],
            expected["superseded"],
        ), name
        assert f.clean == expected["good"] - expected["superseded"], name
    summary = result.summary()
    totals = manifest["totals"]
    assert summary["reconciles"] is True
    assert summary["totals"] == {
        "rows": totals["rows"],
        "clean": totals["good"] - totals["superseded"],
        "quarantined": totals["faults"],
        "superseded": totals["superseded"],
    }
