"""Pure chart builders: a DataFrame from trends.queries in, a Plotly Figure out.

No Streamlit and no SQL here, so every chart can be unit-tested on a hand-made frame. Charts that the
dashboard drills into carry the ids of each point in ``customdata``: ``[key, period]`` for tag and
source series (period as an ISO date string, "" when the chart has no time axis) and
``[article_id]`` for charts of single articles. `selection_ids` reads them back.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.colors
import plotly.graph_objects as go

PALETTE = plotly.colors.qualitative.Safe  # colour-blind-safe
_MARGIN = dict(l=10, r=10, t=40, b=10)


def _iso(period: pd.Series) -> pd.Series:
    return pd.to_datetime(period).dt.strftime("%Y-%m-%d")


def _style(fig: go.Figure, title: str | None, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        legend_title_text="",
        hoverlabel=dict(namelength=-1),
        clickmode="event+select",
    )
    return fig


def empty_figure(message: str = "No data for this filter") -> go.Figure:
    """A blank figure with a centred message, for when a page still wants a chart slot."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16), x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, None, height=240)


def _series_traces(df: pd.DataFrame, y: str, hover: str, **trace: Any) -> list[go.Scatter]:
    """One Scatter per label (in label order), colours cycling through the palette; points carry [key, period].

    Built on graph_objects rather than plotly.express: express re-shapes the frame on every call, which
    cost the server about 80 ms per chart.
    """
    data = df.assign(period_iso=_iso(df["period"])).sort_values(["label", "period"])
    traces = []
    for i, (label, part) in enumerate(data.groupby("label", sort=True)):
        traces.append(go.Scatter(
            x=part["period"], y=part[y], name=str(label), legendgroup=str(label),
            customdata=part[["key", "period_iso"]].to_numpy(),
            line=dict(color=PALETTE[i % len(PALETTE)]),
            hovertemplate=f"{_hover_label(label)}<br>%{{x|%Y-%m-%d}}: {hover}<extra></extra>",
            **trace,
        ))
    return traces


def _hover_label(label: object) -> str:
    """A trace name safe inside a hovertemplate (Plotly reads %{...} and <...> there)."""
    return str(label).replace("%", "%%").replace("<", "&lt;").replace(">", "&gt;")


def volume_lines(df: pd.DataFrame, measure: str = "count", title: str | None = None) -> go.Figure:
    """Articles (or share of all articles) per period, one line per key. Points carry [key, period]."""
    y = "share" if measure == "share" else "articles"
    hover = "%{y:.1%} of articles" if measure == "share" else "%{y:,} articles"
    fig = go.Figure(_series_traces(df, y, hover, mode="lines+markers"))
    fig.update_yaxes(title="share of articles" if measure == "share" else "articles",
                     tickformat=".0%" if measure == "share" else None)
    return _style(fig, title)


def attention_area(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Stacked areas of the top keys over time (the overview's 'attention' chart)."""
    fig = go.Figure(_series_traces(df, "articles", "%{y:,} articles", mode="lines+markers",
                                   stackgroup="attention", marker=dict(size=5)))
    fig.update_yaxes(title="articles")
    return _style(fig, title)


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
    fig.update_xaxes(title=value_title or value)
    return _style(fig, title, height=max(240, 24 * len(data) + 80))


def views_over_time(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Total views of the articles published in each period (bars) and how many were published (line)."""
    data = df.assign(period_iso=_iso(df["period"]), key="")
    custom = data[["key", "period_iso"]].to_numpy()
    fig = go.Figure()
    fig.add_bar(x=data["period"], y=data["views_sum"], name="views", marker_color=PALETTE[0], customdata=custom)
    fig.add_scatter(
        x=data["period"], y=data["articles"], name="articles", mode="lines+markers", yaxis="y2",
        marker_color=PALETTE[1], customdata=custom,
    )
    fig.update_layout(
        yaxis=dict(title="views"),
        yaxis2=dict(title="articles", overlaying="y", side="right", showgrid=False),
        legend=dict(orientation="h", y=1.1),
    )
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


def world_map(df: pd.DataFrame, value: str = "articles", title: str | None = None) -> go.Figure:
    """Choropleth of one period (or the whole range) by ISO3 key. Countries carry [key, period]."""
    data = df.copy()
    if "period" in data and len(data):
        data["period_iso"] = _iso(data["period"]).fillna("")
    else:
        data["period_iso"] = ""
    fig = go.Figure(
        go.Choropleth(
            locations=data["key"],
            locationmode="ISO-3",
            z=data[value],
            text=data["label"],
            customdata=data[["key", "period_iso"]].to_numpy(),
            colorscale="Blues",
            zmin=0,
            marker_line_color="#888",
            marker_line_width=0.4,
            colorbar=dict(title=value, tickformat=".0%" if value == "share" else None),
            hovertemplate="%{text}: %{z:,}<extra></extra>" if value != "share" else "%{text}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_geos(showframe=False, showcoastlines=False, projection_type="natural earth", showcountries=True,
                    countrycolor="#ccc", lataxis_range=[-58, 85])
    return _style(fig, title, height=460)


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
    return _style(fig, title, height=max(360, 18 * len(labels) + 120))


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
    return _style(fig, title, height=max(240, 24 * len(data) + 80))


def view_history(df: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Views of one article at each snapshot."""
    fig = go.Figure(go.Scatter(x=df["observed_at"], y=df["views"], mode="lines+markers", marker_color=PALETTE[0]))
    fig.update_yaxes(title="views")
    return _style(fig, title, height=260)


def selection_ids(event: Any) -> list[list[str]]:
    """The customdata of every selected point of a `st.plotly_chart(on_select=...)` event."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    out = []
    for point in points or []:
        custom = point.get("customdata")
        if custom is None:
            continue
        if not isinstance(custom, (list, tuple)):
            custom = [custom]
        out.append([("" if v is None else str(v)) for v in custom])
    return out
