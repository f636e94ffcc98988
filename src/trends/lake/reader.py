"""Reading the shared store. The dashboard reads a local read copy: per process, one snapshot of the lake
copied into a private DuckDB file, with the same views as a local archive over it. No read ever waits for
a copy (issue 10's rule: readers are never blocked; new data shows on a later rerun).

Why: views over the lake itself pay DuckLake's catalog work on every query (file lists and column
statistics from PostgreSQL per table scanned; docs/scaling.md), ~4x the local archive's latency. The copy
turns that into one cost per published snapshot, paid in the background.

- `read_cursor` / `generation` (what `trends.queries` and the st.cache_data key use): each read asks the
  catalog for its newest snapshot id (one small catalog query). When it is newer than the copy, the read
  that notices starts the new copy's build in a background thread (one build at a time; `_Store.refresh`:
  the lake attached pinned at that snapshot id, ``SNAPSHOT_VERSION``, so the copy holds exactly one
  snapshot whatever writers commit meanwhile) and answers from the current copy; reads switch to the new
  copy once it is in place.
- Before the first copy exists (a process's first reads), reads answer from the archive's views straight
  over the lake pinned at the snapshot the first read saw (~4x slower, no wait) while that snapshot's copy
  builds (a read that sees a newer snapshot before then re-pins them to it: one attach, never a copy). `generation` is always the snapshot of what the read answers from (the pinned views' snapshot or
  the copy's), so a cached answer is never filed under a snapshot it was not computed from, and the pinned
  views and the copy of one snapshot answer the same.
- A failed build logs one line (the "trends.dashboard" logger) and reads keep answering from what exists;
  the next read that notices after `RETRY_AFTER_S` (or a newer snapshot) starts another build.
- `wait_for_copy(db, snapshot, timeout)`: blocks until the copy of a snapshot is in place, for tests and
  benchmarks (never pages).
- The copy is a file in ``$TMPDIR/trends-readcopy-<uid>/<pid>-<random>/`` (not memory: article bodies stay
  on disk until read); the copy before the previous (and the pinned views once a second copy is in place)
  is dropped when a new one is in place (a query still running on the previous finishes on it). Nothing
  here writes the catalog or the data folder.
- `open_reader` / `direct_cursor`: views straight over the newest snapshot, for one-off reads (the CLI's
  stats, an ingest's checks, tests) where building a copy would cost more than it saves.
"""
from __future__ import annotations

import atexit
import logging
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
LOG = logging.getLogger("trends.dashboard")


# ------------------------------------------------------------------------------------------ views over the lake


