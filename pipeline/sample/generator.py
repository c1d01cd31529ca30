"""Synthetic sample cycles: returns, registers and council spend for a borough like Thurrock.

`svf sample` writes a realistic, made-up review cycle so the pipeline can run (and be tested and
benchmarked) with no data from outside. Everything comes from one seed: the same seed gives
byte-identical files (no clock, no unseeded randomness, fixed XLSX timestamps).

What a cycle folder holds (see `docs/data-contract.md`):

- `partners.csv`, `contracts.csv`, `suppliers.csv`, `spend.csv` (Transparency Code headings);
- `returns/<partner_id>.csv` (one file per partner; one or two partners send `.xlsx`, one saves
  its CSV as Windows-1252), plus `returns/<partner_id>-resubmission.csv` for a partner who sent
  revised figures in a second file;
- `.sample-manifest.json` (hidden, so validation never reads it as a return): every fault that
  `--messy` injected (file, row as seen in the file with the header as row 1, column, kind), the
  good-row count per file, and which rows a later submission supersedes, so the validator's
  reconciliation can be checked against what was really put in.

With `--messy` every return row is either good or carries exactly one injected fault. Faults
that spoil a cell (bad measure id, text in a number, percentage over 100, wrong period format,
unknown partner or contract) replace a good row, as a partner's typo would; structural faults
(exact duplicate, blank line, repeated header) are extra rows. Rows involved in a revision are
never spoiled, so "which submission is the latest" stays the same with or without faults.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import random
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.atomic import atomic_path
from pipeline.core.contract import Column, spec
from pipeline.core.errors import UserError
from pipeline.core.framework import DEFAULT_FRAMEWORK, Framework, Measure, load_framework
from pipeline.core.periods import ending, start_year

MANIFEST_NAME = ".sample-manifest.json"

#: Postcode districts inside Thurrock (Grays, Tilbury, Purfleet, South Ockendon, Stanford-le-Hope,
#: Corringham, West Thurrock) and outside it (Chelmsford, Brentwood, Basildon, Southend, Romford,
#: Dartford, east and central London), so local-spend shares are neither 0 nor 100 %.
LOCAL_DISTRICTS = ("RM15", "RM16", "RM17", "RM18", "RM19", "RM20", "SS17")
OTHER_DISTRICTS = (
    "CM1",
    "CM2",
    "CM13",
    "CM14",
    "SS1",
    "SS14",
    "SS15",
    "SS16",
    "RM1",
    "DA1",
    "E1",
    "E14",
    "E15",
    "EC1A",
    "EC2M",
)
#: Places for made-up organisation names, with the postcode districts they sit in, so a name and
#: its postcode agree: Thurrock's towns for local organisations, neighbours and London for others.
LOCAL_PLACES: dict[str, tuple[str, ...]] = {
    "Grays": ("RM16", "RM17", "RM20"),
    "Tilbury": ("RM18",),
    "Purfleet": ("RM19",),
    "Stanford": ("SS17",),
    "Corringham": ("SS17",),
    "Aveley": ("RM15",),
    "Ockendon": ("RM15",),
    "Chafford": ("RM16",),
    "Orsett": ("RM16",),
    "Chadwell": ("RM16",),
    "Horndon": ("SS17",),
    "Thameside": LOCAL_DISTRICTS,
    "Riverside": LOCAL_DISTRICTS,
    "Mardyke": ("RM15", "RM16", "RM20"),
}
OTHER_PLACES: dict[str, tuple[str, ...]] = {
    "Basildon": ("SS14", "SS15", "SS16"),
    "Brentwood": ("CM13", "CM14"),
    "Chelmsford": ("CM1", "CM2"),
    "Dartford": ("DA1",),
    "Romford": ("RM1",),
    "Southend": ("SS1",),
    "Canary Wharf": ("E14",),
    "Anglia": OTHER_DISTRICTS,
    "Capital": ("E1", "E15", "EC1A", "EC2M"),
}
#: Trades of private firms, with the contracts such a firm wins.
TRADES: dict[str, tuple[str, ...]] = {
    "Facilities Services": ("Facilities management, civic offices", "Office cleaning, {area}"),
    "Building Contractors": ("Housing repairs and voids, {area}", "School extension, {area}"),
    "Care Services": ("Domiciliary care framework, lot {n}", "Reablement service, {area}"),
    "Catering": ("School catering, {area}", "Meals at home service"),
    "Transport": ("Home-to-school transport, route {n}", "Community transport, {area}"),
    "Cleaning Services": ("Office cleaning, {area}", "Public toilets cleaning"),
    "IT Solutions": ("ICT managed service, lot {n}", "Website and digital services"),
    "Landscapes": ("Grounds maintenance, {area}", "Parks and open spaces, {area}"),
    "Waste Management": ("Waste collection vehicles hire", "Bulky waste collection"),
    "Electrical": ("Street lighting maintenance", "Electrical testing, council housing"),
    "Security": ("Security and key holding, civic offices", "CCTV monitoring, {area}"),
    "Plumbing & Heating": ("Gas servicing, council housing lot {n}", "Boiler replacements"),
    "Highways": ("Highways resurfacing, {area}", "Winter gritting"),
    "Recruitment": ("Agency staff framework, lot {n}",),
}
COMPANY_SUFFIXES = ("Ltd", "Limited", "Ltd", "& Co Ltd", "Group Ltd", "plc")
VCFS_PATTERNS = (
    "{place} Community Association",
    "{place} Foodbank",
    "{place} Youth Project",
    "{place} Carers Network",
    "Friends of {place} Park",
    "{place} Men's Shed",
    "{place} Advice Centre",
    "{place} Community Transport",
    "{place} Arts Trust",
    "{place} Befriending Circle",
    "{place} Credit Union",
    "{place} Sports Club CIC",
)
PUBLIC_PATTERNS = (
    "{place} Primary Care Network",
    "{place} Academy Trust",
    "{place} Housing Partnership",
    "{place} Adult Community College",
    "{place} Health and Wellbeing Hub",
    "{place} Community Safety Partnership",
)
#: Contracts won by voluntary organisations and public bodies (private firms: `TRADES`).
CONTRACT_TITLES = {
    "vcfs": (
        "Community hubs grant, {area}",
        "Youth outreach service, {area}",
        "Carers support service",
        "Social prescribing link workers, {area}",
        "Befriending for older people, {area}",
        "Food poverty grant",
    ),
    "public": (
        "Public health services, {area}",
        "Adult learning programme",
        "Supported housing pathway, lot {n}",
        "Community safety partnership grant",
    ),
}
AREAS = (
    "Grays",
    "Tilbury",
    "Purfleet",
    "Stanford-le-Hope",
    "Corringham",
    "South Ockendon",
    "Aveley",
    "Chadwell St Mary",
    "east Thurrock",
    "west Thurrock",
)
EXPENSE_AREAS = (
    "Adults, Housing and Health",
    "Children's Services",
    "Public Realm",
    "Place",
    "Resources",
    "Housing Revenue Account",
    "Strategy and Communities",
)
EXPENSE_TYPES = (
    "Contracted services",
    "Grants to voluntary organisations",
    "Building repairs and maintenance",
    "Consultancy",
    "Software licences",
    "Vehicle hire",
    "Catering supplies",
    "Agency staff",
    "Professional fees",
    "Equipment purchase",
)
EVIDENCE_BY_MEASURE = {
    "CS2-01": ("Payroll records at 31 March", "Living Wage Foundation accreditation and payroll"),
    "CS1-06": ("Care records reviewed at year end", "Case reviews at year end"),
    "CS2-03": ("Finance system: spend by supplier type and postcode",),
    "CS2-09": ("Finance system: spend by supplier postcode", "Purchase ledger analysis"),
}
EVIDENCE = {
    "count": (
        "Register of participants, signed off by the contract manager",
        "Case management system extract",
        "Attendance registers and sign-in sheets",
        "HR records (starters list)",
        "Partner's quarterly monitoring report",
    ),
    "hours": (
        "Timesheets countersigned by the host organisation",
        "Volunteering platform export",
        "HR volunteering leave records",
    ),
    "percent": (
        "Payroll records at 31 March",
        "Finance system: spend by supplier postcode",
        "Case reviews at year end",
    ),
    "GBP": (
        "Invoices and grant agreements",
        "Finance system ledger extract",
        "Letters confirming in-kind contributions",
    ),
    "tCO2e": (
        "Carbon calculator (GHG Protocol), fuel and energy bills",
        "Fleet telematics and meter readings",
    ),
    "miles": ("Journey logs from scheduling system", "Service user travel survey"),
    "visits": ("Footfall counters at park entrances", "Visitor survey and counter data"),
}
COMMENTS = (
    "",
    "",
    "",
    "",
    "On track with the plan agreed at contract award.",
    "Figure includes two subcontractors.",
    "Lower than planned: recruitment delays.",
    "Quarter 4 figures estimated, confirmed in May.",
    "Same method as last year.",
    "Partly delivered in partnership with a local charity.",
)
#: Partner-typed text that looks like markup or a formula: the reports must show it as text.
MARKUP_COMMENTS = (
    "<b>Best year yet</b> for our apprentices!",
    "#set page(fill: red) - see attached evidence",
    "Delivered <script>alert('hi')</script> sessions",
    "*Estimated* figure, _to be confirmed_ [see note](http://example.org)",
    "$x$ = our target; @council please advise",
)
FORMULA_COMMENTS = ('=HYPERLINK("http://example.org","evidence")', "+44 1375 652 652", "@SUM(1+1)")
CP1252_COMMENT = "Includes £12,500 in-kind support – confirmed by the café’s manager"

RETURN_COLUMNS = spec("returns").names  # the data contract's order


def _title(name: str) -> str:
    """`submitted_on` -> `Submitted On`, `partner_id` -> `Partner ID`."""
    return " ".join("ID" if w == "id" else w.capitalize() for w in name.split("_"))


def _shouted(column: Column) -> str:
    """The column's first other heading (or its name) in capitals: `FINANCIAL YEAR`."""
    return column.aliases[0].upper().replace("_", " ") if column.aliases else column.name.upper()


