"""Honest answers on a patchy archive (tests/fixtures_coverage.py): coverage, gaps, the archive's span,
the mix-adjusted share, rising/falling across sources entering and leaving, no view counts, rejects.

Every expected number is worked out by hand from the table in the fixture's docstring.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from fixtures_coverage import NEW, OLD, build_coverage_db
from trends import queries as q
from trends.filters import Filter

D = dt.date
MONTHS = [pd.Timestamp(f"2021-{m:02d}-01") for m in range(1, 7)]
GAP = None


@pytest.fixture(scope="module", params=["raw", "rollups"])
def db(request, tmp_path_factory):
    """Every test runs twice: answered from the raw tables and from the daily roll-ups."""
    path = tmp_path_factory.mktemp(f"coverage-{request.param}") / "patchy.duckdb"
    return build_coverage_db(path, rollups=request.param == "rollups")


def column(df, key, name, key_column="key"):
    """One key's column in period order, a NaN (a gap) as None so lists compare exactly."""
    return [GAP if pd.isna(v) else v for v in floats(df, key, name, key_column)]


def floats(df, key, name, key_column="key"):
    """The same with NaN kept, for pytest.approx(..., nan_ok=True)."""
    return list(df[df[key_column] == key].sort_values("period")[name])


# ------------------------------------------------------------------------------------------ coverage


def test_coverage_per_source_and_month_in_order_of_entry(db):
    cov = q.coverage(db, Filter())
    assert list(cov.columns) == ["period", "source", "articles"]
    assert list(dict.fromkeys(cov["source"])) == [OLD, NEW]  # Old Wire enters first
    assert column(cov, OLD, "articles", "source") == [4, 4, 4, 4, 0, 0]
    assert column(cov, NEW, "articles", "source") == [0, 0, 6, 6, 0, 6]
    assert sorted(cov["period"].unique()) == MONTHS


def test_coverage_keeps_the_archive_under_a_topic_filter_unless_asked(db):
    # the strip under an energy chart shows what the archive holds, not the energy articles again
    flt = Filter(topics=("energy",))
    assert column(q.coverage(db, flt), NEW, "articles", "source") == [0, 0, 6, 6, 0, 6]
    matching = q.coverage(db, flt, matching=True)
    assert column(matching, NEW, "articles", "source") == [0, 0, 1, 1, 0, 1]
    assert column(matching, OLD, "articles", "source") == [2, 2, 2, 3, 0, 0]


def test_coverage_respects_sources_dates_and_grain(db):
    only_new = q.coverage(db, Filter(sources=(NEW,), grain="quarter"))
    assert only_new["source"].unique().tolist() == [NEW]
    assert column(only_new, NEW, "articles", "source") == [6, 12]  # Q1: March; Q2: April + June
    spring = q.coverage(db, Filter(date_from=D(2021, 3, 10), date_to=D(2021, 4, 10)))
    assert column(spring, OLD, "articles", "source") == [3, 2]  # 03-10, 03-15, 03-20 | 04-05, 04-10
    assert column(spring, NEW, "articles", "source") == [4, 2]  # 03-12, 03-14, 03-18, 03-22 | 04-06, 04-08


def test_archive_span_densest_and_core(db):
    span = q.archive_span(db, Filter())
    assert (span["first_date"], span["last_date"], span["articles"]) == (D(2021, 1, 5), D(2021, 6, 22), 34)
    assert (span["periods"], span["empty_periods"]) == (6, 1)  # May is empty
    # gap-free runs of months: Jan-Apr (4 + 4 + 10 + 10 = 28 articles) and Jun (6)
    assert (span["densest_from"], span["densest_to"], span["densest_articles"]) == (D(2021, 1, 5), D(2021, 4, 22), 28)
    assert span["densest_share"] == pytest.approx(28 / 34)
    # 80% of 34 = 27.2 -> 28 articles; the 28 consecutive ones from 01-05 span 107 days, any later start more
    assert (span["core_from"], span["core_to"], span["core_articles"]) == (D(2021, 1, 5), D(2021, 4, 22), 28)
    only_new = q.archive_span(db, Filter(sources=(NEW,)))
    # New Daily: March + April (12) then a one-month gap, then June (6)
    assert (only_new["densest_from"], only_new["densest_to"], only_new["densest_articles"]) == (D(2021, 3, 6), D(2021, 4, 22), 12)
    empty = q.archive_span(db, Filter(sources=("Nobody",)))
    assert empty["first_date"] is None and empty["articles"] == 0


