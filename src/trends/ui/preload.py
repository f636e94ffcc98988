"""Start loading Plotly in the browser while the server is still building the page's first chart.

Streamlit's frontend fetches its Plotly component (one 4.7 MB module, plus about 0.7 s of compiling
and running it) only when the first chart's message arrives, so on a first visit that download waits
for everything the script computes before its first `st.plotly_chart`. `plotly_early()`, called right
after the page title, has the browser import the same module at once, from the same URL the frontend
later imports it from (a module is fetched and evaluated once per page, so the later import finds it
ready). It is a hint: if this Streamlit names its bundle differently, nothing is emitted and the chart
loads as before.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit as st

_SCRIPT = """<script>(() => {{
  const index = document.querySelector('script[type="module"][src*="/index."]');
  if (!index || window.__trendsPlotlyEarly) return;
  window.__trendsPlotlyEarly = true;
  import(new URL({name}, index.src).href).catch(() => {{}});
}})();</script>"""


@functools.lru_cache(maxsize=1)
def plotly_module() -> str | None:
    """The file name of Streamlit's Plotly component module in this installation, or None."""
    js = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(js.glob("PlotlyChart.*.js"))
    return found[0].name if len(found) == 1 else None


def plotly_early() -> None:
    """Emit the early import (a zero-height element; a no-op once the page has the module)."""
    name = plotly_module()
    if name:
        st.html(_SCRIPT.format(name=json.dumps(name)), unsafe_allow_javascript=True)
