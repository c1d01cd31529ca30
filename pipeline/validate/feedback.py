"""Feedback files for partners: `reports/<cycle>/data-quality/partners/<partner_id>.csv`.

Each file lists that partner's rejected return rows (and rejected files) with the reason, so
the council can send each partner exactly what to fix and nothing of anyone else's. Rows whose
partner is unknown (not in the register, no partner file name) go to no partner: they are in
the council's quarantine and summary only. Written atomically, with cells a spreadsheet would
run as formulas neutralised as `pipeline.core.atomic.write_csv` does.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import neutralise_frame, write_text
from pipeline.core.contract import spec

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LEAD_COLUMNS = ["file", "row", "column", "problem", "rule"]


def _feedback_frame(mine: pd.DataFrame) -> pd.DataFrame:
    cells = [json.loads(r) for r in mine["record"]]
    columns = list(spec("returns").names)
    extra = sorted({k for c in cells for k in c} - set(columns))
    frame = pd.DataFrame(
        {
            "file": mine["source_file"].to_numpy(),
            "row": mine["source_row"].to_numpy(),
            "column": mine["column"].to_numpy(),
            "problem": mine["reason"].to_numpy(),
            "rule": mine["expectation"].to_numpy(),
        }
    )
    for col in [*columns, *extra]:
        frame[col] = [c.get(col) for c in cells]
    return frame.astype(object).where(frame.notna(), None)


def write_partner_feedback(directory: Path, quarantine: pd.DataFrame) -> list[Path]:
    """Write one CSV per partner with rejected returns; remove files left from earlier runs for
    partners who now have none (a partner must not be sent a stale list)."""
    # The folder exists even when nobody has rejected rows: dvc.yaml declares it as an output.
    directory.mkdir(parents=True, exist_ok=True)
    returns = quarantine[quarantine["kind"] == "returns"]
    safe = [isinstance(p, str) and bool(SAFE_ID.match(p)) for p in returns["partner_id"]]
    returns = returns[pd.Series(safe, index=returns.index, dtype=bool)]
    written = []
    # One frame for every partner, made safe for spreadsheets once and split by partner: a
    # large cycle has thousands of partners, and pandas' cost per small frame (neutralising
    # column by column, to_csv) would then be most of the stage's time.
    frame = neutralise_frame(_feedback_frame(returns))
    frame = frame.astype(object).where(frame.notna(), None)  # empty cells: None, as read
    columns = list(frame.columns)
    n_fixed = len(LEAD_COLUMNS) + len(spec("returns").names)
    records = frame.to_numpy(dtype=object).tolist()
    owners = returns["partner_id"].to_numpy()
    for partner_id, positions in pd.Series(range(len(frame))).groupby(owners, sort=True):
        rows = [records[i] for i in positions.to_numpy()]
        # All-empty columns of the combined frame (another partner's extra column) are dropped.
        keep = list(range(n_fixed)) + [
            j for j in range(n_fixed, len(columns)) if any(r[j] is not None for r in rows)
        ]
        written.append(write_text(directory / f"{partner_id}.csv", _csv_text(columns, rows, keep)))
    if directory.is_dir():
        keep_names = {p.name for p in written}
        for old in directory.glob("*.csv"):
            if old.name not in keep_names:
                old.unlink()
    return written


def _csv_text(columns: list[str], rows: list[list[object]], keep: list[int]) -> str:
    """The CSV text pandas' `to_csv(index=False, lineterminator="\\n")` writes for these rows
    (pandas writes with the csv module too: minimal quoting, empty cell for None)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([columns[j] for j in keep])
    writer.writerows([["" if r[j] is None else r[j] for j in keep] for r in rows])
    return out.getvalue()
