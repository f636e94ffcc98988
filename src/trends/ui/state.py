"""What a page run knows, as one object: the URL's state and what this browser session remembers.

The URL is the single source of truth for what is shown: every run decodes ``st.query_params`` with
trends.filters into a Filter and a ViewState, and every change goes back into the URL through
trends.links (`PageState.go`), so reload, back/forward and a pasted link restore the view. The few
things a session must remember between runs (which page ran last, the chart clicked last, the
selections already acted on) live in the same object, kept in ``st.session_state`` under one key;
no other module keeps loose session keys of its own (widget keys excepted: a widget's value lives
under its key by Streamlit's design).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import streamlit as st

from trends import links
from trends.filters import Filter, ViewState
from trends.paths import resolve_db_path
from trends.ui.data import Problem

SESSION_KEY = "trends_page_state"


@dataclass
class PageState:
    """One browser session's view of the dashboard, refreshed from the URL at the start of every run."""

    # --- what the URL says (decoded every run by trends.ui.lifecycle.page_setup)
    page: str = "overview"
    flt: Filter = field(default_factory=Filter)
    view: ViewState = field(default_factory=ViewState)
    notices: list[str] = field(default_factory=list)  # what the codec ignored or clamped in the link
    url_flt: Filter = field(default_factory=Filter)  # the link's filter before a span filled in its dates
    span: Any = None  # trends.ui.span.Span: the archive's spans and which one `flt` shows
    # --- what the database says (cached per database generation by trends.cache)
    db: Path = field(default_factory=resolve_db_path)
    info: dict | None = None  # trends.queries.summary, or None when the file cannot be read
    problem: Problem | None = None  # why it cannot be read, and what to do
    # --- what the session remembers between runs
    routed: bool = False  # app.py's router has run in this session (see lifecycle.route_through_app)
    last_page: str | None = None  # the page the previous run drew (a change means the menu was used)
    filter_params: dict[str, str] = field(default_factory=dict)  # the last filter, carried across pages
    anchor: str | None = None  # the chart clicked last: its drill/article panel is drawn right below it
    seen: dict[str, str] = field(default_factory=dict)  # chart key -> the selection already acted on
    panel_drawn: bool = False  # this run has drawn the drill/article panel already
    ended: bool = False  # this run has drawn the sidebar (lifecycle.end_page)
    rest_shown: bool = False  # the first view's rest of the page has been sent (trends.ui.later)
    rest_armed: bool = False  # the first view's reveal fragment is waiting for its click

    @property
    def data_range(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last publication date in the database (None when unknown)."""
        from trends.ui.text import as_date

        info = self.info or {}
        return as_date(info.get("first_date")), as_date(info.get("last_date"))

    def go(self, flt: Filter | None = None, view: ViewState | None = None) -> None:
        """Show `flt` and `view` (no view: the page's defaults) by rewriting the URL in the codec's form.

        Streamlit keeps the embed flags itself. The filter is remembered, so switching page in the menu
        (which drops the query string) keeps it.
        """
        flt = self.flt if flt is None else flt
        if flt.date_from is not None and (flt.date_from, flt.date_to) == (self.flt.date_from, self.flt.date_to) \
                and (self.url_flt.date_from, self.url_flt.date_to) == (None, None):
            flt = flt.replace(date_from=None, date_to=None)  # the span's dates, not the user's: keep the link short
        st.query_params.from_dict(links.params(flt, view))
        self.filter_params = links.params(flt)

    def show(self, **view_changes: Any) -> None:
        """Keep the filter, change part of the view state (``state.show(article=None)``)."""
        self.go(self.flt, replace(self.view, **view_changes))


def current() -> PageState:
    """This session's PageState (made on first use)."""
    state = st.session_state.get(SESSION_KEY)
    if not isinstance(state, PageState):
        state = PageState()
        st.session_state[SESSION_KEY] = state
    return state


def url_params() -> dict[str, list[str]]:
    """The query string as the codec reads it: every value of every parameter."""
    return {k: st.query_params.get_all(k) for k in st.query_params}
