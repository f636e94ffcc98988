"""Attention over time: volume per key and period, rising / falling keys, headline numbers, map frames."""

from __future__ import annotations

import datetime as dt
import math
import os

import numpy as np
import pandas as pd

from trends.filters import MEASURES, Filter
from trends.queries._base import (
    Params,
    QueryError,
    check_dimension,
    counted_rows,
    cursor,
    date_bounds,
    fetch_df,
    fetch_one,
    grain_offset,
    grain_sql,
    period_expr,
    period_range,
    total_rows,
)

MAX_COMPARE = 6

_VOLUME_COLUMNS = ["period", "key", "label", "articles", "total", "share"]


def _totals(cur, flt: Filter) -> pd.Series:
    """All articles matching the filter per period: the denominator of share."""
    p = Params()
    sql = f"SELECT {period_expr(flt.grain)} AS period, sum(n) AS total FROM ({total_rows(flt, p)}) GROUP BY ALL"
    df = fetch_df(cur, sql, p)
    df["period"] = pd.to_datetime(df["period"])
    return df.set_index("period")["total"]


def _key_counts(cur, flt: Filter, dimension: str, keys: tuple[str, ...] | None) -> pd.DataFrame:
    p = Params()
    rows = counted_rows(flt, dimension, p, keys=keys)
    sql = (
        f"SELECT {period_expr(flt.grain)} AS period, key, min(label) AS label, sum(n) AS articles "
        f"FROM ({rows}) GROUP BY ALL"
    )
    df = fetch_df(cur, sql, p)
    df["period"] = pd.to_datetime(df["period"])
    return df


def volume(
    db_path: str | os.PathLike,
    flt: Filter,
    dimension: str,
    keys: list[str] | tuple[str, ...] | None = None,
    top_n: int = 8,
    measure: str = "count",
) -> pd.DataFrame:
    """Articles per period carrying each key, with the period's total and the key's share of it.

    Either the chosen ``keys`` (at most 6 side by side) or the ``top_n`` keys over the range. Every
    period in the range appears for every key, with zeros where nothing matched. ``measure`` only says
    which column a chart should plot; both ``articles`` and ``share`` are always present.
    """
    check_dimension(dimension)
    grain_sql(flt.grain)
    if measure not in MEASURES:
        raise QueryError(f"unknown measure {measure!r}; use count or share")
    cur = cursor(db_path)
    if keys:
        return _volume_frame(cur, flt, dimension, tuple(dict.fromkeys(keys))[:MAX_COMPARE])
    return _volume_frame(cur, flt, dimension, None, top_n=int(top_n))


def _volume_frame(
    cur, flt: Filter, dimension: str, keys: tuple[str, ...] | None, top_n: int | None = None
) -> pd.DataFrame:
    """Shared by volume and country_map. ``keys=None``: every key that occurs, or its ``top_n`` by
    articles in the range (ties by key), picked from the same counts so it costs one query."""
    first, last = date_bounds(cur, flt)
    periods = period_range(first, last, flt.grain)
    totals = _totals(cur, flt).reindex(periods, fill_value=0)
    counts = _key_counts(cur, flt, dimension, keys)
    if keys is None:
        sizes = counts.groupby("key")["articles"].sum().reset_index()
        sizes = sizes.sort_values(["articles", "key"], ascending=[False, True], kind="stable")
        keys = tuple(sizes["key"].head(top_n)) if top_n is not None else tuple(sorted(sizes["key"]))
        if not keys:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _volume_dtypes().items()})
    labels = counts.groupby("key")["label"].min().to_dict()
    grid = pd.MultiIndex.from_product([periods, list(keys)], names=["period", "key"])
    out = (
        counts.set_index(["period", "key"])["articles"]
        .reindex(grid, fill_value=0)
        .reset_index()
    )
    out["label"] = [labels.get(k, k) for k in out["key"]]
    out["total"] = out["period"].map(totals).fillna(0).astype("int64")
    out["articles"] = out["articles"].astype("int64")
    out["share"] = np.where(out["total"] > 0, out["articles"] / out["total"].where(out["total"] > 0, 1), 0.0)
    return out[_VOLUME_COLUMNS].sort_values(["key", "period"], kind="stable").reset_index(drop=True)


def _volume_dtypes() -> dict[str, str]:
    return {"period": "datetime64[ns]", "key": "object", "label": "object", "articles": "int64", "total": "int64", "share": "float64"}


def country_map(db_path: str | os.PathLike, flt: Filter) -> pd.DataFrame:
    """Map frames: per period, every mentioned country's article count and share of that period's articles."""
    grain_sql(flt.grain)
    cur = cursor(db_path)
    df = _volume_frame(cur, flt, "country", None)
    df = df.sort_values(["period", "key"], kind="stable").reset_index(drop=True)
    return df[["period", "key", "label", "articles", "share"]]


# ----------------------------------------------------------------------------------- comparisons


def comparison_windows(cur, flt: Filter) -> tuple[dt.date, dt.date, dt.date, dt.date] | None:
    """(current_start, current_end, previous_start, previous_end), or None when nothing matches.

    The current window is the filter's date range. An open end is closed by the data: with no start,
    the current window is the last grain period (e.g. the last month) ending on the newest article.
    The previous window has the same length and ends the day before the current one starts.
    """
    end = flt.date_to or date_bounds(cur, flt)[1]
    if end is None:
        return None
    if flt.date_from:
        start = flt.date_from
    else:
        start = (pd.Timestamp(end) - grain_offset(flt.grain) + pd.Timedelta(days=1)).date()
    length = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    prev_start = prev_end - dt.timedelta(days=length - 1)
    return start, end, prev_start, prev_end


