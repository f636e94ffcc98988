"""Issue 12 in Chromium: the two-source archive without view counts, made by the real ingest.

tests/fixtures_two_sources.py: Old Wire January-April 2021, New Daily March, April and June, no article
in May, no views. Served by a real `streamlit run`, driven by Debian's Chromium through Playwright.
Figures are worked out by hand from the fixture's table (see tests/fixtures_coverage.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures_serve import chromium, dashboard, require_browser
from fixtures_two_sources import build_two_source_archive

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1400, "height": 1100}
PAGES = {"": "Overview", "topics": "Topics & themes", "countries": "Countries", "readership": "Readership",
         "articles": "Articles", "about": "About the data"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    db = build_two_source_archive(tmp_path_factory.mktemp("two-sources-browser"))
    with dashboard(db, tmp_path_factory.mktemp("log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(30000)
    yield pg
    context.close()


def _charts(pg, n: int = 1) -> None:
    pg.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n}", timeout=30000)


def _trace_y(pg, chart_key: str, name: str) -> list:
    """The y values Plotly holds for one named trace of a chart (null where the line has a gap)."""
    return pg.evaluate(
        """([key, name]) => {
            const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            const t = gd._fullData.find(t => t.name === name);
            return Array.from(t.y, v => (v === null || Number.isNaN(v)) ? null : v);
        }""",
        [chart_key, name],
    )


NEGATIVE_AXES = """() => {
    const bad = [];
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        const layout = gd._fullLayout || {};
        for (const [name, ax] of Object.entries(layout)) {
            if (!/^yaxis\\d*$/.test(name) || !ax || ax.visible === false) continue;
            if (ax.type !== 'linear' && ax.type !== 'log') continue;  // category axes (strip, bars) have no values
            if (ax.range && ax.type === 'linear' && Math.min(...ax.range) < 0) bad.push([name, ax.range]);
        }
    }
    return bad;
}"""


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_has_no_negative_axis_and_no_error(server, page, path):
    page.goto(f"{server}/{path}?v=1&span=all")
    page.get_by_role("heading", name=PAGES[path], level=1).wait_for()
    if path in ("", "topics", "countries", "readership", "about"):
        _charts(page, 2)
    page.wait_for_timeout(500)
    assert page.evaluate(NEGATIVE_AXES) == []
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Synthetic demo data.").count() == 0  # nothing synthetic here


def test_plotly_is_imported_early_and_fetched_once(server, page):
    """The page's early import (trends.ui.preload) and the chart's own import are one module: the
    browser requests Streamlit's Plotly module once, and the chart draws from it."""
    page.goto(f"{server}/topics?v=1")
    _charts(page)
    assert page.evaluate("() => window.__trendsPlotlyEarly === true")
    fetched = page.evaluate("""() => performance.getEntriesByType('resource')
                                   .filter(r => /PlotlyChart\\.[^/]*\\.js$/.test(r.name)).length""")
    assert fetched == 1


def test_gaps_are_gaps_and_the_core_span_is_the_default(server, page):
    page.goto(f"{server}/topics?v=1")
    _charts(page)
    page.get_by_text(re.compile(r"core span, 2021-01-05 to 2021-04-22 \(28 of 34 articles\)")).wait_for()
    assert _trace_y(page, "tp_volume", "Energy, oil and gas") == [2, 2, 3, 4]
    page.locator(".st-key-span_all button").click()
    page.wait_for_url(re.compile(r"span=all"))
    page.wait_for_function("""() => {
        const gd = document.querySelector('.st-key-tp_volume .js-plotly-plot');
        return gd && gd._fullData && gd._fullData[0].y.length === 6; }""")
    # May: no article in the archive at all -> no value (a gap in the line), not a zero.
    assert _trace_y(page, "tp_volume", "Energy, oil and gas") == [2, 2, 3, 4, None, 1]
    strip = page.evaluate("""() => document.querySelector('.st-key-tp_volume .js-plotly-plot')._fullData
                                     .filter(t => t.type === 'heatmap').map(t => t.y)""")
    assert strip == [["Old Wire", "New Daily"]]


def test_readership_without_views_says_so(server, page):
    page.goto(f"{server}/readership?v=1&span=all")
    page.get_by_text(re.compile(r"No article in this selection has a view count")).wait_for()
    page.locator(".st-key-rd_time .js-plotly-plot .main-svg").first.wait_for(state="attached")
    page.locator(".st-key-rd_by_articles .js-plotly-plot .main-svg").first.wait_for(state="attached")
    assert page.locator(".st-key-rd_top").count() == 0 and page.locator(".st-key-rd_by").count() == 0
    names = page.evaluate("""() => document.querySelector('.st-key-rd_time .js-plotly-plot')._fullData
                                    .filter(t => t.type !== 'heatmap').map(t => t.name)""")
    assert names == ["articles"]
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Time grain").wait_for()
    assert sidebar.get_by_text("Minimum views").count() == 0
    assert sidebar.get_by_text("Include synthetic demo articles").count() == 0


def test_rising_falling_states_its_support_rule_and_the_entering_source(server, page):
    page.goto(f"{server}/topics?v=1&from=2021-03-01&to=2021-04-30")
    page.get_by_text(re.compile(r"left out: New Daily \(not yet in the archive in the previous period\)")).wait_for()
    page.get_by_text(re.compile(r"No topic has at least 5 articles in both this period and the previous one")).wait_for()
    page.get_by_text(re.compile(r"listed only with at least 5 articles in both periods")).wait_for()


