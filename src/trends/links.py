"""Every dashboard URL: page + Filter + ViewState, always through the one codec in trends.filters.

Pages never assemble query strings themselves; they ask this module, so a shared link, a drill-down
link and the presenter link all read back identically with `filters.decode` / `filters.decode_view`.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from trends.filters import Filter, ViewState, encode, encode_view

# url_path -> (file, title, icon). The first page is the default one (served at "/").
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("pages/overview.py", "Overview", ":material/dashboard:"),
    "topics": ("pages/topics.py", "Topics & themes", ":material/label:"),
    "countries": ("pages/countries.py", "Countries", ":material/public:"),
    "readership": ("pages/readership.py", "Readership", ":material/visibility:"),
    "articles": ("pages/articles.py", "Articles", ":material/article:"),
    "about": ("pages/about.py", "About the data", ":material/info:"),
}
DEFAULT_BASE = "http://localhost:8501"


def params(flt: Filter, view: ViewState | None = None, *, embed: bool = False) -> dict[str, str]:
    """The query parameters of a view (filter first, then page state), in a stable order."""
    out = dict(encode(flt))
    if view is not None:
        out.update(encode_view(view))
    if embed:
        out["embed"] = "true"
    return out


def query_string(flt: Filter, view: ViewState | None = None, *, embed: bool = False) -> str:
    # Commas and colons stay readable: they are list separators / ISO dates in this codec.
    return urlencode(params(flt, view, embed=embed), safe=",:")


def base_url(context_url: str | None) -> str:
    """scheme://host[:port] plus any path prefix the app is served under, from `st.context.url`."""
    if not context_url:
        return DEFAULT_BASE
    parts = urlsplit(context_url)
    if not parts.scheme or not parts.netloc:
        return DEFAULT_BASE
    path = parts.path.rstrip("/")
    # Drop a trailing page name so the base is the app root.
    head, _, last = path.rpartition("/")
    if last in PAGES:
        path = head
    return f"{parts.scheme}://{parts.netloc}{path}"


def page_url(
    page: str,
    flt: Filter,
    view: ViewState | None = None,
    *,
    base: str = DEFAULT_BASE,
    embed: bool = False,
) -> str:
    """The full link to `page` (a key of PAGES) showing `flt` and `view`."""
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}; use one of {', '.join(PAGES)}")
    query = query_string(flt, view, embed=embed)
    path = "" if page == next(iter(PAGES)) else page
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if query else "")


def static_url(base: str = DEFAULT_BASE) -> str:
    """Where Streamlit serves ./static (used as Plotly's topojsonURL so maps work offline)."""
    return f"{base.rstrip('/')}/app/static/"
