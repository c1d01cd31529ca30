"""`svf sample`: a realistic, deterministic cycle, and with --messy exactly the faults it records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.core.contract import column_map, kind_of_file, spec
from pipeline.core.errors import UserError
from pipeline.core.framework import load_framework
from pipeline.core.periods import ending
from pipeline.core.readers import input_files, read_table
from pipeline.sample.generator import (
    LOCAL_DISTRICTS,
    MANIFEST_NAME,
    SPEND_HEADER,
    exemplary,
    generate_sample,
)

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = load_framework(ROOT / "data" / "reference" / "framework.yaml")
PERIOD = re.compile(r"^\d{4}/\d{2}$")
CANONICAL = [
    "partner_id",
    "contract_id",
    "measure_id",
    "period",
    "value",
    "target",
    "denominator",
    "evidence",
    "verified",
    "comment",
    "submitted_on",
]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("messy")
    generate_sample(out, partners=12, years=3, seed=2025, end_period="2025/26", messy=True)
    return out, json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate_sample(out, partners=12, years=3, seed=2025, end_period="2025/26", messy=False)
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return read_table(folder / name, kind_of_file(name), name)


def _returns(folder: Path) -> pd.DataFrame:
    files = [f for f in input_files(folder) if kind_of_file(f.name) == "returns"]
    return pd.concat(
        [_read(folder, f.relative_to(folder).as_posix()) for f in files], ignore_index=True
    )


def test_financial_years_end_at_the_given_period() -> None:
    assert ending("2025/26", 3) == ["2023/24", "2024/25", "2025/26"]
    assert ending("2000/01", 2) == ["1999/00", "2000/01"]
    for bad in ("2025-26", "2025/27", "FY26", ""):
        with pytest.raises(UserError, match="not a UK financial year"):
            ending(bad, 3)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    tmp_path: Path, messy: tuple[Path, dict[str, Any]]
) -> None:
    first, _ = messy
    again = tmp_path / "again"
    generate_sample(again, partners=12, years=3, seed=2025, end_period="2025/26", messy=True)
    a, b = _files(first), _files(again)
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []  # XLSX included
    other = tmp_path / "other"
    generate_sample(other, partners=12, years=3, seed=2026, end_period="2025/26", messy=True)
    c = _files(other)
    assert c["partners.csv"] != a["partners.csv"]
    assert c["spend.csv"] != a["spend.csv"]


def test_messy_adds_faults_without_changing_registers_or_spend(
    clean: Path, messy: tuple[Path, dict[str, Any]]
) -> None:
    folder, _ = messy
    for name in ("partners.csv", "contracts.csv", "suppliers.csv", "spend.csv"):
        assert (clean / name).read_bytes() == (folder / name).read_bytes(), name


def test_every_file_has_the_rows_the_manifest_says(messy: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = messy
    on_disk = {f.relative_to(folder).as_posix() for f in input_files(folder)}
    assert on_disk == set(manifest["files"])  # the manifest itself is hidden from the validator
    for name, info in manifest["files"].items():
        frame = _read(folder, name)
        assert len(frame) == info["rows"], name
        assert info["good"] + info["faults"] == info["rows"], name
    totals = manifest["totals"]
    assert totals["faults"] == len(manifest["faults"])
    assert totals["superseded"] == len(manifest["superseded"])


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def test_a_messy_sample_has_every_kind_of_fault_in_about_8_percent_of_rows(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    _, manifest = messy
    assert set(manifest["fault_counts"]) == {
        "bad_measure_id",
        "text_in_number",
        "percent_over_100",
        "bad_period",
        "unknown_partner",
        "unknown_contract",
        "duplicate_row",
        "blank_row",
        "repeated_header",
    }
    # Rows a fault may touch: the partners' rows (good ones, plus those a cell fault spoilt),
    # except the two rows of each revision and the rows of exemplary partners (P004, P010),
    # who make no mistakes. One fault of each kind, then 8% of those rows more.
    returns = [
        f
        for name, f in manifest["files"].items()
        if f["kind"] == "returns" and not exemplary(Path(name).stem.split("-")[0])
    ]
    cell_faults = sum(1 for f in manifest["faults"] if f["column"] is not None)
    eligible = sum(f["good"] for f in returns) + cell_faults - 2 * len(manifest["superseded"])
    assert len(manifest["faults"]) == 9 + round(0.08 * eligible)


def test_each_recorded_fault_is_really_in_the_file(messy: tuple[Path, dict[str, Any]]) -> None:
    check_faults(*messy)


def check_faults(folder: Path, manifest: dict[str, Any]) -> None:
    partners = set(_read(folder, "partners.csv")["partner_id"])
    contracts = set(_read(folder, "contracts.csv")["contract_id"])
    frames: dict[str, pd.DataFrame] = {}
    for fault in manifest["faults"]:
        name = fault["file"]
        frame = frames.setdefault(name, _read(folder, name).set_index("source_row"))
        row = frame.loc[fault["row"]]
        if fault["column"] is not None:
            assert row[fault["column"]] == fault["value"], fault
        kind = fault["kind"]
        if kind == "bad_measure_id":
            assert row["measure_id"] not in FRAMEWORK.measure_ids
        elif kind == "text_in_number":
            assert not _is_number(row["value"])
        elif kind == "percent_over_100":
            assert FRAMEWORK.measure(row["measure_id"]).unit == "percent"
            assert float(row["value"]) > 100
        elif kind == "bad_period":
            assert not PERIOD.match(row["period"])
        elif kind == "unknown_partner":
            assert row["partner_id"] not in partners
        elif kind == "unknown_contract":
            assert row["contract_id"] not in contracts
        elif kind == "blank_row":
            assert row[CANONICAL].isna().all()
        elif kind == "repeated_header":
            # The header again, in whatever spelling this partner uses.
            assert row["partner_id"].lower().replace(" ", "_") == "partner_id"
        elif kind == "duplicate_row":
            previous = frame.loc[fault["row"] - 1]
            assert row[CANONICAL].tolist() == previous[CANONICAL].tolist()


def test_every_other_return_row_is_good(messy: tuple[Path, dict[str, Any]]) -> None:
    check_good_rows(*messy)


def check_good_rows(folder: Path, manifest: dict[str, Any]) -> None:
    faulty = {(f["file"], f["row"]) for f in manifest["faults"]}
    partners = set(_read(folder, "partners.csv")["partner_id"])
    contracts = _read(folder, "contracts.csv").set_index("contract_id")
    returns = _returns(folder)
    good = returns[
        [
            (f, r) not in faulty
            for f, r in zip(returns["source_file"], returns["source_row"], strict=True)
        ]
    ]
    assert len(good) == sum(i["good"] for i in manifest["files"].values() if i["kind"] == "returns")
    for row in good.itertuples():
        assert row.partner_id in partners
        assert contracts.loc[row.contract_id, "partner_id"] == row.partner_id
        # A partner reports only what its contract committed to.
        assert row.measure_id in contracts.loc[row.contract_id, "outcome_measures"].split(";")
        assert PERIOD.match(row.period) and row.period in manifest["periods"]
        value = float(row.value)
        assert value >= 0
        if FRAMEWORK.measure(row.measure_id).unit == "percent":
            assert value <= 100 and float(row.denominator) > 0
        assert row.verified in (None, "yes", "no")
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", row.submitted_on)


def test_clean_sample_has_no_faults(clean: Path) -> None:
    manifest = json.loads((clean / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["messy"] is False and manifest["faults"] == []
    returns = _returns(clean)
    assert returns["value"].map(_is_number).all()
    assert returns["measure_id"].isin(FRAMEWORK.measure_ids).all()


def test_revisions_are_later_submissions_of_the_same_return(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = messy
    assert manifest["superseded"], "the sample should include revised figures"
    returns = _returns(folder).set_index(["source_file", "source_row"])
    for s in manifest["superseded"]:
        old = returns.loc[(s["file"], s["row"])]
        new = returns.loc[(s["superseded_by_file"], s["superseded_by_row"])]
        key = ["contract_id", "measure_id", "period"]
        assert old[key].tolist() == new[key].tolist()
        assert new["submitted_on"] > old["submitted_on"]
    # Some revisions come in a second file, as a resubmission.
    assert any(s["superseded_by_file"] != s["file"] for s in manifest["superseded"])


def test_a_partner_who_reported_before_is_missing_this_year(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = messy
    latest = manifest["periods"][-1]
    missing = {m["partner_id"] for m in manifest["missing_returns"] if m["period"] == latest}
    assert missing
    returns = _returns(folder)
    for pid in missing:
        theirs = returns[returns["partner_id"] == pid]
        assert not theirs.empty and latest not in set(theirs["period"])


def test_registers_look_like_a_borough(messy: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = messy
    partners = _read(folder, "partners.csv")
    assert partners["partner_id"].tolist() == [f"P{i:03d}" for i in range(1, 13)]
    assert set(partners["type"]) <= {"private", "vcfs", "public"}
    assert partners["name"].is_unique
    districts = partners["postcode"].str.split(" ").str[0]
    local = districts.isin(LOCAL_DISTRICTS)
    assert 0 < local.sum() < len(partners)  # local and non-local partners
    contracts = _read(folder, "contracts.csv")
    per_partner = contracts.groupby("partner_id").size()
    assert per_partner.between(1, 3).all() and set(per_partner.index) == set(partners["partner_id"])
    committed = contracts["outcome_measures"].fillna("").str.split(";")
    empty = contracts["outcome_measures"].isna()
    assert empty.sum() >= 2 and sorted(contracts.loc[empty, "contract_id"]) == sorted(
        manifest["contracts_without_outcomes"]
    )
    assert committed[~empty].map(len).between(2, 5).all()
    used = {m for ids in committed[~empty] for m in ids}
    assert "CS2-02" not in used  # a council-level measure, computed from spend
    assert used <= FRAMEWORK.measure_ids


def test_spend_uses_transparency_code_columns_and_some_suppliers_are_unregistered(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = messy
    header = (folder / "spend.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(SPEND_HEADER)
    spend = _read(folder, "spend.csv")
    assert spend["amount"].astype(float).gt(500).all()
    assert spend["transaction_number"].is_unique
    assert len(spend) >= 3 * 200  # a few hundred payments a year
    suppliers = set(_read(folder, "suppliers.csv")["supplier_id"])
    unregistered = set(spend["supplier_id"]) - suppliers
    assert unregistered and unregistered <= set(manifest["unregistered_suppliers"])


def test_some_partners_send_excel_or_windows_1252_and_markup_stays_text(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = messy
    formats = {info["format"] for info in manifest["files"].values()}
    assert {"xlsx", "csv-cp1252", "csv"} <= formats
    assert any(
        ("<" in m["comment"]) or m["comment"].startswith("#") for m in manifest["markup_comments"]
    )
    returns = _returns(folder).set_index(["source_file", "source_row"])
    for m in manifest["markup_comments"]:
        assert returns.loc[(m["file"], m["row"]), "comment"] == m["comment"]


def test_rerun_replaces_an_earlier_sample_but_never_other_files(tmp_path: Path) -> None:
    out = tmp_path / "cycle"
    generate_sample(out, partners=6, years=2, seed=1, end_period="2024/25", messy=False)
    assert (out / "returns" / "P006.csv").exists() or (out / "returns" / "P006.xlsx").exists()
    generate_sample(out, partners=3, years=2, seed=1, end_period="2024/25", messy=False)
    left = {p.name.split(".")[0].split("-")[0] for p in (out / "returns").iterdir()}
    assert left and left <= {"P001", "P002", "P003"}  # P004..P006 of the first run are gone
    assert not any("P006" in p.name for p in (out / "returns").iterdir())
    real = tmp_path / "real"
    real.mkdir()
    (real / "returns.csv").write_text("partner_id\n", encoding="utf-8")
    with pytest.raises(UserError, match="already holds files not written by `svf sample`"):
        generate_sample(real, partners=3, years=1, seed=1, end_period="2024/25", messy=False)
    assert (real / "returns.csv").read_text(encoding="utf-8") == "partner_id\n"


def test_one_partner_one_year_still_works(tmp_path: Path) -> None:
    manifest = generate_sample(
        tmp_path / "tiny", partners=1, years=1, seed=3, end_period="2025/26", messy=True
    )
    assert manifest.periods == ["2025/26"]
    assert "1 partners" in manifest.summary()


def test_rerun_never_deletes_outside_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "cycle"
    generate_sample(out, partners=2, years=1, seed=1, end_period="2024/25", messy=False)
    outside = tmp_path / "keep.csv"
    outside.write_text("precious\n", encoding="utf-8")
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["files"]["../keep.csv"] = {"kind": "returns"}
    (out / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    generate_sample(out, partners=2, years=1, seed=1, end_period="2024/25", messy=False)
    assert outside.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize(("seed", "partners", "years"), [(1, 3, 1), (7, 40, 5), (12, 5, 2)])
def test_faults_and_good_rows_hold_for_other_seeds_and_sizes(
    tmp_path: Path, seed: int, partners: int, years: int
) -> None:
    generate_sample(tmp_path, partners=partners, years=years, seed=seed, messy=True)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    check_faults(tmp_path, manifest)
    check_good_rows(tmp_path, manifest)


def test_exemplary_partners_beat_every_target_and_make_no_mistakes(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    """P004 and P010 (every sixth partner from P004) give the council partners to endorse."""
    out, manifest = messy
    assert [f"P{n:03d}" for n in range(1, 13) if exemplary(f"P{n:03d}")] == ["P004", "P010"]
    for pid in ("P004", "P010"):
        assert not any(pid in f["file"] for f in manifest["faults"])
        assert not any(m["partner_id"] == pid for m in manifest["missing_returns"])
        frame = read_table(out / "returns" / f"{pid}.csv", "returns")
        lower = {
            m.id
            for m in load_framework(ROOT / "data/reference/framework.yaml").measures
            if m.direction == "lower"
        }
        for row in frame.itertuples():
            value, target = float(row.value), float(row.target)
            if row.measure_id in lower:
                assert value <= target, (pid, row.measure_id, row.period)
            else:
                assert value >= target, (pid, row.measure_id, row.period)


def test_every_heading_the_sample_writes_is_a_column_of_the_contract(
    messy: tuple[Path, dict[str, Any]],
) -> None:
    """The sample's headers are made from the contract: every heading of every file it writes
    is read as one of the contract's columns (in whichever spelling the partner uses)."""
    folder, manifest = messy
    for name in manifest["files"]:
        kind = kind_of_file(name)
        if kind == "spend":  # read by its own layouts; its headings are the contract's too
            heading = (folder / name).read_text(encoding="utf-8").splitlines()[0].split(",")
            assert set(column_map(kind, heading).values()) <= set(spec(kind).names)
            continue
        frame = read_table(folder / name, kind, name)
        extra = set(frame.columns) - {"source_file", "source_row", *spec(kind).names}
        assert not {c for c in extra if not c.startswith("_")}, name