def test_densest_run_and_core_window_by_hand():
    from trends.queries.coverage import core_window, densest_run

    assert densest_run([3, 0, 5, 1, 0, 0, 2]) == (2, 3)
    assert densest_run([2, 0, 2]) == (2, 2)  # ties go to the later run
    assert densest_run([0, 0]) == (0, 0)
    # days 0, 1, 10, 11, 12 with 1, 1, 3, 3, 2 articles: 80% of 10 = 8 -> days 10..12 (8 articles, 2 days)
    assert core_window([0, 1, 10, 11, 12], [1, 1, 3, 3, 2], 0.8) == (2, 4)


# ----------------------------------------------------------------------------------------- gaps


def test_volume_draws_the_empty_month_as_a_gap_not_a_zero(db):
    df = q.volume(db, Filter(), "topic", keys=["energy", "health"])
    assert sorted(df["period"].unique()) == MONTHS
    assert column(df, "energy", "articles") == [2, 2, 3, 4, GAP, 1]
    assert column(df, "energy", "total") == [4, 4, 10, 10, GAP, 6]
    assert floats(df, "health", "share") == pytest.approx([0.25, 0.25, 0.4, 0.4, math.nan, 0.5], nan_ok=True)
    # a topic filter does not turn months with articles into gaps: June has no Old Wire energy article
    old_energy = q.volume(db, Filter(sources=(OLD,), topics=("energy",)), "source", keys=[OLD])
    assert column(old_energy, OLD, "articles") == [2, 2, 2, 3]


def test_views_over_time_without_views_has_articles_and_no_views(db):
    df = q.views_over_time(db, Filter())
    assert [GAP if pd.isna(v) else v for v in df["articles"]] == [4, 4, 10, 10, GAP, 6]
    assert df["views_sum"].isna().all() and df["views_median"].isna().all()
    assert [GAP if pd.isna(v) else v for v in df["viewed"]] == [0, 0, 0, 0, GAP, 0]


def test_country_map_periods_without_articles_are_gaps(tmp_path):
    from fixtures_queries import build_fixture_db

    df = q.country_map(build_fixture_db(tmp_path / "twelve.duckdb"), Filter())
    february = df[df["period"] == pd.Timestamp("2023-02-01")]
    assert len(february) == 5 and february["articles"].isna().all()


# ------------------------------------------------------------------------------------ share_active


def test_share_active_by_hand(db):
    """Weights over the range: w(Old) = 16/34, w(New) = 18/34. Usual energy shares: b(Old) = 9/16,
    b(New) = 3/18 = 1/6; a source with no article in a month counts at its usual share.

    Jan, Feb, Mar: Old 2/4, New 1/6 (absent in Jan and Feb, 1 of 6 in March): 16/34 * 1/2 + 18/34 * 1/6 = 11/34
    Apr: Old 3/4, New 1/6: 12/34 + 3/34 = 15/34;  May: no article (gap);  Jun: Old absent (9/16), New 1/6 = 12/34
    Health: Old 1 in 4 and New 3 in 6 whenever they publish, so the line is flat at 4/34 + 9/34 = 13/34,
    while the plain share "rises" from 25% to 50% only because New Daily arrives and Old Wire leaves.
    """
    df = q.volume(db, Filter(), "topic", keys=["energy", "health"], measure="share_active")
    assert list(df.columns) == ["period", "key", "label", "articles", "total", "share", "share_active"]
    assert floats(df, "energy", "share_active") == pytest.approx(
        [11 / 34, 11 / 34, 11 / 34, 15 / 34, math.nan, 12 / 34], nan_ok=True)
    assert floats(df, "health", "share_active") == pytest.approx([13 / 34] * 4 + [math.nan] + [13 / 34], nan_ok=True)
    assert floats(df, "health", "share") == pytest.approx([1 / 4, 1 / 4, 4 / 10, 4 / 10, math.nan, 3 / 6], nan_ok=True)


