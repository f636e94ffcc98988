"""Which keys appear together: the co-mention matrix, the strongest pairs, and the network view."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from trends.charts.base import PALETTE, empty_figure, hover_label, style

def co_mention_matrix(df: pd.DataFrame, value: str = "together", title: str | None = None) -> go.Figure:
    """Symmetric heatmap of pair counts. Not selectable in Streamlit: pair it with `co_mention_pairs`."""
    labels = sorted(set(df["label_a"]) | set(df["label_b"]))
    matrix = pd.DataFrame(0.0, index=labels, columns=labels)
    for row in df.itertuples(index=False):
        matrix.loc[row.label_a, row.label_b] = getattr(row, value)
        matrix.loc[row.label_b, row.label_a] = getattr(row, value)
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=labels, y=labels, colorscale="Blues",
                               hovertemplate="%{y} + %{x}: %{z}<extra></extra>"))
    fig.update_layout(yaxis=dict(autorange="reversed"))
    return style(fig, title, height=max(360, 18 * len(labels) + 120))


def co_mention_pairs(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Bars of the strongest pairs (the selectable view of the matrix). Bars carry [a, b]."""
    data = df.sort_values("together", ascending=True).tail(25)
    fig = go.Figure(
        go.Bar(
            x=data["together"],
            y=data["label_a"] + " + " + data["label_b"],
            orientation="h",
            marker_color=PALETTE[4],
            customdata=data[["a", "b"]].to_numpy(),
            text=[f"lift {v:.1f}" for v in data["lift"]],
            hovertemplate="%{y}: %{x} articles (%{text})<extra></extra>",
        )
    )
    fig.update_xaxes(title="articles mentioning both")
    return style(fig, title, height=max(240, 24 * len(data) + 80))


NETWORK_SEED = 7  # the layout is a seeded spring layout: the same network always draws the same way
_EDGE_WIDTHS = (1.0, 2.0, 3.5, 5.0, 7.0)  # lift quantile bins, thinnest first


