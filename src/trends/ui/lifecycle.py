"""A page's life: the app shell around it (`configure`, `serve`), what every page does first
(`page_setup`) and last (`end_page` / `stop`), and the last-resort handler in between.

`serve` runs the routed page only once there is a database to read (otherwise the first-start demo
build, trends.ui.bootstrap, shows its progress), and under `last_resort`: an exception nobody caught
becomes one friendly line in the page, with a reference, and the full detail goes to the server's
log (logger ``trends.dashboard``), never a traceback or a server path in the browser.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import Iterator

import streamlit as st

from trends import links
from trends.filters import VIEW_PARAM_NAMES, decode, decode_view, unknown_params, within
from trends.lake import is_address
from trends.paths import PROJECT_ROOT, resolve_db_path
from trends.ui import bootstrap, data, preload, span
from trends.ui.drill import panel
from trends.ui.notices import NO_ARTICLES, empty_state, link_notices, notice, synthetic_banner
from trends.ui.share import share_box
from trends.ui.sidebar import filters
from trends.ui.state import PageState, current, url_params
from trends.ui.text import escape_md

LOG = logging.getLogger("trends.dashboard")
# A local icon: a material-symbol or emoji icon would make the browser fetch it from a font CDN.
ICON = PROJECT_ROOT / "static" / "favicon.png"


def configure() -> None:
    """Once per run, before the router: page config, and a log handler for the server's console."""
    st.set_page_config(page_title="Commentary trends", page_icon=str(ICON) if ICON.exists() else None,
                       layout="wide")
    if not LOG.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)


def serve(page) -> None:
    """Run the page st.navigation chose: first start -> the demo build; else the page, guarded."""
    state = current()
    state.routed = True
    db = resolve_db_path()
    if not is_address(db) and not db.exists():  # a shared store (trends.lake) is never built by the dashboard
        bootstrap.first_start(db)  # shows the build's progress, then reruns (or says why it failed)
        return
    with last_resort(state):
        page.run()


@contextlib.contextmanager
def last_resort(state: PageState) -> Iterator[None]:
    """Whatever a page raises (Streamlit's stop/rerun pass through): one line here, the detail in the log."""
    try:
        yield
    except data.READ_ERRORS as exc:  # the file went bad while serving (replaced, truncated, unreadable)
        LOG.warning("page %s: cannot read the database %s: %s", state.page, state.db, exc)
        notice(f"Cannot read the database: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
               "error", markup=False)
        _end_quietly(state)
    except Exception:
        ref = secrets.token_hex(4)
        LOG.exception("page %s failed (reference %s); query parameters %.2000r", state.page, ref, url_params())
        notice(f"Something went wrong while drawing this page (reference {ref}); the details are in the server's "
               "log. Try another filter, or go back.", "error")
        _end_quietly(state)


def _end_quietly(state: PageState) -> None:
    """After a failure, still draw the sidebar (so the user can change what failed), if the page had not."""
    if state.ended:
        return
    try:
        end_page(state, panel_fallback=False)
    except Exception:  # the sidebar itself failed: the line above already stands
        LOG.exception("page %s: the sidebar failed after an error", state.page)


def page_setup(page: str, *, whole_archive: bool = False, charts: bool = True) -> PageState:
    """What every page does first: decode the URL (notices for what it ignored), title, the demo banner.

    The sidebar (filters, share link) is drawn by `end_page` / `stop` after the page's content, so the
    browser renders the first chart before the sidebar widgets (about 0.4 s sooner on a busy machine).
    A page that opens on a chart (``charts``) has the browser start loading Plotly right after the
    title (trends.ui.preload), while the server still builds the chart.
    """
    state = current()
    route_through_app(state)
    _keep_filters_across_pages(state, page)
    state.page = state.last_page = page
    state.panel_drawn = state.ended = False
    presenter_css()
    st.title(links.PAGES[page][1])
    if charts:
        preload.plotly_early()
    state.db = resolve_db_path()
    state.info, state.problem = data.summary(state.db)
    raw = url_params()
    url_flt, notices = decode(raw)
    view, view_notices = decode_view(raw)
    state.notices = notices + view_notices + unknown_params(raw)
    state.url_flt, state.view = within(url_flt, *state.data_range), view
    state.flt, state.span = state.url_flt, None
    if not whole_archive:  # About describes the whole archive; every other page opens on its real span
        state.flt, state.span = span.resolve(state, state.url_flt)
    link_notices(state.notices)
    if raw and (state.notices or "v" not in raw):
        # Show the canonical link from now on: bad values dropped, pre-release names translated.
        st.query_params.from_dict(links.params(url_flt, view))
    if not url_flt.is_default():
        state.filter_params = links.params(url_flt)  # carried over when the menu drops it
    synthetic_banner(state.info)
    span.span_bar(state, state.span)
    return state


def require_database(state: PageState) -> None:
    """Stop the page with one line when the database cannot be read (and what to do about it)."""
    if state.info is None:
        problem = state.problem or data.Problem("unknown error", data.BUILD_HINT)
        st.error(f"Cannot read the database at {escape_md(state.db)}: {escape_md(problem.reason)}. {problem.fix}")
        st.stop()


def require_articles(state: PageState) -> None:
    """Stop the page with a friendly note when the database cannot be read or holds no articles."""
    require_database(state)
    if not state.info.get("articles"):
        empty_state(*NO_ARTICLES)
        st.stop()


def end_page(state: PageState, *, panel_fallback: bool = True) -> None:
    """What every page does last: the drill/article panel if no chart claimed it, then the sidebar."""
    state.ended = True
    if panel_fallback and not state.panel_drawn:
        panel(state)
    filters(state)
    share_box(state)


def stop(state: PageState) -> None:
    """End the page early (an empty state) but still draw the sidebar, so the user can widen the filter."""
    end_page(state)
    st.stop()


def presenter_css() -> None:
    """Larger type and no padding when embedded (?embed=true): readable on a projector, fits an iframe."""
    if st.context.is_embedded:
        st.html(
            "<style>html, body, [data-testid='stAppViewContainer'] {font-size: 20px !important;}"
            " [data-testid='stMetricValue'] {font-size: 3rem !important;}"
            " [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'] {display: none !important;}"
            " .block-container, [data-testid='stMainBlockContainer'] {padding-top: 1rem !important; max-width: 100% !important;}"
            "</style>"
        )


def route_through_app(state: PageState) -> None:
    """Rerun through app.py when Streamlit ran this page file on its own.

    Streamlit decides per server process whether a `pages/` folder means its old file-name routing; only
    the first run of app.py (its `st.navigation`) turns that off. So when the first request a fresh server
    gets is a deep link (`/countries?...`, a shared link), Streamlit runs pages/countries.py directly:
    no router, no wide layout, a menu of file names, no last-resort handler. Switch the old routing off
    and rerun; the URL, and so the view, stays the same.

    A session that app.py has routed before is not rerun: only AppTest gets here that way (it turns the
    old routing back on before every run), and a rerun there would drop the click that started the run.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old routing
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if not state.routed:
            st.rerun()


def _keep_filters_across_pages(state: PageState, page: str) -> None:
    """Streamlit drops query parameters when the user switches page in the menu; carry the filter over."""
    saved = state.filter_params
    has_params = any(k != "v" and k not in VIEW_PARAM_NAMES for k in st.query_params)
    if state.last_page and state.last_page != page and saved and len(saved) > 1 and not has_params:
        st.query_params.from_dict(saved)
