"""The dashboard run headless by Streamlit's AppTest on the hand-made fixture DB (tests/fixtures_app.py).

Expected numbers come from the fixture's construction rules (see its docstring), not from the queries.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fixtures_app import N_PLAIN, article_id, build_app_db
from fixtures_apptest import APP, run_page, select

PAGES = ["overview", "topics", "countries", "readership", "articles", "about"]
TITLES = {"overview": "Overview", "topics": "Topics & themes", "countries": "Countries",
          "readership": "Readership", "articles": "Articles", "about": "About the data"}


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    return build_app_db(tmp_path_factory.mktemp("app") / "app.duckdb")


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    return build_app_db(tmp_path_factory.mktemp("empty") / "empty.duckdb", with_articles=False)


def texts(at: AppTest) -> str:
    """All markdown-ish text on the page, joined (for 'is this shown' checks)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    return "\n".join(parts)


def html_bodies(at: AppTest) -> list[str]:
    return [el.proto.body for el in at.get("html")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_fixture(monkeypatch, fixture_db, page):
    at = run_page(monkeypatch, fixture_db, page)
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error, [e.value for e in at.error]
    # Articles 0, 10 and 20 are synthetic: the banner is on every page.
    assert any("Synthetic demo data" in w.value and "3 of the 31" in w.value for w in at.warning)
    charts = at.get("plotly_chart")
    minimum = {"overview": 2, "topics": 2, "countries": 3, "readership": 4}.get(page, 0)
    assert len(charts) >= minimum
    if minimum:
        assert len(at.get("download_button")) >= len(charts) - 1  # every chart but the heatmap has its CSV


@pytest.mark.parametrize(
    ("page", "section", "tab", "drawn", "not_drawn"),
    [
        ("countries", None, "Country trends", {"ct_trend"}, {"ct_matrix", "ct_pairs"}),
        ("countries", "together", "Mentioned together", {"ct_matrix", "ct_pairs"}, {"ct_trend"}),
        ("readership", None, "Views by source, author, topic …", {"rd_by"}, {"rd_dist", "rd_age"}),
        ("readership", "distribution", "Distribution of views", {"rd_dist"}, {"rd_by", "rd_age"}),
        ("readership", "age", "Views against age", {"rd_age"}, {"rd_by", "rd_dist"}),
    ],
)
def test_the_link_opens_its_tab_and_only_that_tab_is_drawn(monkeypatch, fixture_db, page, section, tab, drawn,
                                                           not_drawn):
    params = {"v": "1", **({"section": section} if section else {})}
    at = run_page(monkeypatch, fixture_db, page, params)
    keys = {c.key for c in at.get("plotly_chart")}
    assert drawn <= keys and not (not_drawn & keys), keys
    key = "ct_section" if page == "countries" else "rd_section"
    assert at.session_state[key] == tab
    assert not at.info or all("ignored" not in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_empty_db(monkeypatch, empty_db, page):
    at = run_page(monkeypatch, empty_db, page)
    assert not at.error
    assert not at.warning  # no synthetic banner without synthetic articles
    if page != "about":
        assert any("no articles yet" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_headline_numbers_follow_the_url_filter(monkeypatch, fixture_db):
    # Energy articles are the odd ones; between Feb 1 and Apr 30 that is i = 5,7,9,11,13,15,17,19.
    params = {"v": "1", "from": "2024-02-01", "to": "2024-04-30", "topic": "energy", "grain": "week"}
    at = run_page(monkeypatch, fixture_db, "overview", params)
    assert at.sidebar.multiselect(key="flt_topics").value == ["energy"]
    assert at.sidebar.selectbox(key="flt_grain").value == "week"
    assert at.sidebar.date_input(key="flt_dates").value == (dt.date(2024, 2, 1), dt.date(2024, 4, 30))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Articles"] == "8"
    # views = 100 * (i + 1): 600 + 800 + 1000 + 1200 + 1400 + 1600 + 1800 + 2000
    assert metrics["Views"] == "10,400"


def test_legacy_link_names_still_work(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "overview", {"start": "2024-03-01", "end": "2024-03-31", "topics": "ukraine-war"})
    assert at.sidebar.multiselect(key="flt_topics").value == ["ukraine-war"]
    # March, even articles: i = 10, 12, 14.
    assert {m.label: m.value for m in at.metric}["Articles"] == "3"
    # The address bar now shows the current form of the same link.
    assert at.query_params.get("v") in ("1", ["1"])
    assert at.query_params.get("topic") in ("ukraine-war", ["ukraine-war"])
    assert at.query_params.get("from") in ("2024-03-01", ["2024-03-01"]) and "start" not in at.query_params


def test_bad_parameters_are_ignored_with_a_notice(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "overview", {"v": "1", "from": "yesterday", "grain": "fortnight", "article": "x1"})
    notice = " ".join(i.value for i in at.info)
    assert "ignored" in notice and "from" in notice and "grain" in notice and "article" in notice
    assert at.sidebar.selectbox(key="flt_grain").value == "month"
    assert not at.error
    assert "grain" not in at.query_params and "from" not in at.query_params  # dropped from the address


def test_changing_a_filter_widget_rewrites_the_url(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "overview")
    at.sidebar.multiselect(key="flt_topics").set_value(["energy"]).run()
    assert at.query_params.get("topic") in ("energy", ["energy"])
    assert at.query_params.get("v") in ("1", ["1"])
    at.sidebar.selectbox(key="flt_grain").set_value("quarter").run()
    assert at.query_params.get("grain") in ("quarter", ["quarter"])
    assert at.query_params.get("topic") in ("energy", ["energy"])  # the earlier choice is kept


def test_chart_selection_lists_the_articles_behind_the_point(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "topics")
    select(at, "tp_volume", "ukraine-war", "2024-03-01")
    assert not at.exception
    assert at.query_params.get("drill_key") in ("ukraine-war", ["ukraine-war"])
    assert at.query_params.get("drill_period") in ("2024-03-01", ["2024-03-01"])
    shown = texts(at)
    # Ukraine-war articles in March 2024: i = 10, 12, 14 (and nothing else).
    for i in (10, 12, 14):
        assert f"Note {i} on the war in Ukraine" in shown
    for i in (8, 11, 16):
        assert f"Note {i} on" not in shown
    assert "3 articles" in shown
    assert r"Articles behind Topic\: Ukraine war, the month starting 2024\-03\-01" in shown
    # The second click opens the article in full, with the tagged words highlighted.
    opens = [b for b in at.button if b.key == f"drill_open_{article_id(12)}"]
    assert opens
    opens[0].click().run()
    assert at.query_params.get("article") in (str(article_id(12)), [str(article_id(12))])
    body = "\n".join(html_bodies(at))
    assert '<mark class="tag tag-country" title="country: Ukraine"' in body
    assert '<mark class="tag tag-topic" title="topic: Ukraine war"' in body


def test_a_map_selection_drills_by_country(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "countries")
    select(at, "ct_bars", "CHN", "")
    assert at.query_params.get("drill_dim") in ("country", ["country"])
    # China is mentioned by every third article (i = 0, 3, ..., 27): 10 articles.
    assert "10 articles" in texts(at)


def test_a_shared_drill_link_restores_the_list(monkeypatch, fixture_db):
    params = {"v": "1", "dim": "topic", "drill_dim": "topic", "drill_key": "energy", "drill_period": "2024-01-01"}
    at = run_page(monkeypatch, fixture_db, "topics", params)
    shown = texts(at)
    # Energy articles in January: i = 1, 3.
    assert "Note 1 on gas and energy" in shown and "Note 3 on gas and energy" in shown
    assert "2 articles" in shown


def test_hostile_article_is_rendered_as_text(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "articles", {"v": "1", "article": str(article_id(N_PLAIN))})
    body = "\n".join(html_bodies(at))
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in body
    assert "<script" not in body and "<img" not in body
    titles = [s.value for s in at.subheader]
    assert any("\\<script\\>" in t for t in titles)  # markdown-escaped, so shown literally


def test_search_ranks_and_snippets(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "articles", {"v": "1", "q": "China"})
    shown = texts(at)
    assert "10 articles match" in shown  # i = 0, 3, ..., 27


def test_share_box_shows_the_full_link_and_presenter_form(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "countries", {"v": "1", "country": "RUS,UKR", "grain": "quarter"})
    assert not at.sidebar.code  # drawn only once the box is opened (lazy expander)
    at.session_state["share_open"] = True
    at.run()
    codes = [c.value for c in at.sidebar.code]
    assert any(c.endswith("/countries?v=1&grain=quarter&country=RUS,UKR") for c in codes), codes
    assert any(c.endswith("/countries?v=1&grain=quarter&country=RUS,UKR&embed=true") for c in codes), codes


@pytest.mark.parametrize("page", PAGES)
def test_a_filter_that_matches_nothing_gives_an_empty_state(monkeypatch, fixture_db, page):
    at = run_page(monkeypatch, fixture_db, page, {"v": "1", "from": "2030-01-01", "topic": "energy"})
    assert not at.error
    if page in ("overview", "countries", "readership", "articles"):
        assert any("Nothing matches these filters" in i.value or "No countries" in i.value for i in at.info), \
            [i.value for i in at.info]
    if page == "topics":
        assert any("No topics tagged in this period" in i.value for i in at.info)


@pytest.mark.parametrize("page", ["overview", "countries", "about"])
def test_a_damaged_database_file_gives_one_clear_line(monkeypatch, tmp_path, page):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("this is not a database")
    at = run_page(monkeypatch, bad, page)
    assert len(at.error) == 1 and at.error[0].value.startswith("Cannot read the database at")
    assert not at.get("plotly_chart")


def test_article_list_sort_is_in_the_link(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "articles")
    at.button_group(key="ar_sort").set_value("views").run()
    assert at.query_params.get("sort") in ("views", ["views"])
    assert "31 articles match the filters, sorted by views" in texts(at)
    first = next(m.value for m in at.markdown if "Note" in m.value or "Pipelines" in m.value)
    assert "Pipelines" in first  # views = 100 * (i + 1): article 30 (3,100 views) leads
    at.button_group(key="ar_sort").set_value("growth").run()
    # Growth: even articles gained 50 views between snapshots, odd ones have a single snapshot.
    rows = [m.value for m in at.markdown if " on the war in Ukraine" in m.value or " on gas and energy" in m.value]
    assert rows and all("war in Ukraine" in r for r in rows[:15])


def test_first_start_without_a_database_builds_the_demo_corpus(monkeypatch, tmp_path):
    """The quick start: no database file yet, so the app builds the demo corpus, then shows the overview."""
    import duckdb

    db = tmp_path / "fresh" / "trends.duckdb"
    monkeypatch.setenv("TRENDS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert db.exists()
    assert not (tmp_path / "fresh" / "trends.duckdb.demo-build").exists()  # renamed into place when complete
    assert sorted(f.name for f in (tmp_path / "fresh").iterdir()) == ["trends.duckdb"]  # no build leftovers
    from trends.store import open_reader

    con = open_reader(db)
    synthetic, real = con.execute(
        "SELECT count(*) FILTER (WHERE synthetic), count(*) FILTER (WHERE NOT synthetic) FROM articles"
    ).fetchone()
    con.close()
    assert (synthetic, real) == (3000, 1)  # the 3,000 generated articles plus the real seed page
    at.run()  # the rerun the bootstrap asked for: now the overview renders on the new database
    assert not at.exception, [e.value for e in at.exception]
    assert any("Synthetic demo data" in w.value and "3,000 of the 3,001" in w.value for w in at.warning)
    assert at.get("plotly_chart")


def test_the_map_period_is_in_the_link(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "countries")
    slider = at.select_slider(key="ct_period")
    assert slider.value == "all"
    picked = slider.options[2]
    slider.set_value(picked).run()
    assert at.query_params.get("period") in (picked, [picked])
    # A pasted link with that period opens the map on the same frame.
    again = run_page(monkeypatch, fixture_db, "countries", params={"v": "1", "period": picked})
    assert again.select_slider(key="ct_period").value == picked
    assert any(picked in s.value for s in again.subheader)
    # A period the data does not have falls back to the whole range, without an error.
    odd = run_page(monkeypatch, fixture_db, "countries", params={"v": "1", "period": "1999-01-01"})
    assert odd.select_slider(key="ct_period").value == "all"


def test_a_page_past_the_end_shows_the_last_page_with_a_note(monkeypatch, fixture_db):
    # 31 articles, 25 a page: pages 1 and 2; page=50 (the 51st) is past the end.
    at = run_page(monkeypatch, fixture_db, "articles", {"v": "1", "page": "50", "sort": "views"})
    assert any("Page 51 is past the end; showing page 2, the last one." in i.value for i in at.info)
    rows = [m.value for m in at.markdown if "Note" in m.value]
    # Sorted by views (100 * (i + 1)), page 2 holds the six least read: i = 5 .. 0.
    assert len(rows) == 6 and "Note 0 on" in rows[-1] and "Note 5 on" in rows[0]


def test_unknown_and_out_of_range_parameters_are_named_and_dropped_from_the_link(monkeypatch, fixture_db):
    at = run_page(monkeypatch, fixture_db, "overview", {"v": "1", "utm_source": "mail", "from": "0001-01-01",
                                                        "drill_period": "9999-12-31"})
    notice = " ".join(i.value for i in at.info).replace("\\", "")
    assert "ignored unknown parameter 'utm_source'" in notice
    assert "from=0001-01-01 is outside 1800-01-01..2100-12-31; read as 1800-01-01" in notice
    assert "drill_period=9999-12-31 is outside" in notice
    assert "utm_source" not in at.query_params
    assert at.query_params.get("from") in ("1800-01-01", ["1800-01-01"])  # the link now says what is shown
    assert not at.error and at.get("plotly_chart")


def test_chart_pages_start_loading_plotly_before_their_first_chart(monkeypatch, fixture_db):
    """Every page that opens on a chart imports Streamlit's own Plotly module (a file this Streamlit
    ships) in an element sent before its first chart; the Articles page, which opens on a list, does not."""
    from trends.ui import preload

    name = preload.plotly_module()
    assert name and (Path(preload.st.__file__).parent / "static" / "static" / "js" / name).is_file()
    for page in PAGES:
        at = run_page(monkeypatch, fixture_db, page)
        early = [body for body in html_bodies(at) if "import(" in body]
        if page == "articles":
            assert early == []
            continue
        assert len(early) == 1 and f'"{name}"' in early[0], page
        kinds = [el.type for el in at.main if el.type in ("html", "plotly_chart")]
        assert kinds[0] == "html" and "plotly_chart" in kinds, (page, kinds)
