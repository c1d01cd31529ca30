"""A partner's sections of the health check: its summary, commitments, returns year by year,
comments, social value, rejected rows and the borough figures it may see."""

from __future__ import annotations

import pandas as pd

from pipeline.core.status import (
    AT_RISK,
    NO_DATA,
    NO_RETURN,
    NO_TARGET,
    OFF_TRACK,
    ON_TRACK,
    Status,
    status_label,
)
from pipeline.report import blocks as rb
from pipeline.report import charts
from pipeline.report.blocks import Blocks
from pipeline.report.sections.common import (
    as_number,
    counted,
    direction_words,
    fmt,
    fmt_change,
    fmt_pct,
    fmt_share,
    latest_rows,
    measure_of,
    measure_table,
    overall_of,
    ranked_changes,
    rows_at,
    short_name,
    sorted_ids,
    text_of,
    trend_series,
    tuples,
)
from pipeline.report.views import AudienceView, suppressed_reason


def _committed(view: AudienceView) -> list[str]:
    ids: set[str] = set()
    for v in view.contracts["outcome_measures"].fillna(""):
        ids.update(x.strip() for x in str(v).split(";") if x.strip())
    return sorted(ids)


def partner_summary(view: AudienceView) -> Blocks:
    mine = latest_rows(rows_at(view, "partner"), view)
    committed = _committed(view)
    counts = mine["status"].value_counts()
    overall = overall_of(view).get(view.audience, NO_DATA)
    sv = view.findings.social_value.by_partner.get(view.audience)
    rejected = len(view.quarantine)
    sent = as_number(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows"))
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(partner_sentences(view)),
        rb.kpis(
            [
                ("Overall status", status_label(overall), f"in {view.latest_period}"),
                (
                    "On track",
                    f"{int(counts.get(ON_TRACK, 0))} of {len(mine)}",
                    f"measures for {view.latest_period} ({len(committed)} committed across "
                    f"{counted(len(view.contracts), 'contract')})",
                ),
                # No return is not zero: without a figure there is no estimate to show.
                (
                    "Social value",
                    "—" if as_number(sv) is None else fmt(as_number(sv), "GBP"),
                    "estimated from proxy values"
                    if as_number(sv) is not None
                    else "none estimated: no figure with a proxy value",
                ),
                (
                    ("Rows rejected", f"{rejected} of {int(sent)}", "rows you sent")
                    if sent
                    else ("Rows received", "none", "you sent no rows this cycle")
                ),
            ]
        ),
    ]
    if not mine.empty:
        table = measure_table(view, mine, coverage=False)
        table["caption"] = f"Your figures for {view.latest_period} against your targets"
        blocks.append(table)
        items = [
            (
                r.measure_id,
                short_name(view, r.measure_id),
                float(r.achieved_share),
                str(r.status),
            )
            for r in tuples(mine.sort_values("measure_id"))
            if as_number(r.achieved_share) is not None
        ]
        if items:
            blocks.append(
                charts.target_chart(f"Your target against actual, {view.latest_period}", items)
            )
    else:
        blocks.append(rb.note(f"We have no return from you for {view.latest_period}."))
    return Blocks(blocks)


