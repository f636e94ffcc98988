"""Tabs for a page's lower half whose open tab is in the link (``section=``).

Only the open tab's content is drawn (the page checks the slug), so a first visit renders the top
charts without waiting for every chart below them, and a shared link reopens the same tab.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from trends.ui.state import PageState


def sections(state: PageState, key: str, labels: dict[str, str]) -> tuple[str, Any]:
    """(the open tab's slug, its container); `labels` maps slug -> tab label, the first is the default."""
    slugs = list(labels)
    active = state.view.section if state.view.section in labels else slugs[0]
    st.session_state[key] = labels[active]  # the URL wins on every run, like the sidebar widgets

    def _on_change() -> None:
        label = st.session_state[key]
        slug = next((s for s, lbl in labels.items() if lbl == label), slugs[0])
        state.show(section=None if slug == slugs[0] else slug)

    tabs = st.tabs(list(labels.values()), key=key, on_change=_on_change)
    return active, tabs[slugs.index(active)]
