"""The checklist of expected returns for a review cycle: who owes what, and who has not sent it.

Drawn from the cycle's `contracts.csv` (each contract commits to measures) and whatever returns
are already in `data/raw/<cycle>/`. It is a chasing list for the analyst, read before validation,
so it reads the raw files leniently: a return row counts as received when its contract, measure
and period match, whatever else may be wrong with it (validation says that later).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core import periods
from pipeline.core.atomic import write_csv, write_text
from pipeline.core.contract import kind_of_file
from pipeline.core.errors import ContractError, UserError
from pipeline.core.readers import input_files, read_table

COLUMNS = [
    "partner_id",
    "partner_name",
    "contract_id",
    "contract_title",
    "measure_id",
    "period",
    "status",
    "source",
]


def _parse_date(text: str | None) -> dt.date | None:
    """ISO (2024-04-01) or UK (01/04/2024) dates; None when blank or unreadable."""
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _key(text: str | None) -> str:
    return (text or "").strip().upper()


@dataclass(frozen=True)
class Checklist:
    """Expected returns for one cycle's period, each marked received or missing."""

    cycle: str
    period: str
    rows: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def missing(self) -> pd.DataFrame:
        return self.rows[self.rows["status"] == "missing"]

    def partners_without_return(self) -> list[str]:
        """Partners with something expected and nothing at all received for the period."""
        if self.rows.empty:
            return []
        got = self.rows.groupby("partner_id")["status"].apply(lambda s: (s == "received").any())
        return sorted(got[~got].index)

    def summary(self) -> str:
        n = len(self.rows)
        received = int((self.rows["status"] == "received").sum()) if n else 0
        waiting = self.partners_without_return()
        line = f"{received} of {n} expected returns received for {self.period}"
        if waiting:
            line += (
                f"; no return yet from {len(waiting)} "
                f"{'partner' if len(waiting) == 1 else 'partners'}: {', '.join(waiting)}"
            )
        return line


def build_checklist(raw_dir: Path, cycle: str, period: str | None = None) -> Checklist:
    """Expected contract x measure returns for the period, marked received or missing.

    The period is, in order: the one given, the one in the cycle id (`2025-26`), the latest
    period in the returns already received, or the financial year running today.
    """
    notes: list[str] = []
    contracts: list[pd.DataFrame] = []
    partners: list[pd.DataFrame] = []
    returns: list[pd.DataFrame] = []
    files = input_files(raw_dir) if raw_dir.is_dir() else []
    for path in files:
        rel = str(path.relative_to(raw_dir))
        kind = kind_of_file(rel)
        if kind not in {"contracts", "partners", "returns"}:
            continue
        try:
            frame = read_table(path, kind, rel)
        except ContractError as exc:
            notes.append(f"{rel} could not be read ({exc}); its rows are not counted")
            continue
        {"contracts": contracts, "partners": partners, "returns": returns}[kind].append(frame)

    if period is not None:
        if periods.in_text(period) != period:
            raise UserError(f"period {period!r} is not a UK financial year like 2025/26")
    else:
        period = periods.in_text(cycle)
        if period is None and returns:
            seen = {periods.in_text(p) for f in returns for p in f["period"].dropna()}
            seen.discard(None)
            period = max(seen) if seen else None  # type: ignore[type-var]
        period = period or periods.current()

    if not contracts:
        notes.append(
            "no contracts.csv in the cycle folder yet: nothing is expected until it arrives"
        )
        return Checklist(cycle, period, pd.DataFrame(columns=COLUMNS), tuple(notes))

    names: dict[str, str] = {}
    for frame in partners:
        for pid, name in zip(frame["partner_id"], frame["name"], strict=True):
            if pid:
                names.setdefault(_key(pid), name or "")

    received: dict[tuple[str, str], str] = {}
    for frame in returns:
        for cid, mid, per, value, src in zip(
            frame["contract_id"],
            frame["measure_id"],
            frame["period"],
            frame["value"],
            frame["source_file"],
            strict=True,
        ):
            # A row with no value (a returns template's row left blank) is not a return.
            if periods.in_text(per) == period and value is not None:
                received.setdefault((_key(cid), _key(mid)), src)

    first, last = (day.date() for day in periods.bounds(period))
    rows = []
    for frame in contracts:
        for rec in frame.to_dict("records"):
            start, end = _parse_date(rec.get("start")), _parse_date(rec.get("end"))
            # A contract is expected to report for a year it was live in; unreadable dates are
            # kept in (chasing a return that is not owed is better than missing one that is).
            if (start and start > last) or (end and end < first):
                continue
            measures = [
                m.strip() for m in (rec.get("outcome_measures") or "").split(";") if m.strip()
            ]
            pid = (rec.get("partner_id") or "").strip()
            for mid in measures:
                src = received.get((_key(rec.get("contract_id")), _key(mid)))
                rows.append(
                    {
                        "partner_id": pid,
                        "partner_name": names.get(_key(pid), ""),
                        "contract_id": (rec.get("contract_id") or "").strip(),
                        "contract_title": rec.get("title") or "",
                        "measure_id": mid.upper(),
                        "period": period,
                        "status": "received" if src else "missing",
                        "source": src or "",
                    }
                )
    # Missing returns first: the checklist is a chasing list, and the record at close of who
    # never sent what.
    table = pd.DataFrame(rows, columns=COLUMNS)
    table = table.assign(_missing=table["status"] != "missing").sort_values(
        ["_missing", "partner_id", "contract_id", "measure_id"], kind="stable", ignore_index=True
    )
    table = table.drop(columns="_missing")
    return Checklist(cycle, period, table, tuple(notes))


def _md_cell(value: object) -> str:
    """Partner-typed text as inert Markdown: markup characters escaped, no line breaks."""
    text = " ".join(str(value).split())
    return re.sub(r"([\\`*_{}\[\]()<>|~&])", r"\\\1", text)


def to_markdown(checklist: Checklist) -> str:
    lines = [
        f"# Checklist of expected returns: cycle {_md_cell(checklist.cycle)}",
        "",
        f"Period {checklist.period}. {_md_cell(checklist.summary())}.",
        "",
    ]
    lines += [f"- {_md_cell(n)}" for n in checklist.notes]
    if checklist.notes:
        lines.append("")
    lines += [
        "| Partner | Name | Contract | Title | Measure | Status | File |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in checklist.rows.to_dict("records"):
        lines.append(
            "| "
            + " | ".join(
                _md_cell(r[c])
                for c in (
                    "partner_id",
                    "partner_name",
                    "contract_id",
                    "contract_title",
                    "measure_id",
                    "status",
                    "source",
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def write_checklist(checklist: Checklist, reports_dir: Path) -> tuple[Path, Path]:
    """`checklist.csv` (formula-safe) and `checklist.md` in the cycle's reports folder."""
    csv_path = write_csv(reports_dir / "checklist.csv", checklist.rows)
    md_path = write_text(reports_dir / "checklist.md", to_markdown(checklist))
    return csv_path, md_path
