"""The coverage strip under a time series, and the one line that explains it.

Every time series on the dashboard gets a thin strip of articles per source per period under it, on
the same x axis (`trends.charts.with_coverage_strip`): a blank stretch in the strip is a period the
archive does not cover, which is why the line above it has a gap there rather than a fall to zero.
"""

from __future__ import annotations

import streamlit as st

from trends import cache, charts
from trends.ui.state import PageState

STRIP_NOTE = ("The strip under the chart is the archive's coverage: articles per source in each period "
              "(blank: none). Where the archive has no article at all the line has a gap, not a zero.")


def with_strip(state: PageState, fig):
    """`fig` (changed in place) with the coverage strip of the current filter's sources and dates under it."""
    return charts.with_coverage_strip(fig, cache.coverage(state.db, state.flt), inplace=True)


def strip_note() -> None:
    st.caption(STRIP_NOTE)
