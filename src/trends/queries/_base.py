"""Shared pieces of the read side: the filter -> WHERE translation, whitelists, and query execution.

Every value reaches DuckDB as a named bound parameter (``$p0``, ``$p1``...). The only things spliced
into SQL text are identifiers and interval words taken from the fixed dictionaries below, never from
the caller's strings directly.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from trends.filters import DIMENSIONS, GRAINS, Filter
from trends.store import read_state

TAG_KINDS = ("topic", "theme", "country", "person", "org")

# grain -> (date_trunc unit, interval literal). Identifiers come from here only.
GRAIN_SQL = {
    "day": ("day", "INTERVAL 1 DAY"),
    "week": ("week", "INTERVAL 7 DAY"),
    "month": ("month", "INTERVAL 1 MONTH"),
    "quarter": ("quarter", "INTERVAL 3 MONTH"),
    "year": ("year", "INTERVAL 1 YEAR"),
}
assert set(GRAIN_SQL) == set(GRAINS)

_PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
_GRAIN_OFFSET = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}


def grain_offset(grain: str) -> pd.DateOffset:
    """The length of one grain period."""
    return _GRAIN_OFFSET[grain]


class QueryError(ValueError):
    """A caller asked for something the contract does not offer (bad dimension, grain, sort...)."""


@dataclass
class Params:
    """Collects bound values and hands back their placeholders, so composed SQL never miscounts ``?``."""

    values: dict[str, object] = field(default_factory=dict)

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def grain_sql(grain: str) -> tuple[str, str]:
    try:
        return GRAIN_SQL[grain]
    except KeyError:
        raise QueryError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}") from None


def check_dimension(dimension: str) -> str:
    if dimension not in DIMENSIONS:
        raise QueryError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
    return dimension


def period_expr(grain: str, column: str = "published") -> str:
    unit, _ = grain_sql(grain)
    return f"CAST(date_trunc('{unit}', {column}) AS DATE)"


def period_start(day: dt.date, grain: str) -> dt.date:
    """The first day of the grain period that contains ``day`` (same rule as DuckDB's date_trunc)."""
    grain_sql(grain)
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def period_range(first: dt.date | None, last: dt.date | None, grain: str) -> pd.DatetimeIndex:
    """Every period start from the period holding ``first`` to the one holding ``last``."""
    if first is None or last is None or first > last:
        return pd.DatetimeIndex([], name="period")
    start, end = period_start(first, grain), period_start(last, grain)
    return pd.date_range(start, end, freq=_PANDAS_FREQ[grain], name="period")


def where_clause(flt: Filter, p: Params, *, skip: frozenset[str] = frozenset()) -> str:
    """The filter as a boolean SQL expression over the articles table aliased ``a``.

    ``skip`` names filter parts to leave out (facets ignore their own dimension's selection).
    """
    a = "a"
    parts: list[str] = []
    if flt.date_from and "date" not in skip:
        parts.append(f"{a}.published >= {p(flt.date_from)}")
    if flt.date_to and "date" not in skip:
        parts.append(f"{a}.published <= {p(flt.date_to)}")
    if flt.sources and "source" not in skip:
        parts.append(f"{a}.source IN (SELECT unnest({p(list(flt.sources))}::VARCHAR[]))")
    if flt.authors and "author" not in skip:
        # one list_contains per author: 2-7x faster than list_has_any with a bound list on DuckDB 1.5.5
        # (issue 13, measured on 100k articles); at most 50 authors (the URL codec's list clamp)
        parts.append("(" + " OR ".join(f"list_contains({a}.authors, {p(str(x))})" for x in flt.authors) + ")")
    for kind, keys in flt.tag_filters().items():
        if kind in skip:
            continue
        parts.append(
            f"{a}.article_id IN (SELECT article_id FROM {tag_lookup_table()} WHERE kind = {p(kind)}"
            f" AND key IN (SELECT unnest({p(list(keys))}::VARCHAR[])){_tag_dates(flt, p, skip)})"
        )
    if flt.min_views is not None and "min_views" not in skip:
        parts.append(f"{a}.views >= {p(int(flt.min_views))}")
    if not flt.synthetic and "synthetic" not in skip:
        parts.append(f"NOT {a}.synthetic")
    if flt.text.strip() and "text" not in skip:
        parts.append(f"{a}.article_id IN ({text_match_ids(flt.text, p)})")
    return " AND ".join(parts) if parts else "TRUE"


def _tag_dates(flt: Filter, p: Params, skip: frozenset[str]) -> str:
    """Date bounds repeated on the tag rows (they carry ``published``), so the semi-join set stays small."""
    return "" if "date" in skip else range_sql(flt, p, "published")


def range_sql(flt: Filter, p: Params, column: str) -> str:
    """`` AND column >= from AND column <= to`` for the filter's date range (empty when it has none)."""
    sql = ""
    if flt.date_from:
        sql += f" AND {column} >= {p(flt.date_from)}"
    if flt.date_to:
        sql += f" AND {column} <= {p(flt.date_to)}"
    return sql


def rollup_scope(flt: Filter, p: Params) -> str:
    """The conditions on a daily roll-up table (``day``, ``synthetic``) for a roll-up-eligible filter."""
    return _synthetic_sql(flt) + range_sql(flt, p, "day")


def has_search_index(cur: duckdb.DuckDBPyConnection) -> str | None:
    """'postings' when the archive's search rows were built (`trends.derived`), else None (word matching)."""
    from trends.derived import SEARCH_SETTING

    row = cur.execute("SELECT value FROM meta WHERE key = ?", [SEARCH_SETTING]).fetchone()
    return "postings" if row and row[0] else None


BM25_K1, BM25_B = 1.2, 0.75


def query_terms(text: str) -> list[str]:
    """The search terms of a query, by the documents' own tokeniser (`trends.derived.token_sql`), run on a
    small private in-memory DuckDB (stemming needs no data)."""
    from trends.derived import token_sql
    from trends.store import load_fts, load_stopwords

    con = getattr(_local, "tokeniser", None)
    if con is None:
        con = _local.tokeniser = duckdb.connect(":memory:", config={"threads": 1})
        load_fts(con)
        load_stopwords(con)
    rows = con.execute(f"SELECT DISTINCT term FROM ({token_sql('$q')}) ORDER BY term", {"q": text}).fetchall()
    return [r[0] for r in rows][:32]


def bm25_hits(text: str, p: Params, mode: str) -> str:
    """SQL with columns ``article_id, score`` for the articles matching any word of ``text``.

    BM25 (k1 = 1.2, b = 0.75) over the live ``postings`` rows (each carries its document's length):
    N, the mean document length and each term's document frequency are counted at query time, so an
    archive of many segments scores exactly as one rebuilt in full. Only the query's terms' postings are
    read (sorted by term).
    """
    terms = query_terms(text)
    if not terms:
        return "SELECT NULL::BIGINT AS article_id, NULL::DOUBLE AS score WHERE FALSE"
    wanted = p(terms)
    # a semi-join on the terms list: DuckDB 1.5.5 intermittently fails ("Attempted to access index 0
    # within vector of size 0") on this query over several segments when the terms are an IN list of
    # constants (reproduced 1 in 20-80 runs); the semi-join form ran 150 of 150
    return f"""WITH po AS (SELECT term, article_id, tf, len FROM postings WHERE term IN (SELECT unnest({wanted}::VARCHAR[]))),
            df AS (SELECT term, count(*)::DOUBLE AS df FROM po GROUP BY term),
            st AS (SELECT count(*)::DOUBLE AS num_docs, avg(len) AS avgdl FROM docs)
        SELECT po.article_id,
               sum(log(((st.num_docs - df.df + 0.5) / (df.df + 0.5)) + 1)
                   * (po.tf * {BM25_K1 + 1}) / (po.tf + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * po.len / st.avgdl))) AS score
        FROM po JOIN df USING (term), st
        GROUP BY po.article_id"""


def text_match_ids(text: str, p: Params, *, indexed: str | None | bool = True) -> str:
    """SQL selecting the ids of articles matching free text: BM25 when indexed, else ILIKE on every word."""
    mode = _current_indexed() if indexed is True else indexed
    if mode:  # a filter needs the ids only: read the query terms' postings, no scores (issue 13)
        terms = query_terms(text)
        if not terms:
            return "SELECT NULL::BIGINT AS article_id WHERE FALSE"
        # the semi-join form on purpose: see bm25_hits (DuckDB 1.5.5 and a constant IN list over segments)
        return f"SELECT DISTINCT article_id FROM postings WHERE term IN (SELECT unnest({p(terms)}::VARCHAR[]))"
    words = [w for w in text.split() if w][:10] or [text]
    conds = " AND ".join(
        f"(title ILIKE {p('%' + _escape_like(w) + '%')} ESCAPE '\\' OR body ILIKE {p('%' + _escape_like(w) + '%')} ESCAPE '\\')"
        for w in words
    )
    return f"SELECT article_id FROM articles WHERE {conds}"


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_local = threading.local()  # what the current thread's latest `cursor` call found (read by helpers)
_derived: dict = {}  # generation -> (search index mode, roll-ups fresh): checked once per process
_derived_lock = threading.Lock()


def _current_indexed() -> str | None:
    return getattr(_local, "indexed", None)


def cursor(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """This thread's read cursor on the newest generation, noting whether that generation has search
    rows and roll-ups (checked once per generation per process), for the helpers below."""
    cur, key = read_state(db_path)
    found = _derived.get(key)
    if found is None:
        found = (has_search_index(cur), rollups_fresh(cur))
        with _derived_lock:
            if len(_derived) > 16:
                _derived.clear()
            _derived[key] = found
    _local.indexed, _local.rollups = found
    return cur


def rollups_fresh(cur: duckdb.DuckDBPyConnection) -> bool:
    """True when the archive carries the derived roll-ups (`trends.derived`); they are kept consistent
    with the rows by construction (each batch writes its deltas in its own transaction)."""
    from trends.derived import ROLLUPS_SETTING

    row = cur.execute("SELECT value FROM meta WHERE key = ?", [ROLLUPS_SETTING]).fetchone()
    return bool(row and row[0])


def simple_filter(flt: Filter, skip: frozenset[str] = frozenset()) -> bool:
    """A filter of only dates and the synthetic switch (what the roll-ups can answer)."""
    return not (
        (flt.sources and "source" not in skip)
        or (flt.authors and "author" not in skip)
        or any(kind not in skip for kind in flt.tag_filters())
        or flt.min_views is not None
        or flt.text.strip()
    )


def use_rollups(flt: Filter, skip: frozenset[str] = frozenset()) -> bool:
    return rollups_ready() and simple_filter(flt, skip)


def rollups_ready() -> bool:
    """Whether this thread's current generation has fresh derived tables (set by `cursor`)."""
    return bool(getattr(_local, "rollups", False))


def tag_lookup_table() -> str:
    """The counted ("about") tags sorted by (kind, key) when fresh (zone maps skip to one key), else the view."""
    return "tags_by_key" if rollups_ready() else "about_tags"


def _synthetic_sql(flt: Filter, column: str = "synthetic") -> str:
    return "" if flt.synthetic else f" AND NOT {column}"


def counted_rows(
    flt: Filter,
    dimension: str,
    p: Params,
    *,
    keys: tuple[str, ...] | None = None,
    skip: frozenset[str] = frozenset(),
) -> str:
    """SQL with columns ``published, key, label, n``: sum ``n`` per group to count matching articles.

    From the daily roll-ups when the filter allows (one row per day and key), else one row per
    (article, key) from the raw tables.
    """
    check_dimension(dimension)
    if use_rollups(flt, skip):
        conds = rollup_scope(flt, p)
        if dimension in TAG_KINDS:
            if keys is not None:
                conds += f" AND key IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
            return f"SELECT day AS published, key, label, articles AS n FROM rollup_tags WHERE kind = {p(dimension)}{conds}"
        column = "source" if dimension == "source" else "author"
        table = "rollup_articles" if dimension == "source" else "rollup_authors"
        if keys is not None:
            conds += f" AND {column} IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
        return (
            f"SELECT day AS published, {column} AS key, {column} AS label, articles AS n FROM {table} "
            f"WHERE {column} IS NOT NULL{conds}"
        )
    # tag rows carry `published`, so the date range needs no join with articles
    undated = flt.replace(date_from=None, date_to=None)
    rows = dimension_rows(dimension, p, where_clause(undated, p, skip=skip), keys=keys)
    return f"SELECT published, key, label, 1 AS n FROM ({rows}) WHERE published IS NOT NULL{range_sql(flt, p, 'published')}"


def total_rows(flt: Filter, p: Params) -> str:
    """SQL with columns ``published, n, views, source``: every matching article (or day of them)."""
    if use_rollups(flt):
        return (
            f"SELECT day AS published, articles AS n, views_sum AS views, source FROM rollup_articles "
            f"WHERE TRUE{rollup_scope(flt, p)}"
        )
    return (
        f"SELECT a.published, 1 AS n, coalesce(a.views, 0) AS views, a.source FROM articles a "
        f"WHERE a.published IS NOT NULL AND {where_clause(flt, p)}"
    )


def matching_articles(flt: Filter, p: Params, columns: tuple[str, ...] = ("published",)) -> str:
    """SQL of the matching articles (``article_id`` and ``columns``, dated ones only), meant for a
    ``MATERIALIZED`` CTE: the filter's parts (a text match, tag semi-joins) are evaluated once per statement
    and every count of the statement reads the set (issue 13: each count evaluated the filter again)."""
    cols = "".join(f", a.{c}" for c in columns)
    undated = flt.replace(date_from=None, date_to=None)
    return (f"SELECT a.article_id{cols} FROM articles a WHERE a.published IS NOT NULL"
            f"{range_sql(flt, p, 'a.published')} AND {where_clause(undated, p)}")


def fetch_df(cur: duckdb.DuckDBPyConnection, sql: str, p: Params) -> pd.DataFrame:
    return cur.execute(sql, p.values).df()


def fetch_one(cur: duckdb.DuckDBPyConnection, sql: str, p: Params):
    return cur.execute(sql, p.values).fetchone()


def dimension_rows(dimension: str, p: Params, article_filter: str, *, keys: tuple[str, ...] | None = None,
                   carry: tuple[str, ...] = ()) -> str:
    """SQL yielding (article_id, published, key, label) for a dimension over the filtered articles.

    ``article_filter`` is a boolean expression over ``a`` (the articles table). Tag dimensions read the
    tags table (which carries ``published``) and only join articles when the filter needs them.
    ``carry`` names columns of the article to add (e.g. ``source``, ``views``): the tag rows then join the
    filtered articles once, with the filter on the join, instead of a semi-join on the filter followed by a
    second join for the columns (issue 13: the second join was most of share_active's and views_by's time).
    """
    extra = "".join(f", a.{c}" for c in carry)
    check_dimension(dimension)
    key_filter = ""
    if dimension in TAG_KINDS:
        if keys is not None:
            key_filter = f" AND t.key IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
        table = tag_lookup_table()
        if carry:
            return (
                f"SELECT t.article_id, t.published, t.key, t.label{extra} FROM {table} t "
                f"JOIN articles a ON a.article_id = t.article_id WHERE t.kind = {p(dimension)}{key_filter} AND {article_filter}"
            )
        if article_filter == "TRUE":
            return (
                f"SELECT t.article_id, t.published, t.key, t.label FROM {table} t "
                f"WHERE t.kind = {p(dimension)}{key_filter}"
            )
        return (
            f"SELECT t.article_id, t.published, t.key, t.label FROM {table} t "
            f"WHERE t.kind = {p(dimension)}{key_filter} AND t.article_id IN "
            f"(SELECT a.article_id FROM articles a WHERE {article_filter})"
        )
    if dimension == "source":
        if keys is not None:
            key_filter = f" AND a.source IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
        return (
            f"SELECT a.article_id, a.published, a.source AS key, a.source AS label{extra} FROM articles a "
            f"WHERE a.source IS NOT NULL AND {article_filter}{key_filter}"
        )
    # author: one row per distinct author of each article
    if keys is not None:
        key_filter = f" WHERE key IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
    return (
        f"SELECT article_id, published, key, key AS label{extra.replace('a.', '')} FROM ("
        f"SELECT a.article_id, a.published, unnest(list_distinct(a.authors)) AS key{extra} FROM articles a "
        f"WHERE {article_filter}){key_filter}"
    )


def date_bounds(cur, flt: Filter) -> tuple[dt.date | None, dt.date | None]:
    """The filter's date range, with open ends closed by the data (first / last matching article)."""
    if flt.date_from and flt.date_to:
        return flt.date_from, flt.date_to
    p = Params()
    row = fetch_one(cur, f"SELECT min(published), max(published) FROM ({total_rows(flt, p)})", p)
    lo, hi = row if row else (None, None)
    return flt.date_from or _as_date(lo), flt.date_to or _as_date(hi)


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value
