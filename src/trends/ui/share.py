"""The "Share this view" box: the full link to exactly this view, and its presenter (embed) form.

Lazy (an expander with on_change="rerun"): the links are drawn only once it is opened, so a first
visit does not load and run the code-block highlighter (about 0.2 s of browser time before the
first chart).
"""

from __future__ import annotations

import streamlit as st

from trends import links
from trends.ui.state import PageState

KEY = "share_open"  # the expander's widget key: its open state


def share_box(state: PageState) -> None:
    base = links.base_url(st.context.url)
    box = st.sidebar.expander("Share this view", icon=":material/share:", key=KEY, on_change="rerun")
    if box.open:
        with box:
            st.caption("Anyone opening this link sees this page with these filters and selections.")
            st.code(links.page_url(state.page, state.flt, state.view, base=base), language=None, wrap_lines=True)
            st.caption("Presenter / embed (no menus, large type, iframe-ready):")
            st.code(links.page_url(state.page, state.flt, state.view, base=base, embed=True), language=None,
                    wrap_lines=True)
