"""Overview: headline numbers vs the previous period, attention over time, movers, most read, new."""

import streamlit as st

from trends import cache, charts
from trends.ui import drill, lifecycle
from trends.ui.chart import chart, csv_button
from trends.ui.notices import empty_state
from trends.ui.text import metric_delta

state = lifecycle.page_setup("overview")
lifecycle.require_articles(state)
db, flt = state.db, state.flt

head = cache.headline(db, flt)
if not head or not head.get("articles"):
    empty_state()
    lifecycle.stop(state)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Articles", f"{head['articles']:,}", metric_delta(head["articles"], head.get("previous_articles")),
          help="Change vs the previous period of the same length")
c2.metric("Views", f"{int(head.get('views') or 0):,}", metric_delta(head.get("views"), head.get("previous_views")))
c3.metric("Sources", f"{head.get('sources') or 0:,}")
c4.metric("Authors", f"{head.get('authors') or 0:,}")
if head.get("period_start") and head.get("previous_start"):
    st.caption(f"Period {head['period_start']} to {head['period_end']}, compared with "
               f"{head['previous_start']} to {head['previous_end']}.")

st.subheader("Attention over time: top topics")
volume = cache.volume(db, flt, "topic", top_n=8)
if volume.empty:
    empty_state("No tagged topics in this period.")
else:
    chart(state, charts.attention_area(volume), "ov_attention", volume, csv_name="attention-over-time",
          on_pick=drill.drill_to(state, "topic"))
    st.caption("Click a point to list the articles behind it.")
    drill.anchor_here(state, "ov_attention", dimension="topic")

left, right = st.columns(2)
with left:
    st.subheader("Rising and falling topics")
    movers = cache.rising_falling(db, flt, "topic", limit=10)
    if movers.empty:
        empty_state("Not enough data to compare with the previous period.", "")
    else:
        chart(state, charts.rising_falling_bars(movers), "ov_movers", movers, csv_name="rising-falling-topics",
              on_pick=drill.drill_to(state, "topic"))
with right:
    st.subheader("Most read")
    top = cache.top_articles(db, flt, by="views", limit=10)
    if top.empty:
        empty_state("No articles with views.", "")
    else:
        chart(state, charts.ranked_bars(top, "views", label="title", key="article_id", value_title="views"),
              "ov_top", top, csv_name="most-read", on_pick=drill.open_article(state))
        st.caption("Click a bar to open the article.")
drill.anchor_here(state, "ov_movers")
drill.anchor_here(state, "ov_top")

st.subheader("New since the last ingest")
new = cache.new_since_last_ingest(db, flt, limit=10)
if new.empty:
    st.caption("Nothing new since the last ingest.")
else:
    csv_button(new, "new-since-last-ingest", "ov_new")
    drill.article_rows(state, new, key_prefix="new")
lifecycle.end_page(state)
