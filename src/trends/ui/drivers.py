""""What drove this": for a clicked point (a key in a period), the words that set that period apart.

Drawn inside the drill-down panel (trends.ui.drill) next to the articles behind the point. The terms
come from `trends.queries.drivers` (log-odds with an informative Dirichlet prior against the periods
around it); each term is a link into a search for it on the Articles page, and a click on its bar
does the same.
"""

from __future__ import annotations

import streamlit as st

from trends import cache, charts, links
from trends.queries import DRIVERS_EXPLAINED
from trends.ui.chart import Pick, chart
from trends.ui.data import READ_ERRORS
from trends.ui.notices import notice
from trends.ui.state import PageState
from trends.ui.text import escape_md

TERMS = 12
_KINDS = ("topic", "theme", "country", "person", "org", "source", "author")


def applies(state: PageState) -> bool:
    """A single key in a single period: the only kind of point whose period can be set apart."""
    v = state.view
    return bool(v.drill_key and v.drill_period and v.drill_dimension in _KINDS and not v.drill_key_b)


def search_url(state: PageState, term: str) -> str:
    """The Articles page searching for `term` within the current filter."""
    return links.page_url("articles", state.flt.replace(text=term), base=links.base_url(st.context.url))


def search_for(state: PageState) -> Pick:
    """A picker for the terms chart: a click on a term opens its search on the Articles page."""

    def pick(ids: list[str]):
        term = ids[0] if ids else ""
        if not term:
            return None
        st.switch_page(links.PAGES["articles"][0], query_params=links.params(state.flt.replace(text=term)))

    return pick


def drivers_panel(state: PageState) -> None:
    """The distinctive terms of the drilled point's period, or one line on why there are none."""
    v = state.view
    try:
        found = cache.drivers(state.db, state.flt, v.drill_dimension, v.drill_key, v.drill_period, terms=TERMS)
    except READ_ERRORS as exc:
        notice(f"Could not work out what drove this point: {str(exc).splitlines()[0]}", "error", markup=False)
        return
    st.markdown("##### What drove this")
    terms = found["terms"]
    if terms.empty:
        st.caption(escape_md(found["notice"] or "No word stands out in this period."))
        return
    st.caption(f"{DRIVERS_EXPLAINED} {int(found['focus_articles']):,} articles from {found['period_start']} to "
               f"{found['period_end']} against {int(found['comparison_articles']):,} from {found['comparison_start']} "
               f"to {found['comparison_end']} ({escape_md(found['compared_with'])}).")
    if found["notice"]:
        st.caption(escape_md(found["notice"]))
    chart(state, charts.driver_terms(terms), "drivers_terms", terms, csv_name="what-drove-this",
          on_pick=search_for(state))
    st.markdown("Search: " + " · ".join(f"[{escape_md(t)}]({search_url(state, t)})" for t in terms["term"]))