def test_share_active_equals_share_with_one_source(db):
    one = q.volume(db, Filter(sources=(OLD,)), "topic", keys=["energy"], measure="share_active")
    # one source with weight 1, active in every month of its range: the plain share
    assert column(one, "energy", "share_active") == pytest.approx(column(one, "energy", "share"))


def test_share_active_refuses_the_source_dimension_and_explains_itself(db):
    with pytest.raises(q.QueryError):
        q.volume(db, Filter(), "source", measure="share_active")
    assert q.SHARE_ACTIVE_EXPLAINED.count(". ") == 0 and q.SHARE_ACTIVE_EXPLAINED.endswith(".")


# ------------------------------------------------------------------------------- rising / falling


def test_rising_falling_april_against_march_needs_support_in_both(db):
    april = Filter(date_from=D(2021, 4, 1), date_to=D(2021, 4, 30))  # previous: 03-02..03-31
    df = q.rising_falling(db, april, "topic", min_support=3)
    # energy 3 + 1 = 4 against 2 + 1 = 3; health 4 against 4 is flat
    assert df[["key", "current", "previous", "change"]].values.tolist() == [["energy", 4, 3, 1]]
    assert df.attrs["notice"] == "" and df.attrs["sources_entering"] == [] and df.attrs["sources_compared"] is None
    assert (df.attrs["current_coverage"], df.attrs["previous_coverage"]) == (10, 10)
    assert q.rising_falling(db, april, "topic", min_support=4).empty  # energy has only 3 before
    assert list(q.rising_falling(db, april, "topic", min_support=4, support="either")["key"]) == ["energy"]


def test_rising_falling_says_so_when_the_previous_period_is_empty(db):
    june = Filter(date_from=D(2021, 6, 1), date_to=D(2021, 6, 30))  # previous: 05-02..05-31, empty
    df = q.rising_falling(db, june, "topic", min_support=1)
    assert df.empty and df.attrs["previous_coverage"] == 0 and df.attrs["current_coverage"] == 6
    assert "no articles from 2021-05-02 to 2021-05-31" in df.attrs["notice"]


def test_a_source_entering_is_not_a_rise(db):
    march = Filter(date_from=D(2021, 3, 1), date_to=D(2021, 3, 31))  # previous: 01-29..02-28
    df = q.rising_falling(db, march, "topic", min_support=1)
    # New Daily enters in March: only Old Wire is compared, energy 2 vs 2 and health 1 vs 1 are flat
    assert df.empty
    assert df.attrs["sources_entering"] == [NEW] and df.attrs["sources_compared"] == [OLD]
    assert "New Daily (not yet in the archive in the previous period)" in df.attrs["notice"]
    raw = q.rising_falling(db, march, "topic", min_support=1, same_sources=False)
    assert raw[["key", "current", "previous"]].values.tolist() == [["health", 4, 1], ["energy", 3, 2]]


def test_a_source_leaving_is_not_a_fall(db):
    # current 05-15..06-30 (47 days), previous 03-29..05-14: Old Wire's last article is 04-20
    late = Filter(date_from=D(2021, 5, 15), date_to=D(2021, 6, 30))
    df = q.rising_falling(db, late, "topic", min_support=1)
    assert df.empty and df.attrs["sources_leaving"] == [OLD] and df.attrs["sources_compared"] == [NEW]
    raw = q.rising_falling(db, late, "topic", min_support=1, same_sources=False)
    # energy 1 (June) vs 3 + 1 (April); health 3 vs 1 + 3
    assert raw[["key", "current", "previous", "direction"]].values.tolist() == [
        ["energy", 1, 4, "falling"], ["health", 3, 4, "falling"]]


