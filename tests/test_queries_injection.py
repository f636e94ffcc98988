"""Hostile values through every filter field and argument: no error leaks SQL, nothing is dropped or run."""

from __future__ import annotations

import datetime as dt

import pytest

from fixtures_queries import build_fixture_db
from trends import queries as q
from trends.filters import Filter
from trends.store import read_cursor

HOSTILE = [
    "'; DROP TABLE articles; --",
    "\"; DELETE FROM tags; --",
    "x') OR 1=1 --",
    "CFR' OR '1'='1",
    "Москва's «война»",
    "🙂 %_\\",
    "$p0",
    "?",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_db(tmp_path_factory.mktemp("inject") / "fixture.duckdb")


def _every_query(db, flt, value):
    yield q.volume(db, flt, "topic")
    yield q.volume(db, flt, "source", keys=[value])
    yield q.rising_falling(db, flt, "country", min_support=1)
    yield q.headline(db, flt)
    yield q.views_over_time(db, flt)
    yield q.top_articles(db, flt)
    yield q.top_articles(db, flt, by="growth")
    yield q.views_by(db, flt, "author")
    yield q.views_distribution(db, flt)
    yield q.views_vs_age(db, flt)
    yield q.country_map(db, flt)
    yield q.co_mentions(db, flt, min_count=1)
    yield q.drilldown(db, flt, "topic", value, dt.date(2023, 4, 1))[0]
    yield q.drilldown(db, flt, "author", value)[0]
    yield q.search(db, flt, value)[0]
    yield q.facets(db, flt, "org")
    yield q.new_since_last_ingest(db, flt)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["sources", "authors", "topics", "themes", "countries", "people", "orgs"])
def test_hostile_list_values_match_nothing(db, field, value):
    flt = Filter(**{field: (value,)})
    for result in _every_query(db, flt, value):
        if hasattr(result, "empty"):
            assert "articles" not in result.columns or int(result["articles"].sum()) == 0
    assert q.drilldown(db, flt)[1] == 0
    assert q.headline(db, flt)["articles"] == 0


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_searched_as_text(db, value):
    for result in _every_query(db, Filter(text=value), value):
        assert result is not None
    hits, total = q.search(db, Filter(), value)
    if value.startswith("CFR"):  # the word CFR is in five titles; the quotes and OR are just text
        assert total == 5 and set(hits["source"]) == {"CFR"}
    else:
        assert total == 0 and hits.empty


def test_tables_and_rows_survive(db):
    for value in HOSTILE:
        list(_every_query(db, Filter(sources=(value,), text=value, min_views=0), value))
    cur = read_cursor(db)
    assert cur.execute("SELECT count(*) FROM articles").fetchone()[0] == 12
    assert cur.execute("SELECT count(*) FROM tags").fetchone()[0] == 34
    assert q.summary(db)["articles"] == 12


def test_identifiers_only_from_whitelists(db):
    for bad in ("topic'", "topic; DROP TABLE tags", "source--"):
        with pytest.raises(q.QueryError):
            q.volume(db, Filter(), bad)
        with pytest.raises(q.QueryError):
            q.facets(db, Filter(), bad)
    with pytest.raises(q.QueryError):
        q.drilldown(db, Filter(), sort="views; DROP TABLE articles")
    with pytest.raises(q.QueryError):
        q.co_mentions(db, Filter(), kind="country' --")
    with pytest.raises(q.QueryError):
        q.top_articles(db, Filter(), by="views DESC; --")
