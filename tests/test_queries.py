"""trends.queries on the hand-written twelve-article database (tests/fixtures_queries.py).

Every expected number below is worked out by hand from the table in the fixture's docstring.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from fixtures_queries import build_fixture_db
from trends import queries as q
from trends.filters import Filter

D = dt.date
APRIL = Filter(date_from=D(2023, 4, 1), date_to=D(2023, 4, 30))
MONTHS = [pd.Timestamp(f"2023-{m:02d}-01") for m in range(1, 6)]


@pytest.fixture(scope="module", params=["raw", "rollups"])
def db(request, tmp_path_factory):
    """Every test runs twice: answered from the raw tables and from the daily roll-ups."""
    path = tmp_path_factory.mktemp(f"queries-{request.param}") / "fixture.duckdb"
    return build_fixture_db(path, rollups=request.param == "rollups")


@pytest.fixture(scope="module")
def db_unindexed(tmp_path_factory):
    return build_fixture_db(tmp_path_factory.mktemp("queries-noindex") / "fixture.duckdb", search_index=False)


NAN = None  # how a coverage gap (a period with no article at all) reads in `series`


def series(df, key, column="articles"):
    """One key's column in period order, a NaN (a gap) as None so lists compare exactly."""
    rows = df[df["key"] == key].sort_values("period")
    return [None if pd.isna(v) else v for v in rows[column]]


# ------------------------------------------------------------------------------------------- volume


def test_volume_top_keys_counts_with_empty_february_as_a_gap(db):
    df = q.volume(db, Filter(), "topic", top_n=2)
    assert list(df.columns) == ["period", "key", "label", "articles", "total", "share"]
    assert sorted(df["key"].unique()) == ["china-economy", "ukraine-war"]  # 6 and 4 articles beat energy's 3
    assert list(df[df["key"] == "ukraine-war"].sort_values("period")["period"]) == MONTHS
    # February has no article at all: a gap (NaN), not a zero
    assert series(df, "ukraine-war") == [2, NAN, 1, 2, 1]
    assert series(df, "china-economy") == [1, NAN, 1, 1, 1]
    assert series(df, "ukraine-war", "total") == [3, NAN, 3, 4, 2]
    shares = series(df, "ukraine-war", "share")
    assert shares[1] is NAN and [shares[i] for i in (0, 2, 3, 4)] == pytest.approx([2 / 3, 1 / 3, 2 / 4, 1 / 2])
    assert set(df.loc[df["key"] == "ukraine-war", "label"]) == {"War in Ukraine"}
    assert pd.api.types.is_datetime64_any_dtype(df["period"])


def test_volume_chosen_keys_and_share_sums_to_one_when_every_key_is_shown(db):
    # every dated article carries exactly one source, so source shares add up to 1 in each non-empty period
    df = q.volume(db, Filter(), "source", keys=["CFR", "Brookings", "Chatham House"], measure="share")
    assert df.loc[df["period"] == pd.Timestamp("2023-02-01"), "share"].isna().all()
    sums = df.dropna().groupby("period")["share"].sum()
    assert sums.tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert series(df, "CFR") == [2, NAN, 1, 1, 1]
    assert series(df, "Brookings") == [0, NAN, 2, 1, 1]  # no Brookings article in January: a real zero


def test_volume_compare_caps_at_six_keys(db):
    keys = ["A.Smith", "B.Jones", "C.Lee", "D.Kim", "x1", "x2", "x3"]
    df = q.volume(db, Filter(), "author", keys=keys)
    assert list(dict.fromkeys(df["key"].sort_values())) == sorted(keys[:6])
    assert series(df, "x1") == [0, NAN, 0, 0, 0]  # an unknown key is a row of zeros, not an error
    assert series(df, "B.Jones") == [1, NAN, 1, 1, 1]  # article 4 and 12 count once each for each co-author


def test_volume_week_grain_leaves_empty_weeks_as_gaps(db):
    df = q.volume(db, Filter(date_from=D(2023, 1, 1), date_to=D(2023, 1, 31), grain="week"), "topic", keys=["ukraine-war"])
    weeks = [pd.Timestamp(x) for x in ("2022-12-26", "2023-01-02", "2023-01-09", "2023-01-16", "2023-01-23", "2023-01-30")]
    assert list(df["period"]) == weeks
    assert series(df, "ukraine-war", "total") == [NAN, 1, NAN, 1, 1, NAN]
    assert series(df, "ukraine-war") == [NAN, 1, NAN, 1, 0, NAN]  # article 3 (01-25) is China, not the war


