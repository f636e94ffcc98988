"""Chart builders for patchy archives: gaps, the stack rule, readable map scales, the coverage strip,
view-less readership and the clickable co-mention network (hand-made frames)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trends import charts

NAN = float("nan")


def _series(values: dict[str, list[float]], start: str = "2024-01-01") -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(next(iter(values.values()))), freq="MS")
    rows = []
    for key, ys in values.items():
        for period, y in zip(periods, ys):
            rows.append({"period": period, "key": key, "label": key.title(), "articles": y, "total": NAN, "share": NAN})
    return pd.DataFrame(rows)


def test_a_gap_is_drawn_as_a_gap():
    fig = charts.volume_lines(_series({"energy": [2, NAN, 3]}))
    trace = fig.data[0]
    assert math.isnan(trace.y[1]) and trace.connectgaps is False
    assert fig.layout.yaxis.rangemode == "tozero"


def test_share_active_plots_its_own_column():
    df = _series({"energy": [1, 2]}).assign(share_active=[0.3, 0.4])
    fig = charts.volume_lines(df, "share_active")
    assert list(fig.data[0].y) == [0.3, 0.4] and fig.layout.yaxis.tickformat == ".0%"
    assert "source mix" in fig.layout.yaxis.title.text


@pytest.mark.parametrize("values, layout", [
    ({"a": [10, 10], "b": [2, 2]}, "stack"),          # 2 / 10 = 0.2: the thinnest layer is a fifth
    ({"a": [10, 10], "b": [1, 1]}, "lines"),          # 0.1
    ({"a": [100, 100], "b": [4, 6]}, "lines"),        # 5 / 100 = 0.05 is still lines ...
    ({"a": [100, 100], "b": [4, 5]}, "multiples"),    # ... 4.5 / 100 is not
    ({"a": [10, NAN], "b": [2, NAN]}, "stack"),       # means over the periods with data
])
def test_the_stack_rule(values, layout):
    df = _series(values)
    assert charts.attention_layout(df) == layout
    fig = charts.attention_area(df)
    assert fig.layout.meta["layout"] == layout


def test_stack_small_multiples_and_lines_keep_the_drill_ids():
    df = _series({"a": [100, 120, 110], "b": [1, 2, 1]})
    fig = charts.attention_area(df)  # 1.3 / 110: small multiples
    assert fig.layout.meta["layout"] == "multiples"
    assert [t.yaxis for t in fig.data] == ["y", "y2"]  # one panel (own y axis) per series
    assert [list(c) for c in fig.data[1].customdata] == [["b", "2024-01-01"], ["b", "2024-02-01"], ["b", "2024-03-01"]]
    lines = charts.attention_area(df, layout="lines")
    assert all(t.stackgroup is None for t in lines.data)
    with pytest.raises(ValueError):
        charts.attention_area(df, layout="pie")


def test_a_gap_splits_a_stack_instead_of_drawing_it_to_zero():
    df = _series({"a": [5, NAN, 6, 7], "b": [4, NAN, 4, 5]})
    fig = charts.attention_area(df)
    assert fig.layout.meta["layout"] == "stack"
    # two pieces per key (Jan; Mar-Apr), each its own stack group, one legend entry per key
    assert [(t.name, t.stackgroup, len(t.x)) for t in fig.data] == [
        ("A", "attention-0", 1), ("A", "attention-1", 2), ("B", "attention-0", 1), ("B", "attention-1", 2)]
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert [list(c) for c in fig.data[1].customdata] == [["a", "2024-03-01"], ["a", "2024-04-01"]]


def _map(values):
    keys = ["USA", "GBR", "FRA", "DEU"][: len(values)]
    return pd.DataFrame({"period": pd.Timestamp("2024-03-01"), "key": keys, "label": keys, "articles": values,
                         "share": [v / 1000 for v in values]})


def test_map_log_scale_with_legend_in_real_counts():
    fig = charts.world_map(_map([1000, 10, 1, 0]))
    trace = fig.data[0]
    assert list(trace.z) == pytest.approx([math.log10(1001), math.log10(11), math.log10(2), 0.0])
    # ticks at 0 and 1-2-5 steps up to 1000 (every third one, at most six), labelled with real counts
    assert list(trace.colorbar.ticktext) == ["0", "1", "10", "100", "1,000"]
    for label, value in zip(trace.colorbar.ticktext, trace.colorbar.tickvals):
        assert value == pytest.approx(math.log10(1 + float(label.replace(",", ""))))
    assert trace.text[0] == "USA: 1,000 articles" and fig.layout.meta["scale"] == "log"
    assert [list(c) for c in trace.customdata][0] == ["USA", "2024-03-01"]


def test_map_quantile_and_share_scales():
    q = charts.world_map(_map([1000, 10, 1, 0]), scale="quantile").data[0]
    assert list(q.z) == pytest.approx([1.0, 0.75, 0.5, 0.0])  # ranks; zero at the bottom
    assert q.colorbar.ticktext[-1] == "1,000 (p100)" and q.colorbar.ticktext[0] == "0 (p0)"
    share = charts.world_map(_map([1000, 10, 1, 0]), value="share").data[0]
    # one step is the smallest positive share (0.1%): log10(1 + 1.0 / 0.001)
    assert share.z[0] == pytest.approx(math.log10(1001)) and share.text[0] == "USA: 100.0%"
    with pytest.raises(ValueError):
        charts.world_map(_map([1]), scale="cubic")


def test_map_leaves_periods_without_coverage_out():
    df = _map([3, 2]).assign(articles=[3, NAN])
    trace = charts.world_map(df).data[0]
    assert list(trace.locations) == ["USA"]


def _coverage():
    periods = pd.date_range("2024-01-01", periods=3, freq="MS")
    return pd.DataFrame({"period": list(periods) * 2, "source": ["Old"] * 3 + ["New"] * 3,
                         "articles": [4, 0, 0, 0, 0, 9]})


def test_coverage_chart_leaves_empty_cells_blank():
    heat = charts.coverage_chart(_coverage()).data[0]
    assert heat.type == "heatmap" and list(heat.y) == ["Old", "New"]
    z = np.array(heat.z, dtype="float64")
    assert z[0, 0] == pytest.approx(math.log10(5)) and np.isnan(z[0, 1]) and np.isnan(z[1, 0])
    assert heat.text[1][2] == "New, 2024-03-01: 9 articles"


def test_coverage_strip_sits_under_a_chart_on_its_x_axis():
    chart = charts.volume_lines(_series({"a": [1, NAN, 2]}))
    out = charts.with_coverage_strip(chart, _coverage())
    assert out.data[0].customdata is not None and out.data[0].type == "scatter"  # the chart is untouched
    strip = out.data[-1]
    assert strip.type == "heatmap" and strip.xaxis == "x" and strip.yaxis == "y2"
    assert out.layout.yaxis2.domain[0] == 0 and out.layout.yaxis2.domain[1] < out.layout.yaxis.domain[0]
    assert out.layout.height == 380 + 2 * charts.coverage.STRIP_ROW_PX + 24 + charts.coverage.STRIP_GAP_PX
    # Between the chart's plot area and the strip: at least 40 px (two-line date tick labels), in pixels of
    # the plot area (the figure's height less its top and bottom margins).
    plot_px = out.layout.height - out.layout.margin.t - out.layout.margin.b
    assert (out.layout.yaxis.domain[0] - out.layout.yaxis2.domain[1]) * plot_px >= 40
    assert len(chart.data) == 1  # the input figure is not changed
    # a chart with a second y axis overlaid (views over time) keeps it, and the strip goes below both
    views = pd.DataFrame({"period": pd.date_range("2024-01-01", periods=3, freq="MS"), "articles": [3, NAN, 1],
                          "viewed": [3, NAN, 1], "views_sum": [30, NAN, 5], "views_median": [10, NAN, 5]})
    both = charts.with_coverage_strip(charts.views_over_time(views), _coverage())
    assert both.data[-1].yaxis == "y3" and both.layout.yaxis2.overlaying == "y"


def test_views_over_time_without_views_has_no_views_axis():
    df = pd.DataFrame({"period": pd.date_range("2024-01-01", periods=3, freq="MS"), "articles": [3.0, NAN, 0.0],
                       "viewed": [0.0, NAN, 0.0], "views_sum": [NAN] * 3, "views_median": [NAN] * 3})
    fig = charts.views_over_time(df)
    assert [t.type for t in fig.data] == ["scatter"] and fig.data[0].yaxis in (None, "y")
    assert fig.layout.yaxis.title.text == "articles" and fig.layout.yaxis.rangemode == "tozero"
    assert "yaxis2" not in fig.layout.to_plotly_json()


def _network():
    nodes = pd.DataFrame({"key": ["RUS", "UKR", "CHN"], "label": ["Russia", "Ukraine", "China"], "articles": [6, 5, 5]})
    edges = pd.DataFrame({"a": ["RUS", "CHN"], "b": ["UKR", "RUS"], "label_a": ["Russia", "China"],
                          "label_b": ["Ukraine", "Russia"], "together": [4, 2], "lift": [1.6, 0.8],
                          "pmi": [math.log2(1.6), math.log2(0.8)]})
    return {"nodes": nodes, "edges": edges}


def test_network_nodes_and_edge_midpoints_carry_their_ids():
    fig = charts.co_mention_network(_network())
    nodes, mids = fig.data[-1], fig.data[-2]
    assert [list(c)[:2] for c in nodes.customdata] == [["node", "RUS"], ["node", "UKR"], ["node", "CHN"]]
    assert [list(c) for c in mids.customdata] == [["pair", "RUS", "UKR"], ["pair", "CHN", "RUS"]]
    pos = {k: (x, y) for k, x, y in zip(["RUS", "UKR", "CHN"], nodes.x, nodes.y)}
    assert mids.x[0] == pytest.approx((pos["RUS"][0] + pos["UKR"][0]) / 2)
    assert mids.y[1] == pytest.approx((pos["CHN"][1] + pos["RUS"][1]) / 2)
    # area proportional to articles: the largest node 46 px across, 5 articles -> 46 * sqrt(5 / 6)
    assert list(nodes.marker.size) == pytest.approx([46, 46 * math.sqrt(5 / 6), 46 * math.sqrt(5 / 6)])
    # the stronger edge (lift 1.6, top fifth) is drawn wider than the weaker (0.8, in the third fifth)
    lines = {(t.x[0], t.x[1]): t.line.width for t in fig.data if t.mode == "lines"}
    assert lines == {(pos["RUS"][0], pos["UKR"][0]): 7.0, (pos["CHN"][0], pos["RUS"][0]): 3.5}


def test_network_layout_is_deterministic():
    a, b = charts.co_mention_network(_network()), charts.co_mention_network(_network())
    assert list(a.data[-1].x) == list(b.data[-1].x) and list(a.data[-1].y) == list(b.data[-1].y)
    assert charts.network_layout(_network()["nodes"].head(1), _network()["edges"].head(0)) == {"RUS": (0.0, 0.0)}


def test_network_pick_reads_nodes_and_pairs():
    assert charts.network_pick(["node", "RUS", "6"]) == {"node": "RUS"}
    assert charts.network_pick(["pair", "CHN", "RUS"]) == {"pair": ("CHN", "RUS")}
    assert charts.network_pick(["RUS", "2024-01-01"]) is None and charts.network_pick([]) is None
    empty = charts.co_mention_network({"nodes": _network()["nodes"].head(0), "edges": _network()["edges"].head(0)})
    assert len(empty.data) == 0


def test_driver_terms_bars_carry_the_term():
    terms = pd.DataFrame({"term": ["pipeline", "route"], "focus": [12, 4], "comparison": [0, 0],
                          "log_odds": [1.2, 0.6], "zscore": [3.1, 1.7]})
    bar = charts.driver_terms(terms).data[0]
    assert list(bar.y) == ["route", "pipeline"]  # strongest on top
    assert [list(c)[:2] for c in bar.customdata] == [["route", ""], ["pipeline", ""]]


def test_ranked_bars_of_counts_never_show_a_negative_axis():
    df = pd.DataFrame({"key": ["a", "b"], "label": ["A", "B"], "views_sum": [NAN, NAN], "articles": [3, 1]})
    assert charts.ranked_bars(df, "views_sum").layout.xaxis.rangemode == "tozero"
