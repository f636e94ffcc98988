"""The shared store (DuckLake, a real PostgreSQL catalog, Parquet files) and `--cluster` (a real Dask
LocalCluster of 2 workers): several writers at once lose and duplicate nothing, the cluster's tags are
the local tags, and the dashboard's queries answer the same as on a local archive built from the same
pages (the local archive is the independent reference: another storage engine, another writer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures_archive import derived_state, make_pages
from fixtures_lake import lake, page_queries, pg_server, without_clock  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
TAGS = "SELECT article_id, kind, key, label, mentions, score, method, spans, published FROM tags ORDER BY ALL"


def cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "trends.cli", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


def finished(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return err


def rows(db, sql: str) -> list:
    from trends.store import open_reader

    con = open_reader(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def local_reference(tmp_path: Path, *folders: Path) -> Path:
    """The same folders ingested one after another into a local archive (the reference answer)."""
    from trends.ingest import ingest_paths

    ref = tmp_path / "local-archive"
    for folder in folders:
        ingest_paths(ref, [str(folder)], progress=False, processes=1)
    return ref


@pytest.mark.slow
def test_two_concurrent_ingests_store_each_article_once(lake, tmp_path):
    first = make_pages(tmp_path / "first", 10)                 # pages 0..9 (the lake's first run)
    left = make_pages(tmp_path / "left", 40, start=10)          # pages 10..49
    right = make_pages(tmp_path / "right", 40, start=30)        # pages 30..69: 30..49 in both, same text
    finished(cli("ingest", str(first), "--db", lake, "--quiet"))
    a = cli("ingest", str(left), "--db", lake, "--quiet")
    b = cli("ingest", str(right), "--db", lake, "--quiet")
    finished(a), finished(b)
    assert rows(lake, "SELECT count(*), count(DISTINCT article_id), count(DISTINCT identity) FROM articles") == [(70, 70, 70)]
    runs = rows(lake, "SELECT run_id, status, new_articles, unchanged_articles FROM ingest_runs ORDER BY run_id")
    assert [r[0] for r in runs] == [1, 2, 3] and {r[1] for r in runs} == {"ok"}
    # pages 30..49 came twice with the same text: stored once, seen again once (whichever run was second)
    assert sum(r[2] for r in runs) == 70 and sum(r[3] for r in runs) == 20
    assert rows(lake, "SELECT count(*) FROM (SELECT article_id, kind, key FROM tags GROUP BY ALL HAVING count(*) > 1)") == [(0,)]
    # every derived table equals a local archive that got the same pages one run after the other
    ref = local_reference(tmp_path, first, left, right)
    assert rows(lake, TAGS) == rows(ref, TAGS)
    assert derived_state(lake) == derived_state(ref)


@pytest.mark.slow
def test_a_writer_overtaken_on_the_same_articles_replays_its_run(lake, tmp_path):
    """Deterministic overlap: while run A streams its records another process stores some of the same
    articles (one with other text) and publishes first; A's publish must refuse and replay."""
    from trends.ingest import ingest_records, iter_path_records

    first = make_pages(tmp_path / "first", 10)
    mine = make_pages(tmp_path / "mine", 20, start=10)                       # pages 10..29
    theirs = make_pages(tmp_path / "theirs", 10, start=20, rewrite={25})     # 20..29, page 25 rewritten
    finished(cli("ingest", str(first), "--db", lake, "--quiet"))

    def records():
        for k, item in enumerate(iter_path_records([str(mine)], workers=1)):
            if k == 15:  # A has planned and applied its first batches against the old snapshot
                finished(cli("ingest", str(theirs), "--db", lake, "--quiet"))
            yield item

    summary = ingest_records(lake, records(), progress=False, batch_size=5, processes=1)
    assert (summary.new, summary.updated, summary.unchanged) == (10, 1, 9)  # as if it had run after them
    assert rows(lake, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(30, 30)]
    assert rows(lake, "SELECT count(*) FROM ingest_runs WHERE status = 'ok'") == [(3,)]
    ref = local_reference(tmp_path, first, theirs, mine)
    assert rows(lake, TAGS) == rows(ref, TAGS)
    assert derived_state(lake) == derived_state(ref)


@pytest.mark.slow
def test_cluster_tags_equal_local_tags(lake, tmp_path):
    from trends.cluster import ingest_on_cluster
    from trends.ingest import ingest_paths

    pages = make_pages(tmp_path / "pages", 60)
    local = tmp_path / "local"
    ingest_paths(local, [str(pages)], progress=False, processes=2)  # the local pool
    on_cluster = ingest_on_cluster(tmp_path / "clustered", [str(pages)], "local:2", progress=False, files_per_task=7)
    into_lake = ingest_on_cluster(lake, [str(pages)], "local:2", progress=False, files_per_task=7)
    assert on_cluster.new == into_lake.new == 60
    expected = rows(local, TAGS)
    assert len(expected) > 60 * 3  # countries, orgs, topics, themes: the comparison has substance
    assert rows(tmp_path / "clustered", TAGS) == expected
    assert rows(lake, TAGS) == expected