def _open(db: str, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """Views over the lake's newest snapshot, or pinned at ``snapshot`` (DuckLake's ``SNAPSHOT_VERSION``)."""
    address = parse_address(db)
    con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
    try:
        _prepare(con)
        catalog.attach(con, address, catalog.ALIAS, read_only=True, snapshot=snapshot)
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


@dataclass(frozen=True)
class _Pinned:
    """Views straight over the lake pinned at one snapshot: what reads answer from before the first copy."""

    snapshot: int
    con: duckdb.DuckDBPyConnection
    schema: str = "memory.reader"


RETRY_AFTER_S = 60.0  # a failed build is retried on the first notice after this long (tests lower it)


class _Store:
    """One process's read side of one shared store: an in-memory DuckDB instance with the lake attached
    READ_ONLY (only to ask for the newest snapshot) and the current copy attached; copies are built by a
    background thread, one at a time, so no read waits for one."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.address = parse_address(db)
        COPY_ROOT.mkdir(parents=True, exist_ok=True)
        remove_left_by_dead_processes(COPY_ROOT.iterdir())  # copies of dashboard processes that died
        self.folder = COPY_ROOT / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.folder.mkdir()
        self.con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
        self.current: Copy | None = None
        self.previous: Copy | None = None
        self.pinned: _Pinned | None = None  # before the first copy: the lake's views at the snapshot first seen
        self.retired_pinned: _Pinned | None = None  # replaced by the first copy; closed when the next is in place
        self.builder_con: duckdb.DuckDBPyConnection | None = None  # the running build's instance (to interrupt)
        self.changed = threading.Condition()  # guards the fields below and the switch to a new copy
        self.builder: threading.Thread | None = None
        self.failed: tuple[int, float, str] | None = None  # snapshot, monotonic time, one-line reason
        self.closed = False
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

    def pick(self) -> Copy | _Pinned:
        """What this read answers from, at once: the current copy (starting the newest snapshot's copy in
        the background when it is stale), or before the first copy the lake's views pinned at a snapshot."""
        newest = self.newest()
        with self.changed:
            copy = self.current
            if copy is None or copy.snapshot < newest:
                self._start_build(newest)
            if copy is not None:
                return copy
            pinned = self.pinned
            stale = pinned is not None and pinned.snapshot < newest  # a publish before the first copy: re-pin
        if pinned is None or stale:  # outside the lock: attaching the lake takes a while (reads, never a copy)
            made = _Pinned(newest, _open(self.db, snapshot=newest))
            with self.changed:
                if self.current is not None:  # the first copy landed meanwhile
                    made.con.close()
                    return self.current
                if self.pinned is None or self.pinned.snapshot < made.snapshot:
                    gone, self.retired_pinned, self.pinned = self.retired_pinned, self.pinned, made
                    if gone is not None:  # two back: no read has started on it since
                        _quietly_close(gone.con)
                else:
                    made.con.close()
                pinned = self.pinned
        return pinned

    def _start_build(self, snapshot: int) -> None:
        """A background copy of ``snapshot`` unless one is running or it failed a moment ago (caller holds `changed`)."""
        if self.closed or self.builder is not None:
            return
        if self.failed and self.failed[0] >= snapshot and time.monotonic() - self.failed[1] < RETRY_AFTER_S:
            return
        self.builder = threading.Thread(target=self._build, args=(snapshot,), name=f"trends-readcopy-{snapshot}", daemon=True)
        self.builder.start()

    def _build(self, snapshot: int) -> None:
        try:
            self.refresh(snapshot)
            with self.changed:
                self.failed = None
        except Exception as exc:  # noqa: BLE001 (a failed build is logged; reads keep what exists)
            reason = first_line(exc)
            if not self.closed:
                LOG.warning("read copy of snapshot %s of the shared store %s failed (reads keep the %s; retried "
                            "on a read after %.0f s): %s", snapshot, self.address, "previous copy" if self.current
                            else "lake's views", RETRY_AFTER_S, reason)
            with self.changed:
                self.failed = (snapshot, time.monotonic(), reason)
        finally:
            with self.changed:
                self.builder = self.builder_con = None
                self.changed.notify_all()

    def refresh(self, snapshot: int) -> Copy:
        """Copy snapshot ``snapshot`` into a new local file and put it in place (one caller at a time: the
        builder thread). The copy is written by an instance of its own (a writer's memory limit, its own
        spill folder), so building it takes nothing from the instance the pages read, and a failed build
        leaves it as it was."""
        started = time.perf_counter()
        n, self._next = self._next, self._next + 1
        alias, schema = f"copy{n}", f"memory.reader_s{snapshot}_{n}"
        file = self.folder / f"snapshot-{snapshot}-{n}.duckdb"
        try:
            _write_copy(self.address, snapshot, file, opened=lambda con: setattr(self, "builder_con", con))
            if self.closed:
                raise StoreError("the reader was closed")
            with _lock:
                cur = self.con.cursor()
            with cur:
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
        with self.changed:
            retired, self.previous, self.current = self.previous, self.current, made
            gone, self.retired_pinned, self.pinned = self.retired_pinned, self.pinned, None
        if retired is not None:  # two copies back: no read has started on it since the previous was put in place
            self._drop(retired)
        if gone is not None:  # the same for the pinned views: a read still on them when the first copy came has ended
            _quietly_close(gone.con)
        return made

    def wait_for(self, snapshot: int, timeout: float) -> Copy:
        """Block until a copy of ``snapshot`` or newer is in place (tests and benchmarks, never pages)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.current is None or self.current.snapshot < snapshot:
                if self.builder is None:
                    self._start_build(snapshot)
                    if self.builder is None:  # closed, or this snapshot's build failed a moment ago
                        why = self.failed[2] if self.failed else "the reader was closed"
                        raise StoreError(f"no read copy of snapshot {snapshot} of the shared store {self.address}: {why}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no read copy of snapshot {snapshot} of {self.address} within {timeout} s")
                self.changed.wait(left)
            return self.current

    def _drop(self, copy: Copy) -> None:
        with self.con.cursor() as cur:
            _quietly(cur, f"DROP SCHEMA IF EXISTS {copy.schema} CASCADE")
            _quietly(cur, f"DETACH DATABASE IF EXISTS {copy.alias}")
        copy.file.unlink(missing_ok=True)
        Path(str(copy.file) + ".wal").unlink(missing_ok=True)

    def close(self) -> None:
        with self.changed:
            self.closed = True
            builder, building = self.builder, self.builder_con
        if builder is not None:  # stop a running build before its folder goes
            if building is not None:
                _quietly(building, "SELECT 1", interrupt=True)
            builder.join(60)
        for pinned in (self.pinned, self.retired_pinned):
            if pinned is not None:
                _quietly_close(pinned.con)
        try:
            self.con.close()
        except (AttributeError, duckdb.Error):
            pass  # never opened, or already closed
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_copy(address, snapshot: int, file: Path, opened=lambda con: None) -> None:
    """The lake pinned at ``snapshot`` (DuckLake's ``SNAPSHOT_VERSION``: one snapshot, whatever writers
    commit meanwhile) copied into the new DuckDB file ``file``, table by table as the archive's views show it."""
    from trends.derived import copy_tables

    con = duckdb.connect(":memory:", config=own_spill(WRITE_CONFIG))
    opened(con)  # the caller can interrupt the build (a reader closing)
    try:
        con.execute("SET enable_progress_bar = false")
        catalog.attach(con, address, "pinned", snapshot=snapshot)
        build_views(con, ["pinned"], "memory.source", collapse_rollups=True)
        con.execute(f"ATTACH {_quote(file)} AS copy")
        copy_tables(con, "memory.source", ["pinned"], "copy")
        con.execute("CHECKPOINT copy")
    finally:
        con.close()


def _quietly(cur, sql: str, interrupt: bool = False) -> None:
    try:
        if interrupt:
            cur.interrupt()
        else:
            cur.execute(sql)
    except duckdb.Error:
        pass  # clean-up of a copy: still in use or already gone, harmless either way


def _quietly_close(con) -> None:
    try:
        con.close()
    except duckdb.Error:
        pass  # already closed


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


def _pick(db: str) -> tuple[Copy | _Pinned, duckdb.DuckDBPyConnection]:
    store = _store(db)
    try:
        source = store.pick()
    except duckdb.Error as exc:
        raise StoreError(f"cannot read the shared store {store.address}: {first_line(exc)}") from exc
    cursors = _thread_dict("copies")
    hit = cursors.get(db)
    if hit is not None and hit[0] is source:
        return hit
    if hit is not None:  # this thread's cursor on an older copy (or the pinned views): done with
        try:
            hit[1].close()
        except duckdb.Error:
            pass
    with _lock:
        cur = (source.con if isinstance(source, _Pinned) else store.con).cursor()
    cur.execute(f"USE {source.schema}")
    cursors[db] = (source, cur)
    return source, cur


def read_cursor(db: str) -> duckdb.DuckDBPyConnection:
    """This thread's read-only cursor on what the newest read answers from (see module doc): never waits for a copy."""
    return _pick(db)[1]


def read_state(db: str) -> tuple[duckdb.DuckDBPyConnection, Generation]:
    """`read_cursor` and its `generation` from one catalog check."""
    source, cur = _pick(db)
    return cur, Generation(str(parse_address(db)), source.snapshot)


def generation(db: str) -> Generation:
    """The snapshot id of what this thread's read answers from (the st.cache_data key)."""
    return Generation(str(parse_address(db)), _pick(db)[0].snapshot)


def wait_for_copy(db: str, snapshot: int | None = None, timeout: float = 600.0) -> Copy:
    """Block until this process's copy of ``snapshot`` (default: the newest now) or a newer one is in place,
    starting its build if none runs; StoreError when that build failed, TimeoutError after ``timeout`` s.
    For tests and benchmarks only: a page never waits for a copy."""
    store = _store(db)
    return store.wait_for(store.newest() if snapshot is None else snapshot, timeout)


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
