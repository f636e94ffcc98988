"""Chart builders on hand-made frames: figure kind, traces, and the ids each point carries for drill-down."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from trends import charts, links
from trends.ui.text import escape_md, highlight_html
from trends.filters import Filter, ViewState, decode, decode_view


def _volume() -> pd.DataFrame:
    periods = pd.to_datetime(["2024-01-01", "2024-02-01"] * 2)
    return pd.DataFrame({
        "period": periods,
        "key": ["energy", "energy", "ukraine-war", "ukraine-war"],
        "label": ["Energy", "Energy", "Ukraine war", "Ukraine war"],
        "articles": [2, 3, 5, 1],
        "total": [7, 4, 7, 4],
        "share": [2 / 7, 3 / 4, 5 / 7, 1 / 4],
    })


def test_volume_lines_one_trace_per_key_with_key_and_period_ids():
    fig = charts.volume_lines(_volume())
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["Energy", "Ukraine war"]
    assert [list(c) for c in fig.data[1].customdata] == [["ukraine-war", "2024-01-01"], ["ukraine-war", "2024-02-01"]]
    assert list(fig.data[0].y) == [2, 3]


def test_volume_lines_share_uses_share_column_and_percent_axis():
    fig = charts.volume_lines(_volume(), measure="share")
    assert list(fig.data[0].y) == [2 / 7, 3 / 4]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_rising_falling_colours_by_sign_and_carries_keys():
    df = pd.DataFrame({"key": ["a", "b"], "label": ["A", "B"], "current": [9, 1], "previous": [3, 6],
                       "change": [6, -5], "pct_change": [2.0, -0.83], "zscore": [1, -1], "direction": ["rising", "falling"]})
    fig = charts.rising_falling_bars(df)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.y) == ["B", "A"]  # sorted by change, most negative first (bottom)
    assert list(bar.marker.color) == ["#d73027", "#1a9850"]
    assert [list(c) for c in bar.customdata] == [["b", ""], ["a", ""]]


def test_ranked_bars_for_articles_carry_article_ids():
    df = pd.DataFrame({"article_id": [11, 22], "title": ["Low", "High"], "views": [5, 50]})
    fig = charts.ranked_bars(df, "views", label="title", key="article_id")
    assert list(fig.data[0].y) == ["Low", "High"]
    assert [list(c) for c in fig.data[0].customdata] == [["11"], ["22"]]


def test_world_map_is_a_choropleth_by_iso3_with_ids():
    df = pd.DataFrame({"period": pd.to_datetime(["2024-03-01", "2024-03-01"]), "key": ["RUS", "UKR"],
                       "label": ["Russia", "Ukraine"], "articles": [4, 7], "share": [0.4, 0.7]})
    fig = charts.world_map(df, scale="linear")
    trace = fig.data[0]
    assert trace.type == "choropleth" and trace.locationmode == "ISO-3"
    assert list(trace.locations) == ["RUS", "UKR"] and list(trace.z) == [4, 7]
    assert [list(c) for c in trace.customdata] == [["RUS", "2024-03-01"], ["UKR", "2024-03-01"]]


def test_co_mention_matrix_is_symmetric_and_pairs_carry_both_keys():
    df = pd.DataFrame({"a": ["RUS", "CHN"], "b": ["UKR", "RUS"], "label_a": ["Russia", "China"],
                       "label_b": ["Ukraine", "Russia"], "together": [9, 2], "count_a": [10, 3], "count_b": [12, 10],
                       "lift": [1.5, 0.8], "pmi": [0.4, -0.2]})
    heat = charts.co_mention_matrix(df).data[0]
    assert heat.type == "heatmap"
    assert list(heat.x) == ["China", "Russia", "Ukraine"]
    z = [list(r) for r in heat.z]
    assert z[1][2] == z[2][1] == 9 and z[0][1] == z[1][0] == 2 and z[0][2] == 0
    pairs = charts.co_mention_pairs(df).data[0]
    assert [list(c) for c in pairs.customdata] == [["CHN", "RUS"], ["RUS", "UKR"]]


def test_views_over_time_has_bars_and_a_second_axis_line():
    df = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"]), "articles": [3, 4],
                       "views_sum": [300, 800], "views_median": [100, 200]})
    fig = charts.views_over_time(df)
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert fig.data[1].yaxis == "y2"
    assert [list(c) for c in fig.data[0].customdata] == [["", "2024-01-01"], ["", "2024-02-01"]]


def test_selection_ids_reads_streamlit_events():
    event = {"selection": {"points": [{"customdata": ["energy", "2024-01-01"]}, {"customdata": 7}, {"x": 1}]}}
    assert charts.selection_ids(event) == [["energy", "2024-01-01"], ["7"]]
    assert charts.selection_ids({"selection": {"points": []}}) == []
    assert charts.selection_ids(None) == []


def test_empty_figure_has_no_traces():
    assert len(charts.empty_figure().data) == 0


def test_highlight_escapes_text_and_wraps_spans():
    text = "A <b>Ukraine</b> note"
    tags = pd.DataFrame({"kind": ["country"], "label": ["Ukraine"], "spans": [[[5, 12]]]})
    out = highlight_html(text, tags)
    assert out == ('A &lt;b&gt;<mark class="tag tag-country" title="country: Ukraine" '
                   'style="background:#bfdbfe;padding:0 2px;border-radius:3px">Ukraine</mark>&lt;/b&gt; note')


def test_escape_md_neutralises_markup():
    assert escape_md("[x](javascript:alert(1)) *b* <i>") == r"\[x\]\(javascript\:alert\(1\)\) \*b\* \<i\>"


def test_links_round_trip_through_the_codec():
    flt = Filter(date_from=dt.date(2024, 1, 1), grain="week", topics=("energy", "a,b"), countries=("RUS",))
    view = ViewState(drill_dimension="topic", drill_key="energy", drill_period=dt.date(2024, 1, 1), article=5)
    url = links.page_url("topics", flt, view, base="http://127.0.0.1:9000")
    assert url.startswith("http://127.0.0.1:9000/topics?v=1&from=2024-01-01&grain=week&topic=energy,a%5C,b")
    from urllib.parse import parse_qs, urlsplit
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert decode(params) == (flt, [])
    assert decode_view(params) == (view, [])
    assert links.page_url("overview", Filter()) == "http://localhost:8501/?v=1"
    assert links.base_url("http://host:1/sub/countries") == "http://host:1/sub"


def test_every_clickable_line_caps_its_drawn_markers_but_keeps_them_selectable():
    from trends.charts.base import MAX_MARKERS

    volume = _volume()
    views = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"]), "articles": [3, 4],
                          "views_sum": [float("nan")] * 2})
    figures = [charts.volume_lines(volume)] + [charts.attention_area(volume, layout=layout)
                                               for layout in ("stack", "lines", "multiples")]
    lines = [t for fig in figures for t in fig.data] + list(charts.views_over_time(views).data)
    assert len(lines) == 2 + 2 + 2 + 2 + 1
    for trace in lines:
        trace = trace if isinstance(trace, dict) else trace.to_plotly_json()
        assert "markers" in trace["mode"]  # Plotly selects only traces that have markers
        assert trace["marker"]["maxdisplayed"] == MAX_MARKERS


def test_code_span_is_literal_whatever_the_text_holds():
    from trends.ui.text import code_span

    assert code_span("/data/archive") == "`/data/archive`"
    assert code_span("a`b") == "``a`b``"  # one backtick more than the longest run inside
    assert code_span("``x") == "``` ``x ```"  # padded: a span may not start with its fence character
    assert code_span("a\nb") == "`a b`"