def test_volume_respects_every_filter_kind(db):
    cfr_war = q.volume(db, Filter(sources=("CFR",)), "topic", keys=["ukraine-war"])
    # articles 1 and 2; CFR has no article in February (a gap) but has some in March to May (zeros)
    assert series(cfr_war, "ukraine-war") == [2, NAN, 0, 0, 0]
    # topic energy AND (country CHN or DEU): articles 4, 5 (March), 8 (April); with no dates the
    # periods run from the first to the last matching article
    f = Filter(topics=("energy",), countries=("CHN", "DEU"))
    totals = q.volume(db, f, "topic", keys=["energy"])
    assert series(totals, "energy", "total") == [2, 1]
    assert q.volume(db, Filter(countries=("DEU",)), "topic", keys=["energy"])["articles"].tolist() == [2]
    assert series(q.volume(db, Filter(synthetic=False), "topic", keys=["ukraine-war"]), "ukraine-war") == [2, NAN, 1, 1, 1]
    # coverage ignores the minimum-views part: January has articles (none of Brookings with 100 views): zero
    assert series(q.volume(db, Filter(min_views=100), "source", keys=["Brookings"]), "Brookings") == [0, NAN, 1, 0, 1]
    assert series(q.volume(db, Filter(authors=("D.Kim",)), "source", keys=["Brookings"]), "Brookings") == [1, 1, 1]


def test_volume_text_filter_uses_search(db, db_unindexed):
    for path in (db, db_unindexed):
        df = q.volume(path, Filter(text="grain"), "topic", keys=["ukraine-war"])
        assert series(df, "ukraine-war") == [1, NAN, 0, 1]  # articles 1 (Jan) and 7 (Apr)


def test_author_filter_is_any_of_the_authors(db):
    # A.Smith wrote 1, 4, 6, 10; D.Kim wrote 5, 9, 12 (12 with B.Jones): any of the two -> 7 articles,
    # by month Jan 1, Mar 3 (4, 5, 6), Apr 2 (9, 10), May 1 (12); February is a gap
    df = q.volume(db, Filter(authors=("A.Smith", "D.Kim")), "source", keys=["CFR"])
    assert series(df, "CFR", "total") == [1, NAN, 3, 2, 1]
    assert series(df, "CFR") == [1, NAN, 1, 0, 0]  # CFR: 1 (Jan), 6 (Mar)
    assert q.facets(db, Filter(authors=("C.Lee", "Nobody")), "source").set_index("key")["articles"].to_dict() == {
        "Chatham House": 2, "CFR": 1}  # C.Lee: 3 and 7 (Chatham House), 11 (CFR)


def test_text_filter_matches_any_word_of_the_query(db):
    # "grain" is in 1 and 7, "currency" only in 11: either word counts (as a search finds either)
    df = q.volume(db, Filter(text="grain currency"), "source", keys=["CFR", "Chatham House"])
    assert series(df, "CFR") == [1, NAN, 0, 0, 1]
    assert series(df, "Chatham House") == [0, NAN, 0, 1, 0]
    assert q.volume(db, Filter(text="the and of"), "topic").empty  # stopwords only: no term, nothing matches


def test_volume_rejects_unknown_dimension_grain_measure(db):
    with pytest.raises(q.QueryError):
        q.volume(db, Filter(), "topic; DROP TABLE tags")
    with pytest.raises(q.QueryError):
        q.volume(db, Filter(grain="decade"), "topic")
    with pytest.raises(q.QueryError):
        q.volume(db, Filter(), "topic", measure="percent")


def test_volume_on_no_matches_is_empty_not_error(db):
    df = q.volume(db, Filter(sources=("Nobody",)), "topic")
    assert df.empty and list(df.columns) == ["period", "key", "label", "articles", "total", "share"]


# ---------------------------------------------------------------------------------- rising / falling


