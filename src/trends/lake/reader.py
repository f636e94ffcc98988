"""Reading the shared store. The dashboard reads a local read copy: per process, one snapshot of the lake
copied into a private DuckDB file, with the same views as a local archive over it.

Why: views over the lake itself pay DuckLake's catalog work on every query (file lists and column
statistics from PostgreSQL per table scanned; docs/scaling.md), ~4x the local archive's latency. The copy
turns that into one cost per published snapshot.

- `read_cursor` / `generation` (what `trends.queries` and the st.cache_data key use): each read asks the
  catalog for its newest snapshot id (one small catalog query). When it is newer than the copy, the read
  that notices builds the new copy (`_Store.refresh`: the lake attached pinned at that snapshot id,
  ``SNAPSHOT_VERSION``, so the copy holds exactly one snapshot whatever writers commit meanwhile) and then
  answers from it: the first page after a publish waits for one copy. Reads in other threads meanwhile
  keep answering from the old copy (they never wait for a refresh, except before the first copy exists);
  `generation` is always the snapshot of the copy the thread reads, so a cached answer is never filed
  under a snapshot it was not computed from.
- The copy is a file in ``$TMPDIR/trends-readcopy-<uid>/<pid>-<random>/`` (not memory: article bodies stay
  on disk until read); the copy before the previous is dropped when a new one is in place (a query still
  running on the previous finishes on it). Nothing here writes the catalog or the data folder.
- `open_reader` / `direct_cursor`: views straight over the newest snapshot, for one-off reads (the CLI's
  stats, an ingest's checks, tests) where building a copy would cost more than it saves.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from trends.lake import catalog, parse_address
from trends.store import (
    READ_CONFIG, WRITE_CONFIG, Generation, Status, StoreError, _quote, build_views, first_line, load_fts, load_stopwords, own_spill,
    remove_left_by_dead_processes,
)

COPY_ROOT = Path(tempfile.gettempdir()) / f"trends-readcopy-{os.getuid()}"  # per user: /tmp is shared

_lock = threading.Lock()
_direct: dict[str, duckdb.DuckDBPyConnection] = {}
_stores: dict[str, "_Store"] = {}
_local = threading.local()


# ------------------------------------------------------------------------------------------ views over the lake


def _open(db: str) -> duckdb.DuckDBPyConnection:
    address = parse_address(db)
    con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
    try:
        _prepare(con)
        catalog.attach(con, address, catalog.ALIAS, read_only=True)
        if not catalog.has_archive(con):
            raise StoreError(f"no archive in the shared store {address} yet; run `trends ingest ... --db {address}` first")
        build_views(con, [catalog.ALIAS], "memory.reader", collapse_rollups=True)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"cannot read the shared store {address}: {first_line(exc)}") from exc
    except BaseException:
        con.close()
        raise
    return con


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET enable_progress_bar = false")
    load_fts(con)
    load_stopwords(con)  # before the lake is attached: its check lists every attached catalog


def direct_cursor(db: str) -> duckdb.DuckDBPyConnection:
    """This thread's cursor on views straight over the lake's newest snapshot (no copy: one-off reads)."""
    cursors = _thread_dict("direct")
    cur = cursors.get(db)
    if cur is None:
        with _lock:
            inst = _direct.get(db)
            if inst is None:
                inst = _direct[db] = _open(db)
            cur = inst.cursor()
        cur.execute("USE memory.reader")
        cursors[db] = cur
    return cur


def open_reader(db: str) -> duckdb.DuckDBPyConnection:
    """A new read-only connection of its own on views over the newest snapshot (close it when done)."""
    con = _open(db)
    con.execute("USE memory.reader")
    return con


def _thread_dict(name: str) -> dict:
    found = getattr(_local, name, None)
    if found is None:
        found = {}
        setattr(_local, name, found)
    return found


# ------------------------------------------------------------------------------------------ the read copy


@dataclass(frozen=True)
class Copy:
    """One snapshot of the lake copied into a local file: where, how big, how long it took to build."""

    snapshot: int
    alias: str
    schema: str
    file: Path
    seconds: float
    bytes: int


class _Store:
    """One process's read side of one shared store: an in-memory DuckDB instance with the lake attached
    READ_ONLY (only to ask for the newest snapshot and to copy from) and the current copy attached."""

    def __init__(self, db: str) -> None:
        self.address = parse_address(db)
        COPY_ROOT.mkdir(parents=True, exist_ok=True)
        remove_left_by_dead_processes(COPY_ROOT.iterdir())  # copies of dashboard processes that died
        self.folder = COPY_ROOT / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.folder.mkdir()
        self.con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
        self.current: Copy | None = None
        self.previous: Copy | None = None
        self.refreshing = threading.Lock()  # one copy built at a time
        self._next = 0
        try:
            _prepare(self.con)
            catalog.attach(self.con, self.address, catalog.ALIAS, read_only=True)
            self.fast_check = catalog.attach_catalog_database(self.con, self.address)
            if not catalog.has_archive(self.con):
                raise StoreError(f"no archive in the shared store {self.address} yet; "
                                 f"run `trends ingest ... --db {self.address}` first")
        except BaseException as exc:
            self.close()
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"cannot read the shared store {self.address}: {first_line(exc)}") from exc
            raise

    def newest(self) -> int:
        """The catalog's newest snapshot id (a cursor per thread: connections are not thread-safe)."""
        cursors = _thread_dict("watch")
        hit = cursors.get(self.address.attach)
        if hit is None or hit[0] is not self:  # none yet, or one of a store closed since
            with _lock:
                hit = cursors[self.address.attach] = (self, self.con.cursor())
        cur = hit[1]
        return catalog.newest_snapshot(cur) if self.fast_check else catalog.snapshot_id(cur, catalog.ALIAS)

    def pick(self) -> Copy:
        """The copy this read answers from: the newest snapshot's, built now if nobody is building one;
        the current one while another thread builds (never a wait longer than one copy)."""
        newest = self.newest()
        copy = self.current
        if copy is not None and copy.snapshot >= newest:
            return copy
        if copy is None:
            with self.refreshing:  # nothing to answer from yet: wait for the first copy (or build it)
                if self.current is None:
                    self.refresh(newest)
        elif self.refreshing.acquire(blocking=False):
            try:
                if self.current.snapshot < newest:
                    self.refresh(newest)
            finally:
                self.refreshing.release()
        return self.current

    def refresh(self, snapshot: int) -> Copy:
        """Copy snapshot ``snapshot`` into a new local file and put it in place (caller holds `refreshing`).
        The copy is written by an instance of its own (a writer's memory limit, its own spill folder), so
        building it takes nothing from the instance the pages read, and a failed build leaves it as it was."""
        started = time.perf_counter()
        n, self._next = self._next, self._next + 1
        alias, schema = f"copy{n}", f"memory.reader_s{snapshot}_{n}"
        file = self.folder / f"snapshot-{snapshot}-{n}.duckdb"
        try:
            _write_copy(self.address, snapshot, file)
            with self.con.cursor() as cur:
                try:
                    cur.execute(f"ATTACH {_quote(file)} AS {alias} (READ_ONLY)")
                    build_views(cur, [alias], schema)
                except BaseException:
                    for sql in (f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"DETACH DATABASE IF EXISTS {alias}"):
                        _quietly(cur, sql)
                    raise
        except BaseException as exc:
            file.unlink(missing_ok=True)
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"cannot copy snapshot {snapshot} of the shared store {self.address}: {first_line(exc)}") from exc
            raise
        made = Copy(snapshot, alias, schema, file, round(time.perf_counter() - started, 3), file.stat().st_size)
        retired, self.previous, self.current = self.previous, self.current, made
        if retired is not None:  # two copies back: no read has started on it since the previous was put in place
            self._drop(retired)
        return made

    def _drop(self, copy: Copy) -> None:
        with self.con.cursor() as cur:
            _quietly(cur, f"DROP SCHEMA IF EXISTS {copy.schema} CASCADE")
            _quietly(cur, f"DETACH DATABASE IF EXISTS {copy.alias}")
        copy.file.unlink(missing_ok=True)
        Path(str(copy.file) + ".wal").unlink(missing_ok=True)

    def close(self) -> None:
        try:
            self.con.close()
        except (AttributeError, duckdb.Error):
            pass  # never opened, or already closed
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_copy(address, snapshot: int, file: Path) -> None:
    """The lake pinned at ``snapshot`` (DuckLake's ``SNAPSHOT_VERSION``: one snapshot, whatever writers
    commit meanwhile) copied into the new DuckDB file ``file``, table by table as the archive's views show it."""
    from trends.derived import copy_tables

    con = duckdb.connect(":memory:", config=own_spill(WRITE_CONFIG))
    try:
        con.execute("SET enable_progress_bar = false")
        catalog.attach(con, address, "pinned", snapshot=snapshot)
        build_views(con, ["pinned"], "memory.source", collapse_rollups=True)
        con.execute(f"ATTACH {_quote(file)} AS copy")
        copy_tables(con, "memory.source", ["pinned"], "copy")
        con.execute("CHECKPOINT copy")
    finally:
        con.close()


