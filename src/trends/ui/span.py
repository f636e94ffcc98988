"""Which stretch of the archive a page shows when its link names no dates, and the bar that says so.

A real archive is a patchwork (Reuters 1987, UN debates every September, HuffPost 2018-2022): over its
whole span most periods are empty. So a link without dates shows the archive's core span
(`trends.queries.coverage.CORE_SPAN_RULE`) when the archive has empty months inside its span, with a
notice and one-click choices of the whole archive, the core span and the densest span
(``span=all|core|densest`` in the link, through trends.filters). On an archive without empty months
the whole span is its real coverage, and nothing changes. Dates named in the link always win.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from trends import cache
from trends.filters import Filter
from trends.queries import CORE_SPAN_RULE, DENSEST_SPAN_RULE
from trends.ui.state import PageState

LABELS = {"all": "Whole archive", "core": "Core span", "densest": "Densest span"}


@dataclass(frozen=True)
class Span:
    """The archive's spans under the link's sources (from `trends.queries.archive_span`), and which
    one the page shows (``applied``: "all", "core", "densest" or None when the link names dates)."""

    info: dict
    applied: str | None
    by_default: bool  # the link named no span: the page chose the core span itself

    @property
    def patchwork(self) -> bool:
        return int(self.info.get("empty_periods") or 0) > 0

    def bounds(self, which: str) -> tuple[dt.date | None, dt.date | None]:
        if which == "all":
            return None, None
        return self.info.get(f"{which}_from"), self.info.get(f"{which}_to")


def resolve(state: PageState, flt: Filter) -> tuple[Filter, Span | None]:
    """The filter the page queries with: the chosen span's dates filled in when the link names none."""
    if state.info is None or not state.info.get("articles"):
        return flt, None
    info = cache.archive_span(state.db, Filter(sources=flt.sources, synthetic=flt.synthetic), grain="month")
    if not info.get("first_date"):
        return flt, None
    if flt.date_from is not None or flt.date_to is not None:
        return flt, Span(info, None, False)
    span = Span(info, flt.span or ("core" if int(info.get("empty_periods") or 0) > 0 else "all"), flt.span is None)
    lo, hi = span.bounds(span.applied)
    return flt.replace(date_from=lo, date_to=hi), span


def span_bar(state: PageState, span: Span | None) -> None:
    """On a patchwork archive (or when a span is applied): what is shown, and the one-click spans."""
    if span is None or not (span.patchwork or span.applied not in (None, "all")):
        return
    info = span.info
    total = int(info.get("articles") or 0)
    if span.applied == "core":
        what = (f"the archive's **core span**, {info['core_from']} to {info['core_to']} "
                f"({int(info['core_articles']):,} of {total:,} articles). {CORE_SPAN_RULE}")
    elif span.applied == "densest":
        what = (f"the archive's **densest span**, {info['densest_from']} to {info['densest_to']} "
                f"({int(info['densest_articles']):,} of {total:,} articles). {DENSEST_SPAN_RULE}")
    elif span.applied == "all":
        what = f"the **whole archive**, {info['first_date']} to {info['last_date']} ({total:,} articles)."
    else:
        what = "the dates chosen in the sidebar."
    gaps = int(info.get("empty_periods") or 0)
    gap_line = (f" The archive has no articles in {gaps:,} of its {int(info.get('periods') or 0):,} months; "
                "those periods are drawn as gaps." if gaps else "")
    with st.container(key="span_bar"):
        text, *buttons = st.columns([4.2, 1.4, 1.4, 1.4], vertical_alignment="center")
        text.info(f"Showing {what}{gap_line}", icon=":material/date_range:")
        for column, which in zip(buttons, LABELS):
            current = span.applied == which
            if column.button(LABELS[which], key=f"span_{which}", disabled=current, width="stretch",
                             type="primary" if current else "secondary"):
                state.go(state.url_flt.replace(date_from=None, date_to=None, span=which), _keep_page_choices(state))
                st.rerun()


def _keep_page_choices(state: PageState):
    """A new date range drops the clicked point and paging (as a sidebar change does)."""
    from trends.filters import ViewState

    v = state.view
    return ViewState(dimension=v.dimension, measure=v.measure, compare=v.compare, sort=v.sort, section=v.section,
                     scale=v.scale)
