"""The council's long lists: every row, in the order a reader acts on them.

Five lists in the council's report grow with the number of partners or contracts: returns to
chase, contracts for enforcement, partners to endorse, every partner's status and the contracts
that commit to no outcome. At 2,000 partners they were 4,500 table rows and 100 pages of PDF. The
report now shows the first `report.council_list_rows` rows of each (`sections.council`), followed
by a sentence naming the total and the workbook `council-lists.xlsx`, which the report stage
writes beside the council's report with every row of every list (`pipeline.report.annex`).

Both take their rows from here, so the report's rows are the workbook's first rows, in the same
order. Each list's order is stated in `CouncilList.order` (and shown on the workbook's About
sheet):

- returns to chase: the largest contracts first (the most committed social value waiting for a
  figure), then contract and measure;
- contracts for enforcement: the longest run off track first, then runs judged against a
  committed target in every year (firmer ground for contract management) before those judged on
  a fall, then the largest contracts;
- partners to endorse: the largest value of contracts first (the endorsements that matter most);
- partners: the worst overall status first (off track, no return, at risk, on track, no target,
  no data: `pipeline.core.status.SEVERITY`), then the most rows rejected, then partner id;
- contracts without outcomes: the largest contracts first.

Council only: a partner's report never calls these (its view holds only its own rows anyway).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.core.status import NO_DATA, SEVERITY, partner_overall
from pipeline.report.views import AudienceView


@dataclass(frozen=True)
class Field:
    """A column of a list: its key in each row, its heading and what its cells hold.

    `kind`: `text` (partner-typed or other words: always stored as text), `id`, `count` (a whole
    number), `money` (pounds), `date`, or `yes_no` (the words yes and no)."""

    key: str
    heading: str
    kind: str = "text"
    #: Column width in the workbook, in characters.
    width: float = 14


@dataclass(frozen=True)
class CouncilList:
    """One list: every row (dicts keyed by `Field.key`, typed values), in the order stated."""

    key: str
    #: The list's name: the report's heading and the workbook's sheet (at most 31 characters).
    title: str
    #: What one row is, for the workbook's About sheet.
    lists: str
    #: The order of the rows, in words ("largest contracts first").
    order: str
    fields: tuple[Field, ...]
    rows: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.rows)


CONTRACT = Field("contract_id", "Contract", "id", 12)
PARTNER = Field("partner_id", "Partner", "id", 10)
PARTNER_NAME = Field("partner_name", "Partner name", "text", 36)
MEASURE = Field("measure_id", "Measure", "id", 10)
MEASURE_NAME = Field("measure_name", "Measure name", "text", 40)
VALUE = Field("value_gbp", "Contract value (£)", "money", 16)
START = Field("start", "Contract start", "date", 14)
END = Field("end", "Contract end", "date", 14)


def _names(view: AudienceView) -> dict[str, str]:
    p = view.partners
    return {str(k): str(v) for k, v in zip(p["partner_id"], p["name"], strict=True)}


def _measure_names(view: AudienceView) -> dict[str, str]:
    return {m.id: m.short for m in view.framework.measures}


def _date(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp.date()


def _money(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _contracts(view: AudienceView) -> dict[str, dict[str, Any]]:
    """Each contract's value, start and end, by contract id."""
    c = view.contracts
    out: dict[str, dict[str, Any]] = {}
    for cid, value, start, end in zip(
        c["contract_id"], c["value_gbp"], c["start"], c["end"], strict=True
    ):
        out[str(cid)] = {"value_gbp": _money(value), "start": _date(start), "end": _date(end)}
    return out


def _partner_contracts(view: AudienceView) -> dict[str, tuple[int, float]]:
    """Each partner's number of contracts in the register and their total value."""
    c = view.contracts
    out: dict[str, tuple[int, float]] = {}
    for pid, value in zip(c["partner_id"], c["value_gbp"], strict=True):
        n, total = out.get(str(pid), (0, 0.0))
        out[str(pid)] = (n + 1, total + (_money(value) or 0.0))
    return out


