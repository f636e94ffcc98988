"""Readership (for editors): views over time, top articles, views by dimension, distribution, age, growth."""

from dataclasses import replace

import streamlit as st

from trends import charts, ui
from trends.filters import DIMENSIONS

flt, view, info = ui.page_setup("readership")
ui.require_articles(info)

over_time = ui.query("views_over_time", flt)
if over_time.empty or not over_time["articles"].sum():
    ui.empty_state()
    ui.stop(flt, view)

st.subheader("Views of the articles published in each period")
ui.chart(charts.views_over_time(over_time), "rd_time", over_time, csv_name="views-over-time",
         on_pick=ui.drill_to(flt, view, None))
ui.anchor_here("rd_time", flt, view)

left, right = st.columns(2)
with left:
    st.subheader("Top articles")
    top = ui.query("top_articles", flt, by="views", limit=15)
    ui.chart(charts.ranked_bars(top, "views", label="title", key="article_id", value_title="views"), "rd_top",
             top, csv_name="top-articles", on_pick=ui.open_article(flt, view))
with right:
    st.subheader("Growth between snapshots")
    growth = ui.query("top_articles", flt, by="growth", limit=15)
    growth = growth[growth["growth"].fillna(0) > 0] if len(growth) else growth
    if growth.empty:
        st.caption("No article has more than one view snapshot yet: growth needs a second scrape.")
    else:
        ui.chart(charts.ranked_bars(growth, "growth", label="title", key="article_id", value_title="views gained"),
                 "rd_growth", growth, csv_name="growth", on_pick=ui.open_article(flt, view))
ui.anchor_here("rd_top", flt, view)
ui.anchor_here("rd_growth", flt, view)

dims = [d for d in DIMENSIONS if d != "theme"] + ["theme"]
dimension = view.dimension if view.dimension in dims else "source"


def _on_dim() -> None:
    new = st.session_state["rd_dim"] or "source"
    ui.set_url(flt, replace(view, dimension=None if new == "source" else new))


# One tab at a time (in the link as section=): the page draws only the open one.
section, tab = ui.sections("rd_section", {"views-by": "Views by source, author, topic …",
                                          "distribution": "Distribution of views",
                                          "age": "Views against age"}, flt, view)
with tab:
    if section == "views-by":
        st.session_state["rd_dim"] = dimension
        st.segmented_control("Dimension", dims, key="rd_dim", on_change=_on_dim, label_visibility="collapsed",
                             format_func=lambda d: ui.DIMENSION_LABELS[d])
        by = ui.query("views_by", flt, dimension, limit=20)
        if by.empty:
            ui.empty_state(f"No views by {dimension} for this filter.", "")
        else:
            ui.chart(charts.ranked_bars(by, "views_sum", value_title="total views"), "rd_by", by,
                     csv_name=f"views-by-{dimension}", on_pick=ui.drill_to(flt, view, dimension))
        ui.anchor_here("rd_by", flt, view, dimension=dimension)
    elif section == "distribution":
        dist = ui.query("views_distribution", flt, bins=30)
        ui.chart(charts.views_histogram(dist), "rd_dist", dist, csv_name="views-distribution")
    else:
        age = ui.query("views_vs_age", flt, sample=2000)
        ui.chart(charts.views_vs_age(age), "rd_age", age, csv_name="views-vs-age", on_pick=ui.open_article(flt, view))
        st.caption("Click a dot to open the article.")
        ui.anchor_here("rd_age", flt, view)
ui.end_page(flt, view)
