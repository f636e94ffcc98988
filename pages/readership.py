"""Readership (for editors): views over time, top articles, views by dimension, distribution, age, growth."""

import streamlit as st

from trends import cache, charts
from trends.filters import DIMENSIONS
from trends.ui import drill, later, lifecycle
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


def dimension_bars(dims: list[str], control: str, key: str, fetch, value: str, value_title: str, *, empty,
                   csv: str = "articles-by", default: str = "source") -> None:
    """A dimension picker (in the link as ``dim=``; `default` when absent) over ranked, clickable bars."""
    chosen = view.dimension if view.dimension in dims else default
    st.session_state[control] = chosen

    def _on_dim() -> None:
        picked = st.session_state[control] or default
        state.show(dimension=None if picked == default else picked)

    st.segmented_control("Dimension", dims, key=control, on_change=_on_dim, label_visibility="collapsed",
                         format_func=lambda d: DIMENSION_LABELS[d])
    by = fetch(chosen)
    if by.empty:
        empty_state(empty(chosen), "")
    else:
        chart(state, charts.ranked_bars(by, value, value_title=value_title), key, by, csv_name=f"{csv}-{chosen}",
              on_pick=drill.drill_to(state, chosen))
    drill.anchor_here(state, key, dimension=chosen)


if not has["has_views"]:
    # Nothing to say about readership: say so, and show what the archive does hold.
    notice("No article in this selection has a view count: its inputs had none, so there are no readership "
           "figures (views, top articles, growth). Shown instead: the articles published over time and who "
           "published them. View counts come with the seed page format, or a `views` column mapped at ingest.",
           "info")
    st.subheader("Articles published in each period")
    chart(state, with_strip(state, charts.views_over_time(over_time)), "rd_time", over_time,
          csv_name="articles-over-time", on_pick=drill.drill_to(state, None))
    later.after_first_chart(state)
    strip_note()
    drill.anchor_here(state, "rd_time")
    st.subheader("Articles by source or author")
    dimension_bars(["source", "author"], "rd_nv_dim", "rd_by_articles", lambda d: cache.facets(db, flt, d, limit=20),
                   "articles", "articles", empty=lambda d: f"No {d}s in this selection.")
    lifecycle.stop(state)

st.subheader("Views of the articles published in each period")
chart(state, with_strip(state, charts.views_over_time(over_time)), "rd_time", over_time, csv_name="views-over-time",
      on_pick=drill.drill_to(state, None))
later.after_first_chart(state)
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
# One tab at a time (in the link as section=): the page draws only the open one.
section, tab = sections(state, "rd_section", {"views-by": "Views by source, author, topic …",
                                              "distribution": "Distribution of views",
                                              "age": "Views against age"})
with tab:
    if section == "views-by":
        dimension_bars(dims, "rd_dim", "rd_by", lambda d: cache.views_by(db, flt, d, limit=20), "views_sum",
                       "total views", empty=lambda d: f"No views by {d} for this filter.", csv="views-by")
    elif section == "distribution":
        dist = cache.views_distribution(db, flt, bins=30)
        chart(state, charts.views_histogram(dist), "rd_dist", dist, csv_name="views-distribution")
    else:
        age = cache.views_vs_age(db, flt, sample=2000)
        chart(state, charts.views_vs_age(age), "rd_age", age, csv_name="views-vs-age", on_pick=drill.open_article(state))
        st.caption("Click a dot to open the article.")
        drill.anchor_here(state, "rd_age")
lifecycle.end_page(state)
