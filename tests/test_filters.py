"""The Filter <-> URL query-parameter codec: exact round trips, readable links, bad values dropped with notices."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trends.filters import GRAINS, Filter, ViewState, decode, decode_view, encode, encode_view

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
