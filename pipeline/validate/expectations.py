"""The expectation suites: the data contract and the framework as Great Expectations rules.

One suite per input kind (returns, partners, contracts, spend, suppliers) is written to
`expectations/<kind>.json` by `svf validate --write-suites` and reviewed like code. The suites
are built from `pipeline.core.contract` and from the units in `data/reference/framework.yaml`; what
changes with the framework (the measure ids, which are council-level, the current financial year)
is a GX suite parameter (`{"$PARAMETER": "measure_ids"}`) filled in at run time by
`suite_parameters`, so a new measure in the framework needs no suite edit and the committed files
stay the same. Membership of the cycle's registers (partner and contract ids, which contract
belongs to which partner and committed to which measure) is checked on derived flags
(`partner_id__registered`, ...) that `derive_columns` computes with pandas from the clean
registers: GX copies a `value_set` for every metric, which costs seconds per rule once a register
holds thousands of ids.

Each expectation's `meta` carries what a partner is told when a row fails it:

- `column`: the input column the rule is about (a rule may run on a derived column, such as
  `value__percent`, computed by `derive_columns`; the partner is told about `value`);
- `sentence`: a template filled with `{value}` (what the partner typed in `column`),
  `{detail}` (the failing derived value) and any cell of the row by its column name;
- `stage`: `rows` (checked on every row) or `keys` (checked once duplicates and superseded
  submissions have been set aside, see `pipeline.core.quarantine`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import parsing, periods
from pipeline.core.atomic import write_text
from pipeline.core.contract import KINDS, Kind, spec
from pipeline.core.errors import UserError
from pipeline.core.framework import Framework
from pipeline.validate import spend_checks

#: Ids become file and folder names (partner reports, feedback files): keep them plain.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
#: ... and short: an id is a folder and file name in every report path.
ID_MAX_LENGTH = 64
#: Largest plausible value per unit when params.yaml (validate.ceilings) does not say.
DEFAULT_CEILINGS: dict[str, float] = {
    "count": 100_000_000,
    "hours": 100_000_000,
    "miles": 1_000_000_000,
    "tCO2e": 10_000_000,
    "GBP": 10_000_000_000,
    "visits": 100_000_000,
    "other": 1_000_000_000_000,
}
PARTNER_TYPES = ("private", "vcfs", "public")
PARTNER_TYPE_PATTERN = r"(?i)^\s*(?:" + "|".join(PARTNER_TYPES) + r")\s*$"
#: Internal column the readers fill with cells found beyond the last heading.
EXTRA_CELLS = "_extra_cells"
REQUIRED_SENTENCE = "column {column} is empty; it is required"

Expectation = dict[str, Any]


def _e(
    type_: str,
    column: str | list[str],
    sentence: str,
    *,
    about: str | None = None,
    stage: str = "rows",
    **kwargs: Any,
) -> Expectation:
    """One expectation in GX's JSON form, with the partner-facing sentence in `meta`."""
    kw: dict[str, Any] = {"column_list": column} if isinstance(column, list) else {"column": column}
    kw.update(kwargs)
    target = about or (column if isinstance(column, str) else column[0])
    return {
        "type": type_,
        "kwargs": kw,
        "meta": {"column": target, "sentence": sentence, "stage": stage},
    }


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _not_null(columns: Iterable[str]) -> list[Expectation]:
    return [
        _e("expect_column_values_to_not_be_null", c, REQUIRED_SENTENCE.replace("{column}", c))
        for c in columns
    ]


def _number(column: str) -> Expectation:
    return _e(
        "expect_column_values_to_match_regex",
        column,
        f"value '{{value}}' in column {column} is not a number",
        regex=parsing.NUMBER_PATTERN,
    )


def _yes_no(column: str) -> Expectation:
    return _e(
        "expect_column_values_to_match_regex",
        column,
        f"value '{{value}}' in column {column} is not yes or no",
        regex=parsing.YES_NO_PATTERN,
    )


def _date(column: str) -> Expectation:
    return _e(
        "expect_column_values_to_be_in_set",
        f"{column}__is_date",
        f"value '{{value}}' in column {column} is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        about=column,
        value_set=[True],
    )


def _extra_cells() -> Expectation:
    return _e(
        "expect_column_values_to_be_null",
        EXTRA_CELLS,
        "the row has cells beyond the last column heading ('{detail}')",
    )