def headline(db_path: str | os.PathLike, flt: Filter) -> dict:
    """Articles, views, sources and authors in the current window and the same-length window before it."""
    grain_sql(flt.grain)
    cur = cursor(db_path)
    windows = comparison_windows(cur, flt)
    if windows is None:
        return {
            "articles": 0, "previous_articles": 0, "views": 0, "previous_views": 0, "sources": 0, "authors": 0,
            "period_start": None, "period_end": None, "previous_start": None, "previous_end": None,
        }
    start, end, prev_start, prev_end = windows
    undated = flt.replace(date_from=None, date_to=None)
    p = Params()
    rows = total_rows(undated, p)
    s, e, ps, pe = p(start), p(end), p(prev_start), p(prev_end)
    row = fetch_one(
        cur,
        f"""SELECT
              coalesce(sum(n) FILTER (WHERE published BETWEEN {s} AND {e}), 0),
              coalesce(sum(n) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0),
              coalesce(sum(views) FILTER (WHERE published BETWEEN {s} AND {e}), 0),
              coalesce(sum(views) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0),
              count(DISTINCT source) FILTER (WHERE published BETWEEN {s} AND {e})
            FROM ({rows}) WHERE published BETWEEN {ps} AND {e}""",
        p,
    )
    p2 = Params()
    current = flt.replace(date_from=start, date_to=end)
    authors = fetch_one(cur, f"SELECT count(DISTINCT key) FROM ({counted_rows(current, 'author', p2)})", p2)[0]
    return {
        "articles": int(row[0]),
        "previous_articles": int(row[1]),
        "views": int(row[2]),
        "previous_views": int(row[3]),
        "sources": int(row[4]),
        "authors": int(authors),
        "period_start": start,
        "period_end": end,
        "previous_start": prev_start,
        "previous_end": prev_end,
    }


_RISING_COLUMNS = ["key", "label", "current", "previous", "change", "pct_change", "zscore", "direction"]


def rising_falling(
    db_path: str | os.PathLike,
    flt: Filter,
    dimension: str,
    min_support: int = 5,
    limit: int = 10,
) -> pd.DataFrame:
    """Keys whose article count rose or fell most against the previous window of the same length.

    ``zscore`` compares the current window's count per grain period with the key's own per-period counts
    before the window (empty periods count as zero; needs two periods of history and some variation).
    A key must have at least ``min_support`` articles in one of the two windows, so one article is not a
    trend. Returns up to ``limit`` rising (largest change first) then up to ``limit`` falling keys.
    """
    check_dimension(dimension)
    unit, _ = grain_sql(flt.grain)
    cur = cursor(db_path)
    windows = comparison_windows(cur, flt)
    empty = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("pct_change", "zscore") else "object") for c in _RISING_COLUMNS})
    if windows is None:
        return empty
    start, end, prev_start, prev_end = windows
    undated = flt.replace(date_from=None, date_to=None)
    p = Params()
    rows = counted_rows(undated, dimension, p)
    s, e, ps, pe = p(start), p(end), p(prev_start), p(prev_end)
    counts = fetch_df(
        cur,
        f"""SELECT key, min(label) AS label,
                   coalesce(sum(n) FILTER (WHERE published BETWEEN {s} AND {e}), 0) AS current,
                   coalesce(sum(n) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0) AS previous
            FROM ({rows}) WHERE published BETWEEN {ps} AND {e} GROUP BY key""",
        p,
    )
    counts = counts[(counts["current"] >= min_support) | (counts["previous"] >= min_support)].copy()
    if counts.empty:
        return empty
    # history: per-period counts of the surviving keys before the current window
    p2 = Params()
    before = undated.replace(date_to=start - dt.timedelta(days=1))
    hist = fetch_df(
        cur,
        f"SELECT {period_expr(flt.grain)} AS period, key, sum(n) AS n "
        f"FROM ({counted_rows(before, dimension, p2, keys=tuple(counts['key']))}) GROUP BY ALL",
        p2,
    )
    first, _ = date_bounds(cur, undated)
    periods_in_current = max(len(period_range(start, end, flt.grain)), 1)
    history_periods = period_range(first, start - dt.timedelta(days=1), flt.grain) if first else []
    # drop a history period that overlaps the current window's first period (partial)
    history_periods = [x for x in history_periods if x.date() < start and (x + grain_offset(flt.grain)).date() <= start]
    z = {}
    if len(history_periods) >= 2:
        hist["period"] = pd.to_datetime(hist["period"])
        table = hist.pivot_table(index="period", columns="key", values="n", aggfunc="sum").reindex(history_periods).fillna(0)
        for key in counts["key"]:
            series = table[key] if key in table else pd.Series(0.0, index=table.index)
            sd = float(series.std(ddof=1))
            rate = float(counts.loc[counts["key"] == key, "current"].iloc[0]) / periods_in_current
            z[key] = (rate - float(series.mean())) / sd if sd > 0 else math.nan
    counts["change"] = counts["current"] - counts["previous"]
    counts["pct_change"] = np.where(counts["previous"] > 0, counts["change"] / counts["previous"].where(counts["previous"] > 0, 1), np.nan)
    counts["zscore"] = counts["key"].map(z).astype("float64")
    counts["direction"] = np.select([counts["change"] > 0, counts["change"] < 0], ["rising", "falling"], "flat")
    rising = counts[counts["change"] > 0].sort_values(["change", "key"], ascending=[False, True]).head(limit)
    falling = counts[counts["change"] < 0].sort_values(["change", "key"], ascending=[True, True]).head(limit)
    out = pd.concat([rising, falling], ignore_index=True)
    for col in ("current", "previous", "change"):
        out[col] = out[col].astype("int64")
    return out[_RISING_COLUMNS]
