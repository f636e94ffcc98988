"""Shared test fixtures. Area-specific fixture builders live in tests/fixtures_*.py modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SEED_PAGE = FIXTURES / "page-example.txt"
sys.path.insert(0, str(TESTS))  # so tests can `import fixtures_<area>`


@pytest.fixture(scope="session", autouse=True)
def _own_tagger_cache(tmp_path_factory):
    """The tests' own tagger cache (`trends.tagging.tagger_cache`), not the user's; CLI subprocesses inherit it."""
    import os

    if "TRENDS_CACHE_DIR" not in os.environ:
        os.environ["TRENDS_CACHE_DIR"] = str(tmp_path_factory.mktemp("tagger-cache"))
    yield


@pytest.fixture
def seed_page() -> Path:
    return SEED_PAGE


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A path for a fresh database file (not created yet)."""
    return tmp_path / "trends.duckdb"
