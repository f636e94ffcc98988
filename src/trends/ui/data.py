"""What the shared widgets read from the database: the summary, selector options, the schema check.

Read-only by construction: everything goes through trends.cache / trends.queries (read cursors on
the published segments) or `trends.store.open_status`. The dashboard never migrates, creates or locks
an archive; an old single-file database gets a one-line message naming the command that converts it.
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
from trends.store import StoreError, first_line, generation, open_status

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
    """Why this archive cannot be shown as it is (a single-file database of an older version, or a
    format from a newer version), or None. Reads only the manifest (`trends.store.open_status`)."""
    try:
        generation(db)
        return None
    except StoreError:
        status = open_status(db)
        if status.state == "legacy":
            return Problem("it is a single-file database from an older version",
                           f"Convert it once with `trends upgrade {db} --to NEW_FOLDER`, point `TRENDS_DB` at the new folder, then reload.")
        if "newer version" in status.message:
            return Problem(status.message, "Upgrade commentary-trends (`pip install -U commentary-trends`), then reload.")
        raise


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
