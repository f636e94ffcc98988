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


def test_new_queries_are_cached_with_their_notices(tmp_path):
    from fixtures_coverage import build_coverage_db

    db = build_coverage_db(tmp_path / "patchy.duckdb")
    cache.clear()
    pd.testing.assert_frame_equal(cache.coverage(db, Filter()), queries.coverage(db, Filter()))
    assert cache.archive_span(db, Filter()) == queries.archive_span(db, Filter())
    assert cache.availability(db, Filter()) == queries.availability(db, Filter())
    assert cache.rejects(db)[1] == 2 and len(cache.reject_reasons(db)) == 2
    network = cache.co_mention_network(db, Filter(), kind="topic", min_count=1)
    assert network["nodes"]["key"].tolist() == ["health", "energy"]  # 13 and 12 articles; none carries both
    assert cache.drivers(db, Filter(), "topic", "energy", "2021-04-01")["terms"]["term"].iloc[0] == "pipeline"
    june = Filter(date_from=dt.date(2021, 6, 1), date_to=dt.date(2021, 6, 30))
    assert "nothing to compare" in cache.rising_falling(db, june, "topic", min_support=1).attrs["notice"]
    rows, _ = cache.drilldown(db, Filter(), "topic", "energy")
    assert rows.attrs["sort"] == "date" and rows.attrs["notice"] == queries.NO_VIEWS_SORT_NOTICE


def test_every_query_with_a_database_argument_has_a_cached_twin():
    import inspect

    for name in queries.__all__:
        func = getattr(queries, name)
        if callable(func) and not isinstance(func, type) and list(inspect.signature(func).parameters)[:1] == ["db_path"]:
            assert hasattr(cache, name), name
