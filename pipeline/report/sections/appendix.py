"""The appendix: the framework's own wording and the method (roll-up, status rules with the
thresholds compute judged by, proxies)."""

from __future__ import annotations

from pipeline.core.status import (
    rules_in_words,
)
from pipeline.report import blocks as rb
from pipeline.report.blocks import Blocks
from pipeline.report.sections.common import thresholds_of
from pipeline.report.views import AudienceView


def appendix(view: AudienceView) -> Blocks:
    """The framework's own wording and the method: roll-up, status rules (with the thresholds
    the compute stage judged by), proxies."""
    fw = view.framework
    th = thresholds_of(view)
    blocks: list[rb.Block] = [
        rb.heading("Method", 3),
        rb.bullets(
            [
                "Partners' returns are added up per measure as the framework says: a sum for "
                "counts, hours and money; a mean or a weighted mean for percentages.",
                "Change since last year is like for like: it compares the same contracts in "
                "both years, so a total does not rise just because more partners reported. "
                "Where no contract reported a measure in both years the change is 'not "
                "comparable'.",
                "Council-level measures (marked 'council spend') are computed from the "
                "council's own published spend, not from partner returns.",
                "Social value in GBP is an estimate: the figure times a proxy value per unit.",
            ]
        ),
        rb.heading("How status is decided", 3, anchor="status-rules"),
        rb.bullets(rules_in_words(th)),
    ]
    proxies = fw.proxies
    if proxies:
        blocks.append(
            rb.table(
                ["Proxy", rb.num("GBP per unit"), "Source"],
                [[p.key, f"£{p.gbp_per_unit:,.2f}", p.source] for p in proxies.values()],
                caption="Proxy values",
                widths=(1.2, 0.9, 4),
            )
        )
    if view.is_council:
        for t in fw:
            blocks.append(
                rb.table(
                    ["Id", "Measure (framework wording)", "Unit", "Better", "Roll-up"],
                    [
                        [
                            m.id,
                            m.text
                            + (" (council level, from spend)" if m.level == "council" else ""),
                            m.unit,
                            m.direction,
                            m.rollup.replace("_", " "),
                        ]
                        for m in t.measures
                    ],
                    caption=f"{t.code} {t.name}: {t.ambition}",
                    widths=(0.7, 4.2, 0.7, 0.6, 0.9),
                )
            )
    return Blocks(blocks)
