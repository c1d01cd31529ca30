"""The data-quality pages in headless Chromium with the network blocked: every page renders from
local files, no request leaves the machine, and the reviewer's page is axe-core clean.

Every request is recorded; any that is not `file:` or `data:` is aborted (as on a council network
with no outside access) and fails the test. GX's own pages are checked for what used to come from
CDNs: jQuery and bootstrap-table running and drawing the results tables, Bootstrap's styles
applied, the Font Awesome icon font loaded and Vega present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.validate.stage import write_outputs
from tests.helpers.browser import ARGS, CHROMIUM
from tests.helpers.validate_fixtures import REVIEW_FILES, run, workspace

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    paths = workspace(tmp_path_factory.mktemp("dq-browser"), REVIEW_FILES)
    write_outputs(paths, run(paths))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context()
        outside: list[str] = []
        failed: list[str] = []

        def route(r):  # noqa: ANN001, ANN202
            if r.request.url.startswith(("file:", "data:")):
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        context.route("**/*", route)
        context.on("requestfailed", lambda r: failed.append(r.url))
        yield paths, browser, context, outside, failed
        browser.close()


def _open(context, page_path: Path, outside: list[str], failed: list[str]):  # noqa: ANN001, ANN202
    outside.clear()
    failed.clear()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    return page, errors


def test_every_data_docs_page_renders_offline_from_local_files(site) -> None:
    paths, _, context, outside, failed = site
    gx = paths.data_quality / "gx"
    pages = sorted(gx.rglob("*.html"))
    # The index, and for partners, contracts and returns a suite page and a result page for the
    # row checks and for the key checks.
    assert len(pages) == 1 + 3 * 2 * 2
    for html_page in pages:
        page, errors = _open(context, html_page, outside, failed)
        state = page.evaluate(
            """() => ({
              jquery: typeof window.jQuery === 'function',
              table: !!(window.jQuery && window.jQuery.fn.bootstrapTable),
              vega: typeof window.vegaEmbed === 'function',
              bootstrap: getComputedStyle(document.querySelector('nav')).display,
              icons: [...document.fonts].some(
                f => f.family.includes('Font Awesome') && f.status === 'loaded'),
              rows: document.querySelectorAll('.bootstrap-table tbody tr').length,
            })"""
        )
        where = html_page.relative_to(gx)
        assert outside == [], where
        assert failed == [], where
        assert errors == [], where
        assert state["jquery"] and state["table"] and state["vega"], (where, state)
        assert state["bootstrap"] == "flex", (where, state)  # Bootstrap's navbar style applied
        assert state["icons"], (where, state)
        assert state["rows"] > 0, (where, state)  # bootstrap-table drew the results
        page.close()


def test_reviewer_page_offline_axe_clean_sortable_and_filterable(site) -> None:
    from axe_playwright_python.sync_playwright import Axe

    paths, _, context, outside, failed = site
    page, errors = _open(context, paths.data_quality / "index.html", outside, failed)
    assert outside == [] and failed == [] and errors == []
    results = Axe().run(page)
    assert [(v["id"], v["impact"]) for v in results.response["violations"]] == []

    table = page.locator("#quarantine-table")
    rows = lambda: table.locator("tbody tr:not([hidden])")  # noqa: E731
    assert rows().count() == 3
    table.get_by_role("button", name="Row", exact=True).click()
    assert table.locator("th", has_text="Row").get_attribute("aria-sort") == "ascending"
    assert [rows().nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "whole file",
        "3",
        "4",
    ]
    page.get_by_label("Filter quarantined rows").fill("P002")
    assert rows().count() == 2
    assert page.locator("#quarantine-table-filter [aria-live]").inner_text() == (
        "Showing 2 of 3 rows."
    )
    # The page still passes axe once the script has added its buttons and filter boxes.
    results = Axe().run(page)
    assert [(v["id"], v["impact"]) for v in results.response["violations"]] == []
    page.close()


def test_reviewer_page_is_complete_without_scripts(site) -> None:
    paths, browser, _, _, _ = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((paths.data_quality / "index.html").as_uri())
    assert page.locator("#quarantine-table tbody tr").count() == 3
    assert not page.locator("#quarantine-table-filter").is_visible()
    assert page.locator("#partners-table tbody tr").count() == 2
    context.close()
