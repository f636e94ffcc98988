"""The shared store's local read copy (`trends.lake.reader`), on a real PostgreSQL catalog and real DuckLake
files: no read waits for a copy (a process's first reads answer from the lake's views pinned at a snapshot,
equal to that snapshot's copy; the read after a publish answers from the old copy while the new one builds
in the background), a publish shows once its copy is in place, the copy is one snapshot even when a writer
commits while it is being built, a failed build keeps what exists answering, and no read changes a byte of
the catalog or the data folder.

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


class HeldBuild:
    """`derived.copied_table_hook` that holds the background copy after its ``table`` until released (a copy
    provably unfinished while the test reads), or raises there (a failed build)."""

    def __init__(self, table: str = "articles", fail: bool = False, during=None) -> None:
        self.table, self.fail, self.during = table, fail, during
        self.reached, self.release = threading.Event(), threading.Event()

    def __call__(self, table: str) -> None:
        if table != self.table or self.reached.is_set():
            return
        if self.during is not None:
            self.during()
        self.reached.set()
        if self.fail:
            raise RuntimeError("disk full (the test's failed build)")
        assert self.release.wait(300), "the test never released the held copy"


@pytest.fixture
def held():
    """Install a HeldBuild for the test; always released and removed afterwards."""
    from trends import derived

    made: list[HeldBuild] = []

    def install(**kwargs) -> HeldBuild:
        hook = HeldBuild(**kwargs)
        made.append(hook)
        derived.copied_table_hook = hook
        return hook

    yield install
    for hook in made:
        hook.release.set()
    derived.copied_table_hook = None


def count(cur) -> int:
    return cur.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_the_first_read_of_a_process_answers_from_the_lake_at_once_and_equals_the_copy(lake, tmp_path, held):
    from trends.lake import reader
    from trends.store import open_reader, read_state

    ingest(lake, make_pages(tmp_path / "old", 30))
    ingest(lake, make_pages(tmp_path / "again", 15, start=20, views_bump=9, rewrite={24}))  # re-scrape: views, one text
    newest = reader.open_status(lake).generation
    hook = held()
    cur, gen = read_state(lake)  # the build starts in the background and is held after its articles table
    assert hook.reached.wait(300)
    assert reader.read_copy(lake) is None  # no copy yet: this read did not wait for one
    assert gen.number == newest
    first = every_view(cur, "memory.reader")  # views straight over the lake pinned at that snapshot
    again_cur, again_gen = read_state(lake)  # the next read too: the same pinned views, no second build
    assert again_gen == gen and count(again_cur) == 35
    hook.release.set()
    copy = reader.wait_for_copy(lake, gen.number, timeout=300)
    assert copy.snapshot == gen.number and copy.file.is_file() and copy.file.is_relative_to(reader.COPY_ROOT)
    cur, later = read_state(lake)
    assert later == gen  # the copy of the same snapshot: the same cache key, the same answers
    ours = every_view(cur, copy.schema)
    direct = open_reader(lake)  # the reference: views over the lake's newest snapshot, built independently
    try:
        theirs = every_view(direct, "memory.reader")
    finally:
        direct.close()
    assert set(ours) == set(theirs) == set(first) and len(ours) >= 25
    assert ours["articles"] and len(ours["tags"]) > 3 * 35 and ours["postings"]
    for name in theirs:
        assert ours[name] == theirs[name] == first[name], name
    # the copy is a local DuckDB file holding summed roll-ups: one row per group, not one per run's delta
    assert count(cur) == 35
    assert cur.execute("SELECT count(*) FROM (SELECT day, source, synthetic FROM rollup_articles GROUP BY ALL HAVING count(*) > 1)").fetchone()[0] == 0


def test_a_publish_shows_once_its_copy_is_in_place_and_a_copy_is_one_snapshot(lake, tmp_path, held):
    """The read right after a publish answers from the old copy at once while the new one builds in the
    background; a writer commits while that copy is half made and the copy stays the snapshot it started
    from; the read after it is in place shows the publish, and the next notices the writer's run."""
    from trends.lake import reader
    from trends.store import read_cursor, read_state

    ingest(lake, make_pages(tmp_path / "first", 10))
    old_gen = read_state(lake)[1]
    reader.wait_for_copy(lake, old_gen.number, timeout=300)
    old_cur, gen = read_state(lake)
    assert gen == old_gen and count(old_cur) == 10
    ingest(lake, make_pages(tmp_path / "second", 10, start=10))  # a new snapshot: the next read starts a copy
    second = reader.open_status(lake).generation
    assert second > old_gen.number
    hook = held(during=lambda: ingest(lake, make_pages(tmp_path / "third", 5, start=20)))  # commits mid-copy
    started = time.perf_counter()
    cur, gen = read_state(lake)
    answered = count(cur)
    waited = time.perf_counter() - started
    assert (gen, answered) == (old_gen, 10)  # the old copy's answer ...
    assert hook.reached.wait(300)  # ... given before the new copy was done (it is held here)
    assert reader.read_copy(lake).snapshot == old_gen.number
    for _ in range(3):  # every read meanwhile: the old copy, no second build started
        cur, gen = read_state(lake)
        assert (gen, count(cur)) == (old_gen, 10)
    third = reader.open_status(lake).generation
    assert third > second
    hook.release.set()
    copy = reader.wait_for_copy(lake, second, timeout=300)
    assert copy.snapshot == second  # the snapshot it started from, not the writer's mid-copy commit
    assert waited < copy.seconds / 2
    cur, gen = read_state(lake)  # in place: this read shows the publish (and notices the third snapshot)
    assert gen.number == second
    pinned, schema = pinned_views(lake, second)  # exactly that snapshot, as DuckLake's time travel shows it
    try:
        expected = every_view(pinned, schema)
    finally:
        pinned.close()
    assert every_view(cur, copy.schema) == expected
    assert cur.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (20, 20)
    assert cur.execute("SELECT sum(articles) FROM rollup_articles").fetchone()[0] == 20
    assert cur.execute("SELECT count(DISTINCT article_id) FROM tags").fetchone()[0] == 20
    reader.wait_for_copy(lake, third, timeout=300)
    newer_cur, newer = read_state(lake)
    assert newer.number == third and count(newer_cur) == 25
    assert read_cursor(lake) is newer_cur  # nothing new: the same copy, no rebuild
    assert reader.read_copy(lake).snapshot == third


