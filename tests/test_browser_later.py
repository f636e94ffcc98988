"""The first chart first (trends.ui.later), in a real `streamlit run` and real Chromium.

On a browser's first view the page stops after its first chart; once that chart's SVG is in the page
the rest (lower charts, lists, the sidebar) follows, with nothing left out. An init script watches the
DOM from the first byte and notes what else is there at the moment the first chart's SVG appears.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_app import build_app_db
from fixtures_serve import chromium, dashboard, require_browser
from trends.ui.later import FALLBACK_S

pytestmark = pytest.mark.browser

WATCH = """(() => {
  window.__firstChart = null;
  const look = () => {
    if (window.__firstChart || !document.querySelector('.js-plotly-plot .main-svg')) return;
    window.__firstChart = {
      t: performance.now(),
      plots: document.querySelectorAll('.js-plotly-plot').length,
      sidebarFilters: !!document.querySelector("[data-testid='stSidebar'] [data-testid='stExpander']"),
      newSince: document.body.innerText.includes('New since the last ingest'),
    };
  };
  new MutationObserver(look).observe(document, {childList: true, subtree: true});
})();"""

NO_SCRIPTED_CLICKS = "HTMLElement.prototype.click = function () {};"  # our trigger's click does nothing


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    db = build_app_db(tmp_path_factory.mktemp("later") / "app.duckdb")
    with dashboard(db, tmp_path_factory.mktemp("log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


def _open(browser, url: str, *init_scripts: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    for script in init_scripts:
        ctx.add_init_script(script)
    pg = ctx.new_page()
    pg.set_default_timeout(40000)
    pg.goto(url)
    return pg


def _whole_page(pg) -> None:
    pg.get_by_text("New since the last ingest").wait_for()
    pg.locator("[data-testid='stSidebar'] [data-testid='stExpander']").wait_for(state="attached")
    pg.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")


def test_the_first_chart_is_drawn_before_the_rest_arrives_then_the_rest_follows(server, browser):
    pg = _open(browser, server + "/", WATCH)
    _whole_page(pg)
    first = pg.evaluate("window.__firstChart")
    assert first is not None
    # When the first chart's SVG appeared it was the only chart, and neither the lower panels nor the
    # sidebar's filters had been sent yet.
    assert first["plots"] == 1 and not first["sidebarFilters"] and not first["newSince"], first
    # Afterwards everything is there: the lower charts, the sidebar, no trace of the trigger, no error.
    assert pg.locator(".js-plotly-plot").count() >= 2
    assert pg.locator(".st-key-later_rest").count() == 0
    assert pg.locator("[data-testid='stException']").count() == 0
    pg.context.close()


def test_later_runs_in_the_session_draw_the_whole_page_at_once(server, browser):
    pg = _open(browser, server + "/", WATCH)
    _whole_page(pg)
    # The menu: the same session opens another page, which is drawn whole (no deferral a second time).
    pg.locator("[data-testid='stSidebarNav']").get_by_text("Topics & themes").click()
    pg.get_by_role("heading", name="Topics & themes", level=1).wait_for()
    pg.get_by_text("Rising and falling topics").wait_for()
    assert pg.locator(".st-key-later_rest").count() == 0
    pg.context.close()


SEEN = """(() => {
  window.__seen = {};
  const look = () => {
    const now = performance.now();
    if (!window.__seen.trigger && document.querySelector('.st-key-later_rest')) window.__seen.trigger = now;
    if (!window.__seen.rest && document.querySelector("[data-testid='stSidebar'] [data-testid='stExpander']")) window.__seen.rest = now;
  };
  new MutationObserver(look).observe(document, {childList: true, subtree: true});
})();"""


def test_without_the_scripted_click_the_fallback_timer_reveals_the_rest(server, browser):
    pg = _open(browser, server + "/topics", SEEN, NO_SCRIPTED_CLICKS)
    pg.get_by_text("Rising and falling topics").wait_for(timeout=(FALLBACK_S + 40) * 1000)
    pg.locator("[data-testid='stSidebar'] [data-testid='stExpander']").wait_for(state="attached")
    seen = pg.evaluate("window.__seen")
    # The click did nothing, so the rest came from the fragment's timer, FALLBACK_S after the trigger arrived.
    assert seen.get("trigger") and seen.get("rest"), seen
    assert seen["rest"] - seen["trigger"] >= FALLBACK_S * 1000 * 0.9, seen
    assert pg.locator(".st-key-later_rest").count() == 0
    pg.context.close()
