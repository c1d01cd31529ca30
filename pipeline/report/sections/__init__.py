"""The sections of the health-check report, as blocks the notebook displays.

Each section takes an `AudienceView` (already filtered to its audience by `views`) and returns
`Blocks`. The notebook `notebooks/03_health_check.ipynb` calls them in order, through this
package's names; the prose that frames them lives in the notebook's Markdown cells.

- `common`: title, headings, number formats, a view's rows, measure tables and trend series;
- `council`: the council's sections; `partner`: a partner's sections;
- `quality`: data quality (both audiences); `appendix`: the framework and the method.

A new section goes in the module of its audience and is called from the notebook
(CONTRIBUTING.md, "Where things go").
"""

from pipeline.report.sections.appendix import appendix
from pipeline.report.sections.common import document_meta, h2
from pipeline.report.sections.council import (
    council_attention,
    council_gaps,
    council_spend,
    council_summary,
    council_targets,
    council_theme,
    partner_status_table,
)
from pipeline.report.sections.partner import (
    partner_borough,
    partner_comments,
    partner_commitments,
    partner_history,
    partner_rejected,
    partner_social_value,
    partner_summary,
)
from pipeline.report.sections.quality import data_quality, pass_rates

__all__ = [
    "appendix",
    "council_attention",
    "council_gaps",
    "council_spend",
    "council_summary",
    "council_targets",
    "council_theme",
    "data_quality",
    "document_meta",
    "h2",
    "partner_borough",
    "partner_comments",
    "partner_commitments",
    "partner_history",
    "partner_rejected",
    "partner_social_value",
    "partner_summary",
    "partner_status_table",
    "pass_rates",
]