def test_a_failed_build_keeps_the_old_copy_answering_and_is_retried_later(lake, tmp_path, held, caplog, monkeypatch):
    import logging

    from trends.lake import reader
    from trends.store import StoreError, read_state

    ingest(lake, make_pages(tmp_path / "first", 8))
    old = reader.wait_for_copy(lake, timeout=300)
    ingest(lake, make_pages(tmp_path / "second", 4, start=8))
    second = reader.open_status(lake).generation
    monkeypatch.setattr(reader, "RETRY_AFTER_S", 3600.0)
    hook = held(fail=True)
    with caplog.at_level(logging.WARNING, logger="trends.dashboard"):
        cur, gen = read_state(lake)
        assert (gen.number, count(cur)) == (old.snapshot, 8)
        assert hook.reached.wait(300)
        with pytest.raises(StoreError, match="disk full"):  # the build failed: waiting for it says why
            reader.wait_for_copy(lake, second, timeout=300)
        for _ in range(3):  # reads keep answering from the old copy, without a traceback and without a retry loop
            cur, gen = read_state(lake)
            assert (gen.number, count(cur)) == (old.snapshot, 8)
    failures = [r for r in caplog.records if "read copy" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.WARNING, [r.getMessage() for r in caplog.records]
    line = failures[0].getMessage()
    assert f"snapshot {second}" in line and "disk full" in line and "\n" not in line and failures[0].exc_info is None
    assert reader.read_copy(lake) == old and old.file.is_file()
    assert not list(old.file.parent.glob(f"snapshot-{second}-*"))  # the failed copy's file is gone
    import trends.derived as derived

    derived.copied_table_hook = None  # the cause is gone; a later notice (after the pause) retries
    monkeypatch.setattr(reader, "RETRY_AFTER_S", 0.0)
    cur, gen = read_state(lake)
    assert gen.number == old.snapshot  # that read still answered at once from the old copy
    assert reader.wait_for_copy(lake, second, timeout=300).snapshot == second
    cur, gen = read_state(lake)
    assert (gen.number, count(cur)) == (second, 12)


def test_a_failed_first_build_keeps_the_lake_views_answering(lake, tmp_path, held, monkeypatch):
    from trends.lake import reader
    from trends.store import read_state

    ingest(lake, make_pages(tmp_path / "first", 6))
    newest = reader.open_status(lake).generation
    monkeypatch.setattr(reader, "RETRY_AFTER_S", 3600.0)
    hook = held(fail=True)
    cur, gen = read_state(lake)
    assert hook.reached.wait(300)
    for _ in range(2):
        assert (gen.number, count(cur)) == (newest, 6)
        cur, gen = read_state(lake)
    assert reader.read_copy(lake) is None
    with pytest.raises(Exception):
        reader.wait_for_copy(lake, newest, timeout=300)  # the build has ended (failed)
    ingest(lake, make_pages(tmp_path / "second", 2, start=6))  # still no copy: the read re-pins the lake views
    cur, gen = read_state(lake)
    second = reader.open_status(lake).generation
    assert second > newest and (gen.number, count(cur)) == (second, 8)
    assert reader.wait_for_copy(lake, second, timeout=300).snapshot == second  # a newer snapshot: built at once
    cur, gen = read_state(lake)
    assert (gen.number, count(cur)) == (second, 8)


def test_a_reader_changes_nothing_in_the_catalog_or_the_data_folder(lake, tmp_path):
    from fixtures_lake import page_queries
    from trends.lake import reader
    from trends.store import generation, open_reader, read_cursor

    ingest(lake, make_pages(tmp_path / "p", 12))
    before_files, before_catalog = folder_state(data_folder(lake)), catalog_state(lake)
    assert before_files and any(name.endswith(".parquet") for name in before_files)
    for fn in page_queries(lake).values():  # every page query family: the pinned views, then the read copy
        fn()
    first = reader.wait_for_copy(lake, timeout=300)
    for fn in page_queries(lake).values():
        fn()
    generation(lake)
    con = open_reader(lake)
    con.execute("SELECT count(*) FROM articles").fetchone()
    con.close()
    reader.close_all()  # a second dashboard process: builds its own copy of the same snapshot
    assert not first.file.exists()  # closing removes the copy's files
    read_cursor(lake).execute("SELECT count(*) FROM tags").fetchone()
    assert reader.wait_for_copy(lake, timeout=300).snapshot == first.snapshot
    assert folder_state(data_folder(lake)) == before_files
    assert catalog_state(lake) == before_catalog
    assert not any(Path(p).is_relative_to(data_folder(lake)) for p in (first.file, reader.read_copy(lake).file))


def test_copies_of_a_dead_process_are_removed(lake, tmp_path):
    """A dashboard process killed before its exit handler leaves its copy behind: the next one removes it."""
    from trends.lake import reader
    from trends.store import read_cursor

    ingest(lake, make_pages(tmp_path / "p", 4))
    code = ("import os, sys; from trends.store import read_cursor; from trends.lake import reader; "
            "read_cursor(sys.argv[1]); print(reader.wait_for_copy(sys.argv[1]).file, flush=True); os._exit(9)")
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

    copy = reader.wait_for_copy(lake, timeout=300)
    cur = read_cursor(lake)
    assert every_view(cur, copy.schema) == expected
    with pytest.raises(StoreError, match="only into an empty shared store"):
        load_archive(local, lake)
    ingest(lake, make_pages(tmp_path / "c", 3, start=25))  # and it takes ingests afterwards
    reader.wait_for_copy(lake, timeout=300)
    assert read_cursor(lake).execute("SELECT count(*) FROM articles").fetchone()[0] == 28


def archive_articles(at) -> str:
    """The About page's whole-archive article count, as the page shows it."""
    found = [str(m.value) for m in at.metric if m.label == "Articles"]
    assert found, [(m.label, m.value) for m in at.metric]
    return found[0]


@pytest.mark.slow
def test_a_page_never_waits_for_a_copy_and_shows_a_publish_on_a_later_rerun(lake, tmp_path, held, monkeypatch):
    """The dashboard itself (AppTest, the About page's whole-archive count): a fresh process's page renders
    while its first copy is held unfinished; after a publish the rerun renders the old snapshot at once;
    once the copy is in place the next rerun shows the publish (st.cache_data keyed by the snapshot the read
    answered from)."""
    from streamlit.testing.v1 import AppTest

    from trends.lake import reader

    ingest(lake, make_pages(tmp_path / "first", 12))
    monkeypatch.setenv("TRENDS_DB", lake)
    hook = held()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/about.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert archive_articles(at) == "12"
    assert hook.reached.wait(300) and reader.read_copy(lake) is None  # it rendered from the pinned lake views
    hook.release.set()
    reader.wait_for_copy(lake, timeout=300)
    ingest(lake, make_pages(tmp_path / "second", 3, start=12))
    hook = held()
    at.run()  # notices the publish, starts the copy (held), renders from the old copy
    assert not at.exception, [e.value for e in at.exception]
    assert archive_articles(at) == "12"
    assert hook.reached.wait(300) and reader.read_copy(lake).snapshot < reader.open_status(lake).generation
    hook.release.set()
    reader.wait_for_copy(lake, timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert archive_articles(at) == "15"
