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

import numpy as np
import pandas as pd

from pipeline.errors import UserError
from pipeline.periods import following_series, of_dates

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


def postcode_district(postcodes: pd.Series) -> pd.Series:
    """The district (outward code, `RM17`) of each postcode; None when it is not a postcode."""
    text = postcodes.astype(object).where(postcodes.notna(), "").astype(str)
    text = text.str.upper().str.replace(r"\s+", "", regex=True)
    full = text.str.extract(FULL_POSTCODE)[0]
    outward_only = text.where(text.str.match(DISTRICT))
    district = full.fillna(outward_only)
    return district.astype(object).where(district.notna(), None)


def normalise_name(names: pd.Series) -> pd.Series:
    """A supplier name reduced for matching: case, punctuation, '&' and legal forms ignored."""
    text = names.astype(object).where(names.notna(), "").astype(str).str.lower()
    text = text.str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[^a-z0-9 ]+", " ", regex=True)
    text = text.str.replace(LEGAL_FORMS, " ", regex=True)
    text = text.str.split().str.join(" ")
    return text.where(text != "", None)


def _norm_id(ids: pd.Series) -> pd.Series:
    text = ids.astype(object).where(ids.notna(), "").astype(str).str.strip().str.upper()
    return text.where(text != "", None)


def classify_spend(
    spend: pd.DataFrame,
    suppliers: pd.DataFrame | None,
    local_districts: frozenset[str],
    postcode_lookup: pd.Series | None = None,
) -> pd.DataFrame:
    """Each payment with its financial year, how its supplier was matched, and three-valued
    flags (`local`, `vcfs`, `sme`, `local_vcfs`: True, False or NA = unclassified)."""
    frame = spend[["date", "amount", "supplier_name"]].copy()
    frame["supplier_id"] = spend.get("supplier_id")
    frame["period"] = of_dates(frame["date"])
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce")
    register = (
        suppliers.copy()
        if suppliers is not None
        else pd.DataFrame(columns=["supplier_id", "name", "postcode", "type", "sme"])
    )
    for col in ("postcode", "type", "sme"):
        if col not in register:
            register[col] = None
    register["_id"] = _norm_id(register["supplier_id"])
    register["_name"] = normalise_name(register["name"])
    register = register[register["_id"].isna() | ~register["_id"].duplicated()]
    by_id = register.dropna(subset=["_id"]).set_index("_id")
    # A name shared by two register entries identifies neither.
    unique_names = register.dropna(subset=["_name"]).drop_duplicates("_name", keep=False)
    by_name = unique_names.set_index("_name")
    key_id = _norm_id(frame["supplier_id"])
    hit_id = key_id.isin(by_id.index)
    key_name = normalise_name(frame["supplier_name"])
    hit_name = ~hit_id & key_name.isin(by_name.index)
    matched = np.full(len(frame), None, dtype=object)
    matched[hit_id.to_numpy()] = "id"
    matched[hit_name.to_numpy()] = "name"
    frame["matched_by"] = pd.Series(matched, index=frame.index, dtype=object)
    for col in ("postcode", "type", "sme"):
        values = pd.Series(None, index=frame.index, dtype=object)
        values[hit_id] = key_id[hit_id].map(by_id[col]).to_numpy()
        values[hit_name] = key_name[hit_name].map(by_name[col]).to_numpy()
        frame[f"supplier_{col}"] = values
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
    return frame.drop(columns=["supplier_sme"])


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
    """Per financial year: total spend, payments, and for each flag the share of total spend
    (percent), the unclassified share, and the share among classified spend."""
    frame = classified[classified["period"].notna() & classified["amount"].notna()]
    cols = ["period", "total_gbp", "payments", "suppliers", "matched_share"]
    cols += [f"{f}_{s}" for f in FLAGS for s in ("share", "unclassified_share", "classified_share")]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    parts = {
        "amount": frame["amount"],
        "_matched": frame["amount"].where(frame["matched_by"].notna(), 0.0),
    }
    for flag in FLAGS:
        yes = frame[flag].fillna(False).to_numpy(dtype=bool)
        unknown = frame[flag].isna().to_numpy()
        parts[f"_{flag}_yes"] = frame["amount"].where(yes, 0.0)
        parts[f"_{flag}_unk"] = frame["amount"].where(unknown, 0.0)
    work = pd.DataFrame(parts).assign(period=frame["period"], _supplier=frame["supplier_name"])
    grouped = work.groupby("period", sort=True)
    sums = grouped.sum(numeric_only=True)
    out = pd.DataFrame(index=sums.index)
    out["total_gbp"] = sums["amount"]
    out["payments"] = grouped.size()
    out["suppliers"] = grouped["_supplier"].nunique()
    total = sums["amount"].where(sums["amount"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["matched_share"] = sums["_matched"] / total * 100
        for flag in FLAGS:
            yes, unk = sums[f"_{flag}_yes"], sums[f"_{flag}_unk"]
            classified_total = (sums["amount"] - unk).where(lambda s: s > 0)
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


#: Council-level framework measures computed from spend: the measure and the flag behind it.
COUNCIL_MEASURES = {"CS2-02": "local", "CS2-03": "local_vcfs"}


def council_measure_rows(shares: pd.DataFrame, theme_of: dict[str, str]) -> pd.DataFrame:
    """Rows for the measures table at level `council`: the share of all spend (percent).

    The value is a lower bound: unclassified spend is not counted as local. `n_returns` is the
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
                    "n_returns": int(r.payments),
                    "partners_covered": int(r.suppliers),
                    "target": np.nan,
                }
            )
    return pd.DataFrame(rows)


def spend_findings(shares: pd.DataFrame) -> dict[str, object]:
    """The `spend` block of `findings.json`: shares per financial year (percent, 2 d.p.)."""

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
    }
