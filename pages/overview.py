"""Overview: headline numbers vs the previous period, attention over time, movers, most read, new."""

import streamlit as st

from trends import charts, ui

flt, view, info = ui.page_setup("overview")
ui.require_articles(info)

head = ui.query("headline", flt)
if not head or not head.get("articles"):
    ui.empty_state()
    ui.stop(flt, view)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Articles", f"{head['articles']:,}", ui.metric_delta(head["articles"], head.get("previous_articles")),
          help="Change vs the previous period of the same length")
c2.metric("Views", f"{int(head.get('views') or 0):,}", ui.metric_delta(head.get("views"), head.get("previous_views")))
c3.metric("Sources", f"{head.get('sources') or 0:,}")
c4.metric("Authors", f"{head.get('authors') or 0:,}")
if head.get("period_start") and head.get("previous_start"):
    st.caption(f"Period {head['period_start']} to {head['period_end']}, compared with "
               f"{head['previous_start']} to {head['previous_end']}.")

st.subheader("Attention over time: top topics")
volume = ui.query("volume", flt, "topic", top_n=8)
if volume.empty:
    ui.empty_state("No tagged topics in this period.")
else:
    ui.chart(charts.attention_area(volume), "ov_attention", volume, csv_name="attention-over-time",
             on_pick=ui.drill_to(flt, view, "topic"))
    st.caption("Click a point to list the articles behind it.")
    ui.anchor_here("ov_attention", flt, view, dimension="topic")

left, right = st.columns(2)
with left:
    st.subheader("Rising and falling topics")
    movers = ui.query("rising_falling", flt, "topic", limit=10)
    if movers.empty:
        ui.empty_state("Not enough data to compare with the previous period.", "")
    else:
        ui.chart(charts.rising_falling_bars(movers), "ov_movers", movers, csv_name="rising-falling-topics",
                 on_pick=ui.drill_to(flt, view, "topic"))
with right:
    st.subheader("Most read")
    top = ui.query("top_articles", flt, by="views", limit=10)
    if top.empty:
        ui.empty_state("No articles with views.", "")
    else:
        ui.chart(charts.ranked_bars(top, "views", label="title", key="article_id", value_title="views"),
                 "ov_top", top, csv_name="most-read", on_pick=ui.open_article(flt, view))
        st.caption("Click a bar to open the article.")
ui.anchor_here("ov_movers", flt, view)
ui.anchor_here("ov_top", flt, view)

st.subheader("New since the last ingest")
new = ui.query("new_since_last_ingest", flt, limit=10)
if new.empty:
    st.caption("Nothing new since the last ingest.")
else:
    ui.csv_button(new, "new-since-last-ingest", "ov_new")
    ui.article_rows(new, flt, view, key_prefix="new")
ui.end_page(flt, view)
