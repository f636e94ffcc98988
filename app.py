"""The dashboard's entry point: it only routes (st.navigation) and draws the shared sidebar.

Run with ``streamlit run app.py``. The database is trends.paths.resolve_db_path() (``TRENDS_DB``
honoured); when it is missing, the synthetic demo corpus is built once, with progress shown.
"""

from __future__ import annotations

import streamlit as st

from trends import links, ui
from trends.paths import resolve_db_path

st.set_page_config(page_title="Commentary trends", page_icon=":material/trending_up:", layout="wide")


def bootstrap_database() -> None:
    """First start without a database: build the demo corpus (3,000 synthetic articles), then rerun."""
    db = resolve_db_path()
    if db.exists():
        return
    st.title("Commentary trends")
    try:
        from trends.demo import build_demo
    except ImportError:
        from trends.store import ensure_database

        ensure_database(db)
        st.rerun()
    with st.status(f"No database yet: building the demo corpus at {db} …", expanded=True) as status:
        bar = st.progress(0.0, text="generating articles")

        def progress(done: int, total: int, *_: object) -> None:
            bar.progress(min(1.0, done / max(total, 1)), text=f"{done:,} / {total:,}")

        build_demo(db, articles=3000, seed=7, progress=progress)
        status.update(label="Demo corpus ready", state="complete")
    st.rerun()


def keep_filters_across_pages(page_key: str) -> None:
    """Streamlit drops query parameters when the user switches page in the menu; carry the filter over."""
    previous = st.session_state.get("_page")
    saved = st.session_state.get("_filter_params")
    has_filter = any(k not in ("v",) and k not in ui_view_names() for k in st.query_params)
    if previous and previous != page_key and saved and not has_filter and len(saved) > 1:
        st.query_params.from_dict(saved)


def ui_view_names() -> frozenset[str]:
    from trends.filters import VIEW_PARAM_NAMES

    return VIEW_PARAM_NAMES


bootstrap_database()
pages = [
    st.Page(file, title=title, icon=icon, url_path=key, default=(i == 0))
    for i, (key, (file, title, icon)) in enumerate(links.PAGES.items())
]
nav = st.navigation(pages)
page_key = nav.url_path or "overview"
keep_filters_across_pages(page_key)
ui.presenter_css()
ui.begin_page(page_key)
flt, view = ui.current_state()  # pages read the same decoded state through ui.state()
info = ui.summary()
ui.sidebar_filters(flt, info)
ui.share_box(flt, view)
ui.synthetic_banner(info)
nav.run()
