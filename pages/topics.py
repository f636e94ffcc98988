"""Topics & themes: volume over time (counts or share, any grain), compare up to 6, movers, by source."""

from dataclasses import replace

import streamlit as st

from trends import cache, charts
from trends.filters import ViewState
from trends.ui import drill, later, lifecycle
from trends.queries import SHARE_ACTIVE_EXPLAINED
from trends.ui.chart import chart
from trends.ui.coverage import strip_note, with_strip
from trends.ui.movers import rising_falling
from trends.ui.data import options
from trends.ui.notices import empty_state
from trends.ui.text import DIMENSION_LABELS

state = lifecycle.page_setup("topics")
lifecycle.require_articles(state)
db, flt, view = state.db, state.flt, state.view

dimension = view.dimension if view.dimension in ("topic", "theme") else "topic"
measure = view.measure or "count"
MEASURE_LABELS = {"count": "Articles", "share": "Share of all", "share_active": "Share, source-adjusted"}
MEASURE_HELP = ("Articles: how many articles carry it. Share of all: its share of all articles in the period. "
                "Share, source-adjusted: " + SHARE_ACTIVE_EXPLAINED)
keys, labels = options(db, dimension, view.compare)


def _on_controls() -> None:
    ss = st.session_state
    new_dim = ss["tp_dim"] or dimension
    compare = tuple(ss["tp_compare"])[:6] if new_dim == dimension else ()
    state.go(flt, replace(view, dimension=None if new_dim == "topic" else new_dim,
                          measure=None if (ss["tp_measure"] or "count") == "count" else ss["tp_measure"],
                          compare=compare, drill_dimension=None, drill_key=None, drill_period=None, page=0))


ss = st.session_state
ss["tp_dim"] = dimension
ss["tp_measure"] = measure
ss["tp_compare"] = list(view.compare)[:6]
a, b, c = st.columns([1, 2.2, 1.8])
a.segmented_control("Show", ["topic", "theme"], key="tp_dim", on_change=_on_controls,
                    format_func=lambda d: DIMENSION_LABELS[d] + "s")
b.segmented_control("Measure", list(MEASURE_LABELS), key="tp_measure", on_change=_on_controls,
                    format_func=MEASURE_LABELS.get, help=MEASURE_HELP)
c.multiselect(f"Compare up to 6 {dimension}s (empty: the top 8)", keys, key="tp_compare", max_selections=6,
              format_func=lambda k: labels.get(k, k), on_change=_on_controls)
st.caption(f"Time grain: {flt.grain} (change it in the sidebar).")

volume = cache.volume(db, flt, dimension, keys=tuple(view.compare) or None, top_n=8, measure=measure)
if volume.empty:
    empty_state(f"No {dimension}s tagged in this period." + (" Themes are fitted per corpus by `trends retag`." if dimension == "theme" else ""))
else:
    chart(state, with_strip(state, charts.volume_lines(volume, measure)), "tp_volume", volume,
          csv_name=f"{dimension}-volume", on_pick=drill.drill_to(state, dimension))
    later.after_first_chart(state)
    if measure == "share_active":
        st.caption(SHARE_ACTIVE_EXPLAINED)
    elif measure == "share":
        st.caption("Share of all articles in each period: a source entering or leaving the archive moves it; "
                   "'Share, source-adjusted' does not.")
    st.caption("Click a point to list the articles behind it and what drove it.")
    strip_note()
    drill.anchor_here(state, "tp_volume", dimension=dimension)

left, right = st.columns(2)
with left:
    st.subheader(f"Rising and falling {dimension}s")
    rising_falling(state, dimension, "tp_movers", limit=12)
with right:
    focus_keys = list(view.compare) or (list(volume.sort_values("articles", ascending=False)["key"].drop_duplicates()[:8]) if len(volume) else [])
    st.subheader(f"{DIMENSION_LABELS[dimension]} by source")
    if not focus_keys:
        empty_state("Nothing to break down.", "")
    else:
        focus = st.selectbox(dimension.capitalize(), focus_keys, format_func=lambda k: labels.get(k, k), key="tp_focus")
        sub = flt.replace(**{"topics" if dimension == "topic" else "themes": (focus,)})
        by_source = cache.facets(db, sub, "source", limit=20)
        if by_source.empty:
            empty_state("No sources for this selection.", "")
        else:
            def _pick(ids, sub=sub):
                return sub, ViewState(dimension=view.dimension, measure=view.measure, compare=view.compare,
                                      drill_dimension="source", drill_key=ids[0] or None)

            chart(state, charts.ranked_bars(by_source, "articles", value_title="articles"), "tp_by_source",
                  by_source, csv_name=f"{focus}-by-source", on_pick=_pick)
drill.anchor_here(state, "tp_movers")
drill.anchor_here(state, "tp_by_source", dimension="source")
lifecycle.end_page(state)
