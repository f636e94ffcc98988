"""What a record may hold, checked at the edge (in the parsers) so nothing odd reaches the database.

Every parser's Records pass `check_record` before they are yielded: a record over a limit becomes a
Reject with a one-line reason instead of a 50 MB title in the search index or a view count that
overflows the roll-ups. The size limits are set by environment variables (read once per input, so
a process pool inherits them); the value ranges are fixed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass, fields

from trends.parsing.model import Record, RecordError

MAX_VIEWS = 10**12  # a trillion views: more than any page has had; sums over a million articles still fit BIGINT
MIN_YEAR, MAX_YEAR = 1800, 2100  # published dates and observation times outside this are typos, not history
FUTURE_SLACK = dt.timedelta(days=2)  # time zones and scheduled posts: "today" may be tomorrow somewhere


@dataclass(frozen=True)
class Limits:
    """Size limits per field (characters; list lengths in items). Defaults fit every real archive we know."""

    title_chars: int = 1_000
    body_chars: int = 1_000_000
    source_chars: int = 200
    author_chars: int = 200
    authors: int = 100
    related: int = 500
    related_chars: int = 1_000
    url_chars: int = 4_096
    id_chars: int = 1_000
    language_chars: int = 50
    encoding_confidence: float = 0.5  # see trends.parsing.text: below this a guessed encoding is a reject

    @classmethod
    def from_env(cls, environ=None) -> Limits:
        """Defaults overridden by ``TRENDS_MAX_<FIELD>`` (e.g. TRENDS_MAX_TITLE_CHARS=5000) and
        ``TRENDS_MIN_ENCODING_CONFIDENCE``; ValueError (a usage error) for a value that is not a number.

        Called for every input file, so it costs one lookup per variable (results are cached).
        """
        environ = os.environ if environ is None else environ
        raw = tuple(environ.get(name) for _, name in _ENV_ITEMS)
        cached = _FROM_ENV_CACHE.get(raw)
        if cached is None:
            cached = _FROM_ENV_CACHE[raw] = cls._parse_env(raw) if any(raw) else cls()
        return cached

    @classmethod
    def _parse_env(cls, raw: tuple) -> Limits:
        values = {}
        for (field_name, name), text in zip(_ENV_ITEMS, raw):
            if text is None or not text.strip():
                continue
            try:
                value = float(text) if field_name == "encoding_confidence" else int(text.replace("_", "").replace(",", ""))
            except ValueError:
                raise ValueError(f"{name}={text!r} is not a number") from None
            if field_name == "encoding_confidence" and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={text!r} must be between 0 and 1")
            if field_name != "encoding_confidence" and value < 1:
                raise ValueError(f"{name}={text!r} must be a positive whole number")
            values[field_name] = value
        return cls(**values)


ENV_NAMES = {f.name: f"TRENDS_MAX_{f.name.upper()}" for f in fields(Limits)}
ENV_NAMES["encoding_confidence"] = "TRENDS_MIN_ENCODING_CONFIDENCE"
_ENV_ITEMS = tuple(ENV_NAMES.items())
_FROM_ENV_CACHE: dict[tuple, Limits] = {}

# Lone surrogates (JSON "\ud800", undecodable bytes) cannot be stored as UTF-8 anywhere downstream.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def check_views(number: int, raw: object = None) -> int:
    """A view count in 0..MAX_VIEWS, or RecordError."""
    shown = raw if raw is not None else number
    if number < 0:
        raise RecordError(f"negative view count {str(shown)[:30]!r}")
    if number > MAX_VIEWS:
        raise RecordError(f"view count {str(shown)[:30]!r} is out of range (more than 10^12)")
    return number


def check_date(value: dt.date, raw: str = "") -> dt.date:
    """A date within MIN_YEAR..MAX_YEAR and not in the future, or RecordError."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if MIN_YEAR <= value.year and day <= _latest_date():
        return value
    shown = (raw or value.isoformat()).strip()[:40]
    if value.year < MIN_YEAR:
        raise RecordError(f"impossible date {shown!r}: before {MIN_YEAR}")
    raise RecordError(f"impossible date {shown!r}: in the future")


_latest = (0.0, dt.date(MIN_YEAR, 1, 1))


def _latest_date() -> dt.date:
    """The last acceptable date: today + FUTURE_SLACK, capped at MAX_YEAR (looked up once a minute, not per row)."""
    global _latest
    checked, latest = _latest
    now = time.monotonic()
    if now - checked > 60 or checked == 0.0:
        latest = min(dt.date.today() + FUTURE_SLACK, dt.date(MAX_YEAR, 12, 31))
        _latest = (now, latest)
    return latest


def check_record(rec: Record, limits: Limits) -> Record:
    """``rec`` when every field is within its limit, else RecordError naming the first field that is not."""
    check_text("title", rec.title, limits.title_chars)
    check_text("headline", rec.headline, limits.title_chars)
    check_text("body", rec.body, limits.body_chars)
    check_text("source", rec.source, limits.source_chars)
    check_text("url", rec.url, limits.url_chars)
    check_text("id", rec.record_id, limits.id_chars)
    check_text("language", rec.language, limits.language_chars)
    _check_list("authors", rec.authors, limits.authors, limits.author_chars)
    _check_list("related", rec.related, limits.related, limits.related_chars)
    if rec.views is not None:
        check_views(rec.views)
    if rec.published is not None:
        check_date(rec.published)
    if rec.observed_at is not None:
        check_date(rec.observed_at, rec.observed_at.isoformat())
    return rec


def check_text(field: str, value: str | None, limit: int) -> None:
    """RecordError when ``value`` is not text, is longer than ``limit`` or holds a lone surrogate."""
    if value is None:
        return
    if not isinstance(value, str):
        raise RecordError(f"{field} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise RecordError(f"{field} too long: {len(value):,} characters (limit {limit:,}, {ENV_NAME_HINT[field]})")
    if _SURROGATE_RE.search(value):
        raise RecordError(f"{field} holds an invalid character (a lone UTF-16 surrogate)")


def _check_list(field: str, values: list[str], max_items: int, max_chars: int) -> None:
    if len(values) > max_items:
        raise RecordError(f"too many {field}: {len(values):,} (limit {max_items:,}, {ENV_NAME_HINT[field + '_count']})")
    for value in values:
        if not isinstance(value, str):
            raise RecordError(f"{field} must be text, not {type(value).__name__}")
        if len(value) > max_chars:
            raise RecordError(
                f"{field} entry too long: {len(value):,} characters (limit {max_chars:,}, {ENV_NAME_HINT[field]})"
            )
        if _SURROGATE_RE.search(value):
            raise RecordError(f"{field} holds an invalid character (a lone UTF-16 surrogate)")


ENV_NAME_HINT = {
    "title": f"set {ENV_NAMES['title_chars']}", "headline": f"set {ENV_NAMES['title_chars']}",
    "body": f"set {ENV_NAMES['body_chars']}", "source": f"set {ENV_NAMES['source_chars']}",
    "url": f"set {ENV_NAMES['url_chars']}", "id": f"set {ENV_NAMES['id_chars']}",
    "language": f"set {ENV_NAMES['language_chars']}",
    "authors": f"set {ENV_NAMES['author_chars']}", "authors_count": f"set {ENV_NAMES['authors']}",
    "related": f"set {ENV_NAMES['related_chars']}", "related_count": f"set {ENV_NAMES['related']}",
}
