"""`trends compact --db <shared store>`: the shared store's housekeeping.

Every run appends its roll-up deltas and its own small Parquet files, so readers sum more delta rows and
open more files as runs accumulate. Compaction (run it nightly, or after a bulk load):

1. roll-up deltas summed per group (groups that sum to nothing dropped), in ONE catalog transaction that
   also bumps the publish clock, so a writer publishing at the same moment retries after it (its deltas
   then add to the compacted rows: sums are unchanged by construction);
2. DuckLake merges adjacent small files (``ducklake_merge_adjacent_files``);
3. snapshots older than ``keep`` expire and their unreferenced files are deleted. ``keep`` must exceed
   the longest ingest run: a running writer reads the snapshot it started from.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from trends.lake import catalog, parse_address
from trends.store import ROLLUP_MEASURES, StoreError, columns_of, first_line, own_spill

KEEP_SNAPSHOTS = dt.timedelta(days=1)


def compact(db: str, keep: dt.timedelta = KEEP_SNAPSHOTS) -> dict:
    """Compact the shared store at ``db``; returns the roll-up rows and data files before and after."""
    address = parse_address(db)
    con = duckdb.connect(":memory:", config=own_spill({}))
    try:
        catalog.attach(con, address)
        if not catalog.has_archive(con):
            raise StoreError(f"no archive in the shared store {address} yet; run `trends ingest ... --db {address}` first")
        before = _facts(con)
        _collapse_rollups(con, address)
        con.execute("CALL ducklake_merge_adjacent_files('lake')")
        cutoff = dt.datetime.now(dt.timezone.utc) - keep
        con.execute("CALL ducklake_expire_snapshots('lake', older_than => ?)", [cutoff])
        con.execute("CALL ducklake_cleanup_old_files('lake', older_than => ?)", [cutoff])
        return {"before": before, "after": _facts(con)}
    except duckdb.Error as exc:
        raise StoreError(f"cannot compact the shared store {address}: {first_line(exc)}") from exc
    finally:
        con.close()


def _facts(con) -> dict:
    rollup_rows = sum(con.execute(f"SELECT count(*) FROM lake.{t}").fetchone()[0] for t in ROLLUP_MEASURES)
    files = con.execute("SELECT count(*) FROM ducklake_list_files('lake', 'articles')").fetchone()[0]
    return {"rollup_rows": int(rollup_rows), "article_files": int(files), "snapshot": catalog.snapshot_id(con)}


def _collapse_rollups(con, address) -> None:
    def body(con) -> None:
        for table, measures in ROLLUP_MEASURES.items():
            cols = columns_of(table)
            keys = [c for c in cols if c not in measures]
            sums = ", ".join(f"sum({m})::{'HUGEINT' if m == 'views_sum' else 'BIGINT'} AS {m}" for m in measures)
            nonzero = " OR ".join(f"sum({m}) <> 0" for m in measures)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _collapsed AS SELECT {', '.join(keys)}, {sums} FROM lake.{table} "
                        f"GROUP BY ALL HAVING {nonzero}")
            con.execute(f"DELETE FROM lake.{table}")
            con.execute(f"INSERT INTO lake.{table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _collapsed")
        con.execute(f"UPDATE lake.{catalog.CLOCK} SET publishes = publishes + 1")

    catalog.in_transaction(con, body, f"compact {address}")
