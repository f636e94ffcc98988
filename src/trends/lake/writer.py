"""Writing the shared store: a run works in a private local segment, then publishes it in ONE catalog
transaction that checks nobody changed the same articles meanwhile.

Several ingest processes (on one machine or many) run at once. Each one:

1. pins the lake at its current snapshot (READ_ONLY, ``SNAPSHOT_VERSION``) as the "published" segment
   and opens a private working segment (a local temporary DuckDB file), so the plan/apply ingest of
   `trends.ingest` runs unchanged: its lookups see the pinned lake plus its own batches;
2. at the end, in one DuckLake transaction: checks that every article the run touched still has the
   stored state it planned against (id, text hash, views) and that its run id is still free; deletes
   the rows its ``superseded`` table hides (row scope, content scope); appends every other row (roll-up
   deltas stay signed deltas, append-only); bumps the one-row publish clock; commits.

Two publishes that overlap in time both update the clock, so DuckLake lets one commit and fails the
other (inserts alone never conflict in DuckLake); the loser retries from step 2, where the check now sees
the winner's rows. A run whose own articles were changed by another writer (the same article ingested by
both) raises `LakeConflict`, and the ingest reruns against the new snapshot: the identity rules are the
local ones, and nothing is lost or stored twice. A crash before the commit leaves the lake untouched (the
local working file is thrown away); a crash after it has published the whole run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import duckdb

from trends.lake import Address, catalog, parse_address
from trends.store import (
    LATEST_KEYS, Manifest, StoreError, TABLES, WRITE_CONFIG, Writer, _quote, columns_of, create_tables, first_line,
    load_fts, load_stopwords, own_spill, remove_left_by_dead_processes, set_setting,
)

PUBLISH_ATTEMPTS = 30
# the columns whose change by another writer means this run planned against stale rows
_FINGERPRINT = "article_id, content_hash, views, views_observed_at, run_id"


class LakeConflict(StoreError):
    """Another writer changed articles this run also stored; rerun the run against the new snapshot."""


@contextlib.contextmanager
def open_writer(db: str, *, settings: dict | None = None, rewrite: bool = False, copy=None, finish=None,
                wait: bool = True) -> Iterator[Writer]:
    """The shared store's writer: the same `trends.store.Writer` the ingest drives, published by
    `publish` when the block ends cleanly (see module doc). Whole-archive rewrites are not offered here."""
    if rewrite or copy is not None:
        raise StoreError(f"{parse_address(db)} is a shared store: rebuild, retag and themes fit run on a local archive "
                         "(its housekeeping is `trends compact --db ADDRESS`)")
    address = parse_address(db)
    remove_dead_work_files()
    con = duckdb.connect(":memory:", config=own_spill(WRITE_CONFIG))
    work = Path(tempfile.gettempdir()) / f"{WORK_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
    try:
        con.execute("SET enable_progress_bar = false")
        load_fts(con)
        load_stopwords(con)  # before the lake is attached: its check lists every attached catalog
        catalog.attach(con, address, catalog.ALIAS, create=True)
        catalog.ensure_schema(con, address)
        snapshot = catalog.snapshot_id(con)
        catalog.attach(con, address, "seg0", snapshot=snapshot)
        con.execute(f"ATTACH {_quote(work)} AS work")
        create_tables(con, "work")
        con.execute("USE work")
        con.execute("SET checkpoint_threshold = '1GB'")
        w = Writer(Path(tempfile.gettempdir()), con, work, False, Manifest(snapshot, ("lake",)))
        w.lake_address = address  # type: ignore[attr-defined]
        w.lake_snapshot = snapshot  # type: ignore[attr-defined]
        new_lake = not con.execute("SELECT count(*) FROM seg0.meta").fetchone()[0]
        for key, value in (settings or {}).items():
            if new_lake or key != "about_threshold":  # a lake keeps the threshold it was created with
                set_setting(con, key, value)
        w.refresh_views()
        yield w
        if finish is not None:
            finish(w)
        publish(w, address)
    except duckdb.Error as exc:
        raise StoreError(f"cannot write the shared store {address}: {first_line(exc)}") from exc
    finally:
        with contextlib.suppress(Exception):
            con.close()
        for leftover in (work, Path(str(work) + ".wal")):
            leftover.unlink(missing_ok=True)


WORK_PREFIX = "trends-lake-work-"


def remove_dead_work_files(folder: Path | None = None) -> None:
    """Working segments of writers that died (killed, or a crash in DuckDB) before their ``finally``:
    nothing was published from them, and a 50k-page run leaves ~0.5 GB behind."""
    remove_left_by_dead_processes(Path(folder or tempfile.gettempdir()).glob(f"{WORK_PREFIX}*.duckdb*"), WORK_PREFIX)


def publish(w: Writer, address: Address) -> None:
    """The run's working segment into the lake, in one transaction (retried while other publishes win)."""
    con = w.con
    con.execute("USE memory")
    con.execute("""CREATE OR REPLACE TEMP TABLE _touched AS SELECT DISTINCT article_id FROM (
        SELECT article_id FROM work.articles UNION ALL SELECT article_id FROM work.superseded
        UNION ALL SELECT article_id FROM work.view_snapshots UNION ALL SELECT article_id FROM work.sightings)""")
    def body(con) -> None:
        if _changed_meanwhile(con):
            raise LakeConflict(f"another writer stored some of the same articles in {address} meanwhile")
        if _run_ids_taken(con):  # a writer published between `_claim_run_ids` and this transaction
            raise catalog.RunAgain(f"another writer took this run's id in {address} meanwhile")
        _apply(con)
        con.execute(f"UPDATE lake.{catalog.CLOCK} SET publishes = publishes + 1")

    catalog.in_transaction(con, body, f"publish to {address}", PUBLISH_ATTEMPTS, prepare=_claim_run_ids)