def test_cluster_address_errors_are_one_line(tmp_path):
    pages = make_pages(tmp_path / "pages", 2)
    for address, words in (("local:zero", "local:N"), ("local:0", "between 1 and 256")):
        proc = cli("ingest", str(pages), "--db", str(tmp_path / "a"), "--cluster", address, "--quiet")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and words in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.slow
def test_dashboard_queries_answer_the_same_on_the_shared_store(lake, tmp_path):
    import pandas as pd

    from trends.ingest import ingest_paths

    old = make_pages(tmp_path / "old", 40)
    again = make_pages(tmp_path / "again", 20, start=30, views_bump=11, rewrite={33})  # re-scrape: views, one text
    for folder in (old, again):
        ingest_paths(lake, [str(folder)], progress=False, processes=1)
    ref = local_reference(tmp_path, old, again)
    ours, theirs = page_queries(lake), page_queries(ref)
    assert set(ours) == set(theirs) and len(ours) > 30
    for name in ours:
        a, b = without_clock(ours[name]()), without_clock(theirs[name]())
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, obj=name)
        else:
            assert repr(a) == repr(b), name


def test_dashboard_page_renders_from_the_shared_store(lake, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from trends.ingest import ingest_paths

    ingest_paths(lake, [str(make_pages(tmp_path / "p", 12))], progress=False, processes=1)
    monkeypatch.setenv("TRENDS_DB", lake)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    shown = "\n".join(m.value for m in at.markdown) + "\n".join(str(m.value) for m in at.metric)
    assert "12" in shown


def test_unreachable_or_unusable_addresses_say_one_line(tmp_path, pg_server):
    dead = "postgresql://postgres@127.0.0.1:1/nothing?data=" + str(tmp_path)
    for args in (["stats", "--db", dead], ["ingest", str(make_pages(tmp_path / "p", 1)), "--db", dead, "--quiet"],
                 ["stats", "--db", "postgresql://only-a-host"], ["compact", "--db", pg_server.url]):
        proc = cli(*args)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)


def test_compact_sums_the_deltas_and_changes_no_answer(lake, tmp_path):
    from trends.ingest import ingest_paths

    for k in range(3):
        ingest_paths(lake, [str(make_pages(tmp_path / f"run{k}", 8, start=4 * k, views_bump=k))], progress=False, processes=1)
    before = derived_state(lake)
    deltas = rows(lake, "SELECT count(*) FROM lake.rollup_tags")[0][0]
    proc = cli("compact", "--db", lake)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "roll-up rows" in out
    assert rows(lake, "SELECT count(*) FROM lake.rollup_tags")[0][0] < deltas  # three runs' deltas summed
    assert derived_state(lake) == before
    assert rows(lake, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(16, 16)]  # pages 0..15


@pytest.mark.slow
def test_a_run_published_between_claiming_run_ids_and_committing_keeps_both_runs(lake, tmp_path, monkeypatch):
    """Another writer's whole run lands after this run checked its run id and before its transaction
    began, so DuckLake sees no conflict at commit: the publish must see the taken id inside the
    transaction and renumber (before, the second run's row replaced the first's: 1 run row, not 2)."""
    from trends.ingest import ingest_paths
    from trends.lake import writer

    finished(cli("ingest", str(make_pages(tmp_path / "first", 3)), "--db", lake, "--quiet", "--no-tag"))
    claim, interleaved = writer._claim_run_ids, []

    def claim_then_another_writer_publishes(con) -> None:
        claim(con)
        if not interleaved:  # the first attempt only: a real second process ingests and publishes now
            interleaved.append(True)
            finished(cli("ingest", str(make_pages(tmp_path / "other", 4, start=3)), "--db", lake, "--quiet", "--no-tag"))

    monkeypatch.setattr(writer, "_claim_run_ids", claim_then_another_writer_publishes)
    ingest_paths(lake, [str(make_pages(tmp_path / "mine", 5, start=7))], tag=False, progress=False, processes=1)
    assert interleaved
    assert rows(lake, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(12, 12)]
    assert rows(lake, "SELECT count(*), count(DISTINCT run_id) FROM ingest_runs WHERE status = 'ok'") == [(3, 3)]
    assert rows(lake, "SELECT count(*) FROM articles WHERE run_id NOT IN (SELECT run_id FROM ingest_runs)") == [(0,)]


def test_two_first_runs_create_one_new_store_together(lake, tmp_path):
    """Both writers find the catalog empty: creating the lake and its tables races in PostgreSQL."""
    a = cli("ingest", str(make_pages(tmp_path / "a", 6)), "--db", lake, "--quiet", "--no-tag")
    b = cli("ingest", str(make_pages(tmp_path / "b", 6, start=6)), "--db", lake, "--quiet", "--no-tag")
    finished(a), finished(b)
    assert rows(lake, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(12, 12)]
    assert rows(lake, "SELECT count(*) FROM ingest_runs WHERE status = 'ok'") == [(2,)]
