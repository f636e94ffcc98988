"""Reading the shared store: the lake attached READ_ONLY in an in-memory instance per process, the
same views as a local archive (`trends.store.build_views`, roll-up deltas always collapsed), a cursor per
thread. Views read the newest snapshot on every query, so a published run shows on the next rerun;
`generation` is the catalog's snapshot id (the st.cache_data key). Readers never write the catalog."""

from __future__ import annotations

import threading

import duckdb

from trends.lake import catalog, parse_address
from trends.store import (
    READ_CONFIG, Generation, Status, StoreError, build_views, first_line, load_fts, load_stopwords, own_spill,
)

_lock = threading.Lock()
_instances: dict[str, duckdb.DuckDBPyConnection] = {}
_local = threading.local()


def _open(db: str) -> duckdb.DuckDBPyConnection:
    address = parse_address(db)
    con = duckdb.connect(":memory:", config=own_spill(READ_CONFIG))
    try:
        con.execute("SET enable_progress_bar = false")
        load_fts(con)
        load_stopwords(con)  # before the lake is attached: its check lists every attached catalog
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


def _instance(db: str) -> duckdb.DuckDBPyConnection:
    with _lock:
        inst = _instances.get(db)
        if inst is None:
            inst = _instances[db] = _open(db)
        return inst


def read_cursor(db: str) -> duckdb.DuckDBPyConnection:
    """This thread's read-only cursor on the shared store (views over the newest snapshot)."""
    cursors = getattr(_local, "cursors", None)
    if cursors is None:
        cursors = _local.cursors = {}
    cur = cursors.get(db)
    if cur is None:
        inst = _instance(db)
        with _lock:
            cur = inst.cursor()
        cur.execute("USE memory.reader")
        cursors[db] = cur
    return cur


def open_reader(db: str) -> duckdb.DuckDBPyConnection:
    """A new read-only connection of its own (close it when done)."""
    con = _open(db)
    con.execute("USE memory.reader")
    return con


def generation(db: str) -> Generation:
    try:
        return Generation(str(parse_address(db)), catalog.snapshot_id(read_cursor(db), catalog.ALIAS))
    except duckdb.Error as exc:
        raise StoreError(f"cannot read the shared store {parse_address(db)}: {first_line(exc)}") from exc


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