def _changed_meanwhile(con) -> bool:
    """Whether an article this run touched has another stored state now than in the pinned snapshot."""
    now = f"SELECT {_FINGERPRINT} FROM lake.articles WHERE article_id IN (SELECT article_id FROM _touched)"
    then = f"SELECT {_FINGERPRINT} FROM seg0.articles WHERE article_id IN (SELECT article_id FROM _touched)"
    return bool(con.execute(f"SELECT count(*) FROM (({now} EXCEPT ALL {then}) UNION ALL ({then} EXCEPT ALL {now}))").fetchone()[0])


_RUN_TABLES = ("ingest_runs", "articles", "view_snapshots", "sightings", "rejects")


def _claim_run_ids(con) -> None:
    """Run ids are max + 1 of the snapshot, so two writers may pick the same one: renumber ours past the
    lake's newest before publishing (the clock makes the final check atomic)."""
    mine = [r[0] for r in con.execute("SELECT run_id FROM work.ingest_runs ORDER BY run_id").fetchall()]
    if not mine:
        return
    if not _run_ids_taken(con):
        return
    start = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM lake.ingest_runs").fetchone()[0]
    con.execute("BEGIN TRANSACTION")
    for offset, old in enumerate(mine):
        for table in _RUN_TABLES:  # run ids only this run wrote (stale runs it marked keep theirs)
            con.execute(f"UPDATE work.{table} SET run_id = ? WHERE run_id = ? AND ? NOT IN (SELECT run_id FROM seg0.ingest_runs)",
                        [int(start + offset), old, old])
    con.execute("COMMIT")


def _run_ids_taken(con) -> bool:
    """Whether the lake now holds a run id of ours that the pinned snapshot did not (another writer's run)."""
    return bool(con.execute("SELECT count(*) FROM lake.ingest_runs WHERE run_id IN (SELECT run_id FROM work.ingest_runs) "
                            "AND run_id NOT IN (SELECT run_id FROM seg0.ingest_runs)").fetchone()[0])


def _apply(con) -> None:
    """DELETE what the run hides, INSERT what it wrote (all inside the caller's transaction)."""
    for table, (scope, _) in TABLES.items():
        if scope == "internal":
            continue
        cols = ", ".join(columns_of(table))
        if scope in ("row", "content"):
            con.execute(f"DELETE FROM lake.{table} WHERE article_id IN "
                        f"(SELECT article_id FROM work.superseded WHERE scope = '{scope}')")
        elif scope == "latest":
            key = LATEST_KEYS[table]
            con.execute(f"DELETE FROM lake.{table} WHERE ({key}) IN (SELECT {key} FROM work.{table})")  # key may be composite
        if con.execute(f"SELECT count(*) FROM work.{table}").fetchone()[0]:
            con.execute(f"INSERT INTO lake.{table} ({cols}) SELECT {cols} FROM work.{table}")


def load_archive(local, db: str) -> int:
    """Move a whole local archive onto an EMPTY shared store in one catalog transaction (every table as the
    local views show it: hidden rows dropped, roll-ups summed, the newest theme model), so it can be read and
    written by many from then on. Returns the articles loaded. Refuses a store that already holds articles."""
    from trends.store import open_reader as open_local

    address = parse_address(db)
    con = open_local(local)  # the local archive's views in memory.reader (it loads fts and the stopwords first)
    try:
        con.execute(f"SET memory_limit = '{WRITE_CONFIG['memory_limit']}'")  # a writer's: it writes the whole archive
        catalog.attach(con, address, catalog.ALIAS, create=True)
        catalog.ensure_schema(con, address)
        if con.execute(f"SELECT count(*) FROM {catalog.ALIAS}.articles").fetchone()[0]:
            raise StoreError(f"{address} already holds articles: an archive is loaded only into an empty shared store")

        def body(con) -> None:
            for table, (scope, _) in TABLES.items():
                if scope == "internal":
                    continue
                cols = ", ".join(columns_of(table))
                source = "related_links" if table == "related" else table
                con.execute(f"INSERT INTO {catalog.ALIAS}.{table} ({cols}) SELECT {cols} FROM memory.reader.{source}")
            con.execute(f"UPDATE {catalog.ALIAS}.{catalog.CLOCK} SET publishes = publishes + 1")

        catalog.in_transaction(con, body, f"load {local} into {address}")
        return int(con.execute(f"SELECT count(*) FROM {catalog.ALIAS}.articles").fetchone()[0])
    except duckdb.Error as exc:
        raise StoreError(f"cannot load {local} into the shared store {address}: {first_line(exc)}") from exc
    finally:
        con.close()
