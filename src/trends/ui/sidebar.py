"""The sidebar filters: widgets whose values always mirror the URL; a change rewrites the URL.

Every run pushes the decoded Filter into the widgets (the URL wins, so back/forward and a pasted link
take effect); a widget's on_change builds the new Filter from all of them and hands it to
`PageState.go`, which writes it through the codec.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from trends.filters import GRAINS, MAX_VIEWS, Filter, ViewState
from trends.ui import state as page_state
from trends import cache
from trends.ui.data import READ_ERRORS, options
from trends.ui.state import PageState

KEYS = {  # widget keys (Streamlit keeps each widget's value under its key)
    "dates": "flt_dates",
    "grain": "flt_grain",
    "topics": "flt_topics",
    "countries": "flt_countries",
    "sources": "flt_sources",
    "text": "flt_text",
    "min_views": "flt_min_views",
    "synthetic": "flt_synthetic",
}


def _on_change(bounds: tuple[dt.date | None, dt.date | None]) -> None:
    ss = st.session_state
    state = page_state.current()
    flt = state.flt
    dates = ss.get(KEYS["dates"]) or ()
    date_from, date_to = flt.date_from, flt.date_to
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        date_from, date_to = dates
        if date_from == bounds[0]:
            date_from = None
        if date_to == bounds[1]:
            date_to = None
    min_views = ss.get(KEYS["min_views"])
    flt = flt.replace(
        date_from=date_from,
        date_to=date_to,
        grain=ss.get(KEYS["grain"], flt.grain),
        topics=tuple(ss.get(KEYS["topics"], ())),
        countries=tuple(ss.get(KEYS["countries"], ())),
        sources=tuple(ss.get(KEYS["sources"], ())),
        text=(ss.get(KEYS["text"]) or "").strip()[:200],
        min_views=int(min_views) if min_views else None,
        synthetic=bool(ss.get(KEYS["synthetic"], True)),
    )
    view = state.view
    # A new filter invalidates the clicked point and paging, but keeps the page's own choices.
    state.go(flt, ViewState(dimension=view.dimension, measure=view.measure, compare=view.compare, sort=view.sort,
                            section=view.section))


def archive_has(state: PageState) -> dict:
    """What the whole archive holds (views, growth, synthetic rows): decides which widgets apply at all."""
    try:
        return cache.availability(state.db, Filter())
    except READ_ERRORS:
        return {"has_views": True, "has_synthetic": True, "has_growth": True}


def filters(state: PageState) -> None:
    """Draw the filter widgets for `state.flt` (the date picker only when the data's span is known)."""
    flt = state.flt
    bounds = state.data_range
    ss = st.session_state
    # URL -> widgets. Mid-pick (start chosen, end not yet) the date picker is left alone.
    picking = isinstance(ss.get(KEYS["dates"]), (tuple, list)) and len(ss[KEYS["dates"]]) == 1
    if bounds[0] and bounds[1] and not picking:
        lo = flt.date_from or bounds[0]
        hi = flt.date_to or bounds[1]
        ss[KEYS["dates"]] = (min(lo, hi), max(lo, hi))
    ss[KEYS["grain"]] = flt.grain
    ss[KEYS["text"]] = flt.text
    ss[KEYS["min_views"]] = flt.min_views or 0
    ss[KEYS["synthetic"]] = flt.synthetic
    topic_keys, topic_labels = options(state.db, "topic", flt.topics)
    country_keys, country_labels = options(state.db, "country", flt.countries)
    source_keys, source_labels = options(state.db, "source", flt.sources)
    ss[KEYS["topics"]] = list(flt.topics)
    ss[KEYS["countries"]] = list(flt.countries)
    ss[KEYS["sources"]] = list(flt.sources)

    sb = st.sidebar
    sb.header("Filters")
    kw = dict(on_change=_on_change, args=(bounds,))
    if bounds[0] and bounds[1]:
        chosen = list(ss.get(KEYS["dates"]) or ())
        sb.date_input("Published between", key=KEYS["dates"], min_value=min([bounds[0], *chosen]),
                      max_value=max([bounds[1], *chosen]), format="YYYY-MM-DD", **kw)
    sb.selectbox("Time grain", GRAINS, key=KEYS["grain"], **kw)
    sb.multiselect("Topics", topic_keys, key=KEYS["topics"], format_func=lambda k: topic_labels.get(k, k), **kw)
    sb.multiselect("Countries", country_keys, key=KEYS["countries"], format_func=lambda k: country_labels.get(k, k),
                   **kw)
    sb.multiselect("Sources", source_keys, key=KEYS["sources"], format_func=lambda k: source_labels.get(k, k), **kw)
    sb.text_input("Text contains", key=KEYS["text"], max_chars=200, **kw)
    archive = archive_has(state)
    if archive.get("has_views") or flt.min_views:  # a views filter on an archive without views filters nothing
        sb.number_input("Minimum views", min_value=0, max_value=MAX_VIEWS, step=100, key=KEYS["min_views"], **kw)
    if archive.get("has_synthetic") or not flt.synthetic:  # no synthetic rows: nothing to switch off
        sb.checkbox("Include synthetic demo articles", key=KEYS["synthetic"], **kw)
    if not archive.get("has_views"):
        sb.caption("No article in this archive has a view count, so there is no views filter.")
    if not state.url_flt.is_default() and sb.button("Reset filters", icon=":material/restart_alt:"):
        state.go(Filter())
        state.filter_params = {}
        st.rerun()