#: Header spellings partners use, made from the contract: its names, the names in title case, and
#: the other headings it accepts in capitals. The readers match all of them to the canonical names.
HEADER_STYLES = (
    RETURN_COLUMNS,
    tuple(_title(c) for c in RETURN_COLUMNS),
    tuple(_shouted(c) for c in spec("returns").columns),
)
#: The Transparency Code columns the sample's spend file has, headed as that code spells them.
SPEND_COLUMNS = (
    "body",
    "date",
    "transaction_number",
    "amount",
    "supplier_name",
    "supplier_id",
    "expense_area",
    "expense_type",
)
SPEND_HEADER = tuple(_title(c) for c in SPEND_COLUMNS)
#: The supplier register's columns the sample fills.
SUPPLIER_COLUMNS = ("supplier_id", "name", "postcode", "type", "sme")
#: Returns columns written as numbers and dates in a partner's workbook.
_XLSX_NUMBERS = {c.name for c in spec("returns").columns if c.type == "number"}
_XLSX_DATES = {c.name for c in spec("returns").columns if c.type == "date"}

#: Fault kinds `--messy` injects into returns, with the column each one spoils.
FAULT_COLUMNS: dict[str, str | None] = {
    "bad_measure_id": "measure_id",
    "text_in_number": "value",
    "percent_over_100": "value",
    "bad_period": "period",
    "unknown_partner": "partner_id",
    "unknown_contract": "contract_id",
    "duplicate_row": None,
    "blank_row": None,
    "repeated_header": None,
}
CELL_FAULTS = (
    "bad_measure_id",
    "text_in_number",
    "percent_over_100",
    "bad_period",
    "unknown_partner",
    "unknown_contract",
)
ROW_FAULTS = ("duplicate_row", "blank_row", "repeated_header")
FAULT_RATE = 0.08  # share of return rows that get a fault in a messy cycle


