"""Tables (CSV/TSV, JSONL/NDJSON/JSON array, Parquet) -> Records through a column mapping.

A mapping says which column feeds which record field: ``title=headline,published=date,body=text``.
A value with braces is a template over the row, for fields no single column holds:
``title={iso3} at the UN General Debate {year}``, ``published={year}-09-25``, ``id=reuters:{id}``;
a value in double quotes is a literal: ``source="UN General Assembly"``.
Fields not mapped fall back to a column of the same name, then to common aliases (date, text, link).
Columns the mapping does not use are ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import math
import re
import string
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from trends.parsing.limits import ENV_NAMES, MAX_VIEWS, Limits, check_date, check_text, check_views
from trends.parsing.model import Record, RecordError, Reject, excerpt_of
from trends.parsing.seed import parse_date, split_authors
from trends.parsing.text import Decoded, decode_text

FIELDS = (
    "title", "headline", "source", "published", "views", "authors", "body", "related", "url",
    "language", "id", "observed_at",
)
_ALIASES = {
    "title": ("title", "headline"),
    "published": ("published", "date", "published_at", "pubdate"),
    "body": ("body", "text", "content"),
    "url": ("url", "link"),
    "authors": ("authors", "author"),
}


def parse_mapping(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """'title=headline,published=date' -> {'title': 'headline', ...}; ValueError for a bad spec."""
    if not spec:
        return {}
    if isinstance(spec, Mapping):
        pairs = list(spec.items())
    else:
        pairs = []
        for part in re.split(r",\s*(?=[A-Za-z_]+\s*=)", spec):  # commas inside templates stay
            if not part.strip():
                continue
            if "=" not in part:
                raise ValueError(f"--map entry {part.strip()!r} is not FIELD=COLUMN")
            field, column = part.split("=", 1)
            pairs.append((field.strip(), column.strip()))
    mapping: dict[str, str] = {}
    for field, column in pairs:
        if field not in FIELDS:
            raise ValueError(f"--map: unknown field {field!r}; use one of {', '.join(FIELDS)}")
        if not column:
            raise ValueError(f"--map: field {field!r} has no column")
        if "{" in column and not _is_literal(column):
            try:
                list(string.Formatter().parse(column))
            except ValueError as exc:
                raise ValueError(f"--map: bad template for {field!r}: {exc}") from exc
        mapping[field] = column
    return mapping


def _is_literal(value: str) -> bool:
    return len(value) >= 2 and value[0] == value[-1] == '"'


def _template_columns(value: str) -> list[str]:
    if _is_literal(value):
        return []
    if "{" not in value:
        return [value]
    return [name for _, name, _, _ in string.Formatter().parse(value) if name]


def effective_mapping(mapping: Mapping[str, str], columns: Iterable[str] | None) -> dict[str, str]:
    """The user's mapping plus same-name / alias defaults for fields it leaves out."""
    out = dict(mapping)
    if columns is None:
        return out
    present = list(columns)
    used = {c for v in out.values() for c in _template_columns(v)}
    for field in FIELDS:
        if field in out:
            continue
        for candidate in _ALIASES.get(field, (field,)):
            if candidate in present and (candidate not in used or candidate == field):
                out[field] = candidate
                used.add(candidate)
                break
    return out


def missing_column_reason(mapping: Mapping[str, str], columns: Iterable[str]) -> str | None:
    """The reject reason when a mapped column is not in the table's columns, else None."""
    columns = list(columns)
    present = set(columns)
    for field, value in mapping.items():
        for col in _template_columns(value):
            if col not in present:
                return f"column {col!r} (mapped to {field}) is not in the file; columns: {', '.join(columns)[:200]}"
    return None


def _get(row: Mapping[str, Any], field: str, value: str, required: bool = True) -> Any:
    """The value for ``field``; a column the row lacks is an error only for a field the user mapped
    (JSON objects may leave out keys that other lines have)."""
    if _is_literal(value):
        return value[1:-1]
    if "{" in value:
        values = {}
        for col in _template_columns(value):
            if col not in row:
                raise RecordError(f"missing field {col!r} (used by --map {field})")
            values[col] = _template_value(row[col], col, field)
        return value.format_map(values)
    if value not in row:
        if not required:
            return None
        raise RecordError(f"missing field {value!r} (mapped to {field})")
    return row[value]


