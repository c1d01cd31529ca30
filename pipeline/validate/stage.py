"""The validate stage: raw returns and registers in, clean tables, quarantine and Data Docs out.

`validate_cycle` does the work (and is what tests call); `run_validate_stage` is the CLI's entry
point, which runs `notebooks/01_validate.ipynb` with papermill so the executed notebook is kept
as the narrative of the run. Rules and decisions are described in `docs/validation.md`.

Order: the partners register first (contracts and returns are checked against it), then
suppliers, contracts, spend and finally returns. Each kind is checked with one GX validation for
its row rules and one for its unique keys, over all files of that kind at once.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core import parsing, periods
from pipeline.core.atomic import write_json
from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Kind, kind_of_file, spec
from pipeline.core.errors import ContractError, MissingColumnsError, UserError
from pipeline.core.framework import Framework, load_framework
from pipeline.core.paths import CyclePaths
from pipeline.core.progress import NullReporter, Reporter
from pipeline.core.quarantine import (
    BLANK,
    DUPLICATE,
    FILE_COLUMNS,
    FILE_READABLE,
    HEADER,
    Rejection,
    exact_duplicates,
    file_record,
    record_json,
    rejections_frame,
    structural_faults,
    structural_reason,
    supersede,
)
from pipeline.core.readers import ROW_FAULT, Sheet, frame_from_sheet, input_files, read_sheet
from pipeline.core.settings import load_params
from pipeline.core.tables import CLEAN, QUARANTINE, SUPERSEDED
from pipeline.validate import data_docs, feedback, spend_checks
from pipeline.validate.clean_tables import empty_table, typed_table
from pipeline.validate.expectations import (
    ceilings,
    derive_columns,
    detail_column,
    load_suites,
    suite_parameters,
)
from pipeline.validate.gx_engine import ExpectationStat, GXRunner
from pipeline.validate.spend_layouts import read_spend, spend_rows

#: The order kinds are checked in: each may be checked against the clean kinds before it.
ORDER: tuple[Kind, ...] = ("partners", "suppliers", "contracts", "spend", "returns")
REQUIRED_REGISTERS: tuple[Kind, ...] = ("partners", "contracts")
#: Row outcomes decided before the suites run (see docs/validation.md).
ROW_READABLE = "row_is_readable"
ROW_OF_FILE_PARTNER = "row_is_for_the_partner_the_file_belongs_to"
IDS_UNIQUE_IGNORING_CASE = "ids_are_unique_ignoring_case"
#: Registers whose single-column key is an id that must be unique ignoring case.
ID_KEYS: dict[str, str] = {
    "partners": "partner_id",
    "contracts": "contract_id",
    "suppliers": "supplier_id",
}


@dataclass
class FileCount:
    """One input file's reconciliation line in validation.json."""

    file: str
    kind: str
    rows: int = 0
    clean: int = 0
    quarantined: int = 0
    superseded: int = 0
    file_error: str | None = None
    #: Line number of the header when lines above it (a report's title) were not data.
    header_row: int | None = None
    #: For a returns file: the partner its name or folder names, None for a combined file.
    partner: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def add(self, *, clean: int = 0, quarantined: int = 0, superseded: int = 0) -> None:
        self.clean += clean
        self.quarantined += quarantined
        self.superseded += superseded


@dataclass
class ValidationResult:
    """Everything the stage decided, before it is written."""

    cycle: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    superseded: pd.DataFrame | None = None
    rejections: list[Rejection] = field(default_factory=list)
    files: list[FileCount] = field(default_factory=list)
    stats: list[ExpectationStat] = field(default_factory=list)
    partners: dict[str, dict[str, int]] = field(default_factory=dict)
    runner: GXRunner | None = None  # holds the GX results, for Data Docs

    @property
    def quarantine(self) -> pd.DataFrame:
        """quarantine.parquet: by kind (registers first), file and row; file faults first."""
        frame = rejections_frame(self.rejections)
        frame["_order"] = frame["kind"].map({k: i for i, k in enumerate(ORDER)})
        frame = frame.sort_values(
            ["_order", "source_file", "source_row"], na_position="first", kind="stable"
        )
        return frame.drop(columns="_order").reset_index(drop=True)

    def totals(self) -> dict[str, int]:
        return {
            k: sum(getattr(f, k) for f in self.files)
            for k in ("rows", "clean", "quarantined", "superseded")
        }

    def summary(self) -> dict[str, Any]:
        """The content of validation.json (docs/interfaces.md)."""
        totals = self.totals()
        reconciles = all(f.rows == f.clean + f.quarantined + f.superseded for f in self.files)
        return {
            # No run time: validation.json is a git-tracked metric that the report stage reads,
            # so a clock value would make every re-run look like a change (issue 17).
            "cycle": self.cycle,
            "files": [f.as_dict() for f in self.files],
            "totals": totals,
            "reconciles": reconciles
            and totals["rows"] == (totals["clean"] + totals["quarantined"] + totals["superseded"]),
            "pass_rate": 1.0
            if not totals["rows"]
            else round((totals["clean"] + totals["superseded"]) / totals["rows"], 6),
            "expectations": [
                {
                    "kind": s.kind,
                    "expectation": s.expectation,
                    "column": s.column,
                    "checked": s.checked or s.column,
                    "evaluated": s.evaluated,
                    "failed": s.failed,
                    "pass_rate": s.pass_rate,
                }
                for s in self.stats
            ],
            "partners": self.partners,
            "combined_files": [
                f.file for f in self.files if f.kind == "returns" and f.partner is None
            ],
        }