@dataclass
class SampleManifest:
    """What a sample cycle holds, including every injected fault, written as JSON beside it."""

    seed: int
    partners: int
    years: int
    periods: list[str]
    messy: bool
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    missing_returns: list[dict[str, str]] = field(default_factory=list)
    late_returns: list[dict[str, str]] = field(default_factory=list)
    contracts_without_outcomes: list[str] = field(default_factory=list)
    unregistered_suppliers: list[str] = field(default_factory=list)
    markup_comments: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Rows, good rows, faulty rows and superseded rows over all files."""
        keys = ("rows", "good", "faults", "superseded")
        return {k: sum(int(f.get(k, 0)) for f in self.files.values()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": "svf sample",
            "seed": self.seed,
            "partners": self.partners,
            "years": self.years,
            "periods": self.periods,
            "messy": self.messy,
            "files": self.files,
            "totals": self.totals(),
            "fault_counts": dict(sorted(Counter(f["kind"] for f in self.faults).items())),
            "faults": self.faults,
            "superseded": self.superseded,
            "missing_returns": self.missing_returns,
            "late_returns": self.late_returns,
            "contracts_without_outcomes": self.contracts_without_outcomes,
            "unregistered_suppliers": self.unregistered_suppliers,
            "markup_comments": self.markup_comments,
        }

    def summary(self) -> str:
        t = self.totals()
        n_returns = sum(1 for f in self.files.values() if f["kind"] == "returns")
        text = (
            f"{self.partners} partners, {self.years} years {self.periods[0]} to "
            f"{self.periods[-1]}, {t['rows']} rows in {len(self.files)} files "
            f"({n_returns} returns files)"
        )
        if self.messy:
            text += f", {len(self.faults)} faults injected"
        return text


# --------------------------------------------------------------------------------------------
# small helpers


def _postcode(rng: random.Random, district: str) -> str:
    # Inward codes never use C, I, K, M, O or V in their letters.
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _fmt_number(value: float, unit: str) -> str:
    """A figure as a partner would type it: whole people, visits and hours; pence; one decimal."""
    if unit in {"count", "visits", "hours"}:
        return str(int(round(value)))
    if unit == "GBP":
        return f"{value:.2f}"
    return f"{value:.1f}"


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    """CSV as Excel writes it (CRLF line ends, quotes only where needed)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    return buf.getvalue()


def _write(target: Path, data: bytes) -> None:
    # Rename into place (never a half-written file); no fsync per file so 1,000 partners stay fast.
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


# --------------------------------------------------------------------------------------------
# registers


@dataclass
class _Partner:
    partner_id: str
    name: str
    type: str
    postcode: str
    sme: str
    supplier_id: str
    trade: str = ""  # private firms only: what they do, which decides their contracts


@dataclass
class _Contract:
    contract_id: str
    partner_id: str
    title: str
    start: dt.date
    end: dt.date
    value_gbp: float
    measures: list[str]
    linked: str


def _pick_place(rng: random.Random, local: bool) -> tuple[str, str]:
    """A place name and a postcode district inside it (a Thurrock one when `local`)."""
    places = LOCAL_PLACES if local else OTHER_PLACES
    place = rng.choice(tuple(places))
    return place, rng.choice(places[place])


def _make_partners(rng: random.Random, n: int) -> list[_Partner]:
    used: set[str] = set()
    partners: list[_Partner] = []
    width = max(3, len(str(n)))
    # A fixed mix, shuffled: about 3 in 10 voluntary and community organisations, 1 in 8 public
    # bodies (at least one of each from 5 partners up), the rest private firms.
    n_vcfs, n_public = round(0.3 * n), max(round(0.12 * n), 1 if n >= 5 else 0)
    kinds = ["vcfs"] * n_vcfs + ["public"] * n_public + ["private"] * (n - n_vcfs - n_public)
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds, start=1):
        # Voluntary groups and public bodies are mostly based in the borough; firms less so.
        local = rng.random() < (0.55 if kind == "private" else 0.85)
        place, district = _pick_place(rng, local)
        trade = ""
        if kind == "private":
            trade = rng.choice(tuple(TRADES))
            name = f"{place} {trade} {rng.choice(COMPANY_SUFFIXES)}"
        elif kind == "vcfs":
            name = rng.choice(VCFS_PATTERNS).format(place=place)
        else:
            name = rng.choice(PUBLIC_PATTERNS).format(place=place)
        base, k = name, 2
        while name in used:  # registers need unique names; a real register would too
            name = f"{base} ({k})"
            k += 1
        used.add(name)
        sme = {"private": "yes" if rng.random() < 0.7 else "no", "vcfs": "yes", "public": "no"}
        partners.append(
            _Partner(
                f"P{i:0{width}d}",
                name,
                kind,
                _postcode(rng, district),
                sme[kind],
                f"SUP{i:05d}",
                trade,
            )
        )
    return partners