def test_rising_falling_april_against_march(db):
    df = q.rising_falling(db, APRIL, "topic", min_support=1)
    assert list(df.columns) == ["key", "label", "current", "previous", "change", "pct_change", "zscore", "direction"]
    rows = df.set_index("key")
    # previous window: 30 days ending 2023-03-31 = 03-02..03-31 (articles 4, 5, 6)
    assert list(df["key"]) == ["ukraine-war", "energy"]  # china-economy is flat (1 -> 1)
    assert rows.loc["ukraine-war", ["current", "previous", "change"]].tolist() == [2, 1, 1]
    assert rows.loc["ukraine-war", "pct_change"] == pytest.approx(1.0)
    # history Jan/Feb/Mar = 2, 0, 1: mean 1, sd 1 -> z = (2 - 1) / 1
    assert rows.loc["ukraine-war", "zscore"] == pytest.approx(1.0)
    assert rows.loc["energy", ["current", "previous", "change", "direction"]].tolist() == [1, 2, -1, "falling"]
    assert rows.loc["energy", "pct_change"] == pytest.approx(-0.5)
    # history 0, 0, 2: mean 2/3, sd sqrt(4/3)
    assert rows.loc["energy", "zscore"] == pytest.approx((1 - 2 / 3) / math.sqrt(4 / 3))


def test_rising_falling_support_floor_in_both_windows(db):
    # ukraine-war 2 vs 1, energy 1 vs 2: each has 2 articles in one window only
    assert list(q.rising_falling(db, APRIL, "topic", min_support=1)["key"]) == ["ukraine-war", "energy"]
    assert q.rising_falling(db, APRIL, "topic", min_support=2).empty
    assert list(q.rising_falling(db, APRIL, "topic", min_support=2, support="either")["key"]) == ["ukraine-war", "energy"]
    assert q.rising_falling(db, APRIL, "topic", min_support=3, support="either").empty
    with pytest.raises(q.QueryError):
        q.rising_falling(db, APRIL, "topic", support="sometimes")


def test_rising_falling_open_range_uses_last_grain_period(db):
    # no dates: current = the month ending on the newest article (04-22..05-21, 30 days), previous
    # 03-23..04-21. CFR 1 (art. 11) vs 2 (6, 8) falls; Chatham House 1 vs 1 and Brookings 1 vs 1 are flat.
    df = q.rising_falling(db, Filter(), "source", min_support=1)
    assert df["key"].tolist() == ["CFR"]
    assert df.iloc[0][["current", "previous", "change", "direction"]].tolist() == [1, 2, -1, "falling"]
    h = q.headline(db, Filter())
    assert (h["period_start"], h["period_end"], h["previous_start"]) == (D(2023, 4, 22), D(2023, 5, 21), D(2023, 3, 23))


def test_headline_april(db):
    h = q.headline(db, APRIL)
    assert h["articles"] == 4 and h["previous_articles"] == 3
    assert h["views"] == 1040 and h["previous_views"] == 325
    assert h["sources"] == 3 and h["authors"] == 4
    assert (h["previous_start"], h["previous_end"]) == (D(2023, 3, 2), D(2023, 3, 31))


# ----------------------------------------------------------------------------------------- readership


def test_views_over_time(db):
    df = q.views_over_time(db, Filter())
    assert list(df["period"]) == MONTHS
    assert list(df.columns) == ["period", "articles", "viewed", "views_sum", "views_median"]
    gapless = lambda column: [None if pd.isna(v) else v for v in df[column]]  # noqa: E731
    assert gapless("articles") == [3, NAN, 3, 4, 2]  # February: no article at all, a gap
    assert gapless("viewed") == [3, NAN, 3, 3, 2]  # article 9 (April) has no view count
    assert gapless("views_sum") == [160, NAN, 325, 1040, 470]
    medians = gapless("views_median")
    assert medians[1] is NAN
    del medians[1]
    if "queries-rollups" in str(db):  # interpolated from the views histogram: within half a bucket (3%)
        assert medians == pytest.approx([50, 20, 40, 235], rel=0.035)
    else:
        assert medians == [50, 20, 40, 235]


def test_top_articles_by_views_and_growth(db):
    by_views = q.top_articles(db, Filter(), limit=3)
    assert by_views["article_id"].tolist() == [7, 12, 4]
    assert by_views["growth"].tolist() == [600, 10, 0]
    by_growth = q.top_articles(db, Filter(), by="growth", limit=3)
    assert by_growth["article_id"].tolist() == [7, 1, 12]
    assert by_growth["growth"].tolist() == [600, 20, 10]
    assert q.top_articles(db, Filter(sources=("CFR",)), by="growth")["article_id"].tolist() == [1]


