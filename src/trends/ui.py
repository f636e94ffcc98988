"""Shared Streamlit pieces: URL-bound sidebar filters, share link, drill-down panel, article view, CSV.

The URL is the single source of truth for what is shown. Every run decodes ``st.query_params`` with
trends.filters, pushes the result into the sidebar widgets, and every widget change writes a new URL
through trends.links (the same codec), so reload, back/forward and a pasted link restore the view.
All article text goes through `escape_md` (markdown) or `html.escape` (the highlighted body) first.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd
import streamlit as st

from trends import charts, links
from trends.filters import GRAINS, Filter, ViewState, decode, decode_view
from trends.paths import resolve_db_path
from trends.queries import QueryError
from trends.store import StoreError, first_line

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")
TAG_COLORS = {
    "topic": "#fde68a",
    "country": "#bfdbfe",
    "person": "#fbcfe8",
    "org": "#bbf7d0",
    "theme": "#e9d5ff",
}
DIMENSION_LABELS = {
    "topic": "Topic",
    "theme": "Theme",
    "country": "Country",
    "person": "Person",
    "org": "Organisation",
    "source": "Source",
    "author": "Author",
}


# ------------------------------------------------------------------------------------------ text


def escape_md(text: object) -> str:
    """Text shown through Streamlit markdown renders literally: no markup, links, HTML or LaTeX."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def highlight_html(body_text: str, tags: pd.DataFrame) -> str:
    """The article body as escaped HTML with each tag's spans wrapped in a labelled <mark>.

    Overlapping spans keep the first (earliest, then longest); every piece of text is escaped before it
    is wrapped, so nothing from the article can become markup.
    """
    spans: list[tuple[int, int, str, str]] = []
    for row in tags.itertuples(index=False):
        for span in _as_spans(getattr(row, "spans", None)):
            start, end = span
            if 0 <= start < end <= len(body_text):
                spans.append((start, end, str(row.kind), str(row.label)))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    pos = 0
    for start, end, kind, label in spans:
        if start < pos:
            continue
        out.append(html.escape(body_text[pos:start]))
        color = TAG_COLORS.get(kind, "#e5e7eb")
        out.append(
            f'<mark class="tag tag-{html.escape(kind)}" title="{html.escape(kind)}: {html.escape(label)}" '
            f'style="background:{color};padding:0 2px;border-radius:3px">{html.escape(body_text[start:end])}</mark>'
        )
        pos = end
    out.append(html.escape(body_text[pos:]))
    return "".join(out)


