"""What every chart builder shares: palette, layout style, hover escaping, the ids a point carries,
and colour scales whose legend reads in real counts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

PALETTE = plotly.colors.qualitative.Safe  # colour-blind-safe
MARGIN = dict(l=10, r=10, t=40, b=10)
# Markers drawn per line: each is an SVG node, and 8 monthly lines over a 34-year archive made 3,300
# of them (about half a second of browser time before the first chart). Past this Plotly draws every
# n-th marker only (`marker.maxdisplayed`); hover and click still find every point, since selection
# works on the data, not on the drawn markers, so drill-down reaches any period.
MAX_MARKERS = 80


def line_marker(**marker: Any) -> dict:
    """The marker of a clickable line: at most `MAX_MARKERS` drawn, every point still selectable."""
    return dict(marker, maxdisplayed=MAX_MARKERS)


def iso(period: pd.Series) -> pd.Series:
    return pd.to_datetime(period).dt.strftime("%Y-%m-%d")


def style(fig: go.Figure, title: str | None, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=MARGIN,
        legend_title_text="",
        hoverlabel=dict(namelength=-1),
        clickmode="event+select",
    )
    return fig


def hover_label(label: object) -> str:
    """A trace name safe inside a hovertemplate (Plotly reads %{...} and <...> there)."""
    return str(label).replace("%", "%%").replace("<", "&lt;").replace(">", "&gt;")


def empty_figure(message: str = "No data for this filter") -> go.Figure:
    """A blank figure with a centred message, for when a page still wants a chart slot."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16), x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, None, height=240)


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


def nice_steps(top: float) -> list[float]:
    """1-2-5 values from 1 up to the first one at or above ``top`` (legend ticks of a log scale)."""
    steps, magnitude = [], 1.0
    while True:
        for m in (1, 2, 5):
            value = m * magnitude
            steps.append(value)
            if value >= top:
                return steps
        magnitude *= 10


def log_colour(values: pd.Series, unit: float = 1.0) -> tuple[np.ndarray, list[float], list[float]]:
    """Colour positions ``log10(1 + v / unit)`` and legend ticks placed at real values.

    ``unit`` is the value that counts as one step (1 article; for shares, the smallest positive share),
    so zero stays at the bottom of the scale and every tick label is a real value (0, 1, 10, 100...,
    1-2-5 steps up to the largest value, at most six of them). Returns (z, tick positions, tick
    values); NaN stays NaN. The top of the scale is the largest value (``nanmax(z)``).
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    z = np.log10(1 + v / unit)
    top = float(np.nanmax(v)) if np.isfinite(v).any() else 0.0
    ticks = [0.0] + ([s * unit for s in nice_steps(top / unit) if s * unit <= top * (1 + 1e-9)] if top > 0 else [])
    if len(ticks) > 6:  # every few steps, always the first and last
        ticks = ticks[:1] + ticks[1:-1][::math.ceil((len(ticks) - 2) / 4)] + ticks[-1:]
    return z, [math.log10(1 + t / unit) for t in ticks], ticks


def format_value(value: float, share: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if share:
        return f"{value:.1%}" if value >= 0.001 or value == 0 else f"{value:.2%}"
    return f"{value:,.0f}"