def _template_value(value: Any, column: str, field: str) -> Any:
    """A cell as a template sees it: scalars as they are, empty for missing, a reject for lists/objects."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (str, int, float, dt.date, Decimal)):
        return value
    raise RecordError(f"column {column!r} (used by --map {field}) must be a single value, not {_kind(value)}")


def _kind(value: Any) -> str:
    """'an object', 'a list', 'a number' ... for one-line reasons."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary data"
    if isinstance(value, dt.date):
        return "a date"
    return f"a {type(value).__name__}"


def _text(value: Any, field: str, numbers: bool = False) -> str:
    """A text cell, stripped; "" for missing. Objects, lists, binary data (and numbers, unless allowed) are rejects."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and math.isnan(value):  # a missing value in a float column
        return ""
    if numbers and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # an id column that pandas stored as float (123.0) is still id 123
        return str(value)
    raise RecordError(f"{field} must be text, not {_kind(value)}")


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return check_date(value.date())
    if isinstance(value, dt.date):
        return check_date(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and not (isinstance(value, float) and math.isnan(value)):
        raise RecordError(f"unreadable date {value!r} in {field} (use YYYY-MM-DD or dd.mm.yyyy)")
    raw = _text(value, field)
    if not raw:
        raise RecordError(f"missing date in {field}")
    try:
        return check_date(dt.date.fromisoformat(raw[:10]), raw)
    except ValueError:
        pass
    try:
        return parse_date(raw)
    except RecordError as exc:
        if str(exc).startswith("impossible"):
            raise
        raise RecordError(f"unreadable date {raw[:30]!r} in {field} (use YYYY-MM-DD or dd.mm.yyyy)") from exc


DEFAULT_LIMITS = Limits()
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:[ \u00a0\u202f,.'’]\d{3})+|\d+")
_NEGATIVE_RE = re.compile(r"[-−]\s*\d[\d\s,.\u00a0]*(?:[eE][+]?\d+)?")
_SCIENTIFIC_RE = re.compile(r"[+]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_DECIMAL_RE = re.compile(r"\d+[.,]\d+")


def _views(value: Any) -> int | None:
    """A view count in 0..10^12, None when missing, else RecordError (never a number the database cannot hold)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(f"non-numeric view count {value!r}")
    if isinstance(value, int):
        return check_views(value)
    if isinstance(value, (float, Decimal)):
        return _whole_views(value, value)
    if not isinstance(value, str):
        raise RecordError(f"views must be a number, not {_kind(value)}")
    raw = value.strip()
    if not raw:
        return None
    if len(raw) > 40:  # no real count is this long; and the patterns below need not see a megabyte of digits
        if raw.isdigit():
            raise RecordError(f"view count {raw[:30] + '...'!r} is out of range (more than 10^12)")
        raise RecordError(f"non-numeric view count {raw[:30] + '...'!r}")
    if _NEGATIVE_RE.fullmatch(raw):
        raise RecordError(f"negative view count {raw[:30]!r}")
    if _SCIENTIFIC_RE.fullmatch(raw):
        return _whole_views(float(raw), raw)
    if _THOUSANDS_RE.fullmatch(raw):
        digits = re.sub(r"\D", "", raw)
        if len(digits.lstrip("0")) > 13:  # before int(): 10^12 has 13 digits, and int() refuses 4,300+
            raise RecordError(f"view count {raw[:30]!r} is out of range (more than 10^12)")
        return check_views(int(digits), raw)
    if _DECIMAL_RE.fullmatch(raw):
        raise RecordError(f"fractional view count {raw[:30]!r}")
    raise RecordError(f"non-numeric view count {raw[:30]!r}")


def _whole_views(number: float | Decimal, raw: Any) -> int | None:
    if isinstance(number, float) and math.isnan(number):
        return None  # a missing value in a float column (pandas writes NaN for null)
    if not math.isfinite(number) or abs(number) > MAX_VIEWS:
        if number < 0:
            raise RecordError(f"negative view count {str(raw)[:30]!r}")
        raise RecordError(f"view count {str(raw)[:30]!r} is out of range (more than 10^12)")
    if number != int(number):
        raise RecordError(f"fractional view count {str(raw)[:30]!r}")
    return check_views(int(number), raw)