def _range(column: str, unit: str) -> Expectation:
    """A unit's range for a numeric column, checked on `<column>__<unit>` (see derive_columns)."""
    if unit == "percent":
        return _e(
            "expect_column_values_to_be_between",
            f"{column}__{unit}",
            f"value '{{value}}' in column {column} is outside 0 to 100: "
            "measure {measure_id} is a percentage",
            about=column,
            min_value=0,
            max_value=100,
        )
    return _e(
        "expect_column_values_to_be_between",
        f"{column}__{unit}",
        f"value '{{value}}' in column {column} is negative or implausibly large: measure "
        f"{{measure_id}} counts {unit}, from 0 up to the ceiling in params.yaml "
        f"(validate.ceilings.{unit})",
        about=column,
        min_value=0,
        max_value=_param(ceiling_parameter(unit)),
    )


def ceiling_parameter(unit: str) -> str:
    return f"ceiling_{unit}"


def _id_length(column: str, what: str) -> Expectation:
    return _e(
        "expect_column_value_lengths_to_be_between",
        column,
        f"{what} id '{{value}}' is longer than {ID_MAX_LENGTH} characters",
        max_value=ID_MAX_LENGTH,
    )


def _registered(column: str, what: str, register: str) -> Expectation:
    """`column` holds an id of the cycle's `register`. Checked on the derived flag
    `<column>__registered` (pandas `isin` against the clean register): GX copies a value_set
    for every metric it computes, which costs seconds per rule with thousands of ids."""
    return _e(
        "expect_column_values_to_be_in_set",
        f"{column}__registered",
        f"{what} '{{value}}' in column {column} is not in the {register} register (or its "
        "row there was quarantined: see the data-quality summary)",
        about=column,
        value_set=[True],
    )


def _unique(kind: Kind, key: tuple[str, ...], sentence: str) -> Expectation:
    if len(key) == 1:
        return _e("expect_column_values_to_be_unique", key[0], sentence, stage="keys")
    return _e("expect_compound_columns_to_be_unique", list(key), sentence, stage="keys")


