"""The report stage renders the council's and every partner's health check, safely.

Rendered once per session (`conftest.rendered`) from the cycle in `report_fixtures`: raw files
written by hand, put through the real validate and compute stages (4 partners). Then read as a
partner would: the HTML as text and markup, the PDF as text through `pdftotext`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.errors import UserError
from pipeline.report.stage import run_report_stage, select_audiences
from tests.helpers import report_fixtures as rf
from tests.helpers.report_pages import (
    html_of,
    needs_poppler,
    pdf_text,
    tags_of,
    visible_text,
)

# Each partner's own canaries, and what must never appear in anyone else's report.
OWN = {
    "P001": ["Canary Alpha Ltd", "4,321", "Alpha secret 5150"],
    "P002": ["Bluebird Beta CIC", "8,765", "CS9-99", "Beta private remark 7373"],
}
FOREIGN = {
    "P001": ["Bluebird", "8,765", "CS9-99", "7373", "P002", "P003", "P004", "Gamma", "Delta"]
    + ["C-B1", "C-B2", "C-C1", "C-D1"],
    "P002": ["Canary Alpha", "4,321", "5150", "P001", "P003", "P004", "Gamma", "Delta"]
    + ["C-A1", "C-A3", "C-C1", "C-D1"],
}


@pytest.mark.parametrize("partner", ["P001", "P002"])
def test_partner_html_has_its_own_figures_and_nobody_elses(rendered, partner):
    text = visible_text(html_of(rendered, partner))
    for canary in OWN[partner]:
        assert canary in text
    for foreign in FOREIGN[partner]:
        assert foreign not in html_of(rendered, partner), foreign


@needs_poppler
@pytest.mark.parametrize("partner", ["P001", "P002"])
def test_partner_pdf_has_its_own_figures_and_nobody_elses(rendered, partner):
    text = pdf_text(rendered, partner)
    for canary in OWN[partner]:
        assert canary in text
    for foreign in FOREIGN[partner]:
        assert foreign not in text, foreign


def notebook_text(paths, audience: str) -> str:
    """The executed notebook as text, Markdown escapes undone ('13\\,086' reads '13,086')."""
    text = (paths.executed / f"03_health_check.{audience}.ipynb").read_text(encoding="utf-8")
    return text.replace("\\\\", "")


def test_partner_sees_borough_totals_resting_on_three_partners(rendered):
    # Business start-ups, all three partners: 2025/26 121 + 222 + 333 = 676 (2024/25: 111 + 212
    # + 313 = 636, change 40 / 636 = +6.3%; target 120 + 220 + 320 = 660, 102%: on track).
    text = visible_text(html_of(rendered, "P001"))
    assert "CS2-04 Business start-ups supported 636 676 +6.3% ✔ on track" in text


def test_partner_report_hides_borough_totals_resting_on_two_partners(rendered):
    # Apprenticeships: P001 and P002 only. Borough 13,086 (2025/26) and 12,602 (2024/25) minus
    # P001's own 4,321 and 4,102 would give P002's 8,765 and 8,500: none of them may appear.
    derivable = ["13,086", "12,602", "8,765", "8,500", "+3.8%"]  # +3.8%: 484 / 12,602
    html = visible_text(html_of(rendered, "P001"))
    nb = notebook_text(rendered, "P001")
    for figure in derivable:
        assert figure not in html, figure
        assert figure not in nb, figure
    assert "CS2-06 Apprenticeships created not shown not shown not shown fewer than 3" in html
    assert "fewer than 3 partners reported: not shown to protect other partners' figures" in (
        html.lower()
    )
    # P003 made no 2025/26 volunteering return: the borough figure is P001's 707 alone, and
    # 2024/25's 825 is P001's 640 + P003's 185.
    p3 = visible_text(html_of(rendered, "P003"))
    assert "CS1-02 Volunteering hours not shown not shown not shown fewer than 3" in p3
    assert "707" not in p3 and "825" not in p3 and "640" not in p3


@needs_poppler
def test_partner_pdf_hides_borough_totals_resting_on_two_partners(rendered):
    text = pdf_text(rendered, "P001")
    for figure in ("13,086", "12,602", "8,765", "8,500"):
        assert figure not in text, figure
    assert "676" in text and "636" in text  # three partners: shown
    assert "not shown to protect other partners" in text
    p3 = pdf_text(rendered, "P003")
    assert "707" not in p3 and "825" not in p3


def test_council_report_shows_every_borough_total(rendered):
    text = visible_text(html_of(rendered, "council"))
    # CS2-06 rests on two partners, CS2-04 on three: the council sees both.
    assert "CS2-06 Apprenticeships created 13,086 13,500" in text
    assert "CS2-04 Business start-ups supported 676 660" in text
    assert "not shown" not in text


def test_suppression_threshold_comes_from_params(tmp_path: Path):
    from pipeline.report import sections as hc
    from pipeline.report.views import load_view

    paths = rf.write_workspace(tmp_path)
    paths.params.write_text("report:\n  min_partners_for_borough: 2\n")
    b = load_view(paths.cycle, paths.workspace, "P001").measures
    b = b[(b["level"] == "borough") & (b["period"] == "2025/26")].set_index("measure_id")
    assert b.loc["CS2-06", "value"] == 13086  # two partners: shown at threshold 2
    assert pd.isna(b.loc["CS1-02", "value"])  # one partner (P001): hidden
    paths.params.write_text("report:\n  min_partners_for_borough: 4\n")
    view = load_view(paths.cycle, paths.workspace, "P001")
    assert view.measures.query("level == 'borough'")["value"].isna().all()
    assert view.findings.social_value.borough is None
    assert "fewer than 4 partners" in str(hc.partner_borough(view).blocks)
    assert load_view(paths.cycle, paths.workspace, "council").measures["value"].notna().any()


def test_a_partner_view_holding_anything_of_another_partner_is_refused(tmp_path: Path):
    """`check_isolated` refuses a view with another partner's rows, or its id anywhere in the
    findings (a key or a text), whatever slicing built the view."""
    from dataclasses import replace

    from pipeline.report.views import check_isolated, load_cycle, view_for

    paths = rf.write_workspace(tmp_path)
    data = load_cycle(paths)
    view = view_for(data, "P001", min_partners=3)  # its own rows only: accepted
    assert set(view.contracts["partner_id"]) == {"P001"}
    leaks = [
        replace(view, contracts=data.contracts),
        replace(view, findings=replace(view.findings, endorsement=["P001", "P002"])),
        replace(view, validation={**view.validation, "partners": {"P002": {"rows": 1}}}),
    ]
    for leak in leaks:
        with pytest.raises(AssertionError, match="P002"):
            check_isolated(leak, data)


def test_change_is_hidden_when_last_year_rests_on_too_few_partners(tmp_path: Path):
    """This year on three partners, last year on two: this year shown, last year and change not."""
    from dataclasses import replace

    from pipeline.report import sections as hc
    from pipeline.report.views import load_cycle, view_for

    paths = rf.write_workspace(tmp_path)
    data = load_cycle(paths)
    m = data.measures.copy()
    last = (m["level"] == "borough") & (m["measure_id"] == "CS2-04") & (m["period"] == "2024/25")
    m.loc[last, "partners_covered"] = 2
    now = (m["level"] == "borough") & (m["measure_id"] == "CS2-04") & (m["period"] == "2025/26")
    m.loc[now, "prev_partners_covered"] = 2
    view = view_for(replace(data, measures=m), "P001", min_partners=3)
    b = view.measures
    row = b[(b["level"] == "borough") & (b["measure_id"] == "CS2-04") & (b["period"] == "2025/26")]
    assert row["value"].iloc[0] == 676 and row["target"].iloc[0] == 660
    assert row[["prev_value", "yoy_abs", "yoy_pct"]].isna().all(axis=None)
    assert row["status"].iloc[0] == "on track"  # judged against the target, not the change
    table = next(x for x in hc.partner_borough(view).blocks if x["type"] == "table")
    line = next(r for r in table["rows"] if r[0] == "CS2-04")
    assert line[2:] == ["not shown", "676", "not shown", "✔ on track"]


def test_min_partners_param_is_checked(tmp_path: Path):
    from pipeline.core.settings import load_params

    assert load_params(tmp_path / "none.yaml")["report"]["min_partners_for_borough"] == 3
    bad = tmp_path / "params.yaml"
    bad.write_text("report:\n  min_partners_for_borough: two\n")
    with pytest.raises(UserError, match="min_partners_for_borough must be a whole number"):
        load_params(bad)


def test_council_spend_section_shows_the_shares_worked_out_by_hand(rendered):
    text = visible_text(html_of(rendered, "council"))
    assert "Council spend with local, SME and voluntary-sector suppliers" in text
    # See the report_fixtures docstring for the payments behind each figure.
    # Year, spend, payments, suppliers, redacted share, match rate.
    assert "2024/25 £10,000 3 3 0.0% 90.0%" in text and "2025/26 £20,000 4 4 0.0% 90.0%" in text
    for line in (
        "2024/25 Suppliers in the borough (CS2-02) 60.0% 10.0% —",
        "2025/26 Suppliers in the borough (CS2-02) 70.0% 10.0% +10.0 pts",
        "2025/26 Small and medium-sized enterprises (SMEs) 70.0% 10.0% +10.0 pts",
        "2025/26 Voluntary and community sector (VCFS) 45.0% 10.0% +15.0 pts",
        "2025/26 VCFS in the borough (CS2-03) 25.0% 10.0% +25.0 pts",
    ):
        assert line in text, line
    assert "RM15, RM16, RM17, RM18, RM19, RM20, SS17" in text
    html = html_of(rendered, "council")
    caption = "<caption>Share of council spend with local, SME and voluntary-sector suppliers"
    assert caption in html
    assert re.search(r'<th(?=[^>]* scope="col")(?=[^>]* class="num")[^>]*>Unclassified</th>', html)


@needs_poppler
def test_council_spend_section_in_pdf(rendered):
    text = pdf_text(rendered, "council")
    assert "Council spend with local, SME and voluntary-sector suppliers" in text
    assert "+25.0 pts" in text and "45.0%" in text and "SS17" in text


def test_council_spend_section_says_so_without_spend_data(tmp_path: Path):
    paths = rf.write_workspace(tmp_path, spend=False)
    code = run_report_stage(
        paths, partners="none", renderer="builtin", formats=["html"], jobs=1, console=None
    )
    assert code == 0
    text = visible_text(html_of(paths, "council"))
    assert "No council spend data was supplied for this review cycle" in text
    assert "pts" not in text


def test_council_report_names_every_partner(rendered):
    text = visible_text(html_of(rendered, "council"))
    for name in ("Canary Alpha Ltd", "Bluebird Beta CIC", "Gamma", "Delta New Ltd"):
        assert name in text
    # A return to chase: P003 made no 2025/26 return on C-C1 for CS1-02.
    assert "C-C1" in text
    assert "Social value health check 2025/26" in text


def test_hostile_comment_is_text_in_html(rendered):
    html = html_of(rendered, "P001")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert rf.HOSTILE_COMMENT in visible_text(html)
    tags = tags_of(html)
    assert not [t for t, _ in tags if t == "script"]
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/svg+xml;base64,")


def test_hostile_partner_name_is_text_in_html_title(rendered):
    html = html_of(rendered, "P003")
    name = rf.PARTNERS["P003"][0]
    assert not [t for t, _ in tags_of(html) if t == "script"]
    assert name in visible_text(html)
    assert "<title>Social value health check 2025/26: &lt;script&gt;" in html


@needs_poppler
def test_hostile_text_is_text_in_pdf_and_page_stays_a4(rendered):
    assert rf.HOSTILE_COMMENT in pdf_text(rendered, "P001")
    assert rf.PARTNERS["P003"][0] in pdf_text(rendered, "P003")
    for audience in ("P001", "P003"):
        info = subprocess.run(
            ["pdfinfo", str(rendered.partner_report_dir(audience) / "health-check.pdf")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "595.276 x 841.89 pts (A4)" in info  # `#set page(width: ...)` did not run


@needs_poppler
def test_pdf_opens_with_title_figures_and_tags(rendered):
    text = pdf_text(rendered, "council")
    assert "Social value health check 2025/26" in text
    assert "13,086" in text  # borough apprenticeships 2025/26 from the data
    info = subprocess.run(
        ["pdfinfo", str(rendered.council_report_dir / "health-check.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"Title:\s+Social value health check 2025/26", info)
    assert re.search(r"Tagged:\s+yes", info)
    assert re.search(r"Page 1 of \d+", text)


def test_html_has_no_external_references(rendered):
    for audience in ("council", "P001", "P003"):
        html = html_of(rendered, audience)
        for tag, attrs in tags_of(html):
            for key in ("src", "href", "data", "srcset", "poster", "action"):
                value = (attrs.get(key) or "").strip().lower()
                assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, attrs)
            if tag == "link":
                assert (attrs.get("rel") or "").lower() != "stylesheet", attrs
            if tag in {"img", "script", "iframe", "source", "video", "audio", "embed"}:
                assert (attrs.get("src") or "").startswith("data:"), (tag, attrs)
        assert "@import" not in html and "url(" not in html


def test_charts_have_alt_text_stating_the_figures(rendered):
    imgs = [a for t, a in tags_of(html_of(rendered, "P001")) if t == "img"]
    assert len(imgs) >= 2
    alts = " ".join(a.get("alt") or "" for a in imgs)
    assert all((a.get("alt") or "").strip() for a in imgs)
    assert "2025/26 4,321" in alts  # the trend chart's alt states the canary figure
    assert "96% of target, on track" in alts  # 4,321 / 4,500 = 96%


def test_status_is_never_colour_alone(rendered):
    text = visible_text(html_of(rendered, "P002"))
    # P002 CS2-03 2025/26: 45% of a 50% target = 90%: at risk, with its symbol.
    assert "CS2-03 Spend with local VCFS providers 45.0% 50.0% 90% +12.5% ▲ at risk" in text
    assert "✔ on track" in text and "✖ off track" in text


def test_index_links_every_report_and_the_data_docs(rendered):
    index = rendered.index_html.read_text(encoding="utf-8")
    hrefs = {a.get("href") for t, a in tags_of(index) if t == "a"}
    for audience in ("council", *(f"partners/P00{i}" for i in range(1, 5))):
        for fmt in ("html", "pdf"):
            assert f"{audience}/health-check.{fmt}" in hrefs
            assert (rendered.reports / f"{audience}/health-check.{fmt}").exists()
    assert "data-quality/index.html" in hrefs
    assert "notebooks/03_health_check.P001.ipynb" in hrefs
    text = visible_text(index)
    assert "Canary Alpha Ltd" in text and "<script>alert" in text  # escaped, shown as text
    assert not [t for t, _ in tags_of(index) if t == "script"]


def test_executed_notebook_is_kept_per_audience(rendered):
    import nbformat

    nb = nbformat.read(rendered.executed / "03_health_check.P002.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'audience = "P002"' in injected[0].source
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert "Canary Alpha" not in nbformat.writes(nb)


def test_select_audiences():
    known = ["P001", "P002", "P003"]
    assert select_audiences("all", known) == ["council", *known]
    assert select_audiences("none", known) == ["council"]
    assert select_audiences("P002, P001,P002", known) == ["council", "P002", "P001"]
    with pytest.raises(UserError, match="unknown partner P999"):
        select_audiences("P001,P999", known)


def test_only_the_partners_asked_for(tmp_path: Path):
    paths = rf.write_workspace(tmp_path)
    code = run_report_stage(
        paths, partners="P002", renderer="builtin", formats=["html"], jobs=1, console=None
    )
    assert code == 0
    assert (paths.partner_report_dir("P002") / "health-check.html").exists()
    assert not (paths.partner_report_dir("P002") / "health-check.pdf").exists()
    assert not paths.partner_report_dir("P001").exists()
    assert (paths.council_report_dir / "health-check.html").exists()


def test_missing_compute_output_is_one_clear_error(tmp_path: Path):
    paths = rf.write_workspace(tmp_path)
    paths.measures.unlink()
    with pytest.raises(UserError, match=r"measures\.parquet: missing; run `svf compute`"):
        run_report_stage(
            paths, partners="all", renderer="builtin", formats=["html"], jobs=1, console=None
        )


def test_cli_reports_unknown_partner_without_traceback(tmp_path: Path):
    rf.write_workspace(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "report",
            "--cycle",
            "fixture",
            "--workspace",
            str(tmp_path),
            "--partners",
            "P404",
            "--renderer",
            "builtin",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "unknown partner P404" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_audiences_share_no_state_in_one_process(tmp_path: Path):
    """One worker renders P001 then P002: nothing of P001 reaches P002's notebook or report."""
    import nbformat

    from pipeline.report.audience import render_audience
    from pipeline.report.outputs import executed_path

    paths = rf.write_workspace(tmp_path)
    first = render_audience(paths, "P001", "builtin", ["html"])
    second = render_audience(paths, "P002", "builtin", ["html"])
    assert first.error is None and second.error is None
    html = html_of(paths, "P002")
    assert "Bluebird Beta CIC" in html
    assert "Canary Alpha" not in html and "4,321" not in html
    nb = nbformat.read(executed_path(paths, "P002"), as_version=4)
    assert nb.metadata["papermill"]["parameters"]["audience"] == "P002"
    assert "Canary Alpha" not in nbformat.writes(nb)


