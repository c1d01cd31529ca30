"""`svf suppliers`: the supplier register to complete, from the cycle's clean spend.

Spend files name suppliers but carry no postcode, type or size, so every payment whose supplier
is missing from `suppliers.csv` is unclassified. This writes the register back out with the
unmatched suppliers first, most spend first, their postcode, type and SME columns empty to fill
in; saved as `data/raw/<cycle>/suppliers.csv` it becomes the register of the next run. The
columns after `charity_number` (payments, spend, dates, status) are there to help and are
ignored when the file is read back as a register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_csv
from pipeline.core.errors import UserError
from pipeline.core.paths import CyclePaths
from pipeline.outcomes.spend import classify_spend, normalise_name, unmatched_suppliers

REGISTER_COLUMNS = (
    "supplier_id",
    "name",
    "postcode",
    "type",
    "sme",
    "company_number",
    "charity_number",
)
HELP_COLUMNS = ("payments", "spend_gbp", "first_paid", "last_paid", "status")
TO_COMPLETE = "to complete"
IN_REGISTER = "in register"


@dataclass(frozen=True)
class SupplierWorklist:
    path: Path
    table: pd.DataFrame
    unmatched: int
    unmatched_gbp: float
    match_rate: float | None  # percent of the spend naming a supplier that was matched


def name_id(name: object) -> str:
    """An id made from a supplier's normalised name, for files that publish no supplier id."""
    norm = normalise_name(pd.Series([name], dtype=object)).iloc[0] or "unnamed"
    return "name:" + re.sub(r"[^a-z0-9]+", "-", str(norm)).strip("-")[:60]


def supplier_worklist(paths: CyclePaths, out: Path | None = None) -> SupplierWorklist:
    """Write the register to complete (default `reports/<cycle>/suppliers-to-complete.csv`)."""
    spend_path = paths.clean_table("spend")
    if not spend_path.exists():
        raise UserError(f"{spend_path}: not found; run `svf validate --cycle {paths.cycle}` first")
    spend = pd.read_parquet(spend_path)
    if spend.empty:
        raise UserError(
            f"{spend_path}: no clean spend lines in cycle {paths.cycle}; nothing to match "
            "(see the data-quality summary for spend files that were refused)"
        )
    reg_path = paths.clean_table("suppliers")
    register = pd.read_parquet(reg_path) if reg_path.exists() else None
    classified = classify_spend(spend, register, frozenset())
    unmatched = unmatched_suppliers(classified)
    todo = unmatched.copy()
    todo["supplier_id"] = [
        sid if isinstance(sid, str) and sid else name_id(name)
        for sid, name in zip(todo["supplier_id"], todo["name"], strict=True)
    ]
    for col in ("postcode", "type", "sme"):
        todo[col] = None
    todo["status"] = TO_COMPLETE
    frames = [todo]
    if register is not None and not register.empty:
        known = register.copy()
        matched = classified[classified["matched_by"].notna()]
        # Spend per register entry, through the same match (id first, then name).
        paid = classified.loc[matched.index].assign(_key=_register_key(matched, register))
        sums = paid.groupby("_key").agg(
            payments=("amount", "size"),
            spend_gbp=("amount", "sum"),
            first_paid=("date", "min"),
            last_paid=("date", "max"),
        )
        known = known.join(sums, on="supplier_id")
        known["spend_gbp"] = known["spend_gbp"].round(2)
        known["payments"] = known["payments"].fillna(0).astype("int64")
        for col in ("first_paid", "last_paid"):
            known[col] = pd.to_datetime(known[col]).dt.date
        known["status"] = IN_REGISTER
        frames.append(known)
    table = pd.concat(frames, ignore_index=True)
    for col in (*REGISTER_COLUMNS, *HELP_COLUMNS):
        if col not in table:
            table[col] = None
    table = table[[*REGISTER_COLUMNS, *HELP_COLUMNS]]
    target = out or paths.reports / "suppliers-to-complete.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_csv(target, table)
    named = classified.loc[~classified["redacted"].astype(bool), "amount"].sum()
    matched_gbp = classified.loc[classified["matched_by"].notna(), "amount"].sum()
    return SupplierWorklist(
        target,
        table,
        len(unmatched),
        float(unmatched["spend_gbp"].sum()) if len(unmatched) else 0.0,
        float(matched_gbp / named * 100) if named > 0 else None,
    )


def _register_key(matched: pd.DataFrame, register: pd.DataFrame) -> pd.Series:
    """The register's supplier_id behind each matched payment (id, numbers or name)."""
    from pipeline.outcomes.spend import _NORMALISERS, MATCH_KEYS, MATCH_LABEL

    out = pd.Series(None, index=matched.index, dtype=object)
    for spend_col, reg_col, how in MATCH_KEYS:
        rows = matched["matched_by"] == MATCH_LABEL[spend_col]
        if not rows.any() or reg_col not in register:
            continue
        norm = _NORMALISERS[how]
        lookup = (
            register.assign(_k=norm(register[reg_col]))
            .dropna(subset=["_k"])
            .drop_duplicates("_k", keep=False)
            .set_index("_k")["supplier_id"]
        )
        keys = norm(matched.loc[rows, spend_col])
        found = keys.map(lookup).dropna()
        found = found[out[found.index].isna()]
        out[found.index] = found
    return out
