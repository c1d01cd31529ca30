"""Three spend files exactly as English councils published them go through `svf validate` and
`svf compute`.

The files (tests/data/real-spend/, Open Government Licence v3.0, publishers in its README) are
read here a second, independent way with the standard library's `csv` and `decimal`, so the
total the pipeline reports is checked against the file itself, not against the pipeline.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli.app import main
from pipeline.outcomes.stage import compute_cycle
from pipeline.report.stage import run_report_stage
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.helpers.validate_fixtures import GOOD_P001, TODAY, returns_csv, workspace

REAL = Path(__file__).parent / "data" / "real-spend"
DAY = re.compile(r"^\d\d/\d\d/\d{4}$")
PLAIN_AMOUNT = re.compile(r"^-?\d+(?:\.\d+)?$")


def _csv_rows(name: str) -> list[list[str]]:
    with (REAL / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _svf(*argv: str) -> None:
    """`svf argv` in this process, as the console script runs it; it must exit 0."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code in (0, None)


def _run(tmp_path: Path, name: str) -> dict:
    """The published file as `spend-<name>` in a cycle with one partner's return, through
    `svf validate` and `svf compute` (the notebooks, as an analyst runs them)."""
    paths = workspace(tmp_path, {"P001.csv": returns_csv(GOOD_P001)})
    shutil.copytree(Path(__file__).parent.parent / "notebooks", paths.notebooks)
    shutil.copy(REAL / name, paths.raw / f"spend-{name}")
    for stage in ("validate", "compute"):
        _svf(stage, "--cycle", paths.cycle, "--workspace", str(paths.workspace))
    summary = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    findings = json.loads((paths.clean / "findings.json").read_text(encoding="utf-8"))
    return {
        "paths": paths,
        "summary": summary,
        "file": next(f for f in summary["files"] if f["kind"] == "spend"),
        "clean": pd.read_parquet(paths.clean_table("spend")),
        "quarantine": pd.read_parquet(paths.quarantine).query("kind == 'spend'"),
        "findings": findings,
        "measures": pd.read_parquet(paths.measures),
    }


