"""A real PostgreSQL server for the shared-store tests: started once per session on localhost, one new
database per test; skipped with the reason on a machine without PostgreSQL, a failure under CI."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest

from trends.lake.compare import without_clock  # noqa: F401 (re-exported for the tests)

BENCH = Path(__file__).resolve().parents[1] / "bench"
_names = itertools.count()


def _require_postgres():
    from trends.lake.pgserver import find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed (apt-get install postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " - CI must install them (.ci/run)")
        pytest.skip(reason)
    return bin_dir


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    from trends.lake.pgserver import throwaway_server

    bin_dir = _require_postgres()
    with throwaway_server(bin_dir) as server:
        yield server


@pytest.fixture
def lake(pg_server, tmp_path) -> str:
    """A fresh shared-store address: a new database on the test server, Parquet files under tmp_path."""
    db = pg_server.create_database(f"lake_{os.getpid()}_{next(_names)}")
    data = tmp_path / "lake-files"
    data.mkdir()
    return f"{db.url}?data={data}"


def page_queries(db):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    from page_queries import page_queries as queries

    return queries(db)