def _make_contracts(
    rng: random.Random, partners: list[_Partner], measures: list[Measure], periods: list[str]
) -> list[_Contract]:
    first = start_year(periods[0])
    last = start_year(periods[-1])
    ids = [m.id for m in measures]
    contracts: list[_Contract] = []
    for p in partners:
        titles = TRADES[p.trade] if p.trade else CONTRACT_TITLES[p.type]
        count = rng.choice((1, 1, 2, 2, 3))
        # Different work for each of a partner's contracts, where its line of work allows.
        picked = rng.sample(titles, min(count, len(titles)))
        for k in range(count):
            n = len(contracts) + 1
            # Most contracts run through the whole review window; some start part-way through.
            first_year = (
                rng.randint(first - 2, first) if rng.random() < 0.75 else rng.randint(first, last)
            )
            start = dt.date(first_year, rng.choice((4, 4, 7, 10)), 1)
            end = dt.date(max(first_year + rng.randint(3, 6), last + 1), 3, 31)
            title = picked[k % len(picked)].format(area=rng.choice(AREAS), n=k + 1)
            value = round(rng.lognormvariate(12.5, 1.0), -2)
            chosen = sorted(rng.sample(ids, rng.randint(2, 5)))
            linked = "yes" if rng.random() < 0.75 else "no"
            contracts.append(
                _Contract(
                    f"C{n:04d}", p.partner_id, title, start, end, max(value, 5000.0), chosen, linked
                )
            )
    # "Every tendering exercise will include at least one of the outcomes": a couple of tenders
    # that did not, so the compute stage has something to report.
    n_empty = min(len(contracts) - 1, 2 + len(contracts) // 200) if len(contracts) > 1 else 0
    for c in rng.sample(contracts, n_empty):
        c.measures = []
    return contracts


# --------------------------------------------------------------------------------------------
# returns


#: Per contract and measure: first-year value, denominator, yearly growth and evidence (a partner
#: measures the same way every year).
Trends = dict[str, tuple[float, float, float, str]]


@dataclass
class _Row:
    cells: dict[str, str]  # by contract column name
    submitted: dt.date
    revision_of: _Row | None = None
    revised: bool = False  # a later row supersedes this one
    file: str = ""
    row: int = 0


def _base_value(rng: random.Random, m: Measure, contract_value: float) -> tuple[float, float]:
    """A plausible first-year value and the denominator (for percentages)."""
    scale = max(0.3, min(5.0, contract_value / 250_000))
    if m.unit == "percent":
        if "expenditure" in m.text:  # a share of spend: the base is the partner's spend in GBP
            return rng.uniform(10, 60), float(round(rng.uniform(50_000, 2_000_000), -3))
        return rng.uniform(35, 95), float(rng.randint(12, 400))
    base = {
        "count": rng.uniform(3, 40),
        "hours": rng.uniform(80, 1500),
        "GBP": rng.uniform(2_000, 60_000),
        "tCO2e": rng.uniform(2, 120),
        "miles": rng.uniform(2, 12),
        "visits": rng.uniform(500, 20_000),
    }[m.unit]
    return (base if m.unit == "miles" else base * scale), 0.0


def _make_returns(
    rng: random.Random,
    partners: list[_Partner],
    contracts: list[_Contract],
    fw: Framework,
    periods: list[str],
    manifest: SampleManifest,
) -> dict[str, list[_Row]]:
    """Good return rows per partner, in the order a partner would list them."""
    by_partner: dict[str, list[_Contract]] = {}
    for c in contracts:
        by_partner.setdefault(c.partner_id, []).append(c)

    # Partners who stopped reporting: at least one obvious one, who owed a return the year
    # before as well as this year and sends only last year's.
    def owes(pid: str, period: str) -> bool:
        year = start_year(period)
        return any(
            c.measures and c.start <= dt.date(year + 1, 3, 31) and c.end >= dt.date(year, 4, 1)
            for c in by_partner.get(pid, [])
        )

    skipped: set[tuple[str, str]] = set()
    if len(periods) > 1:
        obvious = next(
            (
                p.partner_id
                for p in partners[1:]
                if owes(p.partner_id, periods[-2]) and not exemplary(p.partner_id)
            ),
            None,
        )
        for p in partners:
            if exemplary(p.partner_id):
                continue
            if p.partner_id == obvious or rng.random() < 0.06:
                skipped.add((p.partner_id, periods[-1]))
            elif rng.random() < 0.05:
                skipped.add((p.partner_id, rng.choice(periods[1:-1] or periods[-1:])))
    rows: dict[str, list[_Row]] = {}
    trends: Trends = {}
    for p in partners:
        out: list[_Row] = []
        late_periods = {per for per in periods if rng.random() < 0.1}
        for per in periods:
            year = start_year(per)
            if not owes(p.partner_id, per):
                continue  # nothing committed that year: no return is due
            if (p.partner_id, per) in skipped:
                manifest.missing_returns.append({"partner_id": p.partner_id, "period": per})
                continue
            # Returns are due by 31 May after the year ends: on time in April or May, late ones in
            # June to August (revisions follow 2 to 6 weeks later), so nothing is dated after the
            # autumn following the last year.
            late = per in late_periods
            day = (
                dt.date(year + 1, rng.choice((6, 7, 8)), rng.randint(1, 28))
                if late
                else dt.date(year + 1, rng.choice((4, 5)), rng.randint(1, 30))
            )
            if late:
                manifest.late_returns.append(
                    {"partner_id": p.partner_id, "period": per, "submitted_on": day.isoformat()}
                )
            for c in by_partner.get(p.partner_id, []):
                if not (c.start <= dt.date(year + 1, 3, 31) and c.end >= dt.date(year, 4, 1)):
                    continue
                for mid in c.measures:
                    if not exemplary(p.partner_id) and rng.random() < 0.04:  # one measure missed
                        continue
                    out.append(_return_row(rng, p, c, fw.measure(mid), per, periods, day, trends))
        rows[p.partner_id] = out
    return rows


def exemplary(partner_id: str) -> bool:
    """Partners that beat every target, report every year and make no mistakes (P004, P010, ...):
    every sample then has partners the council can endorse, as the framework promises."""
    number = int(partner_id[1:]) if partner_id[1:].isdigit() else 0
    return number % 6 == 4


def _return_row(
    rng: random.Random,
    p: _Partner,
    c: _Contract,
    m: Measure,
    period: str,
    periods: list[str],
    day: dt.date,
    trends: Trends,
) -> _Row:
    """One good return row; values drift year on year from the contract's first-year level."""
    key = f"{c.contract_id}|{m.id}"
    if key not in trends:
        base, denom = _base_value(rng, m, c.value_gbp)
        evidence = rng.choice(EVIDENCE_BY_MEASURE.get(m.id) or EVIDENCE[m.unit])
        trends[key] = (base, denom, rng.uniform(-0.12, 0.18), evidence)
    base, denom, growth, evidence = trends[key]
    k = periods.index(period)
    if m.direction == "lower":
        growth = -growth  # a partner improving on a lower-is-better measure brings it down
    value = base * (1 + growth) ** k * rng.uniform(0.9, 1.1)
    target = base * (1.05 if m.direction == "higher" else 0.95) ** (k + 1)
    star = exemplary(p.partner_id)
    if star:  # beats the target every year, whichever way is better
        value = target * (
            rng.uniform(1.02, 1.12) if m.direction == "higher" else rng.uniform(0.88, 0.98)
        )
    denominator = ""
    if m.unit == "percent":
        target = min(100.0, round(target))
        value = min(100.0, max(0.0, value if not star else max(value, target)))
        denominator = str(int(denom * (1 + 0.05 * k)))
    verified = rng.choice(("yes", "yes", "yes", "no", ""))
    roll = rng.random()
    comment = rng.choice(MARKUP_COMMENTS) if roll < 0.04 else rng.choice(COMMENTS)
    cells = {
        "partner_id": p.partner_id,
        "contract_id": c.contract_id,
        "measure_id": m.id,
        "period": period,
        "value": _fmt_number(value, m.unit),
        "target": _fmt_number(target, m.unit) if star or rng.random() < 0.9 else "",
        "denominator": denominator,
        "evidence": evidence,
        "verified": verified,
        "comment": comment,
        "submitted_on": day.isoformat(),
    }
    return _Row(cells, day)


def _line(cells: dict[str, str]) -> list[str]:
    """A return row's cells in the contract's column order, as a file holds them."""
    return [cells[c] for c in RETURN_COLUMNS]


def _add_revisions(
    rng: random.Random, rows: dict[str, list[_Row]], percent_ids: frozenset[str]
) -> set[str]:
    """Later corrected submissions. Returns the partners whose revisions go in a second file.

    About 5% of rows are revised. The first partner with a revision always sends it as a
    separate resubmission file and the others do so a third of the time, so both ways a revision
    arrives (further down the same file, or in a second file) are in every sample.
    """
    second_file: set[str] = set()
    for pid, out in rows.items():
        chosen = [r for r in out if rng.random() < 0.05 and not exemplary(pid)]
        if not chosen and out and not second_file and pid == list(rows)[-1]:
            chosen = [rng.choice(out)]  # at least one revision in any sample with returns
        revisions: list[_Row] = []
        for r in chosen:
            later = r.submitted + dt.timedelta(days=rng.randint(14, 45))
            cells = dict(r.cells)
            cap = 100.0 if cells["measure_id"] in percent_ids else None
            cells["value"] = _revise(cells["value"], rng, cap=cap)
            cells["comment"] = "Revised: corrected figure after the contract manager's check"
            cells["submitted_on"] = later.isoformat()
            r.revised = True
            revisions.append(_Row(cells, later, revision_of=r))
        if revisions and (not second_file or rng.random() < 0.3):
            second_file.add(pid)
        out.extend(revisions)
    return second_file


def _revise(value: str, rng: random.Random, cap: float | None = None) -> str:
    """A corrected figure within 15% of the first, in the same format (a percentage stays <= 100)."""
    number = float(value)
    decimals = len(value.split(".")[1]) if "." in value else 0
    new = number * rng.uniform(0.85, 1.15)
    if cap is not None:
        new = min(new, cap)
    if "." not in value:
        new = round(new)
        if new == number:
            new = number + 1 if cap is None or number + 1 <= cap else number - 1
    return f"{new:.{decimals}f}"


# --------------------------------------------------------------------------------------------
# faults


def _spoil(
    kind: str,
    row: _Row,
    rng: random.Random,
    n_partners: int,
    n_contracts: int,
    percent_ids: frozenset[str],
) -> str:
    """Apply one cell fault to `row` in place; return the text now in the spoiled cell."""
    cells = row.cells
    if kind == "bad_measure_id":
        theme, num = cells["measure_id"][2], int(cells["measure_id"][4:])
        # Clearly wrong, not merely oddly spelt: no such theme or no such measure.
        bad = rng.choice(
            (
                f"CS{theme}-{num + 60:02d}",
                f"CS{rng.randint(6, 9)}-{num:02d}",
                f"SC{theme}-{num:02d}",
            )
        )
        cells["measure_id"] = bad
    elif kind == "text_in_number":
        cells["value"] = rng.choice(("twelve", "1,2O0", "approx 40", "TBC", "see attached"))
    elif kind == "percent_over_100":
        assert cells["measure_id"] in percent_ids
        cells["value"] = f"{rng.uniform(101, 250):.1f}"
    elif kind == "bad_period":
        y = int(cells["period"][:4])
        # Refused spellings: `2024-25` and `2024/2025` are read (they name both years); an
        # ambiguous `FY2024`, `FY25` or `2024` is not (each could be either of two years).
        cells["period"] = rng.choice((f"FY{y}", f"FY{(y + 1) % 100:02d}", str(y)))
    elif kind == "unknown_partner":
        cells["partner_id"] = f"P{n_partners + rng.randint(100, 899):03d}"
    elif kind == "unknown_contract":
        cells["contract_id"] = f"C{n_contracts + rng.randint(100, 8999):04d}"
    column = FAULT_COLUMNS[kind]
    assert column is not None  # a cell fault names its column
    return cells[column]


def _plan_faults(
    rng: random.Random, rows: dict[str, list[_Row]], percent_ids: frozenset[str]
) -> dict[int, str]:
    """Choose which good rows get which fault (keyed by `id(row)`): every kind at least once
    when there are rows enough, then about `FAULT_RATE` of the rows in all."""
    eligible = [
        r
        for pid, out in rows.items()
        if not exemplary(pid)
        for r in out
        if not r.revised and r.revision_of is None
    ]
    percent_rows = [r for r in eligible if r.cells["measure_id"] in percent_ids]
    kinds = list(CELL_FAULTS + ROW_FAULTS)
    wanted = kinds + [rng.choice(kinds) for _ in range(round(FAULT_RATE * len(eligible)))]
    # Shuffled once and taken in order: a fair random choice without rescanning every row.
    order = rng.sample(eligible, len(eligible))
    percent_order = rng.sample(percent_rows, len(percent_rows))
    plan: dict[int, str] = {}
    for kind in wanted[: len(eligible)]:
        # Only a percentage can be over 100; other kinds can spoil any row.
        pool = percent_order if kind == "percent_over_100" else order
        while pool and id(pool[-1]) in plan:
            pool.pop()
        if pool:
            plan[id(pool.pop())] = kind
    return plan


# --------------------------------------------------------------------------------------------
# writing files


def _xlsx_bytes(rows: Sequence[Sequence[Any]], stamp: dt.datetime) -> bytes:
    """An XLSX workbook with byte-identical output for the same rows (fixed timestamps)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Returns"
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # partner text is text, never a formula
            elif isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy"
    wb.properties.creator = "svf sample"
    wb.properties.created = stamp
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps "modified" with the clock and the zip entries with the local time: rewrite
    # both so the same seed gives the same bytes.
    out = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    lambda m: m.group(1) + iso.encode(),
                    data,
                )
            zout.writestr(
                zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def _xlsx_cell(text: str, col: str) -> Any:
    """What a partner's spreadsheet holds in column `col`: numbers as numbers, dates as dates,
    else text."""
    if text == "":
        return None
    if col in _XLSX_NUMBERS:
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    if col in _XLSX_DATES:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def _xlsx_display(text: str, col: str) -> str:
    """What the readers show for a cell written by `_xlsx_cell` (`155.0` is a number cell, `155`)."""
    value = _xlsx_cell(text, col)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _prepare_out_dir(out: Path) -> None:
    """Refuse to write over a folder of real data; clear what an earlier sample wrote."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder")
    if not out.exists():
        return
    manifest = out / MANIFEST_NAME
    existing = [p for p in out.rglob("*") if p.is_file()]
    if existing and not manifest.exists():
        raise UserError(
            f"{out} already holds files not written by `svf sample`; "
            "choose an empty folder with --out or --cycle"
        )
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            listed = set(old.get("files", {}))
        except (OSError, ValueError):
            listed = set()
        root = out.resolve()
        for rel in listed:
            target = (out / rel).resolve()
            if target.is_relative_to(root):  # never delete outside the folder, whatever it says
                target.unlink(missing_ok=True)