def _quietly(cur, sql: str) -> None:
    try:
        cur.execute(sql)
    except duckdb.Error:
        pass  # clean-up of a copy: still in use or already gone, harmless either way


def _store(db: str) -> _Store:
    with _lock:
        store = _stores.get(db)
    if store is None:
        made = _Store(db)  # outside the lock: attaching the catalog takes a while
        with _lock:
            store = _stores.setdefault(db, made)
        if store is not made:
            made.close()
    return store


def _pick(db: str) -> tuple[Copy, duckdb.DuckDBPyConnection]:
    store = _store(db)
    try:
        copy = store.pick()
    except duckdb.Error as exc:
        raise StoreError(f"cannot read the shared store {store.address}: {first_line(exc)}") from exc
    cursors = _thread_dict("copies")
    hit = cursors.get(db)
    if hit is not None and hit[0] is copy:
        return hit
    if hit is not None:  # this thread's cursor on an older copy: done with
        try:
            hit[1].close()
        except duckdb.Error:
            pass
    with _lock:
        cur = store.con.cursor()
    cur.execute(f"USE {copy.schema}")
    cursors[db] = (copy, cur)
    return copy, cur


def read_cursor(db: str) -> duckdb.DuckDBPyConnection:
    """This thread's read-only cursor on the local read copy of the newest snapshot (see module doc)."""
    return _pick(db)[1]


