"""The first chart first: on a browser's first view, the rest of the page is sent once that chart is drawn.

Streamlit sends a page's elements as the script makes them, and they all reach the browser before
Plotly's module has loaded; React then renders every one of them (markdown, buttons, tables, the
sidebar's widgets, each widget type with its own JS chunk) on the main thread before Plotly can draw
the first chart: 1.7-4 s of main-thread time on this project's pages against 0.35-0.6 s for a bare
Streamlit page. So on the first run of a browser session a page calls `after_first_chart(state)`
right after its first chart: the run stops there (title, banners, the elements above the chart and
the chart itself), leaving a hidden button in a fragment and a script that clicks it once the chart's
SVG is in the page. The click reruns the fragment, which marks the session and reruns the whole app,
which now draws everything (the chart again, unchanged, then the rest and the sidebar). Nothing is
left out: the rest comes a moment later, and every later run (clicks, filters, other pages) draws the
whole page at once as before.

Should the script not run (scripts off, an unforeseen frontend), the fragment's own timer
(`FALLBACK_S`, Streamlit's ``run_every``) reveals the rest anyway. A run without a browser (AppTest:
no request headers) draws the whole page, as there is nothing to click the button.
"""

from __future__ import annotations

import streamlit as st

from trends.ui.state import PageState

KEY = "later_rest"  # the hidden button's widget key (CSS class st-key-later_rest)
FALLBACK_S = 10.0  # reveal the rest after this long even if the click never comes

_SCRIPT = """<style>.st-key-%(key)s {display: none !important;}</style>
<script>(() => {
  const button = () => document.querySelector('.st-key-%(key)s button');
  const drawn = () => document.querySelector('.js-plotly-plot .main-svg');
  let done = false;
  const tryClick = () => {
    if (done || !drawn() || !button()) return false;
    done = true;
    requestAnimationFrame(() => setTimeout(() => { const b = button(); if (b) b.click(); }, 0));
    return true;
  };
  if (tryClick()) return;
  const watch = new MutationObserver(() => { if (tryClick()) watch.disconnect(); });
  watch.observe(document.body, {childList: true, subtree: true});
})();</script>"""


def deferring(state: PageState) -> bool:
    """True when this run should stop after its first chart (a browser's first view in this session)."""
    return not state.rest_shown and bool(st.context.headers)


def after_first_chart(state: PageState) -> None:
    """Call right after a page's first chart: on a first view, stop here until the browser has drawn it."""
    if not deferring(state):
        return
    state.rest_armed = False

    @st.fragment(run_every=FALLBACK_S)
    def reveal() -> None:
        if state.rest_armed:  # a rerun of this fragment: the click (or the fallback timer) came
            state.rest_shown = True
            st.rerun(scope="app")
        state.rest_armed = True
        st.button("Show the rest of the page", key=KEY)
        st.html(_SCRIPT % {"key": KEY}, unsafe_allow_javascript=True)

    reveal()
    st.stop()
