"""The council's sections of the health check: the summary, targets, themes, council spend,
gaps, the lists to act on and every partner's status (in the order the notebook shows them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from pipeline.core.findings import LocalArea
from pipeline.core.status import (
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    Status,
)
from pipeline.report import blocks as rb
from pipeline.report import charts
from pipeline.report import council_lists as cl
from pipeline.report.blocks import Blocks
from pipeline.report.outputs import COUNCIL_WORKBOOK
from pipeline.report.sections.common import (
    as_number,
    counted,
    direction_words,
    fmt,
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
    trend_series,
    tuples,
)
from pipeline.report.sections.quality import fmt_rate, pass_rates
from pipeline.report.views import AudienceView


def _theme_counts(view: AudienceView, level: str, partner: str | None = None) -> pd.DataFrame:
    ts = view.theme_status
    rows = ts[(ts["level"] == level) & (ts["period"] == view.latest_period)]
    if partner is not None:
        rows = rows[rows["partner_id"] == partner]
    return rows


def council_summary(view: AudienceView) -> Blocks:
    """Page one: the summary a councillor reads first, then every theme at a glance."""
    fw = view.framework
    ts = _theme_counts(view, "borough").set_index("theme")
    sv = view.findings.social_value
    coverage = view.findings.coverage.get(view.latest_period)
    n_partners = len(view.partners)
    statuses = [str(ts.loc[t.code, "status"]) if t.code in ts.index else NO_DATA for t in fw]
    on = sum(s == ON_TRACK for s in statuses)
    rates = pass_rates(view.validation)
    blocks: list[rb.Block] = [
        rb.heading("Summary", 3),
        rb.bullets(council_sentences(view)),
        rb.kpis(
            [
                ("Themes on track", f"{on} of {len(fw.themes)}", f"in {view.latest_period}"),
                (
                    "Social value",
                    fmt(as_number(sv.borough) or 0.0, "GBP"),
                    "estimated from proxy values",
                ),
                (
                    "Partners reporting",
                    f"{coverage if coverage is not None else 0} of {n_partners}",
                    f"made a return for {view.latest_period}",
                ),
                (
                    "Returns accepted",
                    fmt_rate(*rates["returns"]),
                    f"{rates['returns'][0]:,} of {rates['returns'][1]:,} rows partners sent",
                ),
                (
                    "Council files accepted",
                    fmt_rate(*rates["council"]),
                    f"{rates['council'][0]:,} of {rates['council'][1]:,} rows of the registers "
                    "and spend",
                ),
            ]
        ),
    ]
    items = []
    for t, status in zip(fw.themes, statuses, strict=True):
        r = ts.loc[t.code] if t.code in ts.index else None

        def c(col: str, r: Any = r) -> int:
            return 0 if r is None or col not in r.index or pd.isna(r[col]) else int(r[col])

        items.append(
            (
                t.code,
                t.name,
                status,
                c("n_on_track"),
                c("n_at_risk"),
                c("n_off_track"),
                c("n_no_target"),
                c("n_no_data") + c("n_no_return"),
            )
        )
    blocks.append(
        charts.scorecard_chart(
            f"Theme status, {view.latest_period}", [(*i[:6], i[6] + i[7]) for i in items]
        )
    )
    blocks.append(
        rb.table(
            [
                "Theme",
                "Ambition",
                rb.status_column("Status"),
                rb.num("On track"),
                rb.num("At risk"),
                rb.num("Off track"),
                rb.num("No target"),
                rb.num("No data"),
            ],
            [
                [f"{code} {name}", fw.theme(code).ambition, Status.of(st), a, b, c_, d, e]
                for code, name, st, a, b, c_, d, e in items
            ],
            caption=f"Theme status in {view.latest_period} (borough, all partners)",
            widths=(1.3, 2.6, 1.1, 0.6, 0.6, 0.6, 0.6, 0.6),
        )
    )
    blocks.extend(headline_changes(view).blocks)
    return Blocks(blocks)


#: The summary names at most this many partners to endorse (largest contracts first); the list
#: further down and the workbook have the rest.
SENTENCE_NAMES = 5


def council_sentences(view: AudienceView) -> list[str]:
    """Five to eight plain sentences a councillor reads first; each states a number shown
    further down the report (theme table, headline changes, attention lists, spend)."""
    fw = view.framework
    latest = view.latest_period
    ts = _theme_counts(view, "borough").set_index("theme")
    statuses = {
        t.code: (str(ts.loc[t.code, "status"]) if t.code in ts.index else NO_DATA) for t in fw
    }
    on = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == ON_TRACK]
    off = [f"{t.code} {t.name}" for t in fw if statuses[t.code] == OFF_TRACK]
    out = [
        f"{len(on)} of {len(fw.themes)} themes are on track in {latest}"
        + (f" ({', '.join(on)})" if on else "")
        + (f"; off track: {', '.join(off)}." if off else ".")
    ]
    coverage = view.findings.coverage.get(latest)
    out.append(
        f"{coverage or 0} of {len(view.partners)} registered partners made a return for {latest}."
    )
    comparable, _ = ranked_changes(rows_at(view, "borough"), view)
    if not comparable.empty:
        judged = [(r, direction_words(view, r)) for r in tuples(comparable)]
        better = [r for r, d in judged if d == "better"]
        worse = [r for r, d in judged if d == "worse"]
        for word, group in (("improvement", better), ("decline", worse)):
            if group:
                r = group[0]
                out.append(
                    f"The biggest like-for-like {word} was {r.measure_id} "
                    f"{short_name(view, r.measure_id)}: "
                    f"{fmt_pct(r.lfl_yoy_pct)} on the {counted(int(r.lfl_contracts), 'contract')} that "
                    "reported it in both years."
                )
    missing = view.findings.missing_returns
    who = len({m.partner_id for m in missing})
    out.append(
        f"{counted(len(missing), 'committed return')} for {latest} "
        f"{'is' if len(missing) == 1 else 'are'} missing from {counted(who, 'partner')}: "
        "chase them (see Returns to chase)."
        if missing
        else f"Every committed return for {latest} came in."
    )
    current = [e for e in view.findings.enforcement if e.current]
    out.append(
        f"{counted(len(current), 'contract measure')} {'has' if len(current) == 1 else 'have'} been "
        "off track two years running: consider enforcement (see Contracts for enforcement)."
        if current
        else "No contract measure has been off track two years running."
    )
    endorsed = cl.partners_to_endorse(view).rows
    named = [r["partner_name"] or r["partner_id"] for r in endorsed[:SENTENCE_NAMES]]
    more = len(endorsed) - len(named)
    out.append(
        f"{counted(len(endorsed), 'partner')} met every commitment with a target and can be endorsed: "
        + ", ".join(named)
        + (f" and {more:,} more (see Partners to endorse)." if more else ".")
        if endorsed
        else "No partner met every commitment this year, so none is endorsed."
    )
    by_period = view.findings.spend.by_period if view.findings.spend else {}
    if by_period:
        p = max(by_period)
        s = by_period[p]
        out.append(
            f"In {p}, {fmt_pct(s.get('local_share'), signed=False)} of council spend went to "
            f"suppliers in the borough, {fmt_pct(s.get('sme_share'), signed=False)} to SMEs and "
            f"{fmt_pct(s.get('vcfs_share'), signed=False)} to the voluntary and community sector."
        )
    return out


def headline_changes(view: AudienceView, limit: int = 6) -> Blocks:
    """The largest like-for-like moves at borough level (the same contracts in both years).

    A borough total can move only because different partners reported; the change shown and
    ranked is therefore the like-for-like one, with its coverage. A measure with no contract in
    both years is named as not comparable and never ranked.
    """
    comparable, other = ranked_changes(rows_at(view, "borough"), view)
    if comparable.empty and other.empty:
        return Blocks([rb.note("No year-on-year changes: no measure has figures for two years.")])
    blocks: list[rb.Block] = [rb.heading("Headline changes since last year", 3)]
    if not comparable.empty:
        rows = []
        for r in tuples(comparable.head(limit)):
            m = measure_of(view, r.measure_id)
            unit = m.unit if m else "count"
            rows.append(
                [
                    r.measure_id,
                    m.short if m else "",
                    fmt(as_number(r.lfl_prev_value), unit),
                    fmt(as_number(r.lfl_value), unit),
                    fmt_pct(r.lfl_yoy_pct),
                    f"{int(r.lfl_contracts)} of {int(r.n_returns)}",
                    direction_words(view, r),
                ]
            )
        prev = str(comparable["prev_period"].iloc[0])
        blocks.append(
            rb.table(
                [
                    "Measure",
                    "",
                    rb.num(prev),
                    rb.num(view.latest_period),
                    rb.num("Change"),
                    rb.num("Contracts in both years"),
                    "Direction",
                ],
                rows,
                caption=(
                    "Largest like-for-like changes across the borough: figures over the same "
                    "contracts in both years"
                ),
                widths=(0.8, 2.4, 0.9, 0.9, 0.8, 1, 1),
            )
        )
    if not other.empty:
        blocks.append(
            rb.para(
                ("b", "Not comparable: "),
                "; ".join(
                    f"{r.measure_id} {short_name(view, r.measure_id)}"
                    for r in tuples(other.sort_values("measure_id"))
                )
                + ". No contract returned these in both years, so a change would only show "
                "which partners reported.",
            )
        )
    return Blocks(blocks)


def council_theme(view: AudienceView, code: str) -> Blocks:
    """One theme: its outcomes, each measure's latest figure, trend and coverage of partners.

    Partner-reported figures (borough totals of the returns) and council-level figures (computed
    from the council's own spend) are different things, so they get separate tables and lines.
    """
    t = view.framework.theme(code)
    m = view.measures
    rows = m[m["level"].eq("borough") & m["theme"].eq(code)]
    council = m[m["level"].eq("council") & m["theme"].eq(code)]
    latest = latest_rows(rows, view)
    blocks: list[rb.Block] = [
        rb.heading(f"{t.code} {t.name}: {t.ambition}", 2, anchor=f"theme-{t.code.lower()}"),
        {**rb.para(("b", "Outcomes: "), "; ".join(t.outcomes) + "."), "keep_with_next": True},
    ]
    reported = latest[latest["value"].notna()]
    if reported.empty:
        blocks.append(
            rb.note(f"No partner reported on any {t.name} measure in {view.latest_period}.")
        )
    else:
        table = measure_table(
            view,
            latest[latest["measure_id"].isin([x.id for x in t.measures if x.level == "partner"])],
            coverage=True,
        )
        table["caption"] = (
            f"{t.code} measures reported by partners in {view.latest_period}: borough totals"
        )
        blocks.append(table)
    council_latest = latest_rows(council, view)
    if not council_latest.empty:
        blocks.append(_council_measure_table(view, council_latest))
    series = trend_series(view, rows, sorted_ids(rows.loc[rows["value"].notna(), "measure_id"]))
    series += trend_series(
        view,
        council,
        sorted_ids(council.loc[council["value"].notna(), "measure_id"]),
        "(council spend) ",
    )
    if series:
        blocks.append(
            charts.trend_chart(f"{t.code} {t.name}: trend per measure", view.periods, series)
        )
    silent = [
        x for x in t.measures if x.level == "partner" and x.id not in set(reported["measure_id"])
    ]
    if silent:
        blocks.append(
            rb.para(
                ("b", f"Not reported by any partner in {view.latest_period}: "),
                "; ".join(f"{x.id} {x.short}" for x in silent) + ".",
            )
        )
    return Blocks(blocks)


def _council_measure_table(view: AudienceView, rows: pd.DataFrame) -> rb.Block:
    """Council-level measures (from the council's own spend): share, change, payments."""
    body = []
    for r in tuples(rows.sort_values("measure_id")):
        m = measure_of(view, r.measure_id)
        body.append(
            [
                r.measure_id,
                f"{m.short if m else ''} (council spend)",
                fmt(as_number(r.value), m.unit if m else "percent"),
                _pts(r.yoy_abs),
                Status.of(r.status),
                fmt(as_number(r.n_returns), "count"),
                fmt(as_number(r.partners_covered), "count"),
            ]
        )
    return rb.table(
        [
            "Measure",
            "",
            rb.num("Share of council spend"),
            rb.num("Change"),
            rb.status_column("Status"),
            rb.num("Payments"),
            rb.num("Suppliers paid"),
        ],
        body,
        caption=(
            f"Council-level measures in {view.latest_period}: computed from the council's own "
            "spend, not reported by partners (see the spend section)"
        ),
        widths=(0.8, 2.4, 1, 0.9, 1.1, 0.8, 0.8),
    )


def council_targets(view: AudienceView) -> Blocks:
    """Target against actual for every borough measure that has a target."""
    latest = latest_rows(rows_at(view, "borough"), view)
    latest = latest[latest["achieved_share"].notna()].sort_values("measure_id")
    if latest.empty:
        return Blocks(
            [
                rb.note(
                    "No borough figure has a target this year: a borough target is shown only "
                    "when every return behind the figure carries one."
                )
            ]
        )
    items = [
        (
            r.measure_id,
            short_name(view, r.measure_id),
            float(r.achieved_share),
            str(r.status),
        )
        for r in tuples(latest)
    ]
    return Blocks([charts.target_chart(f"Target against actual, {view.latest_period}", items)])


#: The spend shares the council report shows: findings.json `spend` flag and its label.
SPEND_FLAGS = (
    ("local", "Suppliers in the borough (CS2-02)"),
    ("sme", "Small and medium-sized enterprises (SMEs)"),
    ("vcfs", "Voluntary and community sector (VCFS)"),
    ("local_vcfs", "VCFS in the borough (CS2-03)"),
)


def _pts(v: Any) -> str:
    f = as_number(v)
    return "—" if f is None else f"{f:+.1f} pts"


def _where_local(area: LocalArea | None) -> str:
    """What counted as in the borough, as the compute stage recorded it in findings.json."""
    if area is None:  # findings written before the compute stage recorded it
        return "not recorded (re-run svf compute)."
    listed = f"{', '.join(area.districts) or 'none listed'} ({area.districts_file})"
    if area.postcode_lookup:
        return (
            f"{listed}. A full postcode counts as in the borough when the ONS postcode lookup "
            f"{area.postcode_lookup} places it in local authority "
            f"{area.local_authority_code}; a postcode given only as a "
            "district counts when the district is listed."
        )
    return f"{listed}. A supplier counts as in the borough when its postcode district is listed."


def _spend_reading_blocks(reading: dict[str, Any]) -> list[rb.Block]:
    """What was read of each spend file, what was refused and why (from validation)."""
    files = reading.get("files") or []
    if not files:
        return []
    rows = []
    reasons: list[str] = []
    for f in files:
        if f.get("refused"):
            state = "refused"
        elif f.get("quarantined"):
            state = "read, some lines set aside"
        else:
            state = "read"
        rows.append(
            [
                f["file"],
                state,
                fmt(as_number(f.get("lines")), "count"),
                fmt(as_number(f.get("clean")), "count"),
                fmt(as_number(f.get("quarantined")), "count"),
            ]
        )
        if f.get("refused"):
            reasons.append(f"{f['file']}: refused as a whole: {f['refused']}")
        if f.get("header_row"):
            reasons.append(
                f"{f['file']}: the column headings are on line {f['header_row']}; the "
                f"{int(f['header_row']) - 1} lines of title above them are not payments."
            )
        for r in (f.get("reasons") or [])[:4]:
            reasons.append(
                f"{f['file']}: {fmt(as_number(r['lines']), 'count')} "
                f"{'line' if r['lines'] == 1 else 'lines'} set aside, for example "
                f"line {r['example_row']}: {r['example']}"
            )
    blocks: list[rb.Block] = [
        rb.table(
            [
                "Spend file",
                "Outcome",
                rb.num("Lines"),
                rb.num("Payments used"),
                rb.num("Lines set aside"),
            ],
            rows,
            caption="Council spend files read for this review",
            widths=(2.2, 1.4, 0.8, 1, 1),
        )
    ]
    if reasons:
        blocks.append(rb.para(("b", "What was set aside and why: "), ""))
        blocks.append(rb.bullets(reasons))
    return blocks


def council_spend(view: AudienceView) -> Blocks:
    """Council only: the share of the council's spend with local, SME and VCFS suppliers, with
    what was read of the spend files, what was refused and why, the redacted and unclassified
    shares and the supplier match rate."""
    spend = view.findings.spend
    by_period = spend.by_period if spend else {}
    reading_blocks = _spend_reading_blocks((spend.reading if spend else None) or {})
    if not by_period:
        if reading_blocks:
            return Blocks(
                [
                    rb.note(
                        "Council spend files were supplied, but none of their lines could be "
                        "used, so the shares of spend with local, SME and voluntary-sector "
                        "suppliers are not shown. The table below says why."
                    ),
                    *reading_blocks,
                ]
            )
        return Blocks(
            [
                rb.note(
                    "No council spend data was supplied for this review cycle (spend.csv with "
                    "suppliers.csv), so the shares of spend with local, SME and voluntary-sector "
                    "suppliers are not shown."
                )
            ]
        )
    assert spend is not None  # by_period is not empty
    periods = sorted(by_period)
    where = _where_local(spend.local_area)
    blocks: list[rb.Block] = [
        rb.para(
            "Spend from the council's published spend over £500, joined to the supplier "
            "register. Each share is a percentage of all spend in the financial year. Spend "
            "whose supplier is not in the register, or whose postcode, type or size is not "
            "recorded, is unclassified and never guessed. Payments whose supplier name the "
            "council withheld (redacted, usually payments to individuals) are counted in the "
            "total as their own class and never guessed either: the true share lies between "
            "the share shown and the share plus the unclassified and redacted parts."
        ),
        rb.para(("b", "Postcode districts used: "), where),
        *reading_blocks,
        rb.table(
            [
                "Year",
                rb.num("Spend"),
                rb.num("Payments"),
                rb.num("Suppliers paid"),
                rb.num("Redacted"),
                rb.num("Matched to the register"),
            ],
            [
                [
                    p,
                    fmt(as_number(by_period[p].get("total_gbp")), "GBP"),
                    fmt(as_number(by_period[p].get("payments")), "count"),
                    fmt(as_number(by_period[p].get("suppliers")), "count"),
                    fmt_pct(by_period[p].get("redacted_share"), signed=False),
                    fmt_pct(by_period[p].get("matched_share"), signed=False),
                ]
                for p in periods
            ],
            caption=(
                "Council spend by financial year (redacted: share of spend; matched: share of "
                "the spend naming a supplier whose supplier is in the register)"
            ),
            widths=(0.8, 1.3, 0.9, 1, 0.9, 1.2),
        ),
        rb.table(
            [
                "Year",
                "Spend with",
                rb.num("Share of all spend"),
                rb.num("Unclassified"),
                rb.num("Change since last year"),
            ],
            [
                [
                    p,
                    label,
                    fmt_pct(by_period[p].get(f"{flag}_share"), signed=False),
                    fmt_pct(by_period[p].get(f"{flag}_unclassified_share"), signed=False),
                    _pts(by_period[p].get(f"{flag}_share_change_pts")),
                ]
                for p in periods
                for flag, label in SPEND_FLAGS
            ],
            caption=(
                "Share of council spend with local, SME and voluntary-sector suppliers "
                "(change in percentage points; redacted spend is in neither column)"
            ),
            widths=(0.8, 2.6, 1, 1, 1.1),
        ),
    ]
    top = spend.top_unmatched
    if top:
        blocks.append(
            rb.para(
                ("b", "Suppliers not yet in the register, most spend first: "),
                "; ".join(f"{t['name']} ({fmt(as_number(t['spend_gbp']), 'GBP')})" for t in top[:5])
                + f". {spend.unmatched_suppliers} suppliers in all; "
                "the command svf suppliers writes them to a register to complete.",
            )
        )
    return Blocks(blocks)


def council_gaps(view: AudienceView) -> Blocks:
    gaps = view.findings.gaps
    fw = view.framework
    blocks: list[rb.Block] = []
    uncovered = gaps.uncovered_measures
    if uncovered:
        blocks.append(rb.para(("b", "Measures no contract commits to: "), ""))
        blocks.append(rb.bullets(f"{mid} {short_name(view, mid)}" for mid in uncovered))
    outcomes = gaps.uncovered_outcomes
    if outcomes:
        blocks.append(rb.para(("b", "Outcomes with no committed measure: "), ""))
        blocks.append(rb.bullets(f"{o.theme}: {o.outcome}" for o in outcomes))
    no_outcomes = cl.contracts_without_outcomes(view)
    if no_outcomes.rows:
        blocks.extend(
            bounded(
                view,
                no_outcomes,
                lambda rows: rb.table(
                    ["Contract", "Partner", "Title"],
                    [
                        [
                            r["contract_id"],
                            r["partner_name"] or r["partner_id"],
                            r["title"] or "—",
                        ]
                        for r in rows
                    ],
                    caption="Current contracts that commit to no outcome measure",
                    widths=(1, 2, 3),
                ),
            )
        )
    share = gaps.theme_contract_value_share
    if share:
        blocks.append(
            rb.table(
                ["Theme", rb.num("Share of contract value committed to it")],
                [[f"{t.code} {t.name}", fmt_share(share.get(t.code))] for t in fw],
                caption="Where committed contract value goes, by theme",
                widths=(2, 2),
            )
        )
    if not blocks:
        blocks.append(rb.note("No gaps in provision were found."))
    return Blocks(blocks)


def annex_sentence(view: AudienceView, lst: cl.CouncilList) -> rb.Block:
    """What follows a list cut to `view.council_list_rows` rows: how many are shown of how many,
    in what order, and where every one is (the workbook beside the report, linked)."""
    shown = min(view.council_list_rows, len(lst.rows))
    return rb.para(
        f"Showing {shown:,} of {len(lst.rows):,}, {lst.order}. Every one is in the workbook ",
        rb.link_run(COUNCIL_WORKBOOK, COUNCIL_WORKBOOK),
        f' (sheet "{lst.title}"), beside this report.',
    )


def bounded(
    view: AudienceView,
    lst: cl.CouncilList,
    table: Callable[[list[dict[str, Any]]], rb.Block],
) -> list[rb.Block]:
    """A long list in the report: its first `view.council_list_rows` rows as a table (`table`
    makes it from the rows); when rows were left out, the caption says so ("the first 25 of
    1,599": a reader knows the table is a part before reading it) and the sentence after the table
    names the workbook that holds them all. (The sentence goes after the table: before it, it
    would part the section's introduction from the table it introduces when the table moves to
    the next PDF page.) A list at or below the limit is shown whole, with no sentence."""
    limit = view.council_list_rows
    block = table(lst.rows[:limit])
    out = [block]
    if len(lst.rows) > limit:
        caption, part = block.get("caption", ""), f"the first {limit:,} of {len(lst.rows):,}"
        if caption:
            # Inside a caption's own closing parenthesis rather than a second one after it.
            closing = caption.endswith(")")
            block["caption"] = f"{caption[:-1]}; {part})" if closing else f"{caption} ({part})"
        out.append(annex_sentence(view, lst))
    return out


def council_attention(view: AudienceView) -> Blocks:
    """Two lists with two different actions, returns to chase and contracts for enforcement,
    then the partners to endorse; each cut to `view.council_list_rows` rows, most urgent first
    (`pipeline.report.council_lists` says the order), with every row in the workbook."""
    latest = view.latest_period
    chase = cl.returns_to_chase(view)
    enforcement = cl.contracts_for_enforcement(view)
    endorse = cl.partners_to_endorse(view)
    blocks: list[rb.Block] = [rb.heading("Returns to chase", 3, anchor="chase")]
    if chase.rows:
        blocks.append(
            rb.para(
                f"Committed measures with no return for {latest}: the contract committed to the "
                "measure and was running (or reported it last year), and nothing came. The "
                "action is to chase the return; a missing return is not counted as zero."
            )
        )
        blocks += bounded(
            view,
            chase,
            lambda rows: rb.table(
                ["Contract", "Partner", "Measure", "Returned in an earlier year"],
                [
                    [
                        r["contract_id"],
                        r["partner_name"] or r["partner_id"],
                        f"{r['measure_id']} {short_name(view, r['measure_id'], unknown='')}",
                        "yes" if r["reported_before"] == "yes" else "no, never returned",
                    ]
                    for r in rows
                ],
                caption=f"Returns to chase: committed measures with no return for {latest}",
                widths=(1, 2, 2.6, 1.2),
            ),
        )
    else:
        blocks.append(rb.note(f"Every committed return for {latest} came in."))
    blocks.append(rb.heading("Contracts for enforcement", 3, anchor="enforcement"))
    if enforcement.rows:
        blocks.append(
            rb.para(
                "Contract measures off track in two or more consecutive years up to "
                f"{latest}. The action is contract management: the partner did return, and "
                "fell short. 'Against target' says whether every one of those years was judged "
                "against a committed target (firmer ground) rather than a fall since the year "
                "before."
            )
        )
        blocks += bounded(
            view,
            enforcement,
            lambda rows: rb.table(
                ["Contract", "Partner", "Measure", "Years off track", "Against target"],
                [
                    [
                        r["contract_id"],
                        r["partner_name"] or r["partner_id"],
                        f"{r['measure_id']} {short_name(view, r['measure_id'], unknown='')}",
                        r["periods"],
                        r["against_target"],
                    ]
                    for r in rows
                ],
                caption="Contracts for enforcement: off track two years running",
                widths=(1, 2, 2.4, 1.4, 0.8),
            ),
        )
    else:
        blocks.append(rb.note("No contract measure has been off track two years running."))
    blocks.append(rb.heading("Partners to endorse", 3, anchor="endorse"))
    if endorse.rows:
        blocks += bounded(
            view,
            endorse,
            lambda rows: rb.table(
                ["Partner", "Name"],
                [[r["partner_id"], r["partner_name"]] for r in rows],
                caption=(
                    f"Partners to endorse: every measure with a target on track in {latest}, "
                    "and no committed return missing"
                ),
                widths=(1, 3),
            ),
        )
    else:
        blocks.append(rb.note("No partner met every commitment this year."))
    return Blocks(blocks)


def partner_status_table(view: AudienceView) -> Blocks:
    """Council only: every partner's overall status (the same rule as the index and the
    partner's own report) and the rows it sent; cut to `view.council_list_rows` rows, the worst
    status first, with every partner in the workbook."""
    partners = cl.partner_statuses(view, overall_of(view))
    return Blocks(
        bounded(
            view,
            partners,
            lambda rows: rb.table(
                [
                    "Partner",
                    "Name",
                    rb.status_column("Overall status"),
                    rb.num("Rows sent"),
                    rb.num("Rows rejected"),
                ],
                [
                    [
                        r["partner_id"],
                        r["partner_name"],
                        Status.of(r["status"]),
                        fmt(r["rows"], "count"),
                        fmt(r["quarantined"], "count"),
                    ]
                    for r in rows
                ],
                caption=(
                    f"Partners in {view.latest_period} (overall: the worst status among the "
                    "partner's measures)"
                ),
                widths=(0.8, 2.6, 1.2, 0.8, 0.9),
            ),
        )
    )