class _Defaults(dict):
    """Template fields a row does not have render as empty, never as an error."""

    def __missing__(self, key: str) -> str:
        return ""


def _sentence(template: str, raw: pd.Series | dict[str, Any], value: object, detail: object) -> str:
    fields = _Defaults({k: ("" if v is None else v) for k, v in raw.items()})
    fields["value"] = "" if value is None else value
    fields["detail"] = "" if detail is None else detail
    return template.format_map(fields)


def file_partner(file: str, known: set[str]) -> str | None:
    """The partner a returns file belongs to, from its folder (`returns/P001/...`) or its name
    (`P001.csv`, `P001-resubmission.xlsx`, `P001 returns.xlsx`), matched ignoring case.

    `known` must hold no two ids that differ only in case (`routing_ids` ensures it); should it,
    the file is treated as naming no partner rather than guessing between them.
    """
    return _named_partner(file, _by_lower_case(known))


def _by_lower_case(known: set[str]) -> dict[str, list[str]]:
    """The ids by their lower-case spelling (each id in `known`'s order)."""
    lower: dict[str, list[str]] = {}
    for k in known:
        lower.setdefault(k.lower(), []).append(k)
    return lower


def _named_partner(file: str, lower: dict[str, list[str]]) -> str | None:
    parts = Path(file).parts
    stems = [*parts[:-1][::-1], Path(file).name.split(".", 1)[0]]
    # The file's own name first, then its folders from the nearest.
    for stem in [stems[-1], *stems[:-1]]:
        for token in [stem, *re.split(r"[\s_\-.]+", stem)]:
            hits = lower.get(token.lower(), [])
            if len(hits) == 1:
                return hits[0]
    return None


def routing_ids(partners: pd.DataFrame | None) -> set[str]:
    """Partner ids a returns file or row can be routed to: every well-formed id in the register
    (even one whose row was quarantined, so that partner still gets its feedback), except ids
    that another row spells with different case: those route nowhere, never to the twin."""
    if partners is None or partners.empty:
        return set()
    from pipeline.validate.expectations import ID_MAX_LENGTH, ID_PATTERN

    ids = {
        v.strip()
        for v in partners["partner_id"]
        if isinstance(v, str)
        and re.match(ID_PATTERN, v.strip())
        and len(v.strip()) <= ID_MAX_LENGTH
    }
    spellings = Counter(i.lower() for i in ids)
    return {i for i in ids if spellings[i.lower()] == 1}


def _data_rows(sheet: Sheet) -> int:
    """Data rows of a sheet whose content could be read (used when its header is unusable)."""
    first = next((i for i, r in enumerate(sheet.rows) if any(c is not None for c in r)), None)
    return 0 if first is None else len(sheet.rows) - first - 1


def _spend_data_rows(path: Path, name: str) -> int:
    """Data rows of a spend file whose header could not be found (so totals reconcile)."""
    try:
        rows = spend_rows(path, name)
    except Exception:  # noqa: BLE001 - a file that cannot be read at all has no rows to count
        return 0
    first = next((i for i, r in enumerate(rows) if any(c is not None for c in r)), None)
    return 0 if first is None else len(rows) - first - 1


@dataclass(frozen=True)
class Failure:
    """Why one row failed one check. When a row fails several, the first by `order` decides the
    column and expectation recorded in the quarantine, and every sentence is joined."""

    order: int
    column: str | None
    expectation: str
    sentence: str