# ------------------------------------------------------------------------------------- no views


def test_availability_says_what_the_data_can_show(db):
    a = q.availability(db, Filter())
    assert a == {"articles": 34, "with_views": 0, "with_growth": 0, "synthetic": 0,
                 "has_views": False, "has_growth": False, "has_synthetic": False}
    assert q.availability(db, Filter(sources=(NEW,)))["articles"] == 18
    assert q.summary(db)["articles_with_views"] == 0


def test_availability_on_views_and_synthetic_rows(tmp_path):
    from fixtures_queries import build_fixture_db

    for rollups in (False, True):
        path = build_fixture_db(tmp_path / f"twelve-{rollups}.duckdb", rollups=rollups)
        a = q.availability(path, Filter())
        # 12 articles, 11 with views (not 9), 3 with two snapshots (1, 7, 12), article 10 synthetic
        assert (a["articles"], a["with_views"], a["with_growth"], a["synthetic"]) == (12, 11, 3, 1)
        hidden = q.availability(path, Filter(synthetic=False))
        assert (hidden["articles"], hidden["with_views"], hidden["synthetic"]) == (11, 10, 1)  # still says 1 exists
        april = q.availability(path, Filter(date_from=D(2023, 4, 1), date_to=D(2023, 4, 30), sources=("CFR",)))
        assert (april["articles"], april["with_views"], april["with_growth"], april["synthetic"]) == (1, 1, 0, 0)


def test_views_by_without_views_ranks_by_articles_with_no_views_axis(db):
    by = q.views_by(db, Filter(), "source")
    assert list(by.columns) == ["key", "label", "articles", "viewed", "views_sum", "views_median"]
    assert by["key"].tolist() == [NEW, OLD] and by["articles"].tolist() == [18, 16]
    assert by["viewed"].tolist() == [0, 0]
    assert by["views_sum"].isna().all() and by["views_median"].isna().all()
    assert q.top_articles(db, Filter()).empty
    assert q.views_distribution(db, Filter()).empty


def test_drilldown_sorting_by_views_or_growth_falls_back_to_date(db):
    rows, total = q.drilldown(db, Filter(), "topic", "energy", sort="views", page_size=3)
    assert total == 12
    assert rows["published"].dt.date.tolist() == [D(2021, 6, 6), D(2021, 4, 15), D(2021, 4, 10)]
    assert rows.attrs["sort"] == "date" and rows.attrs["notice"] == q.NO_VIEWS_SORT_NOTICE
    grown, _ = q.drilldown(db, Filter(), "topic", "energy", sort="growth", page_size=3)
    assert grown.attrs["sort"] == "date" and grown.attrs["notice"] == q.NO_GROWTH_SORT_NOTICE
    dated, _ = q.drilldown(db, Filter(), "topic", "energy", sort="date", ascending=True, page_size=1)
    assert dated.attrs == {"sort": "date", "notice": ""} and dated["published"].dt.date.tolist() == [D(2021, 1, 5)]


# --------------------------------------------------------------------------------------- rejects


def test_rejects_newest_first_paged_and_by_run(db):
    rows, total = q.rejects(db)
    assert total == 2 and list(rows.columns) == ["run_id", "rejected_at", "input", "record", "reason", "excerpt"]
    assert rows["reason"].tolist() == ["date 2021-13-01 is not a date", "no title"]
    page2, total = q.rejects(db, page=1, page_size=1)
    assert total == 2 and page2["input"].tolist() == ["wire.jsonl"]
    first_run, total = q.rejects(db, run=1)
    assert total == 1 and first_run["record"].tolist() == ["7"]
    reasons = q.reject_reasons(db)
    assert reasons[["reason", "rejects"]].values.tolist() == [["date 2021-13-01 is not a date", 1], ["no title", 1]]
