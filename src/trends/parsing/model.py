"""The parsed-record and reject types every parser yields (the contract between parsing and ingest)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field


@dataclass
class Record:
    """One article as read from an input, before it has an id or tags.

    ``title`` is the full title line, ``headline`` the title without a ``SOURCE:`` prefix. ``input``
    names the file plus a locator for the record inside it (``file.csv#row=12``). ``record_id`` is an
    explicit identity from a mapped id column (tables only); ``observed_at`` says when ``views`` was
    read (None: the ingest time).
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

    def line(self) -> str:
        where = self.input + (f"#{self.record}" if self.record else "")
        return f"rejected {where}: {self.reason}"


class RecordError(ValueError):
    """Raised inside a parser for one bad record; the caller turns it into a Reject."""


def excerpt_of(text: str | bytes | None, limit: int = 200) -> str | None:
    """A short printable excerpt of a bad input, for the rejects table."""
    if not text:
        return None
    if isinstance(text, bytes):
        text = text[:limit * 2].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text[: limit * 2])
    text = " ".join(text.split())
    return text[:limit]