def build_suites(framework: Framework) -> dict[Kind, dict[str, Any]]:
    """Every suite as GX suite JSON, from the contract and the units the framework uses."""
    units = sorted({m.unit for m in framework.measures if m.level == "partner"})
    returns: list[Expectation] = [
        _extra_cells(),
        *_not_null(spec("returns").required),
        _e(
            "expect_column_values_to_be_in_set",
            "measure_id",
            "measure '{value}' in column measure_id is not a measure of the framework",
            value_set=_param("measure_ids"),
        ),
        _e(
            "expect_column_values_to_not_be_in_set",
            "measure_id",
            "measure {value} is a council-level measure, computed from the council's spend data; "
            "partners do not return it",
            value_set=_param("council_measure_ids"),
        ),
        _e(
            "expect_column_values_to_match_regex",
            "period",
            "period '{value}' is not a financial year written like 2024/25 (2024-25, 2024/2025 "
            "and FY2024/25 are read too; FY25 or 2024 alone could mean either of two financial "
            "years, so write both years)",
            regex=parsing.PERIOD_PATTERN,
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "period__consecutive",
            "period '{value}' is not a financial year: its two years must be consecutive "
            "(for example 2024/25)",
            about="period",
            value_set=[True],
        ),
        _e(
            "expect_column_values_to_be_between",
            "period__start",
            "period '{value}' is in the future: returns can be made up to the current "
            "financial year",
            about="period",
            max_value=_param("current_year_start"),
        ),
        _number("value"),
        _number("target"),
        _number("denominator"),
        *[_range("value", u) for u in units],
        *[_range("target", u) for u in units],
        _e(
            "expect_column_values_to_be_between",
            "denominator__number",
            "value '{value}' in column denominator is negative or implausibly large; it counts "
            "from 0 up to the ceiling in params.yaml (validate.ceilings.count)",
            about="denominator",
            min_value=0,
            max_value=_param(ceiling_parameter("count")),
        ),
        _yes_no("verified"),
        _date("submitted_on"),
        _registered("partner_id", "partner", "partners"),
        _registered("contract_id", "contract", "contracts"),
        _e(
            "expect_column_values_to_be_in_set",
            "contract_id__of_partner",
            "contract '{value}' belongs to partner {detail}, not to partner '{partner_id}'",
            about="contract_id",
            value_set=[True],
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "measure_id__committed",
            "contract '{contract_id}' did not commit to measure {measure_id}: returns are only "
            "for the measures in the contract's outcome_measures",
            about="measure_id",
            value_set=[True],
        ),
        _unique(
            "returns",
            spec("returns").key,
            "conflicting returns for contract {contract_id}, measure {measure_id}, period "
            "{period} with the same submission date: send one corrected row",
        ),
    ]
    partners: list[Expectation] = [
        _extra_cells(),
        *_not_null(spec("partners").required),
        _e(
            "expect_column_values_to_match_regex",
            "partner_id",
            "partner id '{value}' can only use letters, digits, '.', '-' and '_'",
            regex=ID_PATTERN,
        ),
        _id_length("partner_id", "partner"),
        _e(
            "expect_column_values_to_match_regex",
            "type",
            "value '{value}' in column type is not one of private, vcfs, public",
            regex=PARTNER_TYPE_PATTERN,
        ),
        _yes_no("sme"),
        _unique(
            "partners",
            spec("partners").key,
            "partner '{partner_id}' appears more than once in the register with different details",
        ),
    ]
    contracts: list[Expectation] = [
        _extra_cells(),
        *_not_null(c for c in spec("contracts").required if c != "outcome_measures"),
        _e(
            "expect_column_values_to_match_regex",
            "contract_id",
            "contract id '{value}' can only use letters, digits, '.', '-' and '_'",
            regex=ID_PATTERN,
        ),
        _id_length("contract_id", "contract"),
        _date("start"),
        _date("end"),
        _e(
            "expect_column_values_to_be_in_set",
            "end__after_start",
            "end date '{value}' is before the start date '{start}'",
            about="end",
            value_set=[True],
        ),
        _number("value_gbp"),
        _e(
            "expect_column_values_to_be_between",
            "value_gbp__number",
            "value '{value}' in column value_gbp is negative or implausibly large; a contract "
            "value runs from 0 up to the ceiling in params.yaml (validate.ceilings.GBP)",
            about="value_gbp",
            min_value=0,
            max_value=_param(ceiling_parameter("GBP")),
        ),
        _yes_no("linked_to_subject_matter"),
        _registered("partner_id", "partner", "partners"),
        _e(
            "expect_column_values_to_be_null",
            "outcome_measures__unknown",
            "column outcome_measures lists {detail}, which is not a measure of the framework",
            about="outcome_measures",
        ),
        _unique(
            "contracts",
            spec("contracts").key,
            "contract '{contract_id}' appears more than once in the register with different "
            "details",
        ),
    ]
    # Spend files as councils publish them (pipeline.validate.spend_layouts): an empty supplier name is
    # a redacted payment and counts; not every council publishes transaction numbers.
    spend: list[Expectation] = [
        _extra_cells(),
        *_not_null(("date", "amount")),
        _e(
            "expect_column_values_to_be_in_set",
            "date__is_date",
            "value '{value}' in column date is not a date (DD/MM/YYYY, DD/MM/YY, YYYY-MM-DD, "
            "an Excel date number or a month such as Sep 2014)",
            about="date",
            value_set=[True],
        ),
        _e(
            "expect_column_values_to_be_in_set",
            "amount__is_amount",
            "value '{value}' in column amount is not an amount of money (such as 1,100.00, "
            "£1100, -25.50 or (25.50))",
            about="amount",
            value_set=[True],
        ),
        _e(
            "expect_column_values_to_be_between",
            "amount__number",
            "amount '{value}' is implausibly large: payments run up to the ceiling in "
            "params.yaml (validate.ceilings.GBP), refunds down to minus it",
            about="amount",
            min_value=_param("ceiling_GBP_negative"),
            max_value=_param(ceiling_parameter("GBP")),
        ),
    ]
    suppliers: list[Expectation] = [
        _extra_cells(),
        *_not_null(spec("suppliers").required),
        _e(
            "expect_column_values_to_match_regex",
            "type",
            "value '{value}' in column type is not one of private, vcfs, public",
            regex=PARTNER_TYPE_PATTERN,
        ),
        _yes_no("sme"),
        _unique(
            "suppliers",
            spec("suppliers").key,
            "supplier '{supplier_id}' appears more than once in the register with different "
            "details",
        ),
    ]
    by_kind: dict[Kind, list[Expectation]] = {
        "returns": returns,
        "partners": partners,
        "contracts": contracts,
        "spend": spend,
        "suppliers": suppliers,
    }
    return {
        kind: {
            "name": kind,
            "expectations": exps,
            "meta": {
                "about": f"Data contract for {kind} inputs (docs/validation.md). Generated by "
                "`svf validate --write-suites` from pipeline/core/contract.py and the units in "
                "data/reference/framework.yaml; edit those, not this file.",
            },
        }
        for kind, exps in by_kind.items()
    }