#: Order of the checks made before the suites' rules (structure, unreadable rows, foreign rows).
BEFORE_RULES = -1


@dataclass(frozen=True)
class Checking:
    """What checking any kind needs: the GX runner, the framework and the suites' parameters."""

    runner: GXRunner
    framework: Framework
    params: dict[str, Any]


@dataclass(frozen=True)
class Routing:
    """For returns: the partner whose feedback each row belongs in (`row_partner`), the partner
    whose file each row is in (`file_owner`, None for a combined file), and the registered
    partner ids a row could claim to be for (`known`)."""

    row_partner: pd.Series
    file_owner: pd.Series
    known: set[str]


@dataclass
class KindOutcome:
    """What checking one kind decided, for `validate_cycle` to add to the result."""

    table: pd.DataFrame
    superseded: pd.DataFrame | None
    stats: list[ExpectationStat]
    rejections: list[Rejection]

    def per_file(self) -> dict[str, dict[str, int]]:
        """Clean, quarantined and superseded rows per source file."""
        out: dict[str, dict[str, int]] = {}

        def add(files: Any, what: str) -> None:
            for f in files:
                counts = out.setdefault(str(f), {"clean": 0, "quarantined": 0, "superseded": 0})
                counts[what] += 1

        add(self.table[SOURCE_FILE], "clean")
        add((r.file for r in self.rejections if r.row is not None), "quarantined")
        if self.superseded is not None:
            add(self.superseded[SOURCE_FILE], "superseded")
        return out


