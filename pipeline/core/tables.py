"""The schema of every table a stage writes, checked when it is written (pandera).

One `Table` per parquet file under `data/clean/<cycle>/`: the clean tables the validate stage
writes (`RETURNS`, `SUPERSEDED`, `PARTNERS`, `CONTRACTS`, `SPEND`, `SUPPLIERS`), its `QUARANTINE`,
and the compute stage's `MEASURES` and `THEME_STATUS`. Each holds a `pandera.DataFrameSchema`:
the columns in order, each column's dtype, whether it may be null and the values it may take.

- `Table.write(path, frame)` checks the frame and writes it atomically; a frame that does not
  match is a bug in the stage (never a partner's mistake), so it raises `TableSchemaError`
  naming the table and the column.
- `Table.build(records)` makes a frame of the table from a few records (unnamed columns null),
  checked like a written one: what tests use instead of building frames by hand, so a test input
  cannot drift from the real table.
- `Table.columns` and `Table.empty()` replace the column lists that used to live in each stage.

The clean tables' columns, order and nullability come from the data contract
(`pipeline.core.contract`: a required column is never null once validated) and from
`CLEAN_TYPES`, the one map of a clean column's type; when the contract model carries types,
`CLEAN_TYPES` is the place to read them from. Why pandera schemas, not pyarrow schemas:
docs/interfaces.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pandas.api.types import infer_dtype

from pipeline.core import atomic
from pipeline.core.contract import KINDS, SOURCE_FILE, SOURCE_ROW, Kind, spec
from pipeline.core.status import STATUSES

if TYPE_CHECKING:  # pandera is imported when a table is first checked, not by every reader
    import pandera.pandas as pa

#: Financial-year labels as every table writes them.
PERIOD_PATTERN = r"^\d{4}/\d{2}$"
#: `type` of a partner or supplier.
ORGANISATION_TYPES = ("private", "vcfs", "public")
#: Levels of the measures table, top down.
LEVELS = ("council", "borough", "partner", "contract")
DIRECTIONS = ("higher", "lower")

#: The types a column can have, as pandas dtypes (`text`: str or None, object dtype).
ColumnType = Literal["text", "number", "count", "maybe_count", "flag", "yes_no", "date"]
DTYPES: dict[ColumnType, str | None] = {
    "text": None,  # object or str dtype; checked by `_is_text`
    "number": "float64",  # NaN for none
    "count": "int64",
    "maybe_count": "Int64",  # <NA> for none
    "flag": "bool",
    "yes_no": "boolean",  # <NA> for not said
    "date": "datetime64[ns]",  # NaT for none
}


def _is_text() -> pa.Check:
    """Every value is text or null: one vectorised look at the column (pandera's `str` dtype
    checks each cell, which is slow on a million returns)."""
    import pandera.pandas as pa

    return pa.Check(
        lambda s: infer_dtype(s, skipna=True) in ("string", "empty"),
        name="is_text",
        error="holds something other than text",
        ignore_na=False,
    )


def _matches(pattern: str) -> pa.Check:
    """Every value matches `pattern`, tested once per distinct value (a million returns hold a
    handful of periods; pandera's `str_matches` runs the expression on every cell)."""
    import pandera.pandas as pa

    rx = re.compile(pattern)

    def ok(series: pd.Series) -> pd.Series | bool:
        bad = [v for v in pd.unique(series) if not (isinstance(v, str) and rx.match(v))]
        return True if not bad else ~series.isin(bad)

    return pa.Check(ok, name=f"matches {pattern}", error=f"does not match {pattern}")


@dataclass(frozen=True)
class Col:
    """One column of a table: its type, whether it may be null, and what it may hold."""

    name: str
    type: ColumnType = "text"
    nullable: bool = True
    isin: Sequence[str] | None = None
    pattern: str | None = None

    def column(self) -> pa.Column:
        import pandera.pandas as pa

        checks: list[pa.Check] = []
        if self.type == "text":
            checks.append(_is_text())
        if self.isin is not None:
            checks.append(pa.Check.isin(list(self.isin)))
        if self.pattern is not None:
            checks.append(_matches(self.pattern))
        return pa.Column(DTYPES[self.type], checks=checks, nullable=self.nullable, name=self.name)


_BUG = (
    " (the table does not match its schema in pipeline/core/tables.py: a bug in the stage "
    "that wrote it)"
)


class TableSchemaError(RuntimeError):
    """A stage made a table its interface does not allow: a bug, never a user's mistake."""


@dataclass(frozen=True)
class Table:
    """A table a stage writes: its file name and its schema."""

    name: str
    cols: tuple[Col, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cols)

    @property
    def schema(self) -> pa.DataFrameSchema:
        return _schema(self)

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)

    def check(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` if it matches the schema (exactly these columns, in order); otherwise a
        `TableSchemaError` naming the table, the column and what is wrong."""
        have = [str(c) for c in frame.columns]
        if have != list(self.columns):
            missing = [c for c in self.columns if c not in have]
            extra = [c for c in have if c not in self.columns]
            what = "; ".join(
                part
                for part in (
                    f"no column {', '.join(missing)}" if missing else "",
                    f"columns not in the schema: {', '.join(extra)}" if extra else "",
                )
                if part
            )
            raise TableSchemaError(
                f"{self.file}: {what or 'columns out of order: ' + ', '.join(have)}{_BUG}"
            )
        from pandera.errors import SchemaError, SchemaErrors

        try:
            return self.schema.validate(frame, inplace=True)
        except (SchemaError, SchemaErrors) as exc:
            first = exc.schema_errors[0] if isinstance(exc, SchemaErrors) else exc
            column = getattr(first, "column_name", None) or getattr(first.schema, "name", None)
            where = f", column {column!r}" if column and column != self.name else ""
            text = str(first).strip()
            head = text.splitlines()[0] if text else type(first).__name__
            raise TableSchemaError(f"{self.file}{where}: {head}{_examples(first)}{_BUG}") from None

    def write(self, path: str | Path, frame: pd.DataFrame) -> Path:
        """Check `frame` and write it atomically to `path`."""
        return atomic.write_parquet(path, self.check(frame))

    def empty(self) -> pd.DataFrame:
        """The table with no rows, every column of its dtype."""
        return self.build([])

    def build(self, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """The table from records (column -> value; a column not given is null), with the
        schema's dtypes, checked. A name that is not a column of the table is refused."""
        rows = list(records)
        unknown = sorted({k for r in rows for k in r} - set(self.columns))
        if unknown:
            raise TableSchemaError(f"{self.file}: no column {', '.join(map(repr, unknown))}")
        frame = pd.DataFrame(
            {c.name: _typed([r.get(c.name) for r in rows], c.type) for c in self.cols},
            index=pd.RangeIndex(len(rows)),
        )
        return self.check(frame)


def _typed(values: list[Any], kind: ColumnType) -> pd.Series:
    if kind == "text":
        return pd.Series([None if _missing(v) else v for v in values], dtype=object)
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    if kind in ("yes_no", "maybe_count"):
        return pd.Series(pd.array([None if _missing(v) else v for v in values], DTYPES[kind]))
    return pd.Series(values, dtype=DTYPES[kind])


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _examples(exc: Exception) -> str:
    cases = getattr(exc, "failure_cases", None)
    if isinstance(cases, pd.DataFrame) and "failure_case" in cases.columns and len(cases):
        shown = ", ".join(repr(v) for v in cases["failure_case"].head(3))
        return f" (for example {shown})"
    return ""


@cache
def _schema(table: Table) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {c.name: c.column() for c in table.cols}, name=table.name, strict=True, ordered=True
    )


# ------------------------------------------------------------------ the validate stage's tables

SOURCE: tuple[Col, ...] = (
    Col(SOURCE_FILE, nullable=False),
    Col(SOURCE_ROW, "count", nullable=False),
)

#: The clean tables' columns, in the order they are written (after source_file, source_row).
#: Spend has more columns than the contract lists: a council's file carries them all.
#: The columns of each clean table in order (after source_file, source_row): the data contract's
#: (`pipeline.core.contract.spec(kind).clean_columns`), the one model of every input.
CLEAN_ORDER: dict[Kind, tuple[str, ...]] = {
    kind: tuple(c.name for c in spec(kind).clean_columns) for kind in KINDS
}

#: How each contract column type is held in a clean table (every other type is text).
_TABLE_TYPE: dict[str, ColumnType] = {
    "number": "number",
    "amount": "number",
    "date": "date",
    "spend_date": "date",
    "yes_no": "yes_no",
    "flag": "flag",
}
#: The type of each clean column that is not text, from the data contract.
CLEAN_TYPES: dict[str, ColumnType] = {
    c.name: _TABLE_TYPE[c.type]
    for kind in KINDS
    for c in spec(kind).clean_columns
    if c.type in _TABLE_TYPE
}
#: What a clean column may hold, beyond its type.
CLEAN_VALUES: dict[tuple[Kind, str], dict[str, Any]] = {
    ("returns", "period"): {"pattern": PERIOD_PATTERN},
    ("partners", "type"): {"isin": ORGANISATION_TYPES},
    ("suppliers", "type"): {"isin": ORGANISATION_TYPES},
    ("spend", "date_precision"): {"isin": ("day", "month"), "nullable": False},
    ("spend", "redacted"): {"nullable": False},
    # Required as a column, but empty where the council withheld the name (redacted).
    ("spend", "supplier_name"): {"nullable": True},
}


def _clean(kind: Kind) -> Table:
    required = set(spec(kind).required)
    cols = [
        Col(
            name,
            CLEAN_TYPES.get(name, "text"),
            **{"nullable": name not in required, **CLEAN_VALUES.get((kind, name), {})},
        )
        for name in CLEAN_ORDER[kind]
    ]
    return Table(kind, (*SOURCE, *cols))


CLEAN: dict[Kind, Table] = {kind: _clean(kind) for kind in KINDS}
RETURNS = CLEAN["returns"]
PARTNERS = CLEAN["partners"]
CONTRACTS = CLEAN["contracts"]
SPEND = CLEAN["spend"]
SUPPLIERS = CLEAN["suppliers"]
#: Earlier submissions of a return: the returns columns and the row that replaced each.
SUPERSEDED = Table(
    "superseded",
    (
        *RETURNS.cols,
        Col("superseded_by_file", nullable=False),
        Col("superseded_by_row", "count", nullable=False),
    ),
)
#: One row per rejected input row or whole file (docs/interfaces.md).
QUARANTINE = Table(
    "quarantine",
    (
        Col("kind", nullable=False, isin=KINDS),
        Col(SOURCE_FILE, nullable=False),
        Col(SOURCE_ROW, "maybe_count"),  # <NA> for a whole-file fault
        Col("column"),
        Col("expectation", nullable=False),
        Col("reason", nullable=False),
        Col("partner_id"),
        Col("record", nullable=False),
    ),
)

# ------------------------------------------------------------------ the compute stage's tables

#: `measures.parquet`: one tidy table of every figure (docs/interfaces.md has each column).
MEASURES = Table(
    "measures",
    (
        Col("level", nullable=False, isin=LEVELS),
        Col("partner_id"),
        Col("contract_id"),
        Col("theme", nullable=False),
        Col("measure_id", nullable=False),
        Col("period", nullable=False, pattern=PERIOD_PATTERN),
        Col("value", "number"),
        Col("n_returns", "count", nullable=False),
        Col("partners_covered", "count", nullable=False),
        Col("target", "number"),
        Col("achieved_share", "number"),
        Col("prev_period", pattern=PERIOD_PATTERN),
        Col("prev_value", "number"),
        Col("yoy_abs", "number"),
        Col("yoy_pct", "number"),
        Col("improved", "yes_no"),
        Col("status", nullable=False, isin=STATUSES),
        Col("value_gbp", "number"),
        Col("unit", nullable=False),
        Col("direction", nullable=False, isin=DIRECTIONS),
        Col("prev_partners_covered", "maybe_count"),
        Col("lfl_contracts", "maybe_count"),
        Col("lfl_partners", "maybe_count"),
        Col("lfl_value", "number"),
        Col("lfl_prev_value", "number"),
        Col("lfl_yoy_pct", "number"),
        Col("unclassified_share", "number"),
    ),
)
#: `theme_status.parquet`: one status per level, partner, theme and period.
THEME_STATUS = Table(
    "theme_status",
    (
        Col("level", nullable=False, isin=LEVELS),
        Col("partner_id"),
        Col("theme", nullable=False),
        Col("period", nullable=False, pattern=PERIOD_PATTERN),
        Col("status", nullable=False, isin=STATUSES),
        *(
            Col(f"n_{s}", "count", nullable=False)
            for s in (
                "measures",
                "on_track",
                "at_risk",
                "off_track",
                "no_data",
                "no_return",
                "no_target",
            )
        ),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (*CLEAN.values(), SUPERSEDED, QUARANTINE, MEASURES, THEME_STATUS)
}

__all__ = [
    "CLEAN",
    "CLEAN_ORDER",
    "CLEAN_TYPES",
    "CONTRACTS",
    "MEASURES",
    "PARTNERS",
    "QUARANTINE",
    "RETURNS",
    "SPEND",
    "SUPERSEDED",
    "SUPPLIERS",
    "TABLES",
    "THEME_STATUS",
    "Col",
    "Table",
    "TableSchemaError",
]
