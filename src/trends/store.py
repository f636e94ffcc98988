"""The DuckDB store: schema, migrations, and the two ways in (one writer, many readers).

DuckDB lets one process write a file or many processes read it, never both. So writers never touch
the live file in place: `writer()` works on a sibling working copy (``<db>.ingest``) under an
exclusive lock file, commits batch by batch there, and on success checkpoints it and atomically
renames it over the live file. Readers (the dashboard) keep reading the old inode until they notice the
new generation (inode + mtime) and reopen. A crash (even ``kill -9``) leaves the live file untouched and
the working copy holding every committed batch, so the next writer resumes from it.

Tables (schema version ``SCHEMA_VERSION``):

- ``meta(key, value)``: schema version and small facts (e.g. the fitted theme model).
- ``articles``: one row per article. ``article_id`` is a stable 63-bit hash of ``identity``
  (``url:<url>``, else ``td:<normalised title>|<date>``, else ``hash:<content hash>``), so the same
  article gets the same id in every database. ``title`` is the full title line, ``headline`` the title
  without its ``SOURCE:`` prefix, ``source`` the organisation. ``views`` / ``views_observed_at`` mirror
  the newest view snapshot for fast queries. ``input`` is the file (and record) it came from,
  ``synthetic`` flags generated demo text.
- ``view_snapshots(article_id, observed_at, views, run_id)``: every distinct view count ever seen, so
  growth between scrapes is kept rather than overwritten.
- ``related(article_id, position, title, title_key, target_id)``: the "Read also" links in page order;
  ``target_id`` is filled when an article with that normalised headline is in the database.
- ``tags(article_id, kind, key, label, mentions, score, method, spans, published)``: what an article is
  about. ``kind`` is country/person/org/topic/theme; ``spans`` are ``[start, end]`` offsets into
  ``title + "\\n\\n" + body``; ``published`` is copied from the article so time series need no join.
- ``ingest_runs``: one row per ingest/retag/demo run with its counts and status.
- ``rejects(run_id, input, record, reason, excerpt, rejected_at)``: every input that was not stored, and why.
- ``about_tags`` (a view): the tags whose score reaches ``trends.tagging.ABOUT_THRESHOLD``; every count on
  the dashboard is over these, so a passing mention does not make an article \"about\" a country.
- ``themes(key, label, top_terms, weight, articles, fitted_at)``: the NMF theme model fitted on the corpus
  (``trends.tagging.themes``); its assignments are ``tags`` of kind ``theme``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from trends.tagging.model import ABOUT_THRESHOLD

SCHEMA_VERSION = 3

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
        """CREATE TABLE IF NOT EXISTS ingest_runs (
            run_id INTEGER PRIMARY KEY,
            command VARCHAR NOT NULL,
            inputs VARCHAR,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            status VARCHAR NOT NULL DEFAULT 'running',
            new_articles INTEGER DEFAULT 0,
            updated_articles INTEGER DEFAULT 0,
            unchanged_articles INTEGER DEFAULT 0,
            rejected INTEGER DEFAULT 0,
            seconds DOUBLE
        )""",
        """CREATE TABLE IF NOT EXISTS articles (
            article_id BIGINT PRIMARY KEY,
            identity VARCHAR NOT NULL,
            url VARCHAR,
            source VARCHAR,
            title VARCHAR NOT NULL,
            headline VARCHAR NOT NULL,
            published DATE,
            authors VARCHAR[] NOT NULL DEFAULT [],
            body VARCHAR NOT NULL,
            word_count INTEGER NOT NULL,
            language VARCHAR,
            content_hash VARCHAR NOT NULL,
            views BIGINT,
            views_observed_at TIMESTAMP,
            first_seen TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL,
            input VARCHAR,
            format VARCHAR,
            run_id INTEGER,
            synthetic BOOLEAN NOT NULL DEFAULT FALSE,
            tagged_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS view_snapshots (
            article_id BIGINT NOT NULL,
            observed_at TIMESTAMP NOT NULL,
            views BIGINT NOT NULL,
            run_id INTEGER
        )""",
        """CREATE TABLE IF NOT EXISTS related (
            article_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            title VARCHAR NOT NULL,
            title_key VARCHAR NOT NULL,
            target_id BIGINT
        )""",
        """CREATE TABLE IF NOT EXISTS tags (
            article_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            mentions INTEGER NOT NULL,
            score DOUBLE NOT NULL,
            method VARCHAR NOT NULL,
            spans INTEGER[][],
            published DATE
        )""",
        """CREATE TABLE IF NOT EXISTS rejects (
            run_id INTEGER,
            input VARCHAR NOT NULL,
            record VARCHAR,
            reason VARCHAR NOT NULL,
            excerpt VARCHAR,
            rejected_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )""",
    ],
    # 2: the fitted theme model (trends.tagging.themes): one row per theme, labelled by its top terms.
    2: [
        """CREATE TABLE IF NOT EXISTS themes (
            key VARCHAR PRIMARY KEY,
            label VARCHAR NOT NULL,
            top_terms VARCHAR[] NOT NULL,
            weight DOUBLE,
            articles INTEGER NOT NULL DEFAULT 0,
            fitted_at TIMESTAMP NOT NULL
        )""",
    ],
    # Charts count what an article is *about*, not every passing mention (trends.tagging.ABOUT_THRESHOLD);
    # the full tags table stays for the article view, which highlights every mention.
    3: [
        f"CREATE OR REPLACE VIEW about_tags AS SELECT * FROM tags WHERE score >= {float(ABOUT_THRESHOLD)!r}",
    ],
}


class StoreError(RuntimeError):
    """A problem with the database file that the user can act on (message is one line)."""


def stable_id(identity: str) -> int:
    """A 63-bit id from an identity string: the same article gets the same id in every database."""
    return int.from_bytes(hashlib.blake2b(identity.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring a writable connection's schema forward to SCHEMA_VERSION; returns the version reached."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {current} is newer than this tool ({SCHEMA_VERSION}); upgrade commentary-trends"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        for statement in _MIGRATIONS[version]:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
        )
        con.execute("COMMIT")
    return SCHEMA_VERSION


# --------------------------------------------------------------------------------------------- bulk rows


def arrow_rows(schema, rows) -> "pa.Table":
    """Python row tuples -> an Arrow table of ``schema`` (DuckDB scans it without a per-row insert)."""
    import pyarrow as pa

    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, schema, rows) -> None:
    """Bulk-insert row tuples into ``table`` (one of our own table names) through a registered Arrow table."""
    if not rows:
        return
    view = f"_incoming_{table}"
    con.register(view, arrow_rows(schema, rows))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")  # table names are our constants
    finally:
        con.unregister(view)


# --------------------------------------------------------------------------------------------- writer


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (or its type's name): users get one line, not a traceback."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _sidecar(db_path: Path, suffix: str) -> Path:
    return db_path.with_name(db_path.name + suffix)


@contextlib.contextmanager
def writer(db_path: str | os.PathLike, *, wait: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection whose changes replace the live file atomically when the block ends.

    Only one writer at a time (an exclusive lock on ``<db>.lock``; a second writer waits, or raises
    StoreError with ``wait=False``). Commit as often as you like inside: committed batches survive a
    crash in the working copy and the next writer picks them up.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _sidecar(db_path, ".lock")
    work = _sidecar(db_path, ".ingest")
    partial = _sidecar(db_path, ".ingest.partial")
    with open(lock_path, "a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise StoreError(f"another ingest is writing {db_path}; try again when it finishes") from exc
        try:
            if not work.exists():
                # A stale working copy (from a crash) already holds the live file plus committed batches.
                if db_path.exists():
                    shutil.copyfile(db_path, partial)
                    os.replace(partial, work)
            con = duckdb.connect(str(work))
            try:
                migrate(con)
                yield con
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(work, db_path)
            _fsync_dir(db_path.parent)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def ensure_database(db_path: str | os.PathLike) -> Path:
    """Create an empty, migrated database file if there is none (or migrate an old one)."""
    db_path = Path(db_path)
    if db_path.exists() and not _sidecar(db_path, ".ingest").exists():
        try:
            con = duckdb.connect(str(db_path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {db_path}: {str(exc).splitlines()[0]}") from exc
        try:
            if schema_version(con) == SCHEMA_VERSION:
                return db_path
        finally:
            con.close()
    with writer(db_path):
        pass
    return db_path


# --------------------------------------------------------------------------------------------- readers


@dataclass(frozen=True)
class Generation:
    """Identifies one published state of the database file; changes whenever a writer swaps it in."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def generation(db_path: str | os.PathLike) -> Generation:
    path = Path(db_path)
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise StoreError(f"no database at {path}; run `trends demo` or `trends ingest` first") from exc
    return Generation(str(path.resolve()), st.st_ino, st.st_mtime_ns, st.st_size)


_read_lock = threading.Lock()
_read_instances: dict[str, tuple[Generation, duckdb.DuckDBPyConnection]] = {}
_thread_state = threading.local()

# Readers spill (rarely) to the system temp folder, never to a `.tmp/` in whatever folder the app runs from.
READ_CONFIG = {
    "threads": 2,
    "memory_limit": "350MB",
    "temp_directory": os.path.join(tempfile.gettempdir(), "trends-duckdb-spill"),
}


def fts_extension_path() -> str | None:
    """The fts extension shipped in the duckdb-extension-fts wheel, if installed for this duckdb."""
    try:
        import duckdb_extension_fts  # noqa: F401  (a data-only package)
    except ImportError:
        return None
    base = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    candidate = base / "fts.duckdb_extension"
    return str(candidate) if candidate.exists() else None


def load_fts(con: duckdb.DuckDBPyConnection) -> bool:
    """Load full-text search offline from the wheel; fall back to INSTALL where the network allows."""
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


def _open_generation(gen: Generation) -> duckdb.DuckDBPyConnection:
    # An in-memory instance that ATTACHes the file: duckdb's per-path instance cache would otherwise hand
    # back the old, already-open inode after a writer has swapped a new file in.
    con = duckdb.connect(":memory:", config=READ_CONFIG)
    try:  # ATTACH cannot take a bound parameter for the path: a quoted literal, quotes doubled
        con.execute(f"ATTACH '{gen.path.replace(chr(39), chr(39) * 2)}' AS db (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"cannot open {gen.path} for reading: {str(exc).splitlines()[0]}") from exc
    load_fts(con)  # once per instance: its cursors share the loaded extension
    return con


def read_cursor(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only cursor for this thread on the newest published generation of the file.

    One database instance per generation per process; each thread gets its own cursor from it
    (DuckDB connections are not thread-safe). When a writer has swapped in a new file the next call
    opens it; old cursors keep reading the old inode until they are dropped.
    """
    gen = generation(db_path)
    cached = getattr(_thread_state, "cursors", None)
    if cached is None:
        cached = _thread_state.cursors = {}
    hit = cached.get(gen.path)
    if hit is not None and hit[0] == gen:
        return hit[1]
    with _read_lock:
        inst = _read_instances.get(gen.path)
        if inst is None or inst[0] != gen:
            inst = (gen, _open_generation(gen))
            _read_instances[gen.path] = inst
        cursor = inst[1].cursor()
    cursor.execute("USE db")
    cached[gen.path] = (gen, cursor)
    return cursor
