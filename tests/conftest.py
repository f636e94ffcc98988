"""Shared test fixtures. Area-specific fixture builders live in tests/fixtures_*.py modules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SEED_PAGE = FIXTURES / "page-example.txt"
sys.path.insert(0, str(TESTS))  # so tests can `import fixtures_<area>`


@pytest.fixture
def seed_page() -> Path:
    return SEED_PAGE


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A path for a fresh database file (not created yet)."""
    return tmp_path / "trends.duckdb"