def partner_sentences(view: AudienceView) -> list[str]:
    """The plain sentences a partner reads first; each states a number shown further down."""
    latest = view.latest_period
    mine = latest_rows(rows_at(view, "partner"), view)
    overall = overall_of(view).get(view.audience, NO_DATA)
    counts = mine["status"].value_counts()
    out = []
    if mine.empty:
        out.append(f"We have no figures from you for {latest}.")
    else:
        parts = [
            f"{int(counts.get(s, 0))} {s}"
            for s in (ON_TRACK, AT_RISK, OFF_TRACK, NO_RETURN, NO_TARGET)
            if counts.get(s, 0)
        ]
        out.append(
            f"Your overall status for {latest} is {overall}: of your {counted(len(mine), 'measure')}, "
            + ", ".join(parts)
            + "."
        )
    missing = mine[mine["status"].eq(NO_RETURN)]
    if not missing.empty:
        out.append(
            f"We have no {latest} return for {counted(len(missing), 'measure')} you committed to: "
            + ", ".join(sorted_ids(missing["measure_id"]))
            + ". Please send them: a missing return is not counted as zero."
        )
    comparable, _ = ranked_changes(rows_at(view, "partner"), view)
    judged = [(r, direction_words(view, r)) for r in tuples(comparable)]
    for word, want in (("improvement", "better"), ("decline", "worse")):
        hit = next((r for r, d in judged if d == want), None)
        if hit is not None:
            out.append(
                f"Your biggest like-for-like {word} since last year was {hit.measure_id} "
                f"{short_name(view, hit.measure_id)}: {fmt_pct(hit.lfl_yoy_pct)}."
            )
    sv = as_number(view.findings.social_value.by_partner.get(view.audience))
    if sv is not None:
        out.append(
            f"Your figures for {latest} are worth an estimated {fmt(sv, 'GBP')} in social value."
        )
    enforcement = [e for e in view.findings.enforcement if e.current]
    if enforcement:
        out.append(
            f"{len(enforcement)} of your contract measures "
            f"{'has' if len(enforcement) == 1 else 'have'} been off track two years running ("
            + ", ".join(f"{e.contract_id} {e.measure_id}" for e in enforcement)
            + "); the council may raise them under the contract."
        )
    if view.audience in view.findings.endorsement:
        out.append(
            "Every measure you reported against a target is on track and no committed return "
            "is missing: the council will endorse your contribution."
        )
    rejected = len(view.quarantine)
    sent = int(
        as_number(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows"))
        or 0
    )
    if sent == 0:
        out.append("We received no rows from you in this review cycle.")
    elif rejected:
        out.append(
            f"We could not accept {rejected} of the {counted(sent, 'row')} you sent; they are listed with "
            "the reason under 'Returns we could not accept'."
        )
    else:
        out.append(
            "We accepted the one row you sent."
            if sent == 1
            else f"We accepted all {sent} rows you sent."
        )
    return out


def partner_commitments(view: AudienceView) -> Blocks:
    rows = []
    for c in tuples(view.contracts.sort_values("contract_id")):
        measures = [x.strip() for x in str(c.outcome_measures or "").split(";") if x.strip()]
        rows.append(
            [
                c.contract_id,
                c.title,
                fmt(as_number(c.value_gbp), "GBP"),
                "; ".join(f"{m} {short_name(view, m)}" for m in measures) or "none",
                "yes" if bool(c.linked_to_subject_matter) else "no (contract terms)",
            ]
        )
    if not rows:
        return Blocks([rb.note("No contracts are on record for you in this cycle.")])
    return Blocks(
        [
            rb.table(
                [
                    "Contract",
                    "Title",
                    rb.num("Value"),
                    "Committed measures",
                    "Linked to subject matter",
                ],
                rows,
                caption="Your contracts and the outcomes you committed to",
                widths=(0.9, 1.8, 1, 2.8, 1.1),
            )
        ]
    )


def partner_history(view: AudienceView) -> Blocks:
    """Every measure the partner reported or owed, year by year, with its trend."""
    rows = rows_at(view, "partner")
    mids = sorted_ids(rows["measure_id"])
    if not mids:
        return Blocks([rb.note("No returns on record.")])
    body = []
    for r in tuples(rows.sort_values(["measure_id", "period"])):
        m = measure_of(view, r.measure_id)
        unit = m.unit if m else "count"
        body.append(
            [
                r.measure_id,
                r.period,
                fmt(as_number(r.value), unit),
                fmt(as_number(r.target), unit),
                fmt_share(r.achieved_share),
                fmt_change(r),
                Status.of(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            [
                "Measure",
                "Year",
                rb.num("Value"),
                rb.num("Target"),
                rb.num("Achieved"),
                rb.num("Change"),
                rb.status_column("Status"),
            ],
            body,
            caption="Your returns by year (change: like for like, the same contracts both years)",
            widths=(0.9, 0.9, 1, 1, 0.9, 1, 1.2),
        )
    ]
    drawn = sorted_ids(rows.loc[rows["value"].notna(), "measure_id"])
    if drawn:
        blocks.append(
            charts.trend_chart(
                "Your figures by year", view.periods, trend_series(view, rows, drawn)
            )
        )
    return Blocks(blocks)


def partner_social_value(view: AudienceView) -> Blocks:
    mine = latest_rows(rows_at(view, "partner"), view)
    mine = mine[mine["value_gbp"].notna()]
    if mine.empty:
        return Blocks(
            [
                rb.note(
                    f"No measure you returned for {view.latest_period} has a proxy value, so no "
                    "social value in GBP is estimated."
                )
            ]
        )
    rows = []
    for r in tuples(mine.sort_values("measure_id")):
        m = measure_of(view, r.measure_id)
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                fmt(as_number(r.value), m.unit if m else ""),
                fmt(as_number(r.value_gbp), "GBP"),
            ]
        )
    total = float(mine["value_gbp"].sum())
    rows.append(["Total", "all the measures above", "—", fmt(total, "GBP")])
    return Blocks(
        [
            rb.table(
                ["Measure", "", rb.num(view.latest_period), rb.num("Social value")],
                rows,
                caption="Social value you delivered (figure times proxy value)",
                widths=(0.9, 2.8, 1.2, 1.2),
            )
        ]
    )


