"""Council-level measures from the council's published spend: local, VCFS and SME shares.

Published spend files (Local Government Transparency Code) carry no postcode, so each payment is
joined to the supplier register (`suppliers.csv`) on `supplier_id`, or, failing that, on the
supplier's normalised name when exactly one register entry has it. A payment whose supplier
cannot be found, or whose postcode, type or size is not recorded, is *unclassified* for that
measure: its share is reported beside the figure and never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.core.errors import UserError
from pipeline.core.periods import following_series, of_dates
from pipeline.core.spend_cells import redacted

#: A full UK postcode without spaces (outward code + inward code), and an outward code alone.
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
#: Legal-form words dropped when matching names ("Acme Ltd" is "ACME LIMITED").
LEGAL_FORMS = r"\b(ltd|limited|plc|llp|llc|cic|cio|inc|co|company|the)\b"
SUPPLIER_TYPES = frozenset({"private", "vcfs", "public"})


def load_local_districts(path: str | Path) -> frozenset[str]:
    """Postcode districts counted as in the borough, from a CSV with a `district` column."""
    p = Path(path)
    try:
        frame = pd.read_csv(p, dtype=str)
    except FileNotFoundError:
        raise UserError(f"{p}: local postcode districts file not found") from None
    if "district" not in frame.columns:
        raise UserError(f"{p}: missing column 'district' (one postcode district per row)")
    districts = frame["district"].dropna().str.upper().str.replace(r"\s+", "", regex=True)
    bad = districts[~districts.str.match(DISTRICT)]
    if not bad.empty:
        row = int(bad.index[0]) + 2
        raise UserError(
            f"{p}, row {row}, column district: {bad.iloc[0]!r} is not a postcode district"
        )
    return frozenset(districts)


#: Column names accepted in an ONS postcode lookup (ONSPD, NSPL) for postcode and authority.
LOOKUP_POSTCODE = ("pcds", "pcd", "pcd2", "postcode")
LOOKUP_AUTHORITY = ("oslaua", "laua", "lad", "local_authority_code")


def load_postcode_lookup(path: str | Path, authority_code: str) -> pd.Series:
    """An ONS postcode lookup (ONSPD or NSPL CSV) as postcode (no spaces) -> in the borough.

    With it, a full postcode is local when the lookup puts it in `authority_code` (Thurrock is
    E06000034); a postcode the lookup does not list is unclassified.
    """
    p = Path(path)
    try:
        head = pd.read_csv(p, nrows=0)
    except FileNotFoundError:
        raise UserError(f"{p}: postcode lookup file not found") from None
    lower = {c.lower(): c for c in head.columns}
    pc = next((lower[c] for c in LOOKUP_POSTCODE if c in lower), None)
    la = next((lower[c] for c in LOOKUP_AUTHORITY if c in lower), None)
    if pc is None or la is None:
        raise UserError(
            f"{p}: expected an ONS postcode lookup with a postcode column ({', '.join(LOOKUP_POSTCODE)}) "
            f"and a local authority column ({', '.join(LOOKUP_AUTHORITY)})"
        )
    frame = pd.read_csv(p, usecols=[pc, la], dtype=str)
    keys = frame[pc].str.upper().str.replace(r"\s+", "", regex=True)
    return (
        pd.Series(frame[la].str.strip().eq(authority_code).to_numpy(), index=keys)
        .groupby(level=0)
        .first()
    )


def _per_distinct(function):  # noqa: ANN001, ANN202
    """Run a column function on the distinct values only, then spread the answers back: a year
    of spend has 200,000 payments to a few thousand suppliers."""

    def wrapper(series: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        answers = function(pd.Series(uniques, dtype=object)).astype(object)
        # The answer for a missing value (code -1) goes last: values[-1].
        values = np.concatenate([answers.to_numpy(dtype=object), np.array([None], dtype=object)])
        values = pd.Series(values, dtype=object).where(pd.notna(values), None).to_numpy()
        return pd.Series(values[codes], index=series.index, dtype=object)

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return wrapper


@_per_distinct
def postcode_district(postcodes: pd.Series) -> pd.Series:
    """The district (outward code, `RM17`) of each postcode; None when it is not a postcode."""
    text = postcodes.astype(object).where(postcodes.notna(), "").astype(str)
    text = text.str.upper().str.replace(r"\s+", "", regex=True)
    full = text.str.extract(FULL_POSTCODE)[0]
    outward_only = text.where(text.str.match(DISTRICT))
    district = full.fillna(outward_only)
    return district.astype(object).where(district.notna(), None)


@_per_distinct
def normalise_name(names: pd.Series) -> pd.Series:
    """A supplier name reduced for matching: case, punctuation, '&' and legal forms ignored."""
    text = names.astype(object).where(names.notna(), "").astype(str).str.lower()
    text = text.str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[^a-z0-9 ]+", " ", regex=True)
    text = text.str.replace(LEGAL_FORMS, " ", regex=True)
    text = text.str.split().str.join(" ")
    return text.where(text != "", None)


@_per_distinct
def _norm_id(ids: pd.Series) -> pd.Series:
    text = ids.astype(object).where(ids.notna(), "").astype(str).str.strip().str.upper()
    return text.where(text != "", None)


@_per_distinct
def normalise_number(ids: pd.Series) -> pd.Series:
    """A company or charity number reduced for matching: letters and digits only, upper case,
    leading zeros dropped (`01234567` and `1234567` are one company)."""
    text = ids.astype(object).where(ids.notna(), "").astype(str).str.upper()
    text = text.str.replace(r"[^A-Z0-9]+", "", regex=True).str.lstrip("0")
    return text.where(text != "", None)


#: How a payment is matched to the register, in order: the first that finds one entry wins.
#: (spend column, register column, normaliser)
MATCH_KEYS = (
    ("supplier_id", "supplier_id", "id"),
    ("company_number", "company_number", "number"),
    ("charity_number", "charity_number", "number"),
    ("supplier_other_id", "company_number", "number"),
    ("supplier_other_id", "charity_number", "number"),
    ("supplier_name", "name", "name"),
)
_NORMALISERS = {"id": _norm_id, "number": normalise_number, "name": normalise_name}
MATCH_LABEL = {
    "supplier_id": "id",
    "company_number": "company number",
    "charity_number": "charity number",
    "supplier_other_id": "other id",
    "supplier_name": "name",
}


def classify_spend(
    spend: pd.DataFrame,
    suppliers: pd.DataFrame | None,
    local_districts: frozenset[str],
    postcode_lookup: pd.Series | None = None,
) -> pd.DataFrame:
    """Each payment with its financial year, how its supplier was matched, and three-valued
    flags (`local`, `vcfs`, `sme`, `local_vcfs`: True, False or NA = unclassified).

    A payment is matched on its supplier id, then a company or charity number, then the
    supplier's normalised name; each key only when exactly one register entry has it. Redacted
    payments (no supplier name, or `Redacted`) are never matched: `redacted` is True and every
    flag NA, so they stay in the total as their own class and are never guessed.
    """
    frame = spend[["date", "amount", "supplier_name"]].copy()
    for col in ("supplier_id", "company_number", "charity_number", "supplier_other_id"):
        frame[col] = spend[col] if col in spend.columns else None
    frame["redacted"] = (
        spend["redacted"].astype(bool)
        if "redacted" in spend.columns
        else redacted(spend["supplier_name"])
    ).to_numpy()
    frame["period"] = of_dates(frame["date"])
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    register = (
        suppliers.copy()
        if suppliers is not None
        else pd.DataFrame(columns=["supplier_id", "name", "postcode", "type", "sme"])
    )
    for col in ("postcode", "type", "sme", "company_number", "charity_number"):
        if col not in register:
            register[col] = None
    matched = np.full(len(frame), None, dtype=object)
    values = {col: np.full(len(frame), None, dtype=object) for col in ATTRS}
    open_rows = ~frame["redacted"].to_numpy(dtype=bool)
    for spend_col, reg_col, how in MATCH_KEYS:
        normalise = _NORMALISERS[how]
        reg_key = normalise(register[reg_col])
        # A key shared by two register entries identifies neither.
        unique = register.assign(_k=reg_key).dropna(subset=["_k"]).drop_duplicates("_k", keep=False)
        by_key = unique.set_index("_k")
        key = normalise(frame[spend_col])
        hit = open_rows & pd.isna(matched) & key.isin(by_key.index).to_numpy()
        if not hit.any():
            continue
        matched[hit] = MATCH_LABEL[spend_col]
        for col in ATTRS:
            values[col][hit] = key[hit].map(by_key[col]).to_numpy()
    frame["matched_by"] = pd.Series(matched, index=frame.index, dtype=object)
    for col in ATTRS:
        frame[f"supplier_{col}"] = pd.Series(values[col], index=frame.index, dtype=object)
    district = postcode_district(frame["supplier_postcode"])
    local = pd.array(district.isin(local_districts), dtype="boolean")
    local[district.isna().to_numpy()] = pd.NA
    if postcode_lookup is not None:
        # The ONS lookup decides for full postcodes; a district alone still uses the district list.
        full = (
            frame["supplier_postcode"].astype(object).where(frame["supplier_postcode"].notna(), "")
        )
        full = full.astype(str).str.upper().str.replace(r"\s+", "", regex=True)
        is_full = full.str.match(FULL_POSTCODE).to_numpy()
        listed = full.map(postcode_lookup)
        by_lookup = pd.array(listed.fillna(False).astype(bool), dtype="boolean")
        by_lookup[listed.isna().to_numpy()] = pd.NA
        local[is_full] = by_lookup[is_full]
    frame["local"] = local
    kind = frame["supplier_type"].astype(object).where(frame["supplier_type"].notna(), "")
    kind = kind.astype(str).str.strip().str.lower()
    vcfs = pd.array(kind.eq("vcfs"), dtype="boolean")
    vcfs[~kind.isin(SUPPLIER_TYPES).to_numpy()] = pd.NA
    frame["vcfs"] = vcfs
    frame["sme"] = pd.array(frame["supplier_sme"].map(_as_bool), dtype="boolean")
    # Kleene logic: not VCFS (or not local) is enough to say "not local VCFS".
    frame["local_vcfs"] = frame["local"] & frame["vcfs"]
    # Redacted payments are their own class: never local, SME or VCFS by inference.
    for flag in FLAGS:
        frame.loc[frame["redacted"], flag] = pd.NA
    return frame.drop(columns=["supplier_sme"])


ATTRS = ("postcode", "type", "sme")


def _as_bool(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1"}:
        return True
    if text in {"no", "n", "false", "0"}:
        return False
    return pd.NA


FLAGS = ("local", "vcfs", "local_vcfs", "sme")


def spend_shares(classified: pd.DataFrame) -> pd.DataFrame:
    """Per financial year: total spend, payments, suppliers, the redacted share, the match rate,
    and for each flag the share of total spend (percent), the unclassified share (supplier not
    matched, or postcode, type or size unknown; redacted spend not included: it has its own
    share), and the share among classified spend.

    `matched_share` is the match rate: the share of the spend that names a supplier (redacted
    spend left out) whose supplier was found in the register.
    """
    frame = classified[classified["period"].notna() & classified["amount"].notna()]
    cols = ["period", "total_gbp", "payments", "suppliers", "matched_share"]
    cols += ["redacted_gbp", "redacted_payments", "redacted_share"]
    cols += [f"{f}_{s}" for f in FLAGS for s in ("share", "unclassified_share", "classified_share")]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    is_redacted = frame["redacted"].to_numpy(dtype=bool)
    parts = {
        "amount": frame["amount"],
        "_matched": frame["amount"].where(frame["matched_by"].notna(), 0.0),
        "_redacted": frame["amount"].where(is_redacted, 0.0),
        "_redacted_n": pd.Series(is_redacted.astype("int64"), index=frame.index),
    }
    for flag in FLAGS:
        yes = frame[flag].fillna(False).to_numpy(dtype=bool)
        unknown = frame[flag].isna().to_numpy() & ~is_redacted
        parts[f"_{flag}_yes"] = frame["amount"].where(yes, 0.0)
        parts[f"_{flag}_unk"] = frame["amount"].where(unknown, 0.0)
    named = frame["supplier_name"].where(~is_redacted)
    work = pd.DataFrame(parts).assign(period=frame["period"], _supplier=named)
    grouped = work.groupby("period", sort=True)
    sums = grouped.sum(numeric_only=True)
    out = pd.DataFrame(index=sums.index)
    out["total_gbp"] = sums["amount"]
    out["payments"] = grouped.size()
    out["suppliers"] = grouped["_supplier"].nunique()
    out["redacted_gbp"] = sums["_redacted"]
    out["redacted_payments"] = sums["_redacted_n"].astype("int64")
    total = sums["amount"].where(sums["amount"] > 0)
    named_total = (sums["amount"] - sums["_redacted"]).where(lambda v: v > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["matched_share"] = sums["_matched"] / named_total * 100
        out["redacted_share"] = sums["_redacted"] / total * 100
        for flag in FLAGS:
            yes, unk = sums[f"_{flag}_yes"], sums[f"_{flag}_unk"]
            classified_total = (sums["amount"] - unk - sums["_redacted"]).where(lambda s: s > 0)
            out[f"{flag}_share"] = yes / total * 100
            out[f"{flag}_unclassified_share"] = unk / total * 100
            out[f"{flag}_classified_share"] = yes / classified_total * 100
    out = out.reset_index()[cols]
    # Year-on-year change of each share, in percentage points, against the previous financial
    # year only (a gap year gives NaN, not a change over two years).
    prev = out.assign(period=following_series(out["period"]))
    merged = out[["period"]].merge(prev, on="period", how="left", suffixes=("", "_prev"))
    for flag in FLAGS:
        out[f"{flag}_share_change_pts"] = (
            out[f"{flag}_share"] - merged[f"{flag}_share"]
        ).to_numpy()
    return out


def unmatched_suppliers(classified: pd.DataFrame) -> pd.DataFrame:
    """Suppliers paid but not found in the register, most spend first: `supplier_id`, `name`,
    `company_number`, `charity_number`, `payments`, `spend_gbp`, `first_paid`, `last_paid`.

    Grouped on the normalised name (and id), so `ACME LTD` and `Acme Limited` are one line;
    the name shown is the spelling with the most spend. Redacted payments are not listed.
    """
    frame = classified[classified["matched_by"].isna() & ~classified["redacted"].astype(bool)]
    cols = [
        "supplier_id",
        "name",
        "company_number",
        "charity_number",
        "payments",
        "spend_gbp",
        "first_paid",
        "last_paid",
    ]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    work = pd.DataFrame(
        {
            "_key": normalise_name(frame["supplier_name"]).fillna("")
            + "\0"
            + _norm_id(frame["supplier_id"]).fillna(""),
            "supplier_id": _norm_id(frame["supplier_id"]),
            "name": frame["supplier_name"].astype(object),
            "company_number": frame["company_number"].astype(object),
            "charity_number": frame["charity_number"].astype(object),
            "amount": frame["amount"].astype("float64"),
            "date": pd.to_datetime(frame["date"]),
        }
    )
    spelling = (
        work.groupby(["_key", "name"], sort=False)["amount"]
        .sum()
        .reset_index()
        .sort_values(["_key", "amount"], ascending=[True, False], kind="stable")
        .drop_duplicates("_key")
        .set_index("_key")["name"]
    )
    grouped = work.groupby("_key", sort=False)
    out = pd.DataFrame(
        {
            "supplier_id": grouped["supplier_id"].first(),
            "name": spelling,
            "company_number": grouped["company_number"].first(),
            "charity_number": grouped["charity_number"].first(),
            "payments": grouped.size(),
            "spend_gbp": grouped["amount"].sum().round(2),
            "first_paid": grouped["date"].min().dt.date,
            "last_paid": grouped["date"].max().dt.date,
        }
    )
    out = out.sort_values(["spend_gbp", "name"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)[cols]


#: Council-level framework measures computed from spend: the measure and the flag behind it.
COUNCIL_MEASURES = {"CS2-02": "local", "CS2-03": "local_vcfs"}


def council_measure_rows(shares: pd.DataFrame, theme_of: dict[str, str]) -> pd.DataFrame:
    """Rows for the measures table at level `council`: the share of all spend (percent).

    The value is a lower bound: unclassified spend is not counted as local; `unclassified_share`
    (percent of all spend, redacted spend included) is stored beside it. `n_returns` is the
    number of payments and `partners_covered` the number of suppliers paid.
    """
    rows = []
    for measure, flag in COUNCIL_MEASURES.items():
        if measure not in theme_of:
            continue
        for r in shares.itertuples():
            rows.append(
                {
                    "level": "council",
                    "partner_id": None,
                    "contract_id": None,
                    "theme": theme_of[measure],
                    "measure_id": measure,
                    "period": r.period,
                    "value": float(getattr(r, f"{flag}_share")),
                    # Spend the figure could not classify (unmatched, unknown, redacted): the
                    # true share lies between `value` and `value + unclassified_share`.
                    "unclassified_share": float(getattr(r, f"{flag}_unclassified_share"))
                    + float(r.redacted_share),
                    "n_returns": int(r.payments),
                    "partners_covered": int(r.suppliers),
                    "target": np.nan,
                }
            )
    return pd.DataFrame(rows)


#: How many unmatched suppliers findings.json lists (the CSV of `svf suppliers` has them all).
TOP_UNMATCHED = 10


def spend_findings(
    shares: pd.DataFrame, unmatched: pd.DataFrame | None = None
) -> dict[str, object]:
    """The `spend` block of `findings.json`: shares per financial year (percent, 2 d.p.) and
    the suppliers with the most spend not found in the register."""

    def clean(v: object) -> object:
        if isinstance(v, float | np.floating):
            return None if np.isnan(v) else round(float(v), 2)
        if isinstance(v, np.integer):
            return int(v)
        return v

    return {
        "basis": (
            "Share of all spend in the financial year, percent. Unclassified spend (supplier not "
            "in the register, or postcode, type or size unknown) is reported, never guessed."
        ),
        "by_period": {
            str(r["period"]): {k: clean(v) for k, v in r.items() if k != "period"}
            for r in shares.to_dict("records")
        },
        "unmatched_suppliers": len(unmatched) if unmatched is not None else 0,
        "top_unmatched": [
            {"name": r["name"], "payments": int(r["payments"]), "spend_gbp": clean(r["spend_gbp"])}
            for r in (
                unmatched.head(TOP_UNMATCHED) if unmatched is not None else pd.DataFrame()
            ).to_dict("records")
        ],
    }


def spend_reading(validation: dict[str, Any], quarantine: pd.DataFrame) -> dict[str, Any]:
    """What validation did with the cycle's spend files, for the report: per file the lines read,
    clean and quarantined, the file's refusal reason if refused, and the reasons lines were
    quarantined (by rule, with a count and one example)."""
    files = [f for f in validation.get("files", []) if f.get("kind") == "spend"]
    q = quarantine[(quarantine["kind"] == "spend") & quarantine["source_row"].notna()]
    reasons: dict[str, list[dict[str, Any]]] = {}
    q = q.assign(column=q["column"].fillna("") if "column" in q else "")
    for (file, column, rule), group in q.groupby(
        ["source_file", "column", "expectation"], sort=True
    ):
        reasons.setdefault(str(file), []).append(
            {
                "rule": str(rule),
                "column": str(column) or None,
                "lines": int(len(group)),
                "example_row": int(group["source_row"].iloc[0]),
                "example": str(group["reason"].iloc[0]),
            }
        )
    return {
        "files": [
            {
                "file": f["file"],
                "lines": int(f.get("rows") or 0),
                "clean": int(f.get("clean") or 0),
                "quarantined": int(f.get("quarantined") or 0),
                "refused": f.get("file_error"),
                "header_row": f.get("header_row"),
                "reasons": sorted(reasons.get(f["file"], []), key=lambda r: -r["lines"]),
            }
            for f in files
        ]
    }
