"""About the data: provenance, date range, counts, ingest runs, rejects, and the synthetic-data notice."""

import streamlit as st

from trends.ui import lifecycle
from trends.ui.chart import csv_button
from trends.ui.corrections import tagging_profile
from trends.ui.notices import NO_ARTICLES, empty_state
from trends.ui.text import escape_md

state = lifecycle.page_setup("about")
st.caption("Database file")
st.code(str(state.db), language=None)
lifecycle.require_database(state)  # an empty database still gets this page: it says how to fill it
info = state.info

c1, c2, c3, c4 = st.columns(4)
c1.metric("Articles", f"{int(info.get('articles') or 0):,}")
c2.metric("Sources", f"{int(info.get('sources') or 0):,}")
c3.metric("Authors", f"{int(info.get('authors') or 0):,}")
c4.metric("Rejected inputs", f"{int(info.get('rejects') or 0):,}")
synthetic = int(info.get("synthetic_articles") or 0)
if info.get("articles"):
    st.markdown(
        f"Published from **{escape_md(info.get('first_date'))}** to **{escape_md(info.get('last_date'))}**; "
        f"last ingest at **{escape_md(info.get('last_ingest_at'))}**. "
        f"{synthetic:,} synthetic demo articles, {int(info['articles']) - synthetic:,} ingested from real inputs."
    )
else:
    empty_state(*NO_ARTICLES)

st.subheader("Provenance")
st.markdown(
    "Articles come from the files given to `trends ingest` (saved pages in the seed text format, HTML, "
    "CSV, JSONL or Parquet), or from `trends demo`, which generates a synthetic corpus and flags every "
    "article it makes as synthetic. Tags (countries, people, organisations, topics) are found by "
    "`trends.tagging` in the title and body; every tag keeps the character spans of its mentions, shown "
    "highlighted on the Articles page. View counts are kept per scrape, so growth between snapshots is visible."
)
tagging_profile(info)
tags = info.get("tags_by_kind")
if tags is not None and len(tags):
    st.subheader("Tags by kind")
    st.dataframe(tags, hide_index=True)
    csv_button(tags, "tags-by-kind", "ab_tags")
runs = info.get("runs")
st.subheader("Ingest runs")
if runs is not None and len(runs):
    st.dataframe(runs, hide_index=True)
    csv_button(runs, "ingest-runs", "ab_runs")
else:
    st.caption("No ingest runs recorded.")
st.subheader("Rejected inputs")
st.markdown(f"{int(info.get('rejects') or 0):,} inputs were not stored; `trends rejects` lists them with the reason.")
lifecycle.end_page(state)