class _KindCheck:
    """Checks all rows of one kind: structure, GX row rules, duplicates, keys. It keeps what it
    decides (stats, rejections) to itself; `check` returns them as a `KindOutcome`."""

    def __init__(
        self,
        kind: Kind,
        suite: dict[str, Any],
        checking: Checking,
        routing: Routing | None = None,
    ) -> None:
        self.kind, self.suite, self.checking, self.routing = kind, suite, checking, routing
        self.stats: list[ExpectationStat] = []
        self.rejections: list[Rejection] = []

    def _partner(self, idx: Any) -> str | None:
        if self.routing is None:
            return None
        value = self.routing.row_partner.get(idx)
        return None if value is None or pd.isna(value) else str(value)

    def _stat(
        self,
        expectation: str,
        column: str,
        evaluated: int,
        failed: int,
        checked: str | list[str] | None = None,
    ) -> None:
        if isinstance(checked, list):
            checked = ", ".join(checked)
        self.stats.append(
            ExpectationStat(self.kind, expectation, column, evaluated, failed, checked or column)
        )

    def _reject(self, raw: pd.DataFrame, failures: dict[Any, list[Failure]]) -> None:
        """Quarantine the rows in `failures` (row index -> every check it failed)."""
        rows = _records(raw, list(failures))
        for idx, items in failures.items():
            items.sort(key=lambda f: f.order)
            first = items[0]
            row = rows[idx]
            reasons = list(dict.fromkeys(f.sentence for f in items))
            self.rejections.append(
                Rejection(
                    self.kind,
                    str(row[SOURCE_FILE]),
                    int(row[SOURCE_ROW]),
                    first.column,
                    first.expectation,
                    "; ".join(reasons),
                    self._partner(idx),
                    record_json(row),
                )
            )

    def check(self, raw: pd.DataFrame, cycle: str | None = None) -> KindOutcome:
        """Check every row of `raw`; for returns, `cycle` also refuses years after the cycle's."""
        table, superseded = self._run(raw)
        if cycle is not None:
            table = self._after_cycle(raw, table, cycle)
        return KindOutcome(table, superseded, self.stats, self.rejections)

    def _run(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        kind = self.kind
        runner, params = self.checking.runner, self.checking.params
        rows_exps = [e for e in self.suite["expectations"] if e["meta"].get("stage") != "keys"]
        key_exps = [e for e in self.suite["expectations"] if e["meta"].get("stage") == "keys"]
        failures: dict[Any, list[Failure]] = {}

        # 1. Structure: blank rows and repeated headers skip every other rule.
        faults = structural_faults(kind, raw)
        if kind == "spend":
            faults = faults.fillna(spend_checks.structural_codes(raw, BLANK))
        for code in (BLANK, HEADER, spend_checks.TOTAL_LINE):
            hit = faults.index[faults == code]
            if code == spend_checks.TOTAL_LINE and kind != "spend":
                continue
            self._stat(code, "*", len(raw), len(hit))
            for idx in hit:
                reason = (
                    spend_checks.total_reason(raw.loc[idx])
                    if code == spend_checks.TOTAL_LINE
                    else structural_reason(code)
                )
                failures[idx] = [Failure(BEFORE_RULES, None, code, reason)]
        # Rows the reader could not read cleanly (undecodable bytes, NUL, an oversized cell, a
        # decimal comma): quarantined with the reader's reason, before any other rule.
        unreadable = (
            raw[ROW_FAULT].notna() & faults.isna()
            if ROW_FAULT in raw.columns
            else pd.Series(False, index=raw.index)
        )
        self._stat(ROW_READABLE, "*", len(raw), int(unreadable.sum()))
        for idx in raw.index[unreadable]:
            failures[idx] = [Failure(BEFORE_RULES, None, ROW_READABLE, str(raw.at[idx, ROW_FAULT]))]
        faults = faults.where(~unreadable, ROW_READABLE)
        # A partner's file holds that partner's rows only: a row for another registered partner
        # is refused. (An id in no register is a typo for the register rule to report.)
        if self.routing is not None:
            own = raw["partner_id"].map(lambda v: v.strip() if isinstance(v, str) else None)
            owner = self.routing.file_owner
            foreign = (
                faults.isna()
                & owner.notna()
                & own.isin(self.routing.known)
                & (own.str.lower() != owner.fillna("").str.lower())
            )
            self._stat(ROW_OF_FILE_PARTNER, "partner_id", len(raw), int(foreign.sum()))
            for idx in raw.index[foreign]:
                failures[idx] = [
                    Failure(
                        BEFORE_RULES,
                        "partner_id",
                        ROW_OF_FILE_PARTNER,
                        f"this file is {owner[idx]}'s; the row is for partner '{own[idx]}': "
                        "a partner's file can only hold its own returns",
                    )
                ]
            faults = faults.where(~foreign, ROW_OF_FILE_PARTNER)
        body = raw[faults.isna()]

        # 2. Row rules, one GX validation over every file of this kind.
        checked = derive_columns(kind, body, self.checking.framework, params)
        gx_frame = checked
        if kind == "spend":
            # GX hashes every column it is given; a year of spend has twenty columns the rules
            # never look at.
            gx_frame = checked[spend_checks.rule_columns(rows_exps, checked)]
        run = runner.run(kind, rows_exps, gx_frame, params)
        failed_pos: set[int] = {pos for positions in run.failures.values() for pos in positions}
        sources = _records(body, checked.index[sorted(failed_pos)])
        for i, e in enumerate(rows_exps):
            meta = e["meta"]
            positions = run.failures.get(i, [])
            evaluated_col = e["kwargs"].get("column")
            self._stat(
                e["type"],
                meta["column"],
                run.evaluated.get(i, 0),
                len(positions),
                evaluated_col,
            )
            detail_col = detail_column(evaluated_col) if evaluated_col else None
            for pos in positions:
                idx = checked.index[pos]
                source = sources[idx]
                value = source.get(meta["column"])
                detail = checked.at[idx, detail_col or evaluated_col] if evaluated_col else None
                failures.setdefault(idx, []).append(
                    Failure(
                        i,
                        meta["column"],
                        e["type"],
                        _sentence(meta["sentence"], source, value, detail),
                    )
                )
        passed = np.ones(len(checked), dtype=bool)
        passed[list(failed_pos)] = False
        ok = checked[passed]

        # 3. Ids unique ignoring case, duplicates, superseded returns, then unique keys (GX).
        table = typed_table(kind, ok)
        table = self._case_twins(table, failures)
        if kind == "spend":
            # Within one published file every line is a payment; only a line repeated in a
            # later file (an overlapping re-publication) is counted once.
            dup_of = spend_checks.republished(table, ok)
            dup_code = spend_checks.REPUBLISHED
        else:
            dup_of = exact_duplicates(table)
            dup_code = DUPLICATE
        dups = dup_of[dup_of >= 0]
        self._stat(dup_code, "*", len(table), len(dups))
        for idx, first in dups.items():
            where = f"row {int(table.at[first, SOURCE_ROW])} of {table.at[first, SOURCE_FILE]}"
            failures[idx] = [
                Failure(
                    0,
                    None,
                    dup_code,
                    f"the payment line is also {where}, an earlier file (a re-publication); "
                    "it is counted once, there"
                    if kind == "spend"
                    else f"the row repeats {where} exactly (a duplicate; the first is kept)",
                )
            ]
        table = table[dup_of < 0]
        superseded = None
        if kind == "returns":
            # A revision only ever supersedes the same partner's rows.
            by = supersede(table, ("partner_id", *spec("returns").key))
            earlier = by[by >= 0]
            superseded = table.loc[earlier.index].copy()
            superseded["superseded_by_file"] = table.loc[earlier.to_numpy(), SOURCE_FILE].to_numpy()
            superseded["superseded_by_row"] = (
                table.loc[earlier.to_numpy(), SOURCE_ROW].to_numpy().astype("int64")
            )
            table = table[by < 0]
        if key_exps:
            keys_run = runner.run(f"{kind}.keys", key_exps, table, params)
            conflicted: set[int] = {
                p for positions in keys_run.failures.values() for p in positions
            }
            at = table.index[sorted(conflicted)]
            sources, typed = _records(raw, at), _records(table, at)
            for i, e in enumerate(key_exps):
                positions = keys_run.failures.get(i, [])
                column = e["meta"]["column"]
                self._stat(
                    e["type"],
                    column,
                    keys_run.evaluated.get(i, 0),
                    len(positions),
                    e["kwargs"].get("column") or e["kwargs"].get("column_list"),
                )
                for pos in positions:
                    idx = table.index[pos]
                    source = sources[idx]
                    fields = {**source, **typed[idx]}
                    failures.setdefault(idx, []).append(
                        Failure(
                            len(rows_exps) + i,
                            column,
                            e["type"],
                            _sentence(e["meta"]["sentence"], fields, source.get(column), None),
                        )
                    )
            unique = np.ones(len(table), dtype=bool)
            unique[list(conflicted)] = False
            table = table[unique]
        self._reject(raw, failures)
        return table, superseded

    def _after_cycle(self, raw: pd.DataFrame, table: pd.DataFrame, cycle: str) -> pd.DataFrame:
        """Clean returns for a year after the cycle's own go to quarantine
        (`pipeline.core.periods`)."""
        later = periods.after_cycle(table["period"], cycle)
        self._stat(periods.AFTER_CYCLE, "period", len(table), int(later.sum()))
        self._reject(
            raw,
            {
                idx: [
                    Failure(
                        0,
                        "period",
                        periods.AFTER_CYCLE,
                        periods.after_cycle_reason(table.at[idx, "period"], cycle),
                    )
                ]
                for idx in table.index[later]
            },
        )
        return table[~later]

    def _case_twins(self, table: pd.DataFrame, failures: dict[Any, list[Failure]]) -> pd.DataFrame:
        """Refuse, row by row, register ids that another row spells with different case
        (`P001` and `p001`): they would share file names and feedback, and which one won
        would depend on chance."""
        column = ID_KEYS.get(self.kind)
        if column is None or table.empty:
            return table
        ids = table[column].astype(object)
        folded = ids.map(lambda v: v.lower() if isinstance(v, str) else None)
        spellings = ids.groupby(folded).transform("nunique")
        twins = spellings.gt(1) & folded.notna()
        self._stat(IDS_UNIQUE_IGNORING_CASE, column, len(table), int(twins.sum()))
        what = column.removesuffix("_id")
        for idx in table.index[twins]:
            others = sorted(
                {
                    f"'{v}' (row {int(table.at[j, SOURCE_ROW])})"
                    for j, v in ids[twins & folded.eq(folded[idx])].items()
                    if v != ids[idx]
                }
            )
            failures.setdefault(idx, []).append(
                Failure(
                    0,
                    column,
                    IDS_UNIQUE_IGNORING_CASE,
                    f"{what} id '{ids[idx]}' differs from {', '.join(others)} only in upper "
                    "and lower case; ids must be unique ignoring case",
                )
            )
        return table[~twins]


def _collector_paused(items: list[Path]) -> Iterator[Path]:
    """`items`, with Python's cyclic garbage collector paused until the loop over them ends.

    Reading a million rows makes millions of lists, and every collection pass walks every live
    object (GX's included): a third of the reading time. Rows hold no reference cycles, so
    nothing is kept longer; the collector runs again as soon as the loop ends, however it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield from items
    finally:
        if enabled:
            gc.enable()


def _records(frame: pd.DataFrame, index: Any) -> dict[Any, dict[str, Any]]:
    """The rows of `frame` at these index labels as dicts (column -> cell), fetched in one
    selection: selecting a row at a time costs a millisecond each on a large frame."""
    labels = list(index)
    return dict(zip(labels, frame.loc[labels].to_dict("records"), strict=True))


def validate_cycle(
    paths: CyclePaths,
    *,
    today: dt.date | None = None,
    reporter: Reporter | None = None,
    framework: Framework | None = None,
) -> ValidationResult:
    """Validate every file in `data/raw/<cycle>/`; nothing is written (see `write_outputs`)."""
    reporter = reporter or NullReporter()
    today = today or dt.date.today()
    raw_dir = paths.require_raw()
    framework = framework or load_framework(paths.framework)
    suites = load_suites(paths.expectations)
    files = input_files(raw_dir)
    kinds_present = {kind_of_file(str(p.relative_to(raw_dir))) for p in files}
    missing = [k for k in REQUIRED_REGISTERS if k not in kinds_present]
    if missing:
        raise UserError(
            f"{raw_dir}: no {' or '.join(f'{k}.csv' for k in missing)}; returns cannot be "
            "checked without the partners and contracts registers"
        )
    reporter.start(len(files) + len(ORDER) + 1, f"validate {paths.cycle}")
    result = ValidationResult(paths.cycle)
    counts: dict[str, FileCount] = {}
    frames: dict[Kind, list[pd.DataFrame]] = {k: [] for k in ORDER}
    file_faults: list[tuple[Kind, str, ContractError]] = []
    #: Returns templates (pipeline.validate.return_templates): file -> the partner its About sheet names.
    owners: dict[str, str] = {}
    for p in _collector_paused(files):
        name = str(p.relative_to(raw_dir))
        kind = kind_of_file(name)
        count = counts[name] = FileCount(name, kind)
        sheet: Sheet | None = None
        try:
            try:
                if kind == "spend":
                    frame = read_spend(p, name)
                    header_row = int(frame.attrs.get("header_row", 1))
                    count.header_row = header_row if header_row > 1 else None
                else:
                    sheet = read_sheet(p, name, kind)
                    frame = frame_from_sheet(sheet, kind, name)
                    if kind == "returns":
                        frame = _read_template(p, name, paths.cycle, frame, owners)
            except ContractError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever one file does, the rest go on
                raise ContractError(
                    f"{name}: could not be read ({type(exc).__name__}: {exc})".replace("\n", " "),
                    file=name,
                ) from exc
        except ContractError as exc:
            # A whole-file fault: the file is quarantined, the rest of the cycle goes on. Its
            # data rows, when they can be counted, count as quarantined so totals reconcile.
            if sheet is not None:
                count.rows = count.quarantined = _data_rows(sheet)
            elif kind == "spend":
                count.rows = count.quarantined = _spend_data_rows(p, name)
            else:
                count.rows = count.quarantined = 0
            count.file_error = str(exc)
            file_faults.append((kind, name, exc))
        else:
            count.rows = len(frame)
            frames[kind].append(frame)
        reporter.advance(1, name)
    result.files = list(counts.values())

    clean: dict[Kind, pd.DataFrame] = {}
    runner = GXRunner()
    limits = ceilings(load_params(paths.params))
    params = suite_parameters(framework, today, limits=limits)
    known_partners: set[str] = set()
    owner_of = _FileOwners(known_partners, owners)
    returns_partner: pd.Series | None = None
    for kind in ORDER:
        raw = pd.concat(frames[kind], ignore_index=True) if frames[kind] else None
        frames[kind] = []  # each file's frame is in `raw` now: do not hold two copies
        if kind == "contracts":
            params = suite_parameters(framework, today, clean.get("partners"), limits=limits)
        if kind == "returns":
            params = suite_parameters(
                framework, today, clean.get("partners"), clean.get("contracts"), limits=limits
            )
        if raw is not None and kind == "returns":
            returns_partner = _returns_partner(raw, owner_of)
        if raw is not None:
            routing = None
            if kind == "returns":
                by_file = {f: owner_of(f) for f in raw[SOURCE_FILE].unique()}
                routing = Routing(
                    returns_partner,
                    raw[SOURCE_FILE].map(by_file).astype(object),
                    known_partners,
                )
            outcome = _KindCheck(
                kind, suites[kind], Checking(runner, framework, params), routing
            ).check(raw, cycle=paths.cycle if kind == "returns" else None)
            result.stats.extend(outcome.stats)
            result.rejections.extend(outcome.rejections)
            for file, tally in outcome.per_file().items():
                counts[file].add(**tally)
            clean[kind] = outcome.table
            if kind == "returns":
                result.superseded = outcome.superseded
        else:
            # Always a table, empty when the cycle has no such file: compute reads an empty spend
            # table as "no spend data", and dvc.yaml declares every table as an output.
            clean[kind] = empty_table(kind)
        if kind == "partners":
            # Routing (whose file, whose feedback) uses the register as sent, less case twins.
            known_partners = routing_ids(raw)
            owner_of = _FileOwners(known_partners, owners)
        reporter.advance(1, kind)

    for kind, name, fault in file_faults:
        partner = owner_of(name) if kind == "returns" else None
        expectation = FILE_COLUMNS if isinstance(fault, MissingColumnsError) else FILE_READABLE
        result.rejections.append(
            Rejection(
                kind, name, None, fault.column, expectation, str(fault), partner, file_record()
            )
        )
    for kind in ORDER:
        n_files = sum(1 for f in result.files if f.kind == kind)
        if n_files:
            bad = sum(1 for k, _, _ in file_faults if k == kind)
            result.stats.insert(0, ExpectationStat(kind, FILE_READABLE, "*", n_files, bad))
    for f in result.files:
        if f.kind == "returns":
            f.partner = owner_of(f.file)
    result.tables = {k: v for k, v in clean.items()}
    if result.superseded is None:
        result.superseded = _empty_superseded()
    result.partners = _partner_counts(result, returns_partner, owner_of)
    result.runner = runner
    reconcile(result)
    return result


class _FileOwners:
    """The partner a returns file belongs to: the one its template's About sheet names (when that
    partner is in the register), else the one its name or folder names (`file_partner`).

    One per run, once the partners register is known: the ids are indexed once and each file
    looked up once (a large cycle has thousands of files and thousands of partners)."""

    def __init__(self, known: set[str], templates: dict[str, str] | None = None) -> None:
        self.known = known
        self.templates = templates or {}
        self.lower = _by_lower_case(known)
        self.found: dict[str, str | None] = {}

    def __call__(self, file: str) -> str | None:
        if file not in self.found:
            self.found[file] = self._owner(file)
        return self.found[file]

    def _owner(self, file: str) -> str | None:
        named = self.templates.get(file)
        if named is not None:
            hits = self.lower.get(named.lower(), [])
            if hits:
                return hits[0]
        return _named_partner(file, self.lower)


def _read_template(
    path: Path, name: str, cycle: str, frame: pd.DataFrame, owners: dict[str, str]
) -> pd.DataFrame:
    """A filled returns template read as its partner's return: its About sheet names the partner
    (recorded in `owners`), a template from another cycle is refused, unfilled rows are not
    returns (missing, never zero). Any other file is returned as read."""
    from pipeline.validate.return_templates import (
        check_template,
        drop_unfilled,
        is_template_frame,
        template_identity,
    )

    identity = template_identity(path, name)
    if identity is None:
        # The CSV template has no About sheet; its own columns say what it is.
        return drop_unfilled(frame) if is_template_frame(frame) else frame
    owners[name] = identity.partner_id
    check_template(identity, cycle, name)
    return drop_unfilled(frame)


def _returns_partner(raw: pd.DataFrame, owner_of: _FileOwners) -> pd.Series:
    """Whose feedback each return row belongs in: the partner named by its file when there is one
    (`P001.csv`), else the row's own partner_id when that partner is in the register."""
    by_file = {f: owner_of(f) for f in raw[SOURCE_FILE].unique()}
    from_file = raw[SOURCE_FILE].map(by_file)
    own = parsing.map_distinct(
        raw["partner_id"], lambda v: v.strip() if isinstance(v, str) else None
    )
    own = own.where(own.isin(owner_of.known), None)
    return from_file.where(from_file.notna(), own).astype(object)


