"""The queries the dashboard's pages issue on first load (and a few filtered variants), by name.

A fixed list of calls for bench/growth.py (dashboard queries beside a running ingest: errors and
waits) and bench/compare_pages.py (old code against new on the same data, answers compared). It is not a latency benchmark and has no baseline: page-query latencies and the comparison
with pandas and polars come from bench/run.py (seeded filter mixes, answers compared, bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from trends import queries as q
from trends.filters import Filter


def page_queries(db) -> dict[str, Callable[[], object]]:
    everything = Filter()
    last = q.summary(db)["last_date"]
    year = Filter(date_from=last - dt.timedelta(days=364), date_to=last)
    topic = q.facets(db, everything, "topic", limit=1)["key"].iloc[0]
    source = q.facets(db, everything, "source", limit=1)["key"].iloc[0]
    narrowed = Filter(date_from=year.date_from, date_to=last, sources=(source,), topics=(topic,))
    month = q.volume(db, year, "topic", keys=[topic])["period"].iloc[-1]
    orgs = list(q.facets(db, everything, "org", limit=6)["key"])  # set-up, not part of the timed calls
    top_id = int(q.top_articles(db, everything, limit=1)["article_id"].iloc[0])
    span = q.archive_span(db, everything)
    dense = Filter(date_from=span["densest_from"], date_to=span["densest_to"])
    return {
        # Overview
        "headline": lambda: q.headline(db, everything),
        "volume_topic_share": lambda: q.volume(db, everything, "topic", measure="share"),
        "rising_falling_topic": lambda: q.rising_falling(db, everything, "topic"),
        "top_articles_views": lambda: q.top_articles(db, everything),
        "new_since_last_ingest": lambda: q.new_since_last_ingest(db, everything),
        # Topics
        "volume_topic_week_year": lambda: q.volume(db, year.replace(grain="week"), "topic"),
        "volume_topic_filtered": lambda: q.volume(db, narrowed, "country"),
        "volume_compare_6_orgs": lambda: q.volume(db, everything, "org", keys=orgs),
        "views_by_source": lambda: q.views_by(db, everything, "source"),
        # Countries
        "country_map": lambda: q.country_map(db, everything),
        "co_mentions": lambda: q.co_mentions(db, everything),
        "volume_country": lambda: q.volume(db, everything, "country"),
        # Readership
        "views_over_time": lambda: q.views_over_time(db, everything),
        "top_articles_growth": lambda: q.top_articles(db, everything, by="growth"),
        "views_by_topic": lambda: q.views_by(db, everything, "topic"),
        "views_distribution": lambda: q.views_distribution(db, everything),
        "views_vs_age": lambda: q.views_vs_age(db, everything),
        # Articles
        "drilldown_point": lambda: q.drilldown(db, year, "topic", topic, month),
        "article": lambda: q.article(db, top_id),
        "search": lambda: q.search(db, everything, "sanctions energy"),
        "search_filtered": lambda: q.search(db, narrowed, "security"),
        # Filter widgets and About
        "facets_topic": lambda: q.facets(db, everything, "topic"),
        "facets_author": lambda: q.facets(db, everything, "author"),
        "summary": lambda: q.summary(db),
        # Coverage, normalisation, what the data can show, network, drivers, rejects (issue 12)
        "coverage": lambda: q.coverage(db, everything),
        "coverage_week_filtered": lambda: q.coverage(db, narrowed.replace(grain="week")),
        "archive_span": lambda: q.archive_span(db, everything),
        "availability": lambda: q.availability(db, everything),
        "availability_filtered": lambda: q.availability(db, narrowed),
        "volume_topic_gaps_filtered": lambda: q.volume(db, narrowed, "topic"),
        "volume_topic_share_active": lambda: q.volume(db, dense, "topic", measure="share_active"),
        "volume_topic_share_active_filtered": lambda: q.volume(db, narrowed, "topic", measure="share_active"),
        "rising_falling_topic_sources": lambda: q.rising_falling(db, year, "topic", min_support=5),
        "co_mention_network": lambda: q.co_mention_network(db, everything),
        "co_mention_network_filtered": lambda: q.co_mention_network(db, narrowed, min_count=2),
        "drilldown_edge": lambda: q.drilldown(db, year, "country", "RUS", key_b="UKR"),
        "drivers_topic_month": lambda: q.drivers(db, everything.replace(grain="month"), "topic", topic, month),
        "drivers_topic_week_filtered": lambda: q.drivers(db, narrowed.replace(grain="week"), "topic", topic, month),
        "rejects": lambda: q.rejects(db),
    }