def read_state(db: str) -> tuple[duckdb.DuckDBPyConnection, Generation]:
    """`read_cursor` and its `generation` from one catalog check."""
    copy, cur = _pick(db)
    return cur, Generation(str(parse_address(db)), copy.snapshot)


def generation(db: str) -> Generation:
    """The snapshot id of the copy this thread reads (the st.cache_data key)."""
    return Generation(str(parse_address(db)), _pick(db)[0].snapshot)


def read_copy(db: str) -> Copy | None:
    """The copy this process currently answers from (None before the first read): its snapshot, file,
    size and build time, for benchmarks and tests."""
    with _lock:
        store = _stores.get(db)
    return store.current if store else None


def close_all() -> None:
    """Close every read copy of this process and remove its files (at exit; tests)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


atexit.register(close_all)


def open_status(db: str) -> Status:
    """ok / missing / damaged for a shared-store address, without writing anything."""
    try:
        address = parse_address(db)
    except ValueError as exc:
        return Status("damaged", str(exc))
    con = duckdb.connect(":memory:", config=own_spill({}))
    try:
        try:
            catalog.attach(con, address, catalog.ALIAS, read_only=True)
        except StoreError as exc:
            if "does not exist" in str(exc).lower() or "not initialized" in str(exc).lower():
                return Status("missing", f"no archive in the shared store {address} yet; run `trends ingest ... --db {address}` first")
            return Status("damaged", first_line(exc))
        if not catalog.has_archive(con):
            return Status("missing", f"no archive in the shared store {address} yet; run `trends ingest ... --db {address}` first")
        number = catalog.snapshot_id(con)
        return Status("ok", f"shared store {address}, snapshot {number}", number)
    finally:
        con.close()
