"""Articles themselves: the list behind a chart point, one article in full, full-text search, what is new."""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd

from trends.filters import SORTS, Filter
from trends.queries._base import (
    Params,
    QueryError,
    TAG_KINDS,
    _current_indexed,
    bm25_hits,
    check_dimension,
    cursor,
    fetch_df,
    fetch_one,
    grain_offset,
    grain_sql,
    period_start,
    rollups_ready,
    tag_lookup_table,
    text_match_ids,
    where_clause,
)

LIST_COLUMNS = ["article_id", "title", "source", "published", "views", "authors"]
# The select list of an article list over ``articles a`` (authors joined into one string).
LIST_SQL = "a.article_id, a.title, a.source, a.published, a.views, array_to_string(a.authors, ', ') AS authors"
MAX_PAGE_SIZE = 500


def _page(page: int, page_size: int) -> tuple[int, int]:
    size = min(max(1, int(page_size)), MAX_PAGE_SIZE)
    return size, max(0, int(page)) * size


def _period_end(start: dt.date, grain: str) -> dt.date:
    """The day after the grain period that starts at ``start``."""
    return (pd.Timestamp(start) + grain_offset(grain)).date()


def _key_condition(dimension: str, key: str, p: Params, dates: str = "") -> str:
    check_dimension(dimension)
    if dimension in TAG_KINDS:
        return (
            f"a.article_id IN (SELECT article_id FROM {tag_lookup_table()} "
            f"WHERE kind = {p(dimension)} AND key = {p(key)}{dates})"
        )
    if dimension == "source":
        return f"a.source = {p(key)}"
    return f"list_contains(a.authors, {p(key)})"


def growth_sql() -> str:
    """Rows (article_id, growth) for articles seen in more than one snapshot."""
    if rollups_ready():
        return "SELECT article_id, growth FROM article_growth"
    return (
        "SELECT article_id, arg_max(views, observed_at) - arg_min(views, observed_at) AS growth "
        "FROM view_snapshots GROUP BY article_id HAVING count(*) > 1"
    )


