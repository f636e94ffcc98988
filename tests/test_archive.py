"""The archive end to end with the real tagger and real processes: incremental == rebuild, kill -9 at
every phase, readers that neither wait nor write, storage errors, upgrade, search tokens, growth."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from fixtures_archive import derived_state, file_hashes, make_pages, reader_state
from fixtures_ingest import db_state, query
from test_ingest_crash import comparable
from trends import derived, store
from trends.filters import Filter
from trends.ingest import ingest_paths

PYTHON = sys.executable


def cli(*args, env=None, preexec=None, timeout=300):
    return subprocess.run([PYTHON, "-m", "trends.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, preexec_fn=preexec)


def three_runs(tmp_path: Path, db: Path) -> None:
    """New pages; then view changes, rewritten texts and more new pages; then the same again (unchanged)."""
    first = make_pages(tmp_path / "first", 40)
    ingest_paths(db, [first], progress=False, processes=1)
    second = make_pages(tmp_path / "second", 50, views_bump=500, rewrite={3, 7, 11})  # 40 seen again + 10 new
    ingest_paths(db, [second], progress=False, processes=1, batch_size=16)
    ingest_paths(db, [second], progress=False, processes=1)


def test_incremental_archive_equals_a_full_rebuild(tmp_path):
    db = tmp_path / "inc"
    three_runs(tmp_path, db)
    assert len(store.read_manifest(db).segments) == 3  # one segment per run, no rewrite
    incremental = derived_state(db)
    assert incremental["postings"] and incremental["rollup_tags"] and incremental["article_growth"]
    assert len({r[0] for r in incremental["docs"]}) == 50
    # views changed for the 40 re-scraped articles: growth is 500 each
    assert sorted({g for _, g in incremental["article_growth"]}) == [500]
    themes = query(db, "SELECT count(DISTINCT article_id) FROM tags WHERE kind = 'theme'")[0][0]
    assert themes > 40  # the model fitted on the first run assigned the later new articles too
    before = comparable(db)
    assert cli("rebuild", "--db", db).returncode == 0
    assert len(store.read_manifest(db).segments) == 1
    assert derived_state(db) == incremental
    assert comparable(db) == before
    assert cli("compact", "--db", db).returncode == 0
    assert derived_state(db) == incremental


def test_a_long_lived_reader_reads_every_generation_as_a_fresh_one_does(tmp_path):
    """The serving process's reader instance is carried across generations (only new segments are attached,
    the rest stay warm): after an ingest, a rebuild and another ingest it reads exactly what a freshly
    opened reader reads; a cursor taken before a publish keeps its generation; segments a rewrite dropped
    are detached one generation later."""
    db = tmp_path / "inc"
    key = str(db.resolve())

    def attached():
        cur = store.read_cursor(db)
        return sorted(r[0] for r in cur.execute("SELECT database_name FROM duckdb_databases() "
                                                "WHERE database_name LIKE 'seg%'").fetchall())

    ingest_paths(db, [make_pages(tmp_path / "first", 30)], progress=False, processes=1)
    before = store.read_cursor(db)
    instance = store._read_instances[key][1]
    assert before.execute("SELECT count(*) FROM articles").fetchone()[0] == 30
    second = make_pages(tmp_path / "second", 40, views_bump=500, rewrite={3, 7})  # 30 seen again + 10 new
    ingest_paths(db, [second], progress=False, processes=1, batch_size=16)
    after = store.read_cursor(db)
    assert store._read_instances[key][1] is instance  # carried over, not reopened
    assert len(attached()) == len(store.read_manifest(db).segments) == 2
    assert reader_state(after) == derived_state(db)
    assert after.execute("SELECT count(*), sum(views) FROM articles").fetchone() == query(db, "SELECT count(*), sum(views) FROM articles")[0]
    assert before.execute("SELECT count(*) FROM articles").fetchone()[0] == 30  # its own generation still
    assert cli("rebuild", "--db", db).returncode == 0
    rebuilt = store.read_cursor(db)
    assert store._read_instances[key][1] is instance
    assert reader_state(rebuilt) == derived_state(db)
    assert len(attached()) == 3  # the two replaced segments stay attached for one more generation
    ingest_paths(db, [make_pages(tmp_path / "third", 5, start=40)], progress=False, processes=1)
    latest = store.read_cursor(db)
    assert reader_state(latest) == derived_state(db)
    assert latest.execute("SELECT count(*) FROM articles").fetchone()[0] == 45
    assert len(attached()) == len(store.read_manifest(db).segments) == 2  # the replaced ones are detached


def test_search_keeps_numbers_and_short_tokens(tmp_path):
    db = tmp_path / "s"
    pages = make_pages(tmp_path / "p", 10)
    (pages / "odd.txt").write_text(
        (pages / "page-0001.txt").read_text().replace("Note 1.", "Note 1. The Ingestwave9 pilot starts in São Paulo."), encoding="utf-8")
    (pages / "page-0001.txt").unlink()
    ingest_paths(db, [pages], progress=False, processes=1, tag=False)
    from trends import queries

    ids = lambda text: set(queries.search(db, Filter(), text)[0]["article_id"])  # noqa: E731
    with_text = lambda word: {aid for aid, body in query(db, "SELECT article_id, title || ' ' || body FROM articles")  # noqa: E731
                              if word.lower() in body.lower().replace(",", " ").replace(".", " ").split()}
    for word in ("2023", "G7", "5G", "Ingestwave9"):
        assert ids(word) == with_text(word) and ids(word), word
    assert len(ids("Ingestwave9")) == 1
    assert ids("Ingestwave") == set()  # the digit is part of the word
    assert ids("Sao Paulo") == ids("São Paulo") == {query(db, "SELECT article_id FROM articles WHERE body LIKE '%São Paulo%'")[0][0]}


def test_twenty_small_ingests_stay_compact(tmp_path):
    db = tmp_path / "g"
    ingest_paths(db, [make_pages(tmp_path / "base", 30)], progress=False, processes=1, tag=False)
    for i in range(20):
        ingest_paths(db, [make_pages(tmp_path / f"one-{i}", 1, start=100 + i)], progress=False, processes=1, tag=False)
        assert len(store.read_manifest(db).segments) <= derived.MAX_SEGMENTS + 1
    assert query(db, "SELECT count(*) FROM articles") == [(50,)]
    assert store.archive_bytes(db) < 20 * 2**20
    assert not list(db.glob("work-*")) and not list(db.glob("rewrite-*"))


# ------------------------------------------------------------------------------------------- kill -9

PHASES_NEW = ["records", "tags", "rollups", "search", "themes", "finish", "before-publish", "publish"]
PHASES_EXISTING = ["records", "tags", "rollups", "search", "finish", "before-publish", "publish"]


def _clean_reference(tmp_path: Path, runs: list[Path]) -> Path:
    clean = tmp_path / "clean"
    for folder in runs:
        ingest_paths(clean, [folder], progress=False, processes=1)
    return clean


@pytest.mark.parametrize("phase", PHASES_NEW)
def test_kill_at_each_phase_of_a_first_ingest_then_rerun_completes(tmp_path, phase):
    pages = make_pages(tmp_path / "pages", 30)
    db = tmp_path / "live"
    killed = cli("ingest", pages, "--db", db, "--quiet", env={"TRENDS_CRASH_AT": phase})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if phase != "publish":
        assert store.open_status(db).state == "missing"  # nothing half-published
    rerun = cli("ingest", pages, "--db", db, "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    _check_consistent(tmp_path, db, [pages])


@pytest.mark.parametrize("phase", PHASES_EXISTING)
def test_kill_at_each_phase_of_a_later_ingest_then_rerun_completes(tmp_path, phase):
    first = make_pages(tmp_path / "first", 30)
    second = make_pages(tmp_path / "second", 40, views_bump=100, rewrite={2, 5})
    db = tmp_path / "live"
    ingest_paths(db, [first], progress=False, processes=1)
    published = file_hashes(db / "segments") | {"manifest": file_hashes(db)["manifest.json"]}
    killed = cli("ingest", second, "--db", db, "--quiet", "--batch-size", "15", env={"TRENDS_CRASH_AT": phase})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if phase != "publish":
        assert file_hashes(db / "segments") | {"manifest": file_hashes(db)["manifest.json"]} == published
    rerun = cli("ingest", second, "--db", db, "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    statuses = [s for (s,) in query(db, "SELECT status FROM ingest_runs ORDER BY run_id")]
    assert statuses[0] == "ok" and statuses[-1] == "ok" and set(statuses) <= {"ok", "interrupted"}
    _check_consistent(tmp_path, db, [first, second])


def _check_consistent(tmp_path: Path, db: Path, runs: list[Path]) -> None:
    """The rows equal a clean ingest's, and every derived table equals a full rebuild of the same archive."""
    assert not list(db.glob("work-*")) and not list(db.glob("rewrite-*"))
    clean = _clean_reference(tmp_path, runs)
    assert comparable(db) == comparable(clean)
    incremental = derived_state(db)
    copy = tmp_path / "rebuilt"
    shutil.copytree(db, copy)
    assert cli("rebuild", "--db", copy).returncode == 0
    assert derived_state(copy) == incremental
    assert incremental["docs"]


