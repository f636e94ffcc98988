"""The parsed-record and reject types every parser yields (the contract between parsing and ingest)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field


@dataclass
class Record:
    """One article as read from an input, before it has an id or tags.

    ``title`` is the full title line, ``headline`` the title without a ``SOURCE:`` prefix. ``input``
    names the file plus a locator for the record inside it (``file.csv#row=12``). ``record_id`` is an
    explicit identity from a mapped id column (tables only); ``observed_at`` says when ``views`` was
    read (None: the ingest time). ``encoding`` is the text encoding the input was decoded from (None
    for typed inputs such as Parquet); ``notes`` are one-line remarks a reader of the article should
    be able to see, e.g. that its encoding was guessed by a detector rather than known.
    """

    title: str
    headline: str
    source: str | None = None
    published: dt.date | None = None
    views: int | None = None
    authors: list[str] = field(default_factory=list)
    body: str = ""
    related: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None
    input: str = "<text>"
    format: str = "seed"
    synthetic: bool = False
    observed_at: dt.datetime | None = None
    record_id: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """A JSON-ready dict (dates as YYYY-MM-DD, timestamps ISO 8601)."""
        out = asdict(self)
        out["published"] = self.published.isoformat() if self.published else None
        out["observed_at"] = self.observed_at.isoformat() if self.observed_at else None
        return out


@dataclass
class Reject:
    """An input (or one record of it) that could not be turned into a Record, and the one-line why."""

    input: str
    reason: str
    record: str | None = None  # locator inside the input, e.g. "row=12" / "line=7"
    excerpt: str | None = None

    def __post_init__(self) -> None:
        # A file name that is not valid UTF-8 arrives with surrogate escapes, which no database or
        # Arrow string can hold: store it with its odd bytes spelled out instead.
        self.input = storable(self.input)
        self.reason = storable(self.reason)

    def line(self) -> str:
        """The one line shown for this reject; control characters are escaped so it stays one line."""
        where = self.input + (f"#{self.record}" if self.record else "")
        return printable(f"rejected {where}: {self.reason}")


class RecordError(ValueError):
    """Raised inside a parser for one bad record; the caller turns it into a Reject."""


_SURROGATES = re.compile("[\ud800-\udfff]")
# Characters that move the cursor, recolour the terminal or reorder text: a file name holding them
# could forge or hide lines of output (C0/C1 controls, line/paragraph separators, bidi overrides,
# zero-width marks, BOM).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with lone surrogates (undecodable file-name bytes) spelled as ``\\xff`` escapes."""
    if not _SURROGATES.search(text):
        return text
    raw = text.encode("utf-8", "surrogateescape") if all(
        "\udc80" <= ch <= "\udcff" for ch in _SURROGATES.findall(text)
    ) else text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def printable(text: str) -> str:
    """``text`` with every control, separator and bidi character shown as an escape (``\\n``, ``\\x1b``)."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def excerpt_of(text: str | bytes | None, limit: int = 200) -> str | None:
    """A short printable excerpt of a bad input, for the rejects table."""
    if not text:
        return None
    if isinstance(text, bytes):
        text = text[:limit * 2].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text[: limit * 2])
    text = " ".join(text.split())
    return text[:limit]
