"""The Filter <-> URL query-parameter codec: exact round trips, readable links, bad values dropped with notices."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trends.filters import (GRAINS, PARAM_NAMES, SPANS, VIEW_PARAM_NAMES, Filter, ViewState, decode, decode_view, encode,
                            encode_view)

# Values a key may hold: letters (any script), digits, and the punctuation real names use.
_KEY_CHARS = st.characters(categories=("L", "N"), max_codepoint=0x2FFF) | st.sampled_from(list(" .&'()/+:-_,"))
keys = st.text(_KEY_CHARS, min_size=1, max_size=30).map(str.strip).filter(bool)
key_tuples = st.lists(keys, max_size=6, unique=True).map(tuple)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
# Free text as typed: anything but control characters (the codec replaces those, with a notice).
texts = st.text(st.characters(exclude_categories=("Cc",)), max_size=200).map(str.strip)


@st.composite
def filters(draw) -> Filter:
    first, second = draw(st.none() | dates), draw(st.none() | dates)
    if first and second and first > second:
        first, second = second, first
    return Filter(
        date_from=first,
        date_to=second,
        grain=draw(st.sampled_from(GRAINS)),
        sources=draw(key_tuples),
        authors=draw(key_tuples),
        topics=draw(key_tuples),
        themes=draw(key_tuples),
        countries=draw(key_tuples),
        people=draw(key_tuples),
        orgs=draw(key_tuples),
        text=draw(texts),
        min_views=draw(st.none() | st.integers(min_value=0, max_value=10**12)),
        synthetic=draw(st.booleans()),
        span=draw(st.none() | st.sampled_from(SPANS)),
    )


@settings(max_examples=300, deadline=None)
@given(filters())
def test_encode_then_decode_round_trips_exactly(flt):
    params = encode(flt)
    assert all(isinstance(v, str) for v in params.values())
    decoded, notices = decode(params)
    assert notices == []
    assert decoded == flt


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "from", "to", "grain", "source", "author", "topic", "theme", "country",
                                        "person", "org", "q", "min_views", "synthetic", "start", "end", "topics",
                                        "dim", "measure", "compare", "drill_key", "drill_period", "period", "article",
                                        "sort", "page", "junk"]),
                       st.text(max_size=60) | st.lists(st.text(max_size=20), max_size=3)))
def test_decode_never_raises_on_arbitrary_params(params):
    flt, notices = decode(params)
    assert isinstance(flt, Filter) and all(isinstance(n, str) and "\n" not in n for n in notices)
    view, view_notices = decode_view(params)
    assert isinstance(view, ViewState) and all(isinstance(n, str) for n in view_notices)
    # whatever survived decoding is itself a valid filter: it round-trips
    assert decode(encode(flt)) == (flt, [])


def test_readable_link_form():
    flt = Filter(date_from=dt.date(2023, 1, 1), date_to=dt.date(2023, 6, 30), topics=("ukraine-war",),
                 countries=("RUS", "CHN"))
    assert encode(flt) == {"v": "1", "from": "2023-01-01", "to": "2023-06-30", "topic": "ukraine-war", "country": "RUS,CHN"}
    assert encode(Filter()) == {"v": "1"}


def test_value_with_a_comma_survives():
    flt = Filter(sources=("Brookings Institution, The", "CFR"))
    assert encode(flt)["source"] == "Brookings Institution\\, The,CFR"
    assert decode(encode(flt)) == (flt, [])


def test_legacy_names_still_decode():
    flt, notices = decode({"start": "2023-01-01", "topics": "energy", "countries": "DEU,FRA", "minviews": "10"})
    assert notices == []
    assert flt == Filter(date_from=dt.date(2023, 1, 1), topics=("energy",), countries=("DEU", "FRA"), min_views=10)


@pytest.mark.parametrize(
    ("params", "expected", "notice"),
    [
        ({"v": "1", "from": "2023-13-45"}, Filter(), "from="),
        ({"v": "1", "from": "2023-05-01", "to": "2023-01-01"}, Filter(date_from=dt.date(2023, 5, 1)), "before"),
        ({"v": "1", "grain": "decade"}, Filter(), "grain="),
        ({"v": "1", "min_views": "-5"}, Filter(), "min_views="),
        ({"v": "1", "min_views": "\u00b2"}, Filter(), "min_views="),  # a unicode digit int() cannot read
        ({"v": "1", "min_views": "\u0663"}, Filter(), "min_views="),  # Arabic-Indic three
        ({"v": "1", "synthetic": "maybe"}, Filter(), "synthetic="),
        ({"v": "1", "topic": "energy,<script>"}, Filter(topics=("energy",)), "topic="),
        ({"v": "1", "country": "RUS,'; DROP TABLE articles; --"}, Filter(countries=("RUS",)), "country="),
        ({"v": "9"}, Filter(), "version"),
    ],
)
def test_bad_values_are_dropped_with_a_notice(params, expected, notice):
    flt, notices = decode(params)
    assert flt == expected
    assert len(notices) == 1 and notice in notices[0]


def test_span_network_edge_and_map_scale_round_trip_and_are_clamped():
    flt = Filter(span="densest")
    assert encode(flt) == {"v": "1", "span": "densest"} and decode(encode(flt)) == (flt, [])
    view = ViewState(drill_dimension="country", drill_key="DEU", drill_key_b="RUS", scale="quantile",
                     section="network")
    assert {k: encode_view(view)[k] for k in ("drill_key_b", "scale", "section")} == {
        "drill_key_b": "RUS", "scale": "quantile", "section": "network"}
    assert decode_view(encode_view(view)) == (view, [])
    from trends import links
    from urllib.parse import parse_qs, urlsplit
    url = links.page_url("countries", flt, view)
    raw = {k: v for k, v in parse_qs(urlsplit(url).query).items()}
    assert decode(raw)[0] == flt and decode_view(raw)[0] == view
    bad_flt, notices = decode({"v": "1", "span": "everything"})
    assert bad_flt == Filter() and notices == ["ignored span='everything': use one of all, core, densest"]
    bad_view, notices = decode_view({"scale": "sqrt", "drill_key_b": "<script>"})
    assert bad_view == ViewState() and len(notices) == 2
    assert "span" in PARAM_NAMES and {"drill_key_b", "scale"} <= VIEW_PARAM_NAMES


def test_view_state_round_trip_and_bad_values():
    view = ViewState(dimension="country", measure="share", compare=("RUS", "UKR"), drill_dimension="topic",
                     drill_key="ukraine-war", drill_period=dt.date(2023, 4, 1), period=dt.date(2023, 1, 1),
                     article=123, sort="date", page=2, section="age")
    assert encode_view(view)["section"] == "age"
    assert decode_view(encode_view(view)) == (view, [])
    decoded, notices = decode_view(
        {"dim": "planet", "article": "\u00b9", "page": "\u0662", "sort": "random", "period": "2023-13-01",
         "section": "<script>"}
    )
    assert decoded == ViewState() and len(notices) == 6


# --------------------------------------------------------------------------- clamping and hostile links

from trends.filters import MAX_DATE, MAX_PAGE, MAX_VIEWS, MIN_DATE, unknown_params, within  # noqa: E402


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0001-01-01", MIN_DATE), ("1799-12-31", MIN_DATE), ("0000-00-00", MIN_DATE), ("-2020-01-01", MIN_DATE),
        ("9999-12-31", MAX_DATE), ("2101-01-01", MAX_DATE), ("99999-01-01", MAX_DATE),
        ("1800-01-01", dt.date(1800, 1, 1)), ("2100-12-31", dt.date(2100, 12, 31)),
    ],
)
def test_dates_outside_1800_2100_are_clamped_with_a_notice(raw, expected):
    flt, notices = decode({"v": "1", "from": raw})
    assert flt.date_from == expected
    assert (notices == []) == (raw in ("1800-01-01", "2100-12-31"))
    view, view_notices = decode_view({"drill_period": raw, "period": raw})
    assert view.drill_period == view.period == expected


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"min_views": "9" * 30}, "min_views", MAX_VIEWS),
        ({"min_views": str(MAX_VIEWS)}, "min_views", MAX_VIEWS),
        ({"min_views": "-1"}, "min_views", None),
        ({"page": "9" * 30}, "page", MAX_PAGE),
        ({"page": "-3"}, "page", 0),
        ({"article": str(2**63 - 1)}, "article", 2**63 - 1),
        ({"article": str(2**63)}, "article", None),  # past the 63-bit id type
        ({"article": "-5"}, "article", None),
    ],
)
def test_numbers_are_kept_within_their_type(params, field, expected):
    flt, _ = decode({"v": "1", **params})
    view, _ = decode_view({"v": "1", **params})
    value = getattr(flt, field) if field == "min_views" else getattr(view, field)
    assert value == expected


def test_repeated_parameters_take_the_first_value_and_lists_join():
    flt, notices = decode({"v": ["1", "1"], "from": ["2024-01-01", "2025-01-01"], "topic": ["energy", "ukraine-war"]})
    assert notices == []
    assert flt.date_from == dt.date(2024, 1, 1) and flt.topics == ("energy", "ukraine-war")


def test_control_characters_in_the_text_are_replaced_with_a_notice():
    flt, notices = decode({"v": "1", "q": "gas\x00 and\x1b[31m oil\r\n"})
    assert flt.text == "gas  and [31m oil"
    assert notices == ["replaced control characters in q= with spaces"]


def test_unknown_parameters_are_reported_but_streamlits_own_are_not():
    assert unknown_params({"v": "1", "embed": "true", "embed_options": "dark_theme", "topic": "x"}) == []
    assert unknown_params({"v": "1", "utm_source": "mail"}) == ["ignored unknown parameter 'utm_source'"]
    notices = unknown_params({"v": "1", **{f"x{i}": "1" for i in range(9)}, "a\nb": "2"})
    assert len(notices) == 1 and "'x0'" in notices[0] and "…" in notices[0]
    assert unknown_params({"start": "2024-01-01", "topics": "x"}) == []  # pre-release names are known


def test_a_flood_of_bad_values_gives_a_short_list_of_notices():
    params = {"v": "1", **{name: "<bad>" for name in ("from", "to", "grain", "min_views", "synthetic")},
              "topic": ",".join(f"<{i}>" for i in range(100))}
    _, notices = decode(params)
    assert len(notices) == 9 and notices[-1].startswith("and ") and notices[-1].endswith(" more")


def test_bounds_beyond_the_data_are_opened_but_a_range_outside_it_is_kept():
    first, last = dt.date(2024, 1, 5), dt.date(2024, 7, 3)
    assert within(Filter(date_from=dt.date(1800, 1, 1), date_to=dt.date(2100, 12, 31)), first, last) == Filter()
    inside = Filter(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 3, 1))
    assert within(inside, first, last) == inside
    before = Filter(date_from=dt.date(1800, 1, 1), date_to=dt.date(1800, 1, 2))  # wholly before the data: empty
    assert within(before, first, last) == before
    after = Filter(date_from=dt.date(2030, 1, 1))
    assert within(after, first, last) == after
    assert within(Filter(date_from=dt.date(1990, 1, 1)), None, None) == Filter(date_from=dt.date(1990, 1, 1))
    flt, _ = decode({"v": "1", "from": "0001-01-01", "to": "2024-03-01"}, data_range=(first, last))
    assert flt == Filter(date_to=dt.date(2024, 3, 1))
