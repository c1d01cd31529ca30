"""The data contract: for each kind of input, its columns and the rules a row must pass.

This module is the one model of the contract. From it come:

- the readers' column matching (`column_map`, `spec(kind).required`);
- the Great Expectations suites (`rules` -> `Rule.expectation`, written to `expectations/*.json`
  by `svf validate --write-suites`);
- the derived columns some rules check (`Rule.derive`, run by
  `pipeline.validate.expectations.derive_columns`);
- the sentence a partner reads when a row fails (`Rule.sentence`) and the words a reviewer reads
  for a passing rule (`Rule.passes`, `Rule.note`: `pipeline.validate.check_words`);
- the clean tables' column types (`Column.type` -> `CLEAN_DTYPES`, `pipeline.validate.clean_tables`);
- the column tables of `docs/data-contract.md` (`docs_table`; a test keeps the page current);
- the sample generator's headers (`pipeline.sample.generator`).

Column names are matched case-, space-, hyphen- and underscore-insensitively (`Partner ID`,
`partner_id`, `PARTNER-ID` are one column); aliases cover other headings people use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import pandas as pd

from pipeline.core import parsing
from pipeline.core.spend_cells import cell_ok, parse_amounts, parse_spend_dates

Kind = Literal["returns", "partners", "contracts", "spend", "suppliers"]
KINDS: tuple[Kind, ...] = ("returns", "partners", "contracts", "spend", "suppliers")

#: Columns the readers add to every row so a figure can be traced to the file and row it came from.
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
SOURCE_COLUMNS = (SOURCE_FILE, SOURCE_ROW)

#: What a column holds, which decides how it is checked and its type in the clean table:
#: `id` (trimmed text: a file and folder name), `text`, `number`, `date`, `yes_no`, `period`
#: (a financial year, stored `2024/25`), `measure` (a framework measure id, upper case),
#: `measures` (`;`-separated measure ids), `party_type` (private, vcfs or public, lower case);
#: spend only: `spend_date` and `amount` (as councils write them), `date_precision` (`day` or
#: `month`) and `flag` (True/False, worked out by the pipeline).
ColumnType = Literal[
    "id",
    "text",
    "number",
    "date",
    "yes_no",
    "period",
    "measure",
    "measures",
    "party_type",
    "spend_date",
    "amount",
    "date_precision",
    "flag",
]
#: The dtype each column type has in a clean table as compute reads it back from parquet
#: (docs/interfaces.md): text is pandas `str`, missing as NaN (a text column with no value at all
#: has no type in parquet and reads back as `object`).
CLEAN_DTYPES: dict[ColumnType, str] = {
    "id": "str",
    "text": "str",
    "number": "float64",
    "date": "datetime64[ns]",
    "yes_no": "boolean",
    "period": "str",
    "measure": "str",
    "measures": "str",
    "party_type": "str",
    "spend_date": "datetime64[ns]",
    "amount": "float64",
    "date_precision": "str",
    "flag": "bool",
}


#: Each column type in the documentation's words.
TYPE_WORDS: dict[ColumnType, str] = {
    "id": "id",
    "text": "text",
    "number": "number",
    "date": "date",
    "yes_no": "yes/no",
    "period": "financial year",
    "measure": "measure id",
    "measures": "measure ids",
    "party_type": "organisation type",
    "spend_date": "date or month",
    "amount": "amount of money",
    "date_precision": "day or month",
    "flag": "true/false",
}


@dataclass(frozen=True)
class Column:
    """One column of an input kind and of its clean table."""

    name: str
    type: ColumnType
    required: bool
    description: str
    aliases: tuple[str, ...] = ()
    #: A required column whose cells may be empty (the heading must be there).
    empty_ok: bool = False
    #: False for a clean-table column that is not part of the documented input contract (spend:
    #: headings read by `pipeline.validate.spend_layouts`, or values the pipeline works out).
    contract: bool = True

    @property
    def dtype(self) -> str:
        return CLEAN_DTYPES[self.type]


@dataclass(frozen=True)
class Spec:
    kind: Kind
    #: Every column of the clean table, in its order (the input contract's columns among them).
    clean_columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The input contract's columns, in order."""
        return tuple(c for c in self.clean_columns if c.contract)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.clean_columns if c.name == name)