def generate_sample(
    out_dir: str | Path,
    *,
    partners: int = 12,
    years: int = 3,
    seed: int = 2025,
    end_period: str = "2025/26",
    messy: bool = False,
    framework: str | Path | None = None,
) -> SampleManifest:
    """Write a synthetic review cycle into `out_dir` and return what was written.

    The same arguments give byte-identical files. `messy` adds the faults real returns have and
    records each one (file, row, column, kind) in `<out_dir>/.sample-manifest.json`.
    """
    if partners < 1 or years < 1:
        raise UserError("--partners and --years must be at least 1")
    periods = ending(end_period, years)
    fw = load_framework(framework or _default_framework())
    measures = [m for m in fw.measures if m.level == "partner"]
    percent_ids = frozenset(m.id for m in measures if m.is_percent)
    out = Path(out_dir)
    _prepare_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)

    # Separate streams, so --messy changes only the faults, never the good data.
    data_rng = random.Random(f"svf-sample:{seed}:data")
    spend_rng = random.Random(f"svf-sample:{seed}:spend")
    fault_rng = random.Random(f"svf-sample:{seed}:faults")
    manifest = SampleManifest(seed, partners, years, periods, messy)
    stamp = dt.datetime(start_year(periods[-1]) + 1, 6, 1, 9, 0, 0)

    plist = _make_partners(data_rng, partners)
    contracts = _make_contracts(data_rng, plist, measures, periods)
    manifest.contracts_without_outcomes = [c.contract_id for c in contracts if not c.measures]
    rows = _make_returns(data_rng, plist, contracts, fw, periods, manifest)
    second_file = _add_revisions(data_rng, rows, percent_ids)
    # File formats: a couple of partners send Excel, one saves its CSV as Windows-1252.
    ids = [p.partner_id for p in plist]
    xlsx_ids = set(data_rng.sample(ids, min(2, max(0, len(ids) - 1)))) if len(ids) > 2 else set()
    cp1252_ids = (
        set(data_rng.sample([i for i in ids if i not in xlsx_ids], 1)) if len(ids) > 3 else set()
    )
    header_of = {pid: HEADER_STYLES[data_rng.randrange(len(HEADER_STYLES))] for pid in ids}
    formula_ok = [pid for pid in ids if pid not in xlsx_ids and pid not in cp1252_ids]
    for pid in data_rng.sample(formula_ok, min(2, len(formula_ok))):
        if rows[pid]:
            data_rng.choice(rows[pid]).cells["comment"] = data_rng.choice(FORMULA_COMMENTS)
    for pid in cp1252_ids:
        if rows[pid]:
            rows[pid][0].cells["comment"] = CP1252_COMMENT

    plan = _plan_faults(fault_rng, rows, percent_ids) if messy else {}

    for p in plist:
        _write_partner_returns(
            out,
            p.partner_id,
            rows[p.partner_id],
            plan,
            fault_rng,
            manifest,
            header=header_of[p.partner_id],
            fmt="xlsx"
            if p.partner_id in xlsx_ids
            else ("cp1252" if p.partner_id in cp1252_ids else "csv"),
            split=p.partner_id in second_file,
            stamp=stamp,
            n_partners=partners,
            n_contracts=len(contracts),
            percent_ids=percent_ids,
        )
    for out_rows in rows.values():
        for r in out_rows:
            if r.revision_of is not None:
                old = r.revision_of
                manifest.superseded.append(
                    {
                        "file": old.file,
                        "row": old.row,
                        "superseded_by_file": r.file,
                        "superseded_by_row": r.row,
                    }
                )
    manifest.superseded.sort(key=lambda s: (s["file"], s["row"]))
    for s in manifest.superseded:
        manifest.files[s["file"]]["superseded"] += 1

    _write_registers(out, plist, contracts, manifest)
    _write_spend(out, spend_rng, plist, periods, manifest)
    manifest.files = dict(sorted(manifest.files.items()))
    manifest.faults.sort(key=lambda f: (f["file"], f["row"]))
    _write(
        out / MANIFEST_NAME,
        (json.dumps(manifest.to_dict(), indent=2, sort_keys=True) + "\n").encode(),
    )
    return manifest