def network_layout(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Key -> (x, y), the same for the same data.

    Keys with an edge: networkx's Fruchterman-Reingold spring layout with a fixed seed, edges weighted
    by log(1 + lift) so keys that go together more than by chance sit closer (nodes and edges added in
    sorted order). Keys without an edge: evenly on a ring just outside that layout, largest first
    (left in the spring layout they would drift to its edge and squeeze the connected keys together).
    """
    graph = nx.Graph()
    for a, b, lift in sorted(edges[["a", "b", "lift"]].itertuples(index=False, name=None)):
        graph.add_edge(a, b, weight=math.log1p(max(float(lift), 0.0)))
    positions: dict[str, tuple[float, float]] = {}
    if graph.number_of_nodes():
        graph = nx.relabel_nodes(graph, {n: n for n in sorted(graph.nodes)})
        spring = nx.spring_layout(graph, seed=NETWORK_SEED, weight="weight",
                                  k=1.5 / math.sqrt(graph.number_of_nodes()), iterations=200)
        positions = {key: (float(x), float(y)) for key, (x, y) in spring.items()}
    alone = [k for k in nodes.sort_values(["articles", "key"], ascending=[False, True])["key"] if k not in positions]
    if alone:
        radius = 1.25 * max((math.hypot(x, y) for x, y in positions.values()), default=0.0) or 1.0
        if not positions and len(alone) == 1:
            return {alone[0]: (0.0, 0.0)}
        for i, key in enumerate(alone):
            angle = math.pi / 2 - 2 * math.pi * i / len(alone)
            positions[key] = (radius * math.cos(angle), radius * math.sin(angle))
    return positions


def co_mention_network(network: dict, title: str | None = None) -> go.Figure:
    """The `trends.queries.co_mention_network` answer as a clickable network.

    Nodes are sized by articles (area proportional) and carry ``["node", key]``; edges are drawn as
    lines whose width grows with lift (five quantile steps), and because Plotly cannot select a line,
    each edge has a marker at its midpoint carrying ``["pair", a, b]``. `network_pick` reads a click.
    """
    nodes, edges = network["nodes"], network["edges"]
    if nodes.empty:
        return empty_figure("No keys to draw for this filter")
    pos = network_layout(nodes, edges)
    fig = go.Figure()
    if len(edges):
        bins = _lift_bins(edges["lift"])
        for width_index, part in edges.assign(bin=bins).groupby("bin", sort=True):
            xs, ys = [], []
            for a, b in part[["a", "b"]].itertuples(index=False, name=None):
                xs += [pos[a][0], pos[b][0], None]
                ys += [pos[a][1], pos[b][1], None]
            fig.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                            line=dict(width=_EDGE_WIDTHS[int(width_index)], color="rgba(120,120,120,0.45)"))
        mid_x = [(pos[a][0] + pos[b][0]) / 2 for a, b in zip(edges["a"], edges["b"])]
        mid_y = [(pos[a][1] + pos[b][1]) / 2 for a, b in zip(edges["a"], edges["b"])]
        fig.add_scatter(
            x=mid_x, y=mid_y, mode="markers", name="pairs", showlegend=False,
            marker=dict(size=9, color="rgba(120,120,120,0.35)", line=dict(width=1, color="rgba(80,80,80,0.6)")),
            customdata=np.column_stack([np.full(len(edges), "pair"), edges["a"], edges["b"]]),
            text=[f"{hover_label(x)} + {hover_label(y)}: {t:,} articles together, lift {lift:.2f}"
                  for x, y, t, lift in zip(edges["label_a"], edges["label_b"], edges["together"], edges["lift"])],
            hovertemplate="%{text}<extra></extra>",
        )
    sizes = _node_sizes(nodes["articles"])
    fig.add_scatter(
        x=[pos[k][0] for k in nodes["key"]], y=[pos[k][1] for k in nodes["key"]], mode="markers+text",
        name="keys", showlegend=False, text=nodes["label"].astype(str), textposition="top center",
        marker=dict(size=sizes, color=PALETTE[0], line=dict(width=1, color="white"), opacity=0.9),
        customdata=np.column_stack([np.full(len(nodes), "node"), nodes["key"], nodes["articles"]]),
        hovertemplate="%{text}: %{customdata[2]:,} articles<extra></extra>",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return style(fig, title, height=560)


def _lift_bins(lift: pd.Series) -> np.ndarray:
    """0..4: which fifth of the edges' lifts each edge falls in (all 2 when every lift is the same)."""
    values = lift.astype("float64").to_numpy()
    if len(values) == 0 or np.nanmax(values) == np.nanmin(values):
        return np.full(len(values), 2)
    ranks = pd.Series(values).rank(method="average", pct=True).to_numpy()
    return np.minimum((ranks * len(_EDGE_WIDTHS)).astype(int), len(_EDGE_WIDTHS) - 1)


def _node_sizes(articles: pd.Series, smallest: float = 10.0, largest: float = 46.0) -> list[float]:
    """Marker diameters with area proportional to articles (the largest node gets ``largest``)."""
    values = articles.astype("float64").clip(lower=0).to_numpy()
    top = values.max() if len(values) else 0.0
    if top <= 0:
        return [smallest] * len(values)
    return [max(smallest, largest * math.sqrt(v / top)) for v in values]


def network_pick(ids: list[str]) -> dict | None:
    """What a click on `co_mention_network` chose: ``{"node": key}`` or ``{"pair": (a, b)}``; None
    for anything else (a click on empty space or another chart's point)."""
    if len(ids) >= 2 and ids[0] == "node" and ids[1]:
        return {"node": ids[1]}
    if len(ids) >= 3 and ids[0] == "pair" and ids[1] and ids[2]:
        return {"pair": (ids[1], ids[2])}
    return None
