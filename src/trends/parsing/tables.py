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
import io
import json
import re
import string
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from trends.parsing.model import Record, RecordError, Reject, excerpt_of
from trends.parsing.seed import check_date_range, parse_date, split_authors
from trends.parsing.text import _decode_legacy

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


def _get(row: Mapping[str, Any], field: str, value: str) -> Any:
    if _is_literal(value):
        return value[1:-1]
    if "{" in value:
        values = {}
        for col in _template_columns(value):
            if col not in row:
                raise RecordError(f"missing field {col!r} (used by --map {field})")
            values[col] = "" if row[col] is None else row[col]
        return value.format_map(values)
    if value not in row:
        raise RecordError(f"missing field {value!r} (mapped to {field})")
    return row[value]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas / parquet
        return ""
    return str(value).strip()


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or _text(value) == "":
        raise RecordError(f"missing date in {field}")
    if isinstance(value, dt.datetime):
        return check_date_range(value.date())
    if isinstance(value, dt.date):
        return check_date_range(value)
    raw = _text(value)
    try:
        return check_date_range(dt.date.fromisoformat(raw[:10]), raw)
    except ValueError:
        pass
    try:
        return parse_date(raw)
    except RecordError as exc:
        if str(exc).startswith("impossible"):
            raise
        raise RecordError(f"unreadable date {raw[:30]!r} in {field} (use YYYY-MM-DD or dd.mm.yyyy)") from exc


def _views(value: Any) -> int | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"non-numeric view count {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):  # NaN is caught above: _text(NaN) == ""
        if value != int(value):
            raise RecordError(f"non-numeric view count {value!r}")
        number = int(value)
    else:
        raw = _text(value)
        if re.fullmatch(r"[-−]\s*\d[\d\s,.\u00a0]*", raw):
            raise RecordError(f"negative view count {raw[:30]!r}")
        if not re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f,.'’]\d{3})+|\d+", raw):
            raise RecordError(f"non-numeric view count {raw[:30]!r}")
        number = int(re.sub(r"\D", "", raw))
    if number < 0:
        raise RecordError(f"negative view count {number}")
    return number


def _list(value: Any, split_names: bool) -> list[str]:
    if value is None:
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value if _text(v)]
    raw = _text(value)
    if not raw:
        return []
    if split_names:
        return split_authors(raw)
    return [part.strip() for part in re.split(r"\n|\|", raw) if part.strip()]


