"""The HTML reports in a real browser: charts drawn, alt text present, axe-core clean, no
request leaving the file; for the built-in renderer and for the real Quarto CLI.

Headless Chromium is Debian's `chromium` package (installed by `.ci/run`), driven by the PyPI
playwright package through `executable_path`; no browser is downloaded.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def browser_page(rendered):
    """Chromium on the session's reports (`conftest.rendered`: each renderer in turn)."""
    from playwright.sync_api import sync_playwright

    paths = rendered
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        external: list[str] = []
        page.on(
            "request",
            lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
        )
        yield paths, page, external
        browser.close()


@pytest.mark.parametrize("audience", ["council", "P001", "P003"])
def test_report_loads_with_charts_drawn_and_passes_axe(browser_page, audience):
    from axe_playwright_python.sync_playwright import Axe

    paths, page, external = browser_page
    folder = (
        paths.council_report_dir if audience == "council" else paths.partner_report_dir(audience)
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((folder / "health-check.html").as_uri())
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.naturalWidth, e.naturalHeight, e.getAttribute('alt') || ''])"
    )
    assert len(images) >= (2 if audience == "council" else 1)
    for width, height, alt in images:
        assert width > 0 and height > 0  # the chart was decoded and drawn
        assert len(alt) > 20
    assert dialogs == []  # no partner-typed script ran
    assert external == []  # no request left the file
    results = Axe().run(page)
    assert [(v["id"], v["impact"]) for v in results.response["violations"]] == []


def test_index_passes_axe(browser_page):
    from axe_playwright_python.sync_playwright import Axe

    paths, page, _ = browser_page
    page.goto(paths.index_html.as_uri())
    results = Axe().run(page)
    assert [
        v["id"] for v in results.response["violations"] if v["impact"] in {"serious", "critical"}
    ] == []


#: Every word of a heading, caption or table cell whose letters land on more than one line.
BROKEN_WORDS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('h1, h2, h3, caption, th, td')) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[\\p{L}\\p{N}]{2,}/gu)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) out.push(el.tagName + ': ' + m[0]);
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("audience", ["council", "P001"])
def test_layout_at_phone_and_desktop_widths(browser_page, audience, width):
    """No word is broken across lines (a letter-a-line "Ambition" column, "Contra/ct"); the page
    never runs off the side: a wide table scrolls inside its own frame, caption in view."""
    paths, page, _ = browser_page
    folder = (
        paths.council_report_dir if audience == "council" else paths.partner_report_dir(audience)
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto((folder / "health-check.html").as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    captions = page.eval_on_selector_all(
        "caption", "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert captions and max(captions) <= width
    page.set_viewport_size({"width": 1280, "height": 900})
