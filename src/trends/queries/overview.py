"""Whole-database facts for the filter widgets and the About page."""

from __future__ import annotations

import json

import os

import pandas as pd

from trends.filters import Filter
from trends.queries._base import (
    Params,
    check_dimension,
    counted_rows,
    cursor,
    fetch_df,
    fetch_one,
    range_sql,
    rollup_scope,
    rollups_ready,
    use_rollups,
    where_clause,
)

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
        "SELECT count(*), count(*) FILTER (WHERE synthetic), count(DISTINCT source), min(published), max(published), "
        "count(views) FROM articles"
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
        "articles_with_views": int(row[5]),
        "sources": int(row[2]),
        "authors": int(authors),
        "first_date": row[3],
        "last_date": row[4],
        "rejects": int(rejects),
        "runs": runs,
        "last_ingest_at": last,
        "tags_by_kind": tags_by_kind,
        "tagging_profile": _tagging_profile(cur),
        "corrections": int(cur.execute("SELECT count(*) FROM corrections WHERE action <> 'clear'").fetchone()[0]),
    }


def _tagging_profile(cur) -> dict | None:
    """Which taxonomy and model tagged the data, and when it was stored (`trends.tagging.archive_profile`)."""
    row = cur.execute("SELECT value FROM meta WHERE key = 'tagging_profile'").fetchone()
    try:
        facts = json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None
    return facts if isinstance(facts, dict) else None


def availability(db_path: str | os.PathLike, flt: Filter) -> dict:
    """What the data under the filter can show, so a page offers only what applies.

    ``articles`` match the filter; ``with_views`` of them have a view count; ``with_growth`` have two or
    more view snapshots; ``synthetic`` counts the synthetic demo articles the filter would match with
    the synthetic switch on (so a page can hide the switch when there are none, whichever way it is set).
    ``has_views``, ``has_growth`` and ``has_synthetic`` are the same as booleans.
    """
    from trends.queries.articles import growth_sql

    cur = cursor(db_path)
    with_synthetic = flt.replace(synthetic=True)
    keep = "TRUE" if flt.synthetic else "NOT synthetic"
    p = Params()
    if use_rollups(with_synthetic):
        articles, synthetic = fetch_one(
            cur,
            f"SELECT coalesce(sum(articles) FILTER (WHERE {keep}), 0), coalesce(sum(articles) FILTER (WHERE synthetic), 0) "
            f"FROM rollup_articles WHERE TRUE{range_sql(flt, p, 'day')}",
            p,
        )
        p = Params()
        with_views = fetch_one(
            cur, f"SELECT coalesce(sum(articles), 0) FROM rollup_article_views WHERE TRUE{rollup_scope(flt, p)}", p
        )[0]
    else:
        articles, synthetic, with_views = fetch_one(
            cur,
            f"SELECT count(*) FILTER (WHERE {keep}), count(*) FILTER (WHERE synthetic), "
            f"count(views) FILTER (WHERE {keep}) FROM articles a WHERE {where_clause(with_synthetic, p)}",
            p,
        )
    p = Params()
    with_growth = fetch_one(
        cur, f"SELECT count(*) FROM ({growth_sql()}) g JOIN articles a USING (article_id) WHERE {where_clause(flt, p)}", p
    )[0]
    out = {"articles": int(articles), "with_views": int(with_views), "with_growth": int(with_growth),
           "synthetic": int(synthetic)}
    out.update(has_views=out["with_views"] > 0, has_growth=out["with_growth"] > 0, has_synthetic=out["synthetic"] > 0)
    return out


REJECT_COLUMNS = ["run_id", "rejected_at", "input", "record", "reason", "excerpt"]


def rejects(db_path: str | os.PathLike, run: int | None = None, page: int = 0, page_size: int = 50) -> tuple[pd.DataFrame, int]:
    """Inputs that were not stored, and why: one page, newest first, plus how many there are in all
    (``run``: only those of that ingest run)."""
    from trends.queries.articles import _page

    cur = cursor(db_path)
    p = Params()
    where = "TRUE" if run is None else f"run_id = {p(int(run))}"
    total = int(fetch_one(cur, f"SELECT count(*) FROM rejects WHERE {where}", p)[0])
    size, offset = _page(page, page_size)
    df = fetch_df(
        cur,
        f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects WHERE {where} "
        f"ORDER BY rejected_at DESC, run_id DESC NULLS LAST, input, record LIMIT {p(size)} OFFSET {p(offset)}",
        p,
    )
    return df[REJECT_COLUMNS], total


def reject_reasons(db_path: str | os.PathLike, run: int | None = None, limit: int = 20) -> pd.DataFrame:
    """``reason, rejects, last_at``: how often each reason occurs (commonest first), for a summary line."""
    cur = cursor(db_path)
    p = Params()
    where = "TRUE" if run is None else f"run_id = {p(int(run))}"
    df = fetch_df(
        cur,
        f"SELECT reason, count(*) AS rejects, max(rejected_at) AS last_at FROM rejects WHERE {where} "
        f"GROUP BY reason ORDER BY rejects DESC, reason LIMIT {p(int(limit))}",
        p,
    )
    df["rejects"] = df["rejects"].astype("int64")
    return df[["reason", "rejects", "last_at"]]


def profile_line(facts: dict | None) -> str:
    """One line for people: which taxonomy and model tagged the data, and since when."""
    if not facts:
        return "not recorded (tagged before profiles were stored: the bundled profile of that version)"
    model = f"{facts.get('model_topics', 0)} topic models" if facts.get("model_topics") else "rules only"
    return (f"{facts.get('name', '?')} version {facts.get('version', '?')} ({facts.get('topics', '?')} topics, {model}), "
            f"stored {facts.get('stored_at', '?')}")
