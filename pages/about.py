"""About the data: provenance, date range, counts, ingest runs, rejects, and the synthetic-data notice."""

import streamlit as st

from trends import cache, charts
from trends.filters import Filter
from trends.queries import CORE_SPAN_RULE, DENSEST_SPAN_RULE
from trends.ui import drill, later, lifecycle
from trends.ui.chart import csv_button, figure
from trends.ui.corrections import tagging_profile
from trends.ui.notices import NO_ARTICLES, empty_state
from trends.ui.text import code_span, escape_md

state = lifecycle.page_setup("about", whole_archive=True)
st.markdown(f"Database file: {code_span(state.db)}")
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

if info.get("articles"):
    st.subheader("Coverage: articles per source over time")
    whole = Filter(grain="month", sources=state.flt.sources, synthetic=state.flt.synthetic)
    span = cache.archive_span(state.db, whole, grain="month")
    cov = cache.coverage(state.db, whole)
    figure(charts.coverage_chart(cov), "ab_coverage")
    later.after_first_chart(state)
    csv_button(cov, "coverage-by-source-and-month", "ab_coverage")
    st.markdown(
        f"The archive spans **{span['first_date']}** to **{span['last_date']}**: {int(span['periods']):,} months, "
        f"{int(span['empty_periods']):,} of them without any article (blank above; charts draw them as gaps). "
        f"Core span: **{span['core_from']}** to **{span['core_to']}** ({int(span['core_articles']):,} articles). "
        f"Densest span: **{span['densest_from']}** to **{span['densest_to']}** "
        f"({int(span['densest_articles']):,} articles, {float(span['densest_share']):.0%})."
    )
    st.caption(f"{CORE_SPAN_RULE} {DENSEST_SPAN_RULE} Pages open on the core span when the archive has empty "
               "months; the bar at the top of each page switches to the whole archive or the densest span.")

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
n_rejects = int(info.get("rejects") or 0)
st.markdown(f"{n_rejects:,} inputs were not stored. `trends rejects` lists them on the command line "
            "(`--run N`, `--json`); here they are by reason, then one by one, newest first.")
if n_rejects:
    reasons = cache.reject_reasons(state.db, limit=20)
    st.dataframe(reasons, hide_index=True, column_config={"reason": "Reason", "rejects": "Inputs",
                                                          "last_at": "Last seen"})
    csv_button(reasons, "reject-reasons", "ab_reasons")
    PAGE = 50
    rows, total, page = drill.paged(lambda n: cache.rejects(state.db, page=n, page_size=PAGE), state.view.page, PAGE)
    st.dataframe(rows, hide_index=True)
    csv_button(rows, "rejects", "ab_rejects")
    if total > PAGE:
        st.caption(f"Page {page + 1} of {-(-total // PAGE)}")
        drill.pager(state, page, total, PAGE, key_prefix="ab_rejects", noun="page")
lifecycle.end_page(state)