def _as_spans(raw: Any) -> list[tuple[int, int]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    out = []
    try:
        for pair in raw:
            if pair is not None and len(pair) >= 2:
                out.append((int(pair[0]), int(pair[1])))
    except (TypeError, ValueError):
        return []
    return out


# ------------------------------------------------------------------------------------------ data


def db_path() -> Path:
    return resolve_db_path()


def query(name: str, *args: Any, **kwargs: Any) -> Any:
    """trends.queries.<name>(db, ...) through trends.cache: cached per database generation, so a
    finished ingest shows on the next rerun."""
    from trends import cache

    return getattr(cache, name)(db_path(), *args, **kwargs)


def summary() -> dict | None:
    """The database summary, or None (with the reason kept for `require_articles`) if it cannot be read."""
    try:
        st.session_state["_db_error"] = None
        return query("summary")
    except (StoreError, QueryError, duckdb.Error) as exc:
        st.session_state["_db_error"] = first_line(exc)
        return None


NO_ARTICLES = ("The database has no articles yet.", "Run `trends demo` or `trends ingest <files>` and reload.")


def require_database(info: dict | None) -> None:
    """Stop the page with a friendly note when the database cannot be read."""
    if info is None:
        st.error(f"Cannot read the database at {escape_md(db_path())}: {escape_md(st.session_state.get('_db_error'))}. "
                 "Build one with `trends demo` or `trends ingest <files>`.")
        st.stop()


def require_articles(info: dict | None) -> None:
    """Stop the page with a friendly note when the database cannot be read or holds no articles."""
    require_database(info)
    if not info.get("articles"):
        empty_state(*NO_ARTICLES)
        st.stop()


# ------------------------------------------------------------------------------------------ URL state


def _url_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def current_state() -> tuple[Filter, ViewState]:
    """Decode the URL; list the codec's notices (bad parameters are ignored) and show the clean link."""
    raw = _url_params()
    flt, notes = decode(raw)
    view, view_notes = decode_view(raw)
    notices = notes + view_notes
    if notices:
        st.info("Some link parameters were ignored: " + "; ".join(escape_md(n) for n in notices), icon=":material/link_off:")
    if raw and (notices or "v" not in raw):
        # Show the canonical link from now on: bad values dropped, pre-release names translated.
        st.query_params.from_dict(links.params(flt, view))
    if not flt.is_default():
        st.session_state["_filter_params"] = links.params(flt)  # carried over when the menu drops it
    return flt, view


def set_url(flt: Filter, view: ViewState | None = None) -> None:
    """Replace the query parameters (embed flags are kept by Streamlit) with the codec's form."""
    params = links.params(flt, view)
    st.query_params.from_dict(params)
    st.session_state["_filter_params"] = links.params(flt)


SHARE_KEY = "share_open"


def share_box(flt: Filter, view: ViewState) -> None:
    """The 'share this view' control: the full link to exactly this view, and its presenter form."""
    base = links.base_url(st.context.url)
    page = st.session_state.get("_page", "overview")
    # Lazy (on_change="rerun"): the links are drawn only once it is opened, so a first visit does not
    # load and run the code-block highlighter (about 0.2 s of browser time before the first chart).
    box = st.sidebar.expander("Share this view", icon=":material/share:", key=SHARE_KEY, on_change="rerun")
    if box.open:
        with box:
            st.caption("Anyone opening this link sees this page with these filters and selections.")
            st.code(links.page_url(page, flt, view, base=base), language=None, wrap_lines=True)
            st.caption("Presenter / embed (no menus, large type, iframe-ready):")
            st.code(links.page_url(page, flt, view, base=base, embed=True), language=None, wrap_lines=True)


# ------------------------------------------------------------------------------------------ sidebar

_W = {  # widget keys
    "dates": "flt_dates",
    "grain": "flt_grain",
    "topics": "flt_topics",
    "countries": "flt_countries",
    "sources": "flt_sources",
    "text": "flt_text",
    "min_views": "flt_min_views",
    "synthetic": "flt_synthetic",
}


def options(dimension: str, current: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Keys (most frequent first) and their labels for a selector, always including the current keys."""
    try:
        df = query("facets", Filter(), dimension, limit=300)
    except (StoreError, QueryError, duckdb.Error):
        df = pd.DataFrame(columns=["key", "label", "articles"])
    labels = {str(k): str(lbl) for k, lbl in zip(df["key"], df["label"])}
    keys = list(labels)
    for k in current:
        if k not in labels:
            keys.append(k)
            labels[k] = k
    return keys, labels


def _on_filter_change(bounds: tuple[dt.date | None, dt.date | None]) -> None:
    ss = st.session_state
    raw = _url_params()
    flt, _ = decode(raw)
    dates = ss.get(_W["dates"]) or ()
    date_from, date_to = flt.date_from, flt.date_to
    if isinstance(dates, (tuple, list)) and len(dates) == 2:
        date_from, date_to = dates
        if date_from == bounds[0]:
            date_from = None
        if date_to == bounds[1]:
            date_to = None
    min_views = ss.get(_W["min_views"])
    flt = flt.replace(
        date_from=date_from,
        date_to=date_to,
        grain=ss.get(_W["grain"], flt.grain),
        topics=tuple(ss.get(_W["topics"], ())),
        countries=tuple(ss.get(_W["countries"], ())),
        sources=tuple(ss.get(_W["sources"], ())),
        text=(ss.get(_W["text"]) or "").strip()[:200],
        min_views=int(min_views) if min_views else None,
        synthetic=bool(ss.get(_W["synthetic"], True)),
    )
    view, _ = decode_view(raw)
    # A new filter invalidates the clicked point and paging, but keeps the page's own choices.
    set_url(flt, ViewState(dimension=view.dimension, measure=view.measure, compare=view.compare, sort=view.sort,
                           section=view.section))


def sidebar_filters(flt: Filter, info: dict | None) -> None:
    """Filter widgets whose values always mirror the URL; a change rewrites the URL."""
    first = info.get("first_date") if info else None
    last = info.get("last_date") if info else None
    bounds = (_to_date(first), _to_date(last))
    ss = st.session_state
    # URL -> widgets (the URL wins on every run, so back/forward and pasted links take effect).
    picking = isinstance(ss.get(_W["dates"]), (tuple, list)) and len(ss[_W["dates"]]) == 1
    if bounds[0] and bounds[1] and not picking:  # mid-pick (start chosen, end not yet): leave it alone
        lo = flt.date_from or bounds[0]
        hi = flt.date_to or bounds[1]
        ss[_W["dates"]] = (min(lo, hi), max(lo, hi))
    ss[_W["grain"]] = flt.grain
    ss[_W["text"]] = flt.text
    ss[_W["min_views"]] = flt.min_views or 0
    ss[_W["synthetic"]] = flt.synthetic
    topic_keys, topic_labels = options("topic", flt.topics)
    country_keys, country_labels = options("country", flt.countries)
    source_keys, source_labels = options("source", flt.sources)
    ss[_W["topics"]] = list(flt.topics)
    ss[_W["countries"]] = list(flt.countries)
    ss[_W["sources"]] = list(flt.sources)

    sb = st.sidebar
    sb.header("Filters")
    kw = dict(on_change=_on_filter_change, args=(bounds,))
    if bounds[0] and bounds[1]:
        chosen = list(ss.get(_W["dates"]) or ())
        sb.date_input("Published between", key=_W["dates"], min_value=min([bounds[0], *chosen]),
                      max_value=max([bounds[1], *chosen]), format="YYYY-MM-DD", **kw)
    sb.selectbox("Time grain", GRAINS, key=_W["grain"], **kw)
    sb.multiselect("Topics", topic_keys, key=_W["topics"], format_func=lambda k: topic_labels.get(k, k), **kw)
    sb.multiselect("Countries", country_keys, key=_W["countries"], format_func=lambda k: country_labels.get(k, k), **kw)
    sb.multiselect("Sources", source_keys, key=_W["sources"], format_func=lambda k: source_labels.get(k, k), **kw)
    sb.text_input("Text contains", key=_W["text"], max_chars=200, **kw)
    sb.number_input("Minimum views", min_value=0, step=100, key=_W["min_views"], **kw)
    sb.checkbox("Include synthetic demo articles", key=_W["synthetic"], **kw)
    if not flt.is_default():
        if sb.button("Reset filters", icon=":material/restart_alt:"):
            st.session_state.pop("_filter_params", None)
            set_url(Filter())
            st.rerun()


def _to_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


# ------------------------------------------------------------------------------------------ chrome


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


def synthetic_banner(info: dict | None) -> None:
    if info and int(info.get("synthetic_articles") or 0) > 0:
        n = int(info["synthetic_articles"])
        st.warning(
            f"**Synthetic demo data.** {n:,} of the {int(info.get('articles') or 0):,} articles in this database "
            "were generated by `trends demo`; the numbers shown illustrate the tool and describe no real "
            "publication.",
            icon=":material/science:",
        )


def empty_state(message: str = "Nothing matches these filters.", hint: str | None = None) -> None:
    st.info(message + (f" {hint}" if hint else " Widen the date range or remove a filter in the sidebar."),
            icon=":material/search_off:")


def csv_button(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        "CSV", df.to_csv(index=False).encode("utf-8"), file_name=f"{name}.csv", mime="text/csv",
        key=f"csv_{key}", icon=":material/download:", on_click="ignore", help="Download the data behind this chart",
    )


def plotly_config() -> dict:
    """Keep the modebar PNG export; load map topojson from this app, never from a CDN."""
    base = links.base_url(st.context.url)
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 2},
        "topojsonURL": links.static_url(base),
    }


# ------------------------------------------------------------------------------------------ charts + drill


Pick = Callable[[list[str]], tuple[Filter, ViewState] | None]


def chart(fig, key: str, data: pd.DataFrame, *, csv_name: str, on_pick: Pick | None = None) -> None:
    """Render a figure with its CSV; when `on_pick` is given, a click on a point rewrites the URL.

    `on_pick` receives the clicked point's customdata and returns the new (Filter, ViewState).
    A selection is acted on once (Streamlit keeps it in widget state across reruns).
    """
    if st.context.is_embedded:
        fig.update_layout(font_size=17, title_font_size=22)  # presenter mode: readable from the back row
    event = st.plotly_chart(
        fig,
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
    seen_key = f"_seen_{key}"
    if sig == st.session_state.get(seen_key, "[]"):
        return
    st.session_state[seen_key] = sig
    if not ids:
        return
    target = on_pick(ids[0])
    if target is None:
        return
    st.session_state["_anchor"] = key
    set_url(*target)
    st.rerun()


def sections(key: str, labels: dict[str, str], flt: Filter, view: ViewState) -> tuple[str, Any]:
    """Tabs for a page's lower half whose open tab is in the link (`section=`): (its slug, its container).

    Only the open tab's content is drawn (the page checks the slug), so a first visit renders the top
    charts without waiting for every chart below them; a shared link reopens the same tab.
    """
    slugs = list(labels)
    active = view.section if view.section in labels else slugs[0]
    st.session_state[key] = labels[active]  # the URL wins on every run, like the sidebar widgets

    def _on_change() -> None:
        label = st.session_state[key]
        slug = next((s for s, lbl in labels.items() if lbl == label), slugs[0])
        set_url(flt, replace(view, section=None if slug == slugs[0] else slug))

    tabs = st.tabs(list(labels.values()), key=key, on_change=_on_change)
    return active, tabs[slugs.index(active)]


def drill_to(flt: Filter, view: ViewState, dimension: str | None) -> Pick:
    """A picker for charts whose points carry [key, period]: show the articles behind that point."""

    def pick(ids: list[str]) -> tuple[Filter, ViewState]:
        key = ids[0] if ids and ids[0] else None
        period = _to_date(ids[1]) if len(ids) > 1 and ids[1] else None
        return flt, replace(view, drill_dimension=dimension if key else None, drill_key=key,
                            drill_period=period, article=None, page=0)

    return pick


def open_article(flt: Filter, view: ViewState) -> Pick:
    """A picker for charts whose points carry [article_id]: open that article in full."""

    def pick(ids: list[str]) -> tuple[Filter, ViewState] | None:
        raw = ids[0] if ids else ""
        if not raw.isdigit():
            return None
        return flt, replace(view, article=int(raw))

    return pick


def anchor_here(key: str, flt: Filter, view: ViewState, *, dimension: str | None = None) -> bool:
    """Draw the drill/article panel right below the chart the user clicked (or the first chart of the
    drilled dimension when the view came from a link). Returns True if it was drawn here."""
    if st.session_state.get("_panel_drawn"):
        return False
    anchor = st.session_state.get("_anchor")
    if anchor == key or (anchor is None and dimension and dimension == view.drill_dimension):
        return panel(flt, view)
    return False


def page_setup(page: str) -> tuple[Filter, ViewState, dict | None]:
    """What every page does first: decode the URL, title, synthetic-data banner.

    The sidebar (filters, share link) is drawn by `end_page` / `stop` after the page's content, so the
    browser renders the first chart before the sidebar widgets (about 0.4 s sooner on a busy machine).
    """
    _route_through_app()
    _keep_filters_across_pages(page)
    st.session_state["_page"] = page
    st.session_state["_panel_drawn"] = False
    presenter_css()
    st.title(links.PAGES[page][1])
    flt, view = current_state()
    info = summary()
    st.session_state["_info"] = info
    synthetic_banner(info)
    return flt, view, info


ROUTED_KEY = "_routed"  # set by app.py once its router has run in this session


def _route_through_app() -> None:
    """Rerun through app.py when Streamlit ran this page file on its own.

    Streamlit decides per server process whether a `pages/` folder means its old file-name routing; only
    the first run of app.py (its `st.navigation`) turns that off. So when the first request a fresh server
    gets is a deep link (`/countries?...`, a shared link), Streamlit runs pages/countries.py directly:
    no router, no wide layout, a menu of file names. Switch the old routing off and rerun; the URL, and
    so the view, stays the same.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old routing
        return
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED_KEY):
        PagesManager.uses_pages_directory = False
        st.rerun()


def end_page(flt: Filter, view: ViewState, *, panel_fallback: bool = True) -> None:
    """What every page does last: the drill/article panel if no chart claimed it, then the sidebar."""
    if panel_fallback and not st.session_state.get("_panel_drawn"):
        panel(flt, view)
    sidebar_filters(flt, st.session_state.get("_info"))
    share_box(flt, view)


def stop(flt: Filter, view: ViewState) -> None:
    """End the page early (an empty state) but still draw the sidebar, so the user can widen the filter."""
    end_page(flt, view)
    st.stop()


def _keep_filters_across_pages(page: str) -> None:
    """Streamlit drops query parameters when the user switches page in the menu; carry the filter over."""
    from trends.filters import VIEW_PARAM_NAMES

    previous = st.session_state.get("_page")
    saved = st.session_state.get("_filter_params")
    has_params = any(k != "v" and k not in VIEW_PARAM_NAMES for k in st.query_params)
    if previous and previous != page and saved and len(saved) > 1 and not has_params:
        st.query_params.from_dict(saved)


def panel(flt: Filter, view: ViewState) -> bool:
    drawn = False
    if view.drill_key or view.drill_period:
        drill_list(flt, view)
        drawn = True
    if view.article is not None:
        article_view(flt, view)
        drawn = True
    if drawn:
        st.session_state["_panel_drawn"] = True
    return drawn


def _drill_title(view: ViewState, grain: str) -> str:
    parts = []
    if view.drill_key:
        dim = view.drill_dimension or ""
        label = view.drill_key
        if dim in ("topic", "theme", "country", "person", "org", "source"):
            label = options(dim, (view.drill_key,))[1].get(view.drill_key, view.drill_key)
        parts.append(f"{DIMENSION_LABELS.get(dim, 'Key')}: {label}")
    if view.drill_period:
        parts.append(f"the {grain} starting {view.drill_period.isoformat()}")
    return ", ".join(parts)


def drill_list(flt: Filter, view: ViewState) -> None:
    """The articles behind the clicked point, with an Open button per row (the second click)."""
    with st.container(border=True, key="drill_panel"):
        head, clear = st.columns([5, 1])
        head.markdown("#### Articles behind " + escape_md(_drill_title(view, flt.grain)))
        if clear.button("Clear", key="drill_clear", icon=":material/close:"):
            set_url(flt, replace(view, drill_dimension=None, drill_key=None, drill_period=None, page=0, article=None))
            st.session_state["_anchor"] = None
            st.rerun()
        sort = view.sort if view.sort in ("views", "date", "growth") else "views"
        try:
            df, total = query("drilldown", flt, dimension=view.drill_dimension, key=view.drill_key,
                              period=view.drill_period, sort=sort, page=view.page, page_size=15)
        except (StoreError, QueryError, duckdb.Error) as exc:
            st.error(f"Could not list the articles: {escape_md(str(exc).splitlines()[0])}")
            return
        if total == 0 or df.empty:
            empty_state("No articles behind this point with the current filters.")
            return
        st.caption(f"{total:,} articles, sorted by {sort}; page {view.page + 1} of {max(1, -(-total // 15))}")
        article_rows(df, flt, view, key_prefix="drill")
        prev, _, nxt = st.columns([1, 4, 1])
        if view.page > 0 and prev.button("Previous", key="drill_prev"):
            set_url(flt, replace(view, page=view.page - 1))
            st.rerun()
        if (view.page + 1) * 15 < total and nxt.button("Next", key="drill_next"):
            set_url(flt, replace(view, page=view.page + 1))
            st.rerun()


def article_rows(df: pd.DataFrame, flt: Filter, view: ViewState, *, key_prefix: str, snippet: bool = False) -> None:
    """One row per article: escaped title, meta line, optional snippet, and an Open button."""
    for row in df.itertuples(index=False):
        aid = int(row.article_id)
        text, button = st.columns([6, 1], vertical_alignment="center")
        published = _to_date(getattr(row, "published", None))
        views = getattr(row, "views", None)
        meta = " · ".join(
            p for p in (
                str(getattr(row, "source", "") or ""),
                published.isoformat() if published else "",
                f"{int(views):,} views" if views is not None and not pd.isna(views) else "",
            ) if p
        )
        text.markdown(f"**{escape_md(row.title)}**  \n{escape_md(meta)}")
        if snippet and getattr(row, "snippet", None):
            text.caption(escape_md(row.snippet))
        if button.button("Open", key=f"{key_prefix}_open_{aid}", icon=":material/open_in_full:"):
            st.session_state["_anchor"] = st.session_state.get("_anchor") or f"{key_prefix}_list"
            set_url(flt, replace(view, article=aid))
            st.rerun()


def article_view(flt: Filter, view: ViewState) -> None:
    """One article in full: metadata, the text with each tag's mentions highlighted, views, related."""
    try:
        art = query("article", view.article)
    except (StoreError, QueryError, duckdb.Error) as exc:
        st.error(f"Could not open the article: {escape_md(str(exc).splitlines()[0])}")
        return
    with st.container(border=True, key="article_panel"):
        head, close = st.columns([5, 1])
        if close.button("Close", key="article_close", icon=":material/close:"):
            set_url(flt, replace(view, article=None))
            st.rerun()
        if not art:
            head.warning(f"No article with id {view.article} in this database.")
            return
        meta = art["meta"]
        head.subheader(escape_md(meta.get("title") or meta.get("headline") or "(untitled)"))
        authors = meta.get("authors")
        if authors is not None and not isinstance(authors, str):
            authors = ", ".join(str(a) for a in authors)
        published = _to_date(meta.get("published"))
        facts = [
            ("Source", meta.get("source")),
            ("Published", published.isoformat() if published else None),
            ("Authors", authors),
            ("Views", f"{int(meta['views']):,}" if meta.get("views") is not None and not pd.isna(meta.get("views")) else None),
            ("Words", meta.get("word_count")),
            ("URL", meta.get("url")),
            ("Article id", meta.get("article_id", view.article)),
        ]
        st.markdown("  \n".join(f"**{k}:** {escape_md(v)}" for k, v in facts if v not in (None, "")))
        if meta.get("synthetic"):
            st.caption("This article is synthetic demo text.")
        tags = art.get("tags")
        if tags is None:
            tags = pd.DataFrame(columns=["kind", "key", "label", "mentions", "score", "method", "spans"])
        text_col, side = st.columns([3, 2])
        with text_col:
            st.markdown("**Text** (each tag's mentions highlighted; hover for the tag)")
            st.html(
                '<div class="article-body" style="white-space:pre-wrap;line-height:1.55;'
                'max-height:32rem;overflow-y:auto;border:1px solid #ddd;padding:0.8rem;border-radius:6px">'
                + highlight_html(str(art.get("body_text") or ""), tags)
                + "</div>"
            )
        with side:
            st.markdown("**Tags** (why: mentions and method)")
            if len(tags):
                st.dataframe(tags[[c for c in ("kind", "label", "mentions", "score", "method") if c in tags]],
                             hide_index=True, width="stretch")
            else:
                st.caption("No tags.")
            hist = art.get("views")
            if hist is not None and len(hist):
                st.plotly_chart(charts.view_history(hist, "Views at each snapshot"), key="article_views",
                                config=plotly_config(), width="stretch")
                csv_button(hist, f"views-{view.article}", "article_views")
            related = art.get("related")
            if related is not None and len(related):
                st.markdown("**Related (Read also)**")
                for r in related.itertuples(index=False):
                    target = getattr(r, "target_id", None)
                    if target is not None and not pd.isna(target):
                        if st.button(escape_md(r.title), key=f"related_{int(target)}_{r.position}", type="tertiary"):
                            set_url(flt, replace(view, article=int(target)))
                            st.rerun()
                    else:
                        st.caption(escape_md(r.title) + " (not in this database)")


def metric_delta(current: float | int | None, previous: float | int | None) -> str | None:
    """'+12.5%' style change vs the previous period, or None when there is nothing to compare."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous) or previous == 0:
        return None
    return f"{(current - previous) / previous:+.1%}"
