"""Crash safety: an ingest killed with SIGKILL mid-run leaves the published archive as it was, and a rerun
ends with exactly the rows a clean ingest produces."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures_ingest import db_state, query
from fixtures_ingest import seed_page as page_text
from trends.ingest import ingest_paths

PYTHON = sys.executable


def make_pages(folder: Path, count: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        related = [f"Crash Test Page {i + 1}"] if i % 3 == 0 else None  # some links resolve, some do not
        text = page_text(
            title=f"RAND: Crash Test Page {i}", date=f"{1 + i % 28:02d}.0{1 + i % 9}.2022", views=f"{1000 + i:,}",
            body=[f"Paragraph one of page {i}.", f"Paragraph two of page {i}."], related=related,
        )
        (folder / f"page-{i:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def comparable(db_path: Path) -> dict:
    """The state without wall-clock columns (a rerun and a clean ingest run at different times)."""
    state = db_state(db_path)
    return {  # articles without views_observed_at and first_seen (columns 12 and 13)
        "articles": [row[:12] + row[14:] for row in state["articles"]],
        "view_snapshots": [(aid, views) for aid, _, views in state["view_snapshots"]],
        "related": state["related"],
        "tags": state["tags"],
    }


KILLED_AFTER_BATCHES = """
import sys, pathlib, time
from trends.ingest import ingest_records, iter_path_records

db, folder, marker, after = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), int(sys.argv[4])

def stream():
    for n, item in enumerate(iter_path_records([folder])):
        if n == after:
            marker.write_text("committed")  # every batch before this record is committed
            time.sleep(600)
        yield item

ingest_records(db, stream(), tag=False, batch_size=10, progress=False)
"""


def test_kill_mid_ingest_keeps_live_file_and_rerun_completes(tmp_path):
    first = make_pages(tmp_path / "first", 5)
    second = make_pages(tmp_path / "second", 60, start=5)
    db = tmp_path / "live.duckdb"
    ingest_paths(db, [first], tag=False, progress=False)
    live_before = db_state(db)
    live_bytes = {p: p.read_bytes() for p in db.rglob("*.duckdb")} | {db / "manifest.json": (db / "manifest.json").read_bytes()}

    marker = tmp_path / "marker"
    proc = subprocess.Popen([PYTHON, "-c", KILLED_AFTER_BATCHES, str(db), str(second), str(marker), "40"])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the ingest subprocess ended before the kill"
            assert time.monotonic() < deadline, "the ingest subprocess never reached the kill point"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert {p: p.read_bytes() for p in live_bytes} == live_bytes and db_state(db) == live_before  # untouched
    assert len(list(db.glob("work-*.duckdb"))) == 1  # the working segment holds the committed batches

    rerun = subprocess.run(
        [PYTHON, "-m", "trends.cli", "ingest", str(second), "--db", str(db), "--no-tag", "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    # 4 batches of 10 were committed before the kill: the rerun finds them unchanged and adds the other 20
    assert "20 new, 0 updated, 40 unchanged, 0 rejected" in rerun.stderr
    assert not list(db.glob("work-*.duckdb"))

    clean = tmp_path / "clean.duckdb"
    ingest_paths(clean, [first], tag=False, progress=False)
    ingest_paths(clean, [second], tag=False, progress=False)
    assert comparable(db) == comparable(clean)
    assert len(comparable(db)["articles"]) == 65
    statuses = [s for (s,) in query(db, "SELECT status FROM ingest_runs ORDER BY run_id")]
    assert statuses == ["ok", "interrupted", "ok"]


@pytest.mark.parametrize("delay", [0.5, 0.75, 1.0, 3.0])  # before, during (the run takes ~0.5-1.3 s) and after
def test_kill_at_any_moment_then_rerun_matches_a_clean_ingest(tmp_path, delay):
    pages = make_pages(tmp_path / "pages", 300)
    db = tmp_path / "live.duckdb"
    cmd = [PYTHON, "-m", "trends.cli", "ingest", str(pages), "--db", str(db), "--no-tag", "--quiet", "--batch-size", "25"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    clean = tmp_path / "clean.duckdb"
    ingest_paths(clean, [pages], tag=False, progress=False)
    assert comparable(db) == comparable(clean)
    assert len(comparable(clean)["articles"]) == 300
