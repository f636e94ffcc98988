"""Countries: world map by period, the same as selectable bars, country trend lines, co-mentions."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from trends import cache, charts
from trends.ui import drill, later, lifecycle
from trends.ui.chart import chart, figure
from trends.ui.coverage import strip_note, with_strip
from trends.ui.data import options
from trends.ui.notices import empty_state
from trends.ui.sections import sections

state = lifecycle.page_setup("countries")
lifecycle.require_articles(state)
db, flt, view = state.db, state.flt, state.view

by_period = cache.country_map(db, flt)
if by_period.empty:
    empty_state("No countries mentioned in this period.")
    lifecycle.stop(state)

dates = pd.to_datetime(by_period["period"]).dt.date
periods = sorted(dates.unique())
period_options = ["all"] + [p.isoformat() for p in periods]


def _on_period() -> None:
    picked = st.session_state["ct_period"]
    state.show(period=None if picked == "all" else dt.date.fromisoformat(picked))


# The map's period lives in the link (`period=`), so a shared link opens on the same frame.
st.session_state["ct_period"] = (view.period.isoformat() if view.period and view.period.isoformat() in period_options
                                 else "all")
chosen = st.select_slider(f"Period ({flt.grain})", options=period_options, key="ct_period", on_change=_on_period,
                          help="Slide through the periods; 'all' sums the whole filtered range.")
if chosen == "all":
    shown = (by_period.groupby(["key", "label"], as_index=False)["articles"].sum())
    shown["period"] = pd.NaT
    shown["share"] = shown["articles"] / max(1, shown["articles"].sum())
    period_label = "the whole range"
else:
    shown = by_period[dates.astype(str) == chosen]
    period_label = f"the {flt.grain} starting {chosen}"

shown = shown[shown["articles"] > 0]
SCALES = {"log": "Log", "quantile": "Quantile", "linear": "Linear"}
scale = view.scale if view.scale in SCALES else "log"
st.session_state["ct_scale"] = scale


def _on_scale() -> None:
    picked = st.session_state["ct_scale"] or "log"
    state.show(scale=None if picked == "log" else picked)


map_col, bar_col = st.columns([3, 2])
with map_col:
    st.subheader(f"Articles per country, {period_label}")
    chart(state, charts.world_map(shown, scale=scale), "ct_map", shown, csv_name="countries-map",
          on_pick=drill.drill_to(state, "country"))
    later.after_first_chart(state)
    st.segmented_control("Colour scale", list(SCALES), key="ct_scale", format_func=SCALES.get, on_change=_on_scale,
                         help="Log (default) and quantile keep smaller countries visible next to a dominant one; "
                              "linear is proportional to the count. The legend shows real article counts.")
with bar_col:
    st.subheader("Most mentioned")
    top = shown.sort_values("articles", ascending=False).head(20)
    bars = charts.ranked_bars(top, "articles", value_title="articles", period="" if chosen == "all" else chosen)
    chart(state, bars, "ct_bars", top, csv_name="countries-top", on_pick=drill.drill_to(state, "country"))
st.caption("Click a country on the map or a bar to list the articles behind it.")
drill.anchor_here(state, "ct_map", dimension="country")
drill.anchor_here(state, "ct_bars")

# One tab at a time (in the link as section=): the page draws only the open one.
section, tab = sections(state, "ct_section", {"trends": "Country trends", "network": "Network",
                                              "together": "Mentioned together"})
ss = st.session_state


def _on_compare() -> None:
    state.show(compare=tuple(st.session_state["ct_compare"])[:6])


def _pair(ids):
    a, b = (ids + ["", ""])[:2]
    if not a or not b:
        return None
    return flt.replace(countries=(a,)), replace(view, drill_dimension="country", drill_key=b,
                                               drill_period=None, article=None, page=0)


with tab:
    if section == "trends":
        countries, labels = options(db, "country", view.compare)
        ss["ct_compare"] = list(view.compare)[:6]
        st.multiselect("Compare up to 6 countries (empty: the top 6)", countries, key="ct_compare", max_selections=6,
                       format_func=lambda k: labels.get(k, k), on_change=_on_compare)
        trend = cache.volume(db, flt, "country", keys=tuple(view.compare) or None, top_n=6,
                             measure=view.measure or "count")
        if trend.empty:
            empty_state("No country series for this selection.", "")
        else:
            chart(state, with_strip(state, charts.volume_lines(trend, view.measure or "count")), "ct_trend", trend,
                  csv_name="country-trends", on_pick=drill.drill_to(state, "country"))
            strip_note()
        drill.anchor_here(state, "ct_trend")
    elif section == "network":
        network = cache.co_mention_network(db, flt, kind="country", max_nodes=30, min_count=3)
        if network["nodes"].empty:
            empty_state("No countries mentioned in this selection.", "")
        else:
            edges = network["edges"]
            chart(state, charts.co_mention_network(network), "ct_network", edges if len(edges) else network["nodes"],
                  csv_name="country-network", on_pick=drill.network_to(state, "country"))
            st.caption("Countries as nodes sized by their articles; a line joins two countries mentioned together "
                       "in at least 3 articles, thicker for a higher lift (how much more often than chance). "
                       "Click a country for its articles, or the dot in the middle of a line for the articles "
                       "mentioning both.")
        drill.anchor_here(state, "ct_network", dimension="country")
    else:
        pairs = cache.co_mentions(db, flt, kind="country", min_count=3, limit=40)
        if pairs.empty:
            empty_state("No pairs of countries mentioned together at least 3 times.", "")
        else:
            left, right = st.columns(2)
            with left:
                figure(charts.co_mention_matrix(pairs), "ct_matrix")
                st.caption("Articles mentioning both (the bars on the right are clickable).")
            with right:
                chart(state, charts.co_mention_pairs(pairs), "ct_pairs", pairs, csv_name="country-co-mentions",
                      on_pick=_pair)
            drill.anchor_here(state, "ct_pairs")
lifecycle.end_page(state)
