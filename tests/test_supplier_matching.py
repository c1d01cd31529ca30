"""Spend joined to the supplier register on real names and numbers, through validate and compute;
the match rate and the unmatched suppliers by spend; `svf suppliers` writes the register to
complete.

Worked by hand (all payments in 2024/25, total £2,075):

| line | supplier as published                  | amount | matched by     | register entry            |
|------|----------------------------------------|-------:|----------------|---------------------------|
| 2    | ACME CARE LIMITED (no id)              |    100 | name           | S1 Acme Care Ltd, RM17    |
| 3    | The Smith & Sons Ltd. (no id)          |    200 | name           | S2 Smith and Sons, E1     |
| 4    | Gamma Builders, company 01234567       |    300 | company number | S3 (1234567), RM16        |
| 5    | Delta Trust, other id 1100001          |    400 | other id       | S4 (charity 1100001), none|
| 6    | Redacted (id S1 given)                 |     50 | never: redacted|                           |
| 7    | (empty name)                           |     25 | never: redacted|                           |
| 8    | Unknown Co                             |    600 | not found      |                           |
| 9    | UNKNOWN CO LTD                         |    400 | not found      |                           |

Named spend 2,000, matched 1,000: match rate 50 %. Redacted 75 of 2,075: 3.614 %.
Local (RM15-RM20, SS17): S1 100 + S3 300 = 400 of 2,075 = 19.277 %; unknown: S4 400 + unmatched
1,000 = 1,400 = 67.470 %; with the redacted 75, CS2-02's unclassified share is 71.084 %.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from pipeline.cli.app import main
from pipeline.outcomes.stage import compute_cycle
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.helpers.validate_fixtures import GOOD_P001, TODAY, returns_csv, workspace

SPEND = """Payment Date,Supplier Name,Supplier ID,Company Number,BeneficiaryOtherID,Amount
24/09/2024,ACME CARE LIMITED,,,,100
24/09/2024,The Smith & Sons Ltd.,,,,200
24/09/2024,Gamma Builders,,01234567,,300
24/09/2024,Delta Trust,,,1100001,400
24/09/2024,Redacted,S1,,,50
24/09/2024,,,,,25
24/09/2024,Unknown Co,,,,600
25/09/2024,UNKNOWN CO LTD,,,,400
"""
SUPPLIERS = """supplier_id,name,postcode,type,sme,company_number,charity_number
S1,Acme Care Ltd,RM17 6SL,private,yes,,
S2,Smith and Sons,E1 6AN,private,yes,,
S3,Gamma Building Services,RM16 2AA,private,no,1234567,
S4,Delta Community Trust,,vcfs,yes,,1100001
"""


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    paths = workspace(
        tmp_path_factory.mktemp("matching"),
        {"P001.csv": returns_csv(GOOD_P001), "spend.csv": SPEND, "suppliers.csv": SUPPLIERS},
    )
    write_outputs(paths, validate_cycle(paths, today=TODAY))
    compute_cycle(paths)
    return paths


def test_match_rate_redacted_and_unclassified_shares(cycle) -> None:  # noqa: ANN001
    findings = json.loads((cycle.clean / "findings.json").read_text(encoding="utf-8"))
    year = findings["spend"]["by_period"]["2024/25"]
    assert year["total_gbp"] == 2075
    assert year["matched_share"] == 50.0
    assert year["redacted_share"] == pytest.approx(75 / 2075 * 100, abs=0.005)
    assert year["redacted_payments"] == 2
    assert year["local_share"] == pytest.approx(400 / 2075 * 100, abs=0.005)
    assert year["local_unclassified_share"] == pytest.approx(1400 / 2075 * 100, abs=0.005)
    # "Unknown Co" and "UNKNOWN CO LTD" are one supplier, with the spelling paid most.
    assert findings["spend"]["top_unmatched"] == [
        {"name": "Unknown Co", "payments": 2, "spend_gbp": 1000.0}
    ]


def test_measures_store_the_unclassified_share_beside_the_figure(cycle) -> None:  # noqa: ANN001
    measures = pd.read_parquet(cycle.measures)
    council = measures[measures["level"] == "council"].set_index("measure_id")
    assert council.loc["CS2-02", "value"] == pytest.approx(400 / 2075 * 100)
    assert council.loc["CS2-02", "unclassified_share"] == pytest.approx(1475 / 2075 * 100)
    assert measures.loc[measures["level"] != "council", "unclassified_share"].isna().all()


def test_svf_suppliers_writes_the_register_to_complete(cycle, capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as info:
        main(["suppliers", "--cycle", cycle.cycle, "--workspace", str(cycle.workspace)])
    assert info.value.code in (0, None)
    err = capsys.readouterr().err
    assert "1 suppliers to complete" in err and "match rate 50.0%" in err
    with (cycle.reports / "suppliers-to-complete.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    first = rows[0]
    assert (first["name"], first["status"], first["payments"], first["spend_gbp"]) == (
        "Unknown Co",
        "to complete",
        "2",
        "1000.0",
    )
    assert first["supplier_id"] == "name:unknown"
    assert first["postcode"] == first["type"] == first["sme"] == ""
    known = {r["supplier_id"]: r for r in rows if r["status"] == "in register"}
    assert {k: known[k]["spend_gbp"] for k in known} == {
        "S1": "100.0",
        "S2": "200.0",
        "S3": "300.0",
        "S4": "400.0",
    }
