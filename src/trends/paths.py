"""Where things live: the archive path rule shared by the CLI, the dashboard and the tests."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_DB = PROJECT_ROOT / "data" / "archive"  # an archive folder (trends.store)
SEED_PAGE = PROJECT_ROOT / "data" / "seed-page-example.txt"


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path | str:
    """`--db` wins, then the TRENDS_DB environment variable, then data/archive. A shared-store address
    (``postgresql://...``, ``ducklake:...``: `trends.lake`) stays the string it is."""
    from trends.lake import is_address

    for value in (explicit, os.environ.get("TRENDS_DB")):
        if value:
            return value if is_address(value) else Path(value).expanduser().resolve()
    return DEFAULT_DB
