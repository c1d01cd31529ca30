"""The data contract: which columns each kind of input has, and how their names are matched.

`docs/data-contract.md` is the human version of this module. Column names are matched case-,
space-, hyphen- and underscore-insensitively (`Partner ID`, `partner_id`, `PARTNER-ID` are one
column); aliases cover the headings of the Local Government Transparency Code spend files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["returns", "partners", "contracts", "spend", "suppliers"]
KINDS: tuple[Kind, ...] = ("returns", "partners", "contracts", "spend", "suppliers")

#: Columns the readers add to every row so a figure can be traced to the file and row it came from.
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"
SOURCE_COLUMNS = (SOURCE_FILE, SOURCE_ROW)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    kind: Kind
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def normalise(name: object) -> str:
    """The matching key of a column heading: lower case, no spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-./]+", "", str(name).strip().lower())


SPECS: dict[Kind, Spec] = {
    "returns": Spec(
        "returns",
        (
            Column("partner_id", True, "Partner that made the return, as in partners.csv"),
            Column("contract_id", True, "Contract the return is for, as in contracts.csv"),
            Column("measure_id", True, "Framework measure, CS<n>-<nn>", ("measure",)),
            Column(
                "period", True, "UK financial year, YYYY/YY (2024/25)", ("year", "financial_year")
            ),
            Column(
                "value",
                True,
                "What was delivered in the period, in the measure's unit",
                ("actual",),
            ),
            Column("target", False, "What the partner committed to for the period"),
            Column(
                "denominator",
                False,
                "For percentages: the base the percentage is of (staff, users)",
            ),
            Column("evidence", False, "How the figure was measured and verified"),
            Column("verified", False, "yes/no: has the figure been verified"),
            Column("comment", False, "Free text from the partner", ("comments", "notes")),
            Column(
                "submitted_on",
                False,
                "Date of submission (ISO 8601 or DD/MM/YYYY)",
                ("submitted", "submission_date"),
            ),
        ),
        key=("contract_id", "measure_id", "period"),
    ),
    "partners": Spec(
        "partners",
        (
            Column("partner_id", True, "Stable identifier, used in file and folder names"),
            Column("name", True, "Organisation name", ("partner_name",)),
            Column("type", True, "private, vcfs or public", ("partner_type",)),
            Column("postcode", False, "Postcode of the main site"),
            Column("sme", False, "yes/no: small or medium-sized enterprise"),
        ),
        key=("partner_id",),
    ),
    "contracts": Spec(
        "contracts",
        (
            Column("contract_id", True, "Contract reference"),
            Column("partner_id", True, "Partner holding the contract"),
            Column("title", True, "Contract title"),
            Column("start", True, "Start date", ("start_date",)),
            Column("end", True, "End date", ("end_date",)),
            Column("value_gbp", True, "Contract value in GBP", ("value", "contract_value")),
            Column(
                "outcome_measures",
                True,
                "Committed measure ids, ';'-separated (may be empty)",
                ("measures",),
            ),
            Column(
                "linked_to_subject_matter",
                True,
                "yes/no: if no, outcomes are contract terms",
                ("linked",),
            ),
        ),
        key=("contract_id",),
    ),
    # Spend files are read by `pipeline.validate.spend_layouts`, whose heading table (as data) covers
    # the layouts councils publish; these are the main columns, for the documentation.
    "spend": Spec(
        "spend",
        (
            Column("body", False, "Publishing body (a URI or a name)", ("organisation_uri",)),
            Column("body_name", False, "Name of the publishing body", ("organisation_label",)),
            Column("date", True, "Payment date (or month)", ("payment_date", "paid_date")),
            Column(
                "transaction_number",
                False,
                "Transaction number",
                ("transaction_no", "trans_no", "transaction_id", "transaction_ref"),
            ),
            Column("amount", True, "Amount in GBP", ("net_amount", "amount_gbp")),
            Column(
                "supplier_name",
                True,
                "Supplier name (empty or 'Redacted' for a withheld name)",
                ("supplier", "beneficiary_name"),
            ),
            Column("supplier_id", False, "Supplier id, as in suppliers.csv"),
            Column("expense_area", False, "Expense area", ("service_area", "department")),
            Column("expense_type", False, "Expense type", ("purpose", "category")),
        ),
        key=(),
    ),
    "suppliers": Spec(
        "suppliers",
        (
            Column("supplier_id", True, "Supplier id, as used in the spend files"),
            Column("name", True, "Supplier name", ("supplier_name",)),
            Column("postcode", False, "Postcode of the supplier's premises"),
            Column("type", False, "private, vcfs or public", ("supplier_type",)),
            Column("sme", False, "yes/no: small or medium-sized enterprise"),
            Column("company_number", False, "Companies House number, matched to spend"),
            Column("charity_number", False, "Registered charity number, matched to spend"),
        ),
        key=("supplier_id",),
    ),
}


def spec(kind: Kind) -> Spec:
    return SPECS[kind]


def column_map(kind: Kind, headings: list[str]) -> dict[str, str]:
    """Map each heading found in a file to its canonical name (headings not in the contract kept,
    normalised, so nothing the partner sent is lost)."""
    lookup: dict[str, str] = {}
    for col in SPECS[kind].columns:
        lookup[normalise(col.name)] = col.name
        for alias in col.aliases:
            lookup.setdefault(normalise(alias), col.name)
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