def normalise(name: object) -> str:
    """The matching key of a column heading: lower case, no spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-./]+", "", str(name).strip().lower())


_C = Column
SPECS: dict[Kind, Spec] = {
    "returns": Spec(
        "returns",
        (
            _C("partner_id", "id", True, "partner that made the return, as in `partners.csv`"),
            _C("contract_id", "id", True, "contract the return is for, as in `contracts.csv`"),
            _C(
                "measure_id",
                "measure",
                True,
                "framework measure, `CS<n>-<nn>` (see `svf framework`)",
                ("measure",),
            ),
            _C(
                "period",
                "period",
                True,
                "UK financial year, `2024/25`",
                ("financial_year", "year"),
            ),
            _C(
                "value",
                "number",
                True,
                "what was delivered in the period, in the measure's unit",
                ("actual",),
            ),
            _C("target", "number", False, "what the partner committed to for the period"),
            _C(
                "denominator",
                "number",
                False,
                "for percentages: what the percentage is of (staff, users, GBP of spend); used "
                "to weight percentages when they are combined",
            ),
            _C("evidence", "text", False, "how the figure was measured and verified"),
            _C("verified", "yes_no", False, "yes/no: has the figure been verified"),
            _C("comment", "text", False, "free text from the partner", ("comments", "notes")),
            _C(
                "submitted_on",
                "date",
                False,
                "date the return was submitted",
                ("submission_date", "submitted"),
            ),
        ),
        key=("contract_id", "measure_id", "period"),
    ),
    "partners": Spec(
        "partners",
        (
            _C(
                "partner_id",
                "id",
                True,
                "stable identifier (used in file and folder names), e.g. `P001`: letters, "
                "digits, `.`, `-`, `_`, at most 64 characters, unique ignoring case",
            ),
            _C("name", "text", True, "organisation name", ("partner_name",)),
            _C(
                "type",
                "party_type",
                True,
                "`private`, `vcfs` (voluntary, community and faith sector) or `public`",
                ("partner_type",),
            ),
            _C("postcode", "text", False, "postcode of the main site"),
            _C("sme", "yes_no", False, "yes/no: small or medium-sized enterprise"),
        ),
        key=("partner_id",),
    ),
    "contracts": Spec(
        "contracts",
        (
            _C("contract_id", "id", True, "contract reference"),
            _C("partner_id", "id", True, "partner holding the contract"),
            _C("title", "text", True, "contract title"),
            _C("start", "date", True, "start date", ("start_date",)),
            _C("end", "date", True, "end date", ("end_date",)),
            _C("value_gbp", "number", True, "contract value in GBP", ("value", "contract_value")),
            _C(
                "outcome_measures",
                "measures",
                True,
                "the measure ids the contract committed to, `;`-separated",
                ("measures",),
                empty_ok=True,
            ),
            _C(
                "linked_to_subject_matter",
                "yes_no",
                True,
                "yes/no: `no` means the outcomes are terms of the contract rather than linked to "
                "its subject matter",
                ("linked",),
            ),
        ),
        key=("contract_id",),
    ),
    # Spend files are read by `pipeline.validate.spend_layouts`, whose heading table (as data)
    # covers the layouts councils publish; the contract's columns are the main ones, for the
    # documentation, and the others are columns of the clean spend table.
    "spend": Spec(
        "spend",
        (
            _C("body", "text", False, "Publishing body (a URI or a name)", ("organisation_uri",)),
            _C(
                "body_name",
                "text",
                False,
                "Name of the publishing body",
                ("organisation_label",),
            ),
            _C(
                "date",
                "spend_date",
                True,
                "Payment date (or month)",
                ("payment_date", "paid_date"),
            ),
            _C(
                "date_precision",
                "date_precision",
                False,
                "`day`, or `month` for a date given as a month",
                contract=False,
            ),
            _C(
                "transaction_number",
                "id",
                False,
                "Transaction number",
                ("transaction_no", "trans_no", "transaction_id", "transaction_ref"),
            ),
            _C("amount", "amount", True, "Amount in GBP", ("net_amount", "amount_gbp")),
            _C(
                "supplier_name",
                "text",
                True,
                "Supplier name (empty or 'Redacted' for a withheld name)",
                ("supplier", "beneficiary_name"),
                empty_ok=True,
            ),
            _C("supplier_id", "id", False, "Supplier id, as in suppliers.csv"),
            _C("supplier_other_id", "text", False, "BeneficiaryOtherID", contract=False),
            _C("company_number", "text", False, "Companies House number", contract=False),
            _C("charity_number", "text", False, "Registered charity number", contract=False),
            _C("vat_registration_number", "text", False, "VAT number", contract=False),
            _C("expense_area", "text", False, "Expense area", ("service_area", "department")),
            _C("expense_type", "text", False, "Expense type", ("purpose", "category")),
            _C("expense_code", "text", False, "Expense code", contract=False),
            _C("description", "text", False, "Description of the payment", contract=False),
            _C("invoice_number", "text", False, "Invoice number", contract=False),
            _C("irrecoverable_vat", "amount", False, "Irrecoverable VAT", contract=False),
            _C(
                "redacted",
                "flag",
                False,
                "True for a payment whose supplier name is withheld",
                contract=False,
            ),
        ),
        key=(),
    ),
    "suppliers": Spec(
        "suppliers",
        (
            _C("supplier_id", "id", True, "supplier id, as used in the spend files"),
            _C("name", "text", True, "supplier name", ("supplier_name",)),
            _C("postcode", "text", False, "postcode of the supplier's premises"),
            _C("type", "party_type", False, "`private`, `vcfs` or `public`", ("supplier_type",)),
            _C("sme", "yes_no", False, "yes/no"),
            _C("company_number", "text", False, "Companies House number (leading zeros optional)"),
            _C("charity_number", "text", False, "registered charity number"),
        ),
        key=("supplier_id",),
    ),
}


def spec(kind: Kind) -> Spec:
    return SPECS[kind]


@functools.cache
def _heading_lookup(kind: Kind) -> dict[str, str]:
    """Normalised heading -> canonical column, for every column and alias of `kind` (built once:
    a cycle of thousands of small files maps a header per file)."""
    lookup: dict[str, str] = {}
    for col in SPECS[kind].columns:
        lookup[normalise(col.name)] = col.name
        for alias in col.aliases:
            lookup.setdefault(normalise(alias), col.name)
    return lookup


def column_map(kind: Kind, headings: list[str]) -> dict[str, str]:
    """Map each heading found in a file to its canonical name (headings not in the contract kept,
    normalised, so nothing the partner sent is lost)."""
    lookup = _heading_lookup(kind)
    mapping: dict[str, str] = {}
    for heading in headings:
        key = normalise(heading)
        mapping[heading] = lookup.get(
            key, re.sub(r"[^a-z0-9]+", "_", str(heading).strip().lower()).strip("_")
        )
    return mapping


def kind_of_file(filename: str) -> Kind:
    """Which kind of input a file in `data/raw/<cycle>/` holds, by its name.

    `partners.*`, `contracts.*`, `suppliers.*` and `spend*.*` are the registers and the council's
    spend; every other file is returns (one per partner, or one combined).
    """
    stem = filename.rsplit("/", 1)[-1].split(".", 1)[0].lower()
    if stem == "partners":
        return "partners"
    if stem == "contracts":
        return "contracts"
    if stem == "suppliers":
        return "suppliers"
    if stem.startswith("spend"):
        return "spend"
    return "returns"


# --------------------------------------------------------------------------------------------
# rules

#: Ids become file and folder names (partner reports, feedback files): keep them plain.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
#: ... and short: an id is a folder and file name in every report path.
ID_MAX_LENGTH = 64
PARTNER_TYPES = ("private", "vcfs", "public")
PARTNER_TYPE_PATTERN = r"(?i)^\s*(?:" + "|".join(PARTNER_TYPES) + r")\s*$"
#: Internal column the readers fill with cells found beyond the last heading.
EXTRA_CELLS = "_extra_cells"
REQUIRED_SENTENCE = "column {column} is empty; it is required"

Stage = Literal["rows", "keys"]


class Rows:
    """The rows a kind's rules are checked on (ids already trimmed), with what several rules
    read worked out once: the numbers in a column, the periods, each return's contract owner.

    `params` are the suites' run-time parameters (`pipeline.validate.expectations.
    suite_parameters`), which hold the clean registers' ids; `units` maps a measure id to its
    unit and `measure_ids` are the framework's ids.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        params: Mapping[str, Any],
        units: Mapping[str, str],
        measure_ids: Iterable[str],
    ) -> None:
        self.frame = frame
        self.params = params
        self.units = units
        self.measure_ids = frozenset(measure_ids)
        self._numbers: dict[str, pd.Series] = {}

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame[column]

    @property
    def numbers(self) -> dict[str, pd.Series]:
        """The columns read as numbers so far, by column name."""
        return self._numbers

    def number(self, column: str) -> pd.Series:
        if column not in self._numbers:
            self._numbers[column] = parsing.parse_number(self.frame[column])
        return self._numbers[column]

    @cached_property
    def periods(self) -> pd.DataFrame:
        return parsing.period_parts(self.frame["period"])

    @cached_property
    def unit(self) -> pd.Series:
        """The unit of each return's measure (None for a measure not in the framework)."""
        return self.frame["measure_id"].map(self.units)

    @cached_property
    def owners(self) -> dict[str, str]:
        return dict(p.split(" / ", 1) for p in self.params["contract_partner_pairs"])

    @cached_property
    def owner(self) -> pd.Series:
        """The partner each return's contract belongs to (None for an unregistered contract)."""
        return self.frame["contract_id"].map(self.owners)

    @cached_property
    def spend_dates(self) -> pd.DataFrame:
        return parse_spend_dates(self.frame["date"])

    @cached_property
    def amounts(self) -> pd.Series:
        return parse_amounts(self.frame["amount"])


Derive = Callable[[Rows], pd.Series]


@dataclass(frozen=True)
class Rule:
    """One rule of the contract: what GX checks, on which column, and what people are told.

    A rule about an input `column` may check a derived column (`checks`, such as
    `value__percent`), which `derive` computes from the rows; derived values are None where the
    rule does not apply, so GX skips them. `sentence` is what a partner reads when a row fails:
    a template filled with `{value}` (what they typed in `column`), `{detail}` (the failing derived
    value, or the `detail` column's) and any cell of the row by its column name. `passes` says
    what a passing row looks like and `note` how a derived column is computed (the reviewer's
    page and the Data Docs).
    """

    expectation: str
    column: str | tuple[str, ...]
    sentence: str
    passes: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    checks: str | None = None
    derive: Derive | None = None
    note: str | None = None
    #: A second derived column the sentence's `{detail}` comes from, and how it is computed.
    detail: str | None = None
    derive_detail: Derive | None = None
    stage: Stage = "rows"

    @property
    def about(self) -> str:
        """The input column a partner is told about."""
        return self.column if isinstance(self.column, str) else self.column[0]

    @property
    def checked(self) -> str | list[str]:
        """The column (or columns) GX checks."""
        if self.checks:
            return self.checks
        return self.column if isinstance(self.column, str) else list(self.column)

    def expectation_json(self) -> dict[str, Any]:
        """The rule as a GX expectation (what `expectations/<kind>.json` holds)."""
        checked = self.checked
        kw: dict[str, Any] = (
            {"column_list": checked} if isinstance(checked, list) else {"column": checked}
        )
        kw.update(self.kwargs)
        return {
            "type": self.expectation,
            "kwargs": kw,
            "meta": {"column": self.about, "sentence": self.sentence, "stage": self.stage},
        }


def param(name: str) -> dict[str, str]:
    """A GX suite parameter, filled in at run time (`suite_parameters`)."""
    return {"$PARAMETER": name}


def ceiling_parameter(unit: str) -> str:
    return f"ceiling_{unit}"


def flag(present: pd.Series, ok: pd.Series) -> pd.Series:
    """True/False where `present` has a value, None (rule does not apply) where it has none."""
    out = pd.Series(None, index=ok.index, dtype=object)
    has = present.notna()
    out[has] = ok[has].to_numpy(dtype=bool)
    return out


#: Joins the two ids of a pair (`pair`).
PAIR_SEPARATOR = " / "


def pair(a: object, b: object) -> str:
    """Two ids as one value, for checking a combination against the registers in one rule."""
    return f"{a}{PAIR_SEPARATOR}{b}"


def _derived_note(checked: str, how: str, base: str) -> str:
    return f"`{checked}` is a derived column computed by the pipeline: {how}. Rejected rows name `{base}`."


def _flag_note(checked: str, base: str) -> str:
    return (
        f"`{checked}` is a derived column, computed by the pipeline from `{base}` (and the "
        f"registers) before the check; the row passes when it is true. Rejected rows name `{base}`."
    )


def generic_words(expectation: str, column: str) -> str:
    """Words for a rule the contract does not describe itself: the expectation's name."""
    words = expectation.removeprefix("expect_").replace("_", " ")
    return f"{column}: {words}" if column else words[:1].upper() + words[1:]


def extra_cells() -> Rule:
    return Rule(
        "expect_column_values_to_be_null",
        EXTRA_CELLS,
        "the row has cells beyond the last column heading ('{detail}')",
        "No cells beyond the last column heading",
        note=f"`{EXTRA_CELLS}` is not a column of the file: it holds any cells the row has beyond "
        "the last column heading, collected when the file is read.",
    )


def required(columns: Iterable[Column]) -> list[Rule]:
    return [
        Rule(
            "expect_column_values_to_not_be_null",
            c.name,
            REQUIRED_SENTENCE.replace("{column}", c.name),
            f"{c.name} is filled in (required)",
        )
        for c in columns
        if c.required and not c.empty_ok
    ]


def number(column: str) -> Rule:
    return Rule(
        "expect_column_values_to_match_regex",
        column,
        f"value '{{value}}' in column {column} is not a number",
        f"{column} is a number",
        {"regex": parsing.NUMBER_PATTERN},
    )


def yes_no(column: str) -> Rule:
    return Rule(
        "expect_column_values_to_match_regex",
        column,
        f"value '{{value}}' in column {column} is not yes or no",
        f"{column} is yes or no",
        {"regex": parsing.YES_NO_PATTERN},
    )


def party_type(column: str) -> Rule:
    return Rule(
        "expect_column_values_to_match_regex",
        column,
        f"value '{{value}}' in column {column} is not one of {', '.join(PARTNER_TYPES)}",
        f"{column} is private, vcfs or public",
        {"regex": PARTNER_TYPE_PATTERN},
    )


def plain_id(column: str, what: str) -> list[Rule]:
    """An id used in file names: plain characters, and short."""
    return [
        Rule(
            "expect_column_values_to_match_regex",
            column,
            f"{what} id '{{value}}' can only use letters, digits, '.', '-' and '_'",
            f"{column} uses only letters, digits, '.', '-' and '_'",
            {"regex": ID_PATTERN},
        ),
        Rule(
            "expect_column_value_lengths_to_be_between",
            column,
            f"{what} id '{{value}}' is longer than {ID_MAX_LENGTH} characters",
            f"{column} is at most {ID_MAX_LENGTH} characters",
            {"max_value": ID_MAX_LENGTH},
        ),
    ]


def _true() -> dict[str, Any]:
    """A flag rule's kwargs: the derived column must be True."""
    return {"value_set": [True]}


def date(column: str) -> Rule:
    checks = f"{column}__is_date"
    return Rule(
        "expect_column_values_to_be_in_set",
        column,
        f"value '{{value}}' in column {column} is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        f"{column} is a date (YYYY-MM-DD or DD/MM/YYYY)",
        _true(),
        checks=checks,
        derive=lambda rows: parsing.date_ok(rows[column]),
        note=_derived_note(checks, f"true when `{column}` reads as a date", column),
    )


def unit_range(column: str, unit: str) -> Rule:
    """A unit's range for a numeric column of returns, checked on `<column>__<unit>`: the number
    for rows whose measure is counted in `unit`, else empty."""
    checks = f"{column}__{unit}"
    note = _derived_note(
        checks,
        f"`{column}` read as a number, for rows whose measure is counted in {unit} (else empty)",
        column,
    )

    def derive(rows: Rows) -> pd.Series:
        return rows.number(column).where(rows.unit == unit)

    if unit == "percent":
        return Rule(
            "expect_column_values_to_be_between",
            column,
            f"value '{{value}}' in column {column} is outside 0 to 100: "
            "measure {measure_id} is a percentage",
            f"{column} is between 0 and 100 (measures in percent)",
            {"min_value": 0, "max_value": 100},
            checks=checks,
            derive=derive,
            note=note,
        )
    return Rule(
        "expect_column_values_to_be_between",
        column,
        f"value '{{value}}' in column {column} is negative or implausibly large: measure "
        f"{{measure_id}} counts {unit}, from 0 up to the ceiling in params.yaml "
        f"(validate.ceilings.{unit})",
        f"{column} is not negative (measures in {unit})",
        {"min_value": 0, "max_value": param(ceiling_parameter(unit))},
        checks=checks,
        derive=derive,
        note=note,
    )


def registered(column: str, what: str, register: str, ids: str) -> Rule:
    """`column` holds an id of the cycle's `register` (the suite parameter `ids`). Checked on the
    flag `<column>__registered` (pandas `isin` against the clean register): GX copies a
    value_set for every metric it computes, which costs seconds per rule with thousands of ids."""
    checks = f"{column}__registered"

    def derive(rows: Rows) -> pd.Series:
        return flag(rows[column], rows[column].isin(set(rows.params[ids])))

    return Rule(
        "expect_column_values_to_be_in_set",
        column,
        f"{what} '{{value}}' in column {column} is not in the {register} register (or its "
        "row there was quarantined: see the data-quality summary)",
        f"{column} is in the {register} register",
        _true(),
        checks=checks,
        derive=derive,
        note=_derived_note(
            checks,
            f"true when `{column}` is an id of the cycle's clean "
            f"{column.removesuffix('_id')}s register",
            column,
        ),
    )


def unique(key: tuple[str, ...], sentence: str) -> Rule:
    if len(key) == 1:
        return Rule(
            "expect_column_values_to_be_unique",
            key[0],
            sentence,
            f"Each {key[0]} appears only once",
            stage="keys",
        )
    return Rule(
        "expect_compound_columns_to_be_unique",
        key,
        sentence,
        f"No two rows share the same {', '.join(key)}",
        stage="keys",
    )


def _flag_rule(
    expectation: str,
    column: str,
    checks: str,
    sentence: str,
    passes: str,
    derive: Derive,
    **kwargs: Any,
) -> Rule:
    """A rule on a derived column with its own meaning (`period__consecutive`, ...)."""
    extra = {k: kwargs.pop(k) for k in ("detail", "derive_detail") if k in kwargs}
    return Rule(
        expectation,
        column,
        sentence,
        passes,
        kwargs,
        checks=checks,
        derive=derive,
        note=_flag_note(checks, column),
        **extra,
    )


def _period_start(rows: Rows) -> pd.Series:
    # Only a well-formed financial year can be in the future.
    well_formed = rows.periods["consecutive"].eq(True)
    return rows.periods["start"].astype("float64").where(well_formed, None)


def _of_partner(rows: Rows) -> pd.Series:
    # Whose contract: only asked of a registered contract.
    partner = rows["partner_id"]
    return flag(rows.owner.where(partner.notna()), rows.owner == partner)


def _committed(rows: Rows) -> pd.Series:
    committed = set(rows.params["contract_measure_pairs"])
    known_measure = rows["measure_id"].isin(rows.measure_ids)
    # Asked only of a registered contract and a framework measure, so both ids are text: the
    # pairs are joined column-wise, not row by row in Python (a million rows).
    asked = rows.owner.notna() & known_measure
    pairs = (
        rows.frame.loc[asked, "contract_id"].astype(str)
        + PAIR_SEPARATOR
        + rows.frame.loc[asked, "measure_id"].astype(str)
    ).astype(object)
    committed_pair = pd.Series(False, index=rows.frame.index)
    committed_pair[asked] = pairs.isin(committed).to_numpy(dtype=bool)
    return flag(rows.owner.where(known_measure), committed_pair)


def _end_after_start(rows: Rows) -> pd.Series:
    start, end = parsing.parse_date(rows["start"]), parsing.parse_date(rows["end"])
    both = start.notna() & end.notna()
    out = pd.Series(None, index=rows.frame.index, dtype=object)
    out[both] = (end[both] >= start[both]).to_numpy()
    return out


def _unknown_measures(rows: Rows) -> pd.Series:
    ids = rows.measure_ids
    return rows["outcome_measures"].map(
        lambda v: ", ".join(m for m in parsing.split_measures(v) if m not in ids) or None
    )


def _returns_rules(units: Iterable[str]) -> list[Rule]:
    units = sorted(units)
    ceiling_count = param(ceiling_parameter("count"))
    return [
        extra_cells(),
        *required(spec("returns").columns),
        Rule(
            "expect_column_values_to_be_in_set",
            "measure_id",
            "measure '{value}' in column measure_id is not a measure of the framework",
            "measure_id is a measure of the framework",
            {"value_set": param("measure_ids")},
        ),
        Rule(
            "expect_column_values_to_not_be_in_set",
            "measure_id",
            "measure {value} is a council-level measure, computed from the council's spend "
            "data; partners do not return it",
            "measure_id is not a council-level measure (those come from spend data)",
            {"value_set": param("council_measure_ids")},
        ),
        Rule(
            "expect_column_values_to_match_regex",
            "period",
            "period '{value}' is not a financial year written like 2024/25 (2024-25, 2024/2025 "
            "and FY2024/25 are read too; FY25 or 2024 alone could mean either of two financial "
            "years, so write both years)",
            "period is a financial year naming both years (2024/25, 2024-25, 2024/2025, FY2024/25)",
            {"regex": parsing.PERIOD_PATTERN},
        ),
        _flag_rule(
            "expect_column_values_to_be_in_set",
            "period",
            "period__consecutive",
            "period '{value}' is not a financial year: its two years must be consecutive "
            "(for example 2024/25)",
            "The period's two years are consecutive (2024/25)",
            lambda rows: rows.periods["consecutive"],
            value_set=[True],
        ),
        _flag_rule(
            "expect_column_values_to_be_between",
            "period",
            "period__start",
            "period '{value}' is in the future: returns can be made up to the current "
            "financial year",
            "The period is not in the future",
            _period_start,
            max_value=param("current_year_start"),
        ),
        number("value"),
        number("target"),
        number("denominator"),
        *[unit_range("value", u) for u in units],
        *[unit_range("target", u) for u in units],
        _flag_rule(
            "expect_column_values_to_be_between",
            "denominator",
            "denominator__number",
            "value '{value}' in column denominator is negative or implausibly large; it counts "
            "from 0 up to the ceiling in params.yaml (validate.ceilings.count)",
            "The denominator is not negative",
            lambda rows: rows.number("denominator"),
            min_value=0,
            max_value=ceiling_count,
        ),
        yes_no("verified"),
        date("submitted_on"),
        registered("partner_id", "partner", "partners", "partner_ids"),
        registered("contract_id", "contract", "contracts", "contract_ids"),
        _flag_rule(
            "expect_column_values_to_be_in_set",
            "contract_id",
            "contract_id__of_partner",
            "contract '{value}' belongs to partner {detail}, not to partner '{partner_id}'",
            "The contract belongs to the partner who sent the return",
            _of_partner,
            value_set=[True],
            detail="contract_id__of_partner__owner",
            derive_detail=lambda rows: rows.owner,
        ),
        _flag_rule(
            "expect_column_values_to_be_in_set",
            "measure_id",
            "measure_id__committed",
            "contract '{contract_id}' did not commit to measure {measure_id}: returns are only "
            "for the measures in the contract's outcome_measures",
            "The contract committed to the measure (it is in the contract's outcome_measures)",
            _committed,
            value_set=[True],
        ),
        unique(
            spec("returns").key,
            "conflicting returns for contract {contract_id}, measure {measure_id}, period "
            "{period} with the same submission date: send one corrected row",
        ),
    ]


def _partners_rules() -> list[Rule]:
    return [
        extra_cells(),
        *required(spec("partners").columns),
        *plain_id("partner_id", "partner"),
        party_type("type"),
        yes_no("sme"),
        unique(
            spec("partners").key,
            "partner '{partner_id}' appears more than once in the register with different details",
        ),
    ]


def _contracts_rules() -> list[Rule]:
    return [
        extra_cells(),
        *required(spec("contracts").columns),
        *plain_id("contract_id", "contract"),
        date("start"),
        date("end"),
        _flag_rule(
            "expect_column_values_to_be_in_set",
            "end",
            "end__after_start",
            "end date '{value}' is before the start date '{start}'",
            "The end date is on or after the start date",
            _end_after_start,
            value_set=[True],
        ),
        number("value_gbp"),
        _flag_rule(
            "expect_column_values_to_be_between",
            "value_gbp",
            "value_gbp__number",
            "value '{value}' in column value_gbp is negative or implausibly large; a contract "
            "value runs from 0 up to the ceiling in params.yaml (validate.ceilings.GBP)",
            "The contract value is not negative",
            lambda rows: rows.number("value_gbp"),
            min_value=0,
            max_value=param(ceiling_parameter("GBP")),
        ),
        yes_no("linked_to_subject_matter"),
        registered("partner_id", "partner", "partners", "partner_ids"),
        _flag_rule(
            "expect_column_values_to_be_null",
            "outcome_measures",
            "outcome_measures__unknown",
            "column outcome_measures lists {detail}, which is not a measure of the framework",
            "outcome_measures lists only measures of the framework",
            _unknown_measures,
        ),
        unique(
            spec("contracts").key,
            "contract '{contract_id}' appears more than once in the register with different "
            "details",
        ),
    ]


def _spend_rules() -> list[Rule]:
    # Spend files as councils publish them (pipeline.validate.spend_layouts): an empty supplier
    # name is a redacted payment and counts; not every council publishes transaction numbers.
    return [
        extra_cells(),
        *required(spec("spend").columns),
        Rule(
            "expect_column_values_to_be_in_set",
            "date",
            "value '{value}' in column date is not a date (DD/MM/YYYY, DD/MM/YY, YYYY-MM-DD, "
            "an Excel date number or a month such as Sep 2014)",
            "date is a date (DD/MM/YYYY, DD/MM/YY, YYYY-MM-DD, an Excel date number, or a month "
            "such as Sep 2014)",
            _true(),
            checks="date__is_date",
            derive=lambda rows: cell_ok(rows["date"], rows.spend_dates["date"]),
            note=_derived_note("date__is_date", "true when `date` reads as a date", "date"),
        ),
        _flag_rule(
            "expect_column_values_to_be_in_set",
            "amount",
            "amount__is_amount",
            "value '{value}' in column amount is not an amount of money (such as 1,100.00, "
            "£1100, -25.50 or (25.50))",
            "amount is an amount of money (1,100.00, £1100, -25.50 or (25.50))",
            lambda rows: cell_ok(rows["amount"], rows.amounts),
            value_set=[True],
        ),
        Rule(
            "expect_column_values_to_be_between",
            "amount",
            "amount '{value}' is implausibly large: payments run up to the ceiling in "
            "params.yaml (validate.ceilings.GBP), refunds down to minus it",
            "amount is between minus and plus the GBP ceiling (refunds are negative)",
            {
                "min_value": param("ceiling_GBP_negative"),
                "max_value": param(ceiling_parameter("GBP")),
            },
            checks="amount__number",
            derive=lambda rows: rows.amounts,
            note=_derived_note("amount__number", "`amount` read as a number", "amount"),
        ),
    ]


def _suppliers_rules() -> list[Rule]:
    return [
        extra_cells(),
        *required(spec("suppliers").columns),
        party_type("type"),
        yes_no("sme"),
        unique(
            spec("suppliers").key,
            "supplier '{supplier_id}' appears more than once in the register with different "
            "details",
        ),
    ]


def rules(kind: Kind, units: Iterable[str] = ()) -> list[Rule]:
    """The rules of `kind`, in the order they are applied; `units` are the units of the
    framework's partner-level measures (one range rule per unit for returns' value and target)."""
    if kind == "returns":
        return _returns_rules(units)
    return {
        "partners": _partners_rules,
        "contracts": _contracts_rules,
        "spend": _spend_rules,
        "suppliers": _suppliers_rules,
    }[kind]()


_RANGE = re.compile(r"^(value|target)__(\w+)$")


def rule_for(expectation: str, checked: str | None) -> Rule | None:
    """The contract's rule with this expectation on this (possibly derived) column, whatever
    the kind; None for a check the contract does not define."""
    if not checked:
        return None
    found = _RULES.get((expectation, checked))
    if found is None and expectation == "expect_column_values_to_be_between":
        match = _RANGE.match(checked)
        if match:  # a unit's range: one rule per unit the framework uses
            return unit_range(match.group(1), match.group(2))
    return found


def _rule_index() -> dict[tuple[str, str], Rule]:
    index: dict[tuple[str, str], Rule] = {}
    for kind in KINDS:
        for rule in rules(kind):
            checked = rule.checked
            index.setdefault(
                (rule.expectation, checked if isinstance(checked, str) else ", ".join(checked)),
                rule,
            )
    return index


_RULES = _rule_index()


# --------------------------------------------------------------------------------------------
# the documentation's tables

#: Where a generated table goes in a Markdown page: between `<!-- contract: returns columns -->`
#: (or `rules`) and `<!-- /contract -->`.
_DOC_TABLE = re.compile(
    r"(<!-- contract: (\w+) (columns|rules) -->\n).*?(<!-- /contract -->)", re.S
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def columns_table(kind: Kind) -> str:
    """The Markdown table of a kind's columns (docs/data-contract.md)."""
    lines = [
        "| column | type | required | meaning | other headings accepted |",
        "|---|---|---|---|---|",
    ]
    for c in spec(kind).columns:
        required = ("yes (may be empty)" if c.empty_ok else "yes") if c.required else "no"
        aliases = "".join(f" `{a}`," for a in c.aliases).rstrip(",")
        lines.append(
            f"| `{c.name}` | {TYPE_WORDS[c.type]} | {required} | {_cell(c.description)} |"
            f"{aliases} |"
        )
    return "\n".join(lines) + "\n"


def rules_table(kind: Kind, units: Iterable[str]) -> str:
    """The Markdown table of a kind's GX rules in the order they are applied: what a passing row
    looks like, the check, and the sentence a partner reads (docs/validation.md)."""
    lines = ["| a passing row | check | partner is told |", "|---|---|---|"]
    for r in rules(kind, units):
        checked = r.checked if isinstance(r.checked, str) else ", ".join(r.checked)
        lines.append(
            f"| {_cell(r.passes)} | `{r.expectation}` on `{checked}` | {_cell(r.sentence)} |"
        )
    return "\n".join(lines) + "\n"


def render_docs(text: str, units: Iterable[str]) -> str:
    """`text` (a Markdown page) with every generated table rewritten from the contract; `units`
    are the framework's partner-level units."""
    units = tuple(units)

    def table(match: re.Match[str]) -> str:
        kind = next((k for k in KINDS if k == match.group(2)), None)
        if kind is None:
            raise ValueError(f"no such kind of input: {match.group(2)!r}")
        body = columns_table(kind) if match.group(3) == "columns" else rules_table(kind, units)
        return match.group(1) + body + match.group(4)

    return _DOC_TABLE.sub(table, text)
