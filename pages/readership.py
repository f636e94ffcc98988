"""Readership (for editors): views over time, top articles, views by dimension, distribution, age, growth."""

import streamlit as st

from trends import cache, charts
from trends.filters import DIMENSIONS
from trends.ui import drill, lifecycle
from trends.ui.chart import chart
from trends.ui.coverage import strip_note, with_strip
from trends.ui.notices import empty_state, notice
from trends.ui.sections import sections
from trends.ui.text import DIMENSION_LABELS

state = lifecycle.page_setup("readership")
lifecycle.require_articles(state)
db, flt, view = state.db, state.flt, state.view

over_time = cache.views_over_time(db, flt)
if over_time.empty or not over_time["articles"].sum():
    empty_state()
    lifecycle.stop(state)
has = cache.availability(db, flt)

if not has["has_views"]:
    # Nothing to say about readership: say so, and show what the archive does hold.
    notice("No article in this selection has a view count: its inputs had none, so there are no readership "
           "figures (views, top articles, growth). Shown instead: the articles published over time and who "
           "published them. View counts come with the seed page format, or a `views` column mapped at ingest.",
           "info")
    st.subheader("Articles published in each period")
    chart(state, with_strip(state, charts.views_over_time(over_time)), "rd_time", over_time,
          csv_name="articles-over-time", on_pick=drill.drill_to(state, None))
    strip_note()
    drill.anchor_here(state, "rd_time")
    no_views_dims = {"source": "Source", "author": "Author"}
    choice = view.dimension if view.dimension in no_views_dims else "source"
    st.session_state["rd_nv_dim"] = choice

    def _on_nv_dim() -> None:
        picked = st.session_state["rd_nv_dim"] or "source"
        state.show(dimension=None if picked == "source" else picked)

    st.subheader("Articles by source or author")
    st.segmented_control("Dimension", list(no_views_dims), key="rd_nv_dim", on_change=_on_nv_dim,
                         format_func=no_views_dims.get, label_visibility="collapsed")
    by = cache.facets(db, flt, choice, limit=20)
    if by.empty:
        empty_state(f"No {choice}s in this selection.", "")
    else:
        chart(state, charts.ranked_bars(by, "articles", value_title="articles"), "rd_by_articles", by,
              csv_name=f"articles-by-{choice}", on_pick=drill.drill_to(state, choice))
    drill.anchor_here(state, "rd_by_articles", dimension=choice)
    lifecycle.stop(state)

st.subheader("Views of the articles published in each period")
chart(state, with_strip(state, charts.views_over_time(over_time)), "rd_time", over_time, csv_name="views-over-time",
      on_pick=drill.drill_to(state, None))
strip_note()
if has["with_views"] < has["articles"]:
    st.caption(f"{has['with_views']:,} of the {has['articles']:,} articles in this selection have a view count; "
               "the views are theirs.")
drill.anchor_here(state, "rd_time")

left, right = st.columns(2)
with left:
    st.subheader("Top articles")
    top = cache.top_articles(db, flt, by="views", limit=15)
    chart(state, charts.ranked_bars(top, "views", label="title", key="article_id", value_title="views"), "rd_top",
          top, csv_name="top-articles", on_pick=drill.open_article(state))
with right:
    st.subheader("Growth between snapshots")
    growth = cache.top_articles(db, flt, by="growth", limit=15)
    growth = growth[growth["growth"].fillna(0) > 0] if len(growth) else growth
    if growth.empty:
        st.caption("No article has more than one view snapshot yet: growth needs a second scrape.")
    else:
        chart(state, charts.ranked_bars(growth, "growth", label="title", key="article_id", value_title="views gained"),
              "rd_growth", growth, csv_name="growth", on_pick=drill.open_article(state))
drill.anchor_here(state, "rd_top")
drill.anchor_here(state, "rd_growth")

dims = [d for d in DIMENSIONS if d != "theme"] + ["theme"]
dimension = view.dimension if view.dimension in dims else "source"


def _on_dim() -> None:
    new = st.session_state["rd_dim"] or "source"
    state.show(dimension=None if new == "source" else new)


# One tab at a time (in the link as section=): the page draws only the open one.
section, tab = sections(state, "rd_section", {"views-by": "Views by source, author, topic …",
                                              "distribution": "Distribution of views",
                                              "age": "Views against age"})
with tab:
    if section == "views-by":
        st.session_state["rd_dim"] = dimension
        st.segmented_control("Dimension", dims, key="rd_dim", on_change=_on_dim, label_visibility="collapsed",
                             format_func=lambda d: DIMENSION_LABELS[d])
        by = cache.views_by(db, flt, dimension, limit=20)
        if by.empty:
            empty_state(f"No views by {dimension} for this filter.", "")
        else:
            chart(state, charts.ranked_bars(by, "views_sum", value_title="total views"), "rd_by", by,
                  csv_name=f"views-by-{dimension}", on_pick=drill.drill_to(state, dimension))
        drill.anchor_here(state, "rd_by", dimension=dimension)
    elif section == "distribution":
        dist = cache.views_distribution(db, flt, bins=30)
        chart(state, charts.views_histogram(dist), "rd_dist", dist, csv_name="views-distribution")
    else:
        age = cache.views_vs_age(db, flt, sample=2000)
        chart(state, charts.views_vs_age(age), "rd_age", age, csv_name="views-vs-age", on_pick=drill.open_article(state))
        st.caption("Click a dot to open the article.")
        drill.anchor_here(state, "rd_age")
lifecycle.end_page(state)