def test_views_by_source_and_topic(db):
    df = q.views_by(db, Filter(), "source")
    assert df["key"].tolist() == ["Chatham House", "Brookings", "CFR"]
    assert df["views_sum"].tolist() == [1050, 720, 225]
    if "queries-rollups" in str(db):  # interpolated from the views histogram: within half a bucket (3%)
        assert df["views_median"].tolist() == pytest.approx([40, 300, 50], rel=0.035)
    else:
        assert df["views_median"].tolist() == [40, 300, 50]
    authors = q.views_by(db, Filter(), "author").set_index("key")
    # B.Jones wrote 2 (50), 4 (300), 8 (0), 12 (400): sum 750, median (50 + 300) / 2
    assert authors.loc["B.Jones", ["articles", "views_sum"]].tolist() == [4, 750]
    assert authors.loc["B.Jones", "views_median"] == pytest.approx(175, rel=0.035)
    assert df["articles"].tolist() == [3, 4, 5]
    topics = q.views_by(db, Filter(), "topic").set_index("key")
    assert topics.loc["energy", "views_sum"] == 320  # 300 + 20 + 0
    assert topics.loc["energy", "articles"] == 3
    # median of 0, 20, 300 is 20 (the roll-up path interpolates it from a views histogram: within 3%)
    assert topics.loc["energy", "views_median"] == pytest.approx(20, rel=0.03)


def test_views_distribution_log_bins(db):
    df = q.views_distribution(db, Filter(), bins=2)
    # 11 articles with views, 0..1000: log1p spacing splits at sqrt(1001) - 1
    assert df["articles"].tolist() == [4, 7]
    assert df["bin_end"].iloc[0] == pytest.approx(math.sqrt(1001) - 1)
    assert df["bin_end"].iloc[1] == pytest.approx(1000)
    assert len(q.views_distribution(db, Filter(), bins=40)) == 40


def test_views_vs_age(db):
    df = q.views_vs_age(db, Filter()).set_index("article_id")
    assert len(df) == 11  # article 9 has no views
    assert df.loc[1, "age_days"] == 177  # 2023-01-05 -> 2023-07-01
    assert df.loc[12, "views"] == 400
    assert q.views_vs_age(db, Filter(), sample=3).shape[0] == 3


# ------------------------------------------------------------------------------------------ countries


def test_country_map_frames(db):
    df = q.country_map(db, Filter())
    assert list(df.columns) == ["period", "key", "label", "articles", "share"]
    assert len(df) == 5 * 5  # five countries x five months
    april = df[df["period"] == pd.Timestamp("2023-04-01")].set_index("key")
    assert april["articles"].to_dict() == {"CHN": 1, "DEU": 0, "RUS": 2, "UKR": 2, "USA": 1}
    assert april.loc["UKR", "share"] == pytest.approx(2 / 4)
    assert april.loc["UKR", "label"] == "Ukraine"


def test_co_mentions_lift_and_pmi(db):
    df = q.co_mentions(db, Filter(), min_count=2)
    assert list(zip(df["a"], df["b"])) == [("RUS", "UKR"), ("CHN", "RUS"), ("CHN", "USA")]
    assert df["together"].tolist() == [4, 2, 2]
    assert df["count_a"].tolist() == [6, 5, 5] and df["count_b"].tolist() == [5, 6, 3]
    assert df["lift"].tolist() == pytest.approx([4 * 12 / 30, 2 * 12 / 30, 2 * 12 / 15])
    assert df["pmi"].tolist() == pytest.approx([math.log2(1.6), math.log2(0.8), math.log2(1.6)])
    by_lift = q.co_mentions(db, Filter(), min_count=1, order="lift")
    # lifts: CHN-USA 1.6, RUS-UKR 1.6, DEU-UKR 12/10, DEU-RUS 12/12, CHN-RUS 0.8 (ties by name)
    assert list(zip(by_lift["a"], by_lift["b"])) == [("CHN", "USA"), ("RUS", "UKR"), ("DEU", "UKR"), ("DEU", "RUS"), ("CHN", "RUS")]
    matrix = q.co_mention_matrix(df)
    assert matrix.loc["UKR", "RUS"] == matrix.loc["RUS", "UKR"] == 4


# ----------------------------------------------------------------------------------------- articles


