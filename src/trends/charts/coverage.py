"""What the archive covers: articles per source over time as a full chart (About) and as a thin strip
to sit under any time series, on the same x axis, so a flat line over an empty stretch reads as a gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from trends.charts.base import format_value, hover_label, log_colour, style

COVERAGE_COLOURS = [[0.0, "#deebf7"], [0.5, "#6baed6"], [1.0, "#08306b"]]
STRIP_ROW_PX = 14  # height of one source's row in the strip
STRIP_GAP_PX = 48  # between the chart's plot area and the strip: room for two-line date tick labels


def _heatmap(cov: pd.DataFrame, *, showscale: bool, **axes) -> go.Heatmap:
    """Sources (rows, in the frame's order) x periods, log colour; a period without articles is blank."""
    sources = list(dict.fromkeys(cov["source"]))
    table = cov.pivot_table(index="source", columns="period", values="articles", aggfunc="sum").reindex(sources)
    counts = table.to_numpy(dtype="float64")
    z, tickvals, ticks = log_colour(pd.Series(counts.ravel()))
    z = z.reshape(counts.shape)
    z[counts <= 0] = np.nan  # blank, not the palest colour: nothing from this source then
    days = [f"{pd.Timestamp(p):%Y-%m-%d}" for p in table.columns]  # once per column, not per cell
    text = [[f"{name}, {day}: {format_value(n)} articles" for day, n in zip(days, row)]
            for name, row in zip(map(hover_label, sources), counts.tolist())]
    return go.Heatmap(
        x=list(table.columns), y=sources, z=z, text=text, hovertemplate="%{text}<extra></extra>",
        colorscale=COVERAGE_COLOURS, zmin=0, zmax=float(np.nanmax(z)) if np.isfinite(z).any() else 1.0, showscale=showscale,
        colorbar=dict(title="articles", tickvals=tickvals, ticktext=[format_value(t) for t in ticks]),
        xgap=1 if len(table.columns) <= 60 else 0, ygap=1, **axes,
    )


def coverage_chart(cov: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Articles per source per period (`trends.queries.coverage`), one row per source in order of its
    first article; blank cells are periods without any article of that source."""
    fig = go.Figure(_heatmap(cov, showscale=True))
    fig.update_yaxes(autorange="reversed")
    n = cov["source"].nunique() if len(cov) else 1
    return style(fig, title, height=max(220, 28 * n + 120))


def with_coverage_strip(fig: go.Figure, cov: pd.DataFrame, *, label: str = "coverage",
                        inplace: bool = False) -> go.Figure:
    """A copy of a time-series figure with the coverage strip under it, sharing its x axis.

    The strip is a heatmap on its own y axis below the chart's plot area (the chart keeps every trace,
    its customdata and its selection behaviour); its height is one `STRIP_ROW_PX` row per source.
    ``inplace=True`` adds it to `fig` itself: copying re-validates every trace, which costs seconds for
    a stack broken into many pieces by coverage gaps (a page that built the figure for this call).
    """
    out = fig if inplace else go.Figure(fig)
    if cov.empty:
        return out
    sources = cov["source"].nunique()
    height = int(out.layout.height or 380)
    strip_px = STRIP_ROW_PX * sources + 24
    total = height + strip_px + STRIP_GAP_PX
    margin = out.layout.margin
    plot_px = total - (80 if margin.t is None else margin.t) - (80 if margin.b is None else margin.b)  # Plotly's default margins
    strip, gap = strip_px / plot_px, STRIP_GAP_PX / plot_px  # sized in pixels: the x tick labels never reach the strip
    top = strip + gap
    layout = out.layout.to_plotly_json()
    used = [int(name[5:] or 1) for name in layout if name.startswith("yaxis")]
    axis = f"y{max(used + [1]) + 1}"
    for name in layout:
        if name.startswith("yaxis") and not out.layout[name].overlaying:
            lo, hi = out.layout[name].domain or (0.0, 1.0)
            out.layout[name].domain = (top + lo * (1 - top), top + hi * (1 - top))
    if not used:
        out.update_layout(yaxis=dict(domain=(top, 1.0)))
    out.add_trace(_heatmap(cov, showscale=False, yaxis=axis, xaxis="x"))
    out.layout[f"yaxis{axis[1:]}"] = dict(domain=(0.0, strip), autorange="reversed", tickfont=dict(size=9),
                                         title=dict(text=label, font=dict(size=10)), fixedrange=True)
    out.update_layout(height=total)
    return out
