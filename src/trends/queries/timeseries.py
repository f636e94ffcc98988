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
    _as_date,
    QueryError,
    check_dimension,
    counted_rows,
    cursor,
    date_bounds,
    dimension_rows,
    fetch_df,
    fetch_one,
    grain_offset,
    grain_sql,
    matching_articles,
    period_expr,
    period_range,
    range_sql,
    total_rows,
    use_rollups,
    where_clause,
)
from trends.queries.coverage import coverage_day_sql, coverage_scope, is_coverage_scope

MAX_COMPARE = 6

_VOLUME_COLUMNS = ["period", "key", "label", "articles", "total", "share"]


SHARE_ACTIVE_EXPLAINED = (
    "Share adjusted for the source mix: each source's share is weighted by that source's size over the whole "
    "range, and a source with no articles in a period counts at its usual share, so a source entering or "
    "leaving the archive does not move the line."
)


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
    period in the range appears for every key: zero where the archive has articles but none with the
    key, NaN in ``articles``, ``total`` and ``share`` where the archive has no article at all in the
    period (a coverage gap, see `trends.queries.coverage`), so charts draw a gap, not a fall to zero.
    ``measure`` says which column a chart should plot; ``articles`` and ``share`` are always present,
    and ``measure="share_active"`` adds ``share_active`` (see `SHARE_ACTIVE_EXPLAINED` and
    `share_among_active`; not defined for the source dimension).
    """
    check_dimension(dimension)
    grain_sql(flt.grain)
    if measure not in MEASURES:
        raise QueryError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    if measure == "share_active" and dimension == "source":
        raise QueryError("share_active compares sources with their own usual share; pick a dimension other than source")
    cur = cursor(db_path)
    chosen = tuple(dict.fromkeys(keys))[:MAX_COMPARE] if keys else None
    out = _volume_frame(cur, flt, dimension, chosen, top_n=None if chosen else int(top_n))
    if measure == "share_active":
        out["share_active"] = share_among_active(cur, flt, dimension, out)
    return out


def _volume_frame(
    cur, flt: Filter, dimension: str, keys: tuple[str, ...] | None, top_n: int | None = None
) -> pd.DataFrame:
    """Shared by volume and country_map. ``keys=None``: every key that occurs, or its ``top_n`` by
    articles in the range (ties by key).

    One statement builds the whole grid (periods x keys, counts, totals, coverage gaps), so a chart
    costs one round trip and no frame reshaping in Python (issue 13: the reshaping cost as much as the
    reads)."""
    first, last = date_bounds(cur, flt)
    periods = period_range(first, last, flt.grain)
    if not len(periods):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _volume_dtypes().items()})
    p = Params()
    _, step = grain_sql(flt.grain)
    if use_rollups(flt):
        matching = ""
        counts = f"SELECT {period_expr(flt.grain)} AS period, key, min(label) AS label, sum(n) AS articles " \
                 f"FROM ({counted_rows(flt, dimension, p, keys=keys)}) GROUP BY ALL"
        totals = f"SELECT {period_expr(flt.grain)} AS period, sum(n) AS total FROM ({total_rows(flt, p)}) GROUP BY ALL"
    else:  # the matching articles once (`matching_articles`); the key rows join them
        matching = f"fa AS MATERIALIZED ({matching_articles(flt, p)}), "
        counts = (f"SELECT {period_expr(flt.grain, 'fa.published')} AS period, r.key, min(r.label) AS label, count(*) AS articles "
                  f"FROM ({dimension_rows(dimension, p, 'TRUE', keys=keys)}) r JOIN fa ON fa.article_id = r.article_id "
                  f"WHERE TRUE{range_sql(flt, p, 'r.published')} GROUP BY ALL")  # tag rows carry the date: zone maps skip
        totals = f"SELECT {period_expr(flt.grain)} AS period, count(*) AS total FROM fa GROUP BY ALL"
    if is_coverage_scope(flt):
        covered = "SELECT period, total AS covered FROM totals"
    else:
        covered = f"SELECT {period_expr(flt.grain, 'day')} AS period, sum(articles) AS covered " \
                  f"FROM ({coverage_day_sql(coverage_scope(flt), p)}) GROUP BY ALL"
    if keys is None:
        limit = f" LIMIT {p(int(top_n))}" if top_n is not None else ""
        chosen = f"SELECT key, min(label) AS label FROM counts GROUP BY key ORDER BY sum(articles) DESC, key{limit}"
    else:
        chosen = (f"SELECT k.key, coalesce(min(c.label), k.key) AS label FROM (SELECT unnest({p(list(keys))}::VARCHAR[]) AS key) k "
                  f"LEFT JOIN counts c USING (key) GROUP BY k.key")
    sql = f"""WITH {matching}counts AS ({counts}), totals AS ({totals}), covered AS ({covered}), chosen AS ({chosen}),
            periods AS (SELECT CAST(unnest(generate_series({p(periods[0].date())}::DATE, {p(periods[-1].date())}::DATE, {step})) AS DATE) AS period)
        SELECT g.period, k.key, k.label,
               CASE WHEN coalesce(v.covered, 0) > 0 THEN coalesce(c.articles, 0) END::DOUBLE AS articles,
               CASE WHEN coalesce(v.covered, 0) > 0 THEN coalesce(t.total, 0) END::DOUBLE AS total,
               CASE WHEN coalesce(v.covered, 0) > 0 THEN
                    CASE WHEN coalesce(t.total, 0) > 0 THEN coalesce(c.articles, 0) / t.total ELSE 0 END END::DOUBLE AS share
        FROM periods g CROSS JOIN chosen k
        LEFT JOIN counts c ON c.period = g.period AND c.key = k.key
        LEFT JOIN totals t ON t.period = g.period
        LEFT JOIN covered v ON v.period = g.period
        ORDER BY k.key, g.period"""
    out = fetch_df(cur, sql, p)
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _volume_dtypes().items()})
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    return out[_VOLUME_COLUMNS]


def share_among_active(cur, flt: Filter, dimension: str, frame: pd.DataFrame) -> pd.Series:
    """The mix-adjusted share for each row of a `_volume_frame` (NaN where the frame has a gap).

    With n(s, P) the matching articles of source s in period P and n(s, k, P) those carrying key k,
    over the range: w(s) = n(s) / n, source s's weight, and b(s, k) = n(s, k) / n(s), its usual share
    of k. A source is active in P when it has an article then (n(s, P) >= 1). Then

        share_active(k, P) = sum over s of w(s) * (n(s, k, P) / n(s, P) if s is active in P else b(s, k))

    a weighted mean of shares, so it stays within 0..1. A source that enters or leaves at its usual
    share leaves the value where it was; only a source giving k more (or less) than usual moves it. With
    one source it is the plain share.
    """
    if frame.empty:
        return pd.Series(dtype="float64")
    keys = tuple(dict.fromkeys(frame["key"]))
    periods = sorted(frame["period"].unique())
    p = Params()
    period = period_expr(flt.grain)
    lo, hi = p(pd.Timestamp(periods[0]).date()), p(pd.Timestamp(periods[-1]).date())
    # The matching articles (id, day, source) once, materialised: the filter (a text match, tag semi-joins)
    # is evaluated once, and the tag rows join that set for their source (issue 13: the filter was
    # evaluated for n(s, P) and again for n(s, k, P), and the tags joined articles twice).
    sp = (f"SELECT {period} AS period, coalesce(source, '') AS source, sum(n) AS n FROM ({total_rows(flt, p)}) GROUP BY ALL"
          if use_rollups(flt) else f"SELECT {period} AS period, source, count(*) AS n FROM fa GROUP BY ALL")
    matching = f"SELECT article_id, published, coalesce(source, '') AS source FROM ({matching_articles(flt, p, ('published', 'source'))})"
    tags = dimension_rows(dimension, p, "TRUE", keys=keys)
    # One statement: n(s, P) per source and period, n(s) and the weights, n(s, k, P) and n(s, k), then the
    # weighted sum over every source for each (key, period) of the frame.
    sql = f"""WITH fa AS MATERIALIZED ({matching}),
            sp AS ({sp}),
            sp_in AS (SELECT * FROM sp WHERE period BETWEEN {lo} AND {hi}),
            size AS (SELECT source, sum(n)::DOUBLE AS n FROM sp_in GROUP BY source HAVING sum(n) > 0),
            allsize AS (SELECT sum(n) AS n FROM size),
            skp AS (SELECT {period_expr(flt.grain, 'fa.published')} AS period, r.key, fa.source, count(*) AS n
                    FROM ({tags}) r JOIN fa ON fa.article_id = r.article_id WHERE TRUE{range_sql(flt, p, 'r.published')} GROUP BY ALL),
            skp_in AS (SELECT * FROM skp WHERE period BETWEEN {lo} AND {hi}),
            sk AS (SELECT key, source, sum(n)::DOUBLE AS n FROM skp_in GROUP BY ALL),
            grid AS (SELECT * FROM (SELECT unnest({p([pd.Timestamp(x).date() for x in periods])}::DATE[]) AS period)
                     CROSS JOIN (SELECT unnest({p(list(keys))}::VARCHAR[]) AS key))
        SELECT g.period, g.key,
               coalesce(sum((z.n / allsize.n) * CASE WHEN coalesce(t.n, 0) > 0 THEN coalesce(c.n, 0) / t.n
                                                    ELSE coalesce(u.n, 0) / z.n END), 0) AS value
        FROM grid g CROSS JOIN size z CROSS JOIN allsize
        LEFT JOIN sp_in t ON t.period = g.period AND t.source = z.source
        LEFT JOIN skp_in c ON c.period = g.period AND c.key = g.key AND c.source = z.source
        LEFT JOIN sk u ON u.key = g.key AND u.source = z.source
        GROUP BY g.period, g.key"""
    values = fetch_df(cur, sql, p)
    values["period"] = pd.to_datetime(values["period"]).astype("datetime64[ns]")
    lookup = values.set_index(["period", "key"])["value"]
    index = pd.MultiIndex.from_arrays([pd.to_datetime(frame["period"]).astype("datetime64[ns]"), frame["key"]])
    result = pd.Series(lookup.reindex(index).to_numpy(dtype="float64"), index=frame.index)
    return result.fillna(0.0).where(frame["articles"].notna())


def _volume_dtypes() -> dict[str, str]:
    return {"period": "datetime64[ns]", "key": "object", "label": "object", "articles": "float64", "total": "float64", "share": "float64"}


def country_map(db_path: str | os.PathLike, flt: Filter) -> pd.DataFrame:
    """Map frames: per period, every mentioned country's article count and share of that period's articles
    (NaN in periods where the archive has no articles at all, as in `volume`)."""
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
    rollups = use_rollups(undated)
    if rollups:
        rows = total_rows(undated, p)
    else:  # the rows themselves: their authors are counted in the same read (it was a second one: issue 13)
        rows = (f"SELECT a.published, 1 AS n, coalesce(a.views, 0) AS views, a.source, a.authors FROM articles a "
                f"WHERE a.published IS NOT NULL AND {where_clause(undated, p)}")
    s, e, ps, pe = p(start), p(end), p(prev_start), p(prev_end)
    authors_sql = ("NULL" if rollups else
                   f"coalesce(length(list_distinct(flatten(list(authors) FILTER (WHERE published BETWEEN {s} AND {e})))), 0)")
    row = fetch_one(
        cur,
        f"""SELECT
              coalesce(sum(n) FILTER (WHERE published BETWEEN {s} AND {e}), 0),
              coalesce(sum(n) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0),
              coalesce(sum(views) FILTER (WHERE published BETWEEN {s} AND {e}), 0),
              coalesce(sum(views) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0),
              count(DISTINCT source) FILTER (WHERE published BETWEEN {s} AND {e}),
              {authors_sql}
            FROM ({rows}) WHERE published BETWEEN {ps} AND {e}""",
        p,
    )
    authors = row[5]
    if rollups:
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
SUPPORT_RULES = ("both", "either")


def rising_falling(
    db_path: str | os.PathLike,
    flt: Filter,
    dimension: str,
    min_support: int = 5,
    limit: int = 10,
    support: str = "both",
    same_sources: bool = True,
) -> pd.DataFrame:
    """Keys whose article count rose or fell most against the previous window of the same length.

    ``zscore`` compares the current window's count per grain period with the key's own per-period counts
    before the window (empty periods count as zero; needs two periods of history and some variation).
    A key needs at least ``min_support`` articles in both windows (``support="both"``; ``"either"``: in
    one of them), so one article is not a trend and a key absent before is not "rising" from nothing.
    Returns up to ``limit`` rising (largest change first) then up to ``limit`` falling keys.

    Coverage: when the archive (the filter's coverage scope) has no article at all in the previous
    window, nothing is compared and the frame is empty with a notice. With ``same_sources``, when a
    source's span in the archive (its first to last article) covers only one of the two windows (it
    entered or left the archive), only the sources whose span covers both are counted, so an arriving
    source does not make everything rise. A source that merely published nothing in one window still counts.
    ``df.attrs`` carries ``current_coverage``, ``previous_coverage`` (articles in each window),
    ``sources_entering``, ``sources_leaving``, ``sources_compared`` (None when not restricted) and
    ``notice`` (a sentence for the page, "" when there is nothing to say).
    """
    check_dimension(dimension)
    grain_sql(flt.grain)
    if support not in SUPPORT_RULES:
        raise QueryError(f"unknown support rule {support!r}; use both or either")
    cur = cursor(db_path)
    windows = comparison_windows(cur, flt)
    attrs = {"current_coverage": 0, "previous_coverage": 0, "sources_entering": [], "sources_leaving": [],
             "sources_compared": None, "notice": ""}
    if windows is None:
        return _rising_empty(attrs)
    start, end, prev_start, prev_end = windows
    undated = flt.replace(date_from=None, date_to=None)
    by_source = _window_coverage(cur, undated, windows)
    attrs["current_coverage"] = int(by_source["current"].sum())
    attrs["previous_coverage"] = int(by_source["previous"].sum())
    spans_current = (by_source["first"] <= end) & (by_source["last"] >= start)
    spans_previous = (by_source["first"] <= prev_end) & (by_source["last"] >= prev_start)
    attrs["sources_entering"] = sorted(by_source.loc[spans_current & ~spans_previous, "source"])
    attrs["sources_leaving"] = sorted(by_source.loc[spans_previous & ~spans_current, "source"])
    if attrs["previous_coverage"] == 0:
        attrs["notice"] = (f"The archive has no articles from {prev_start} to {prev_end} (the previous period), "
                           "so there is nothing to compare with.")
        return _rising_empty(attrs)
    if attrs["current_coverage"] == 0:
        attrs["notice"] = f"The archive has no articles from {start} to {end}, so there is nothing to compare."
        return _rising_empty(attrs)
    base = undated
    if same_sources and (attrs["sources_entering"] or attrs["sources_leaving"]):
        common = tuple(sorted(by_source.loc[spans_current & spans_previous, "source"]))
        attrs["sources_compared"] = list(common)
        base = undated.replace(sources=common)
        left_out = [f"{', '.join(names)} ({why})" for names, why in (
            (attrs["sources_entering"], "not yet in the archive in the previous period"),
            (attrs["sources_leaving"], "no longer in the archive in this period")) if names]
        attrs["notice"] = (f"Counted over the {len(common)} source{'s' if len(common) != 1 else ''} in the archive in "
                           f"both periods; left out: {'; '.join(left_out)}.")
        if not common:
            attrs["notice"] = "No source is in the archive in both periods, so there is nothing to compare: " + "; ".join(left_out) + "."
            return _rising_empty(attrs)
    counts, first = _window_counts(cur, base, dimension, windows, int(min_support), support)
    if counts.empty:
        return _rising_empty(attrs)
    counts["zscore"] = counts["key"].map(_history_zscores(counts, first, start, end, base.grain)).astype("float64")
    counts["change"] = counts["current"] - counts["previous"]
    counts["pct_change"] = np.where(counts["previous"] > 0, counts["change"] / counts["previous"].where(counts["previous"] > 0, 1), np.nan)
    counts["direction"] = np.select([counts["change"] > 0, counts["change"] < 0], ["rising", "falling"], "flat")
    rising = counts[counts["change"] > 0].sort_values(["change", "key"], ascending=[False, True]).head(limit)
    falling = counts[counts["change"] < 0].sort_values(["change", "key"], ascending=[True, True]).head(limit)
    out = pd.concat([rising, falling], ignore_index=True)
    for col in ("current", "previous", "change"):
        out[col] = out[col].astype("int64")
    out = out[_RISING_COLUMNS]
    out.attrs.update(attrs)
    return out


def _rising_empty(attrs: dict) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("pct_change", "zscore") else "object") for c in _RISING_COLUMNS})
    out.attrs.update(attrs)
    return out


def _window_coverage(cur, undated: Filter, windows: tuple) -> pd.DataFrame:
    """``source, first, last, current, previous``: per source of the coverage scope, its first and last
    article in the archive and its articles in the two windows."""
    start, end, prev_start, prev_end = windows
    p = Params()
    rows = total_rows(coverage_scope(undated), p)
    s, e, ps, pe = p(start), p(end), p(prev_start), p(prev_end)
    df = fetch_df(
        cur,
        f"""SELECT coalesce(source, '') AS source, min(published) AS first, max(published) AS last,
                   coalesce(sum(n) FILTER (WHERE published BETWEEN {s} AND {e}), 0) AS current,
                   coalesce(sum(n) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0) AS previous
            FROM ({rows}) GROUP BY ALL""",
        p,
    )
    for column in ("first", "last"):
        df[column] = pd.to_datetime(df[column]).dt.date
    return df


def _window_counts(cur, base: Filter, dimension: str, windows: tuple, floor: int, support: str) -> tuple[pd.DataFrame, dt.date | None]:
    """``key, label, current, previous, history`` for the keys with enough support, and the first matching
    article's date, in one statement (issue 13: it was three, each evaluating the filter again).

    ``history`` is the key's (period, articles) list before the current window, for the z-score."""
    start, end, prev_start, prev_end = windows
    p = Params()
    rows = counted_rows(base.replace(date_to=end), dimension, p)
    s, e, ps, pe = p(start), p(end), p(prev_start), p(prev_end)
    both = "current >= {f} AND previous >= {f}" if support == "both" else "(current >= {f} OR previous >= {f})"
    floor_sql = p(floor)
    df = fetch_df(
        cur,
        f"""WITH r AS MATERIALIZED ({rows}),
                counts AS (SELECT key, min(label) AS label,
                                  coalesce(sum(n) FILTER (WHERE published BETWEEN {s} AND {e}), 0) AS current,
                                  coalesce(sum(n) FILTER (WHERE published BETWEEN {ps} AND {pe}), 0) AS previous
                           FROM r WHERE published BETWEEN {ps} AND {e} GROUP BY key),
                kept AS (SELECT * FROM counts WHERE {both.format(f=floor_sql)}),
                hist AS (SELECT key, {period_expr(base.grain)} AS period, sum(n) AS n FROM r
                         WHERE published < {s} AND key IN (SELECT key FROM kept) GROUP BY ALL)
            SELECT k.key, k.label, k.current, k.previous,
                   (SELECT min(published) FROM ({total_rows(base, p)})) AS first,
                   (SELECT list({{'period': h.period, 'n': h.n}}) FROM hist h WHERE h.key = k.key) AS history
            FROM kept k""",
        p,
    )
    first = _as_date(df["first"].iloc[0]) if len(df) else None
    return df.drop(columns="first"), first


def _history_zscores(counts: pd.DataFrame, first: dt.date | None, start: dt.date, end: dt.date, grain: str) -> dict:
    """Key -> z of the current window's count per grain period against the key's per-period counts before it."""
    periods_in_current = max(len(period_range(start, end, grain)), 1)
    history_periods = period_range(first, start - dt.timedelta(days=1), grain) if first else []
    # drop a history period that overlaps the current window's first period (partial)
    history_periods = [x for x in history_periods if x.date() < start and (x + grain_offset(grain)).date() <= start]
    z: dict = {}
    if len(history_periods) < 2:
        return z
    index = pd.DatetimeIndex(history_periods)
    for key, current, history in zip(counts["key"], counts["current"], counts["history"]):
        got = {pd.Timestamp(h["period"]): float(h["n"]) for h in (history if history is not None else [])}
        series = pd.Series([got.get(x, 0.0) for x in index], index=index, dtype="float64")
        sd = float(series.std(ddof=1))
        z[key] = (float(current) / periods_in_current - float(series.mean())) / sd if sd > 0 else math.nan
    return z