def test_drilldown_chart_point_paged_and_sorted(db):
    rows, total = q.drilldown(db, Filter(), "topic", "ukraine-war", pd.Timestamp("2023-04-01"))
    assert total == 2
    assert rows["article_id"].tolist() == [7, 10]
    assert list(rows.columns) == ["article_id", "title", "source", "published", "views", "authors"]
    second, total = q.drilldown(db, Filter(), "topic", "ukraine-war", D(2023, 4, 1), page=1, page_size=1)
    assert total == 2 and second["article_id"].tolist() == [10]
    smith, total = q.drilldown(db, Filter(), "author", "A.Smith", sort="date")
    assert total == 4 and smith["article_id"].tolist() == [10, 6, 4, 1]
    oldest, _ = q.drilldown(db, Filter(), "author", "A.Smith", sort="date", ascending=True)
    assert oldest["article_id"].tolist() == [1, 4, 6, 10]
    grown, _ = q.drilldown(db, Filter(), "source", "CFR", sort="growth", page_size=2)
    assert grown["article_id"].tolist()[0] == 1
    co_authored = q.drilldown(db, Filter(), "author", "D.Kim")[0].set_index("article_id")
    assert co_authored.loc[12, "authors"] == "B.Jones, D.Kim"


def test_article_in_full(db):
    a = q.article(db, 1)
    assert a["meta"]["source"] == "CFR" and a["meta"]["authors"] == ["A.Smith"]
    assert a["body_text"] == "CFR: Ukraine and the grain corridor\n\nKyiv and Moscow argue over shipping. The grain deal may lapse."
    tags = a["tags"].set_index("key")
    assert set(tags.index) == {"UKR", "RUS", "ukraine-war"}
    start, end = tags.loc["UKR", "spans"][0]
    assert a["body_text"][start:end].lower() == "ukraine"
    assert a["views"]["views"].tolist() == [80, 100]
    assert a["related"]["target_id"].tolist()[0] == 7 and pd.isna(a["related"]["target_id"].tolist()[1])
    assert q.article(db, 999) is None
    assert q.article(db, "1 OR 1=1") is None


def test_search_bm25_with_snippets_and_filters(db):
    hits, total = q.search(db, Filter(), "grain")
    assert total == 2 and hits["article_id"].tolist() == [7, 1]  # article 7 says grain four times
    assert "notice" not in hits.attrs and (hits["notice"] == "").all()
    assert all("grain" in s.lower() for s in hits["snippet"])
    assert hits["score"].iloc[0] > hits["score"].iloc[1] > 0
    only_cfr, total = q.search(db, Filter(sources=("CFR",)), "grain")
    assert total == 1 and only_cfr["article_id"].tolist() == [1]
    stemmed, total = q.search(db, Filter(), "corridors")
    assert set(stemmed["article_id"]) == {1, 7}
    page2, total = q.search(db, Filter(), "grain", page=1, page_size=1)
    assert total == 2 and page2["article_id"].tolist() == [1]
    past_end, total = q.search(db, Filter(), "grain", page=5, page_size=1)
    assert past_end.empty and total == 2
    blank, total = q.search(db, Filter(), "   ")
    assert blank.empty and total == 0


def test_search_falls_back_without_index(db_unindexed):
    hits, total = q.search(db_unindexed, Filter(), "grain corridor")
    assert total == 2 and set(hits["article_id"]) == {1, 7}
    assert "no search index" in hits.attrs["notice"]
    assert hits["notice"].str.contains("no search index").all()


def test_facets_ignore_their_own_selection(db):
    topics = q.facets(db, Filter(topics=("energy",)), "topic")
    assert topics.set_index("key")["articles"].to_dict() == {"ukraine-war": 6, "china-economy": 4, "energy": 3}
    sources = q.facets(db, Filter(topics=("energy",)), "source")
    assert sources.values.tolist() == [["Brookings", "Brookings", 2], ["CFR", "CFR", 1]]
    countries = q.facets(db, APRIL, "country")
    assert countries.set_index("key")["articles"].to_dict() == {"RUS": 2, "UKR": 2, "CHN": 1, "USA": 1}


def test_summary(db):
    s = q.summary(db)
    assert (s["articles"], s["synthetic_articles"], s["sources"], s["authors"], s["rejects"]) == (12, 1, 3, 4, 1)
    assert (s["first_date"], s["last_date"]) == (D(2023, 1, 5), D(2023, 5, 21))
    assert s["runs"]["run_id"].tolist() == [2, 1]
    kinds = s["tags_by_kind"].set_index("kind")
    assert kinds.loc["country", "tags"] == 21 and kinds.loc["topic", "tags"] == 13
    assert s["last_ingest_at"] == dt.datetime(2023, 7, 1, 9, 5)


def test_new_since_last_ingest(db):
    df = q.new_since_last_ingest(db, Filter())
    assert df["article_id"].tolist() == [12, 11]
    assert q.new_since_last_ingest(db, Filter(sources=("CFR",)))["article_id"].tolist() == [11]