# ------------------------------------------------------------------------------------------- readers

READER = """
import sys, time
from trends import queries as q
from trends.filters import Filter
db = sys.argv[1]
t0 = time.perf_counter()
f = Filter()
q.summary(db); q.volume(db, f, "topic"); q.country_map(db, f); q.views_over_time(db, f)
q.top_articles(db, f); q.search(db, f, "sanctions 2023"); q.drilldown(db, f, "topic", "energy"); q.co_mentions(db, f)
print(q.summary(db)["articles"], round(time.perf_counter() - t0, 2))
"""

PAUSED_INGEST = """
import sys, pathlib, time
from trends.ingest import ingest_records, iter_path_records
db, folder, marker = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
def stream():
    for n, item in enumerate(iter_path_records([folder])):
        if n == 25:
            marker.write_text("paused")
            time.sleep(600)
        yield item
ingest_records(db, stream(), batch_size=10, progress=False, processes=1)
"""


def _read(db: Path) -> tuple[int, float]:
    out = subprocess.run([PYTHON, "-c", READER, str(db)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    articles, seconds = out.stdout.split()
    return int(articles), float(seconds)


def test_readers_neither_wait_for_nor_change_a_running_or_crashed_ingest(tmp_path):
    db = tmp_path / "live"
    ingest_paths(db, [make_pages(tmp_path / "first", 20)], progress=False, processes=1)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([PYTHON, "-c", PAUSED_INGEST, str(db), str(make_pages(tmp_path / "second", 40, start=20)),
                             str(marker)])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # the two committed batches are in the working segment
        before = file_hashes(db)
        assert any(name.startswith("work-") for name in before)
        articles, seconds = _read(db)  # a separate reader process while the writer holds the lock
        assert articles == 20 and seconds < 30
        _app_overview(db)
        assert file_hashes(db) == before  # the reader changed no file, the writer's included
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    crashed = file_hashes(db)
    assert _read(db)[0] == 20  # the crashed run's batches are not published by a reader
    _app_overview(db)
    assert file_hashes(db) == crashed


def _app_overview(db: Path) -> None:
    """The dashboard's overview page in AppTest on the archive (a real Streamlit run)."""
    from streamlit.testing.v1 import AppTest

    env = os.environ.get("TRENDS_DB")
    os.environ["TRENDS_DB"] = str(db)
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    finally:
        if env is None:
            os.environ.pop("TRENDS_DB", None)
        else:
            os.environ["TRENDS_DB"] = env


# ------------------------------------------------------------------------------------------- errors


def _one_line(proc) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == 2 and err and "\n" not in err and "Traceback" not in err, proc.stderr
    return err


def _no_fsize_limit_signal(limit: int):
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return setup


def test_disk_full_is_one_line_and_leaves_nothing_that_blocks_the_rerun(tmp_path):
    db = tmp_path / "full"
    ingest_paths(db, [make_pages(tmp_path / "first", 5)], progress=False, processes=1, tag=False)
    pages = make_pages(tmp_path / "big", 400, start=10)
    before = file_hashes(db)
    full = cli("ingest", pages, "--db", db, "--quiet", "--no-tag", preexec=_no_fsize_limit_signal(600_000))
    err = _one_line(full)
    assert "disk is full" in err
    assert not list(db.glob("work-*")) and not list(db.glob("rewrite-*"))
    assert {k: v for k, v in file_hashes(db).items() if k != "lock"} == {k: v for k, v in before.items() if k != "lock"}
    again = cli("ingest", pages, "--db", db, "--quiet", "--no-tag")
    assert again.returncode == 0, again.stderr
    assert query(db, "SELECT count(*) FROM articles") == [(405,)]


def test_damaged_segment_is_one_line_for_readers_and_writers(tmp_path):
    db = tmp_path / "dmg"
    ingest_paths(db, [make_pages(tmp_path / "first", 5)], progress=False, processes=1, tag=False)
    (seg,) = (db / "segments").iterdir()
    seg.write_bytes(seg.read_bytes()[:4096] + b"\0garbage" * 1000)
    assert "damaged" in _one_line(cli("stats", "--db", db))
    assert "damaged" in _one_line(cli("ingest", make_pages(tmp_path / "more", 3, start=50), "--db", db, "--quiet"))
    assert not list(db.glob("work-*"))
    (db / "manifest.json").write_text("{not json")
    assert "manifest" in _one_line(cli("stats", "--db", db))


def test_read_only_folder_is_one_line(tmp_path):
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("needs a tmpfs mount (root) to make a read-only folder")
    try:
        db = mount / "archive"
        ingest_paths(db, [make_pages(tmp_path / "first", 3)], progress=False, processes=1, tag=False)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        err = _one_line(cli("ingest", make_pages(tmp_path / "more", 2, start=9), "--db", db, "--quiet", "--no-tag"))
        assert "read-only" in err
        assert _read(db)[0] == 3  # reading a read-only archive works
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_legacy_single_file_is_refused_in_one_line_and_upgrades(tmp_path):
    src = tmp_path / "src"
    ingest_paths(src, [make_pages(tmp_path / "first", 12)], progress=False, processes=1)
    legacy = tmp_path / "old.duckdb"
    reader = store.open_reader(src)
    reader.execute(f"ATTACH '{legacy}' AS old")
    for table in ("articles", "view_snapshots", "tags", "rejects", "ingest_runs", "themes", "related"):
        reader.execute(f"CREATE TABLE old.{table} AS SELECT * FROM {table}")
    reader.execute("CREATE TABLE old.meta AS SELECT 'schema_version' AS key, '3' AS value")
    reader.execute("DETACH old")
    reader.close()
    for args in (["stats", "--db", legacy], ["ingest", tmp_path / "first", "--db", legacy, "--quiet"]):
        err = _one_line(cli(*args))
        assert "single-file database from an older version" in err and "trends upgrade" in err
    new = tmp_path / "upgraded"
    up = cli("upgrade", legacy, "--to", new)
    assert up.returncode == 0, up.stderr
    assert db_state(new)["articles"] == db_state(src)["articles"]
    assert {k: v for k, v in derived_state(new).items() if k not in ("rollup_tags", "rollup_summary", "rollup_kinds",
            "rollup_keys", "tags_by_key", "rollup_pairs", "rollup_tag_views")} == \
        {k: v for k, v in derived_state(src).items() if k not in ("rollup_tags", "rollup_summary", "rollup_kinds",
         "rollup_keys", "tags_by_key", "rollup_pairs", "rollup_tag_views")}  # themes were refitted: tag tables differ
    assert _one_line(cli("upgrade", legacy, "--to", new)).endswith("choose a new folder for the archive")


def test_an_unchanged_rescan_rewrites_no_article_and_records_the_sighting(tmp_path):
    db = tmp_path / "seen"
    pages = make_pages(tmp_path / "p", 5)
    ingest_paths(db, [pages], progress=False, processes=1, tag=False)
    second = ingest_paths(db, [pages], progress=False, processes=1, tag=False)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    newest = store.segment_files(db)[-1]
    con = duckdb.connect(str(newest), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0  # no row rewritten
        assert con.execute("SELECT count(*) FROM sightings").fetchone()[0] == 5
    finally:
        con.close()
    from trends import queries

    aid = query(db, "SELECT min(article_id) FROM articles")[0][0]
    seen = query(db, "SELECT max(seen_at) FROM sightings WHERE article_id = ?", [aid])[0][0]
    assert queries.article(db, aid)["meta"]["last_seen"] == seen


KILLED_FIRST_RUN = """
import sys, pathlib, time
from trends.ingest import ingest_records, iter_path_records
db, folder, marker = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
def stream():
    for n, item in enumerate(iter_path_records([folder])):
        if n == 20:
            marker.write_text("committed")  # batch 1 committed (batch 2 is being tagged), no derived row yet
            time.sleep(600)
        yield item
ingest_records(db, stream(), batch_size=10, progress=False, processes=1)
"""


def test_a_first_run_killed_between_batches_resumes_with_changed_pages_and_equals_a_rebuild(tmp_path):
    """A from-scratch run writes its derived rows once at the end: killed after a committed batch,
    the rerun (some of those articles re-scraped with new views or new text, more pages) adopts the
    working segment, re-stores the changed articles in it, and ends with one row per article and derived
    tables equal to a full rebuild."""
    db, marker = tmp_path / "live", tmp_path / "marker"
    proc = subprocess.Popen([PYTHON, "-c", KILLED_FIRST_RUN, str(db), str(make_pages(tmp_path / "first", 30)), str(marker)])
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the ingest never reached the kill point"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert store.open_status(db).state == "missing" and list(db.glob("work-*"))
    second = make_pages(tmp_path / "second", 40, views_bump=100, rewrite={2, 5, 25})
    rerun = cli("ingest", second, "--db", db, "--quiet", "--batch-size", "15")
    assert rerun.returncode == 0, rerun.stderr
    assert "30 new, 10 updated" in rerun.stderr  # the committed batch's 10 came back with new views
    assert query(db, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(40, 40)]
    incremental = derived_state(db)
    assert len({r[0] for r in incremental["docs"]}) == 40 and incremental["rollup_tags"]
    assert sorted({g for _, g in incremental["article_growth"]}) == [100]  # the 10 committed, seen again
    copy = tmp_path / "rebuilt"
    shutil.copytree(db, copy)
    assert cli("rebuild", "--db", copy).returncode == 0
    assert derived_state(copy) == incremental
