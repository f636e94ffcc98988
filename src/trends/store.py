"""The archive: a folder of immutable DuckDB segment files named by a manifest; one writer, many readers.

DuckDB lets one process write a file or many read it, never both. So nothing is ever written in place:

```
archive/
  manifest.json           {"format": 1, "generation": N, "segments": ["seg-000012.duckdb", ...]} (oldest first)
  segments/seg-*.duckdb   published segments: written once by one writer, never opened read-write again
  work-<id>.duckdb        the unpublished working segment of a running (or crashed) incremental writer
  rewrite-<id>.duckdb     a whole-archive rewrite in progress (rebuild, compact, retag, themes fit)
  lock                    fcntl lock: one writer at a time
```

Readers (`read_cursor`) read the manifest, ATTACH every listed segment READ_ONLY in an in-memory DuckDB
instance (one per generation per process, a cursor per thread) and see views named like the tables
below that UNION ALL the segments. A reader never creates, migrates, publishes or deletes anything, and
never takes a lock: it cannot wait for a writer, and a writer cannot wait for it.

Every segment has every table. An article re-stored in segment j hides its older rows in segments < j
through ``superseded(article_id, scope)``: scope ``row`` hides ``articles`` and ``article_growth``,
scope ``content`` hides the rows derived from its text (``tags``, ``tags_by_key``, ``related``,
``postings``, ``docs``, ``title_keys``). Append-only tables (``view_snapshots``, ``sightings``,
``rejects``) are never hidden. Roll-ups are signed deltas (+ for what a batch adds, - for what it
hides), so a sum over the segments is the answer; a view collapses them when several segments hold rows.
``meta`` (settings: the about threshold, the theme model, ...) and ``ingest_runs`` are newest-wins per key.

Tables (``FORMAT``):

- ``meta(key, value)``: settings; the newest segment's value wins.
- ``articles``: one row per article. ``article_id`` is a stable 63-bit hash of ``identity``
  (``url:<url>``, else ``id:<mapped id>``, else ``td:<normalised title>|<date>``, else ``hash:<content hash>``).
  ``title`` is the full title line, ``headline`` the title without its ``SOURCE:`` prefix, ``source`` the
  organisation. ``views`` / ``views_observed_at`` mirror the newest view snapshot. ``last_seen`` is when the
  row was last written (later unchanged sightings are in ``sightings``). ``synthetic`` flags generated text;
  ``notes`` are remarks for its reader (e.g. that its encoding was guessed, and how sure the guess was).
- ``view_snapshots(article_id, observed_at, views, run_id)``: every distinct view count ever seen.
- ``sightings(article_id, run_id, seen_at)``: an unchanged article seen again (its row is not rewritten).
- ``related(article_id, position, title, title_key, target_id)``: "Read also" links in page order;
  ``target_id`` is resolved when read, from ``title_keys(title_key, article_id)`` (headline and title keys).
- ``tags(article_id, kind, key, label, mentions, score, method, spans, published)``: what an article is
  about; ``spans`` index into ``title + "\\n\\n" + body``.
- ``about_tags`` (a view): the tags whose score reaches the stored ``about_threshold`` setting.
- ``ingest_runs``: one row per ingest/retag/demo run with its counts, status and seconds.
- ``rejects(run_id, input, record, reason, excerpt, rejected_at)``: every input that was not stored, and why.
- ``themes(key, label, top_terms, weight, articles, fitted_at)``: the fitted theme model's themes.
- derived tables (``trends.derived``): ``rollup_*``, ``article_growth``, ``tags_by_key``, ``postings``, ``docs``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from trends.lake import is_address  # a shared-store address: readers and the writer hand over to trends.lake

FORMAT = 1
MANIFEST = "manifest.json"
SEGMENT_DIR = "segments"
LOCK = "lock"

# ------------------------------------------------------------------------------------------ the schema

# name -> (scope, DDL). Scope: row / content (hidden by superseded), append, rollup (signed deltas),
# latest (newest segment wins per key), internal (the writer's bookkeeping).
TABLES: dict[str, tuple[str, str]] = {
    "meta": ("latest", "key VARCHAR NOT NULL, value VARCHAR"),
    "ingest_runs": ("latest", """run_id INTEGER NOT NULL, command VARCHAR NOT NULL, inputs VARCHAR,
        started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status VARCHAR NOT NULL DEFAULT 'running',
        new_articles INTEGER DEFAULT 0, updated_articles INTEGER DEFAULT 0, unchanged_articles INTEGER DEFAULT 0,
        rejected INTEGER DEFAULT 0, seconds DOUBLE"""),
    "articles": ("row", """article_id BIGINT NOT NULL, identity VARCHAR NOT NULL, url VARCHAR, source VARCHAR,
        title VARCHAR NOT NULL, headline VARCHAR NOT NULL, published DATE, authors VARCHAR[] NOT NULL DEFAULT [],
        body VARCHAR NOT NULL, word_count INTEGER NOT NULL, language VARCHAR, content_hash VARCHAR NOT NULL,
        views BIGINT, views_observed_at TIMESTAMP, first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL,
        input VARCHAR, format VARCHAR, run_id INTEGER, synthetic BOOLEAN NOT NULL DEFAULT FALSE, tagged_at TIMESTAMP,
        notes VARCHAR[]"""),
    "view_snapshots": ("append", "article_id BIGINT NOT NULL, observed_at TIMESTAMP NOT NULL, views BIGINT NOT NULL, run_id INTEGER"),
    "sightings": ("append", "article_id BIGINT NOT NULL, run_id INTEGER, seen_at TIMESTAMP NOT NULL"),
    "related": ("content", "article_id BIGINT NOT NULL, position INTEGER NOT NULL, title VARCHAR NOT NULL, title_key VARCHAR NOT NULL"),
    "tags": ("content", """article_id BIGINT NOT NULL, kind VARCHAR NOT NULL, key VARCHAR NOT NULL, label VARCHAR NOT NULL,
        mentions INTEGER NOT NULL, score DOUBLE NOT NULL, method VARCHAR NOT NULL, spans INTEGER[][], published DATE"""),
    "rejects": ("append", """run_id INTEGER, input VARCHAR NOT NULL, record VARCHAR, reason VARCHAR NOT NULL,
        excerpt VARCHAR, rejected_at TIMESTAMP NOT NULL DEFAULT current_timestamp"""),
    # analyst corrections of tags (trends.corrections): newest wins per (article, kind, key); action add |
    # remove | clear (a clear undoes the earlier correction). Kept for articles not (yet) in the archive.
    "corrections": ("latest", """article_id BIGINT NOT NULL, kind VARCHAR NOT NULL, key VARCHAR NOT NULL,
        action VARCHAR NOT NULL, label VARCHAR, identity VARCHAR, title VARCHAR, analyst VARCHAR, note VARCHAR,
        corrected_at TIMESTAMP NOT NULL"""),
    "themes": ("themes", """key VARCHAR NOT NULL, label VARCHAR NOT NULL, top_terms VARCHAR[] NOT NULL, weight DOUBLE,
        articles INTEGER NOT NULL DEFAULT 0, fitted_at TIMESTAMP NOT NULL"""),
    # derived (trends.derived)
    "title_keys": ("content", "title_key VARCHAR NOT NULL, article_id BIGINT NOT NULL"),
    "tags_by_key": ("content", "kind VARCHAR, key VARCHAR, published DATE, article_id BIGINT, label VARCHAR"),
    "postings": ("content", "term VARCHAR NOT NULL, article_id BIGINT NOT NULL, tf INTEGER NOT NULL, len INTEGER NOT NULL"),
    "docs": ("content", "article_id BIGINT NOT NULL, len INTEGER NOT NULL"),
    "article_growth": ("row", "article_id BIGINT NOT NULL, growth BIGINT"),
    "rollup_articles": ("rollup", "day DATE, source VARCHAR, synthetic BOOLEAN, articles BIGINT, views_sum HUGEINT"),
    "rollup_tags": ("rollup", "day DATE, kind VARCHAR, key VARCHAR, label VARCHAR, synthetic BOOLEAN, articles BIGINT, views_sum HUGEINT"),
    "rollup_authors": ("rollup", "day DATE, author VARCHAR, synthetic BOOLEAN, articles BIGINT, views_sum HUGEINT"),
    "rollup_pairs": ("rollup", "day DATE, kind VARCHAR, a VARCHAR, b VARCHAR, synthetic BOOLEAN, together BIGINT"),
    "rollup_tag_views": ("rollup", "day DATE, kind VARCHAR, key VARCHAR, synthetic BOOLEAN, bucket SMALLINT, articles BIGINT"),
    "rollup_article_views": ("rollup", "day DATE, synthetic BOOLEAN, bucket SMALLINT, articles BIGINT"),
    "rollup_kinds": ("rollup", "kind VARCHAR, tags BIGINT, articles BIGINT"),
    "rollup_keys": ("rollup", "kind VARCHAR, key VARCHAR, tags BIGINT"),
    "term_docs": ("rollup", "term VARCHAR, docs BIGINT"),  # the search vocabulary: documents per term
    # bookkeeping
    "superseded": ("internal", "article_id BIGINT NOT NULL, scope VARCHAR NOT NULL"),
}
SCOPES = ("row", "content")
# the measure columns of each roll-up (everything else is the group key); a group whose measures all sum
# to zero is empty (the same contributions were added and taken away). Not "articles = 0" alone: within
# one segment's deltas a view-count change is (-1, -old views) + (+1, +new views) = (0, difference).
ROLLUP_MEASURES = {
    "rollup_articles": ("articles", "views_sum"), "rollup_tags": ("articles", "views_sum"),
    "rollup_authors": ("articles", "views_sum"), "rollup_pairs": ("together",),
    "rollup_tag_views": ("articles",), "rollup_article_views": ("articles",),
    "rollup_kinds": ("tags", "articles"), "rollup_keys": ("tags",), "term_docs": ("docs",),
}
LATEST_KEYS = {"meta": "key", "ingest_runs": "run_id", "corrections": "article_id, kind, key"}
# Tables added after format 1 was first published: a segment written before them simply has none, and
# readers see them as empty there.
OPTIONAL_TABLES = ("corrections",)
# Columns added after format 1 (table -> column -> type). A segment written before a column existed is
# immutable, so it cannot gain the column: readers see NULL there, and a resumed working segment gains it.
ADDED_COLUMNS: dict[str, dict[str, str]] = {
    "articles": {"notes": "VARCHAR[]"},  # remarks for a reader, e.g. how undecodable text was read
}


def columns_of(table: str) -> list[str]:
    """Column names of one of our tables, from its DDL."""
    ddl = TABLES[table][1]
    cols, depth, current = [], 0, ""
    for ch in ddl:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            cols.append(current)
            current = ""
        else:
            current += ch
    cols.append(current)
    return [c.split()[0] for c in cols if c.strip()]


def create_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    for name, (_, ddl) in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {catalog}.{name} ({ddl})")
    for name, added in ADDED_COLUMNS.items():  # a working segment begun by an older version
        for column, type_ in added.items():
            con.execute(f"ALTER TABLE {catalog}.{name} ADD COLUMN IF NOT EXISTS {column} {type_}")


class _SegmentSchemas:
    """What each attached segment holds of today's schema, from ONE catalog read: a segment written before
    an optional table reads as holding none of it, one written before an added column reads NULL there."""

    def __init__(self, con, aliases: list[str]) -> None:
        self.have: dict[tuple[str, str], set[str]] = {}
        if aliases:
            rows = con.execute(
                "SELECT database_name, table_name, column_name FROM duckdb_columns() "
                "WHERE database_name IN (SELECT unnest(?::VARCHAR[]))", [aliases]).fetchall()
            for database, table, column in rows:
                self.have.setdefault((database, table), set()).add(column)

    def holding(self, table: str, aliases: list[str]) -> list[tuple[int, str]]:
        """(position, alias) of the segments that have ``table`` (every one, unless it is optional)."""
        return [(i, a) for i, a in enumerate(aliases) if table not in OPTIONAL_TABLES or (a, table) in self.have]

    def select(self, table: str, alias: str) -> str:
        added, present = ADDED_COLUMNS.get(table, {}), self.have.get((alias, table), set())
        return ", ".join(f"CAST(NULL AS {added[c]}) AS {c}" if c in added and c not in present else c
                         for c in columns_of(table))


# ------------------------------------------------------------------------------------------ errors


class StoreError(RuntimeError):
    """A problem with the archive that the user can act on (message is one line)."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (or its type's name): users get one line, not a traceback."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def stable_id(identity: str) -> int:
    """A 63-bit id from an identity string: the same article gets the same id in every archive."""
    return int.from_bytes(hashlib.blake2b(identity.encode("utf-8"), digest_size=8).digest(), "big") >> 1


