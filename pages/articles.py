"""Articles: ranked full-text search with snippets, the drill-down list, and one article in full."""

from dataclasses import replace

import streamlit as st

from trends import ui

flt, view, info = ui.page_setup("articles")
ui.require_articles(info)

if view.article is not None:
    ui.article_view(flt, view)
if view.drill_key or view.drill_period:
    ui.drill_list(flt, view)

st.session_state["ar_query"] = flt.text


def _on_query() -> None:
    text = (st.session_state["ar_query"] or "").strip()[:200]
    ui.set_url(flt.replace(text=text), replace(view, page=0, article=None))


st.text_input("Search the text (ranked by relevance)", key="ar_query", on_change=_on_query, max_chars=200,
              placeholder="e.g. sanctions energy", icon=":material/search:")
PAGE = 25
if flt.text:
    results, total = ui.query("search", flt, flt.text, page=view.page, page_size=PAGE)
    st.caption(f"{total:,} articles match '{ui.escape_md(flt.text)}'" + (f"; page {view.page + 1}" if total > PAGE else ""))
    if results.empty:
        ui.empty_state("No article matches this search.", "Try fewer or different words.")
    else:
        ui.csv_button(results, "search-results", "ar_search")
        ui.article_rows(results, flt, view, key_prefix="search", snippet=True)
else:
    sort = view.sort if view.sort in ("date", "views", "growth") else "date"
    st.session_state["ar_sort"] = sort

    def _on_sort() -> None:
        chosen = st.session_state["ar_sort"] or "date"
        ui.set_url(flt, replace(view, sort=None if chosen == "date" else chosen, page=0))

    st.segmented_control("Sort by", ["date", "views", "growth"], key="ar_sort", on_change=_on_sort,
                         format_func={"date": "Newest", "views": "Most read", "growth": "Fastest growing"}.get)
    results, total = ui.query("drilldown", flt, sort=sort, page=view.page, page_size=PAGE)
    st.caption(f"{total:,} articles match the filters" + (", newest first" if sort == "date" else f", sorted by {sort}"))
    if results.empty:
        ui.empty_state()
    else:
        ui.csv_button(results, "articles", "ar_list")
        ui.article_rows(results, flt, view, key_prefix="list")
prev, _, nxt = st.columns([1, 4, 1])
if view.page > 0 and prev.button("Previous page", key="ar_prev"):
    ui.set_url(flt, replace(view, page=view.page - 1))
    st.rerun()
if (view.page + 1) * PAGE < total and nxt.button("Next page", key="ar_next"):
    ui.set_url(flt, replace(view, page=view.page + 1))
    st.rerun()
ui.end_page(flt, view, panel_fallback=False)  # this page draws the drill list and article itself