def _default_framework() -> Path:
    # The packaged checkout's framework, wherever the command is run from.
    here = Path(__file__).resolve().parents[2] / "data" / "reference" / "framework.yaml"
    return here if here.exists() else DEFAULT_FRAMEWORK


def _write_partner_returns(
    out: Path,
    pid: str,
    good: list[_Row],
    plan: dict[int, str],
    rng: random.Random,
    manifest: SampleManifest,
    *,
    header: tuple[str, ...],
    fmt: str,
    split: bool,
    stamp: dt.datetime,
    n_partners: int,
    n_contracts: int,
    percent_ids: frozenset[str],
) -> None:
    """Write one partner's returns file(s), applying the planned faults and recording each one
    (and every good row's file and row number, for the superseded list) in the manifest."""
    suffix = ".xlsx" if fmt == "xlsx" else ".csv"
    main_name = f"returns/{pid}{suffix}"
    second_name = f"returns/{pid}-resubmission.csv"
    files: dict[str, list[list[str] | None]] = {main_name: []}
    faults: dict[str, list[tuple[int, str, str]]] = {main_name: []}

    def emit(
        name: str, cells: list[str] | None, row: _Row | None, fault: tuple[str, str] | None = None
    ) -> None:
        files.setdefault(name, [])
        faults.setdefault(name, [])
        files[name].append(cells)
        if fault:
            faults[name].append((len(files[name]) + 1, *fault))  # +1: header is row 1
        if row is not None:
            row.file, row.row = name, len(files[name]) + 1

    for r in good:
        name = second_name if (split and r.revision_of is not None) else main_name
        kind = plan.get(id(r))
        if kind in CELL_FAULTS:
            shown = _spoil(kind, r, rng, n_partners, n_contracts, percent_ids)
            emit(name, _line(r.cells), None, (kind, shown))
            continue
        if kind == "blank_row":
            emit(name, None, None, ("blank_row", ""))
        elif kind == "repeated_header":
            emit(name, list(header), None, ("repeated_header", ""))
        emit(name, _line(r.cells), r)
        comment = r.cells["comment"]
        if comment in MARKUP_COMMENTS or comment in FORMULA_COMMENTS:
            manifest.markup_comments.append({"file": name, "row": r.row, "comment": comment})
        if kind == "duplicate_row":
            emit(name, _line(r.cells), None, ("duplicate_row", ""))

    for name, body in files.items():
        if not body:
            continue  # nothing was due: a partner sends no file rather than an empty one
        n_faults = len(faults[name])
        manifest.files[name] = {
            "kind": "returns",
            "partner_id": pid,
            "rows": len(body),
            "good": len(body) - n_faults,
            "faults": n_faults,
            "superseded": 0,
            "format": "xlsx"
            if name.endswith(".xlsx")
            else ("csv-cp1252" if fmt == "cp1252" and name == main_name else "csv"),
        }
        for row_no, kind, shown in faults[name]:
            column = FAULT_COLUMNS[kind]
            if name.endswith(".xlsx") and column is not None:
                shown = _xlsx_display(shown, column)
            manifest.faults.append(
                {
                    "file": name,
                    "row": row_no,
                    "column": FAULT_COLUMNS[kind],
                    "kind": kind,
                    "value": shown or None,
                    "partner_id": pid,
                }
            )
        if name.endswith(".xlsx"):
            sheet: list[list[Any]] = [list(header)]
            for cells in body:
                if cells is None:
                    sheet.append([])
                elif cells == list(header):
                    sheet.append(list(cells))
                else:
                    sheet.append(
                        [_xlsx_cell(c, col) for c, col in zip(cells, RETURN_COLUMNS, strict=True)]
                    )
            _write(out / name, _xlsx_bytes(sheet, stamp))
        else:
            table_rows: list[list[str]] = [list(header)]
            for i, cells in enumerate(body):
                # Excel saves a blank row as commas; a text editor as an empty line.
                table_rows.append(
                    cells if cells is not None else ([] if i % 2 else [""] * len(header))
                )
            text = _csv_text(table_rows)
            encoding = "cp1252" if fmt == "cp1252" and name == main_name else "utf-8"
            _write(out / name, text.encode(encoding))