_DISK_FULL = ("no space left", "disk full", "file too large", "enospc", "efbig", "could not write")


def storage_error(exc: BaseException, path: Path, doing: str) -> StoreError:
    """One line for what went wrong with the disk or a file (full disk, read-only folder, damage)."""
    text = first_line(exc)
    low = text.lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or any(w in low for w in _DISK_FULL):
        return StoreError(f"the disk is full while {doing} {path}; free some space and rerun (nothing was published)")
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM)) \
            or "permission denied" in low or "read-only file system" in low:
        return StoreError(f"cannot write {path} (read-only or no permission) while {doing}; choose a writable --db")
    return StoreError(f"cannot use {path} while {doing}: {text}")


# ------------------------------------------------------------------------------------------ bulk rows


def arrow_rows(schema, rows) -> "pa.Table":
    """Python row tuples -> an Arrow table of ``schema`` (DuckDB scans it without a per-row insert)."""
    import pyarrow as pa

    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, schema, rows) -> None:
    """Bulk-insert row tuples (or an Arrow table) into ``table`` (one of our own table names)."""
    import pyarrow as pa

    data = rows if isinstance(rows, pa.Table) else (arrow_rows(schema, rows) if rows else None)
    if data is None or data.num_rows == 0:
        return
    view = f"_incoming_{table.replace('.', '_')}"
    con.register(view, data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")  # table names are our constants
    finally:
        con.unregister(view)


# ------------------------------------------------------------------------------------------ manifest


@dataclass(frozen=True)
class Manifest:
    generation: int
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Generation:
    """One published state of an archive (the manifest's generation): the st.cache_data key."""

    path: str
    number: int


@dataclass(frozen=True)
class Status:
    """What is at a path: ``missing`` / ``legacy`` / ``ok`` / ``damaged``, with a one-line message."""

    state: str
    message: str
    generation: int | None = None


def _legacy_message(path: Path) -> str:
    return (f"{path} is a single-file database from an older version; convert it with "
            f"`trends upgrade {path} --to NEW_ARCHIVE_FOLDER`")


def read_manifest(path: str | os.PathLike) -> Manifest:
    """The published state of the archive at ``path`` (StoreError with one line when there is none)."""
    if is_address(path):
        raise StoreError(f"{path} is a shared store (DuckLake): it has snapshots, not segments")
    status, manifest = _probe(Path(path))
    if manifest is None:
        raise StoreError(status.message)
    return manifest


def _probe(path: Path) -> tuple[Status, Manifest | None]:
    if path.is_file():
        return Status("legacy", _legacy_message(path)), None
    if not path.exists():
        return Status("missing", f"no archive at {path}; run `trends demo` or `trends ingest` first"), None
    manifest_path = path / MANIFEST
    try:
        raw = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Status("missing", f"no archive at {path} yet (nothing published); run `trends demo` or `trends ingest` first"), None
    except OSError as exc:
        return Status("damaged", f"cannot read {manifest_path}: {first_line(exc)}"), None
    try:
        data = json.loads(raw)
        if int(data["format"]) > FORMAT:
            return Status("damaged", f"{path} was written by a newer version (format {data['format']}); upgrade commentary-trends"), None
        manifest = Manifest(int(data["generation"]), tuple(str(s) for s in data["segments"]))
    except (ValueError, KeyError, TypeError):
        return Status("damaged", f"{manifest_path} is damaged (not a manifest); restore it or rebuild the archive"), None
    for name in manifest.segments:
        if "/" in name or not (path / SEGMENT_DIR / name).is_file():
            return Status("damaged", f"{path} is damaged: segment {name} named by the manifest is missing"), None
    return Status("ok", f"archive at {path}, generation {manifest.generation}", manifest.generation), manifest


def open_status(path: str | os.PathLike) -> Status:
    """Whether ``path`` holds a usable archive, without writing anything (for the dashboard's first start).

    ``ok``: a manifest naming segments that open; ``missing``: nothing published yet; ``legacy``: a
    single-file database of an older version (`trends upgrade`); ``damaged``: anything else, with the reason.
    """
    if is_address(path):
        from trends.lake import reader

        return reader.open_status(path)
    path = Path(path)
    status, manifest = _probe(path)
    if manifest is None:
        return status
    try:
        _open_instance(path, manifest).close()
    except StoreError as exc:
        return Status("damaged", first_line(exc))
    return status


def generation(db_path: str | os.PathLike) -> Generation:
    if is_address(db_path):
        from trends.lake import reader

        return reader.generation(db_path)
    path = Path(db_path)
    return Generation(str(path.resolve()), read_manifest(path).generation)


def ensure_database(db_path: str | os.PathLike) -> Path:
    """Read-only check kept for older callers: the path if it holds a usable archive, else StoreError."""
    status = open_status(db_path)
    if status.state != "ok":
        raise StoreError(status.message)
    return Path(db_path)


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_manifest(path: Path, manifest: Manifest) -> None:
    tmp = path / f".{MANIFEST}.{os.getpid()}.tmp"
    body = json.dumps({"format": FORMAT, "generation": manifest.generation, "segments": list(manifest.segments)}, indent=1)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(body + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    crash_point("publish")
    os.replace(tmp, path / MANIFEST)
    _fsync_path(path, directory=True)


def crash_point(name: str) -> None:
    """Tests kill the real process here: ``TRENDS_CRASH_AT=<name>`` SIGKILLs at that named point."""
    if os.environ.get("TRENDS_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------------------------------ extensions


def _extension_path(module: str, name: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    candidate = Path(mod.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    return str(candidate) if candidate.exists() else None


def fts_extension_path() -> str | None:
    """The fts extension shipped in the duckdb-extension-fts wheel (it gives us porter ``stem``)."""
    return _extension_path("duckdb_extension_fts", "fts")


def load_fts(con: duckdb.DuckDBPyConnection) -> bool:
    """Load the fts extension offline from the wheel; fall back to INSTALL where the network allows."""
    path = fts_extension_path()
    try:
        if path:
            con.execute(f"LOAD '{path}'")  # a filesystem path from our own package, not user input
        else:
            con.execute("INSTALL fts")
            con.execute("LOAD fts")
        return True
    except duckdb.Error:
        return False


# ------------------------------------------------------------------------------------------ views


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _attach(con, file: Path, alias: str, read_only: bool) -> None:
    try:  # ATTACH cannot take a bound parameter for the path: a quoted literal
        con.execute(f"ATTACH {_quote(file)} AS {alias}" + (" (READ_ONLY)" if read_only else ""))
    except duckdb.Error as exc:
        raise StoreError(f"segment {file.name} of {file.parent.parent} is damaged or unreadable: {first_line(exc)}") from exc


def _count(con, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def build_views(con, aliases: list[str], schema: str, live_superseded: str | None = None,
                collapse_rollups: bool = False) -> None:
    """Create the logical tables as views in ``schema`` over the attached segments (oldest first).

    ``live_superseded``: a working segment's ``superseded`` table (the writer's own view of itself), read
    live instead of materialised, so lookups inside a running batch see what the batch hid.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    hidden: dict[tuple[int, str], str] = {}
    n = len(aliases)
    published = aliases[:-1] if live_superseded else aliases
    for i in range(n):
        for scope in SCOPES:
            later = [f"SELECT article_id FROM {a}.superseded WHERE scope = '{scope}'"
                     for a in published[i + 1:]]
            parts = []
            if later:
                name = f"{schema}._hidden_{scope}_{i}"
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT DISTINCT article_id FROM ({' UNION ALL '.join(later)})")
                if _count(con, f"SELECT count(*) FROM {name}"):
                    parts.append(f"article_id NOT IN (SELECT article_id FROM {name})")
            if live_superseded and i < n - 1:
                parts.append(f"article_id NOT IN (SELECT article_id FROM {live_superseded} WHERE scope = '{scope}')")
            if parts:
                hidden[(i, scope)] = " AND ".join(parts)
    segments = _SegmentSchemas(con, aliases)
    for table, (scope, _) in TABLES.items():
        if scope == "internal":
            continue
        cols = ", ".join(columns_of(table))
        holding = segments.holding(table, aliases)
        if not holding:  # every segment is older than this (optional) table: an empty one
            con.execute(f"CREATE TABLE IF NOT EXISTS {schema}._empty_{table} ({TABLES[table][1]})")
            con.execute(f"CREATE OR REPLACE VIEW {schema}.{table} AS SELECT {cols} FROM {schema}._empty_{table}")
            continue
        select = segments.select
        if scope in SCOPES:
            parts = [f"SELECT {select(table, a)} FROM {a}.{table}" + (f" WHERE {hidden[(i, scope)]}" if (i, scope) in hidden else "")
                     for i, a in holding]
            body = " UNION ALL ".join(parts)
        elif scope == "append":
            body = " UNION ALL ".join(f"SELECT {select(table, a)} FROM {a}.{table}" for _, a in holding)
        elif scope == "latest":
            key = LATEST_KEYS[table]
            union = " UNION ALL ".join(f"SELECT {select(table, a)}, {i} AS _seg FROM {a}.{table}" for i, a in holding)
            body = f"SELECT {cols} FROM ({union}) QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _seg DESC) = 1"
        elif scope == "themes":
            union = " UNION ALL ".join(f"SELECT {select(table, a)} FROM {a}.{table}" for _, a in holding)
            body = f"SELECT * FROM ({union}) WHERE fitted_at = (SELECT max(fitted_at) FROM ({union}))"
        else:  # rollup: signed deltas, collapsed when more than one segment holds rows
            holders = [a for _, a in holding if live_superseded or collapse_rollups
                       or _count(con, f"SELECT count(*) FROM {a}.{table}")]
            if len(holders) <= 1 and not collapse_rollups:
                body = f"SELECT {cols} FROM {(holders or [holding[0][1]])[0]}.{table}"
            else:
                measures = ROLLUP_MEASURES[table]
                keys = [c for c in columns_of(table) if c not in measures]
                union = " UNION ALL ".join(f"SELECT {select(table, a)} FROM {a}.{table}" for a in holders)
                sums = ", ".join(f"sum({m})::{'HUGEINT' if m == 'views_sum' else 'BIGINT'} AS {m}" for m in measures)
                nonzero = " OR ".join(f"sum({m}) <> 0" for m in measures)
                body = f"SELECT {', '.join(keys)}, {sums} FROM ({union}) GROUP BY {', '.join(keys)} HAVING {nonzero}"
        name = "related_links" if table == "related" else table  # `related` is resolved below
        con.execute(f"CREATE OR REPLACE VIEW {schema}.{name} AS {body}")
    threshold = _about_threshold(con, schema)
    con.execute(f"CREATE OR REPLACE VIEW {schema}.about_tags AS SELECT * FROM {schema}.tags WHERE score >= {threshold!r}")
    con.execute(f"CREATE OR REPLACE VIEW {schema}.tags_by_article AS SELECT * FROM {schema}.tags")
    con.execute(
        f"""CREATE OR REPLACE VIEW {schema}.rollup_summary AS
            SELECT k.kind, k.tags, k.articles, coalesce(n.keys, 0) AS keys
            FROM (SELECT kind, sum(tags) AS tags, sum(articles) AS articles FROM {schema}.rollup_kinds GROUP BY kind HAVING sum(tags) > 0) k
            LEFT JOIN (SELECT kind, count(*) AS keys FROM {schema}.rollup_keys WHERE tags > 0 GROUP BY kind) n USING (kind)""")
    # "Read also" targets resolved at read time: the smallest other article whose headline or title has the key
    con.execute(
        f"""CREATE OR REPLACE VIEW {schema}.related AS
            SELECT r.article_id, r.position, r.title, r.title_key,
                   min(k.article_id) FILTER (WHERE k.article_id <> r.article_id) AS target_id
            FROM {schema}.related_links r LEFT JOIN {schema}.title_keys k ON k.title_key = r.title_key
            GROUP BY r.article_id, r.position, r.title, r.title_key""")


def load_stopwords(con: duckdb.DuckDBPyConnection) -> None:
    """The English stopword list (DuckDB fts's ``english``) as ``memory.main.stopwords(word)``: the search
    tokeniser (`trends.derived.token_sql`) reads it in writers and readers alike."""
    from trends.paths import PACKAGE_DATA

    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'memory' AND table_name = 'stopwords'").fetchone()[0]:
        return
    words = [w.strip() for w in (PACKAGE_DATA / "stopwords_en.txt").read_text(encoding="utf-8").splitlines()
             if w.strip() and not w.startswith("#")]
    values = ", ".join("('" + w.replace("'", "''") + "')" for w in words)  # our own packaged list
    con.execute(f"CREATE TABLE memory.main.stopwords AS SELECT * FROM (VALUES {values}) t(word)")


def _about_threshold(con, schema: str) -> float:
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = 'about_threshold'").fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


READ_VIEWS_SCHEMA = "main"

READ_CONFIG = {"threads": 2, "memory_limit": "350MB"}  # with `own_spill` (below) at every connect

# DuckDB names its spill files by size class only (`duckdb_temp_storage_S32K-0.tmp`, ...), so two instances
# spilling into one folder overwrite each other's blocks and read garbage back: wrong rows, IO errors or a
# segmentation fault (duckdb/duckdb#15173; what killed one of two 50k-page writers, docs/scaling.md). An
# in-memory instance's default folder is `.tmp` in the working directory, which every process started
# there shares. So each instance spills into a folder of its own under the system temp folder.
SPILL_ROOT = Path(tempfile.gettempdir()) / f"trends-spill-{os.getuid()}"  # per user: /tmp is shared


def own_spill(config: dict) -> dict:
    """``config`` plus a spill folder no other DuckDB instance uses. DuckDB creates it at the first spill
    and removes it when the instance closes; folders left by processes that died are removed here."""
    SPILL_ROOT.mkdir(parents=True, exist_ok=True)
    remove_left_by_dead_processes(SPILL_ROOT.iterdir())
    return {**config, "temp_directory": str(SPILL_ROOT / f"{os.getpid()}-{uuid.uuid4().hex[:12]}")}


def remove_left_by_dead_processes(paths, prefix: str = "") -> None:
    """Remove the files and folders among ``paths`` named ``<prefix><pid>-...`` whose process is gone
    (killed, or crashed inside DuckDB, before its own clean-up ran)."""
    for path in paths:
        pid = path.name[len(prefix):].split("-", 1)[0]
        if path.name.startswith(prefix) and pid.isdigit() and not pid_alive(int(pid)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no such call here: not ours to clean
        return True
    return True


def _open_instance(path: Path, manifest: Manifest) -> duckdb.DuckDBPyConnection:
    return _ReadInstance(path, manifest).con


class _ReadInstance:
    """A reader's in-memory DuckDB instance with the segments of one generation attached and the views over
    them in ``memory.reader``. ``advance`` moves it to a newer generation by attaching only the segments it
    lacks (published segments never change) and rebuilding the views: what the instance has cached of
    the segments it keeps stays warm, so the first queries after an ingest do not start cold (issue 13).
    A segment the new generation dropped (merged, compacted) is detached one generation later, so a query
    still running on the previous views finishes on it."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
        self.attached: dict[tuple, str] = {}  # (segment name, inode, mtime) -> alias
        self.retiring: list[str] = []  # aliases the current generation no longer lists
        self.schema, self._retiring_schema = "memory.reader", None
        self._next = 0
        try:
            self.con.execute("SET enable_progress_bar = false")
            self._show(manifest, self.schema)
            load_fts(self.con)  # porter stem() for search; once per instance, its cursors share it
            load_stopwords(self.con)
        except BaseException:
            self.con.close()
            raise

    def advance(self, manifest: Manifest) -> None:
        """Show ``manifest``'s generation in a schema of its own (a cursor taken before keeps reading the
        views of its generation); the schema and segments of the generation before the previous go."""
        schema = f"memory.reader_g{manifest.generation}"
        self._show(manifest, schema)
        if self._retiring_schema:
            self.con.execute(f"DROP SCHEMA IF EXISTS {self._retiring_schema} CASCADE")
        self._retiring_schema, self.schema = self.schema, schema

    def _show(self, manifest: Manifest, schema: str) -> None:
        aliases, wanted = [], {}
        for name in manifest.segments:
            file = self.path / SEGMENT_DIR / name
            try:
                st = file.stat()
            except OSError as exc:
                raise StoreError(f"segment {name} of {self.path} is missing: {first_line(exc)}") from exc
            key = (name, st.st_ino, st.st_mtime_ns)  # a name reused by a later segment is another file
            alias = self.attached.get(key)
            if alias is None:
                alias = f"seg{self._next}"
                self._next += 1
                _attach(self.con, file, alias, read_only=True)
                self.attached[key] = alias
            wanted[key] = alias
            aliases.append(alias)
        try:
            build_views(self.con, aliases, schema)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path} is damaged (a segment lacks its tables): {first_line(exc)}") from exc
        for alias in self.retiring:  # dropped by the generation before this one: nothing reads it now
            if alias not in wanted.values():
                try:
                    self.con.execute(f"DETACH {alias}")
                except duckdb.Error:
                    pass  # still in use: the instance keeps it (read-only, harmless)
        self.retiring = [a for k, a in self.attached.items() if k not in wanted]
        self.attached = {k: a for k, a in self.attached.items() if k in wanted or a in self.retiring}


def open_reader(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A new read-only connection on the published archive (its own instance; close it when done)."""
    if is_address(db_path):
        from trends.lake import reader

        return reader.open_reader(db_path)
    path = Path(db_path)
    con = _open_instance(path, read_manifest(path))
    con.execute("USE memory.reader")
    return con


_read_lock = threading.Lock()
_read_instances: dict[str, list] = {}  # archive path -> [generation shown, _ReadInstance]
_thread_state = threading.local()


def read_cursor(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only cursor for this thread on the newest published generation of the archive.

    One database instance per archive per process; each thread gets its own cursor from it (DuckDB
    connections are not thread-safe). When a writer has published a new generation the next call moves
    the instance to it (`_ReadInstance.advance`: only new segments are attached, the rest stay warm); a
    compacted-away file stays readable while attached.
    """
    if is_address(db_path):
        from trends.lake import reader

        return reader.read_cursor(db_path)
    path = Path(db_path)
    for attempt in range(5):
        manifest = read_manifest(path)
        gen = Generation(str(path.resolve()), manifest.generation)
        cached = getattr(_thread_state, "cursors", None)
        if cached is None:
            cached = _thread_state.cursors = {}
        hit = cached.get(gen.path)
        if hit is not None and hit[0] == gen:
            return hit[1]
        try:
            with _read_lock:
                inst = _read_instances.get(gen.path)
                if inst is None:
                    inst = _read_instances[gen.path] = [gen, _ReadInstance(path, manifest)]
                elif inst[0] != gen:
                    inst[1].advance(manifest)
                    inst[0] = gen
                cursor, schema = inst[1].con.cursor(), inst[1].schema
        except StoreError:
            # a compaction may have published and removed a segment between reading the manifest and
            # attaching it: read the manifest again; the same generation failing twice is real damage
            if attempt < 4 and read_manifest(path).generation != manifest.generation:
                continue
            raise
        cursor.execute(f"USE {schema}")
        cached[gen.path] = (gen, cursor)
        return cursor
    raise StoreError(f"{path} kept changing while opening it; try again")


def read_state(db_path: str | os.PathLike) -> tuple[duckdb.DuckDBPyConnection, Generation]:
    """`read_cursor` and the `generation` it reads, seen together (a writer may publish between two calls);
    on a shared store one catalog check answers both."""
    if is_address(db_path):
        from trends.lake import reader

        return reader.read_state(db_path)
    for _ in range(3):
        cur = read_cursor(db_path)
        key = generation(db_path)
        if read_cursor(db_path) is cur:
            break
    return cur, key


def direct_cursor(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """`read_cursor` for one-off reads (the CLI's stats, an ingest's checks): on a shared store, views
    straight over the lake's newest snapshot instead of building this process's local read copy."""
    if is_address(db_path):
        from trends.lake import reader

        return reader.direct_cursor(db_path)
    return read_cursor(db_path)


def views_schema(con: duckdb.DuckDBPyConnection) -> str:
    """The schema holding the views a reader cursor or connection reads (``memory.reader``, or the schema of
    a later generation on a long-lived instance), for helpers that take a schema name."""
    return ".".join(con.execute("SELECT current_database(), current_schema()").fetchone())


# ------------------------------------------------------------------------------------------ the writer


@dataclass
class Writer:
    """The open writer: ``con`` writes the working segment (its default catalog); ``live`` names the
    schema of views over every published segment plus the working one (what the archive will be)."""

    path: Path
    con: duckdb.DuckDBPyConnection
    work: Path
    rewrite: bool
    base: Manifest | None
    live: str = "memory.live"
    resumed: bool = False
    notices: list[str] = dataclasses.field(default_factory=list)

    def refresh_views(self) -> None:
        aliases = [f"seg{i}" for i in range(len(self.base.segments) if self.base and not self.rewrite else 0)]
        build_views(self.con, aliases + ["work"], self.live, live_superseded="work.superseded")

    def published_articles(self) -> int:
        """Articles in published segments (0 for a new archive or a rewrite)."""
        if self.rewrite or not self.base:
            return 0
        return sum(_count(self.con, f"SELECT count(*) FROM seg{i}.articles") for i in range(len(self.base.segments)))


# preserve_insertion_order stays on: segments are written sorted (tags by article, tags_by_key by key,
# postings by term, articles by date) so that zone maps skip row groups; turning it off scrambles that.
WRITE_CONFIG = {"threads": 2, "memory_limit": "1GB"}


def _lock(path: Path, wait: bool):
    try:
        path.mkdir(parents=True, exist_ok=True)
        fh = open(path / LOCK, "a+")
    except OSError as exc:
        raise storage_error(exc, path, "opening") from exc
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError as exc:
        fh.close()
        raise StoreError(f"another ingest is writing {path}; try again when it finishes") from exc
    return fh


def _stale_work(path: Path, rewrite: bool, notices: list[str]) -> Path | None:
    """Resume a crashed incremental working segment; discard crashed rewrites (they are recomputed)."""
    for old in sorted(path.glob("rewrite-*.duckdb*")):
        old.unlink(missing_ok=True)
    for tmp in path.glob(f".{MANIFEST}.*.tmp"):
        tmp.unlink(missing_ok=True)
    _adopt_orphans(path)
    works = sorted(p for p in path.glob("work-*.duckdb"))
    for extra in works[1:]:
        extra.unlink(missing_ok=True)
        Path(str(extra) + ".wal").unlink(missing_ok=True)
    if not works:
        return None
    if rewrite:
        return works[0]  # a rewrite first publishes the crashed run's committed batches (see writer)
    probe = None
    try:
        probe = duckdb.connect(str(works[0]))
        probe.execute("SELECT count(*) FROM superseded").fetchone()
        return works[0]
    except duckdb.Error as exc:
        notices.append(f"discarded the damaged working segment of a crashed run ({first_line(exc)})")
        works[0].unlink(missing_ok=True)
        Path(str(works[0]) + ".wal").unlink(missing_ok=True)
        return None
    finally:
        if probe is not None:
            probe.close()


def _segment_number(name: str) -> int:
    try:
        return int(name.split("-", 1)[1].split(".", 1)[0])
    except (IndexError, ValueError):
        return -1


def _adopt_orphans(path: Path) -> None:
    """Segment files the manifest does not list: a crash between renaming a finished working segment into
    segments/ and writing the manifest leaves one numbered past the manifest. An incremental one is
    adopted back as the working segment (its batches are complete and resumable); a rewrite or merge
    result is discarded (it is recomputed). Older unlisted files were replaced: they go."""
    manifest = _probe(path)[1]
    listed = set(manifest.segments) if manifest else set()
    newest = manifest.generation if manifest else 0
    for seg in sorted((path / SEGMENT_DIR).glob("seg-*.duckdb")):
        if seg.name in listed:
            continue
        kind = None
        if _segment_number(seg.name) > newest:
            with contextlib.suppress(duckdb.Error):
                probe = duckdb.connect(str(seg), read_only=True)
                try:
                    row = probe.execute("SELECT value FROM meta WHERE key = 'segment_kind'").fetchone()
                    kind = row[0] if row else "incremental"
                finally:
                    probe.close()
        if kind == "incremental" and not any(path.glob("work-*.duckdb")):
            os.replace(seg, path / f"work-{int(time.time())}-{uuid.uuid4().hex[:8]}.duckdb")
        else:
            seg.unlink(missing_ok=True)
            Path(str(seg) + ".wal").unlink(missing_ok=True)


def _next_segment_name(path: Path, manifest: Manifest | None) -> tuple[int, str]:
    number = (manifest.generation if manifest else 0) + 1
    while (path / SEGMENT_DIR / f"seg-{number:06d}.duckdb").exists():
        number += 1
    return number, f"seg-{number:06d}.duckdb"


def _base_manifest(path: Path) -> Manifest | None:
    status, manifest = _probe(path)
    if status.state == "legacy" or status.state == "damaged":
        raise StoreError(status.message)
    return manifest


@contextlib.contextmanager
def writer(
    db_path: str | os.PathLike,
    *,
    wait: bool = True,
    settings: dict | None = None,
    rewrite: bool = False,
    copy: Callable[["Writer"], None] | None = None,
    finish: Callable[["Writer"], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one writer: yields a connection to the working segment; publishes it when the block ends.

    Incremental (default): a new (or the crashed run's resumed) working segment, published as one more
    segment. ``rewrite=True``: a fresh segment that replaces every published one (rebuild, compact,
    retag, themes fit); ``copy(w)`` fills it from the live archive first. ``finish(w)`` runs before
    publishing (derived data, compaction bookkeeping). Commit as often as you like inside: committed
    batches of an incremental writer survive a crash and the next writer resumes them.
    ``settings``: key/value pairs stored in ``meta`` (a new archive needs ``about_threshold``).
    """
    w = None
    with _writer(Path(db_path), wait, settings, rewrite, copy) as w:
        yield w.con
        if finish is not None:
            finish(w)
    # published on a clean exit of the block (see _writer)


@contextlib.contextmanager
def open_writer(db_path, **kwargs) -> Iterator[Writer]:
    """Like `writer` but yields the `Writer` (its live views and facts), for the ingest and derived data.
    A shared-store address gets `trends.lake.writer.open_writer` (same Writer, published to the catalog)."""
    if is_address(db_path):
        from trends.lake import writer as lake_writer

        with lake_writer.open_writer(db_path, **kwargs) as w:
            yield w
        return
    finish = kwargs.pop("finish", None)
    with _writer(Path(db_path), kwargs.pop("wait", True), kwargs.pop("settings", None), kwargs.pop("rewrite", False),
                 kwargs.pop("copy", None)) as w:
        yield w
        if finish is not None:
            finish(w)


@contextlib.contextmanager
def _writer(path: Path, wait: bool, settings: dict | None, rewrite: bool, copy) -> Iterator[Writer]:
    if path.is_file():
        raise StoreError(_legacy_message(path))
    lock = _lock(path, wait)
    con = None
    w = None
    try:
        try:
            (path / SEGMENT_DIR).mkdir(exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, path, "opening") from exc
        base = _base_manifest(path)
        notices: list[str] = []
        stale = _stale_work(path, rewrite, notices)
        if rewrite and stale is not None:
            # publish what the crashed incremental run committed first, so the rewrite includes it
            _publish_stale(path, stale, base)
            base = _base_manifest(path)
            stale = None
        if rewrite:
            work = path / f"rewrite-{uuid.uuid4().hex[:12]}.duckdb"
        else:
            work = stale or path / f"work-{int(time.time())}-{uuid.uuid4().hex[:8]}.duckdb"
        if settings is None:
            settings = {}
        if base is None and stale is None and "about_threshold" not in settings and not rewrite:
            raise StoreError("a new archive needs its about_threshold setting (trends.ingest passes tagging's)")
        try:
            con = duckdb.connect(":memory:", config=own_spill(WRITE_CONFIG))
            con.execute("SET enable_progress_bar = false")  # no DuckDB bar on a user's terminal
            for i, name in enumerate(base.segments if base else ()):
                _attach(con, path / SEGMENT_DIR / name, f"seg{i}", read_only=True)
            # small blocks for small segments (a default 256 kB block per table would make a one-article
            # segment 4.7 MB); a rewrite or a new archive's first segment is the big base: default blocks
            small = not rewrite and base is not None and stale is None
            con.execute(f"ATTACH {_quote(work)} AS work" + (" (BLOCK_SIZE 16384)" if small else ""))
            create_tables(con, "work")
            con.execute("DROP INDEX IF EXISTS work.articles_by_id")  # a resumed segment may carry it
            con.execute("USE work")
            con.execute("SET checkpoint_threshold = '1GB'")  # one checkpoint at publish, not every 16 MB
            load_fts(con)
            load_stopwords(con)
            w = Writer(path, con, work, rewrite, base, resumed=stale is not None, notices=notices)
            for line in notices:
                print(f"trends: {line}", file=sys.stderr)
            if rewrite:
                set_setting(con, "segment_kind", "base")
                if copy is not None:
                    copy(w)
            for key, value in settings.items():
                set_setting(con, key, value)
            w.refresh_views()
        except duckdb.Error as exc:
            raise storage_error(exc, work, "writing") from exc
        try:
            yield w
        except BaseException as exc:
            _abandon(w, exc)
            raise
        try:
            _publish(w)
        except (duckdb.Error, OSError) as exc:
            _abandon(w, exc)
            raise storage_error(exc, path, "publishing") from exc
    finally:
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _is_disk_full(exc: BaseException) -> bool:
    err = storage_error(exc, Path("."), "")
    return "disk is full" in str(err)


def _abandon(w: Writer, exc: BaseException) -> None:
    """After a failure: a rewrite is discarded; an incremental working segment is kept for the rerun,
    unless the disk is full (then it goes, so it cannot keep the disk full)."""
    with contextlib.suppress(Exception):
        w.con.close()
    if w.rewrite or _is_disk_full(exc) or isinstance(exc, StoreError) and "disk is full" in str(exc):
        w.work.unlink(missing_ok=True)
        Path(str(w.work) + ".wal").unlink(missing_ok=True)


def set_setting(con, key: str, value) -> None:
    """Store a setting in the working segment's ``meta`` (newest segment wins)."""
    con.execute("DELETE FROM work.meta WHERE key = ?", [key])
    con.execute("INSERT INTO work.meta VALUES (?, ?)", [key, None if value is None else str(value)])


def get_setting(con, key: str, schema: str = "memory.live") -> str | None:
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def index_articles(con, catalog: str) -> None:
    """A unique index on the segment's ``articles.article_id`` (built once, just before publishing): list
    lookups (a search page's 25 articles) then read only those rows' text, not every body; it also proves
    the segment holds each article once. Not kept while writing (rows are deleted and re-inserted)."""
    con.execute(f"DROP INDEX IF EXISTS {catalog}.articles_by_id")
    con.execute(f"CREATE UNIQUE INDEX articles_by_id ON {catalog}.articles (article_id)")


def _publish(w: Writer) -> None:
    con = w.con
    crash_point("before-publish")
    if not _count(con, "SELECT count(*) FROM duckdb_indexes() WHERE database_name = 'work' AND index_name = 'articles_by_id'"):
        index_articles(con, "work")
    con.execute("CHECKPOINT work")
    con.execute("USE memory")
    con.execute("DETACH work")
    _fsync_path(w.work)
    manifest = _base_manifest(w.path)
    number, name = _next_segment_name(w.path, manifest)
    target = w.path / SEGMENT_DIR / name
    os.replace(w.work, target)
    Path(str(w.work) + ".wal").unlink(missing_ok=True)
    _fsync_path(w.path / SEGMENT_DIR, directory=True)
    old = manifest.segments if manifest else ()
    segments = (name,) if w.rewrite else old + (name,)
    _write_manifest(w.path, Manifest(number, segments))
    if w.rewrite:
        _remove_unlisted(w.path, segments)


def _publish_stale(path: Path, stale: Path, base: Manifest | None) -> None:
    con = duckdb.connect(str(stale))
    con.execute("CHECKPOINT")
    con.close()
    number, name = _next_segment_name(path, base)
    os.replace(stale, path / SEGMENT_DIR / name)
    _write_manifest(path, Manifest(number, (base.segments if base else ()) + (name,)))


def _remove_unlisted(path: Path, keep: tuple[str, ...]) -> None:
    """Segments no longer in the manifest (readers that have them open keep reading the unlinked inode)."""
    for seg in (path / SEGMENT_DIR).glob("seg-*.duckdb*"):
        if seg.name not in keep:
            seg.unlink(missing_ok=True)


def replace_segments(path: Path, first: int, last: int, merged_file: Path) -> None:
    """Publish ``merged_file`` in place of segments first..last (inclusive) of the current manifest."""
    manifest = _base_manifest(path)
    number, name = _next_segment_name(path, manifest)
    os.replace(merged_file, path / SEGMENT_DIR / name)
    _fsync_path(path / SEGMENT_DIR, directory=True)
    segments = manifest.segments[:first] + (name,) + manifest.segments[last + 1:]
    _write_manifest(path, Manifest(number, segments))
    _remove_unlisted(path, segments)


@contextlib.contextmanager
def locked(db_path: str | os.PathLike, wait: bool = True) -> Iterator[Manifest | None]:
    """Hold the writer lock without a working segment (compaction of published segments)."""
    path = Path(db_path)
    lock = _lock(path, wait)
    try:
        yield _base_manifest(path)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def segment_files(db_path: str | os.PathLike) -> list[Path]:
    manifest = read_manifest(db_path)
    return [Path(db_path) / SEGMENT_DIR / s for s in manifest.segments]


def archive_bytes(db_path: str | os.PathLike) -> int:
    """Bytes on disk of everything in the archive folder."""
    return sum(p.stat().st_size for p in Path(db_path).rglob("*") if p.is_file())