def _order_sql(sort: str, ascending: bool, p: Params) -> tuple[str, str]:
    """(extra join, ORDER BY) for a list sort; `relevance` needs a search and falls back to views."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    direction = "ASC" if ascending else "DESC"
    if sort == "date":
        return "", f"a.published {direction} NULLS LAST, a.article_id"
    if sort == "growth":
        join = f"LEFT JOIN ({growth_sql()}) g ON g.article_id = a.article_id"
        return join, f"coalesce(g.growth, 0) {direction}, a.article_id"
    return "", f"a.views {direction} NULLS LAST, a.article_id"


NO_VIEWS_SORT_NOTICE = "None of these articles has a view count, so they are sorted by date instead."
NO_GROWTH_SORT_NOTICE = "None of these articles has two view snapshots yet, so they are sorted by date instead."


def drilldown(
    db_path: str | os.PathLike,
    flt: Filter,
    dimension: str | None = None,
    key: str | None = None,
    period: dt.date | pd.Timestamp | str | None = None,
    sort: str = "views",
    page: int = 0,
    page_size: int = 25,
    ascending: bool = False,
    key_b: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """The articles behind one chart point (a key of a dimension, a period at the filter's grain, the
    filters), one page of them, plus how many there are in all. ``key_b`` (same dimension) keeps only
    the articles carrying both keys: the articles behind an edge of a co-mention network.

    Sorting by views or growth where no listed article has a view count (or a second snapshot) would be
    an arbitrary order, so it falls back to newest first; ``df.attrs["sort"]`` is the sort applied and
    ``df.attrs["notice"]`` says why it differs ("" otherwise).
    """
    grain_sql(flt.grain)
    cur = cursor(db_path)
    p = Params()
    conds = [where_clause(flt, p)]
    dates = ""
    if period is not None:
        start = period_start(pd.Timestamp(period).date(), flt.grain)
        lo, hi = p(start), p(_period_end(start, flt.grain))
        conds.append(f"a.published >= {lo} AND a.published < {hi}")
        dates = f" AND published >= {lo} AND published < {hi}"
    if dimension is not None and key is not None:
        conds.append(_key_condition(dimension, str(key), p, dates))
        if key_b is not None:
            conds.append(_key_condition(dimension, str(key_b), p, dates))
    where = " AND ".join(conds)
    total, viewed = fetch_one(cur, f"SELECT count(*), count(a.views) FROM articles a WHERE {where}", p)
    applied, notice = sort, ""
    if sort in ("views", "relevance") and total and not viewed:
        applied, notice = "date", NO_VIEWS_SORT_NOTICE
    elif sort == "growth" and total and not _any_growth(cur, where, p):
        applied, notice = "date", NO_GROWTH_SORT_NOTICE
    if applied != sort:
        ascending = False
    join, order = _order_sql(applied, ascending, p)
    size, offset = _page(page, page_size)
    df = fetch_df(
        cur,
        f"SELECT {LIST_SQL} FROM articles a {join} WHERE {where} ORDER BY {order} LIMIT {p(size)} OFFSET {p(offset)}",
        p,
    )
    df["published"] = pd.to_datetime(df["published"])
    df = df[LIST_COLUMNS]
    df.attrs.update(sort=applied, notice=notice)
    return df, int(total)


def _any_growth(cur, where: str, p: Params) -> bool:
    """Whether any article matching ``where`` (over ``a``) gained views between two snapshots."""
    row = fetch_one(
        cur, f"SELECT EXISTS (SELECT 1 FROM ({growth_sql()}) g JOIN articles a USING (article_id) WHERE {where})", p
    )
    return bool(row[0])


def article(db_path: str | os.PathLike, article_id: int) -> dict | None:
    """One article in full: metadata, the text tag spans index into, tags, view history, related links."""
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        return None
    if not -(2**63) <= article_id < 2**63:
        return None
    cur = cursor(db_path)
    p = Params()
    aid = p(article_id)
    meta = fetch_df(
        cur,
        f"SELECT article_id, url, source, title, headline, published, authors, word_count, language, views, "
        f"views_observed_at, first_seen, last_seen, input, format, synthetic, tagged_at, notes, body "
        f"FROM articles WHERE article_id = {aid}",
        p,
    )
    if meta.empty:
        return None
    record = meta.iloc[0].to_dict()
    # an unchanged article seen again is not rewritten: its later sightings are their own rows
    seen = fetch_one(cur, f"SELECT max(seen_at) FROM sightings WHERE article_id = {aid}", p)[0]
    if seen is not None and (pd.isna(record["last_seen"]) or pd.Timestamp(seen) > record["last_seen"]):
        record["last_seen"] = pd.Timestamp(seen)
    body = record.pop("body")
    record["authors"] = list(record["authors"]) if record["authors"] is not None else []
    record["notes"] = [str(n) for n in record["notes"]] if record["notes"] is not None else []
    tags = fetch_df(
        cur,
        f"SELECT kind, key, label, mentions, score, method, spans "
        f"FROM {'tags_by_article' if rollups_ready() else 'tags'} WHERE article_id = {aid} "
        f"ORDER BY kind, score DESC, key",
        p,
    )
    tags["spans"] = tags["spans"].map(lambda s: [] if s is None else [list(map(int, x)) for x in s])
    views = fetch_df(
        cur, f"SELECT observed_at, views FROM view_snapshots WHERE article_id = {aid} ORDER BY observed_at", p
    )
    related = fetch_df(
        cur, f"SELECT position, title, target_id FROM related WHERE article_id = {aid} ORDER BY position", p
    )
    return {
        "meta": record,
        "body_text": f"{record['title']}\n\n{body}",
        "tags": tags,
        "views": views,
        "related": related,
    }


SEARCH_COLUMNS = ["article_id", "title", "source", "published", "views", "score", "snippet", "notice"]
NO_INDEX_NOTICE = "no search index yet: showing plain word matches (rebuild it with `trends ingest` or `trends retag`)"
_SNIPPET_CHARS = 220


def search(
    db_path: str | os.PathLike, flt: Filter, query: str, page: int = 0, page_size: int = 25
) -> tuple[pd.DataFrame, int]:
    """Ranked full-text search over title and body within the filter: BM25 through DuckDB's fts index.

    Without an index (a database no writer has indexed yet) it falls back to matching every word with
    ILIKE, ranked by views; the ``notice`` column (empty otherwise) and ``attrs["notice"]`` then say so.
    """
    query = (query or "").strip()[:200]
    size, offset = _page(page, page_size)
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in SEARCH_COLUMNS})
    if not query:
        return empty, 0
    cur = cursor(db_path)
    indexed = _current_indexed()
    p = Params()
    ranked = fetch_df(cur, f"{_ranked_hits(flt, query, indexed, p)} LIMIT {p(size)} OFFSET {p(offset)}", p)
    if ranked.empty:
        total = 0
        if offset:  # past the last page: still report the real total
            p2 = Params()
            total = int(fetch_one(cur, f"SELECT count(*) FROM ({_ranked_hits(flt, query, indexed, p2)})", p2)[0])
        out = empty
    else:
        total = int(ranked["total"].iloc[0])
        # titles and bodies only for the page's rows: fetching them for every hit dominates at 1M articles
        p3 = Params()
        details = fetch_df(
            cur,
            f"SELECT article_id, title, source, published, views, body FROM articles "
            # a list of constants: the scan filters on it, so only the page's bodies are read
            f"WHERE article_id IN ({', '.join(p3(int(x)) for x in ranked['article_id'])})",
            p3,
        )
        df = ranked[["article_id", "score"]].merge(details, on="article_id", how="inner")
        df["snippet"] = [snippet(text, query) for text in df["body"]]
        df["published"] = pd.to_datetime(df["published"])
        df["notice"] = "" if indexed else NO_INDEX_NOTICE
        out = df[SEARCH_COLUMNS].reset_index(drop=True)
    if not indexed:
        out.attrs["notice"] = NO_INDEX_NOTICE
    return out, total


def _ranked_hits(flt: Filter, query: str, indexed: str | None, p: Params) -> str:
    """``article_id, score, total`` of every match within the filter, best first (add LIMIT/OFFSET)."""
    where = where_clause(flt, p, skip=frozenset({"text"}))
    if indexed and where == "TRUE":
        return (
            f"SELECT article_id, score, count(*) OVER () AS total FROM ({bm25_hits(query, p, indexed)}) "
            f"ORDER BY score DESC, article_id"
        )
    if indexed:
        # search first: score the query terms' postings (read in full anyway for df), then keep the hits
        # the filter matches. The articles side is a subquery naming its two columns: joined directly
        # beside the hits' CTEs, DuckDB 1.5.5 read every column of articles, bodies included (issue 13:
        # 5-10x the whole query at 100k)
        hits = bm25_hits(query, p, indexed)
    else:
        hits = f"SELECT article_id, 0.0 AS score FROM ({text_match_ids(query, p, indexed=None)})"
    return (
        f"SELECT a.article_id, h.score, count(*) OVER () AS total FROM ({hits}) h "
        f"JOIN (SELECT a.article_id, a.views FROM articles a WHERE {where}) a ON a.article_id = h.article_id "
        f"ORDER BY h.score DESC, a.views DESC NULLS LAST, a.article_id"
    )


def snippet(body: str, query: str, width: int = _SNIPPET_CHARS) -> str:
    """A window of the body around the first query word it contains (stems matched by prefix)."""
    text = " ".join((body or "").split())
    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1]
    lowered = text.lower()
    pos = -1
    for w in words:
        for probe in (w, w[: max(4, len(w) - 3)]):
            pos = lowered.find(probe)
            if pos >= 0:
                break
        if pos >= 0:
            break
    if pos < 0:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, pos - width // 3)
    end = min(len(text), start + width)
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")


def new_since_last_ingest(db_path: str | os.PathLike, flt: Filter, limit: int = 20) -> pd.DataFrame:
    """Matching articles first seen by the most recent run that added articles (newest first)."""
    cur = cursor(db_path)
    p = Params()
    df = fetch_df(
        cur,
        f"""WITH since AS (SELECT coalesce(
                 (SELECT max(started_at) FROM ingest_runs WHERE new_articles > 0),
                 (SELECT max(first_seen) FROM articles)) AS t)
            SELECT a.article_id, a.title, a.source, a.published, a.views, a.first_seen
            FROM articles a, since WHERE a.first_seen >= since.t AND {where_clause(flt, p)}
            ORDER BY a.first_seen DESC, a.views DESC NULLS LAST, a.article_id LIMIT {p(int(limit))}""",
        p,
    )
    df["published"] = pd.to_datetime(df["published"])
    return df[["article_id", "title", "source", "published", "views", "first_seen"]]
