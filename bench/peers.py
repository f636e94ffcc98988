"""The fair peers of bench/run.py: pandas and polars answering the dashboard's questions from data loaded
once and kept in memory (what a Streamlit author with ``st.cache_data`` would write).

Both load the same columns once (articles, the counted "about" tags as `tags_by_key` holds them, the
authors exploded, and the search postings as term -> article ids) and then answer each question with
their own frame operations; the only piece they share with `trends.queries` is the query tokeniser
(`query_terms`), so a text filter means the same words on every side. Semantics (see
docs/architecture.md, "The queries contract"): an article matches a filter when it is in the date
range, from one of the sources, by one of the authors, carries one of the keys of each tag kind
selected (about tags only), has at least the minimum views, is not synthetic when those are excluded,
and holds any of the query's search terms. Periods in the range with no article at all in the
coverage scope (dates, sources, synthetic switch) are gaps (NaN).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from trends.filters import Filter

TAG_KINDS = ("topic", "theme", "country", "person", "org")
_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
_PL_EVERY = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}


def load_tables(db) -> dict:
    """The rows both peers start from, read once through the archive's reader (Arrow tables)."""
    from trends.store import open_reader

    con = open_reader(db)
    try:
        articles = con.execute(
            "SELECT article_id, source, published, views, synthetic FROM articles WHERE published IS NOT NULL").fetch_arrow_table()
        authors = con.execute(
            "SELECT article_id, unnest(list_distinct(authors)) AS author FROM articles WHERE published IS NOT NULL").fetch_arrow_table()
        tags = con.execute("SELECT kind, key, article_id, published FROM tags_by_key").fetch_arrow_table()
        postings = con.execute("SELECT term, list(article_id) AS ids FROM postings GROUP BY term").fetch_arrow_table()
    finally:
        con.close()
    return {"articles": articles, "authors": authors, "tags": tags, "postings": postings}


def _period_np(days: np.ndarray, grain: str) -> np.ndarray:
    """datetime64[D] -> the first day of its grain period (weeks start on Monday)."""
    if grain == "day":
        return days
    if grain == "week":
        n = days.astype("int64")
        return (n - (n + 3) % 7).astype("datetime64[D]")
    if grain == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    if grain == "quarter":
        m = days.astype("datetime64[M]").astype("int64")
        return (m - m % 3).astype("datetime64[M]").astype("datetime64[D]")
    return days.astype("datetime64[Y]").astype("datetime64[D]")


def _first_day(day: dt.date, grain: str) -> dt.date:
    return pd.Timestamp(_period_np(np.array([np.datetime64(day, "D")]), grain)[0]).date()


def _windows(flt: Filter):
    start, end = flt.date_from, flt.date_to
    length = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    return start, end, prev_end - dt.timedelta(days=length - 1), prev_end


def _scope_only(flt: Filter) -> bool:
    return Filter(date_from=flt.date_from, date_to=flt.date_to, grain=flt.grain, sources=flt.sources,
                  synthetic=flt.synthetic) == flt


# ================================================================================================ pandas