def test_missing_database_is_a_clear_error(tmp_path):
    from trends.store import StoreError

    with pytest.raises(StoreError, match="no archive"):
        q.volume(tmp_path / "absent.duckdb", Filter(), "topic")


def test_each_fixture_variant_takes_its_path(db):
    from trends.queries import _base

    q.headline(db, Filter())
    assert _base.use_rollups(Filter()) == ("queries-rollups" in str(db))


def test_bm25_scores_equal_a_hand_computation(db):
    """Our BM25 (k1 = 1.2, b = 0.75) against the formula computed here from the fixture's own texts,
    tokenised in Python (lower case, split on non-alphanumerics, the packaged stopwords, porter stems
    from DuckDB's fts `stem`, which a Python snowball port would reproduce)."""
    import re

    import duckdb

    from trends.paths import PACKAGE_DATA
    from trends.queries._base import Params, bm25_hits
    from trends.store import load_fts, read_cursor

    from fixtures_queries import ARTICLES

    stop = {w for w in (PACKAGE_DATA / "stopwords_en.txt").read_text().split() if not w.startswith("#")}
    stemmer = duckdb.connect()
    assert load_fts(stemmer)
    stem = lambda w: stemmer.execute("SELECT stem(?, 'porter')", [w]).fetchone()[0]  # noqa: E731
    docs = {aid: [stem(w) for w in re.split(r"[^a-z0-9]+", f"{title} {body}".lower()) if w and w not in stop]
            for aid, *_, title, body in ARTICLES}
    n, avgdl = len(docs), sum(map(len, docs.values())) / len(docs)
    cur = read_cursor(db)
    for text in ("grain corridor", "Beijing", "kyiv moscow power", "Siberia 2"):
        terms = {stem(w) for w in re.split(r"[^a-z0-9]+", text.lower()) if w and w not in stop}
        expected = {}
        for aid, words in docs.items():
            score = 0.0
            for t in terms:
                tf, df = words.count(t), sum(t in d for d in docs.values())
                if tf:
                    idf = math.log10(((n - df + 0.5) / (df + 0.5)) + 1)  # log10, as DuckDB fts's macro
                    score += idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * len(words) / avgdl))
            if score:
                expected[aid] = score
        p = Params()
        ours = dict(cur.execute(bm25_hits(text, p, "postings"), p.values).fetchall())
        assert ours.keys() == expected.keys() and ours
        for key, score in expected.items():
            assert ours[key] == pytest.approx(score)


def test_histogram_median_is_within_half_a_bucket():
    import numpy as np

    from trends.queries.readership import _median_from_histogram

    values = np.arange(0, 1002)  # median 500.5
    buckets = np.floor(np.log1p(values) * 16).astype(int)
    uniq, counts = np.unique(buckets, return_counts=True)
    assert _median_from_histogram(uniq, counts, 16) == pytest.approx(500.5, rel=0.035)
    assert _median_from_histogram(np.array([5]), np.array([0]), 16) == 0.0


# ------------------------------------------------------------------------------- passing mentions


@pytest.mark.parametrize("rollups", [False, True])
def test_a_passing_mention_is_not_counted_but_is_still_shown_in_the_article(tmp_path, rollups):
    """A tag below the stored about threshold marks a passing mention: charts skip it, the article keeps it."""
    from trends import derived, store
    from trends.tagging import ABOUT_THRESHOLD

    path = build_fixture_db(tmp_path / "passing.duckdb", rollups=rollups)

    def copy(w):
        derived.attach_source(w)
        derived.copy_live(w)

    with store.writer(path, rewrite=True, copy=copy) as con:  # a rewrite: every derived row recomputed below
        published = con.execute("SELECT published FROM articles WHERE article_id = 1").fetchone()[0]
        con.execute(
            "INSERT INTO tags VALUES (1, 'country', 'NZL', 'New Zealand', 1, ?, 'alias', [[0, 3]], ?),"
            " (2, 'country', 'NZL', 'New Zealand', 3, ?, 'alias', [[0, 3]], ?)",
            [ABOUT_THRESHOLD - 0.01, published, ABOUT_THRESHOLD, published],
        )
        derived.rebuild(con, "work")
        if not rollups:
            con.execute("DELETE FROM meta WHERE key = ?", [derived.ROLLUPS_SETTING])
    df = q.volume(path, Filter(), "country", keys=["NZL"])
    assert int(df["articles"].sum()) == 1  # article 2 is about New Zealand; article 1 only mentions it
    one = q.article(path, 1)
    assert "NZL" in set(one["tags"]["key"])
