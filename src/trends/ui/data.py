"""What the shared widgets read from the database: the summary, selector options, the schema check.

Read-only by construction: everything goes through trends.cache / trends.queries (read cursors on
the published file) or `trends.store.schema_version` on such a cursor. The dashboard never migrates,
creates or locks a database; an old file gets a one-line message naming the command that upgrades it.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

import duckdb
import pandas as pd

from trends import cache
from trends.filters import Filter
from trends.queries import QueryError
from trends.store import SCHEMA_VERSION, StoreError, first_line, generation, read_cursor, schema_version

READ_ERRORS = (StoreError, QueryError, duckdb.Error)  # what a damaged, missing or foreign file raises
BUILD_HINT = "Build one with `trends demo` or `trends ingest <files>`."


class Problem(NamedTuple):
    """Why the database cannot be shown: the reason (plain text, one line) and what to do (markdown)."""

    reason: str
    fix: str


def summary(db: str | os.PathLike) -> tuple[dict | None, Problem | None]:
    """(trends.queries.summary, None), or (None, the problem) when the file cannot be read as it is."""
    try:
        problem = schema_problem(db)
        if problem:
            return None, problem
        return cache.summary(db), None
    except READ_ERRORS as exc:
        return None, Problem(first_line(exc), BUILD_HINT)


def schema_problem(db: str | os.PathLike) -> Problem | None:
    """Why this database cannot be shown as it is (an older or newer schema), or None. Cached per file state."""
    gen = generation(db)
    return _schema_problem(str(db), (gen.inode, gen.mtime_ns, gen.size))


@functools.lru_cache(maxsize=16)
def _schema_problem(db: str, _generation: tuple) -> Problem | None:
    version = schema_version(read_cursor(db))
    if version < SCHEMA_VERSION:
        return Problem(f"it was written by an older version (schema {version}; this version reads {SCHEMA_VERSION})",
                       f"Upgrade it once with `trends migrate --db {db}`, then reload.")
    if version > SCHEMA_VERSION:
        return Problem(f"it was written by a newer version (schema {version}; this version reads {SCHEMA_VERSION})",
                       "Upgrade commentary-trends (`pip install -U commentary-trends`), then reload.")
    return None


def options(db: str | os.PathLike, dimension: str, current: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """Keys (most frequent first) and their labels for a selector, always including the current keys."""
    try:
        df = cache.facets(db, Filter(), dimension, limit=300)
    except READ_ERRORS:
        df = pd.DataFrame(columns=["key", "label", "articles"])
    labels = {str(k): str(lbl) for k, lbl in zip(df["key"], df["label"])}
    keys = list(labels)
    for k in current:
        if k not in labels:
            keys.append(k)
            labels[k] = k
    return keys, labels
