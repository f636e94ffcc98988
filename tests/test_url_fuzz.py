"""Every page survives every URL: random and hostile query parameters through AppTest (issue 11).

Over 500 parameter sets (hypothesis, on two small fixture databases: raw tables, and with the roll-ups
every real ingest builds) across all six pages: extreme and malformed dates, huge and negative numbers,
unicode and control characters, SQL / HTML / JS injection strings, repeated, unknown and very long
parameters. Each run must end without an exception and without an error on the page (the last-resort
handler's line counts as a failure here: it means something was not handled), and the database
folder must hold exactly the same bytes afterwards, with no file held open for writing.

(After its first run an AppTest runs the page file directly, outside app.py and so outside the
last-resort handler; see trends.ui.lifecycle.route_through_app. Either way a failure shows.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from fixtures_app import N_PLAIN, article_id, build_app_db, folder_state, open_for_writing

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["overview", "topics", "countries", "readership", "articles", "about"]
TITLES = {"overview": "Overview", "topics": "Topics & themes", "countries": "Countries",
          "readership": "Readership", "articles": "Articles", "about": "About the data"}
EXAMPLES_PER_PAGE = 43  # x 6 pages x 2 databases = 516 parameter sets

pytestmark = pytest.mark.slow

NAMES = ["v", "from", "to", "grain", "source", "author", "topic", "theme", "country", "person", "org", "q",
         "min_views", "synthetic", "dim", "measure", "compare", "drill_dim", "drill_key", "drill_period", "period",
         "article", "sort", "page", "section", "embed", "embed_options", "span", "drill_key_b", "scale",
         "start", "end", "topics", "countries", "sources", "organisations", "query", "minviews"]  # pre-release names
HOSTILE = [
    "' OR 1=1 --", "'; DROP TABLE articles; --", "Robert'); DROP TABLE tags;--", "1 UNION SELECT * FROM meta",
    "<script>window.__pwned=1</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "[x](javascript:alert(1))", "{{7*7}}", "${jndi:ldap://x/a}", "$(rm -rf /)", "../../../etc/passwd",
    "%00", "\x00", "\x1b[31mred\x1b[0m", "a\r\nSet-Cookie: x=1", "\u202egnp.exe", "\ufeff", "𝕏𝕪𝕫", "日本語",
    "\\", "\\,", ",,,", " , ", "null", "None", "NaN", "inf", "-inf", "1e309", "true", "[]", "{}",
]
EXTREME_DATES = [
    "0001-01-01", "0000-00-00", "9999-12-31", "99999-01-01", "-2020-01-01", "+2020-01-01", "2020-02-30",
    "2024-13-01", "1799-12-31", "1800-01-01", "2100-12-31", "2101-01-01", "2024-01-05T25:00", "20240105",
    "2024-W01", "1970-01-01", "2038-01-19", "2024-01-05", "2024-07-03", "2020-01-05",
]
VALID = ["1", "0", "day", "week", "month", "quarter", "year", "topic", "theme", "country", "source", "author",
         "person", "org", "count", "share", "views", "date", "growth", "relevance", "views-by", "distribution", "age",
         "trends", "together", "network", "coverage", "rejects", "all", "core", "densest", "log", "quantile",
         "linear", "share_active", "energy", "ukraine-war", "RUS", "UKR,RUS", "CHN", "DEU,USA,CHN", "Carnegie",
         "Brookings", "Author 1", "China", str(article_id(3)), str(article_id(N_PLAIN))]

numbers = st.one_of(st.integers(min_value=-10**40, max_value=10**40), st.sampled_from([2**63 - 1, 2**63, 2**64, -1]))
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)
hostile = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),  # any unicode, control characters included
    st.integers(min_value=300, max_value=20_000).map(lambda n: "A" * n),  # very long
    st.integers(min_value=50, max_value=2_000).map(lambda n: ",".join(f"k{i}" for i in range(n))),  # long lists
)
values = st.one_of(st.sampled_from(VALID), st.sampled_from(EXTREME_DATES), dates, numbers.map(str), hostile)
# What each known parameter is mostly given: values of its own type (the edges above all), sometimes anything.
typed_value = {
    **{name: st.one_of(st.sampled_from(EXTREME_DATES), dates, values)
       for name in ("from", "to", "drill_period", "period", "start", "end")},
    **{name: st.one_of(numbers.map(str), st.sampled_from(VALID), values) for name in ("article", "page", "min_views",
                                                                                       "minviews", "v")},
}
known_sets = st.fixed_dictionaries(
    {}, optional={name: st.one_of(typed_value.get(name, values), st.lists(values, min_size=2, max_size=4))
                  for name in NAMES})
unknown_sets = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=20)),  # unknown names too
    st.one_of(values, st.lists(values, min_size=2, max_size=4)),  # repeated parameters as lists
    max_size=8,
)
param_sets = st.one_of(known_sets, unknown_sets)


@pytest.fixture(scope="module", params=["raw", "rollups"])
def fuzz_db(request, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    return build_app_db(folder / "app.duckdb", rollups=request.param == "rollups")


def _check(at: AppTest, page: str, params: dict) -> None:
    at.query_params.clear()
    at.query_params.update(params)
    at.run()
    assert not at.exception, (params, [e.value for e in at.exception])
    assert not at.error, (params, [e.value for e in at.error])
    assert [t.value for t in at.title] == [TITLES[page]], params


@pytest.mark.parametrize("page", PAGES)
def test_random_and_hostile_links_never_break_a_page(monkeypatch, fuzz_db, page):
    monkeypatch.setenv("TRENDS_DB", str(fuzz_db))
    before = folder_state(fuzz_db.parent)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()

    @settings(max_examples=EXAMPLES_PER_PAGE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(param_sets)
    def one_link(params):
        _check(at, page, params)

    one_link()
    assert open_for_writing(fuzz_db.parent) == []
    assert folder_state(fuzz_db.parent) == before  # no byte changed, no file added or removed


KNOWN = [  # the links that broke pages before (issue 11), and their neighbours
    ("readership", {"v": "1", "from": "2020-01-05", "to": "2020-01-05"}),
    ("readership", {"v": "1", "from": "2024-01-06", "to": "2024-01-06"}),
    ("topics", {"v": "1", "from": "0001-01-01"}),
    ("topics", {"v": "1", "from": "0001-01-01", "grain": "day"}),
    ("countries", {"v": "1", "drill_period": "9999-12-31"}),
    ("countries", {"v": "1", "period": "0001-01-01", "drill_period": "0001-01-01", "drill_key": "RUS"}),
    ("overview", {"v": "1", "to": "0001-01-02", "grain": "week"}),
    ("overview", {"v": "1", "from": "9999-12-31"}),
    ("articles", {"v": "1", "page": "999999999999"}),
    ("articles", {"v": "1", "article": "9223372036854775808"}),
    ("articles", {"v": "1", "q": "'; DROP TABLE articles; --", "page": "-1"}),
    ("topics", {"v": "1", "dim": "theme", "compare": ",".join(["x"] * 500)}),
]


@pytest.mark.parametrize(("page", "params"), KNOWN)
def test_links_that_used_to_break_a_page(monkeypatch, fuzz_db, page, params):
    monkeypatch.setenv("TRENDS_DB", str(fuzz_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    _check(at, page, params)