def suite_json(suite: dict[str, Any]) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def write_suites(directory: Path, framework: Framework) -> list[Path]:
    """Write `expectations/<kind>.json` for every kind (atomically); return the paths."""
    written = []
    for kind, suite in build_suites(framework).items():
        written.append(write_text(directory / f"{kind}.json", suite_json(suite)))
    return written


def load_suites(directory: Path) -> dict[Kind, dict[str, Any]]:
    """Read the committed suites; a missing or broken file is a one-line user error."""
    suites: dict[Kind, dict[str, Any]] = {}
    for kind in KINDS:
        path = directory / f"{kind}.json"
        try:
            suite = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(
                f"{path}: expectation suite not found (run `svf validate --write-suites`)"
            ) from None
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
            raise UserError(f"{path}: not an expectation suite (no 'expectations' list)")
        suites[kind] = suite
    return suites


def ceilings(params: dict[str, Any] | None = None) -> dict[str, float]:
    """The ceiling per unit: params.yaml `validate.ceilings` over `DEFAULT_CEILINGS`."""
    given = ((params or {}).get("validate") or {}).get("ceilings") or {}
    out = dict(DEFAULT_CEILINGS)
    for unit, value in given.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UserError(
                f"params.yaml: validate.ceilings.{unit} must be a number, not {value!r}"
            ) from None
        if not number > 0 or number == float("inf"):
            raise UserError(f"params.yaml: validate.ceilings.{unit} must be a positive number")
        out[str(unit)] = number
    return out


