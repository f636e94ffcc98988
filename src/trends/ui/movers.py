"""Rising and falling keys with the rule behind them: minimum support in both periods, and what the
archive's coverage allowed to compare (`trends.queries.rising_falling` and its ``attrs``)."""

from __future__ import annotations

import streamlit as st

from trends import cache, charts
from trends.ui import drill
from trends.ui.chart import chart
from trends.ui.notices import empty_state, notice
from trends.ui.state import PageState
from trends.ui.text import escape_md

MIN_SUPPORT = 5


def rising_falling(state: PageState, dimension: str, key: str, limit: int) -> None:
    """The movers chart, the support rule in one caption, and the coverage notice when there is one."""
    movers = cache.rising_falling(state.db, state.flt, dimension, min_support=MIN_SUPPORT, limit=limit,
                                  support="both")
    said = movers.attrs.get("notice") or ""
    if said:
        notice(said, "info", markup=False)
    compared = movers.attrs.get("previous_coverage") and movers.attrs.get("current_coverage") and \
        movers.attrs.get("sources_compared") != []
    if movers.empty:
        if compared:
            empty_state(f"No {dimension} has at least {MIN_SUPPORT} articles in both this period and the previous one.",
                        "Widen the date range to compare longer periods.")
    else:
        chart(state, charts.rising_falling_bars(movers), key, movers, csv_name=f"{dimension}-rising-falling",
              on_pick=drill.drill_to(state, dimension))
    cur, prev = int(movers.attrs.get("current_coverage") or 0), int(movers.attrs.get("previous_coverage") or 0)
    st.caption(f"Change in articles against the previous period of the same length ({prev:,} articles in the "
               f"archive then, {cur:,} now). A {escape_md(dimension)} is listed only with at least {MIN_SUPPORT} "
               "articles in both periods, so one article is no trend and nothing rises from nothing.")
