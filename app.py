"""The dashboard's entry point: it only routes (st.navigation over the pages in pages/).

Run with ``streamlit run app.py``. The database is trends.paths.resolve_db_path() (``TRENDS_DB``
honoured); when it is missing, the synthetic demo corpus is built once, with progress shown.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import streamlit as st

from trends import links, ui
from trends.queries import QueryError
from trends.store import StoreError, ensure_database, first_line, generation
from trends.paths import resolve_db_path

# A local icon: a material-symbol or emoji icon would make the browser fetch it from a font CDN.
ICON = Path(__file__).resolve().parent / "static" / "favicon.png"
st.set_page_config(page_title="Commentary trends", page_icon=str(ICON) if ICON.exists() else None, layout="wide")


@st.cache_resource(show_spinner=False)
def _schema_checked(path: str, generation: object) -> bool:
    """Once per published file: a database from an older version is migrated forward (atomically)."""
    ensure_database(path)
    return True


def bootstrap_database() -> None:
    """First start without a database: build the demo corpus (3,000 synthetic articles), then rerun."""
    db = resolve_db_path()
    if db.exists():
        try:
            _schema_checked(str(db), generation(db))
        except StoreError:
            pass  # an unreadable file: the page says so in one line (trends.ui.require_articles)
        return
    st.title("Commentary trends")
    try:
        from trends.demo import build_demo
    except ImportError:
        ensure_database(db)
        st.rerun()
    with st.status(f"No database yet: building the demo corpus at {db} …", expanded=True) as status:
        bar = st.progress(0.0, text="generating articles")

        def progress(done: int, total: int, *_: object) -> None:
            bar.progress(min(1.0, done / max(total, 1)), text=f"{done:,} / {total:,}")

        # Built beside the live path and renamed when complete: a build cut short (the tab closed, the
        # server stopped) is never mistaken for the demo database, and the next start resumes it.
        staging = db.with_name(db.name + ".demo-build")
        build_demo(staging, articles=3000, seed=7, progress=progress, processes=1)  # no worker re-runs this script
        os.replace(staging, db)
        staging.with_name(staging.name + ".lock").unlink(missing_ok=True)  # the finished build's writer lock
        status.update(label="Demo corpus ready", state="complete")
    st.rerun()


pages = [
    st.Page(file, title=title, icon=icon, url_path=key, default=(i == 0))
    for i, (key, (file, title, icon)) in enumerate(links.PAGES.items())
]
try:
    page = st.navigation(pages)  # first, so the sidebar never shows Streamlit's file-name menu
    st.session_state[ui.ROUTED_KEY] = True  # see trends.ui._route_through_app
    bootstrap_database()
    page.run()  # each page starts with ui.page_setup(): filters, share link, banner
except (StoreError, QueryError, duckdb.Error) as exc:
    # A damaged or unreadable database file: one clear line, not a traceback.
    st.error(f"Cannot read the database: {first_line(exc)}")
