"""Streamlit-cached versions of the trends.queries functions.

``from trends import cache; cache.volume(db, flt, "topic")`` answers like ``queries.volume`` but through
``st.cache_data``, keyed on the archive's generation (the manifest's number, which every publish
raises), the function name, the Filter (a frozen, hashable dataclass) and the other arguments. A
finished ingest publishes a new generation, so the very next rerun misses the cache and shows the new
data; nothing waits for a TTL. Connections are never cached here: each Streamlit script thread gets its own cursor from
`trends.store.read_cursor`.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import streamlit as st

from trends import queries
from trends.filters import Filter
from trends.store import generation

@st.cache_data(show_spinner=False, max_entries=1024, ttl=3600)
def _call(name: str, generation_key: tuple, db_path: str, args: tuple, kwargs: tuple) -> Any:
    return getattr(queries, name)(db_path, *args, **dict(kwargs))


def generation_key(db_path: str | os.PathLike) -> tuple:
    gen = generation(db_path)
    return (gen.path, gen.number)


def _for_query(value: Any) -> Any:
    """A Filter without its ``span`` choice: the span is resolved into dates before any query, so the
    queries never see it and two links that resolve to the same dates share one cached answer."""
    return value.replace(span=None) if isinstance(value, Filter) and value.span else value


def _wrap(name: str) -> Callable:
    func = getattr(queries, name)

    @functools.wraps(func)
    def cached(db_path: str | os.PathLike, *args, **kwargs):
        args = tuple(_for_query(a) for a in args)
        kwargs = {k: _for_query(v) for k, v in kwargs.items()}
        return _call(name, generation_key(db_path), str(db_path), args, tuple(sorted(kwargs.items())))

    return cached


volume = _wrap("volume")
rising_falling = _wrap("rising_falling")
headline = _wrap("headline")
views_over_time = _wrap("views_over_time")
top_articles = _wrap("top_articles")
views_by = _wrap("views_by")
views_distribution = _wrap("views_distribution")
views_vs_age = _wrap("views_vs_age")
country_map = _wrap("country_map")
co_mentions = _wrap("co_mentions")
drilldown = _wrap("drilldown")
article = _wrap("article")
search = _wrap("search")
facets = _wrap("facets")
summary = _wrap("summary")
new_since_last_ingest = _wrap("new_since_last_ingest")
coverage = _wrap("coverage")
archive_span = _wrap("archive_span")
availability = _wrap("availability")
co_mention_network = _wrap("co_mention_network")
drivers = _wrap("drivers")
rejects = _wrap("rejects")
reject_reasons = _wrap("reject_reasons")


def clear() -> None:
    """Forget every cached answer (tests, or a page's "reload data" button)."""
    _call.clear()