def suite_parameters(
    framework: Framework,
    today: dt.date,
    partners: pd.DataFrame | None = None,
    contracts: pd.DataFrame | None = None,
    limits: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The run-time values of the suites' `$PARAMETER`s, from the framework, plus the clean
    registers' ids and pairs that `derive_columns` checks membership against. `limits` are the
    ceilings per unit (see `ceilings`)."""
    limits = limits or ceilings()
    units = {m.unit for m in framework.measures} | {"count", "GBP"}
    partner_ids = (
        sorted(partners["partner_id"].dropna().astype(str)) if partners is not None else []
    )
    contract_ids: list[str] = []
    pairs: list[str] = []
    committed: list[str] = []
    if contracts is not None:
        for cid, pid, measures in zip(
            contracts["contract_id"],
            contracts["partner_id"],
            contracts["outcome_measures"],
            strict=True,
        ):
            contract_ids.append(str(cid))
            pairs.append(pair(cid, pid))
            committed.extend(pair(cid, m) for m in split_measures(measures))
    return {
        "measure_ids": sorted(framework.measure_ids),
        "council_measure_ids": sorted(m.id for m in framework.measures if m.level == "council"),
        "current_year_start": periods.year_of(today),
        "partner_ids": partner_ids,
        "contract_ids": sorted(contract_ids),
        "contract_partner_pairs": sorted(pairs),
        "contract_measure_pairs": sorted(committed),
        **{ceiling_parameter(u): limits.get(u, limits["other"]) for u in units},
        "ceiling_GBP_negative": -limits.get("GBP", limits["other"]),
    }


#: Joins the two ids of a pair (`pair`).
PAIR_SEPARATOR = " / "


def pair(a: object, b: object) -> str:
    """Two ids as one value, for checking a combination against the registers in one rule."""
    return f"{a}{PAIR_SEPARATOR}{b}"


def split_measures(text: object) -> list[str]:
    """`CS1-01; cs2-06` -> ['CS1-01', 'CS2-06'] (the contracts' outcome_measures cell)."""
    if not isinstance(text, str):
        return []
    return [p.strip().upper() for p in text.replace(",", ";").split(";") if p.strip()]


def _strip_upper(series: pd.Series) -> pd.Series:
    return parsing.map_distinct(series, lambda v: v.strip().upper() if isinstance(v, str) else None)


def _strip(series: pd.Series) -> pd.Series:
    return parsing.map_distinct(series, lambda v: v.strip() if isinstance(v, str) else None)


def _flag(present: pd.Series, ok: pd.Series) -> pd.Series:
    """True/False where `present` has a value, None (rule does not apply) where it has none."""
    out = pd.Series(None, index=ok.index, dtype=object)
    has = present.notna()
    out[has] = ok[has].to_numpy(dtype=bool)
    return out


def derive_columns(
    kind: Kind, frame: pd.DataFrame, framework: Framework, params: dict[str, Any]
) -> pd.DataFrame:
    """The frame GX checks: ids trimmed (measure ids upper-cased) and the derived columns the
    suites refer to (`value__percent`, `submitted_on__is_date`, ...). Derived columns are None
    where the rule does not apply, so GX skips them (map expectations ignore nulls)."""
    # A shallow copy: pandas copies on write, so the columns replaced below never reach `frame`.
    out = frame.copy(deep=False)
    if EXTRA_CELLS not in out.columns:
        out[EXTRA_CELLS] = None
    for c in ("partner_id", "contract_id", "supplier_id", "transaction_number"):
        if c in out.columns:
            out[c] = _strip(out[c])
    if kind == "returns":
        out["measure_id"] = _strip_upper(out["measure_id"])
        parts = parsing.period_parts(out["period"])
        out["period__consecutive"] = parts["consecutive"]
        # Only a well-formed financial year can be in the future.
        well_formed = parts["consecutive"].eq(True)
        out["period__start"] = parts["start"].astype("float64").where(well_formed, None)
        units = {m.id: m.unit for m in framework.measures}
        unit = out["measure_id"].map(units)
        for col in ("value", "target"):
            number = out[parsed_number(col)] = parsing.parse_number(out[col])
            for u in sorted({m.unit for m in framework.measures if m.level == "partner"}):
                out[f"{col}__{u}"] = number.where(unit == u)
        out["denominator__number"] = out[parsed_number("denominator")] = parsing.parse_number(
            out["denominator"]
        )
        out["submitted_on__is_date"] = parsing.date_ok(out["submitted_on"])
        contracts = set(params["contract_ids"])
        owners = dict(p.split(PAIR_SEPARATOR, 1) for p in params["contract_partner_pairs"])
        committed = set(params["contract_measure_pairs"])
        out["partner_id__registered"] = _flag(
            out["partner_id"], out["partner_id"].isin(set(params["partner_ids"]))
        )
        out["contract_id__registered"] = _flag(
            out["contract_id"], out["contract_id"].isin(contracts)
        )
        # Whose contract, and what it committed to: only asked of a registered contract.
        owner = out["contract_id"].map(owners)
        out["contract_id__of_partner__owner"] = owner
        out["contract_id__of_partner"] = _flag(
            owner.where(out["partner_id"].notna()), owner == out["partner_id"]
        )
        known_measure = out["measure_id"].isin(framework.measure_ids)
        # Asked only of a registered contract and a framework measure, so both ids are text.
        asked = owner.notna() & known_measure
        pairs = (
            out.loc[asked, "contract_id"].astype(str)
            + PAIR_SEPARATOR
            + out.loc[asked, "measure_id"]
        ).astype(object)
        committed_pair = pd.Series(False, index=out.index)
        committed_pair[asked] = pairs.isin(committed).to_numpy(dtype=bool)
        out["measure_id__committed"] = _flag(owner.where(known_measure), committed_pair)
    elif kind == "contracts":
        out["start__is_date"] = parsing.date_ok(out["start"])
        out["end__is_date"] = parsing.date_ok(out["end"])
        start, end = parsing.parse_date(out["start"]), parsing.parse_date(out["end"])
        both = start.notna() & end.notna()
        out["end__after_start"] = None
        out.loc[both, "end__after_start"] = (end[both] >= start[both]).to_numpy()
        out["value_gbp__number"] = out[parsed_number("value_gbp")] = parsing.parse_number(
            out["value_gbp"]
        )
        out["partner_id__registered"] = _flag(
            out["partner_id"], out["partner_id"].isin(set(params["partner_ids"]))
        )
        ids = framework.measure_ids
        out["outcome_measures__unknown"] = out["outcome_measures"].map(
            lambda v: ", ".join(m for m in split_measures(v) if m not in ids) or None
        )
    elif kind == "spend":
        out = spend_checks.derive(out)
        # The ceiling check (issue 12) reads the amount as spend_checks parsed it.
        out["amount__number"] = out["amount__value"]
    return out


def parsed_number(column: str) -> str:
    """The internal column holding `column` read as a number by `derive_columns`, which the
    clean table reuses rather than parsing every number twice (no rule reads it)."""
    return f"_number_{column}"


def detail_column(column: str) -> str | None:
    """Where the sentence's `{detail}` comes from for a derived column, if not the column."""
    return {"contract_id__of_partner": "contract_id__of_partner__owner"}.get(column)