def partner_rejected(view: AudienceView) -> Blocks:
    q = view.quarantine
    sent = int(
        as_number(((view.validation.get("partners") or {}).get(view.audience) or {}).get("rows"))
        or 0
    )
    if q.empty:
        if sent == 0:
            return Blocks([rb.note("We received no rows from you in this review cycle.")])
        return Blocks([rb.para(f"Every row you sent ({sent:,}) was accepted. Thank you.")])
    rows = [
        [
            text_of(r.source_file) or "—",
            "whole file" if pd.isna(r.source_row) else str(int(r.source_row)),
            text_of(r.column) or "—",
            text_of(r.reason) or "—",
        ]
        for r in tuples(q.sort_values(["source_file", "source_row"]))
    ]
    return Blocks(
        [
            rb.para(
                f"We could not accept {counted(len(q), 'row')} you sent. Please correct "
                f"{'it' if len(q) == 1 else 'them'} and send "
                f"{'it' if len(q) == 1 else 'them'} again with your next return."
            ),
            rb.table(
                ["File", rb.num("Row"), "Column", "Why"],
                rows,
                caption="Rows we could not accept",
                widths=(1.4, 0.5, 1, 4),
            ),
        ]
    )


def partner_comments(view: AudienceView) -> Blocks:
    """The evidence and comments the partner gave with its latest returns, as typed."""
    r = view.returns
    if r.empty or "period" not in r.columns:
        return Blocks([rb.note("No returns on record for this year.")])
    r = r[r["period"] == view.latest_period]
    cols = [c for c in ("evidence", "comment") if c in r.columns]
    if r.empty or not cols:
        return Blocks([rb.note(f"No returns on record for {view.latest_period}.")])
    typed = r[cols].apply(lambda col: col.map(text_of).str.strip().ne(""))
    r = r[typed.any(axis=1)]
    if r.empty:
        return Blocks(
            [rb.para(f"You gave no evidence or comments with your {view.latest_period} returns.")]
        )
    rows = []
    for x in tuples(r.sort_values(["contract_id", "measure_id"])):
        verified = getattr(x, "verified", None)
        rows.append(
            [
                text_of(x.contract_id),
                text_of(x.measure_id),
                text_of(getattr(x, "evidence", None)) or "—",
                "—" if verified is None or pd.isna(verified) else ("yes" if verified else "no"),
                text_of(getattr(x, "comment", None)) or "—",
            ]
        )
    return Blocks(
        [
            rb.table(
                ["Contract", "Measure", "Evidence", "Verified", "Your comment"],
                rows,
                caption=f"Evidence and comments with your {view.latest_period} returns",
                widths=(0.9, 0.8, 2, 0.7, 3),
            )
        ]
    )


def partner_borough(view: AudienceView) -> Blocks:
    """How the borough as a whole moved on the partner's measures (totals only, no partners).

    Figures resting on fewer than `min_partners_for_borough` partners were removed from the view
    (`views.suppress_small_cells`); they read "not shown", with the reason below the table.
    """
    mids = sorted_ids(rows_at(view, "partner")["measure_id"])
    b = latest_rows(rows_at(view, "borough"), view)
    b = b[b["measure_id"].isin(mids)]
    if b.empty:
        return Blocks([rb.note("No borough figures for your measures this year.")])
    k = view.min_partners_for_borough
    hidden = "not shown"
    rows, withheld = [], []
    for r in tuples(b.sort_values("measure_id")):
        m = measure_of(view, r.measure_id)
        unit = m.unit if m else "count"
        now = bool(getattr(r, "suppressed", False))
        before = bool(getattr(r, "prev_suppressed", False))
        lfl_n = as_number(getattr(r, "lfl_partners", None))
        change_hidden = now or before or (lfl_n is not None and 0 < lfl_n < k)
        if now or before:
            years = [p for p, h in ((r.prev_period, before), (r.period, now)) if h and p]
            withheld.append(f"{r.measure_id} {m.short if m else ''} ({', '.join(years)})")
        rows.append(
            [
                r.measure_id,
                m.short if m else "",
                hidden if before else fmt(as_number(r.prev_value), unit),
                hidden if now else fmt(as_number(r.value), unit),
                hidden if change_hidden else fmt_change(r),
                f"fewer than {k} partners"
                if now
                else hidden
                if before and text_of(r.status) == ""
                else Status.of(r.status),
            ]
        )
    blocks: list[rb.Block] = [
        rb.table(
            [
                "Measure",
                "",
                rb.num("Last year"),
                rb.num(view.latest_period),
                rb.num("Change"),
                rb.status_column("Borough status"),
            ],
            rows,
            caption=(
                "The borough as a whole (all partners together) on your measures; change: like "
                "for like"
            ),
            widths=(0.9, 2.5, 1, 1, 0.8, 1.2),
        )
    ]
    if withheld:
        blocks.append(
            rb.note(
                f"Borough figures not shown for {'; '.join(withheld)}. "
                f"{suppressed_reason(k).capitalize()} (from a total of so few and your own "
                "figure, another partner's could be worked out)."
            )
        )
    return Blocks(blocks)
