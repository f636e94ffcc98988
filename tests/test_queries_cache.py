"""trends.cache: cached answers equal the direct ones and a new database generation is seen at once."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from fixtures_queries import build_fixture_db
from trends import cache, queries, store
from trends.filters import Filter


def test_cached_answers_match_and_refresh_on_new_generation(tmp_path):
    db = build_fixture_db(tmp_path / "c.duckdb")
    cache.clear()
    flt = Filter(topics=("ukraine-war",))
    direct = queries.volume(db, flt, "source", top_n=3)
    first = cache.volume(db, flt, "source", top_n=3)
    pd.testing.assert_frame_equal(first, direct)
    # a second call with an equal (not identical) Filter is a cache hit: same answer
    pd.testing.assert_frame_equal(cache.volume(db, Filter(topics=("ukraine-war",)), "source", top_n=3), direct)
    rows, total = cache.drilldown(db, flt, "source", "CFR")
    assert total == 2
    assert cache.summary(db)["articles"] == 12

    with store.writer(db) as con:  # a writer publishes a new generation with one more CFR war article
        con.execute(
            "INSERT INTO articles (article_id, identity, source, title, headline, published, body, word_count, "
            "content_hash, views, first_seen, last_seen) VALUES (13, 'x', 'CFR', 'CFR: New', 'New', '2023-05-30', "
            "'b', 1, 'h', 1, now(), now())"
        )
        con.execute("INSERT INTO tags VALUES (13, 'topic', 'ukraine-war', 'War in Ukraine', 1, 1, 'm', NULL, '2023-05-30')")
    assert cache.summary(db)["articles"] == 13
    assert cache.drilldown(db, flt, "source", "CFR")[1] == 3
    may = cache.volume(db, flt, "source", top_n=3).set_index(["period", "key"])
    assert may.loc[(pd.Timestamp("2023-05-01"), "CFR"), "articles"] == 1


def test_search_notice_survives_the_cache(tmp_path):
    db = build_fixture_db(tmp_path / "n.duckdb", search_index=False)
    cache.clear()
    hits, total = cache.search(db, Filter(), "grain")
    assert total == 2 and "no search index" in hits.attrs["notice"]
    assert cache.article(db, 1)["meta"]["published"] == pd.Timestamp(dt.date(2023, 1, 5))
