"""Overview: headline numbers vs the previous period, attention over time, movers, most read, new."""

import streamlit as st

from trends import cache, charts
from trends.ui import drill, later, lifecycle
from trends.ui.chart import chart, csv_button
from trends.ui.coverage import strip_note, with_strip
from trends.ui.movers import rising_falling
from trends.ui.notices import empty_state
from trends.ui.text import metric_delta

state = lifecycle.page_setup("overview")
lifecycle.require_articles(state)
db, flt = state.db, state.flt

head = cache.headline(db, flt)
if not head or not head.get("articles"):
    empty_state()
    lifecycle.stop(state)
has = cache.availability(db, flt)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Articles", f"{head['articles']:,}", metric_delta(head["articles"], head.get("previous_articles")),
          help="Change vs the previous period of the same length")
if has["has_views"]:
    c2.metric("Views", f"{int(head.get('views') or 0):,}", metric_delta(head.get("views"), head.get("previous_views")))
else:
    c2.metric("Views", "none", help="No article in this selection has a view count (none was in the inputs).")
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
    layout = charts.attention_layout(volume)
    chart(state, with_strip(state, charts.attention_area(volume, layout=layout)), "ov_attention", volume,
          csv_name="attention-over-time", on_pick=drill.drill_to(state, "topic"))
    later.after_first_chart(state)
    st.caption({"stack": "Stacked: every topic is large enough to read as a layer. ",
                "lines": "Lines, not a stack: the smaller topics would be thin slivers. ",
                "multiples": "One panel per topic: their sizes differ too much for one axis. "}[layout]
               + "Click a point to list the articles behind it.")
    strip_note()
    drill.anchor_here(state, "ov_attention", dimension="topic")

left, right = st.columns(2)
with left:
    st.subheader("Rising and falling topics")
    rising_falling(state, "topic", "ov_movers", limit=10)
with right:
    if has["has_views"]:
        st.subheader("Most read")
        top = cache.top_articles(db, flt, by="views", limit=10)
        top = top[top["views"].notna()] if len(top) else top
        chart(state, charts.ranked_bars(top, "views", label="title", key="article_id", value_title="views"),
              "ov_top", top, csv_name="most-read", on_pick=drill.open_article(state))
        st.caption("Click a bar to open the article.")
    else:
        st.subheader("Articles by source")
        st.caption("No article in this selection has a view count, so there is no most-read list; "
                   "these are the sources the articles come from.")
        by_source = cache.facets(db, flt, "source", limit=15)
        chart(state, charts.ranked_bars(by_source, "articles", value_title="articles"), "ov_sources", by_source,
              csv_name="articles-by-source", on_pick=drill.drill_to(state, "source"))
drill.anchor_here(state, "ov_movers")
drill.anchor_here(state, "ov_top")
drill.anchor_here(state, "ov_sources", dimension="source")

st.subheader("New since the last ingest")
new = cache.new_since_last_ingest(db, flt, limit=10)
if new.empty:
    st.caption("Nothing new since the last ingest.")
else:
    csv_button(new, "new-since-last-ingest", "ov_new")
    drill.article_rows(state, new, key_prefix="new")
lifecycle.end_page(state)
