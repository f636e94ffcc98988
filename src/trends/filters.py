"""The filter object and the one codec between it (plus page view state) and URL query parameters.

Every dashboard view is a link: ``?v=1&from=2023-01-01&to=2023-06-30&grain=month&topic=ukraine-war&country=RUS,CHN``.
The form is stable and readable, lists are comma separated (a literal comma inside a value is written
``\\,``), and ``v`` names the codec version. Links from the pre-release form (``v`` absent, with
``start``/``end``/``topics``/``countries``/... names) still decode. Decoding never raises: a bad value
is dropped (or clamped into range) and reported as a notice the page can show, so whatever a link
says, the pages only ever see values the queries can answer: dates within `MIN_DATE`..`MAX_DATE`
(and, with ``data_range``, within the data's span), ids within their type, bounded lists and text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

CODEC_VERSION = 1
GRAINS = ("day", "week", "month", "quarter", "year")
DIMENSIONS = ("topic", "theme", "country", "person", "org", "source", "author")
MEASURES = ("count", "share", "share_active")  # share_active: trends.queries.timeseries.SHARE_ACTIVE_EXPLAINED
SORTS = ("views", "date", "growth", "relevance")
# The tab a page shows below its first charts (pages draw only the open tab; see trends.ui.sections).
SECTIONS = ("views-by", "distribution", "age", "trends", "together", "network", "coverage", "rejects")
# Which stretch of the archive a link shows when it names no dates (trends.ui.span resolves them):
# the whole archive, its core span or its densest span (trends.queries.coverage.CORE_SPAN_RULE /
# DENSEST_SPAN_RULE). Absent: the core span on an archive with empty months, else the whole archive.
SPANS = ("all", "core", "densest")
MAP_SCALES = ("log", "quantile", "linear")  # as trends.charts.maps.MAP_SCALES (no chart import here)

# Filter list field -> URL parameter name (singular, as a person would type it).
_LIST_PARAMS = {
    "sources": "source",
    "authors": "author",
    "topics": "topic",
    "themes": "theme",
    "countries": "country",
    "people": "person",
    "orgs": "org",
}
# Parameter names of the pre-release (version 0) links.
_LEGACY_NAMES = {
    "start": "from",
    "end": "to",
    **_LIST_PARAMS,  # plural field names (sources=...) were the parameter names
    "organisations": "org",
    "query": "q",
    "minviews": "min_views",
}
_MAX_TEXT = 200
_MAX_ITEMS = 50
_MAX_NOTICES = 8  # a link with a thousand bad values gets a short list, not a wall of text
# Dates a link may name: the archive's plausible span. Outside it date arithmetic (a period before
# year 1, after year 9999) would fail deep inside a query; inside it every grain step is safe.
MIN_DATE = dt.date(1800, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_VIEWS = 10**12  # the largest view count the ingest stores
MAX_ARTICLE_ID = 2**63 - 1  # article ids are 63-bit (trends.store.stable_id)
MAX_PAGE = 99_999
# Parameters Streamlit itself reads from the address (presenter mode); not ours, never reported.
STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_KEY_RE = re.compile(r"^[\w .,&'()/+:-]{1,120}$", re.UNICODE)  # a comma arrives unescaped from _split


@dataclass(frozen=True)
class Filter:
    """What the user is looking at. Immutable and hashable, so it can key caches directly."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    grain: str = "month"
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    text: str = ""
    min_views: int | None = None
    synthetic: bool = True  # include synthetic demo articles
    span: str | None = None  # one of SPANS; only consulted when the link names no dates

    def replace(self, **changes) -> "Filter":
        return dataclasses.replace(self, **changes)

    def tag_filters(self) -> dict[str, tuple[str, ...]]:
        """Tag kind -> keys the article must carry (any of), for the kinds that are tags."""
        pairs = {
            "topic": self.topics,
            "theme": self.themes,
            "country": self.countries,
            "person": self.people,
            "org": self.orgs,
        }
        return {kind: keys for kind, keys in pairs.items() if keys}

    def is_default(self) -> bool:
        return self == Filter()


