"""The store: schema, migrations, the single-writer working copy and generation-aware readers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import duckdb
import pytest

from trends import store


def _count(db, table):
    return store.read_cursor(db).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_new_database_has_every_documented_table(db_path):
    store.ensure_database(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert {"meta", "articles", "view_snapshots", "related", "tags", "ingest_runs", "rejects"} <= tables
    for table in ("articles", "view_snapshots", "related", "tags", "ingest_runs", "rejects"):
        assert f"``{table}" in store.__doc__ or f"``{table}(" in store.__doc__, f"{table} is undocumented"


def test_schema_version_recorded_and_migration_is_idempotent(db_path):
    store.ensure_database(db_path)
    with store.writer(db_path) as con:
        assert store.schema_version(con) == store.SCHEMA_VERSION
        assert store.migrate(con) == store.SCHEMA_VERSION


def test_newer_schema_is_refused_with_a_clear_message(db_path):
    store.ensure_database(db_path)
    with store.writer(db_path) as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(store.StoreError, match="newer than this tool"):
        with store.writer(db_path):
            pass


def test_stable_id_is_deterministic_and_positive():
    a = store.stable_id("url:https://example.org/a")
    assert a == store.stable_id("url:https://example.org/a")
    assert a != store.stable_id("url:https://example.org/b")
    assert 0 <= a < 2**63


def test_reader_sees_new_generation_after_writer_swaps(db_path):
    store.ensure_database(db_path)
    assert _count(db_path, "rejects") == 0
    old_cursor = store.read_cursor(db_path)
    with store.writer(db_path) as con:
        con.execute("INSERT INTO rejects (input, reason) VALUES (?, ?)", ["a.txt", "empty file"])
    assert _count(db_path, "rejects") == 1
    # A cursor taken before the swap still reads its own consistent snapshot.
    assert old_cursor.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0


def test_each_thread_gets_its_own_cursor(db_path):
    store.ensure_database(db_path)
    cursors = []

    def grab():
        cursors.append(store.read_cursor(db_path))

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in cursors}) == 3


def test_failed_writer_leaves_live_file_untouched_and_next_writer_resumes(db_path):
    store.ensure_database(db_path)
    with pytest.raises(RuntimeError):
        with store.writer(db_path) as con:
            con.execute("INSERT INTO rejects (input, reason) VALUES ('committed', 'r')")
            raise RuntimeError("boom")
    assert _count(db_path, "rejects") == 0  # the live file never saw it
    with store.writer(db_path) as con:  # resumes from the working copy with the committed batch
        con.execute("INSERT INTO rejects (input, reason) VALUES ('second', 'r')")
    inputs = [r[0] for r in store.read_cursor(db_path).execute("SELECT input FROM rejects ORDER BY input").fetchall()]
    assert inputs == ["committed", "second"]


def test_killed_writer_keeps_live_file_and_committed_batches(db_path):
    store.ensure_database(db_path)
    script = textwrap.dedent(
        f"""
        import os, signal
        from trends import store
        with store.writer({str(db_path)!r}) as con:
            for i in range(3):
                con.execute("BEGIN")
                con.execute("INSERT INTO rejects (input, reason) VALUES (?, 'batch')", [f"b{{i}}"])
                con.execute("COMMIT")
            con.execute("BEGIN")
            con.execute("INSERT INTO rejects (input, reason) VALUES ('uncommitted', 'batch')")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9
    assert _count(db_path, "rejects") == 0
    with store.writer(db_path):
        pass
    rows = [r[0] for r in store.read_cursor(db_path).execute("SELECT input FROM rejects ORDER BY input").fetchall()]
    assert rows == ["b0", "b1", "b2"]


def test_second_writer_without_wait_gets_a_clear_error(db_path):
    store.ensure_database(db_path)
    with store.writer(db_path):
        with pytest.raises(store.StoreError, match="another ingest"):
            with store.writer(db_path, wait=False):
                pass


def test_missing_database_is_a_one_line_store_error(tmp_path):
    with pytest.raises(store.StoreError, match="no database"):
        store.read_cursor(tmp_path / "nope.duckdb")


def test_fts_extension_loads_offline_from_the_wheel():
    path = store.fts_extension_path()
    assert path is not None and os.path.exists(path)
    con = duckdb.connect()
    assert store.load_fts(con)
    con.execute("CREATE TABLE t (id INTEGER, body VARCHAR)")
    con.execute("INSERT INTO t VALUES (1, 'sanctions on oil'), (2, 'grain deal')")
    con.execute("PRAGMA create_fts_index('t', 'id', 'body')")
    hits = con.execute("SELECT id FROM t WHERE fts_main_t.match_bm25(id, 'sanctions') IS NOT NULL").fetchall()
    assert hits == [(1,)]
