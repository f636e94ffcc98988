"""Inputs -> Records: one `parse` entry that detects the format (seed text, HTML, CSV, JSONL, Parquet).

`parse` yields `Record`s and `Reject`s (never raises for bad input), so one bad file or row never
stops a run. `expand_paths` turns command-line paths (files, folders, globs) into files, with a
Reject for each path that cannot be used.
"""

from __future__ import annotations

import glob
import os
import stat
from typing import Iterable, Iterator, Mapping

from trends.parsing.html import declared_charset, parse_html_text
from trends.parsing.limits import Limits, check_record
from trends.parsing.model import Record, RecordError, Reject, excerpt_of, printable, storable
from trends.parsing.seed import parse_seed_text, split_source
from trends.parsing.tables import parse_csv, parse_jsonl, parse_mapping, parse_parquet, unexpected_reason
from trends.parsing.text import MAX_PAGE_BYTES, decode_page

__all__ = [
    "FORMATS", "Limits", "Record", "Reject", "RecordError", "detect_format", "expand_paths", "parse", "parse_mapping",
    "parse_seed_text", "parse_html_text", "printable", "split_source", "storable",
]

FORMATS = ("seed", "html", "csv", "tsv", "jsonl", "parquet")
_FORMAT_ALIASES = {"text": "seed", "txt": "seed", "htm": "html", "ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}
_EXTENSIONS = {
    ".txt": "seed", ".text": "seed", ".page": "seed", "": "seed",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".csv": "csv", ".tsv": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


def normalise_format(fmt: str | None) -> str | None:
    """A --format value -> one of FORMATS; ValueError (a usage error) for anything else."""
    if fmt is None:
        return None
    name = _FORMAT_ALIASES.get(fmt.lower().strip(), fmt.lower().strip())
    if name not in FORMATS:
        raise ValueError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name


def detect_format(name: str, head: bytes = b"") -> str | None:
    """Format from the extension, then from the first bytes; None when it is none we read."""
    suffix = _suffix(name)
    if suffix in _EXTENSIONS and suffix != "":
        return _EXTENSIONS[suffix]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if start.startswith(b"{"):
        return "jsonl"
    if suffix == "":
        return "seed"
    return None


def _suffix(name: str) -> str:
    """'.txt' for 'dir/page.txt' (os.path, not pathlib: this runs once per file of big archives)."""
    base = os.path.basename(name.split("#", 1)[0])
    return os.path.splitext(base)[1].lower() if not base.startswith(".") or base.count(".") > 1 else ""


def page_like(name: str, fmt: str | None = None) -> bool:
    """Is this file one page (seed text / HTML) rather than a table of records?"""
    if fmt:
        return fmt in ("seed", "html")
    return _EXTENSIONS.get(_suffix(name), "seed") in ("seed", "html")


def parse(
    source: str | os.PathLike | bytes,
    fmt: str | None = None,
    mapping: str | Mapping[str, str] | None = None,
    input: str | None = None,
    limits: Limits | None = None,
) -> Iterator[Record | Reject]:
    """Parse one file (path) or one input's bytes into Records, yielding a Reject for each bad part.

    Every Record has passed `check_record` against ``limits`` (default: `Limits.from_env()`); nothing
    raises for bad input, whatever the input holds.
    """
    fmt = normalise_format(fmt)
    columns = parse_mapping(mapping)
    limits = limits or Limits.from_env()
    name = storable(input or ("<bytes>" if isinstance(source, bytes) else os.fspath(source)))
    try:
        for item in _parse(source, name, fmt, columns, limits):
            if isinstance(item, Record):
                item = _checked(item, limits)
            yield item
    except Exception as exc:  # last resort: a parser bug or a library failing on odd input costs this file only
        yield Reject(name, unexpected_reason(exc))


def _checked(rec: Record, limits: Limits) -> Record | Reject:
    try:
        return check_record(rec, limits)
    except RecordError as exc:
        where, _, locator = rec.input.partition("#")
        return Reject(where, str(exc), locator or None, excerpt_of(rec.title[:400]))


def _parse(source, name: str, fmt: str | None, columns, limits: Limits) -> Iterator[Record | Reject]:
    if isinstance(source, bytes):
        data: bytes = source
    else:
        path = os.fspath(source)
        try:
            st = os.stat(path)
        except OSError as exc:
            yield Reject(name, f"cannot read: {exc.strerror or exc}")
            return
        if not stat.S_ISREG(st.st_mode):
            yield Reject(name, "not a regular file (a directory, pipe or device)")
            return
        if st.st_size > MAX_PAGE_BYTES and page_like(name, fmt):
            yield Reject(name, f"file too large for one page ({st.st_size / 1e6:.1f} MB > {MAX_PAGE_BYTES / 1e6:.0f} MB limit)")
            return
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            yield Reject(name, f"cannot read: {exc.strerror or exc}")
            return
    kind = fmt or detect_format(name, data[:512])
    if kind is None:
        yield Reject(name, f"unsupported file type {_suffix(name)!r} (use --format to force one of {', '.join(FORMATS)})", excerpt=excerpt_of(data[:200]))
        return
    confidence = limits.encoding_confidence
    if kind in ("seed", "html"):
        try:
            if kind == "seed":
                decoded = decode_page(data, confidence=confidence)
                record = parse_seed_text(decoded.text, name)
            else:
                decoded = decode_page(data, declared_charset(data), confidence=confidence, broken_utf8="replace")
                record = parse_html_text(decoded.text, name, limits.title_chars)
        except RecordError as exc:
            yield Reject(name, str(exc), excerpt=excerpt_of(data[:400]))
            return
        record.encoding = decoded.encoding
        if decoded.note:
            record.notes.append(decoded.note)
        yield record
    elif kind in ("csv", "tsv"):
        yield from parse_csv(data, name, columns, delimiter="\t" if kind == "tsv" else ",", limits=limits)
    elif kind == "jsonl":
        yield from parse_jsonl(data, name, columns, limits=limits)
    else:
        yield from parse_parquet(data, name, columns, limits=limits)  # already in memory: not read from disk again


def expand_paths(paths: Iterable[str | os.PathLike]) -> Iterator[str | Reject]:
    """Files as given, folders recursively (sorted, hidden files skipped), globs expanded.

    A path that matches nothing, or cannot be listed, becomes a Reject.
    """
    for raw in paths:
        text = str(raw)
        if any(ch in text for ch in "*?[") and not os.path.lexists(text):
            matches = sorted(glob.glob(os.path.expanduser(text), recursive=True))
            if not matches:
                yield Reject(text, "no files match this pattern")
            for match in matches:
                yield from _expand_one(match)
        else:
            yield from _expand_one(os.path.expanduser(text))


def _expand_one(path: str) -> Iterator[str | Reject]:
    if os.path.isdir(path):
        found = False
        try:
            for folder, dirs, files in os.walk(path, onerror=_raise):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        found = True
                        yield os.path.join(folder, name)
        except OSError as exc:
            yield Reject(str(path), f"cannot list folder: {exc.strerror or exc}")
            return
        if not found:
            yield Reject(str(path), "folder has no files")
    elif os.path.lexists(path):
        yield path
    else:
        yield Reject(str(path), "no such file or folder")


def _raise(exc: OSError) -> None:
    raise exc
