"""Writes are atomic, and exported CSV cannot smuggle a spreadsheet formula."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.atomic import atomic_open, neutralise_formula, write_csv, write_json, write_text


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.html"
    write_text(target, "old complete report")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half of a new rep")
        raise RuntimeError("power cut")
    assert target.read_text() == "old complete report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_interrupted_first_write_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "measures.json"
    with pytest.raises(KeyboardInterrupt), atomic_open(target) as fh:
        fh.write("{")
        raise KeyboardInterrupt
    assert not target.exists()
    assert list((tmp_path / "sub").iterdir()) == []


def test_json_is_stable_for_diffs(tmp_path):
    target = write_json(tmp_path / "m.json", {"b": 1, "a": [1, 2]})
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-12.5", "-12.5"),
        ("plain text", "plain text"),
        (12, 12),
    ],
)
def test_formula_cells_are_neutralised(cell, expected):
    assert neutralise_formula(cell) == expected


def test_write_csv_neutralises_partner_text(tmp_path):
    frame = pd.DataFrame({"comment": ["=1+1", "fine"], "value": [1.5, -2.0]})
    text = write_csv(tmp_path / "f.csv", frame).read_text()
    assert text == "comment,value\n'=1+1,1.5\nfine,-2.0\n"


def test_atomic_files_get_normal_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        target = write_text(tmp_path / "index.html", "<p>ok</p>")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