def _table(
    columns: Sequence[str], rows: list[dict[str, str]], header: Sequence[str] | None = None
) -> list[list[str]]:
    """A header (the column names unless given) and each row's cells in the columns' order."""
    return [list(header or columns)] + [[row[c] for c in columns] for row in rows]


def _write_registers(
    out: Path, plist: list[_Partner], contracts: list[_Contract], manifest: SampleManifest
) -> None:
    partners_rows = _table(
        spec("partners").names,
        [
            {
                "partner_id": p.partner_id,
                "name": p.name,
                "type": p.type,
                "postcode": p.postcode,
                "sme": p.sme,
            }
            for p in plist
        ],
    )
    contract_rows = _table(
        spec("contracts").names,
        [
            {
                "contract_id": c.contract_id,
                "partner_id": c.partner_id,
                "title": c.title,
                "start": c.start.isoformat(),
                "end": c.end.isoformat(),
                "value_gbp": f"{c.value_gbp:.2f}",
                "outcome_measures": ";".join(c.measures),
                "linked_to_subject_matter": c.linked,
            }
            for c in contracts
        ],
    )
    for name, table in (("partners.csv", partners_rows), ("contracts.csv", contract_rows)):
        _write(out / name, _csv_text(table).encode("utf-8"))
        manifest.files[name] = {
            "kind": name.split(".")[0],
            "rows": len(table) - 1,
            "good": len(table) - 1,
            "faults": 0,
            "superseded": 0,
            "format": "csv",
        }


