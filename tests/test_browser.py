"""The dashboard served by a real `streamlit run`, driven by Debian's Chromium through Playwright.

Skips when /usr/bin/chromium (or $CHROMIUM) is missing on a developer machine; under CI (CI=true) a
missing browser is a failure. Every request the browser makes is recorded: only the app's own host
may be contacted.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fixtures_app import N_PLAIN, article_id, build_app_db
from fixtures_serve import ROOT, chromium, require_browser, serve, stop

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1"}


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    return build_app_db(tmp_path_factory.mktemp("browser") / "app.duckdb")


def _start_server(db: Path, tmp_path_factory):
    port, proc, log = serve(ROOT / "app.py", db, tmp_path_factory.mktemp("log") / "streamlit.log",
                            args=["--server.address", "127.0.0.1"])
    return f"http://127.0.0.1:{port}", proc, log


@pytest.fixture(scope="module")
def server(app_db, tmp_path_factory):
    require_browser()
    base, proc, log = _start_server(app_db, tmp_path_factory)
    yield base
    stop(proc, log)


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


REQUESTS: list[str] = []


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.on("request", lambda r: REQUESTS.append(r.url))
    pg.set_default_timeout(30000)
    yield pg
    context.close()


def _wait_for_chart(pg, n: int = 1) -> None:
    pg.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n}", timeout=30000)


PAGES = {"": "Overview", "topics": "Topics & themes", "countries": "Countries", "readership": "Readership",
         "articles": "Articles", "about": "About the data"}


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_loads(server, page, path):
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=PAGES[path], level=1).wait_for()
    if path in ("", "topics", "countries", "readership"):
        _wait_for_chart(page, 2)
    page.get_by_text("Synthetic demo data.").wait_for()
    assert page.get_by_text("Synthetic demo data.").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_deep_link_as_a_fresh_servers_first_request_goes_through_the_router(app_db, tmp_path_factory, browser):
    # Its own server: the shared one has already served "/" (which hides the problem).
    base, proc, log = _start_server(app_db, tmp_path_factory)
    try:
        pg = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        pg.on("request", lambda r: REQUESTS.append(r.url))
        pg.goto(f"{base}/countries?v=1&grain=quarter&section=together")
        pg.get_by_role("heading", name="Countries", level=1).wait_for(timeout=30000)
        nav = pg.locator("[data-testid='stSidebarNav']")
        nav.get_by_text("Topics & themes").wait_for()  # the router's titles, not file names
        assert nav.get_by_text("topics", exact=True).count() == 0 and nav.get_by_text("app", exact=True).count() == 0
        pg.locator(".st-key-ct_pairs").wait_for()  # the view in the link: its tab is open
        assert "grain=quarter" in pg.url and "section=together" in pg.url
        pg.context.close()
    finally:
        stop(proc, log)


def test_world_map_draws_countries_from_the_local_topojson(server, page):
    topojson = []
    page.on("response", lambda r: topojson.append((r.url, r.status)) if r.url.endswith(".json") else None)
    page.goto(f"{server}/countries")
    page.wait_for_selector(".geo path.choroplethlocation", state="attached")
    # Five countries are tagged in the fixture (UKR, RUS, DEU, USA, CHN); their shapes come from the topojson.
    assert page.locator(".geo path.choroplethlocation").count() == 5
    assert all(len(p.get_attribute("d") or "") > 50 for p in page.locator(".geo path.choroplethlocation").all())
    assert (f"{server}/app/static/world_110m.json", 200) in topojson


def test_click_on_a_point_lists_articles_then_one_opens(server, page):
    page.goto(f"{server}/topics?v=1&compare=ukraine-war")
    _wait_for_chart(page)
    chart = page.locator(".stPlotlyChart").first
    points = chart.locator(".scatterlayer .points path")
    points.first.wait_for(state="attached")
    # Points are in period order; the first is January 2024: ukraine-war articles i = 0, 2, 4.
    points.first.click(force=True)
    page.get_by_text(re.compile(r"Articles behind Topic: Ukraine war, the month starting 2024-01-01")).wait_for()
    assert "drill_key=ukraine-war" in page.url and "drill_period=2024-01-01" in page.url
    panel = page.locator(".st-key-drill_panel")
    panel.get_by_text("3 articles, sorted by views").wait_for()
    for i in (0, 2, 4):
        assert panel.get_by_text(f"Note {i} on the war in Ukraine").count() == 1
    assert panel.get_by_text("Note 6 on the war in Ukraine").count() == 0
    panel.locator(f".st-key-drill_open_{article_id(2)} button").click()
    article = page.locator(".st-key-article_panel")
    article.locator(".article-body mark").first.wait_for()
    assert f"article={article_id(2)}" in page.url
    assert article.locator("mark.tag-country").count() >= 2  # Russia and Ukraine highlighted in the text
    # Back restores the list without the article.
    page.go_back()
    page.locator(".st-key-drill_panel").wait_for()
    page.wait_for_function("!document.querySelector('.st-key-article_panel')")
    assert "article=" not in page.url


def test_a_tab_opens_on_click_goes_into_the_link_and_survives_a_reload(server, page):
    page.goto(f"{server}/readership?v=1")
    _wait_for_chart(page, 3)
    assert page.locator(".st-key-rd_age").count() == 0  # a closed tab is not drawn
    page.get_by_role("tab", name="Views against age").click()
    page.wait_for_url(re.compile(r"section=age"))
    page.locator(".st-key-rd_age .scatterlayer .points path").first.wait_for(state="attached")
    assert page.locator(".st-key-rd_by").count() == 0
    page.reload()
    page.locator(".st-key-rd_age .scatterlayer .points path").first.wait_for(state="attached")
    assert page.get_by_role("tab", name="Views against age").get_attribute("aria-selected") == "true"


def test_pasted_share_link_restores_the_view(server, page, browser):
    page.goto(f"{server}/countries?v=1&grain=quarter&country=RUS,CHN&drill_dim=country&drill_key=CHN")
    page.get_by_role("heading", name="Countries", level=1).wait_for()
    page.get_by_text("Share this view").click()
    code = page.locator("[data-testid='stSidebar'] [data-testid='stCode'] code").first
    code.wait_for()
    link = code.inner_text().strip()
    assert link.startswith(server + "/countries?v=1&grain=quarter&country=RUS,CHN")
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.on("request", lambda r: REQUESTS.append(r.url))
    other.goto(link)
    other.locator(".st-key-drill_panel").wait_for(timeout=30000)
    sidebar = other.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("China").first.wait_for()
    assert sidebar.get_by_text("Russia").count() >= 1 and sidebar.get_by_text("China").count() >= 1
    assert sidebar.get_by_role("combobox", name="Time grain").input_value() == "quarter"
    # The filter is "RUS or CHN"; the drill is CHN: every CHN article (i % 3 == 0, i < 30) -> 10 articles.
    other.locator(".st-key-drill_panel").get_by_text("10 articles, sorted by views").wait_for()
    other.context.close()


def test_picking_a_date_range_in_the_calendar_rewrites_the_link(server, page):
    page.goto(f"{server}/?v=1")
    _wait_for_chart(page)
    dates = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput']")
    dates.locator("button").first.click()
    page.locator("[role='gridcell']", has_text="10").first.click()  # the calendar opens on January 2024
    page.locator("[role='gridcell']", has_text="20").first.click()
    page.wait_for_url(re.compile(r"from=2024-01-10&to=2024-01-20"))
    # Articles published 10-20 January: i = 1 (11 Jan) and i = 2 (17 Jan).
    page.locator("[data-testid='stMetricValue']").first.filter(has_text=re.compile(r"^2$")).wait_for()


def test_hostile_article_renders_inert(server, page):
    page.goto(f"{server}/articles?v=1&article={article_id(N_PLAIN)}")
    body = page.locator(".st-key-article_panel .article-body")
    body.wait_for()
    time.sleep(1)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "<script>window.__pwned=1</script>" in body.inner_text()
    assert page.locator(".st-key-article_panel img").count() == 0


def test_presenter_mode_hides_the_chrome(server, page):
    page.goto(f"{server}/topics?v=1&embed=true")
    page.get_by_role("heading", name="Topics & themes", level=1).wait_for()
    _wait_for_chart(page)
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    assert page.locator("[data-testid='stToolbar']").count() == 0
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 20


def test_presenter_view_loads_inside_an_iframe(server, page):
    page.set_content(f'<iframe src="{server}/countries?v=1&embed=true&grain=quarter" width="1300" height="900"></iframe>')
    frame = page.frame_locator("iframe")
    frame.get_by_role("heading", name="Countries", level=1).wait_for()
    frame.locator(".geo path.choroplethlocation").first.wait_for(state="attached")


def test_zero_requests_leave_the_host(server, page):
    """Every request recorded in this module (this test's own map load included) went to the app's host."""
    page.goto(f"{server}/countries")
    page.wait_for_selector(".geo path.choroplethlocation", state="attached")
    _wait_for_chart(page, 3)
    foreign = sorted({u for u in REQUESTS if u.startswith(("http:", "https:", "ws:", "wss:"))
                      and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert foreign == []
    assert any(u.endswith("/app/static/world_110m.json") for u in REQUESTS)