def _partner_counts(
    result: ValidationResult, row_partner: pd.Series | None, owner_of: _FileOwners
) -> dict[str, dict[str, int]]:
    """Return rows and rejected rows per partner; `row_partner` is `_returns_partner` of every
    return row read (None when no returns file could be read)."""
    rows: Counter[str] = Counter()
    if row_partner is not None:
        for p in row_partner.dropna():
            rows[p] += 1
    quarantined: Counter[str] = Counter()
    for r in result.rejections:
        if r.kind == "returns" and r.partner_id and r.row is not None:
            quarantined[r.partner_id] += 1
    for f in result.files:
        if f.kind == "returns" and f.file_error:
            p = owner_of(f.file)
            if p:
                rows[p] += f.rows
                quarantined[p] += f.rows
    return {
        p: {"rows": rows[p], "quarantined": quarantined[p]}
        for p in sorted(set(rows) | set(quarantined))
    }


def _empty_superseded() -> pd.DataFrame:
    return SUPERSEDED.empty()


class ReconciliationError(RuntimeError):
    """Rows were lost or counted twice: a bug, never a user's mistake, so it is not a UserError."""


def reconcile(result: ValidationResult) -> None:
    """Assert raw rows = clean + quarantined + superseded, per file and in total, and that the
    tables hold exactly the rows the counts say."""
    for f in result.files:
        if f.rows != f.clean + f.quarantined + f.superseded:
            raise ReconciliationError(
                f"{f.file}: {f.rows} rows read but {f.clean} clean + {f.quarantined} quarantined "
                f"+ {f.superseded} superseded"
            )
    totals = result.totals()
    n_clean = sum(len(t) for t in result.tables.values())
    n_rows_quarantined = sum(1 for r in result.rejections if r.row is not None)
    n_file_rows = sum(f.rows for f in result.files if f.file_error)
    n_superseded = 0 if result.superseded is None else len(result.superseded)
    if (n_clean, n_rows_quarantined + n_file_rows, n_superseded) != (
        totals["clean"],
        totals["quarantined"],
        totals["superseded"],
    ):
        raise ReconciliationError(
            f"tables hold {n_clean} clean, {n_rows_quarantined + n_file_rows} quarantined, "
            f"{n_superseded} superseded rows; counts say {totals}"
        )