def _largest_first(value: float | None) -> float:
    """Sort key: the largest value first, a contract without a value last."""
    return -value if value is not None else float("inf")


def returns_to_chase(view: AudienceView) -> CouncilList:
    names, measures, contracts = _names(view), _measure_names(view), _contracts(view)
    rows: list[dict[str, Any]] = []
    for e in view.findings.missing_returns:
        c = contracts.get(e.contract_id, {})
        rows.append(
            {
                "contract_id": e.contract_id,
                "partner_id": e.partner_id,
                "partner_name": names.get(e.partner_id, ""),
                "measure_id": e.measure_id,
                "measure_name": measures.get(e.measure_id, ""),
                "period": e.period,
                "reported_before": "yes" if e.reported_before else "no",
                **{k: c.get(k) for k in ("value_gbp", "start", "end")},
            }
        )
    rows.sort(key=lambda r: (_largest_first(r["value_gbp"]), r["contract_id"], r["measure_id"]))
    return CouncilList(
        key="chase",
        title="Returns to chase",
        lists=(
            f"Committed measures with no return for {view.latest_period}: the contract committed "
            "to the measure and was running (or reported it last year), and nothing came. Chase "
            "the return; a missing return is not counted as zero."
        ),
        order="largest contracts first",
        fields=(
            CONTRACT,
            PARTNER,
            PARTNER_NAME,
            MEASURE,
            MEASURE_NAME,
            Field("period", "Year", "id", 10),
            Field("reported_before", "Returned in an earlier year", "yes_no", 14),
            VALUE,
            START,
            END,
        ),
        rows=rows,
    )


def contracts_for_enforcement(view: AudienceView) -> CouncilList:
    names, measures, contracts = _names(view), _measure_names(view), _contracts(view)
    rows: list[dict[str, Any]] = []
    for e in view.findings.enforcement:
        if not e.current:
            continue
        c = contracts.get(e.contract_id, {})
        rows.append(
            {
                "contract_id": e.contract_id,
                "partner_id": e.partner_id,
                "partner_name": names.get(e.partner_id, ""),
                "measure_id": e.measure_id,
                "measure_name": measures.get(e.measure_id, ""),
                "years_off_track": len(e.periods),
                "periods": ", ".join(e.periods),
                "against_target": "yes" if e.against_target else "no",
                **{k: c.get(k) for k in ("value_gbp", "start", "end")},
            }
        )
    rows.sort(
        key=lambda r: (
            -r["years_off_track"],
            r["against_target"] != "yes",
            _largest_first(r["value_gbp"]),
            r["contract_id"],
            r["measure_id"],
        )
    )
    return CouncilList(
        key="enforcement",
        title="Contracts for enforcement",
        lists=(
            f"Contract measures off track in two or more consecutive years up to "
            f"{view.latest_period}: the partner returned, and fell short. The action is contract "
            "management. Against target: every one of those years was judged against a "
            "committed target (otherwise on a fall since the year before)."
        ),
        order=(
            "longest off track first, then those judged against a target, then largest "
            "contracts first"
        ),
        fields=(
            CONTRACT,
            PARTNER,
            PARTNER_NAME,
            MEASURE,
            MEASURE_NAME,
            Field("years_off_track", "Years off track", "count", 10),
            Field("periods", "Years", "text", 22),
            Field("against_target", "Against target", "yes_no", 10),
            VALUE,
            START,
            END,
        ),
        rows=rows,
    )


