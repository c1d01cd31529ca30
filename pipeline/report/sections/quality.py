"""The data-quality section (both audiences): pass rates, and every check in words a reader
understands."""

from __future__ import annotations

from typing import Any

from pipeline.report import blocks as rb
from pipeline.report.blocks import Blocks
from pipeline.report.sections.common import as_number, fmt, fmt_share, text_of
from pipeline.report.views import AudienceView


def pass_rates(validation: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Rows accepted and rows read, for partner returns and for the council's own files apart.

    A superseded row was accepted (a later submission replaced it). One bad spend file must not
    make every partner look bad, so the two are never pooled.
    """
    out = {"returns": [0, 0], "council": [0, 0]}
    for f in validation.get("files") or []:
        group = "returns" if f.get("kind") == "returns" else "council"
        out[group][0] += int(f.get("clean") or 0) + int(f.get("superseded") or 0)
        out[group][1] += int(f.get("rows") or 0)
    return {k: (a, b) for k, (a, b) in out.items()}


def fmt_rate(accepted: int, rows: int) -> str:
    return "—" if rows == 0 else f"{accepted / rows * 100:.0f}%"


#: The data-quality checks in plain words (the Great Expectations names stay in the Data Docs).
CHECK_WORDS = {
    "expect_column_values_to_not_be_null": "a value is given",
    "expect_column_values_to_be_null": "left empty where it must be",
    "expect_column_values_to_be_between": "the value is within the allowed range",
    "expect_column_values_to_match_regex": "the value has the expected form",
    "expect_column_values_to_be_in_set": "the value is one of those allowed",
    "expect_column_values_to_not_be_in_set": "the value is not one of those refused",
    "expect_column_values_to_be_unique": "the value appears only once",
    "expect_compound_columns_to_be_unique": "the combination appears only once",
    "file_has_required_columns": "the file has the required columns",
    "file_is_readable": "the file can be read",
}


def check_words(expectation: Any) -> str:
    """A check's name as a reader understands it."""
    name = text_of(expectation)
    return CHECK_WORDS.get(name, name.replace("_", " ") or "—")


def data_quality(view: AudienceView, link_prefix: str = "../") -> Blocks:
    v = view.validation
    rates = pass_rates(v)
    totals = v.get("totals") or {}
    (ra, rn), (ca, cn) = rates["returns"], rates["council"]
    blocks: list[rb.Block] = [
        rb.para(
            f"Partner returns: {ra:,} of {rn:,} rows accepted ({fmt_rate(ra, rn)}). "
            f"The council's own files (partner and contract registers, spend and supplier "
            f"files): {ca:,} of {cn:,} rows accepted ({fmt_rate(ca, cn)}). "
            f"Returned rows replaced by a later submission (counted as accepted): "
            f"{as_number(totals.get('superseded')) or 0:,.0f}. "
            + (
                "Every row read is either accepted or listed as rejected: none is lost."
                if v.get("reconciles")
                else "WARNING: the row counts do not add up between the files read and the "
                "tables written; tell the pipeline's maintainers."
            )
        ),
    ]
    review = v.get("review")  # recorded by `svf review --sign` (pipeline/validate/review.py)
    if isinstance(review, dict) and review.get("by"):
        blocks.append(
            rb.para(f"Data quality reviewed by {review['by']} on {str(review.get('at'))[:10]}.")
        )
    exp = v.get("expectations") or []
    failing = [e for e in exp if e.get("failed")]
    if failing:
        blocks.append(
            rb.table(
                [
                    "File kind",
                    "Check",
                    "Column",
                    rb.num("Rows checked"),
                    rb.num("Failed"),
                    rb.num("Pass rate"),
                ],
                [
                    [
                        text_of(e.get("kind")),
                        check_words(e.get("expectation")),
                        "any"
                        if text_of(e.get("column")) in ("", "*")
                        else text_of(e.get("column")),
                        fmt(as_number(e.get("evaluated")) or 0, "count"),
                        fmt(as_number(e.get("failed")) or 0, "count"),
                        fmt_share(e.get("pass_rate")),
                    ]
                    for e in failing
                ],
                caption="Checks that rejected rows",
                widths=(0.9, 2.6, 1, 0.8, 0.7, 0.8),
            )
        )
    if view.data_docs:
        blocks.append(
            {
                "type": "link",
                "text": "Open the full data-quality results (Data Docs)",
                "href": f"{link_prefix}data-quality/index.html",
                # What a PDF prints instead of a link that means nothing once it is emailed.
                "document": (
                    f"The full data-quality results are in the Data Docs of review cycle "
                    f"{view.cycle} (data-quality/index.html in the cycle's report folder)."
                ),
            }
        )
    return Blocks(blocks)