@pytest.mark.slow
def test_notebook_runs_under_papermill_and_renders_the_same(tmp_path: Path):
    """The template is a plain papermill notebook too (the by-hand way, and Quarto's input)."""
    import nbformat

    from pipeline.core.notebooks import execute
    from pipeline.report import render_builtin

    paths = rf.write_workspace(tmp_path)
    out = tmp_path / "P001.ipynb"
    params = {"cycle": paths.cycle, "workspace": str(paths.workspace), "audience": "P001"}
    execute(paths.notebooks / "03_health_check.ipynb", out, params)
    doc = render_builtin.document_from_notebook(nbformat.read(out, as_version=4))
    assert doc.title == "Social value health check 2025/26: Canary Alpha Ltd"
    text = visible_text(render_builtin.to_html(doc))
    assert "4,321" in text and "Bluebird" not in text


def test_one_failing_audience_does_not_stop_the_others(tmp_path: Path, monkeypatch):
    """A bug in one partner's report: the others are written, the failure is kept and shown."""
    from pipeline.report import sections as health_check

    real = health_check.partner_borough

    def broken_for_p002(view):
        if view.audience == "P002":
            raise ValueError("simulated fault in a section")
        return real(view)

    monkeypatch.setattr(health_check, "partner_borough", broken_for_p002)
    paths = rf.write_workspace(tmp_path)
    code = run_report_stage(
        paths, partners="all", renderer="builtin", formats=["html"], jobs=1, console=None
    )
    assert code == 1
    assert (paths.partner_report_dir("P001") / "health-check.html").exists()
    assert (paths.partner_report_dir("P003") / "health-check.html").exists()
    assert not (paths.partner_report_dir("P002") / "health-check.html").exists()
    assert (paths.executed / "03_health_check.P002.failed.ipynb").exists()
    index = visible_text(paths.index_html.read_text(encoding="utf-8"))
    assert "failed: 03_health_check.ipynb cell" in index
    assert "simulated fault in a section" in index


def test_pdf_claims_pdf_ua_and_follows_source_date_epoch(tmp_path, monkeypatch):
    """The PDF passes Typst's PDF/UA-1 checks (title, alt text, headings from level 1) and says
    so in its metadata; with SOURCE_DATE_EPOCH set, the dates in it are that time."""
    import nbformat

    from pipeline.report import render_builtin as rb

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_raw_cell(
                '---\ntitle: "Health check <b>&</b> #set page(flipped: true)"\n---'
            ),
            nbformat.v4.new_markdown_cell("## Method\n\nSome *prose*."),
        ]
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 1 January 2026, 00:00 UTC
    doc = rb.document_from_notebook(nb)
    assert doc.generated == "Produced 01 January 2026"
    pdf = rb.to_pdf(doc)
    assert b"<pdfuaid:part>1</pdfuaid:part>" in pdf
    assert b"2026-01-01T00:00:00" in pdf or b"D:20260101000000" in pdf
