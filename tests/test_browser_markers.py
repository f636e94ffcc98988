"""A long line draws at most `MAX_MARKERS` markers, yet a click on a point without a drawn marker
still selects that point (its [key, period]), so drill-down reaches every period.

Real Streamlit (`streamlit run` of a small script using the real chart builder) and real Chromium:
the click lands on the pixel Plotly computes for the point, and the selection Streamlit hands back
to the script is shown on the page.
"""

from __future__ import annotations

import pandas as pd
import pytest

from fixtures_serve import chromium, new_page, require_browser, serve, stop
from trends.charts.base import MAX_MARKERS

pytestmark = pytest.mark.browser

N_PERIODS = 300  # 25 years of months: well past the cap

SCRIPT = f"""
import json
import pandas as pd
import streamlit as st
from trends import charts

periods = pd.date_range("2000-01-01", periods={N_PERIODS}, freq="MS")
df = pd.DataFrame({{"period": periods, "key": "energy", "label": "Energy",
                   "articles": [10 + (i % 7) for i in range(len(periods))]}})
event = st.plotly_chart(charts.volume_lines(df), key="long", on_select="rerun", selection_mode="points")
st.code(json.dumps(charts.selection_ids(event)), language=None)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    folder = tmp_path_factory.mktemp("markers")
    script = folder / "long_line.py"
    script.write_text(SCRIPT)
    port, proc, log = serve(script, folder / "unused.duckdb", folder / "streamlit.log",
                            args=["--server.address", "127.0.0.1", "--server.headless", "true"])
    yield f"http://127.0.0.1:{port}"
    stop(proc, log)


def test_click_on_an_undrawn_point_selects_it(server):
    with chromium() as browser:
        page = new_page(browser)
        page.goto(server)
        markers = page.locator(".js-plotly-plot .scatterlayer .points path")
        markers.first.wait_for(state="attached", timeout=60000)
        drawn = markers.evaluate_all("ps => ps.map(p => p.__data__.i)")
        assert 0 < len(drawn) <= MAX_MARKERS + 1  # Plotly rounds the step up: never more than the cap
        target = next(i for i in range(N_PERIODS // 2, N_PERIODS) if i not in set(drawn))
        x, y = page.evaluate(
            """i => {
                const gd = document.querySelector('.js-plotly-plot');
                const fl = gd._fullLayout, t = gd._fullData[0];
                const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
                return [box.left + fl.xaxis.d2p(t.x[i]), box.top + fl.yaxis.d2p(t.y[i])];
            }""", target)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        period = (pd.Timestamp("2000-01-01") + pd.DateOffset(months=target)).strftime("%Y-%m-%d")
        page.locator("[data-testid='stCode']", has_text=period).wait_for(timeout=30000)
        assert f'[["energy", "{period}"]]' in page.locator("[data-testid='stCode']").inner_text()
