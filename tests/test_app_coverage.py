"""Issue 12 on the pages (AppTest): a two-source archive without view counts, made by the real ingest.

The archive is tests/fixtures_two_sources.py (the table of tests/fixtures_coverage.py as JSONL input
records): Old Wire January to April 2021, New Daily March, April and June, nothing in May, no views.
Expected values are worked out by hand from that table (see both docstrings), not from the queries.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fixtures_apptest import run_page as _run_page, select
from fixtures_two_sources import build_two_source_archive



@pytest.fixture(scope="module")
def two_sources(tmp_path_factory) -> Path:
    db = build_two_source_archive(tmp_path_factory.mktemp("two-sources"))
    from trends import queries as q
    from trends.filters import Filter

    # The tagger must have found the fixture's topics exactly (the hand-worked figures rest on them).
    topics = q.facets(db, Filter(), "topic", limit=10).set_index("key")["articles"].to_dict()
    assert topics == {"energy": 12, "migration": 13}
    return db


def run_page(monkeypatch, db: Path, page: str = "overview", params: dict | None = None) -> AppTest:
    return _run_page(monkeypatch, db, page, params, timeout=90)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [i.value for i in at.info]
    return "\n".join(parts).replace("\\", "").replace("**", "")  # markdown off, to compare with plain text


def spec(at: AppTest, key: str) -> dict:
    found = [c for c in at.get("plotly_chart") if c.key == key]
    assert found, f"no chart {key!r}; charts: {[c.key for c in at.get('plotly_chart')]}"
    return json.loads(found[0].proto.spec)


def values(array) -> list:
    """A Plotly array from a figure spec: a list, or a typed array {dtype, bdata}."""
    if isinstance(array, dict) and "bdata" in array:
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        shape = [int(n) for n in str(array.get("shape", len(flat))).split(",")]
        return flat.reshape(shape).tolist()
    return list(array)


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def param(at: AppTest, name: str):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------- spans


def test_a_link_without_dates_opens_on_the_core_span_with_a_notice(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics")
    shown = texts(at)
    # 34 articles; 80% = 27.2, so 28. The shortest day window holding 28: 01-05 .. 04-22 (Jan-Apr: 4+4+10+10).
    assert "core span, 2021-01-05 to 2021-04-22 (28 of 34 articles)" in shown
    assert "no articles in 1 of its 6 months" in shown  # May
    fig = spec(at, "tp_volume")
    assert len(values(trace(fig, "Energy, oil and gas")["y"])) == 4  # January to April only
    assert param(at, "from") is None  # the span's dates are not written into the link


def test_the_span_buttons_switch_to_the_whole_archive_and_the_densest_span(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics")
    at.button(key="span_all").click().run()
    assert param(at, "span") == "all"
    energy = values(trace(spec(at, "tp_volume"), "Energy, oil and gas")["y"])
    # Energy per month: Jan 2, Feb 2, Mar 2+1, Apr 3+1, May no article at all (a gap), Jun 1.
    assert energy[:4] == [2, 2, 3, 4] and math.isnan(energy[4]) and energy[5] == 1
    at.button(key="span_densest").click().run()
    assert param(at, "span") == "densest"
    # Densest run of non-empty months: Jan-Apr (28 articles) beats June (6): first to last article 01-05..04-22.
    assert "densest span, 2021-01-05 to 2021-04-22 (28 of 34 articles)" in texts(at)


def test_dates_in_the_link_win_over_the_span(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "from": "2021-03-01", "to": "2021-06-30"})
    assert "dates chosen in the sidebar" in texts(at)
    assert len(values(trace(spec(at, "tp_volume"), "Energy, oil and gas")["y"])) == 4  # Mar, Apr, May, Jun


# ------------------------------------------------------------------------------ coverage + gaps


@pytest.mark.parametrize("page, key", [("overview", "ov_attention"), ("topics", "tp_volume"),
                                       ("readership", "rd_time")])
def test_every_time_series_has_the_coverage_strip(monkeypatch, two_sources, page, key):
    at = run_page(monkeypatch, two_sources, page, {"v": "1", "span": "all"})
    fig = spec(at, key)
    strip = [t for t in fig["data"] if t.get("type") == "heatmap"]
    assert len(strip) == 1 and strip[0]["y"] == ["Old Wire", "New Daily"]  # in order of their first article
    z = np.array(values(strip[0]["z"]), dtype=float)
    # Old Wire: Jan-Apr, New Daily: Mar, Apr, Jun; a month without articles is blank (NaN), not pale.
    assert (~np.isnan(z)).tolist() == [[True, True, True, True, False, False], [False, False, True, True, False, True]]
    assert "coverage" in texts(at)


def test_the_country_trend_has_the_strip_too(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "countries", {"v": "1", "span": "all"})
    assert any(t.get("type") == "heatmap" for t in spec(at, "ct_trend")["data"])


def test_about_shows_coverage_and_rejects_with_their_reasons(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "about")
    fig = spec(at, "ab_coverage")
    assert fig["data"][0]["type"] == "heatmap" and fig["data"][0]["y"] == ["Old Wire", "New Daily"]
    shown = texts(at)
    assert "spans 2021-01-05 to 2021-06-22" in shown and "1 of them without any article" in shown
    reasons = next(d.value for d in at.dataframe if "reason" in d.value.columns and "rejects" in d.value.columns)
    assert reasons["rejects"].tolist() == [1] and "body" in reasons["reason"][0]
    assert "trends rejects" in shown


# ------------------------------------------------------------------------------------- measure


def test_source_adjusted_share_is_a_visible_option_with_its_explanation(monkeypatch, two_sources):
    from trends.queries import SHARE_ACTIVE_EXPLAINED

    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "span": "all"})
    at.segmented_control(key="tp_measure").set_value("share_active").run()
    assert param(at, "measure") == "share_active"
    assert SHARE_ACTIVE_EXPLAINED in [c.value for c in at.caption]
    fig = spec(at, "tp_volume")
    energy = values(trace(fig, "Energy, oil and gas")["y"])
    migration = values(trace(fig, "Migration and refugees")["y"])
    # By hand (tests/test_queries_coverage.py): energy 11/34 Jan-Mar, 15/34 Apr, gap May, 12/34 Jun;
    # migration flat at 13/34 while the plain share moves from 25% to 50% as the source mix changes.
    assert energy == pytest.approx([11 / 34] * 3 + [15 / 34, math.nan, 12 / 34], nan_ok=True)
    assert migration == pytest.approx([13 / 34] * 4 + [math.nan, 13 / 34], nan_ok=True)


# ------------------------------------------------------------------------------ rising / falling


def test_rising_falling_says_when_the_previous_period_has_no_coverage(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics")  # the core span: Jan-Apr, before it nothing
    shown = texts(at)
    assert "The archive has no articles from 2020-09-19 to 2021-01-04 (the previous period)" in shown
    assert not [c for c in at.get("plotly_chart") if c.key == "tp_movers"]


def test_rising_falling_needs_support_in_both_periods_and_names_an_entering_source(monkeypatch, two_sources):
    # March-April against the 61 days before (2020-12-30..2021-02-28): New Daily is not in the archive then,
    # so only Old Wire counts: energy 2+3 = 5 now against 2+2 = 4 before, migration 1+1 against 1+1.
    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "from": "2021-03-01", "to": "2021-04-30"})
    shown = texts(at)
    assert "left out: New Daily (not yet in the archive in the previous period)" in shown
    assert "No topic has at least 5 articles in both this period and the previous one" in shown
    assert "at least 5 articles in both periods" in shown


def test_rising_and_falling_with_enough_support(monkeypatch, two_sources):
    # to=06-30 lies beyond the last article (06-22), so it is opened: 04-01..06-22 (83 days) against
    # 01-08..03-31; both sources' spans cover both windows.
    # Energy: now Apr 3+1, Jun 1 = 5; before Jan 1 (01-10; 01-05 is outside), Feb 2, Mar 2+1 = 6: falls by 1.
    # Migration: now Apr 1+3, Jun 3 = 7; before Jan 1, Feb 1, Mar 1+3 = 6: rises by 1.
    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "from": "2021-04-01", "to": "2021-06-30"})
    fig = spec(at, "tp_movers")
    bars = [(c[0], x) for t in fig["data"] for c, x in zip(t["customdata"], values(t["x"]))]
    assert sorted(bars) == [("energy", -1), ("migration", 1)]


# ------------------------------------------------------------------------------------ no views


def test_readership_without_views_says_so_and_shows_what_it_can(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "readership", {"v": "1", "span": "all"})
    shown = texts(at)
    assert "No article in this selection has a view count" in shown
    keys = {c.key for c in at.get("plotly_chart")}
    assert keys == {"rd_time", "rd_by_articles"}  # no empty top-articles / views-by charts
    fig = spec(at, "rd_time")
    assert [t["name"] for t in fig["data"] if t.get("type") != "heatmap"] == ["articles"]
    assert fig["layout"]["yaxis"]["rangemode"] == "tozero"
    by = spec(at, "rd_by_articles")["data"][0]
    assert sorted(zip(by["y"], values(by["x"]))) == [("New Daily", 18), ("Old Wire", 16)]


def test_view_widgets_and_the_synthetic_toggle_are_hidden(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "articles", {"v": "1", "span": "all"})
    labels = [w.label for w in at.sidebar.number_input] + [w.label for w in at.sidebar.checkbox]
    assert "Minimum views" not in labels and "Include synthetic demo articles" not in labels
    assert not [w for w in at.segmented_control if w.key == "ar_sort"]  # no views, no growth: only newest
    assert "34 articles match the filters, newest first" in texts(at)


def test_overview_without_views_lists_sources_not_an_empty_most_read(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "overview", {"v": "1", "span": "all"})
    shown = texts(at)
    assert "No articles with views" not in shown and "there is no most-read list" in shown
    assert [m.value for m in at.metric if m.label == "Views"] == ["none"]


def test_a_views_sort_in_the_link_falls_back_to_newest_and_says_why(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "span": "all", "drill_dim": "topic",
                                                        "drill_key": "energy", "sort": "views"})
    assert "sorted by newest" in texts(at) and "view count" in texts(at)


# --------------------------------------------------------------------------- network + drivers


def test_a_network_edge_lists_the_articles_carrying_both(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "countries", {"v": "1", "span": "all", "section": "network"})
    fig = spec(at, "ct_network")
    pairs = [c for t in fig["data"] for c in (t.get("customdata") or []) if c and c[0] == "pair"]
    assert pairs == [["pair", "DEU", "RUS"]]  # France is never mentioned with them
    select(at, "ct_network", "pair", "DEU", "RUS")
    assert (param(at, "drill_key"), param(at, "drill_key_b")) == ("DEU", "RUS")
    shown = texts(at)
    assert "Country: Germany and Russia (both)" in shown and "12 articles" in shown  # every energy article
    select(at, "ct_network", "node", "FRA", "13")
    assert (param(at, "drill_key"), param(at, "drill_key_b")) == ("FRA", None)
    assert "13 articles" in texts(at)  # every migration article


def test_a_clicked_point_shows_what_drove_it_and_each_term_searches(monkeypatch, two_sources):
    at = run_page(monkeypatch, two_sources, "topics", {"v": "1", "span": "all"})
    select(at, "tp_volume", "energy", "2021-04-01")
    shown = texts(at)
    assert "What drove this" in shown
    terms = spec(at, "drivers_terms")["data"][0]["y"]
    # April's energy articles say "pipeline" three times each; the months around never do.
    assert terms[-1] == "pipeline"  # strongest on top (the last bar of a horizontal chart)
    link = next(m.value for m in at.markdown if m.value.startswith("Search:"))
    assert "/articles?" in link and "q=pipeline" in link
    select(at, "drivers_terms", "pipeline", "")
    assert at.query_params.get("q") in ("pipeline", ["pipeline"])
