"""What drove a point (Fightin' Words log-odds), the co-mention network and the articles behind an edge."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from fixtures_coverage import build_coverage_db
from fixtures_queries import build_fixture_db
from trends import queries as q
from trends.filters import Filter
from trends.store import read_cursor


@pytest.fixture(scope="module", params=["raw", "rollups"])
def patchy(request, tmp_path_factory):
    return build_coverage_db(tmp_path_factory.mktemp(f"drivers-{request.param}") / "patchy.duckdb",
                             rollups=request.param == "rollups")


@pytest.fixture(scope="module", params=["raw", "rollups"])
def twelve(request, tmp_path_factory):
    return build_fixture_db(tmp_path_factory.mktemp(f"network-{request.param}") / "twelve.duckdb",
                            rollups=request.param == "rollups")


# ---------------------------------------------------------------------------------- log-odds by hand


def test_log_odds_dirichlet_against_a_hand_computed_example():
    """focus a 10, b 0, c 5 (n_i = 15); comparison a 2, b 8, c 5 (n_j = 15); prior = both: a 12, b 8,
    c 10 (a_0 = 30).

    a: delta = ln(22 / 23) - ln(14 / 31) = -0.0444518 + 0.7949299 = 0.7504781;
       var = 1/22 + 1/14 = 0.1168831, z = 0.7504781 / 0.3418817 = 2.195140
    b: delta = ln(8 / 37) - ln(16 / 29) = -1.5314764 + 0.5947071 = -0.9367693;
       var = 1/8 + 1/16 = 0.1875, z = -0.9367693 / 0.4330127 = -2.163376
    c: delta = ln(15 / 30) - ln(15 / 30) = 0, z = 0
    """
    focus = pd.Series({"a": 10, "b": 0, "c": 5})
    comparison = pd.Series({"a": 2, "b": 8, "c": 5})
    out = q.log_odds_dirichlet(focus, comparison)
    assert list(out.index) == ["a", "c", "b"]  # by z, largest first
    assert out.loc["a", "log_odds"] == pytest.approx(0.7504781, abs=1e-7)
    assert out.loc["a", "zscore"] == pytest.approx(2.195140, abs=1e-6)
    assert out.loc["b", "log_odds"] == pytest.approx(-0.9367693, abs=1e-7)
    assert out.loc["b", "zscore"] == pytest.approx(-2.163376, abs=1e-6)
    assert out.loc["c", "log_odds"] == pytest.approx(0.0, abs=1e-12)
    assert out[["focus", "comparison"]].loc["b"].tolist() == [0, 8]


def test_log_odds_prior_scaled_to_a_size():
    """The same counts with the prior scaled to a_0 = 15: a_w = 6, 4, 5.

    a: delta = ln(16 / 14) - ln(8 / 22) = 0.1335314 + 1.0116009 = 1.1451323; var = 1/16 + 1/8 = 0.1875,
       z = 1.1451323 / 0.4330127 = 2.644570
    """
    out = q.log_odds_dirichlet(pd.Series({"a": 10, "b": 0, "c": 5}), pd.Series({"a": 2, "b": 8, "c": 5}), prior_size=15)
    assert out.loc["a", "log_odds"] == pytest.approx(1.1451323, abs=1e-7)
    assert out.loc["a", "zscore"] == pytest.approx(2.644570, abs=1e-6)
    # a background corpus of its own: a word it lacks has no prior and is left out
    own = q.log_odds_dirichlet(pd.Series({"a": 3, "z": 1}), pd.Series({"a": 1}), prior=pd.Series({"a": 10, "b": 5}))
    assert list(own.index) == ["a"]
    # a: ln((3 + 10) / (4 + 15 - 3 - 10)) - ln((1 + 10) / (1 + 15 - 1 - 10)) = ln(13 / 6) - ln(11 / 5)
    assert own.loc["a", "log_odds"] == pytest.approx(math.log(13 / 6) - math.log(11 / 5))


# ------------------------------------------------------------------------------------- tokenisation


def test_words_are_cut_as_the_search_index_cuts_them(patchy):
    from trends.derived import words_sql

    cur = read_cursor(patchy)
    for text in ("COVID-19 in 2022: the U.S. economy's 3rd rise (really?) a/b|c_d", "São Paulo & Zürich, naïve café",
                 "Tabs\tand\nnew lines;  double  spaces... end"):
        theirs = [w for (w,) in cur.execute(words_sql("$1"), [text]).fetchall()]
        assert q.search_words(text) == theirs
    # and beyond the index's ASCII-only rules: typographic apostrophes, dashes and no-break spaces split
    assert q.search_words("Biden’s plan — a\u00a0deal") == ["biden", "s", "plan", "a", "deal"]


# ------------------------------------------------------------------------------------------ drivers


def test_drivers_of_energy_in_april(patchy):
    d = q.drivers(patchy, Filter(), "topic", "energy", "2021-04-17")
    # focus: April's energy articles (Old Wire 04-05, 04-10, 04-15; New Daily 04-06); comparison: the
    # energy articles of Jan-Mar and May-Jul (2 + 2 + 3 + 0 + 1 = 8)
    assert (d["focus_articles"], d["comparison_articles"]) == (4, 8)
    assert (d["period_start"], d["period_end"]) == (dt.date(2021, 4, 1), dt.date(2021, 4, 30))
    # Jan-Jul around April, shown within the data: its first article is Old Wire's of 2021-01-05 and its
    # last New Daily's of 2021-06-22 (not 2021-07-31, a month past the data's end)
    assert (d["comparison_start"], d["comparison_end"]) == (dt.date(2021, 1, 5), dt.date(2021, 6, 22))
    assert d["compared_with"] == "same sources" and d["notice"] == ""
    terms = d["terms"]
    assert list(terms.columns) == ["term", "focus", "comparison", "log_odds", "zscore"]
    assert terms.iloc[0][["term", "focus", "comparison"]].tolist() == ["pipeline", 12, 0]  # 3 times in 4 articles
    # every other April word used in all four articles, none elsewhere: talks, stall, consortium, route, border
    assert {"talks", "stall", "consortium", "route", "border"} <= set(terms["term"])
    assert not {"solar", "the", "across"} & set(terms["term"])  # a comparison word, two stopwords
    assert (terms["zscore"] > 0).all() and terms["zscore"].is_monotonic_decreasing
    assert sorted(d["articles"]["published"].dt.day) == [5, 6, 10, 15]


def test_every_driver_term_finds_its_articles_in_search(patchy):
    d = q.drivers(patchy, Filter(), "topic", "energy", "2021-04-01")
    focus_ids = set(d["articles"]["article_id"])
    for term in d["terms"]["term"]:
        hits, total = q.search(patchy, Filter(), term)
        assert total > 0 and focus_ids & set(hits["article_id"]), term


def test_drivers_say_why_there_are_no_terms(patchy, twelve):
    empty = q.drivers(patchy, Filter(), "topic", "energy", "2021-05-01")
    assert empty["focus_articles"] == 0 and empty["terms"].empty and "No articles" in empty["notice"]
    alone = q.drivers(patchy, Filter(), "topic", "energy", "2021-06-01", window=1)  # May and July: nothing
    assert alone["comparison_articles"] == 0 and alone["terms"].empty and "nothing to compare" in alone["notice"]
    # war in Ukraine in May 2023 (Brookings, article 12); around it only Chatham House's April articles
    other = q.drivers(twelve, Filter(), "topic", "ukraine-war", "2023-05-01", window=1, min_count=1)
    assert other["compared_with"] == "all sources" and "other sources" in other["notice"]
    assert other["comparison_articles"] == 2 and other["articles"]["article_id"].tolist() == [12]


def test_drivers_reject_bad_arguments(patchy):
    with pytest.raises(q.QueryError):
        q.drivers(patchy, Filter(), "colour", "red", "2021-04-01")
    with pytest.raises(q.QueryError):
        q.drivers(patchy, Filter(grain="decade"), "topic", "energy", "2021-04-01")


# ------------------------------------------------------------------------------------------ network


def test_co_mention_network_nodes_and_edges(twelve):
    net = q.co_mention_network(twelve, Filter(), max_nodes=3, min_count=1)
    # countries by articles: RUS 6, then CHN 5 and UKR 5 (ties by key), USA 3, DEU 2
    assert net["nodes"].values.tolist() == [["RUS", "Russia", 6], ["CHN", "China", 5], ["UKR", "Ukraine", 5]]
    edges = net["edges"]
    assert list(edges.columns) == ["a", "b", "label_a", "label_b", "together", "lift", "pmi"]
    # among those three: RUS-UKR 4 articles (lift 4 * 12 / 30 = 1.6), CHN-RUS 2 (2 * 12 / 30 = 0.8); CHN-UKR none
    assert list(zip(edges["a"], edges["b"], edges["together"])) == [("RUS", "UKR", 4), ("CHN", "RUS", 2)]
    assert edges["lift"].tolist() == pytest.approx([1.6, 0.8])
    strong = q.co_mention_network(twelve, Filter(), max_nodes=3, min_count=3)["edges"]
    assert list(zip(strong["a"], strong["b"])) == [("RUS", "UKR")]
    assert len(q.co_mention_network(twelve, Filter(), max_nodes=5, min_count=1, max_edges=2)["edges"]) == 2
    none = q.co_mention_network(twelve, Filter(sources=("Nobody",)))
    assert none["nodes"].empty and none["edges"].empty


def test_drilldown_behind_an_edge_lists_articles_carrying_both(twelve):
    rows, total = q.drilldown(twelve, Filter(), "country", "RUS", key_b="UKR", sort="date", ascending=True)
    assert total == 4 and rows["article_id"].tolist() == [1, 4, 7, 12]
    april, total = q.drilldown(twelve, Filter(), "country", "CHN", pd.Timestamp("2023-04-01"), key_b="RUS")
    assert total == 1 and april["article_id"].tolist() == [8]
