"""Countries: world map by period, the same as selectable bars, country trend lines, co-mentions."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from trends import charts, ui

flt, view, info = ui.page_setup("countries")
ui.require_articles(info)

by_period = ui.query("country_map", flt)
if by_period.empty:
    ui.empty_state("No countries mentioned in this period.")
    ui.stop(flt, view)

dates = pd.to_datetime(by_period["period"]).dt.date
periods = sorted(dates.unique())
options = ["all"] + [p.isoformat() for p in periods]


def _on_period() -> None:
    picked = st.session_state["ct_period"]
    ui.set_url(flt, replace(view, period=None if picked == "all" else dt.date.fromisoformat(picked)))


# The map's period lives in the link (`period=`), so a shared link opens on the same frame.
st.session_state["ct_period"] = view.period.isoformat() if view.period and view.period.isoformat() in options else "all"
chosen = st.select_slider(f"Period ({flt.grain})", options=options, key="ct_period", on_change=_on_period,
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
map_col, bar_col = st.columns([3, 2])
with map_col:
    st.subheader(f"Articles per country, {period_label}")
    fig = charts.world_map(shown)
    ui.chart(fig, "ct_map", shown, csv_name="countries-map", on_pick=ui.drill_to(flt, view, "country"))
with bar_col:
    st.subheader("Most mentioned")
    top = shown.sort_values("articles", ascending=False).head(20)
    bars = charts.ranked_bars(top, "articles", value_title="articles", period="" if chosen == "all" else chosen)
    ui.chart(bars, "ct_bars", top, csv_name="countries-top", on_pick=ui.drill_to(flt, view, "country"))
st.caption("Click a country on the map or a bar to list the articles behind it.")
ui.anchor_here("ct_map", flt, view, dimension="country")
ui.anchor_here("ct_bars", flt, view)

# One tab at a time (in the link as section=): the page draws only the open one.
section, tab = ui.sections("ct_section", {"trends": "Country trends", "together": "Mentioned together"}, flt, view)
ss = st.session_state


def _on_compare() -> None:
    ui.set_url(flt, replace(view, compare=tuple(st.session_state["ct_compare"])[:6]))


def _pair(ids):
    a, b = (ids + ["", ""])[:2]
    if not a or not b:
        return None
    return flt.replace(countries=(a,)), replace(view, drill_dimension="country", drill_key=b,
                                               drill_period=None, article=None, page=0)


with tab:
    if section == "trends":
        countries, labels = ui.options("country", view.compare)
        ss["ct_compare"] = list(view.compare)[:6]
        st.multiselect("Compare up to 6 countries (empty: the top 6)", countries, key="ct_compare", max_selections=6,
                       format_func=lambda k: labels.get(k, k), on_change=_on_compare)
        trend = ui.query("volume", flt, "country", keys=tuple(view.compare) or None, top_n=6,
                         measure=view.measure or "count")
        if trend.empty:
            ui.empty_state("No country series for this selection.", "")
        else:
            ui.chart(charts.volume_lines(trend, view.measure or "count"), "ct_trend", trend, csv_name="country-trends",
                     on_pick=ui.drill_to(flt, view, "country"))
        ui.anchor_here("ct_trend", flt, view)
    else:
        pairs = ui.query("co_mentions", flt, kind="country", min_count=3, limit=40)
        if pairs.empty:
            ui.empty_state("No pairs of countries mentioned together at least 3 times.", "")
        else:
            left, right = st.columns(2)
            with left:
                st.plotly_chart(charts.co_mention_matrix(pairs), key="ct_matrix", config=ui.plotly_config(),
                                width="stretch")
                st.caption("Articles mentioning both (the bars on the right are clickable).")
            with right:
                ui.chart(charts.co_mention_pairs(pairs), "ct_pairs", pairs, csv_name="country-co-mentions",
                         on_pick=_pair)
            ui.anchor_here("ct_pairs", flt, view)
ui.end_page(flt, view)
