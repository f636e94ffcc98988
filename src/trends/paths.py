"""Where things live: the archive path rule shared by the CLI, the dashboard and the tests."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_DB = PROJECT_ROOT / "data" / "archive"  # an archive folder (trends.store)
SEED_PAGE = PROJECT_ROOT / "data" / "seed-page-example.txt"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db` wins, then the TRENDS_DB environment variable, then data/archive."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("TRENDS_DB")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_DB
