"""Articles: ranked full-text search with snippets, the drill-down list, and one article in full."""

from dataclasses import replace

import streamlit as st

from trends import cache
from trends.ui import drill, lifecycle
from trends.ui.article import article_view
from trends.ui.chart import csv_button
from trends.ui.notices import empty_state
from trends.ui.text import escape_md

state = lifecycle.page_setup("articles", charts=False)
lifecycle.require_articles(state)
db, flt, view = state.db, state.flt, state.view

if view.article is not None:
    article_view(state)
if view.drill_key or view.drill_period:
    drill.drill_list(state)

st.session_state["ar_query"] = flt.text


def _on_query() -> None:
    text = (st.session_state["ar_query"] or "").strip()[:200]
    state.go(flt.replace(text=text), replace(view, page=0, article=None))


st.text_input("Search the text (ranked by relevance)", key="ar_query", on_change=_on_query, max_chars=200,
              placeholder="e.g. sanctions energy", icon=":material/search:")
PAGE = 25
if flt.text:
    results, total, page = drill.paged(lambda n: cache.search(db, flt, flt.text, page=n, page_size=PAGE),
                                       view.page, PAGE)
    st.caption(f"{total:,} articles match '{escape_md(flt.text)}'" + (f"; page {page + 1}" if total > PAGE else ""))
    if results.empty:
        empty_state("No article matches this search.", "Try fewer or different words.")
    else:
        csv_button(results, "search-results", "ar_search")
        drill.article_rows(state, results, key_prefix="search", snippet=True)
else:
    has = cache.availability(db, flt)
    # Sorting by views or growth needs view counts (growth: two snapshots); offer only the sorts that apply.
    sorts = ["date"] + (["views"] if has["has_views"] else []) + (["growth"] if has["has_growth"] else [])
    sort = view.sort if view.sort in sorts else "date"
    st.session_state["ar_sort"] = sort

    def _on_sort() -> None:
        chosen = st.session_state["ar_sort"] or "date"
        state.show(sort=None if chosen == "date" else chosen, page=0)

    if len(sorts) > 1:
        st.segmented_control("Sort by", sorts, key="ar_sort", on_change=_on_sort,
                             format_func={"date": "Newest", "views": "Most read", "growth": "Fastest growing"}.get)
    if view.sort in ("views", "growth") and sort == "date":
        st.caption("Newest first: no article here has " + ("a view count" if view.sort == "views" else
                                                             "a second view snapshot") + " to sort by.")
    results, total, page = drill.paged(lambda n: cache.drilldown(db, flt, sort=sort, page=n, page_size=PAGE),
                                       view.page, PAGE)
    st.caption(f"{total:,} articles match the filters" + (", newest first" if sort == "date" else f", sorted by {sort}"))
    if results.empty:
        empty_state()
    else:
        csv_button(results, "articles", "ar_list")
        drill.article_rows(state, results, key_prefix="list")
drill.pager(state, page, total, PAGE, key_prefix="ar", noun="page")
lifecycle.end_page(state, panel_fallback=False)  # this page draws the drill list and article itself
