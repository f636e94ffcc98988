"""The shared store's local read copy (`trends.lake.reader`), on a real PostgreSQL catalog and real DuckLake
files: the copy answers what the lake's own views answer, a publish by another process shows on the next
read, the copy is one snapshot even when a writer commits while it is being built, a reader keeps answering
from the old copy during a refresh, and no read changes a byte of the catalog or the data folder.

The independent references: views built straight over the lake (and over the lake pinned at one snapshot
with DuckLake's own time travel, ``SNAPSHOT_VERSION``), not the copying code."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from fixtures_archive import make_pages
from fixtures_lake import lake, pg_server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_readers():
    """Every test starts without this process's read copies (they are per process) and leaves none."""
    from trends.lake import reader

    reader.close_all()
    yield
    reader.close_all()


def ingest(lake: str, folder: Path) -> None:
    """Another process publishes a run (what a scraper does while the dashboard reads)."""
    done = subprocess.run([sys.executable, "-m", "trends.cli", "ingest", str(folder), "--db", lake, "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def views(con, schema: str) -> list[str]:
    database, name = schema.split(".")
    return [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = ? AND schema_name = ? "
                                      "ORDER BY 1", [database, name]).fetchall()]


def every_view(con, schema: str) -> dict[str, list]:
    return {v: sorted(map(repr, con.execute(f"SELECT * FROM {schema}.{v}").fetchall())) for v in views(con, schema)}


def pinned_views(lake: str, snapshot: int) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The archive's views over the lake pinned at ``snapshot`` by DuckLake itself (the reference)."""
    from trends.lake import catalog, parse_address
    from trends.store import build_views, load_fts, load_stopwords

    con = duckdb.connect(":memory:")
    load_fts(con)
    load_stopwords(con)
    catalog.attach(con, parse_address(lake), "lake", snapshot=snapshot)
    build_views(con, ["lake"], "memory.pinned", collapse_rollups=True)
    return con, "memory.pinned"


def data_folder(lake: str) -> Path:
    return Path(lake.split("?data=", 1)[1])


def folder_state(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def catalog_state(lake: str) -> dict[str, list[str]]:
    """Every row of every table in the catalog's PostgreSQL database, as PostgreSQL prints it."""
    from trends.lake import catalog, parse_address

    con = duckdb.connect(":memory:")
    catalog.load_extensions(con)
    dsn = parse_address(lake).attach.removeprefix("ducklake:postgres:")
    con.execute(f"ATTACH '{dsn}' AS pg (TYPE postgres, READ_ONLY)")
    tables = [r[0] for r in con.execute("SELECT * FROM postgres_query('pg', 'SELECT tablename FROM pg_tables "
                                        "WHERE schemaname = ''public'' ORDER BY 1')").fetchall()]
    assert len(tables) > 10, tables  # DuckLake's catalog tables: the comparison has substance
    state = {t: sorted(r[0] for r in con.execute(f"SELECT * FROM postgres_query('pg', 'SELECT t::text FROM public.\"{t}\" t')").fetchall())
             for t in tables}
    con.close()
    return state


def test_the_copy_answers_what_the_lake_views_answer(lake, tmp_path):
    from trends.lake import reader
    from trends.store import generation, open_reader, read_cursor

    ingest(lake, make_pages(tmp_path / "old", 30))
    ingest(lake, make_pages(tmp_path / "again", 15, start=20, views_bump=9, rewrite={24}))  # re-scrape: views, one text
    cur = read_cursor(lake)
    copy = reader.read_copy(lake)
    assert copy is not None and copy.file.is_file() and copy.file.is_relative_to(reader.COPY_ROOT)
    assert generation(lake).number == copy.snapshot
    direct = open_reader(lake)  # views straight over the lake's newest snapshot
    try:
        ours, theirs = every_view(cur, copy.schema), every_view(direct, "memory.reader")
    finally:
        direct.close()
    assert set(ours) == set(theirs) and len(ours) >= 25
    assert ours["articles"] and len(ours["tags"]) > 3 * 35 and ours["postings"]
    for name in theirs:
        assert ours[name] == theirs[name], name
    # the copy is a local DuckDB file holding summed roll-ups: one row per group, not one per run's delta
    assert cur.execute("SELECT count(*) FROM articles").fetchone()[0] == 35
    assert cur.execute("SELECT count(*) FROM (SELECT day, source, synthetic FROM rollup_articles GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0


def test_a_publish_shows_on_the_next_read_and_a_copy_is_one_snapshot(lake, tmp_path):
    """A writer commits while the copy of the previous publish is being built: the copy stays that
    snapshot's, readers in other threads keep answering from the old copy meanwhile, and the read after
    that shows the writer's run."""
    from trends import derived
    from trends.lake import reader
    from trends.store import read_cursor, read_state

    ingest(lake, make_pages(tmp_path / "first", 10))
    old_cur, old_gen = read_state(lake)
    assert old_cur.execute("SELECT count(*) FROM articles").fetchone()[0] == 10
    ingest(lake, make_pages(tmp_path / "second", 10, start=10))  # a new snapshot: the next read refreshes
    seen: dict = {}

    def other_reader() -> None:  # another dashboard session's thread while the copy is being built
        started = time.perf_counter()
        cur, gen = read_state(lake)
        seen["other"] = (gen, cur.execute("SELECT count(*) FROM articles").fetchone()[0], time.perf_counter() - started)

    def mid_copy(table: str) -> None:
        if table != "articles" or "writer" in seen:
            return
        ingest(lake, make_pages(tmp_path / "third", 5, start=20))  # commits while the copy is half made
        seen["writer"] = True
        seen["held"] = old_cur.execute("SELECT count(*) FROM articles").fetchone()[0]  # the old copy still answers
        t = threading.Thread(target=other_reader)
        t.start()
        t.join(60)

    derived.copied_table_hook = mid_copy
    try:
        started = time.perf_counter()
        cur, gen = read_state(lake)
        waited = time.perf_counter() - started
    finally:
        derived.copied_table_hook = None
    assert seen["writer"] and seen["held"] == 10
    other_gen, other_count, other_wait = seen["other"]
    assert (other_gen, other_count) == (old_gen, 10)  # answered from the old copy ...
    assert other_wait < waited / 2  # ... without waiting for the refresh
    assert gen.number > old_gen.number
    copy = reader.read_copy(lake)
    assert copy.snapshot == gen.number
    # exactly the second publish's snapshot, table by table, as DuckLake's time travel shows it
    pinned, schema = pinned_views(lake, gen.number)
    try:
        expected = every_view(pinned, schema)
    finally:
        pinned.close()
    assert every_view(cur, copy.schema) == expected
    assert cur.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (20, 20)
    assert cur.execute("SELECT sum(articles) FROM rollup_articles").fetchone()[0] == 20
    assert cur.execute("SELECT count(DISTINCT article_id) FROM tags").fetchone()[0] == 20
    # the next read notices the third publish and shows it
    newer_cur, newer = read_state(lake)
    assert newer.number > gen.number
    assert newer_cur.execute("SELECT count(*) FROM articles").fetchone()[0] == 25
    assert read_cursor(lake) is newer_cur  # nothing new: the same copy, no rebuild
    assert reader.read_copy(lake).snapshot == newer.number


def test_a_reader_changes_nothing_in_the_catalog_or_the_data_folder(lake, tmp_path):
    from fixtures_lake import page_queries
    from trends.lake import reader
    from trends.store import generation, open_reader, read_cursor

    ingest(lake, make_pages(tmp_path / "p", 12))
    before_files, before_catalog = folder_state(data_folder(lake)), catalog_state(lake)
    assert before_files and any(name.endswith(".parquet") for name in before_files)
    for fn in page_queries(lake).values():  # every page query family, through the read copy
        fn()
    first = reader.read_copy(lake)
    generation(lake)
    con = open_reader(lake)
    con.execute("SELECT count(*) FROM articles").fetchone()
    con.close()
    reader.close_all()  # a second dashboard process: builds its own copy of the same snapshot
    assert not first.file.exists()  # closing removes the copy's files
    read_cursor(lake).execute("SELECT count(*) FROM tags").fetchone()
    assert reader.read_copy(lake).snapshot == first.snapshot
    assert folder_state(data_folder(lake)) == before_files
    assert catalog_state(lake) == before_catalog
    assert not any(Path(p).is_relative_to(data_folder(lake)) for p in (first.file, reader.read_copy(lake).file))


def test_copies_of_a_dead_process_are_removed(lake, tmp_path):
    """A dashboard process killed before its exit handler leaves its copy behind: the next one removes it."""
    from trends.lake import reader
    from trends.store import read_cursor

    ingest(lake, make_pages(tmp_path / "p", 4))
    code = ("import os, sys; from trends.store import read_cursor; from trends.lake import reader; "
            "read_cursor(sys.argv[1]); print(reader.read_copy(sys.argv[1]).file, flush=True); os._exit(9)")
    done = subprocess.run([sys.executable, "-c", code, lake], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ})
    left = Path(done.stdout.strip())
    assert done.returncode == 9 and left.is_file(), done.stderr
    read_cursor(lake)
    assert not left.exists() and not left.parent.exists()


def test_a_local_archive_loads_into_an_empty_shared_store(lake, tmp_path):
    """`load_archive` (how bench/scale.py fills its 100k store): the store then reads as the archive did."""
    from trends.ingest import ingest_paths
    from trends.lake.writer import load_archive
    from trends.store import StoreError, open_reader, read_cursor

    local = tmp_path / "local"
    ingest_paths(local, [str(make_pages(tmp_path / "a", 20))], progress=False, processes=1)
    ingest_paths(local, [str(make_pages(tmp_path / "b", 10, start=15, views_bump=5, rewrite={17}))], progress=False, processes=1)
    assert load_archive(local, lake) == 25
    ref = open_reader(local)
    try:
        expected = every_view(ref, "memory.reader")
    finally:
        ref.close()
    from trends.lake import reader

    cur = read_cursor(lake)
    assert every_view(cur, reader.read_copy(lake).schema) == expected
    with pytest.raises(StoreError, match="only into an empty shared store"):
        load_archive(local, lake)
    ingest(lake, make_pages(tmp_path / "c", 3, start=25))  # and it takes ingests afterwards
    assert read_cursor(lake).execute("SELECT count(*) FROM articles").fetchone()[0] == 28