@pytest.fixture(scope="module")
def oxford(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run(tmp_path_factory.mktemp("oxford"), "oxford-2017-q1.csv")


@pytest.fixture(scope="module")
def trafford(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run(tmp_path_factory.mktemp("trafford"), "trafford-2014-09.csv")


@pytest.fixture(scope="module")
def lambeth(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run(tmp_path_factory.mktemp("lambeth"), "lambeth-2012-06.csv")


def _reported_total(run: dict) -> Decimal:
    by_period = run["findings"]["spend"]["by_period"]
    return sum((Decimal(str(p["total_gbp"])) for p in by_period.values()), Decimal(0))


def test_oxford_every_line_is_clean_and_the_total_is_the_files(oxford: dict) -> None:
    rows = _csv_rows("oxford-2017-q1.csv")
    header, data = rows[0], rows[1:]
    amount = header.index("Amount")
    assert oxford["file"]["file_error"] is None
    assert oxford["file"]["clean"] == len(data) == oxford["file"]["rows"]
    assert oxford["quarantine"].empty
    expected = sum((Decimal(r[amount]) for r in data), Decimal(0))
    assert _reported_total(oxford) == expected.quantize(Decimal("0.01"))
    # Credit notes are negative lines and count as such.
    assert (oxford["clean"]["amount"] < 0).sum() == sum(
        1 for r in data if r[amount].startswith("-")
    )


def test_oxford_payments_with_no_supplier_name_are_redacted_spend(oxford: dict) -> None:
    rows = _csv_rows("oxford-2017-q1.csv")
    name = rows[0].index("Supplier Name")
    amount = rows[0].index("Amount")
    no_name = [r for r in rows[1:] if not r[name].strip()]
    clean = oxford["clean"]
    assert clean["redacted"].sum() == len(no_name) == 2
    by_period = next(iter(oxford["findings"]["spend"]["by_period"].values()))
    share = sum(Decimal(r[amount]) for r in no_name) / _reported_total(oxford) * 100
    assert by_period["redacted_share"] == pytest.approx(float(share), abs=0.01)


def test_trafford_body_uri_and_body_name_are_two_columns(trafford: dict) -> None:
    clean = trafford["clean"]
    assert trafford["file"]["file_error"] is None
    assert set(clean["body"]) == {"http://statistics.data.gov.uk/id/local-authority/00BU"}
    assert set(clean["body_name"]) == {"Trafford"}


def test_trafford_repeated_lines_in_one_file_all_count(trafford: dict) -> None:
    rows = _csv_rows("trafford-2014-09.csv")
    header, data = rows[0], rows[1:]
    amount = header.index("Amount")
    assert trafford["file"]["clean"] == len(data)
    assert trafford["quarantine"].empty
    expected = sum((Decimal(r[amount].replace(",", "")) for r in data), Decimal(0))
    assert _reported_total(trafford) == expected.quantize(Decimal("0.01"))
    # Lines sharing transaction number and amount (one invoice split over schools) are kept.
    tn, amt = header.index("Transaction number"), amount
    pairs = pd.Series([(r[tn], r[amt]) for r in data])
    repeated = int(pairs.duplicated(keep=False).sum())
    assert repeated > 100
    clean_pairs = trafford["clean"][["transaction_number", "amount"]]
    assert int(clean_pairs.duplicated(keep=False).sum()) == repeated


def test_trafford_redacted_personal_data_is_its_own_class(trafford: dict) -> None:
    rows = _csv_rows("trafford-2014-09.csv")
    name, amount = rows[0].index("Supplier Name"), rows[0].index("Amount")
    redacted = [r for r in rows[1:] if r[name].strip() == "Redacted Personal Data"]
    assert len(redacted) > 0
    assert int(trafford["clean"]["redacted"].sum()) == len(redacted)
    by_period = trafford["findings"]["spend"]["by_period"]["2014/15"]
    expected = sum(Decimal(r[amount].replace(",", "")) for r in redacted)
    assert by_period["redacted_share"] == pytest.approx(
        float(expected / _reported_total(trafford) * 100), abs=0.01
    )
    # Redacted spend is never classified: it is not counted as matched or as local.
    assert by_period["local_share"] + by_period["local_unclassified_share"] + by_period[
        "redacted_share"
    ] == pytest.approx(100, abs=0.02)


def _lambeth_lines() -> tuple[list[tuple[int, list[str]]], list[tuple[int, list[str]]]]:
    """(sound payment lines, lines the source garbled) with their line numbers."""
    rows = _csv_rows("lambeth-2012-06.csv")
    header_at = next(
        i for i, r in enumerate(rows) if r[:3] == ["Body", "Department", "Supplier Name"]
    )
    sound, garbled = [], []
    for number, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if len(r) == 6 and DAY.match(r[3]) and PLAIN_AMOUNT.match(r[4]):
            sound.append((number, r))
        elif len(r) < 6 and any(c.strip() for c in r):
            garbled.append((number, r))
    return sound, garbled


def test_lambeth_header_below_the_preamble(lambeth: dict) -> None:
    assert lambeth["file"]["file_error"] is None
    assert lambeth["file"]["header_row"] == 10
    sound, _ = _lambeth_lines()
    assert lambeth["file"]["clean"] == len(sound)
    assert sorted(lambeth["clean"]["source_row"]) == [n for n, _ in sound]


def test_lambeth_total_is_the_sum_of_its_sound_lines(lambeth: dict) -> None:
    sound, _ = _lambeth_lines()
    expected = sum((Decimal(r[4]) for _, r in sound), Decimal(0))
    assert _reported_total(lambeth) == expected.quantize(Decimal("0.01"))


def test_lambeth_footer_total_is_quarantined_as_a_total_line(lambeth: dict) -> None:
    q = lambeth["quarantine"]
    totals = q[q["expectation"] == "row_is_not_a_total_line"]
    assert len(totals) == 1
    assert "'Total'" in totals.iloc[0]["reason"] and "40292334.84" in totals.iloc[0]["reason"]


def test_lambeth_garbled_rows_are_quarantined_quoting_the_cell(lambeth: dict) -> None:
    _, garbled = _lambeth_lines()
    q = lambeth["quarantine"].set_index("source_row")
    for number, r in garbled:
        assert number in q.index, f"line {number} {r} not quarantined"
    number, r = next((n, r) for n, r in garbled if r[3] == "25/06/2012900")
    assert "'25/06/2012900' in column date is not a date" in q.loc[number, "reason"]
    assert json.loads(q.loc[number, "record"])["date"] == "25/06/2012900"
    # Nothing is lost: every line below the header is clean or quarantined.
    assert lambeth["file"]["rows"] == lambeth["file"]["clean"] + lambeth["file"]["quarantined"]


def _council_text(paths) -> str:  # noqa: ANN001
    if not paths.notebooks.exists():
        shutil.copytree(Path(__file__).parent.parent / "notebooks", paths.notebooks)
    code = run_report_stage(
        paths, partners="none", renderer="builtin", formats=["html"], jobs=1, console=None
    )
    assert code == 0
    html = (paths.council_report_dir / "health-check.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(text).split())


def test_council_report_says_what_was_read_and_set_aside(lambeth: dict) -> None:
    text = _council_text(lambeth["paths"])
    f = lambeth["file"]
    assert (
        f"spend-lambeth-2012-06.csv read, some lines set aside {f['rows']:,} {f['clean']:,}" in text
    )
    assert "the column headings are on line 10; the 9 lines of title above them" in text
    assert "value '25/06/2012900' in column date is not a date" in text
    assert "the row is the file's total line" in text
    assert "Matched to the register" in text


def test_council_report_says_a_refused_spend_file_was_refused(tmp_path: Path) -> None:
    paths = workspace(
        tmp_path,
        {
            "P001.csv": returns_csv(GOOD_P001),
            "spend.csv": "Vendor,When,How much\nAcme,24/09/2014,500\n",
        },
    )
    write_outputs(paths, validate_cycle(paths, today=TODAY))
    compute_cycle(paths)
    text = _council_text(paths)
    assert "No council spend data was supplied" not in text
    assert "Council spend files were supplied, but none of their lines could be used" in text
    assert (
        "spend.csv: refused as a whole: spend.csv: no header line naming the payment date" in text
    )
