"""Time series, rankings and readership charts: a DataFrame from trends.queries in, a Figure out.

Series points carry ``[key, period]`` (period as an ISO date string, "" when the chart has no time
axis); charts of single articles carry ``[article_id]``. Periods where the archive has no article at
all arrive as NaN and are drawn as gaps, never as zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trends.charts.base import PALETTE, hover_label as _hover_label, iso as _iso, line_marker, style as _style


def _series_traces(df: pd.DataFrame, y: str, hover: str, **trace: Any) -> list[go.Scatter]:
    """One Scatter per label (in label order), colours cycling through the palette; points carry [key, period].

    Built on graph_objects rather than plotly.express: express re-shapes the frame on every call, which
    cost the server about 80 ms per chart. NaN values (coverage gaps) break the line (connectgaps off).
    """
    data = df.assign(period_iso=_iso(df["period"])).sort_values(["label", "period"])
    trace["marker"] = line_marker(**trace.get("marker", {}))
    traces = []
    for i, (label, part) in enumerate(data.groupby("label", sort=True)):
        traces.append(go.Scatter(
            x=part["period"], y=part[y], name=str(label), legendgroup=str(label),
            customdata=part[["key", "period_iso"]].to_numpy(),
            line=dict(color=PALETTE[i % len(PALETTE)]), connectgaps=False,
            hovertemplate=f"{_hover_label(label)}<br>%{{x|%Y-%m-%d}}: {hover}<extra></extra>",
            **trace,
        ))
    return traces


_MEASURE_AXIS = {  # measure -> (column, hover, axis title, tick format)
    "count": ("articles", "%{y:,} articles", "articles", None),
    "share": ("share", "%{y:.1%} of articles", "share of articles", ".0%"),
    "share_active": ("share_active", "%{y:.1%} (adjusted for the source mix)", "share, adjusted for source mix", ".0%"),
}


def volume_lines(df: pd.DataFrame, measure: str = "count", title: str | None = None) -> go.Figure:
    """Articles (or share of all articles, or the mix-adjusted share) per period, one line per key.

    Points carry [key, period]; the y axis starts at zero.
    """
    y, hover, axis, ticks = _MEASURE_AXIS.get(measure, _MEASURE_AXIS["count"])
    fig = go.Figure(_series_traces(df, y, hover, mode="lines+markers"))
    fig.update_yaxes(title=axis, tickformat=ticks, rangemode="tozero")
    return _style(fig, title)


# The stack rule (see `attention_layout`): a stack only while its thinnest layer stays readable.
STACK_MIN_RATIO = 0.2  # smallest series' mean at least a fifth of the largest's: a stack
LINES_MIN_RATIO = 0.05  # at least a twentieth: lines on one axis; below that: small multiples
ATTENTION_LAYOUTS = ("stack", "lines", "multiples")


def attention_layout(df: pd.DataFrame, y: str = "articles") -> str:
    """How to draw several series so that every one is visible: "stack", "lines" or "multiples".

    With r = (mean of the smallest series) / (mean of the largest), means over the periods with data:
    r >= `STACK_MIN_RATIO` stacks them (layers of comparable size read as parts of a whole);
    r >= `LINES_MIN_RATIO` draws lines on one axis (each line at least a twentieth of the axis, so
    none is flattened onto the floor); smaller r gives small multiples, one panel per series with its
    own y axis, because on a shared axis the small series would be a flat line at zero.
    """
    means = df.groupby("key")[y].mean().dropna()
    if len(means) < 2 or means.max() <= 0:
        return "stack"
    ratio = float(means.min() / means.max())
    if ratio >= STACK_MIN_RATIO:
        return "stack"
    return "lines" if ratio >= LINES_MIN_RATIO else "multiples"


def attention_area(df: pd.DataFrame, title: str | None = None, layout: str | None = None) -> go.Figure:
    """The top keys over time (the overview's "attention" chart), stacked, as lines or as small
    multiples by `attention_layout` (or ``layout``). Points carry [key, period]; a gap in the archive
    splits a stack into separate pieces rather than drawing it down to zero."""
    layout = layout or attention_layout(df)
    if layout not in ATTENTION_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; use one of {', '.join(ATTENTION_LAYOUTS)}")
    if layout == "lines":
        fig = volume_lines(df, "count")
    elif layout == "multiples":
        fig = _small_multiples(df, "articles", "%{y:,} articles")
    else:
        fig = go.Figure(_stacked_traces(df), _validate=False)  # our own literal traces (tests cover them)
        fig.update_yaxes(title="articles", rangemode="tozero")
    fig.update_layout(meta={"layout": layout})
    return _style(fig, title, height=fig.layout.height or 380)


def _stacked_traces(df: pd.DataFrame) -> list[dict]:
    """Stacked areas, one stack group per run of periods with data (NaN rows break the stack).

    Plotly stacks a missing value as zero (and a fill bridges it), so a gap needs a stack group of its
    own. The pieces are plain trace dicts built straight from the frame, for a figure made without
    Plotly's per-property validation (`attention_area`): on a patchwork archive 8 topics break into
    about 50 pieces, and validating each (after first building the unbroken series to cut them from)
    cost the first chart about half a second of server time.
    """
    periods = pd.Series(sorted(df["period"].unique()))
    covered = df["articles"].notna().groupby(df["period"]).any().reindex(periods).fillna(False)  # vectorised: 400 periods in ms
    run_of = dict(zip(periods, (~covered).cumsum()))  # periods of one run of covered periods share a number
    data = df[df["articles"].notna()]
    data = data.assign(period_iso=_iso(data["period"]), run=data["period"].map(run_of)).sort_values(["label", "period"])
    pieces: dict[tuple[str, int], dict] = {}  # (label, run) -> trace, in label then period order
    for label, key, period, iso, count, group in zip(data["label"].astype(str).tolist(), data["key"].astype(str).tolist(),
                                                      data["period"].tolist(), data["period_iso"].tolist(),
                                                      data["articles"].tolist(), data["run"].tolist()):
        piece = pieces.get((label, group))
        if piece is None:
            piece = pieces[(label, group)] = dict(type="scatter", x=[], y=[], customdata=[], stackgroup=f"attention-{group}",
                                                  name=label, legendgroup=label)
        piece["x"].append(period)
        piece["y"].append(count)
        piece["customdata"].append([key, iso])
    labels = list(dict.fromkeys(label for label, _ in pieces))
    traces = []
    for (label, _), piece in pieces.items():
        i = labels.index(label)
        traces.append(dict(piece, showlegend=not traces or traces[-1]["name"] != label,
                           line=dict(color=PALETTE[i % len(PALETTE)]), mode="lines+markers", marker=line_marker(size=5),
                           connectgaps=False,
                           hovertemplate=f"{_hover_label(label)}<br>%{{x|%Y-%m-%d}}: %{{y:,}} articles<extra></extra>"))
    return traces


def _small_multiples(df: pd.DataFrame, y: str, hover: str) -> go.Figure:
    """One panel per series (in label order), shared x axis, each with its own y range from zero."""
    traces = _series_traces(df, y, hover, mode="lines+markers", marker=dict(size=5))
    fig = make_subplots(rows=len(traces), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[t.name for t in traces])
    for i, trace in enumerate(traces, start=1):
        trace.showlegend = False
        fig.add_trace(trace, row=i, col=1)
        fig.update_yaxes(rangemode="tozero", row=i, col=1)
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    fig.update_layout(height=max(380, 110 * len(traces) + 60))
    return fig


def rising_falling_bars(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Change in articles vs the previous period, rising in green and falling in red. Bars carry [key, ""]."""
    data = df.sort_values("change").assign(period_iso="")
    colors = ["#1a9850" if c >= 0 else "#d73027" for c in data["change"]]
    fig = go.Figure(
        go.Bar(
            x=data["change"],
            y=data["label"],
            orientation="h",
            marker_color=colors,
            customdata=data[["key", "period_iso"]].to_numpy(),
            text=[f"{c:+d}" for c in data["change"].astype(int)],
            hovertemplate="%{y}: %{x:+d} articles<extra></extra>",
        )
    )
    fig.update_xaxes(title="change in articles vs previous period")
    return _style(fig, title, height=max(240, 28 * len(data) + 80))


def ranked_bars(
    df: pd.DataFrame,
    value: str,
    label: str = "label",
    key: str = "key",
    title: str | None = None,
    value_title: str | None = None,
    period: str = "",
) -> go.Figure:
    """Horizontal bars, largest on top. Bars carry [key, period] (or [article_id] when key is article_id)."""
    data = df.sort_values(value, ascending=True, kind="stable")
    if key == "article_id":
        custom = data[["article_id"]].astype(str).to_numpy()
    else:
        custom = data.assign(period_iso=period)[[key, "period_iso"]].astype(str).to_numpy()
    labels = data[label].astype(str).map(lambda s: s if len(s) <= 60 else s[:57] + "…")
    fig = go.Figure(
        go.Bar(
            x=data[value],
            y=labels,
            orientation="h",
            marker_color=PALETTE[0],
            customdata=custom,
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    fig.update_xaxes(title=value_title or value, rangemode="tozero")  # counts: never a negative axis
    return _style(fig, title, height=max(240, 24 * len(data) + 80))


def views_over_time(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Total views of the articles published in each period (bars) and how many were published (line).

    Without any view count (``views_sum`` all NaN) only the articles line is drawn, on the main axis;
    both axes start at zero, so an empty or view-less frame never shows a negative axis.
    """
    data = df.assign(period_iso=_iso(df["period"]), key="")
    custom = data[["key", "period_iso"]].to_numpy()
    fig = go.Figure()
    has_views = bool(data["views_sum"].notna().any()) if len(data) else False
    if has_views:
        fig.add_bar(x=data["period"], y=data["views_sum"], name="views", marker_color=PALETTE[0], customdata=custom,
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,} views<extra></extra>")
    fig.add_scatter(
        x=data["period"], y=data["articles"], name="articles", mode="lines+markers", yaxis="y2" if has_views else "y",
        marker=line_marker(color=PALETTE[1]), customdata=custom, connectgaps=False,
        hovertemplate="%{x|%Y-%m-%d}: %{y:,} articles<extra></extra>",
    )
    if has_views:
        fig.update_layout(
            yaxis=dict(title="views", rangemode="tozero"),
            yaxis2=dict(title="articles", overlaying="y", side="right", showgrid=False, rangemode="tozero"),
            legend=dict(orientation="h", y=1.1),
        )
    else:
        fig.update_layout(yaxis=dict(title="articles", rangemode="tozero"), showlegend=False)
    return _style(fig, title)


def views_histogram(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Distribution of views over log-spaced bins (bars drawn between bin edges on a log axis)."""
    data = df[df["articles"] > 0] if len(df) else df
    start = data["bin_start"].clip(lower=1)
    fig = go.Figure(
        go.Bar(
            x=(start * data["bin_end"].clip(lower=1)) ** 0.5,
            y=data["articles"],
            width=(data["bin_end"] - start).clip(lower=0.5),
            marker_color=PALETTE[2],
            customdata=data[["bin_start", "bin_end"]].to_numpy(),
            hovertemplate="%{customdata[0]:,.0f}–%{customdata[1]:,.0f} views: %{y} articles<extra></extra>",
        )
    )
    fig.update_xaxes(type="log", title="views")
    fig.update_yaxes(title="articles")
    return _style(fig, title)


def views_vs_age(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """One dot per article: age in days against views. Dots carry [article_id]."""
    fig = go.Figure(
        go.Scatter(  # SVG, not WebGL: 2,000 dots draw fast and need no GPU (presenter laptops, headless CI)
            x=df["age_days"],
            y=df["views"].clip(lower=1),
            mode="markers",
            marker=dict(size=6, opacity=0.6, color=PALETTE[3]),
            customdata=df[["article_id"]].astype(str).to_numpy(),
            text=df["title"].astype(str).str.slice(0, 80),
            hovertemplate="%{text}<br>%{x} days, %{y:,} views<extra></extra>",
        )
    )
    fig.update_xaxes(title="age (days since published)")
    fig.update_yaxes(title="views", type="log")
    return _style(fig, title)


def view_history(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Views of one article at each snapshot."""
    fig = go.Figure(go.Scatter(x=df["observed_at"], y=df["views"], mode="lines+markers", marker_color=PALETTE[0]))
    fig.update_yaxes(title="views")
    return _style(fig, title, height=260)


def driver_terms(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The words that set a period apart (`trends.queries.drivers` terms), strongest on top, as bars of
    their z-score. Bars carry [term, ""], so a click can open a search for the word."""
    data = df.sort_values("zscore", ascending=True, kind="stable")
    fig = go.Figure(go.Bar(
        x=data["zscore"], y=data["term"], orientation="h", marker_color=PALETTE[5],
        customdata=np.column_stack([data["term"].astype(str), np.full(len(data), ""), data["focus"], data["comparison"]])
        if len(data) else None,
        hovertemplate="%{y}: z %{x:.1f} (%{customdata[2]} here, %{customdata[3]} around)<extra></extra>",
    ))
    fig.update_xaxes(title="how distinctive (z-score of the log-odds)", rangemode="tozero")
    return _style(fig, title, height=max(240, 22 * len(data) + 80))