def write_outputs(paths: CyclePaths, result: ValidationResult) -> dict[str, Any]:
    """Write the clean tables, quarantine, superseded, validation.json, Data Docs, the summary
    page and the partner feedback files (each atomically); return validation.json's content."""
    for kind in ORDER:
        table = result.tables.get(kind)
        CLEAN[kind].write(
            paths.clean_table(kind),
            (table if table is not None else empty_table(kind)).reset_index(drop=True),
        )
    QUARANTINE.write(paths.quarantine, result.quarantine)
    superseded = result.superseded if result.superseded is not None else _empty_superseded()
    SUPERSEDED.write(paths.superseded, superseded.reset_index(drop=True))
    summary = result.summary()
    data_docs.build_site(paths, result.runner or GXRunner())
    write_json(paths.validation_json, summary)
    data_docs.write_reviewer_page(paths, summary)
    feedback.write_partner_feedback(paths.data_quality / "partners", result.quarantine)
    return summary


def run_validation(
    paths: CyclePaths, *, today: dt.date | None = None, reporter: Reporter | None = None
) -> dict[str, Any]:
    """Validate and write every output: what the notebook calls."""
    reporter = reporter or NullReporter()
    result = validate_cycle(paths, today=today, reporter=reporter)
    summary = write_outputs(paths, result)
    reporter.advance(1, "data docs")
    reporter.finish()
    return summary


