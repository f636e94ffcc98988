"""The chart widget: any Plotly figure with the CSV of the frame behind it, and a click that drills down.

`chart(state, fig, key, data, csv_name=..., on_pick=...)` takes a figure from a pure builder
(trends.charts) and the DataFrame it was drawn from. With `on_pick`, a click on a point hands that
point's customdata to the picker (trends.ui.drill makes them), which returns the view to show; the
widget writes it into the URL and reruns. Maps load their topojson from this app, never from a CDN.
"""

from __future__ import annotations

import json
from typing import Callable

import pandas as pd
import streamlit as st

from trends import charts, links
from trends.filters import Filter, ViewState
from trends.ui.state import PageState

Pick = Callable[[list[str]], tuple[Filter, ViewState] | None]


def plotly_config() -> dict:
    """Keep the modebar PNG export; load map topojson from this app, never from a CDN."""
    base = links.base_url(st.context.url)
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 2},
        "topojsonURL": links.static_url(base),
    }


def csv_button(df: pd.DataFrame, name: str, key: str) -> None:
    """A download of exactly the data behind a chart or list (no rerun when clicked)."""
    st.download_button(
        "CSV", df.to_csv(index=False).encode("utf-8"), file_name=f"{name}.csv", mime="text/csv",
        key=f"csv_{key}", icon=":material/download:", on_click="ignore", help="Download the data behind this chart",
    )


def figure(fig, key: str) -> None:
    """A figure without CSV or selection (heatmaps, the article's view history)."""
    st.plotly_chart(_presenter(fig), key=key, config=plotly_config(), width="stretch")


def chart(state: PageState, fig, key: str, data: pd.DataFrame, *, csv_name: str, on_pick: Pick | None = None) -> None:
    """Render a figure with its CSV; when `on_pick` is given, a click on a point rewrites the URL.

    A selection is acted on once: Streamlit keeps it in the widget's state across reruns, so the
    session remembers the last one it followed (`PageState.seen`).
    """
    event = st.plotly_chart(
        _presenter(fig),
        key=key,
        on_select="rerun" if on_pick else "ignore",
        selection_mode="points",
        config=plotly_config(),
        width="stretch",
    )
    csv_button(data, csv_name, key)
    if on_pick is None:
        return
    ids = charts.selection_ids(event)
    sig = json.dumps(ids)
    if sig == state.seen.get(key, "[]"):
        return
    state.seen[key] = sig
    if not ids:
        return
    target = on_pick(ids[0])
    if target is None:
        return
    state.anchor = key
    state.go(*target)
    st.rerun()


def _presenter(fig):
    if st.context.is_embedded:
        fig.update_layout(font_size=17, title_font_size=22)  # presenter mode: readable from the back row
    return fig
