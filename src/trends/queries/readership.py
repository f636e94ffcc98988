"""Readership for editors: views per period, top articles, views by dimension, distribution, age."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from trends.filters import Filter
from trends.queries.articles import growth_sql
from trends.queries._base import (
    Params,
    QueryError,
    TAG_KINDS,
    check_dimension,
    cursor,
    date_bounds,
    dimension_rows,
    fetch_df,
    grain_sql,
    period_expr,
    period_range,
    rollup_scope,
    total_rows,
    use_rollups,
    where_clause,
)
from trends.derived import VIEW_BUCKETS_PER_E
from trends.queries.coverage import is_coverage_scope, period_coverage

TOP_BY = ("views", "growth")


def views_over_time(db_path: str | os.PathLike, flt: Filter) -> pd.DataFrame:
    """Per period: matching articles, how many of them have a view count (``viewed``), their summed and
    median views.

    ``views_sum`` / ``views_median`` are NaN where no article of the period has a view count (an archive
    without views gives articles over time and no views axis at all); every column is NaN in periods
    where the archive has no article at all (a coverage gap, see `trends.queries.coverage`).
    """
    grain_sql(flt.grain)
    cur = cursor(db_path)
    p = Params()
    if use_rollups(flt):
        df = fetch_df(
            cur,
            f"SELECT {period_expr(flt.grain)} AS period, sum(n) AS articles, sum(views) AS views_sum "
            f"FROM ({total_rows(flt, p)}) GROUP BY ALL",
            p,
        )
        medians = _period_medians_from_rollups(cur, flt)
        # One period dtype on both sides: an empty frame (no article in the range) has object periods.
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[ns]")
        medians["period"] = pd.to_datetime(medians["period"]).astype("datetime64[ns]")
        df = df.merge(medians, on="period", how="left")
    else:  # one read of the matching rows gives all four columns (it was two: issue 13)
        df = fetch_df(
            cur,
            f"SELECT {period_expr(flt.grain, 'a.published')} AS period, count(*) AS articles, "
            f"sum(coalesce(a.views, 0)) AS views_sum, count(a.views) AS viewed, median(a.views) AS views_median "
            f"FROM articles a WHERE a.published IS NOT NULL AND {where_clause(flt, p)} GROUP BY ALL",
            p,
        )
        df["period"] = pd.to_datetime(df["period"]).astype("datetime64[ns]")
    first, last = date_bounds(cur, flt)
    periods = period_range(first, last, flt.grain)
    out = df.set_index("period").reindex(periods).reset_index()
    out["articles"] = out["articles"].fillna(0).astype("float64")
    out["viewed"] = out["viewed"].fillna(0).astype("float64")
    unviewed = out["viewed"] == 0
    out["views_sum"] = out["views_sum"].astype("float64").mask(unviewed)
    out["views_median"] = out["views_median"].astype("float64").mask(unviewed)
    covered = (out["articles"] > 0) if is_coverage_scope(flt) else (period_coverage(cur, flt, periods) > 0).to_numpy()
    out.loc[~np.asarray(covered, dtype=bool), ["articles", "viewed", "views_sum", "views_median"]] = np.nan
    return out[["period", "articles", "viewed", "views_sum", "views_median"]]


def _period_medians_from_rollups(cur, flt: Filter) -> pd.DataFrame:
    """Per period: articles with a view count and their median views, interpolated from the daily views
    histogram (see _median_from_histogram)."""
    p = Params()
    hist = fetch_df(
        cur,
        f"SELECT {period_expr(flt.grain, 'day')} AS period, bucket, sum(articles) AS n FROM rollup_article_views "
        f"WHERE TRUE{rollup_scope(flt, p)} GROUP BY ALL ORDER BY period, bucket",
        p,
    )
    rows = [
        (period, int(g["n"].sum()), _median_from_histogram(g["bucket"].to_numpy(), g["n"].to_numpy(), VIEW_BUCKETS_PER_E))
        for period, g in hist.groupby("period")
    ]
    return pd.DataFrame(rows, columns=["period", "viewed", "views_median"])


def top_articles(db_path: str | os.PathLike, flt: Filter, by: str = "views", limit: int = 20) -> pd.DataFrame:
    """The most-read matching articles, or those whose views grew most between their first and last snapshot."""
    if by not in TOP_BY:
        raise QueryError(f"unknown ordering {by!r}; use views or growth")
    cur = cursor(db_path)
    p = Params()
    where = where_clause(flt, p)
    growth = growth_sql()
    if by == "views":
        sql = f"""
            WITH top AS (
                SELECT a.article_id, a.title, a.source, a.published, a.views FROM articles a
                WHERE a.views IS NOT NULL AND {where}
                ORDER BY a.views DESC, a.article_id LIMIT {p(int(limit))})
            SELECT top.*, coalesce(g.growth, 0) AS growth FROM top
            LEFT JOIN ({growth}) g USING (article_id)
            ORDER BY views DESC, article_id"""
    elif where == "TRUE":  # nothing to filter: take the top rows of the growth table first
        sql = f"""
            SELECT a.article_id, a.title, a.source, a.published, a.views, g.growth
            FROM (SELECT * FROM ({growth}) WHERE growth > 0 ORDER BY growth DESC, article_id LIMIT {p(int(limit))}) g
            JOIN articles a USING (article_id)
            ORDER BY g.growth DESC, a.article_id"""
    else:
        sql = f"""
            SELECT a.article_id, a.title, a.source, a.published, a.views, g.growth
            FROM ({growth}) g JOIN articles a USING (article_id)
            WHERE g.growth > 0 AND {where}
            ORDER BY g.growth DESC, a.article_id LIMIT {p(int(limit))}"""
    df = fetch_df(cur, sql, p)
    df["published"] = pd.to_datetime(df["published"])
    df["growth"] = df["growth"].astype("int64")
    return df[["article_id", "title", "source", "published", "views", "growth"]]


def views_by(db_path: str | os.PathLike, flt: Filter, dimension: str, limit: int = 20) -> pd.DataFrame:
    """Views summed (and median) per key of a dimension, most-viewed keys first (then most articles).

    ``viewed`` counts the key's articles with a view count; ``views_sum`` / ``views_median`` are NaN
    for keys none of whose articles has one, so an archive without views still ranks keys by articles.
    """
    check_dimension(dimension)
    cur = cursor(db_path)
    if use_rollups(flt):
        return _views_by_from_rollups(cur, flt, dimension, limit)
    p = Params()
    if dimension == "source":  # one row per article already: no join needed
        rows = f"SELECT a.source AS key, a.source AS label, a.views FROM articles a WHERE a.source IS NOT NULL AND {where_clause(flt, p)}"
    elif dimension == "author":
        rows = (
            f"SELECT unnest(list_distinct(a.authors)) AS key, NULL AS label, a.views FROM articles a "
            f"WHERE {where_clause(flt, p)}"
        )
    else:
        rows = (
            f"SELECT key, label, views FROM ({dimension_rows(dimension, p, where_clause(flt, p), carry=('views',))})"
        )
    sql = f"""
        SELECT key, coalesce(min(label), key) AS label, count(*) AS articles, count(views) AS viewed,
               sum(views) AS views_sum, median(views) AS views_median
        FROM ({rows}) GROUP BY key ORDER BY views_sum DESC NULLS LAST, articles DESC, key LIMIT {p(int(limit))}"""
    df = fetch_df(cur, sql, p)
    df["views_sum"] = df["views_sum"].astype("float64")
    df["views_median"] = df["views_median"].astype("float64")
    return df[VIEWS_BY_COLUMNS]


VIEWS_BY_COLUMNS = ["key", "label", "articles", "viewed", "views_sum", "views_median"]


def _views_by_from_rollups(cur, flt: Filter, dimension: str, limit: int) -> pd.DataFrame:
    """Counts and sums exact from the daily roll-ups; the median interpolated from the views histogram
    (see `_median_from_histogram`), whose counts also say how many articles have a view count."""
    p = Params()
    if dimension in TAG_KINDS:
        sums = f"SELECT key, label, articles, views_sum, day, synthetic FROM rollup_tags WHERE kind = {p(dimension)}"
    elif dimension == "source":
        sums = "SELECT source AS key, source AS label, articles, views_sum, day, synthetic FROM rollup_articles WHERE source IS NOT NULL"
    else:
        sums = "SELECT author AS key, author AS label, articles, views_sum, day, synthetic FROM rollup_authors"
    # one statement: the top keys, then their views histograms (a list per key), not two reads (issue 13)
    top = fetch_df(
        cur,
        f"""WITH top AS (SELECT key, min(label) AS label, sum(articles) AS articles, sum(views_sum) AS views_sum
                         FROM ({sums}) WHERE TRUE{rollup_scope(flt, p)} GROUP BY key
                         ORDER BY views_sum DESC, articles DESC, key LIMIT {p(int(limit))}),
                hist AS (SELECT key, bucket, sum(articles) AS n FROM rollup_tag_views
                         WHERE kind = {p(dimension)}{rollup_scope(flt, p)} AND key IN (SELECT key FROM top) GROUP BY ALL),
                lists AS (SELECT key, list(bucket ORDER BY bucket) AS buckets, list(n ORDER BY bucket) AS counts
                          FROM hist GROUP BY key)
            SELECT top.*, lists.buckets, lists.counts FROM top LEFT JOIN lists USING (key)
            ORDER BY views_sum DESC, articles DESC, key""",
        p,
    )
    if top.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("views") else "object") for c in VIEWS_BY_COLUMNS})
    medians, viewed = {}, {}
    for key, buckets, counts in zip(top["key"], top["buckets"], top["counts"]):
        if not isinstance(buckets, (list, tuple, np.ndarray)) or not len(buckets):  # no histogram: NA
            continue
        counts = np.asarray(counts, dtype=float)
        medians[key] = _median_from_histogram(np.asarray(buckets), counts, VIEW_BUCKETS_PER_E)
        viewed[key] = int(counts.sum())
    top = top.drop(columns=["buckets", "counts"])
    top["viewed"] = top["key"].map(viewed).fillna(0).astype("int64")
    top["views_median"] = top["key"].map(medians).astype("float64")
    top["views_sum"] = top["views_sum"].astype("float64").mask(top["viewed"] == 0)
    top["articles"] = top["articles"].astype("int64")
    return top[VIEWS_BY_COLUMNS]


def _median_from_histogram(buckets: np.ndarray, counts: np.ndarray, per_e: int) -> float:
    """The median of values binned by floor(ln(1 + v) * per_e).

    The c values of a bucket are placed evenly inside it (the k-th at (k - 0.5) / c of its width), then
    the middle one (or the mean of the middle two) is read off, so the error is below half a bucket
    (about 3% with 16 buckets per e).
    """
    counts = counts.astype(float)
    total = int(counts.sum())
    if total <= 0:
        return 0.0
    cumulative = np.cumsum(counts)

    def value_at(rank: int) -> float:
        i = int(np.searchsorted(cumulative, rank))
        before = cumulative[i - 1] if i else 0.0
        position = buckets[i] + (rank - before - 0.5) / counts[i]
        return float(math.expm1(position / per_e))

    if total % 2:
        return value_at((total + 1) // 2)
    return (value_at(total // 2) + value_at(total // 2 + 1)) / 2


def views_distribution(db_path: str | os.PathLike, flt: Filter, bins: int = 40) -> pd.DataFrame:
    """How many articles fall in each of ``bins`` log-spaced view-count bins (log1p spacing keeps 0 views).

    Bin i covers [expm1(lo + i*w), expm1(lo + (i+1)*w)) with lo = log1p(min views), w the bin width; the
    last bin includes the maximum.
    """
    bins = max(1, int(bins))
    cur = cursor(db_path)
    p = Params()
    where = where_clause(flt, p)
    stats = cur.execute(
        f"SELECT min(a.views), max(a.views) FROM articles a WHERE a.views IS NOT NULL AND {where}", p.values
    ).fetchone()
    if stats is None or stats[0] is None:
        return pd.DataFrame({"bin_start": pd.Series(dtype="float64"), "bin_end": pd.Series(dtype="float64"), "articles": pd.Series(dtype="int64")})
    lo, hi = math.log1p(stats[0]), math.log1p(stats[1])
    width = (hi - lo) / bins if hi > lo else 1.0
    p2 = Params()
    counts = fetch_df(
        cur,
        f"SELECT least(CAST(floor((ln(1 + a.views) - {p2(lo)}) / {p2(width)}) AS INTEGER), {p2(bins - 1)}) AS bin,"
        f" count(*) AS articles FROM articles a WHERE a.views IS NOT NULL AND {where_clause(flt, p2)} GROUP BY ALL",
        p2,
    )
    hist = counts.set_index("bin")["articles"].reindex(range(bins), fill_value=0)
    edges = np.expm1(lo + width * np.arange(bins + 1))
    return pd.DataFrame(
        {"bin_start": edges[:-1], "bin_end": edges[1:], "articles": hist.to_numpy().astype("int64")}
    )


def views_vs_age(db_path: str | os.PathLike, flt: Filter, sample: int = 2000) -> pd.DataFrame:
    """A deterministic sample of articles with their age (days from publication to the view count) and views."""
    cur = cursor(db_path)
    p = Params()
    df = fetch_df(
        cur,
        f"""SELECT a.article_id, a.title,
                   date_diff('day', a.published, CAST(coalesce(a.views_observed_at, a.last_seen) AS DATE)) AS age_days,
                   a.views
            FROM articles a WHERE a.views IS NOT NULL AND a.published IS NOT NULL AND {where_clause(flt, p)}
            ORDER BY hash(a.article_id) LIMIT {p(int(sample))}""",
        p,
    )
    return df[["article_id", "title", "age_days", "views"]]
