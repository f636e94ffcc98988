"""The dashboard only reads, and says what is wrong in one line (AppTest on real database files).

- no page changes a byte of the database folder, adds a file (no writer lock) or holds a file open
  for writing; a single-file database of an older version gets one line naming `trends upgrade`;
- the last-resort handler turns any exception into one friendly line and logs the detail server-side;
- the first start builds the demo in a child process (two at once build it once), and a build that
  cannot run gets one line.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from fixtures_app import build_app_db, folder_state, open_for_writing
from trends import cli
from trends.store import FORMAT

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = ["overview", "topics", "countries", "readership", "articles", "about"]


def run_page(monkeypatch, db: Path, page: str = "overview", params: dict | None = None) -> AppTest:
    monkeypatch.setenv("TRENDS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params or {})
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    return build_app_db(tmp_path_factory.mktemp("safety") / "app.duckdb", rollups=True)


def test_no_page_writes_to_the_database_folder(monkeypatch, fixture_db):
    before = folder_state(fixture_db.parent)
    for page in PAGES:
        at = run_page(monkeypatch, fixture_db, page, {"v": "1", "drill_dim": "topic", "drill_key": "energy"})
        assert not at.error, [e.value for e in at.error]
    assert open_for_writing(fixture_db.parent) == []
    assert folder_state(fixture_db.parent) == before  # same bytes, and no file added (.lock, .ingest, .wal)


def _legacy_file(path: Path, tmp_path: Path) -> Path:
    """A real single-file database of the previous layout (schema 3) with the fixture's rows."""
    from trends.store import open_reader

    archive = build_app_db(tmp_path / "source-archive")
    reader = open_reader(archive)
    reader.execute(f"ATTACH '{path}' AS old")
    for table in ("articles", "view_snapshots", "tags", "rejects", "ingest_runs", "themes", "related"):
        reader.execute(f"CREATE TABLE old.{table} AS SELECT * FROM {table}")
    reader.execute("CREATE TABLE old.meta AS SELECT 'schema_version' AS key, '3' AS value")
    reader.execute("DETACH old")
    reader.close()
    return path


def test_an_old_single_file_gets_one_line_naming_the_command_and_no_migration(monkeypatch, tmp_path):
    legacy = tmp_path / "old"
    legacy.mkdir()
    db = _legacy_file(legacy / "old.duckdb", tmp_path)
    before = folder_state(legacy)
    for page in ("overview", "countries", "about"):
        at = run_page(monkeypatch, db, page)
        assert len(at.error) == 1, [e.value for e in at.error]
        line = at.error[0].value.replace("\\", "")  # as shown: markdown escapes removed
        assert "single-file database from an older version" in line
        assert f"`trends upgrade {db} --to NEW_FOLDER`" in line and "\n" not in line
        assert not at.get("plotly_chart")
    assert folder_state(legacy) == before  # nothing converted, nothing locked

    new = tmp_path / "converted"
    assert cli.main(["upgrade", str(db), "--to", str(new), "--no-themes"]) == 0  # the command the line names
    assert cli.main(["migrate", "--db", str(new)]) == 0
    at = run_page(monkeypatch, new, "overview")
    assert not at.error and at.get("plotly_chart")


def test_a_newer_format_says_upgrade_the_tool(monkeypatch, tmp_path):
    import json

    db = build_app_db(tmp_path / "new.duckdb")
    manifest = json.loads((db / "manifest.json").read_text())
    (db / "manifest.json").write_text(json.dumps({**manifest, "format": FORMAT + 1}))
    at = run_page(monkeypatch, db, "topics")
    assert len(at.error) == 1 and "newer version" in at.error[0].value and "Upgrade commentary-trends" in at.error[0].value


def _failing_page() -> None:
    """A page body that fails the way a bug would, with a server path in its message."""
    from trends.ui import lifecycle
    from trends.ui.state import current

    with lifecycle.last_resort(current()):
        import streamlit as st

        st.title("A page")
        raise RuntimeError("boom in /srv/secret/archive.duckdb")


def test_the_last_resort_handler_shows_one_line_and_logs_the_detail(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("TRENDS_DB", str(build_app_db(tmp_path / "app.duckdb")))
    caplog.set_level(logging.ERROR, logger="trends.dashboard")
    at = AppTest.from_function(_failing_page, default_timeout=60)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["A page"]  # what was drawn before the failure stays
    assert len(at.error) == 1
    line = at.error[0].value
    assert line.startswith("Something went wrong while drawing this page (reference ")
    everything = "\n".join(str(el.value) for el in at.main if hasattr(el, "value"))
    assert "boom" not in everything and "/srv/secret" not in everything and "Traceback" not in everything
    ref = line.split("reference ")[1].split(")")[0]
    record = next(r for r in caplog.records if r.name == "trends.dashboard")
    assert ref in record.getMessage()
    assert record.exc_info and "boom in /srv/secret/archive.duckdb" in str(record.exc_info[1])
    assert at.sidebar.selectbox(key="flt_grain")  # the sidebar is still drawn, so the user can change course


def test_a_demo_build_that_cannot_run_gets_one_line(monkeypatch, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    db = tmp_path / "afile" / "trends.duckdb"  # its folder cannot be made: a file is in the way
    monkeypatch.setenv("TRENDS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Could not build the demo database:")
    assert "File exists" in at.error[0].value or "Not a directory" in at.error[0].value
    assert "Traceback" not in at.error[0].value


@pytest.mark.slow
def test_two_first_starts_at_once_build_the_demo_once(tmp_path):
    db = tmp_path / "fresh" / "trends.duckdb"
    cmd = [sys.executable, "-m", "trends.demo.first_start", "--db", str(db), "--articles", "300"]
    first = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    second = subprocess.Popen(cmd, stderr=subprocess.PIPE)  # a second tab or server, at the same moment
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0, (first.stderr.read(), second.stderr.read())
    assert sorted(f.name for f in db.parent.iterdir()) == ["trends.duckdb"]  # no staging, lock or progress file
    from trends.store import open_reader

    con = open_reader(db)
    runs = con.execute("SELECT count(*) FROM ingest_runs WHERE command = 'demo'").fetchone()[0]
    synthetic = con.execute("SELECT count(*) FROM articles WHERE synthetic").fetchone()[0]
    con.close()
    assert synthetic == 300
    assert runs == 3  # one build: the seed page and the two scrapes, not twice that