class PandasPeer:
    def __init__(self, tables: dict):
        a = tables["articles"].to_pandas()
        a["source"] = a["source"].astype("category")
        a["published"] = pd.to_datetime(a["published"]).astype("datetime64[ns]")
        self.art = a
        self.day = a["published"].to_numpy().astype("datetime64[D]")
        au = tables["authors"].to_pandas()
        au["author"] = au["author"].astype("category")
        self.authors = au
        t = tables["tags"].to_pandas()
        t["kind"] = t["kind"].astype("category")
        t["key"] = t["key"].astype("category")
        t["published"] = pd.to_datetime(t["published"]).astype("datetime64[ns]")
        self.tags = t
        po = tables["postings"].to_pydict()
        self.postings = {term: np.asarray(ids, dtype="int64") for term, ids in zip(po["term"], po["ids"])}

    # ---- the filter
    def mask(self, flt: Filter, skip: frozenset = frozenset(), dates: bool = True) -> np.ndarray:
        a = self.art
        m = np.ones(len(a), dtype=bool)
        if dates and flt.date_from:
            m &= self.day >= np.datetime64(flt.date_from, "D")
        if dates and flt.date_to:
            m &= self.day <= np.datetime64(flt.date_to, "D")
        if flt.sources and "source" not in skip:
            m &= a["source"].isin(flt.sources).to_numpy()
        if flt.authors and "author" not in skip:
            au = self.authors
            m &= a["article_id"].isin(au.loc[au["author"].isin(flt.authors), "article_id"]).to_numpy()
        for kind, keys in flt.tag_filters().items():
            if kind in skip:
                continue
            t = self.tags
            ids = t.loc[(t["kind"] == kind) & t["key"].isin(keys), "article_id"]
            m &= a["article_id"].isin(ids).to_numpy()
        if flt.min_views is not None:
            m &= (a["views"] >= flt.min_views).to_numpy()
        if not flt.synthetic:
            m &= ~a["synthetic"].to_numpy()
        if flt.text.strip():
            from trends.queries._base import query_terms

            found = [self.postings[t] for t in query_terms(flt.text) if t in self.postings]
            ids = np.unique(np.concatenate(found)) if found else np.array([], dtype="int64")
            m &= np.isin(a["article_id"].to_numpy(), ids)
        return m

    def _periods(self, flt: Filter, m: np.ndarray) -> pd.DatetimeIndex:
        lo, hi = flt.date_from, flt.date_to
        if lo is None or hi is None:
            days = self.day[m]
            if not len(days):
                return pd.DatetimeIndex([], name="period")
            lo = lo or pd.Timestamp(days.min()).date()
            hi = hi or pd.Timestamp(days.max()).date()
        return pd.date_range(_first_day(lo, flt.grain), _first_day(hi, flt.grain), freq=_FREQ[flt.grain], name="period")

    def _covered(self, flt: Filter, m: np.ndarray, periods) -> np.ndarray:
        scope = m if _scope_only(flt) else self.mask(Filter(date_from=flt.date_from, date_to=flt.date_to,
                                                            sources=flt.sources, synthetic=flt.synthetic))
        per = pd.Series(_period_np(self.day[scope], flt.grain)).value_counts()
        per.index = pd.DatetimeIndex(per.index)
        return per.reindex(periods, fill_value=0).to_numpy() > 0

    def _tag_rows(self, m: np.ndarray, kind: str) -> pd.DataFrame:
        t = self.tags
        t = t[t["kind"] == kind]
        return t[t["article_id"].isin(self.art["article_id"].to_numpy()[m])]

    # ---- families
    def volume(self, flt: Filter, dimension: str, top_n: int | None = 8) -> pd.DataFrame:
        m = self.mask(flt)
        periods = self._periods(flt, m)
        totals = pd.Series(_period_np(self.day[m], flt.grain)).value_counts()
        totals.index = pd.DatetimeIndex(totals.index)
        totals = totals.reindex(periods, fill_value=0).astype("float64")
        rows = self._tag_rows(m, dimension)
        per = pd.DataFrame({"period": _period_np(rows["published"].to_numpy().astype("datetime64[D]"), flt.grain),
                            "key": rows["key"].astype(str).to_numpy()})
        counts = per.groupby(["period", "key"]).size()
        sizes = per.groupby("key").size().reset_index(name="n").sort_values(["n", "key"], ascending=[False, True])
        keys = list(sizes["key"].head(top_n)) if top_n else sorted(sizes["key"])
        if not keys:
            return pd.DataFrame(columns=["period", "key", "articles", "total", "share"])
        counts.index = counts.index.set_levels(pd.DatetimeIndex(counts.index.levels[0]), level=0)
        grid = pd.MultiIndex.from_product([periods, keys], names=["period", "key"])
        out = counts.reindex(grid, fill_value=0).astype("float64").rename("articles").reset_index()
        out["total"] = out["period"].map(totals).to_numpy()
        out["share"] = np.where(out["total"] > 0, out["articles"] / out["total"].where(out["total"] > 0, 1), 0.0)
        gap = ~pd.Series(self._covered(flt, m, periods), index=periods)
        out.loc[out["period"].map(gap).to_numpy(), ["articles", "total", "share"]] = np.nan
        return out.sort_values(["key", "period"]).reset_index(drop=True)

    def views_over_time(self, flt: Filter) -> pd.DataFrame:
        m = self.mask(flt)
        periods = self._periods(flt, m)
        a = self.art[m]
        frame = pd.DataFrame({"period": pd.DatetimeIndex(_period_np(self.day[m], flt.grain)), "views": a["views"].to_numpy()})
        g = frame.groupby("period")["views"].agg(articles="size", viewed="count", views_sum="sum")
        out = g.reindex(periods).reset_index()
        out["articles"] = out["articles"].fillna(0).astype("float64")
        out["viewed"] = out["viewed"].fillna(0).astype("float64")
        out["views_sum"] = out["views_sum"].astype("float64").mask(out["viewed"] == 0)
        gap = ~self._covered(flt, m, periods)
        out.loc[gap, ["articles", "viewed", "views_sum"]] = np.nan
        return out

    def headline(self, flt: Filter) -> dict:
        s, e, ps, pe = _windows(flt)
        m = self.mask(flt, dates=False)
        d = self.day
        cur = m & (d >= np.datetime64(s, "D")) & (d <= np.datetime64(e, "D"))
        prev = m & (d >= np.datetime64(ps, "D")) & (d <= np.datetime64(pe, "D"))
        views = self.art["views"].fillna(0).to_numpy()
        ids = self.art["article_id"].to_numpy()[cur]
        au = self.authors
        return {"articles": int(cur.sum()), "previous_articles": int(prev.sum()),
                "views": int(views[cur].sum()), "previous_views": int(views[prev].sum()),
                "sources": int(self.art["source"][cur].nunique()),
                "authors": int(au.loc[au["article_id"].isin(ids), "author"].nunique())}

    def top_articles(self, flt: Filter, limit: int = 20) -> pd.DataFrame:
        a = self.art[self.mask(flt)]
        a = a[a["views"].notna()]
        return a.sort_values(["views", "article_id"], ascending=[False, True]).head(limit)[["article_id", "views"]]

    def views_by(self, flt: Filter, dimension: str, limit: int = 20) -> pd.DataFrame:
        m = self.mask(flt)
        if dimension == "source":
            rows = self.art.loc[m & self.art["source"].notna().to_numpy(), ["source", "views"]].rename(columns={"source": "key"})
            rows["key"] = rows["key"].astype(str)
        else:
            t = self._tag_rows(m, dimension)
            rows = pd.DataFrame({"key": t["key"].astype(str).to_numpy(), "article_id": t["article_id"].to_numpy()})
            rows = rows.merge(self.art[["article_id", "views"]], on="article_id")
        g = rows.groupby("key")["views"].agg(articles="size", viewed="count", views_sum="sum").reset_index()
        g["views_sum"] = g["views_sum"].astype("float64").mask(g["viewed"] == 0)
        g = g.sort_values(["views_sum", "articles", "key"], ascending=[False, False, True], na_position="last")
        return g.head(limit)

    def facets(self, flt: Filter, dimension: str, limit: int = 50) -> pd.DataFrame:
        m = self.mask(flt, skip=frozenset({dimension}))
        if dimension == "source":
            keys = self.art["source"][m].dropna().astype(str)
            g = keys.value_counts().rename_axis("key").reset_index(name="articles")
        else:
            t = self._tag_rows(m, dimension)
            g = t["key"].astype(str).value_counts().rename_axis("key").reset_index(name="articles")
        return g.sort_values(["articles", "key"], ascending=[False, True]).head(limit)