def run_validate_stage(
    paths: CyclePaths, *, strict: bool, console: Any, today: dt.date | None = None
) -> int:
    """Run `notebooks/01_validate.ipynb` for the cycle, show its progress and summary.

    Returns 0, or 1 when `strict` and anything (a row or a whole file) was quarantined: a hard
    gate for analysts. `today` fixes the date "future" periods are judged by (tests).
    """
    import json

    from pipeline.core.notebooks import execute
    from pipeline.core.progress import RichReporter

    paths.require_raw()
    reporter = RichReporter(console)
    try:
        execute(
            paths.notebooks / "01_validate.ipynb",
            paths.executed / "01_validate.ipynb",
            {
                "cycle": paths.cycle,
                "workspace": str(paths.workspace),
                "strict": strict,
                "today": today.isoformat() if today else None,
            },
            cwd=paths.workspace,
            on_line=lambda line: reporter.handle_line(line),
        )
    finally:
        reporter.finish()
    summary = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    data_docs.print_summary(console, summary, paths)
    code = exit_status(summary, strict=strict)
    if code:
        bad_files = sum(1 for f in summary["files"] if f["file_error"])
        console.print(
            f"[bold red]strict:[/] {summary['totals']['quarantined']} rows and {bad_files} whole "
            "files quarantined",
            highlight=False,
        )
    return code


def exit_status(summary: dict[str, Any], *, strict: bool) -> int:
    """0, or 1 under `strict` when any row or whole file (even one with no countable rows) was
    quarantined."""
    bad_files = any(f["file_error"] for f in summary["files"])
    return 1 if strict and (summary["totals"]["quarantined"] or bad_files) else 0
