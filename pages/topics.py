"""Topics & themes: volume over time (counts or share, any grain), compare up to 6, movers, by source."""

from dataclasses import replace

import streamlit as st

from trends import cache, charts
from trends.filters import ViewState
from trends.ui import drill, lifecycle
from trends.ui.chart import chart
from trends.ui.data import options
from trends.ui.notices import empty_state
from trends.ui.text import DIMENSION_LABELS

state = lifecycle.page_setup("topics")
lifecycle.require_articles(state)
db, flt, view = state.db, state.flt, state.view

dimension = view.dimension if view.dimension in ("topic", "theme") else "topic"
measure = view.measure or "count"
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
a, b, c = st.columns([1, 1, 2.5])
a.segmented_control("Show", ["topic", "theme"], key="tp_dim", on_change=_on_controls,
                    format_func=lambda d: DIMENSION_LABELS[d] + "s")
b.segmented_control("Measure", ["count", "share"], key="tp_measure", on_change=_on_controls,
                    format_func=lambda m: "Articles" if m == "count" else "Share")
c.multiselect(f"Compare up to 6 {dimension}s (empty: the top 8)", keys, key="tp_compare", max_selections=6,
              format_func=lambda k: labels.get(k, k), on_change=_on_controls)
st.caption(f"Time grain: {flt.grain} (change it in the sidebar).")

volume = cache.volume(db, flt, dimension, keys=tuple(view.compare) or None, top_n=8, measure=measure)
if volume.empty:
    empty_state(f"No {dimension}s tagged in this period." + (" Themes are fitted per corpus by `trends retag`." if dimension == "theme" else ""))
else:
    chart(state, charts.volume_lines(volume, measure), "tp_volume", volume, csv_name=f"{dimension}-volume",
          on_pick=drill.drill_to(state, dimension))
    st.caption("Click a point to list the articles behind it.")
    drill.anchor_here(state, "tp_volume", dimension=dimension)

left, right = st.columns(2)
with left:
    st.subheader(f"Rising and falling {dimension}s")
    movers = cache.rising_falling(db, flt, dimension, limit=12)
    if movers.empty:
        empty_state("Not enough data to compare with the previous period.", "")
    else:
        chart(state, charts.rising_falling_bars(movers), "tp_movers", movers, csv_name=f"{dimension}-rising-falling",
              on_pick=drill.drill_to(state, dimension))
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
