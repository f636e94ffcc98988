"""The dashboard's entry point: it only routes (st.navigation over the pages in pages/).

Run with ``streamlit run app.py``. trends.ui.lifecycle does the rest: page config, the first-start
demo build when there is no database yet, and the last-resort handler around every page.
"""

import streamlit as st

from trends import links
from trends.ui import lifecycle

lifecycle.configure()
page = st.navigation([  # first, so the sidebar never shows Streamlit's file-name menu
    st.Page(file, title=title, icon=icon, url_path=key, default=(i == 0))
    for i, (key, (file, title, icon)) in enumerate(links.PAGES.items())
])
lifecycle.serve(page)