def _write_spend(
    out: Path,
    rng: random.Random,
    plist: list[_Partner],
    periods: list[str],
    manifest: SampleManifest,
) -> None:
    """Council spend over 500 GBP (Transparency Code columns) and the supplier register."""
    # Other suppliers the council pays: utilities, national firms, local traders.
    n_other = 25 + len(plist) // 2
    others: list[tuple[str, str, str, str, str]] = []
    other_names = (
        "Anglian Energy Supplies Ltd",
        "National Office Supplies plc",
        "Eastern Fuel Cards Ltd",
        "Capital Legal LLP",
        "Metro Agency Staffing Ltd",
        "Kent and Essex Plant Hire Ltd",
        "Thames Gateway Print Ltd",
        "Digital Public Services Ltd",
        "Crown Stationers Ltd",
        "UK Water Services plc",
    )
    used = {p.name for p in plist}
    for i in range(n_other):
        place, district = _pick_place(rng, rng.random() < 0.35)
        name = (
            other_names[i]
            if i < len(other_names)
            else f"{place} {rng.choice(tuple(TRADES))} {rng.choice(COMPANY_SUFFIXES)}"
        )
        base, k = name, 2
        while name in used:
            name = f"{base} ({k})"
            k += 1
        used.add(name)
        kind = "private" if rng.random() < 0.9 else "vcfs"
        sme = "yes" if rng.random() < 0.5 else "no"
        others.append((f"SUP{90000 + i:05d}", name, _postcode(rng, district), kind, sme))
    # A few suppliers paid but missing from the register: their spend stays 'unclassified'.
    unregistered = {s[0] for s in rng.sample(others, max(2, n_other // 12))}
    manifest.unregistered_suppliers = sorted(unregistered)
    register = _table(
        SUPPLIER_COLUMNS,
        [
            dict(
                zip(
                    SUPPLIER_COLUMNS,
                    (p.supplier_id, p.name, p.postcode, p.type, p.sme),
                    strict=True,
                )
            )
            for p in plist
        ]
        + [dict(zip(SUPPLIER_COLUMNS, s, strict=True)) for s in others if s[0] not in unregistered],
    )
    payees = [(p.supplier_id, p.name) for p in plist] + [(s[0], s[1]) for s in others]
    # Cumulative weights once: `choices(weights=...)` would rebuild them for every payment.
    cum_weights = list(itertools.accumulate([3.0] * len(plist) + [1.5] * len(others)))

    payments: list[dict[str, str]] = []
    n = 0
    for per in periods:
        year = start_year(per)
        for _ in range(150 + 5 * len(plist)):
            n += 1
            sid, name = rng.choices(payees, cum_weights=cum_weights)[0]
            day = dt.date(year, 4, 1) + dt.timedelta(days=rng.randrange(365))
            amount = round(500 + rng.lognormvariate(8.0, 1.3), 2)
            payments.append(
                {
                    "body": "Thurrock Council",
                    "date": day.strftime("%d/%m/%Y"),
                    "transaction_number": f"TC{year % 100:02d}{n:06d}",
                    "amount": f"{amount:.2f}",
                    "supplier_name": name,
                    "supplier_id": sid,
                    "expense_area": rng.choice(EXPENSE_AREAS),
                    "expense_type": rng.choice(EXPENSE_TYPES),
                }
            )
    spend = _table(SPEND_COLUMNS, payments, SPEND_HEADER)
    for name, table, kind in (
        ("suppliers.csv", register, "suppliers"),
        ("spend.csv", spend, "spend"),
    ):
        _write(out / name, _csv_text(table).encode("utf-8"))
        manifest.files[name] = {
            "kind": kind,
            "rows": len(table) - 1,
            "good": len(table) - 1,
            "faults": 0,
            "superseded": 0,
            "format": "csv",
        }