def _list(value: Any, field: str, split_names: bool) -> list[str]:
    if value is None:
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if item is not None and not isinstance(item, str):
                raise RecordError(f"{field} must be text or a list of text, not a list holding {_kind(item)}")
            if item and item.strip():
                out.append(item.strip())
        return out
    raw = _text(value, field)
    if not raw:
        return []
    if split_names:
        return split_authors(raw)
    return [part.strip() for part in re.split(r"\n|\|", raw) if part.strip()]


def _timestamp(value: Any) -> dt.datetime | None:
    """observed_at as a naive local timestamp (the ingest's own clock is local), or RecordError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    else:
        raw = _text(value, "observed_at")
        if not raw:
            return None
        try:
            stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise RecordError(f"unreadable observed_at {raw[:30]!r}") from exc
    if stamp.tzinfo is not None:
        try:
            stamp = stamp.astimezone()
        except (OverflowError, ValueError) as exc:
            raise RecordError(f"impossible observed_at {stamp.isoformat()[:40]!r}") from exc
    return check_date(stamp.replace(tzinfo=None), stamp.isoformat())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def record_from_row(
    row: Mapping[str, Any], mapping: Mapping[str, str], input: str, fmt: str, limits: Limits = DEFAULT_LIMITS,
    user_fields: frozenset[str] | None = None,
) -> Record:
    """One table row -> Record through the mapping, or RecordError with the reason.

    Oversized title and body cells are rejected before any copy is made of them; every other limit
    is checked on the finished record (`check_record`).
    """
    got = {field: _get(row, field, value, user_fields is None or field in user_fields) for field, value in mapping.items()}
    for field, limit in (("title", limits.title_chars), ("headline", limits.title_chars), ("body", limits.body_chars)):
        if isinstance(got.get(field), str) and len(got[field]) > 2 * limit:  # 2x: spacing may still shrink it
            check_text(field, got[field], limit)
    title = _one_line(_text(got.get("title"), "title")) or _one_line(_text(got.get("headline"), "headline"))
    if not title:
        raise RecordError("no title" + (f" (column {mapping['title']!r} is empty)" if "title" in mapping else "; map one with --map title=COLUMN"))
    headline = _one_line(_text(got.get("headline"), "headline")) or title
    body = _text(got.get("body"), "body")
    body = "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if p.strip())
    return Record(
        title=title,
        headline=headline,
        source=_text(got.get("source"), "source") or None,
        published=_date(got["published"], mapping["published"]) if "published" in mapping else None,
        views=_views(got.get("views")),
        authors=_list(got.get("authors"), "authors", split_names=True),
        body=body,
        related=_list(got.get("related"), "related", split_names=False),
        url=_text(got.get("url"), "url") or None,
        language=_text(got.get("language"), "language") or None,
        input=input,
        format=fmt,
        observed_at=_timestamp(got.get("observed_at")),
        record_id=_text(got.get("id"), "id", numbers=True) or None,
    )


def _mapping_for(mapping: Mapping[str, str], columns: list[str], name: str) -> dict[str, str] | Reject:
    """The mapping completed from a table's columns, or the Reject naming a mapped column it lacks
    (or one it uses that the table has twice, when it could not tell which is meant)."""
    full = effective_mapping(mapping, columns)
    reason = missing_column_reason(full, columns)
    if reason:
        return Reject(name, reason)
    used = {c for v in full.values() for c in _template_columns(v)}
    twice = sorted({c for c in columns if columns.count(c) > 1 and c in used})
    if twice:
        return Reject(name, f"column {twice[0]!r} appears more than once in the header; rename one (columns must be unique)")
    return full


def unexpected_reason(exc: BaseException) -> str:
    """The one-line reason for an error no parser anticipated (kept short: it is shown and stored)."""
    message = str(exc).strip().splitlines()[0][:150] if str(exc).strip() else ""
    return f"could not be read ({type(exc).__name__}{': ' + message if message else ''})"


def _rows_to_records(
    rows: Iterable[tuple[str, Any]], mapping: Mapping[str, str], name: str, fmt: str, decoded: Decoded | None = None,
    empty: str = "no records: the table has no rows", limits: Limits = DEFAULT_LIMITS,
    user_fields: frozenset[str] | None = None,
) -> Iterator[Record | Reject]:
    """Each row -> Record or Reject (one bad row never stops the table); a notice when there were no rows."""
    seen = 0
    for locator, row in rows:
        seen += 1
        if isinstance(row, Reject):
            yield row
            continue
        try:
            rec = record_from_row(row, mapping, f"{name}#{locator}", fmt, limits, user_fields)
        except RecordError as exc:
            yield Reject(name, str(exc), locator, _row_excerpt(row))
            continue
        except Exception as exc:  # a row nobody foresaw still must not stop the table
            yield Reject(name, unexpected_reason(exc), locator, _row_excerpt(row))
            continue
        if decoded is not None:
            rec.encoding = decoded.encoding
            if decoded.note and decoded.encoding != "utf-8":
                rec.notes.append(decoded.note)
        yield rec
    if not seen:
        yield Reject(name, empty)


def _row_excerpt(row: Any) -> str | None:
    """The start of the row (a 50 MB cell is not copied whole to show 200 characters of it)."""
    try:
        return excerpt_of(json.dumps(_short(row), default=str, ensure_ascii=False)[:2000])
    except (ValueError, TypeError, RecursionError):
        return excerpt_of(repr(_short(row))[:2000])


def _short(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if len(value) <= 300 else value[:300] + "..."
    if depth >= 3 and isinstance(value, (list, tuple, Mapping)):
        return "..."
    if isinstance(value, Mapping):
        return {str(k)[:100]: _short(v, depth + 1) for k, v in list(value.items())[:30]}
    if isinstance(value, (list, tuple)):
        return [_short(v, depth + 1) for v in value[:30]]
    return value


def _table_text(data: bytes, name: str, what: str, confidence: float) -> Decoded | Reject:
    """The decoded text of a text table, or the Reject that says why it has none.

    UTF-8 with a few bad bytes keeps them as escapes so that only the rows holding them are rejected.
    """
    if b"\x00" in data[:8192]:
        return Reject(name, f"binary file, not {what} (contains NUL bytes)", excerpt=excerpt_of(data))
    try:
        decoded = decode_text(data, confidence=confidence, broken_utf8="escape")
    except RecordError as exc:
        return Reject(name, str(exc), excerpt=excerpt_of(data))
    if not decoded.text.strip(" \t\r\n\ufeff"):
        return Reject(name, "empty file")
    return decoded


_ESCAPED_BYTE_RE = re.compile("[\udc80-\udcff]")
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _bad_bytes(text: str) -> bool:
    return bool(_ESCAPED_BYTE_RE.search(text))


BAD_BYTES_REASON = "undecodable bytes in this record (the file is UTF-8, these bytes are not)"


def parse_csv(
    data: bytes, name: str, mapping: Mapping[str, str], delimiter: str = ",", limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record | Reject]:
    decoded = _table_text(data, name, "a CSV table", limits.encoding_confidence)
    if isinstance(decoded, Reject):
        yield decoded
        return
    csv.field_size_limit(sys.maxsize)
    lines = _LINE_RE.findall(decoded.text)  # physical lines, any newline convention (not StringIO: 4 bytes a character)
    max_line = 2 * (limits.body_chars + limits.title_chars)  # a line longer than this holds a field over its limit
    reader = _CsvLines(lines, delimiter, max_line)
    try:
        header: list[str] = []
        while not any(header):  # blank lines before the header row are skipped
            header = [h.strip() for h in reader.next_row()[1]]
    except StopIteration:
        yield Reject(name, "empty file")
        return
    except csv.Error as exc:
        yield Reject(name, f"unreadable CSV header: {exc}")
        return
    except _LineTooLong as exc:
        yield Reject(name, f"unreadable CSV header: the first line has {exc.length:,} characters")
        return
    if _bad_bytes("".join(header)):
        yield Reject(name, "undecodable bytes in the header row (not UTF-8)")
        return
    full = _mapping_for(mapping, header, name)
    if isinstance(full, Reject):
        yield full
        return

    damaged = decoded.note is not None and decoded.encoding == "utf-8"  # bytes kept as escapes: check each row

    def rows() -> Iterator[tuple[str, Any]]:
        number = 0
        while True:
            try:
                start, values = reader.next_row()
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                start = reader.resync()
                yield f"row={number}", Reject(
                    name, f"broken CSV quoting on line {start}: {exc} (the rows after it are read on)",
                    f"row={number}", excerpt_of(lines[start - 1][:400]),
                )
                continue
            except _LineTooLong as exc:
                number += 1
                line = reader.skip_long_line()
                yield f"row={number}", Reject(
                    name, f"row too long: line {line} has {exc.length:,} characters, more than any field may hold "
                    f"(limits: {ENV_NAMES['body_chars']}, {ENV_NAMES['title_chars']})", f"row={number}",
                    excerpt_of(lines[line - 1][:400]),
                )
                continue
            if not any(v.strip() for v in values):
                continue
            number += 1
            locator = f"row={number}"
            if len(values) != len(header):
                yield locator, Reject(
                    name, f"row has {_fields(len(values))}, the header has {len(header)}", locator, excerpt_of(",".join(values)[:400])
                )
                continue
            if damaged and _bad_bytes("".join(values)):
                yield locator, Reject(name, BAD_BYTES_REASON, locator, excerpt_of(",".join(values)[:400]))
                continue
            yield locator, dict(zip(header, values))

    yield from _rows_to_records(rows(), full, name, "csv", decoded, "no records: the table has a header row but no data rows", limits)


def _fields(n: int) -> str:
    return f"{n} field{'' if n == 1 else 's'}"


class _LineTooLong(Exception):
    """A physical line longer than any row may be: csv would copy it at 4 bytes a character first."""

    def __init__(self, length: int):
        super().__init__(length)
        self.length = length


class _CsvLines:
    """A strict csv.reader over physical lines that can restart after a broken row.

    A stray quote makes the csv module read on to the next quote, swallowing the rows between into
    one field; in strict mode it raises instead, and `resync` restarts on the line after the broken
    row's first line, so one bad quote costs one row. A line longer than ``max_line`` characters
    raises `_LineTooLong` before csv sees it; `skip_long_line` restarts after it.
    """

    def __init__(self, lines: list[str], delimiter: str, max_line: int):
        self.lines, self.delimiter, self.max_line = lines, delimiter, max_line
        self._restart(0)

    def _restart(self, offset: int) -> None:
        self.offset = offset
        self.reader = csv.reader(self._feed(offset), delimiter=self.delimiter, strict=True)
        self.row_start = offset + 1  # 1-based physical line of the row being read

    def _feed(self, offset: int) -> Iterator[str]:
        for line in itertools.islice(self.lines, offset, None):
            if len(line) > self.max_line:
                raise _LineTooLong(len(line))
            yield line

    def next_row(self) -> tuple[int, list[str]]:
        self.row_start = self.offset + self.reader.line_num + 1
        return self.row_start, next(self.reader)

    def resync(self) -> int:
        """Skip the broken row's first line; returns that line's number."""
        broken = self.row_start
        self._restart(broken)
        return broken

    def skip_long_line(self) -> int:
        """Restart after the overlong line (the one csv was about to read); returns its number."""
        long_line = self.offset + self.reader.line_num + 1
        self._restart(long_line)
        return long_line


def parse_jsonl(
    data: bytes, name: str, mapping: Mapping[str, str], limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record | Reject]:
    decoded = _table_text(data, name, "JSON lines", limits.encoding_confidence)
    if isinstance(decoded, Reject):
        yield decoded
        return
    text = decoded.text
    whole = _whole_json(text, name)
    if isinstance(whole, Reject):
        yield whole
        return
    if whole is not None:
        lines: Iterable[tuple[int, Any]] = ((i + 1, item) for i, item in enumerate(whole))
        unit = "item"
    else:
        lines = ((i + 1, line) for i, line in enumerate(text.split("\n")))  # not splitlines(): U+2028 is text
        unit = "line"
    full: dict[str, str] = {}  # the mapping, completed from the first object's keys
    completed = False
    damaged = decoded.note is not None and decoded.encoding == "utf-8"

    def rows() -> Iterator[tuple[str, Any]]:
        nonlocal completed
        for number, raw in lines:
            locator = f"{unit}={number}"
            if isinstance(raw, str):
                if not raw.strip():
                    continue
                if damaged and _bad_bytes(raw):
                    yield locator, Reject(name, BAD_BYTES_REASON, locator, excerpt_of(raw[:400]))
                    continue
                try:
                    raw = json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield locator, Reject(name, f"broken JSON line: {exc.msg}", locator, excerpt_of(raw))
                    continue
                except RecursionError:
                    yield locator, Reject(name, "JSON line nested too deeply (an article is one flat object)", locator, excerpt_of(raw))
                    continue
            if not isinstance(raw, dict):
                yield locator, Reject(name, f"JSON {unit} is {_kind(raw)}, not an object", locator, _row_excerpt(raw))
                continue
            if not completed:
                full.update(effective_mapping(mapping, raw.keys()))
                completed = True
            yield locator, raw

    yield from _rows_to_records(
        rows(), full, name, "jsonl", decoded, "no records: the file holds no JSON objects", limits, frozenset(mapping),
    )


def _whole_json(text: str, name: str) -> list | Reject | None:
    """A ``.json`` file as one document: its list of items (an object is a list of one); None when
    it is JSON lines instead; a Reject when it cannot be one document."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not name.lower().endswith(".json") or not stripped.startswith(("[", "{")):
        return None  # .jsonl / .ndjson: always line by line, so each bad line gets its own reason
    try:
        value = json.loads(stripped)
    except RecursionError:
        return Reject(name, "JSON nested too deeply (an article is one flat object)", excerpt=excerpt_of(stripped[:200]))
    except json.JSONDecodeError as exc:
        if stripped.startswith("{"):
            return None  # one object per line, in a .json file
        return Reject(name, f"broken JSON: {exc.msg} at line {exc.lineno}", excerpt=excerpt_of(stripped))
    if isinstance(value, dict):
        return [value]
    if value and not any(isinstance(item, dict) for item in value):
        kinds = sorted({_kind(item) for item in value})
        return Reject(name, f"JSON array holds {' and '.join(kinds)}, not objects (one object per article)",
                      excerpt=excerpt_of(stripped))
    return value


def parse_parquet(
    path: Path | bytes, name: str, mapping: Mapping[str, str], limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        source = pa.BufferReader(path) if isinstance(path, bytes) else str(path)
        table_file = pq.ParquetFile(source)
        columns = list(table_file.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        yield Reject(name, f"not a readable Parquet file: {_first_line(exc)}")
        return
    full = _mapping_for(mapping, columns, name)
    if isinstance(full, Reject):
        yield full
        return

    def rows() -> Iterator[tuple[str, Any]]:
        number = 0
        try:
            for batch in table_file.iter_batches(batch_size=4096):
                for row in _batch_rows(batch):
                    number += 1
                    yield f"row={number}", (row if not isinstance(row, Exception) else Reject(
                        name, f"unreadable value in this row: {_first_line(row)}", f"row={number}"))
        except (pa.ArrowException, OSError, ValueError) as exc:
            yield f"row={number + 1}", Reject(name, f"Parquet file is damaged: {_first_line(exc)}", f"row={number + 1}")

    yield from _rows_to_records(rows(), full, name, "parquet", empty="no records: the Parquet file has no rows", limits=limits)


def _batch_rows(batch) -> list:
    """A record batch as row dicts; when one value cannot become Python (a timestamp past year 9999),
    the rows one by one, so only the row holding it becomes an Exception."""
    try:
        return batch.to_pylist()
    except Exception:  # pyarrow raises ValueError / OverflowError / ArrowException per type
        pass
    out = []
    for i in range(batch.num_rows):
        try:
            out.append(batch.slice(i, 1).to_pylist()[0])
        except Exception as exc:
            out.append(exc)
    return out


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:150]