@dataclass(frozen=True)
class ViewState:
    """Page state that is not a filter but must survive a reload or a shared link."""

    dimension: str | None = None  # which dimension a chart shows
    measure: str | None = None  # count | share
    compare: tuple[str, ...] = ()  # up to 6 keys side by side
    drill_dimension: str | None = None  # the chart point the user clicked: dimension, key, period
    drill_key: str | None = None
    drill_key_b: str | None = None  # a second key of the same dimension: the edge of a co-mention network
    drill_period: dt.date | None = None
    period: dt.date | None = None  # the period a map shows (None = the whole range)
    article: int | None = None  # the article opened in full
    sort: str | None = None
    page: int = 0
    section: str | None = None  # the open tab of a page's lower half (None = its first tab)
    scale: str | None = None  # the map's colour scale (None = log)


def _split(value: str) -> list[str]:
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


def _join(values: Iterable[str]) -> str:
    return ",".join(v.replace(",", "\\,") for v in values)


def _first(params: Mapping[str, object], name: str, *, joined: bool = True) -> str | None:
    """One parameter as a string; a repeated one is joined (list parameters) or its first value kept."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        return ",".join(str(v) for v in value) if joined else str(value[0])
    return str(value)


def _is_ascii_digits(raw: str) -> bool:
    """str.isdigit() accepts digits int() cannot read (superscripts); links only carry 0-9."""
    return raw.isascii() and raw.isdigit()


def _parse_date(raw: str) -> dt.date:
    return dt.date.fromisoformat(raw.strip()[:10])


def _date_param(p: Mapping[str, str], name: str, notices: list[str]) -> dt.date | None:
    """A YYYY-MM-DD parameter, clamped to MIN_DATE..MAX_DATE (with a notice), or None if absent or bad."""
    if name not in p:
        return None
    raw = p[name]
    match = re.match(r"\s*([+-]?\d{1,9})-(\d{2})-(\d{2})", raw)
    if match and not (1 <= int(match[1]) <= 9999):  # a valid shape, but a year no date can hold
        day = MIN_DATE if int(match[1]) < MIN_DATE.year else MAX_DATE
        notices.append(f"{name}={raw[:20]!r} is outside {MIN_DATE}..{MAX_DATE}; read as {day}")
        return day
    try:
        day = _parse_date(raw)
    except ValueError:
        notices.append(f"ignored {name}={raw[:40]!r}: not a date (use YYYY-MM-DD)")
        return None
    if not MIN_DATE <= day <= MAX_DATE:
        clamped = min(max(day, MIN_DATE), MAX_DATE)
        notices.append(f"{name}={day} is outside {MIN_DATE}..{MAX_DATE}; read as {clamped}")
        return clamped
    return day


def _whole_number(p: Mapping[str, str], name: str, maximum: int, notices: list[str], *, what: str) -> int | None:
    """A parameter of ASCII digits as an int in 0..maximum (a larger one is clamped, with a notice)."""
    if name not in p:
        return None
    raw = p[name].strip()
    if not _is_ascii_digits(raw):
        notices.append(f"ignored {name}={raw[:20]!r}: not {what}")
        return None
    value = int(raw[:40]) if len(raw) <= 40 else maximum + 1
    if value > maximum:
        notices.append(f"{name}={raw[:20]!r} is larger than {maximum:,}; read as {maximum:,}")
        return maximum
    return value


def _bounded(notices: list[str]) -> list[str]:
    """At most _MAX_NOTICES notices; the rest are counted."""
    if len(notices) <= _MAX_NOTICES:
        return notices
    return notices[:_MAX_NOTICES] + [f"and {len(notices) - _MAX_NOTICES} more"]


def _clean_keys(raw: str, name: str, notices: list[str]) -> tuple[str, ...]:
    keys: list[str] = []
    for item in _split(raw):
        if not _KEY_RE.match(item):
            notices.append(f"ignored {name}={item[:40]!r}: not a valid value")
            continue
        if item not in keys:
            keys.append(item)
    if len(keys) > _MAX_ITEMS:
        notices.append(f"kept the first {_MAX_ITEMS} values of {name}")
        keys = keys[:_MAX_ITEMS]
    return tuple(keys)


def normalise_params(params: Mapping[str, object]) -> dict[str, str]:
    """Flatten a query-parameter mapping and translate pre-release names to current ones."""
    flat: dict[str, str] = {}
    legacy = _first(params, "v", joined=False) is None
    for name in params:
        target = _LEGACY_NAMES.get(name, name) if legacy else name
        value = _first(params, name, joined=target in LIST_PARAM_NAMES)
        if value is None:
            continue
        flat.setdefault(target, value)
    return flat


def unknown_params(params: Mapping[str, object]) -> list[str]:
    """Notices for parameter names no page reads (dropped from the link; Streamlit's own are kept)."""
    known = PARAM_NAMES | VIEW_PARAM_NAMES | STREAMLIT_PARAMS
    legacy = _first(params, "v", joined=False) is None
    names = [str(n) for n in params if (_LEGACY_NAMES.get(n, n) if legacy else n) not in known]
    if not names:
        return []
    shown = ", ".join(repr(_CONTROL.sub("?", n[:30])) for n in names[:5]) + (" …" if len(names) > 5 else "")
    return [f"ignored unknown parameter{'s' if len(names) > 1 else ''} {shown}"]


def within(flt: Filter, first: dt.date | None, last: dt.date | None) -> Filter:
    """The filter with date bounds outside the data's span [first, last] opened (set to None).

    The answer is the same (no article lies outside the span), but the queries no longer lay out
    empty periods back to 1800 or on to 2100; a bound inside the span, or a range wholly outside it
    (an empty result), is kept as it is.
    """
    changes: dict[str, object] = {}
    if first and flt.date_from and flt.date_from <= first and (flt.date_to is None or flt.date_to >= first):
        changes["date_from"] = None
    if last and flt.date_to and flt.date_to >= last and (flt.date_from is None or flt.date_from <= last):
        changes["date_to"] = None
    return flt.replace(**changes) if changes else flt


def decode(
    params: Mapping[str, object], data_range: tuple[dt.date | None, dt.date | None] | None = None
) -> tuple[Filter, list[str]]:
    """Query parameters -> (Filter, notices). Unknown parameters are left for the page (see
    `unknown_params`); bad values dropped, out-of-range ones clamped. With ``data_range`` (the data's
    first and last date), bounds beyond the data are opened (`within`)."""
    notices: list[str] = []
    p = normalise_params(params)
    version = p.get("v")
    if version is not None and version not in {str(v) for v in range(0, CODEC_VERSION + 1)}:
        notices.append(f"link version v={version[:10]!r} is unknown; read it as version {CODEC_VERSION}")
    values: dict[str, object] = {}
    for name, attr in (("from", "date_from"), ("to", "date_to")):
        day = _date_param(p, name, notices)
        if day is not None:
            values[attr] = day
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        notices.append("ignored to=: it is before from=")
        values.pop("date_to")
    if "grain" in p:
        if p["grain"] in GRAINS:
            values["grain"] = p["grain"]
        else:
            notices.append(f"ignored grain={p['grain'][:20]!r}: use one of {', '.join(GRAINS)}")
    for attr, name in _LIST_PARAMS.items():
        if name in p:
            values[attr] = _clean_keys(p[name], name, notices)
    if "q" in p:
        text = p["q"]
        if _CONTROL.search(text):
            notices.append("replaced control characters in q= with spaces")
            text = _CONTROL.sub(" ", text)
        text = text.strip()
        if len(text) > _MAX_TEXT:
            notices.append(f"shortened q= to {_MAX_TEXT} characters")
            text = text[:_MAX_TEXT].strip()
        values["text"] = text
    min_views = _whole_number(p, "min_views", MAX_VIEWS, notices, what="a whole number >= 0")
    if min_views is not None:
        values["min_views"] = min_views
    if "synthetic" in p:
        raw = p["synthetic"].strip().lower()
        if raw in {"0", "1", "true", "false", "on", "off", "yes", "no"}:
            values["synthetic"] = raw in {"1", "true", "on", "yes"}
        else:
            notices.append(f"ignored synthetic={raw[:20]!r}: use 0 or 1")
    if "span" in p:
        if p["span"] in SPANS:
            values["span"] = p["span"]
        else:
            notices.append(f"ignored span={p['span'][:20]!r}: use one of {', '.join(SPANS)}")
    flt = Filter(**values)
    if data_range is not None:
        flt = within(flt, *data_range)
    return flt, _bounded(notices)


def encode(flt: Filter) -> dict[str, str]:
    """Filter -> query parameters, only those that differ from the default, in a stable order."""
    out: dict[str, str] = {"v": str(CODEC_VERSION)}
    if flt.date_from:
        out["from"] = flt.date_from.isoformat()
    if flt.date_to:
        out["to"] = flt.date_to.isoformat()
    if flt.grain != "month":
        out["grain"] = flt.grain
    for attr, name in _LIST_PARAMS.items():
        values = getattr(flt, attr)
        if values:
            out[name] = _join(values)
    if flt.text:
        out["q"] = flt.text
    if flt.min_views is not None:
        out["min_views"] = str(flt.min_views)
    if not flt.synthetic:
        out["synthetic"] = "0"
    if flt.span:
        out["span"] = flt.span
    return out


def decode_view(params: Mapping[str, object]) -> tuple[ViewState, list[str]]:
    """Query parameters -> (ViewState, notices), with the same never-raise rule as `decode`."""
    notices: list[str] = []
    p = normalise_params(params)
    values: dict[str, object] = {}
    choices = (  # URL name, ViewState field, allowed values, why a bad value is ignored
        ("dim", "dimension", DIMENSIONS, "unknown dimension"),
        ("drill_dim", "drill_dimension", DIMENSIONS, "unknown dimension"),
        ("measure", "measure", MEASURES, "use count, share or share_active"),
        ("sort", "sort", SORTS, f"use one of {', '.join(SORTS)}"),
        ("section", "section", SECTIONS, "no such tab"),
        ("scale", "scale", MAP_SCALES, f"use one of {', '.join(MAP_SCALES)}"),
    )
    for url_name, name, allowed, why in choices:
        if url_name in p:
            if p[url_name] in allowed:
                values[name] = p[url_name]
            else:
                notices.append(f"ignored {url_name}={p[url_name][:20]!r}: {why}")
    for name in ("drill_period", "period"):
        day = _date_param(p, name, notices)
        if day is not None:
            values[name] = day
    if "compare" in p:
        keys = _clean_keys(p["compare"], "compare", notices)
        if len(keys) > 6:
            notices.append("compare shows at most 6 keys; kept the first 6")
        values["compare"] = keys[:6]
    for name in ("drill_key", "drill_key_b"):
        if name in p:
            keys = _clean_keys(p[name].replace(",", "\\,"), name, notices)
            if keys:
                values[name] = keys[0]
    if "article" in p:
        raw = p["article"].strip()
        if _is_ascii_digits(raw) and len(raw) <= 19 and int(raw) <= MAX_ARTICLE_ID:
            values["article"] = int(raw)
        else:
            notices.append(f"ignored article={raw[:20]!r}: not an article id")
    page = _whole_number(p, "page", MAX_PAGE, notices, what="a page number")
    if page is not None:
        values["page"] = page
    return ViewState(**values), _bounded(notices)


def encode_view(view: ViewState) -> dict[str, str]:
    out: dict[str, str] = {}
    if view.dimension:
        out["dim"] = view.dimension
    if view.measure:
        out["measure"] = view.measure
    if view.compare:
        out["compare"] = _join(view.compare)
    if view.drill_dimension:
        out["drill_dim"] = view.drill_dimension
    if view.drill_key:
        out["drill_key"] = view.drill_key
    if view.drill_key_b:
        out["drill_key_b"] = view.drill_key_b
    if view.drill_period:
        out["drill_period"] = view.drill_period.isoformat()
    if view.period:
        out["period"] = view.period.isoformat()
    if view.article is not None:
        out["article"] = str(view.article)
    if view.sort:
        out["sort"] = view.sort
    if view.page:
        out["page"] = str(view.page)
    if view.section:
        out["section"] = view.section
    if view.scale:
        out["scale"] = view.scale
    return out


VIEW_PARAM_NAMES = frozenset(
    {"dim", "measure", "compare", "drill_dim", "drill_key", "drill_key_b", "drill_period", "period", "article", "sort",
     "page", "section", "scale"}
)
PARAM_NAMES = frozenset({"v", "from", "to", "grain", "q", "min_views", "synthetic", "span", *_LIST_PARAMS.values()})
LIST_PARAM_NAMES = frozenset({*_LIST_PARAMS.values(), "compare"})
