"""Fuzzing the readers (issue 12): whatever bytes arrive, only a file fault or rows come out.

Random bytes, random CSV dialects and damaged workbooks are fed to the readers; each must give a
`ContractError` naming the file, or a frame whose every row has a row number, and a cycle that
holds such a file must still reconcile: rows read = clean + quarantined + superseded.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import ContractError
from pipeline.core.readers import read_table
from tests.helpers.hostile_files import RETURNS_HEADER, sheet_xml, workbook
from tests.helpers.validate_fixtures import GOOD_P001, returns_csv, run, workspace

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(data: bytes, name: str):  # noqa: ANN202
    """The frame, or None for a file fault; anything else (a crash) fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            frame = read_table(path, "returns")
        except ContractError as exc:
            assert str(exc).startswith(f"{name}: ")
            assert "\n" not in str(exc)
            return None
    assert frame["source_row"].is_monotonic_increasing
    assert frame["source_file"].eq(name).all()
    return frame


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_give_a_file_fault_or_rows(data: bytes) -> None:
    _read(data, "P001.csv")


@FUZZ
@given(
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04"]),
    body=st.binary(max_size=1024),
)
def test_random_bytes_after_a_telling_start_give_a_file_fault_or_rows(
    prefix: bytes, body: bytes
) -> None:
    _read(prefix + ",".join(RETURNS_HEADER).encode() + b"\n" + body, "P001.csv")


# No bare \r in cells: Python's csv writer leaves it unquoted under a \n terminator, so the file
# itself would hold an extra line break.
_CELL = st.text(alphabet=st.characters(blacklist_characters="\r"), max_size=10)


@FUZZ
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]),
    rows=st.lists(st.lists(_CELL, min_size=0, max_size=8), max_size=6),
)
def test_random_csv_dialects_give_a_file_fault_or_every_row(
    delimiter: str, quoting: int, terminator: str, encoding: str, rows: list[list[str]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerow(RETURNS_HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    frame = _read(data, "P001.csv")
    if frame is not None and terminator != "\r" and encoding != "cp1252":
        # Never more rows than were written (blank rows read as blank, nothing invented).
        assert len(frame) <= len(rows)


def _valid_workbook() -> bytes:
    return workbook(
        [("Returns", "visible", sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "x", 1]]))]
    )


@FUZZ
@given(
    cuts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=4000), st.binary(max_size=8)), max_size=4
    )
)
def test_damaged_workbooks_give_a_file_fault_or_rows(cuts: list[tuple[int, bytes]]) -> None:
    data = bytearray(_valid_workbook())
    for at, junk in cuts:
        at %= len(data)
        data[at : at + len(junk)] = junk
    _read(bytes(data), "P001.xlsx")


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=512))
def test_a_cycle_with_a_random_file_still_reconciles(tmp_path_factory, data: bytes) -> None:  # noqa: ANN001
    paths = workspace(
        tmp_path_factory.mktemp("fuzz"),
        {"returns/P001.csv": returns_csv(GOOD_P001), "returns/P002.csv": data},
    )
    result = run(paths)  # raises ReconciliationError if a row were lost or counted twice
    summary = result.summary()
    assert summary["reconciles"] is True
    t = summary["totals"]
    assert t["rows"] == t["clean"] + t["quarantined"] + t["superseded"]
    assert "returns/P001.csv" in set(result.tables["returns"]["source_file"])
