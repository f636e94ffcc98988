"""The row plans of trends.queries (a filter beyond dates) against the plain filter's plan.

A filter naming every source of the twelve-article fixture (tests/fixtures_queries.py) matches every
article, but it is not a roll-up filter, so each query answers from its row plan (the matching articles
materialised once, tag rows joined to them: issue 13). Its answer must equal the plain filter's, which
tests/test_queries.py checks by hand; the CFR-only co-mentions are worked out here from the fixture's table.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from fixtures_queries import build_fixture_db
from trends import queries as q
from trends.filters import Filter

D = dt.date
EVERY_SOURCE = ("Brookings", "CFR", "Chatham House")
APRIL = Filter(date_from=D(2023, 4, 1), date_to=D(2023, 4, 30))


@pytest.fixture(scope="module", params=["raw", "rollups"])
def db(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(f"plans-{request.param}") / "fixture.duckdb"
    return build_fixture_db(path, rollups=request.param == "rollups")


def every_source(flt: Filter) -> Filter:
    return flt.replace(sources=EVERY_SOURCE)


def same_frame(a: pd.DataFrame, b: pd.DataFrame, columns=None) -> None:
    columns = columns or list(a.columns)
    pd.testing.assert_frame_equal(a[columns].reset_index(drop=True), b[columns].reset_index(drop=True))


@pytest.mark.parametrize("flt", [Filter(), APRIL, Filter(date_from=D(2023, 3, 1), date_to=D(2023, 5, 31), grain="week")])
def test_volume_share_active_and_map_row_plans_equal_the_plain_filter(db, flt):
    for kwargs in ({"dimension": "topic"}, {"dimension": "country", "measure": "share_active"},
                   {"dimension": "topic", "keys": ["energy", "ukraine-war"], "measure": "share_active"}):
        same_frame(q.volume(db, every_source(flt), **kwargs), q.volume(db, flt, **kwargs))
    same_frame(q.country_map(db, every_source(flt)), q.country_map(db, flt))


def test_rising_falling_row_plan_equals_the_plain_filter(db):
    plain = q.rising_falling(db, APRIL, "topic", min_support=1)
    rows = q.rising_falling(db, every_source(APRIL), "topic", min_support=1)
    assert list(plain["key"]) == ["ukraine-war", "energy"]  # the hand-checked answer (test_queries)
    same_frame(rows, plain)
    assert rows.attrs == plain.attrs
    # with history before the window, in weeks: the z-scores come from the same per-period counts
    weekly = APRIL.replace(grain="week")
    same_frame(q.rising_falling(db, every_source(weekly), "topic", min_support=1),
               q.rising_falling(db, weekly, "topic", min_support=1))


def test_co_mentions_row_plan_equals_the_plain_filter_and_counts_only_matching_articles(db):
    same_frame(q.co_mentions(db, every_source(Filter()), min_count=1), q.co_mentions(db, Filter(), min_count=1))
    net_rows, net_plain = q.co_mention_network(db, every_source(Filter())), q.co_mention_network(db, Filter())
    same_frame(net_rows["nodes"], net_plain["nodes"])
    same_frame(net_rows["edges"], net_plain["edges"])
    # CFR only: articles 1 (UKR RUS), 2 (RUS CHN), 6 (CHN USA), 8 (CHN RUS), 11 (CHN USA); N = 5
    cfr = q.co_mentions(db, Filter(sources=("CFR",)), min_count=2)
    assert list(zip(cfr["a"], cfr["b"])) == [("CHN", "RUS"), ("CHN", "USA")]
    assert cfr["together"].tolist() == [2, 2]
    assert cfr["count_a"].tolist() == [4, 4] and cfr["count_b"].tolist() == [3, 2]
    assert cfr["lift"].tolist() == pytest.approx([2 * 5 / 12, 2 * 5 / 8])


def test_views_by_topic_row_plan_equals_the_plain_filter(db):
    # the roll-up plan interpolates the median from a histogram, so only counts and sums are compared
    same_frame(q.views_by(db, every_source(Filter()), "topic"), q.views_by(db, Filter(), "topic"),
               ["key", "label", "articles", "viewed", "views_sum"])