def test_source_adjusted_share_equals_the_hand_computed_value(server, page):
    page.goto(f"{server}/topics?v=1&span=all")
    _charts(page)
    page.locator(".st-key-tp_measure button", has_text="Share, source-adjusted").click()
    page.wait_for_url(re.compile(r"measure=share_active"))
    page.get_by_text(re.compile(r"Share adjusted for the source mix")).first.wait_for()
    page.wait_for_function("""() => {
        const gd = document.querySelector('.st-key-tp_volume .js-plotly-plot');
        return gd && gd._fullData && gd._fullData[0].y[0] < 1; }""")
    energy = _trace_y(page, "tp_volume", "Energy, oil and gas")
    migration = _trace_y(page, "tp_volume", "Migration and refugees")
    # w(Old) = 16/34, w(New) = 18/34; April: Old 3/4, New 1/6 -> 12/34 + 3/34 = 15/34; migration flat at 13/34.
    assert energy[3] == pytest.approx(15 / 34) and energy[0] == pytest.approx(11 / 34) and energy[4] is None
    assert [round(v, 6) for v in migration if v is not None] == [round(13 / 34, 6)] * 5


def test_network_edge_drills_to_the_articles_behind_it(server, page):
    page.goto(f"{server}/countries?v=1&span=all&section=network")
    net = page.locator(".st-key-ct_network")
    net.locator(".scatterlayer .trace").nth(1).locator(".points path").first.wait_for(state="attached")
    # Traces: the edge lines, the edge midpoints (clickable), the nodes.
    net.locator(".scatterlayer .trace").nth(1).locator(".points path").first.click(force=True)
    page.wait_for_url(re.compile(r"drill_key=DEU&drill_key_b=RUS"))
    panel = page.locator(".st-key-drill_panel")
    panel.get_by_text(re.compile(r"Country: Germany and Russia \(both\)")).wait_for()
    panel.get_by_text(re.compile(r"^12 articles, sorted by newest")).wait_for()  # every energy article


def test_drill_from_a_point_to_the_article_text_and_the_shared_link_reopens_it(server, page, browser):
    page.goto(f"{server}/topics?v=1&span=all&compare=energy")  # one line: April's point is not under another
    _charts(page)
    points = page.locator(".st-key-tp_volume .scatterlayer .trace").first.locator(".points path")
    points.nth(3).wait_for(state="attached")
    points.nth(3).click(force=True)  # Energy, April 2021: Old Wire 04-15 (#25), 04-10 (#22), 04-05 (#19), New Daily 04-06 (#20)
    page.wait_for_url(re.compile(r"compare=energy&drill_dim=topic&drill_key=energy&drill_period=2021-04-01"))
    panel = page.locator(".st-key-drill_panel")
    panel.get_by_text(re.compile(r"^4 articles, sorted by newest")).wait_for()
    panel.get_by_text("What drove this").wait_for()
    # the terms chart is drawn after its heading: wait until Plotly has laid it out
    page.wait_for_function("""() => { const p = document.querySelector('.st-key-drivers_terms .js-plotly-plot');
                                      return p && p._fullData && p._fullData.length > 0; }""", timeout=30000)
    assert page.evaluate("""() => document.querySelector('.st-key-drivers_terms .js-plotly-plot')._fullData[0].y
                              .slice(-1)[0]""") == "pipeline"
    titles = [t.strip() for t in panel.locator("strong").all_inner_texts()]
    assert titles[:4] == ["Old Wire report 25", "Old Wire report 22", "New Daily report 20", "Old Wire report 19"]
    # Beside "What drove this" every Open button is whole (its label not cut off) and inside the panel.
    clipped = page.evaluate("""() => { const panel = document.querySelector('.st-key-drill_panel').getBoundingClientRect();
        return [...document.querySelectorAll('.st-key-drill_panel button')].filter(b => b.innerText.includes('Open'))
            .map(b => [b.scrollWidth > b.clientWidth + 1, b.getBoundingClientRect().right > panel.right + 1]); }""")
    assert len(clipped) == 4 and not any(any(c) for c in clipped), clipped
    # The comparison window (Jan-Jul around April) is named within the data: 2021-01-05 to 2021-06-22.
    panel.get_by_text(re.compile(r"against \d+ from 2021-01-05 to 2021-06-22")).wait_for()
    panel.locator("button", has_text="Open").first.click()
    article = page.locator(".st-key-article_panel")
    article.get_by_text(re.compile(r"Pipeline talks stall")).first.wait_for()
    assert re.search(r"article=\d+", page.url)
    view_url = page.url
    page.get_by_text("Share this view").click()
    code = page.locator("[data-testid='stSidebar'] [data-testid='stCode'] code").first
    code.wait_for()
    link = code.inner_text().strip()
    assert link == view_url
    other = browser.new_context(viewport=VIEWPORT).new_page()
    other.goto(link)
    other.locator(".st-key-article_panel").get_by_text(re.compile(r"Pipeline talks stall")).first.wait_for(timeout=30000)
    other_panel = other.locator(".st-key-drill_panel")
    other_panel.get_by_text(re.compile(r"^4 articles, sorted by newest")).wait_for()
    assert [t.strip() for t in other_panel.locator("strong").all_inner_texts()][:4] == titles[:4]
    _charts(other)
    assert _trace_y(other, "tp_volume", "Energy, oil and gas") == _trace_y(page, "tp_volume", "Energy, oil and gas")
    assert other.url == view_url
    other.context.close()
