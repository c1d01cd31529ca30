"""The data contract is one model: the suites, the derived columns, the clean tables' types, the
words people read and the documentation's tables all come from `pipeline.core.contract`."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.atomic import write_parquet
from pipeline.core.contract import KINDS, generic_words, render_docs, rules, spec
from pipeline.core.framework import load_framework
from pipeline.validate.check_words import derived_note, describe
from pipeline.validate.expectations import (
    CONTRACT_DOCS,
    derive_columns,
    partner_units,
    suite_parameters,
)
from tests.helpers.validate_fixtures import GOOD_P001, ROOT, TODAY, returns_csv, run, workspace

FRAMEWORK = load_framework(ROOT / "data" / "reference" / "framework.yaml")
UNITS = partner_units(FRAMEWORK)


@pytest.mark.parametrize("page", CONTRACT_DOCS)
def test_the_documentations_contract_tables_are_current(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert "<!-- contract: " in text
    assert text == render_docs(text, UNITS), (
        f"{page}: the contract's tables are stale: run `svf validate --write-suites`"
    )


def test_a_return_headed_with_the_other_headings_the_contract_accepts_is_read(tmp_path) -> None:
    """Every column headed by its first alias (as the docs' table lists them), in capitals."""
    header = ",".join(
        (c.aliases[0] if c.aliases else c.name).upper() for c in spec("returns").columns
    )
    assert header.startswith("PARTNER_ID,CONTRACT_ID,MEASURE,FINANCIAL_YEAR,ACTUAL,")
    paths = workspace(tmp_path, {"P001.csv": f"{header}\n{GOOD_P001}\n"})
    result = run(paths)
    assert result.rejections == []
    (row,) = result.tables["returns"].itertuples()
    assert (row.measure_id, row.period, row.value, row.submitted_on.day) == (
        "CS1-02",
        "2024/25",
        120.0,
        10,
    )


def test_every_rule_says_in_words_what_a_passing_row_looks_like() -> None:
    for kind in KINDS:
        for rule in rules(kind, UNITS):
            checked = rule.checked if isinstance(rule.checked, str) else ", ".join(rule.checked)
            assert rule.passes != generic_words(rule.expectation, checked), (kind, checked)
            # What the reviewer's page and the Data Docs show is the rule's own words.
            assert describe(rule.expectation, checked, dict(rule.kwargs)) == rule.passes
            if rule.checks:
                assert derived_note(rule.checks) == rule.note, (kind, rule.checks)
                assert rule.note and f"`{rule.about}`" in rule.note


@pytest.mark.parametrize("kind", KINDS)
def test_every_derived_column_a_rule_checks_is_derived(kind: str) -> None:
    """derive_columns adds exactly the derived columns the kind's suite checks."""
    frame = pd.DataFrame({c: ["x"] for c in spec(kind).names})
    out = derive_columns(kind, frame, FRAMEWORK, suite_parameters(FRAMEWORK, TODAY))
    checked = {r.checks for r in rules(kind, UNITS) if r.checks}
    added = {c for c in out.columns if "__" in c} - {
        "contract_id__of_partner__owner",
        "date__value",
        "date__precision",
        "amount__value",
    }
    assert added == checked


def test_clean_tables_have_the_contracts_columns_and_types(tmp_path) -> None:
    paths = workspace(tmp_path, {"P001.csv": returns_csv(GOOD_P001)})
    result = run(paths)
    for kind in KINDS:
        # As the stage writes the table and compute reads it back.
        write_parquet(tmp_path / f"{kind}.parquet", result.tables[kind])
        table = pd.read_parquet(tmp_path / f"{kind}.parquet")
        columns = spec(kind).clean_columns
        assert list(table.columns) == ["source_file", "source_row", *(c.name for c in columns)]
        for c in columns:
            if c.dtype == "str" and table[c.name].isna().all():
                continue  # a text column with no value at all has no type in parquet
            assert str(table[c.name].dtype) == c.dtype, (kind, c.name)
    returns = result.tables["returns"].iloc[0]
    # Typed as the contract says: a number, a period, a yes/no, a date.
    assert returns["value"] == 120.0
    assert returns["period"] == "2024/25"
    assert bool(returns["verified"]) is True
    assert returns["submitted_on"].isoformat() == "2025-04-10T00:00:00"
