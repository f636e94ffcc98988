"""Whole-database facts for the filter widgets and the About page."""

from __future__ import annotations

import os

import pandas as pd

from trends.filters import Filter
from trends.queries._base import Params, check_dimension, counted_rows, cursor, fetch_df, rollups_ready

def facets(db_path: str | os.PathLike, flt: Filter, dimension: str, limit: int = 50) -> pd.DataFrame:
    """The dimension's keys with their matching-article counts (ignoring the dimension's own selection)."""
    check_dimension(dimension)
    cur = cursor(db_path)
    p = Params()
    # As if the dimension were not yet filtered (a widget lists keys a user can add); filter parts are
    # named after their dimension.
    rows = counted_rows(flt, dimension, p, skip=frozenset({dimension}))
    df = fetch_df(
        cur,
        f"SELECT key, min(label) AS label, sum(n) AS articles FROM ({rows}) "
        f"GROUP BY key ORDER BY articles DESC, key LIMIT {p(int(limit))}",
        p,
    )
    df["articles"] = df["articles"].astype("int64")
    return df[["key", "label", "articles"]]


def summary(db_path: str | os.PathLike) -> dict:
    """Counts, date range, runs, rejects and tags by kind: provenance for the About page."""
    cur = cursor(db_path)
    row = cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE synthetic), count(DISTINCT source), min(published), max(published) "
        "FROM articles"
    ).fetchone()
    fast = rollups_ready()
    if fast:
        authors = cur.execute("SELECT count(DISTINCT author) FROM rollup_authors").fetchone()[0]
    else:
        authors = cur.execute("SELECT count(DISTINCT au) FROM (SELECT unnest(authors) AS au FROM articles)").fetchone()[0]
    rejects = cur.execute("SELECT count(*) FROM rejects").fetchone()[0]
    runs = cur.execute(
        "SELECT run_id, command, inputs, started_at, finished_at, status, new_articles, updated_articles, "
        "unchanged_articles, rejected, seconds FROM ingest_runs ORDER BY run_id DESC"
    ).df()
    last = cur.execute("SELECT max(finished_at) FROM ingest_runs WHERE finished_at IS NOT NULL").fetchone()[0]
    tags_by_kind = cur.execute(
        "SELECT kind, tags, articles, keys FROM rollup_summary ORDER BY kind" if fast else
        "SELECT kind, count(*) AS tags, count(DISTINCT article_id) AS articles, count(DISTINCT key) AS keys "
        "FROM tags GROUP BY kind ORDER BY kind"
    ).df()
    return {
        "articles": int(row[0]),
        "synthetic_articles": int(row[1]),
        "sources": int(row[2]),
        "authors": int(authors),
        "first_date": row[3],
        "last_date": row[4],
        "rejects": int(rejects),
        "runs": runs,
        "last_ingest_at": last,
        "tags_by_kind": tags_by_kind,
    }