def record_from_row(row: Mapping[str, Any], mapping: Mapping[str, str], input: str, fmt: str) -> Record:
    """One table row -> Record through the mapping, or RecordError with the reason."""
    got = {field: _get(row, field, value) for field, value in mapping.items()}
    title = " ".join(_text(got.get("title")).split()) or " ".join(_text(got.get("headline")).split())
    if not title:
        raise RecordError("no title" + (f" (column {mapping['title']!r} is empty)" if "title" in mapping else "; map one with --map title=COLUMN"))
    headline = " ".join(_text(got.get("headline")).split()) or title
    body = _text(got.get("body"))
    body = "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", body.replace("\r\n", "\n")) if p.strip())
    observed_at = None
    if _text(got.get("observed_at")):
        try:
            observed_at = dt.datetime.fromisoformat(_text(got["observed_at"]).replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError as exc:
            raise RecordError(f"unreadable observed_at {_text(got['observed_at'])[:30]!r}") from exc
    return Record(
        title=title,
        headline=headline,
        source=_text(got.get("source")) or None,
        published=_date(got["published"], mapping["published"]) if "published" in mapping else None,
        views=_views(got.get("views")),
        authors=_list(got.get("authors"), split_names=True),
        body=body,
        related=_list(got.get("related"), split_names=False),
        url=_text(got.get("url")) or None,
        language=_text(got.get("language")) or None,
        input=input,
        format=fmt,
        observed_at=observed_at,
        record_id=_text(got.get("id")) or None,
    )


def _mapping_for(mapping: Mapping[str, str], columns: list[str], name: str) -> dict[str, str] | Reject:
    """The mapping completed from a table's columns, or the Reject naming a mapped column it lacks."""
    full = effective_mapping(mapping, columns)
    reason = missing_column_reason(full, columns)
    return Reject(name, reason) if reason else full


def _rows_to_records(rows: Iterable[tuple[str, Any]], mapping: Mapping[str, str], name: str, fmt: str) -> Iterator[Record | Reject]:
    for locator, row in rows:
        if isinstance(row, Reject):
            yield row
            continue
        try:
            yield record_from_row(row, mapping, f"{name}#{locator}", fmt)
        except RecordError as exc:
            yield Reject(name, str(exc), locator, excerpt_of(json.dumps(row, default=str, ensure_ascii=False)))


def _decode_table(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(data)


def _table_text(data: bytes, name: str, what: str) -> str | Reject:
    """The decoded text of a text table, or the Reject that says why it has none."""
    if b"\x00" in data[:8192]:
        return Reject(name, f"binary file, not {what} (contains NUL bytes)", excerpt=excerpt_of(data))
    try:
        text = _decode_table(data)
    except RecordError as exc:
        return Reject(name, str(exc), excerpt=excerpt_of(data))
    if not text.strip():
        return Reject(name, "empty file")
    return text


def parse_csv(data: bytes, name: str, mapping: Mapping[str, str], delimiter: str = ",") -> Iterator[Record | Reject]:
    text = _table_text(data, name, "a CSV table")
    if isinstance(text, Reject):
        yield text
        return
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        yield Reject(name, f"unreadable CSV header: {exc}")
        return
    full = _mapping_for(mapping, header, name)
    if isinstance(full, Reject):
        yield full
        return

    def rows() -> Iterator[tuple[str, Any]]:
        number = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield f"row={number}", Reject(name, f"broken CSV row: {exc}", f"row={number}")
                return
            number += 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield f"row={number}", Reject(
                    name, f"row has {len(values)} fields, the header has {len(header)}", f"row={number}", excerpt_of(",".join(values))
                )
                continue
            yield f"row={number}", dict(zip(header, values))

    yield from _rows_to_records(rows(), full, name, "csv")


def parse_jsonl(data: bytes, name: str, mapping: Mapping[str, str]) -> Iterator[Record | Reject]:
    text = _table_text(data, name, "JSON lines")
    if isinstance(text, Reject):
        yield text
        return
    if name.lower().endswith(".json") and text.lstrip().startswith("["):  # a plain JSON array of objects
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Reject(name, f"broken JSON: {exc.msg} at line {exc.lineno}", excerpt=excerpt_of(text))
            return
        lines: Iterable[tuple[int, Any]] = ((i + 1, item) for i, item in enumerate(items))
        unit = "item"
    else:
        lines = ((i + 1, line) for i, line in enumerate(text.split("\n")))  # not splitlines(): U+2028 is text
        unit = "line"
    full: dict[str, str] = {}  # the mapping, completed from the first object's keys
    completed = False

    def rows() -> Iterator[tuple[str, Any]]:
        nonlocal completed
        for number, raw in lines:
            locator = f"{unit}={number}"
            if isinstance(raw, str):
                if not raw.strip():
                    continue
                try:
                    raw = json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield locator, Reject(name, f"broken JSON line: {exc.msg}", locator, excerpt_of(raw))
                    continue
            if not isinstance(raw, dict):
                yield locator, Reject(name, f"JSON {unit} is a {type(raw).__name__}, not an object", locator, excerpt_of(str(raw)))
                continue
            if not completed:
                full.update(effective_mapping(mapping, raw.keys()))
                completed = True
            yield locator, raw

    yield from _rows_to_records(rows(), full, name, "jsonl")


def parse_parquet(path: Path | bytes, name: str, mapping: Mapping[str, str]) -> Iterator[Record | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        source = pa.BufferReader(path) if isinstance(path, bytes) else str(path)
        table_file = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        yield Reject(name, f"not a readable Parquet file: {str(exc).splitlines()[0][:150]}")
        return
    columns = table_file.schema_arrow.names
    full = _mapping_for(mapping, columns, name)
    if isinstance(full, Reject):
        yield full
        return

    def rows() -> Iterator[tuple[str, Any]]:
        number = 0
        try:
            for batch in table_file.iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    number += 1
                    yield f"row={number}", row
        except (pa.ArrowException, OSError) as exc:
            yield f"row={number + 1}", Reject(name, f"Parquet file is damaged: {str(exc).splitlines()[0][:150]}", f"row={number + 1}")

    yield from _rows_to_records(rows(), full, name, "parquet")
