"""The archive store: manifest, segments, one writer, many readers, status and storage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import duckdb
import pytest

from trends import store
from trends.tagging.model import ABOUT_THRESHOLD

SETTINGS = {"about_threshold": ABOUT_THRESHOLD}


def _count(db, table):
    return store.read_cursor(db).execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _new(db):
    with store.writer(db, settings=SETTINGS):
        pass
    return db


def test_new_archive_has_every_documented_table(db_path):
    _new(db_path)
    assert (db_path / "manifest.json").is_file() and len(list((db_path / "segments").iterdir())) == 1
    cur = store.read_cursor(db_path)
    views = {r[0] for r in cur.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'reader'").fetchall()}
    for table in ("meta", "articles", "view_snapshots", "sightings", "related", "tags", "about_tags", "ingest_runs",
                  "rejects", "themes"):
        assert table in views
        assert f"``{table}" in store.__doc__, f"{table} is undocumented"
    assert cur.execute("SELECT value FROM meta WHERE key = 'about_threshold'").fetchone() == (str(ABOUT_THRESHOLD),)


def test_a_new_archive_needs_its_about_threshold(db_path):
    with pytest.raises(store.StoreError, match="about_threshold"):
        with store.writer(db_path):
            pass
    assert store.open_status(db_path).state == "missing"


def test_newer_format_is_refused_with_a_clear_message(db_path):
    _new(db_path)
    manifest = json.loads((db_path / "manifest.json").read_text())
    (db_path / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    status = store.open_status(db_path)
    assert status.state == "damaged" and "newer version" in status.message
    with pytest.raises(store.StoreError, match="newer version"):
        store.read_cursor(db_path)


def test_stable_id_is_deterministic_and_positive():
    a = store.stable_id("url:https://example.org/a")
    assert a == store.stable_id("url:https://example.org/a")
    assert a != store.stable_id("url:https://example.org/b")
    assert 0 <= a < 2**63


def test_reader_sees_new_generation_after_writer_publishes(db_path):
    _new(db_path)
    assert _count(db_path, "rejects") == 0
    old_cursor = store.read_cursor(db_path)
    first = store.generation(db_path)
    with store.writer(db_path) as con:
        con.execute("INSERT INTO rejects (input, reason) VALUES (?, ?)", ["a.txt", "empty file"])
    assert store.generation(db_path).number > first.number
    assert _count(db_path, "rejects") == 1
    # A cursor taken before the publish still reads its own consistent snapshot.
    assert old_cursor.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0


def test_each_thread_gets_its_own_cursor(db_path):
    _new(db_path)
    cursors = []

    def grab():
        cursors.append(store.read_cursor(db_path))

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in cursors}) == 3


def test_failed_writer_publishes_nothing_and_next_writer_resumes(db_path):
    _new(db_path)
    with pytest.raises(RuntimeError):
        with store.writer(db_path) as con:
            con.execute("INSERT INTO rejects (input, reason) VALUES ('committed', 'r')")
            raise RuntimeError("boom")
    assert _count(db_path, "rejects") == 0  # readers never saw it
    assert len(list(db_path.glob("work-*.duckdb"))) == 1  # kept for the next writer
    with store.writer(db_path) as con:  # resumes the working segment with the committed batch
        con.execute("INSERT INTO rejects (input, reason) VALUES ('second', 'r')")
    inputs = [r[0] for r in store.read_cursor(db_path).execute("SELECT input FROM rejects ORDER BY input").fetchall()]
    assert inputs == ["committed", "second"]
    assert not list(db_path.glob("work-*.duckdb"))


def test_killed_writer_keeps_archive_and_committed_batches(db_path):
    _new(db_path)
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
    _new(db_path)
    with store.writer(db_path):
        with pytest.raises(store.StoreError, match="another ingest"):
            with store.writer(db_path, wait=False):
                pass


def test_open_status_missing_legacy_ok_damaged(tmp_path):
    assert store.open_status(tmp_path / "nope").state == "missing"
    with pytest.raises(store.StoreError, match="no archive"):
        store.read_cursor(tmp_path / "nope")
    legacy = tmp_path / "old.duckdb"
    con = duckdb.connect(str(legacy))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.close()
    status = store.open_status(legacy)
    assert status.state == "legacy" and "trends upgrade" in status.message and "\n" not in status.message
    ok = _new(tmp_path / "ok")
    assert store.open_status(ok).state == "ok"
    (seg,) = (ok / "segments").iterdir()
    seg.write_bytes(b"not a duckdb file" * 100)
    status = store.open_status(ok)
    assert status.state == "damaged" and seg.name in status.message and "\n" not in status.message


def test_readers_write_nothing(db_path):
    """Opening, querying and reopening never creates, changes or deletes a file of the archive."""
    _new(db_path)
    before = {p: p.stat().st_mtime_ns for p in db_path.rglob("*")}
    for _ in range(2):
        store.open_status(db_path)
        con = store.open_reader(db_path)
        con.execute("SELECT count(*) FROM articles").fetchall()
        con.close()
        store.read_cursor(db_path).execute("SELECT count(*) FROM tags").fetchall()
    assert {p: p.stat().st_mtime_ns for p in db_path.rglob("*")} == before


def test_fts_extension_loads_offline_and_stems():
    path = store.fts_extension_path()
    assert path is not None and os.path.exists(path)
    con = duckdb.connect()
    assert store.load_fts(con)
    assert con.execute("SELECT stem('corridors', 'porter'), stem('g7', 'porter')").fetchone() == ("corridor", "g7")
