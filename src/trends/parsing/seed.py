"""The seed page format: a think-tank commentary digest page as plain text.

    Main » News and comments » 2023 » CFR: Putin-Xi Summit ...     (breadcrumb, optional)
    CFR: Putin-Xi Summit Strengthens Anti-American Partnership       (title; "SOURCE: " prefix optional)
    26.03.2023                                                       (date, dd.mm.yyyy)
    642                                                              (views, optional; "12 345", "1,234")
    According to T.Graham                                            (authors, optional)
    body paragraphs, sub-headings as their own paragraphs
    Read also:                                                       (optional)
    related titles, one per line
"""

from __future__ import annotations

import datetime as dt
import re

from trends.parsing.limits import check_date, check_views
from trends.parsing.model import Record, RecordError

_BREADCRUMB_SEPARATORS = ("»", "›", " > ", " / ")
_DATE_RE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
_DATE_LIKE_RE = re.compile(r"^[\d./\- ]{6,12}$")
_VIEWS_RE = re.compile(r"^(?:views?:?\s*)?(\d{1,3}(?:[ \u00a0\u202f,.'’]\d{3})+|\d+)(?:\s*views?)?$", re.I)
_NEGATIVE_RE = re.compile(r"^[-−]\s*\d")
_AUTHORS_RE = re.compile(r"^(?:according to|by)\s+(.+)$", re.I)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b)\s*", re.I)
_RELATED_RE = re.compile(r"^(?:read also|see also|related)\s*:?$", re.I)
# A source prefix: up to five words before ": ", each capitalised (or a short joiner like "on").
_SOURCE_JOINERS = {"of", "for", "on", "and", "the", "de", "du", "für", "&", "и"}
_HTML_RE = re.compile(r"^\s*<(?:!doctype\s+html|html|head|body|div|p|article)\b", re.I)
_WHITESPACE = "\ufeff\u00a0\u202f\u2007\u200b \t"


def split_source(title: str) -> tuple[str | None, str]:
    """'Chatham House: Headline' -> ('Chatham House', 'Headline'); no prefix -> (None, title)."""
    prefix, sep, rest = title.partition(": ")
    words = prefix.split()
    if not sep or not rest.strip() or not 1 <= len(words) <= 5 or len(prefix) > 60:
        return None, title
    if not all(w[0].isupper() or w[0].isdigit() or w in _SOURCE_JOINERS for w in words):
        return None, title
    return prefix.strip(), rest.strip()


def parse_date(raw: str) -> dt.date:
    """dd.mm.yyyy (or dd/mm/yyyy, yyyy-mm-dd) -> date; RecordError for missing/impossible dates."""
    match = _DATE_RE.match(raw.strip())
    if not match:
        raise RecordError(f"missing date: expected dd.mm.yyyy after the title, found {raw[:40]!r}")
    if match.group(3):
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    else:
        year, month, day = int(match.group(4)), int(match.group(5)), int(match.group(6))
    try:
        value = dt.date(year, month, day)
    except ValueError as exc:
        raise RecordError(f"impossible date {raw.strip()!r}: {exc}") from exc
    return check_date(value, raw)


def parse_views(raw: str) -> int | None:
    """'12 345' / '12\u00a0345' / '1,234' / '642' -> int; None when the line is not a view count."""
    text = raw.strip()
    match = _VIEWS_RE.match(text)
    if match:
        return check_views(int(re.sub(r"\D", "", match.group(1))), text)
    if _NEGATIVE_RE.match(text):
        raise RecordError(f"negative view count {text[:30]!r}")
    return None


def _looks_like_views(line: str) -> bool:
    """The line after the date is meant as a view count when it is short and mostly digits ("12k" counts)."""
    bare = re.sub(r"(?i)\bviews?\b:?", "", line)
    letters = sum(ch.isalpha() for ch in bare)
    return len(line) <= 24 and letters <= 3 and bool(re.search(r"\d", bare)) and not line.endswith((".", "?", "!"))


def split_authors(raw: str) -> list[str]:
    """'A.Smith and B.Jones' / 'A.Smith, B.Jones & C.Lee' -> ['A.Smith', 'B.Jones', ...]."""
    names = (part.strip().rstrip(".").strip() for part in _AUTHOR_SPLIT_RE.split(raw.strip()))
    return [name for name in names if name]


def parse_seed_text(text: str, input: str = "<text>") -> Record:
    """Parse one seed page's text into a Record, or raise RecordError with a one-line reason."""
    if _HTML_RE.match(text[:500]):
        raise RecordError("looks like HTML, not a seed text page (use --format html)")
    lines = [line.strip(_WHITESPACE) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise RecordError("empty file")
    pos = 0
    if any(sep in lines[0] for sep in _BREADCRUMB_SEPARATORS) and len(lines) > 1 and not _DATE_RE.match(lines[1]):
        crumbs = re.split(r"\s*(?:»|›| > | / )\s*", lines[0])
        if len(crumbs) >= 2:
            pos = 1
    if pos >= len(lines):
        raise RecordError("truncated page: no title after the breadcrumb")
    title = lines[pos]
    if len(title) > 400:
        raise RecordError(f"no title line: the first line is {len(title)} characters long (body text?)")
    if _DATE_RE.match(title) or _DATE_LIKE_RE.match(title):
        raise RecordError("missing title: the page starts with a date")
    pos += 1
    if pos >= len(lines):
        raise RecordError("truncated page: nothing after the title (no date, no body)")
    published = parse_date(lines[pos])
    pos += 1
    views = None
    if pos < len(lines) and _looks_like_views(lines[pos]):
        views = parse_views(lines[pos])
        if views is None:
            raise RecordError(f"non-numeric view count {lines[pos][:30]!r}")
        pos += 1
    authors: list[str] = []
    if pos < len(lines):
        match = _AUTHORS_RE.match(lines[pos])
        if match and len(lines[pos]) <= 200:
            authors = split_authors(match.group(1))
            pos += 1
    body_lines: list[str] = []
    related: list[str] = []
    in_related = False
    for line in lines[pos:]:
        if not in_related and _RELATED_RE.match(line):
            in_related = True
            continue
        (related if in_related else body_lines).append(line)
    if not body_lines:
        raise RecordError("truncated page: no body text after the header")
    source, headline = split_source(title)
    return Record(
        title=title,
        headline=headline,
        source=source,
        published=published,
        views=views,
        authors=authors,
        body="\n\n".join(body_lines),
        related=related,
        input=input,
        format="seed",
    )
