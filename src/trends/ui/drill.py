"""Drill-down: from a clicked chart point to the list of articles behind it, and on to one article.

Pickers (`drill_to`, `open_article`) turn a clicked point's customdata into the view to show; the
panel (`panel`) draws that view's article list and/or article right below the chart that was clicked
(`anchor_here`), or at the end of the page when it came from a link (`lifecycle.end_page`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pandas as pd
import streamlit as st

from trends import cache, charts
from trends.filters import Filter, ViewState
from trends.ui import drivers
from trends.ui.article import article_view
from trends.ui.chart import Pick
from trends.ui.data import READ_ERRORS, options
from trends.ui.notices import empty_state, notice
from trends.ui.state import PageState
from trends.ui.text import DIMENSION_LABELS, as_date, escape_md

PAGE_SIZE = 15
_LABELLED = ("topic", "theme", "country", "person", "org", "source")


def drill_to(state: PageState, dimension: str | None) -> Pick:
    """A picker for charts whose points carry [key, period]: show the articles behind that point."""

    def pick(ids: list[str]) -> tuple[Filter, ViewState]:
        key = ids[0] if ids and ids[0] else None
        period = as_date(ids[1]) if len(ids) > 1 and ids[1] else None
        return state.flt, replace(state.view, drill_dimension=dimension if key else None, drill_key=key,
                                  drill_key_b=None, drill_period=period, article=None, page=0)

    return pick


def open_article(state: PageState) -> Pick:
    """A picker for charts whose points carry [article_id]: open that article in full."""

    def pick(ids: list[str]) -> tuple[Filter, ViewState] | None:
        raw = ids[0] if ids else ""
        if not (raw.isascii() and raw.isdigit()):
            return None
        return state.flt, replace(state.view, article=int(raw))

    return pick


def network_to(state: PageState, dimension: str) -> Pick:
    """A picker for the co-mention network: a node lists its articles, an edge those carrying both keys."""

    def pick(ids: list[str]) -> tuple[Filter, ViewState] | None:
        chosen = charts.network_pick(ids)
        if chosen is None:
            return None
        a, b = chosen.get("pair") or (chosen["node"], None)
        return state.flt, replace(state.view, drill_dimension=dimension, drill_key=a, drill_key_b=b,
                                  drill_period=None, article=None, page=0)

    return pick


def anchor_here(state: PageState, key: str, *, dimension: str | None = None) -> bool:
    """Draw the drill/article panel right below the chart the user clicked (or the first chart of the
    drilled dimension when the view came from a link). Returns True if it was drawn here."""
    if state.panel_drawn:
        return False
    if state.anchor == key or (state.anchor is None and dimension and dimension == state.view.drill_dimension):
        return panel(state)
    return False


def panel(state: PageState) -> bool:
    """The drill list and/or the open article of the current view; True when something was drawn."""
    view = state.view
    drawn = False
    if view.drill_key or view.drill_period:
        drill_list(state)
        drawn = True
    if view.article is not None:
        article_view(state)
        drawn = True
    if drawn:
        state.panel_drawn = True
    return drawn


def _drill_title(state: PageState) -> str:
    view = state.view
    parts = []
    if view.drill_key:
        dim = view.drill_dimension or ""
        keys = tuple(k for k in (view.drill_key, view.drill_key_b) if k)
        names = options(state.db, dim, keys)[1] if dim in _LABELLED else {}
        label = " and ".join(names.get(k, k) for k in keys)
        parts.append(f"{DIMENSION_LABELS.get(dim, 'Key')}: {label}" + (" (both)" if len(keys) > 1 else ""))
    if view.drill_period:
        parts.append(f"the {state.flt.grain} starting {view.drill_period.isoformat()}")
    return ", ".join(parts)


def paged(fetch: Callable[[int], tuple[pd.DataFrame, int]], page: int, size: int) -> tuple[pd.DataFrame, int, int]:
    """(rows, total, page shown): a page past the end (an old or edited link) shows the last page instead."""
    df, total = fetch(page)
    last = max(0, -(-total // size) - 1)
    if page > last and total:
        notice(f"Page {page + 1} is past the end; showing page {last + 1}, the last one.")
        df, total = fetch(last)
        page = last
    return df, total, page


def drill_list(state: PageState) -> None:
    """The articles behind the clicked point, with an Open button per row (the second click)."""
    flt, view = state.flt, state.view
    with st.container(border=True, key="drill_panel"):
        head, clear = st.columns([5, 1])
        head.markdown("#### Articles behind " + escape_md(_drill_title(state)))
        if clear.button("Clear", key="drill_clear", icon=":material/close:"):
            state.anchor = None
            state.show(drill_dimension=None, drill_key=None, drill_key_b=None, drill_period=None, page=0, article=None)
            st.rerun()
        sort = view.sort if view.sort in ("views", "date", "growth") else "views"
        try:
            df, total, page = paged(
                lambda n: cache.drilldown(state.db, flt, dimension=view.drill_dimension, key=view.drill_key,
                                          period=view.drill_period, sort=sort, page=n, page_size=PAGE_SIZE,
                                          key_b=view.drill_key_b if view.drill_key else None),
                view.page, PAGE_SIZE)
        except READ_ERRORS as exc:
            notice(f"Could not list the articles: {str(exc).splitlines()[0]}", "error", markup=False)
            return
        if total == 0 or df.empty:
            empty_state("No articles behind this point with the current filters.")
            return
        applied = df.attrs.get("sort", sort)
        listed, why = (st.columns([3, 2]) if drivers.applies(state) else (st.container(), None))
        with listed:
            st.caption(f"{total:,} articles, sorted by {'newest' if applied == 'date' else applied}; page {page + 1} of "
                       f"{max(1, -(-total // PAGE_SIZE))}" + (f". {escape_md(df.attrs['notice'])}" if df.attrs.get("notice") else ""))
            article_rows(state, df, key_prefix="drill")
            pager(state, page, total, PAGE_SIZE, key_prefix="drill")
        if why is not None:
            with why:
                drivers.drivers_panel(state)


def pager(state: PageState, page: int, total: int, size: int, *, key_prefix: str, noun: str = "") -> None:
    """Previous / Next buttons under a list; the page number is in the link (``page=``)."""
    prev, _, nxt = st.columns([1, 4, 1])
    label = f" {noun}" if noun else ""
    if page > 0 and prev.button(f"Previous{label}", key=f"{key_prefix}_prev"):
        state.show(page=page - 1)
        st.rerun()
    if (page + 1) * size < total and nxt.button(f"Next{label}", key=f"{key_prefix}_next"):
        state.show(page=page + 1)
        st.rerun()


def article_rows(state: PageState, df: pd.DataFrame, *, key_prefix: str, snippet: bool = False) -> None:
    """One row per article: escaped title, meta line, optional snippet, and an Open button."""
    for row in df.itertuples(index=False):
        aid = int(row.article_id)
        # A row that gives the button its own width and the text the rest: in a share of the row (a
        # column) the button was cut off wherever the list is narrow (beside "What drove this").
        row_box = st.container(horizontal=True, vertical_alignment="center", wrap=False, gap="small")
        text = row_box.container(width="stretch")
        published = as_date(getattr(row, "published", None))
        views = getattr(row, "views", None)
        meta = " · ".join(
            p for p in (
                str(getattr(row, "source", "") or ""),
                published.isoformat() if published else "",
                f"{int(views):,} views" if views is not None and not pd.isna(views) else "",
            ) if p
        )
        text.markdown(f"**{escape_md(row.title)}**  \n{escape_md(meta)}")
        if snippet and getattr(row, "snippet", None):
            text.caption(escape_md(row.snippet))
        if row_box.button("Open", key=f"{key_prefix}_open_{aid}", icon=":material/open_in_full:", width="content"):
            state.anchor = state.anchor or f"{key_prefix}_list"
            state.show(article=aid)
            st.rerun()