# ================================================================================================ polars


class PolarsPeer:
    def __init__(self, tables: dict):
        import polars as pl

        self.pl = pl
        self.art = pl.from_arrow(tables["articles"]).with_columns(pl.col("source").cast(pl.Categorical))
        self.authors = pl.from_arrow(tables["authors"]).with_columns(pl.col("author").cast(pl.Categorical))
        self.tags = pl.from_arrow(tables["tags"]).with_columns(pl.col("kind").cast(pl.Categorical),
                                                               pl.col("key").cast(pl.Categorical))
        po = pl.from_arrow(tables["postings"])
        self.postings = {term: ids for term, ids in zip(po["term"].to_list(), po["ids"].to_list())}

    def mask(self, flt: Filter, skip: frozenset = frozenset(), dates: bool = True):
        pl = self.pl
        cond = pl.lit(True)
        if dates and flt.date_from:
            cond &= pl.col("published") >= flt.date_from
        if dates and flt.date_to:
            cond &= pl.col("published") <= flt.date_to
        if flt.sources and "source" not in skip:
            cond &= pl.col("source").cast(pl.String).is_in(list(flt.sources))
        if flt.authors and "author" not in skip:
            ids = self.authors.filter(pl.col("author").cast(pl.String).is_in(list(flt.authors)))["article_id"]
            cond &= pl.col("article_id").is_in(ids.implode())
        for kind, keys in flt.tag_filters().items():
            if kind in skip:
                continue
            ids = self.tags.filter((pl.col("kind") == kind) & pl.col("key").cast(pl.String).is_in(list(keys)))["article_id"]
            cond &= pl.col("article_id").is_in(ids.implode())
        if flt.min_views is not None:
            cond &= pl.col("views") >= flt.min_views
        if not flt.synthetic:
            cond &= ~pl.col("synthetic")
        if flt.text.strip():
            from trends.queries._base import query_terms

            ids = sorted({i for t in query_terms(flt.text) for i in self.postings.get(t, ())})
            cond &= pl.col("article_id").is_in(pl.Series(ids, dtype=pl.Int64).implode())
        return cond

    def _periods(self, flt: Filter, matched):
        pl = self.pl
        lo, hi = flt.date_from, flt.date_to
        if lo is None or hi is None:
            if matched.is_empty():
                return pl.Series("period", [], dtype=pl.Date)
            lo, hi = lo or matched["published"].min(), hi or matched["published"].max()
        return pl.date_range(_first_day(lo, flt.grain), _first_day(hi, flt.grain), _PL_EVERY[flt.grain], eager=True).alias("period")

    def _covered(self, flt: Filter, matched, periods):
        pl = self.pl
        scope = matched if _scope_only(flt) else self.art.filter(self.mask(Filter(
            date_from=flt.date_from, date_to=flt.date_to, sources=flt.sources, synthetic=flt.synthetic)))
        per = scope.group_by(pl.col("published").dt.truncate(_PL_EVERY[flt.grain]).alias("period")).len("cov")
        return pl.DataFrame({"period": periods}).join(per, on="period", how="left").with_columns(
            (pl.col("cov").fill_null(0) > 0).alias("covered")).select("period", "covered")

    def _tag_rows(self, matched, kind: str):
        pl = self.pl
        return self.tags.filter((pl.col("kind") == kind) & pl.col("article_id").is_in(matched["article_id"].implode()))

    def volume(self, flt: Filter, dimension: str, top_n: int | None = 8):
        pl = self.pl
        every = _PL_EVERY[flt.grain]
        matched = self.art.filter(self.mask(flt))
        periods = self._periods(flt, matched)
        totals = matched.group_by(pl.col("published").dt.truncate(every).alias("period")).len("total")
        rows = self._tag_rows(matched, dimension).with_columns(
            pl.col("published").dt.truncate(every).alias("period"), pl.col("key").cast(pl.String))
        counts = rows.group_by("period", "key").len("articles")
        sizes = rows.group_by("key").len("n").sort(["n", "key"], descending=[True, False])
        keys = sizes["key"].head(top_n) if top_n else sizes["key"].sort()
        if keys.is_empty():
            return pl.DataFrame(schema={"period": pl.Date, "key": pl.String, "articles": pl.Float64,
                                        "total": pl.Float64, "share": pl.Float64})
        grid = pl.DataFrame({"period": periods}).join(pl.DataFrame({"key": keys}), how="cross")
        out = (grid.join(counts, on=["period", "key"], how="left").join(totals, on="period", how="left")
               .join(self._covered(flt, matched, periods), on="period", how="left")
               .with_columns(pl.col("articles").fill_null(0).cast(pl.Float64), pl.col("total").fill_null(0).cast(pl.Float64)))
        out = out.with_columns(pl.when(pl.col("total") > 0).then(pl.col("articles") / pl.col("total")).otherwise(0.0).alias("share"))
        gap = ~pl.col("covered")
        out = out.with_columns([pl.when(gap).then(None).otherwise(pl.col(c)).alias(c) for c in ("articles", "total", "share")])
        return out.select("period", "key", "articles", "total", "share").sort("key", "period")

    def views_over_time(self, flt: Filter):
        pl = self.pl
        matched = self.art.filter(self.mask(flt))
        periods = self._periods(flt, matched)
        g = matched.group_by(pl.col("published").dt.truncate(_PL_EVERY[flt.grain]).alias("period")).agg(
            pl.len().alias("articles"), pl.col("views").count().alias("viewed"), pl.col("views").sum().alias("views_sum"))
        out = (pl.DataFrame({"period": periods}).join(g, on="period", how="left")
               .join(self._covered(flt, matched, periods), on="period", how="left")
               .with_columns(pl.col("articles").fill_null(0).cast(pl.Float64), pl.col("viewed").fill_null(0).cast(pl.Float64),
                             pl.col("views_sum").cast(pl.Float64)))
        out = out.with_columns(pl.when(pl.col("viewed") == 0).then(None).otherwise(pl.col("views_sum")).alias("views_sum"))
        return out.with_columns([pl.when(~pl.col("covered")).then(None).otherwise(pl.col(c)).alias(c)
                                 for c in ("articles", "viewed", "views_sum")]).select("period", "articles", "viewed", "views_sum")

    def headline(self, flt: Filter) -> dict:
        pl = self.pl
        s, e, ps, pe = _windows(flt)
        base = self.art.filter(self.mask(flt, dates=False))
        cur = base.filter(pl.col("published").is_between(s, e))
        prev = base.filter(pl.col("published").is_between(ps, pe))
        authors = self.authors.filter(pl.col("article_id").is_in(cur["article_id"].implode()))["author"].n_unique()
        return {"articles": cur.height, "previous_articles": prev.height,
                "views": int(cur["views"].fill_null(0).sum()), "previous_views": int(prev["views"].fill_null(0).sum()),
                "sources": cur["source"].drop_nulls().n_unique(), "authors": authors}

    def top_articles(self, flt: Filter, limit: int = 20):
        pl = self.pl
        return (self.art.filter(self.mask(flt) & pl.col("views").is_not_null())
                .sort(["views", "article_id"], descending=[True, False]).head(limit).select("article_id", "views"))

    def views_by(self, flt: Filter, dimension: str, limit: int = 20):
        pl = self.pl
        matched = self.art.filter(self.mask(flt))
        if dimension == "source":
            rows = matched.filter(pl.col("source").is_not_null()).select(pl.col("source").cast(pl.String).alias("key"), "views")
        else:
            rows = self._tag_rows(matched, dimension).select(pl.col("key").cast(pl.String), "article_id").join(
                matched.select("article_id", "views"), on="article_id")
        g = rows.group_by("key").agg(pl.len().alias("articles"), pl.col("views").count().alias("viewed"),
                                     pl.col("views").sum().cast(pl.Float64).alias("views_sum"))
        g = g.with_columns(pl.when(pl.col("viewed") == 0).then(None).otherwise(pl.col("views_sum")).alias("views_sum"))
        return g.sort(["views_sum", "articles", "key"], descending=[True, True, False], nulls_last=True).head(limit)

    def facets(self, flt: Filter, dimension: str, limit: int = 50):
        pl = self.pl
        matched = self.art.filter(self.mask(flt, skip=frozenset({dimension})))
        if dimension == "source":
            keys = matched.filter(pl.col("source").is_not_null()).select(pl.col("source").cast(pl.String).alias("key"))
        else:
            keys = self._tag_rows(matched, dimension).select(pl.col("key").cast(pl.String))
        return keys.group_by("key").len("articles").sort(["articles", "key"], descending=[True, False]).head(limit)