def partners_to_endorse(view: AudienceView) -> CouncilList:
    names, held = _names(view), _partner_contracts(view)
    rows: list[dict[str, Any]] = []
    for p in view.findings.endorsement:
        n, total = held.get(str(p), (0, 0.0))
        rows.append(
            {
                "partner_id": str(p),
                "partner_name": names.get(str(p), ""),
                "contracts": n,
                "value_gbp": total,
            }
        )
    rows.sort(key=lambda r: (_largest_first(r["value_gbp"]), r["partner_id"]))
    return CouncilList(
        key="endorse",
        title="Partners to endorse",
        lists=(
            f"Partners with every measure that has a target on track in {view.latest_period}, "
            "and no committed return missing."
        ),
        order="largest value of contracts first",
        fields=(
            PARTNER,
            PARTNER_NAME,
            Field("contracts", "Contracts", "count", 10),
            Field("value_gbp", "Value of contracts (£)", "money", 18),
        ),
        rows=rows,
    )


def partner_statuses(view: AudienceView, overall: dict[str, str]) -> CouncilList:
    """Every partner's overall status (`overall`: the same rule as the index and the partner's
    own report) and the rows it sent."""
    held = _partner_contracts(view)
    quality = view.validation.get("partners") or {}
    rank = {s: i for i, s in enumerate(SEVERITY)}
    rows: list[dict[str, Any]] = []
    for pid, name in _names(view).items():
        q = quality.get(pid, {})
        n, total = held.get(pid, (0, 0.0))
        rows.append(
            {
                "partner_id": pid,
                "partner_name": name,
                "status": overall.get(pid, NO_DATA),
                "rows": _count(q.get("rows")),
                "quarantined": _count(q.get("quarantined")),
                "contracts": n,
                "value_gbp": total,
            }
        )
    rows.sort(key=lambda r: (rank.get(r["status"], len(rank)), -r["quarantined"], r["partner_id"]))
    return CouncilList(
        key="partners",
        title="Partners",
        lists=(
            f"Every registered partner: its overall status in {view.latest_period} (the worst "
            "status among its measures, the rule every report uses), the rows it sent and the "
            "rows rejected."
        ),
        order="worst status first, then most rows rejected",
        fields=(
            PARTNER,
            PARTNER_NAME,
            Field("status", "Overall status", "text", 14),
            Field("rows", "Rows sent", "count", 10),
            Field("quarantined", "Rows rejected", "count", 10),
            Field("contracts", "Contracts", "count", 10),
            Field("value_gbp", "Value of contracts (£)", "money", 18),
        ),
        rows=rows,
    )


def _count(value: Any) -> int:
    number = _money(value)
    return 0 if number is None else int(number)


def contracts_without_outcomes(view: AudienceView) -> CouncilList:
    names, contracts = _names(view), _contracts(view)
    rows: list[dict[str, Any]] = []
    for c in view.findings.gaps.contracts_without_outcomes:
        held = contracts.get(c.contract_id, {})
        rows.append(
            {
                "contract_id": c.contract_id,
                "partner_id": c.partner_id,
                "partner_name": names.get(c.partner_id, ""),
                "title": "" if c.title is None else str(c.title),
                **{k: held.get(k) for k in ("value_gbp", "start", "end")},
            }
        )
    rows.sort(key=lambda r: (_largest_first(r["value_gbp"]), r["contract_id"]))
    return CouncilList(
        key="no-outcomes",
        title="Contracts without outcomes",
        lists=(
            f"Current contracts in {view.latest_period} that commit to no outcome measure of the "
            "framework."
        ),
        order="largest contracts first",
        fields=(
            CONTRACT,
            PARTNER,
            PARTNER_NAME,
            Field("title", "Contract title", "text", 36),
            VALUE,
            START,
            END,
        ),
        rows=rows,
    )


def council_lists(view: AudienceView) -> list[CouncilList]:
    """Every long list of the council's report, in the report's order, every row."""
    return [
        contracts_without_outcomes(view),
        returns_to_chase(view),
        contracts_for_enforcement(view),
        partners_to_endorse(view),
        partner_statuses(view, partner_overall(view.measures, view.latest_period)),
    ]
