"""The world map: one period's countries coloured so that more than the biggest country is visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from trends.charts.base import format_value, iso, log_colour, style

MAP_SCALES = ("log", "quantile", "linear")
# Light enough for zero, dark enough for the top, never white (white would read as "no data").
MAP_COLOURS = [[0.0, "#eef4fb"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1.0, "#08306b"]]


def world_map(df: pd.DataFrame, value: str = "articles", title: str | None = None, scale: str = "log") -> go.Figure:
    """Choropleth of one period (or the whole range) by ISO3 key. Countries carry [key, period].

    ``scale``: "log" colours by log10(1 + value / unit) (unit: 1 article, or the smallest positive
    share), "quantile" by the value's rank among the map's countries, "linear" by the value itself. The
    legend's ticks are always real values (counts or shares), and the hover shows the real value; NaN
    (no coverage) is left out of the map. A linear scale lets one dominant country (the US in most
    archives) wash every other out, hence the log default.
    """
    if scale not in MAP_SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(MAP_SCALES)}")
    share = value == "share"
    data = df[df[value].notna()].copy() if len(df) else df.copy()
    data["period_iso"] = iso(data["period"]).fillna("") if "period" in data and len(data) else ""
    values = data[value].astype("float64")
    z, tickvals, ticktext = _colour(values, scale, share)
    fig = go.Figure(
        go.Choropleth(
            locations=data["key"],
            locationmode="ISO-3",
            z=z,
            text=[f"{label}: {format_value(v, share)}" + ("" if share else " articles")
                  for label, v in zip(data["label"], values)],
            customdata=data[["key", "period_iso"]].to_numpy(),
            colorscale=MAP_COLOURS,
            zmin=0 if len(z) else None,
            zmax=float(np.nanmax(z)) if len(z) and np.nanmax(z) > 0 else None,
            marker_line_color="#888",
            marker_line_width=0.4,
            colorbar=dict(title=value if scale == "linear" else f"{value} ({scale} scale)",
                          tickvals=tickvals, ticktext=ticktext),
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_geos(showframe=False, showcoastlines=False, projection_type="natural earth", showcountries=True,
                    countrycolor="#ccc", lataxis_range=[-58, 85])
    fig.update_layout(meta={"scale": scale})
    return style(fig, title, height=460)


def _colour(values: pd.Series, scale: str, share: bool) -> tuple[np.ndarray, list[float], list[str]]:
    """Colour positions and the legend's (tick positions, tick labels in real values)."""
    if not len(values):
        return np.array([]), [], []
    if scale == "log":
        positive = values[values > 0]
        unit = float(positive.min()) if share and len(positive) else 1.0
        z, tickvals, ticks = log_colour(values, unit)
        return z, tickvals, [format_value(t, share) for t in ticks]
    if scale == "quantile":
        z = values.rank(method="average", pct=True).to_numpy(copy=True)
        z[(values == 0).to_numpy()] = 0.0  # every zero at the bottom of the scale
        qs = [0.0, 0.25, 0.5, 0.75, 1.0]
        at = np.quantile(values.to_numpy(), qs)
        labels = [f"{format_value(v, share)} (p{int(q * 100)})" for q, v in zip(qs, at)]
        return z, qs, labels
    top = float(values.max())
    steps = np.linspace(0, top, 5) if top > 0 else np.array([0.0])
    return values.to_numpy(), [float(x) for x in steps], [format_value(float(x), share) for x in steps]
