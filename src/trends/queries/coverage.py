"""What the archive covers: articles per source per period, its real span, and where it is dense.

A real archive is a patchwork (one source for 1987, another from 2018, a yearly debate...). Charts must
not read an empty stretch of the archive as "no attention", nor a source entering as a trend, so the
time-series queries ask this module which periods have any coverage at all.

*Coverage* is judged on the filter's coverage scope: its date range, sources and synthetic switch,
without its tag, author, text and minimum-views parts. A period in which no article of the chosen
sources exists is a gap in the archive; a period with articles of which none is about the chosen topic
is a real zero.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd

from trends.filters import Filter
from trends.queries._base import (
    Params,
    cursor,
    date_bounds,
    fetch_df,
    grain_sql,
    period_expr,
    period_range,
    period_start,
    rollup_scope,
    rollups_ready,
    where_clause,
)

NO_SOURCE = "(no source)"
DENSE_SHARE = 0.8
DENSEST_SPAN_RULE = (
    "The densest span is the longest run of consecutive months in which the archive has articles "
    "(the run holding the most articles), so no empty stretch of the archive is drawn as zero attention."
)
CORE_SPAN_RULE = "The core span is the shortest stretch of days holding at least 80% of the articles."

COVERAGE_COLUMNS = ["period", "source", "articles"]


def coverage_scope(flt: Filter) -> Filter:
    """The filter reduced to what decides coverage: dates, sources, the synthetic switch (and grain)."""
    return Filter(date_from=flt.date_from, date_to=flt.date_to, grain=flt.grain, sources=flt.sources,
                  synthetic=flt.synthetic)


def is_coverage_scope(flt: Filter) -> bool:
    """True when every article matching the filter counts as coverage (nothing narrower is selected)."""
    return coverage_scope(flt) == flt


def coverage_day_sql(flt: Filter, p: Params) -> str:
    """SQL with columns ``day, source, articles`` over the coverage scope (or every filter part when
    the filter is only a scope): from the daily roll-up when fresh, else from the articles table."""
    if rollups_ready() and is_coverage_scope(flt):
        sources = ""
        if flt.sources:
            sources = f" AND source IN (SELECT unnest({p(list(flt.sources))}::VARCHAR[]))"
        return (
            f"SELECT day, coalesce(source, {p(NO_SOURCE)}) AS source, articles FROM rollup_articles "
            f"WHERE TRUE{rollup_scope(flt, p)}{sources}"
        )
    return (
        f"SELECT a.published AS day, coalesce(a.source, {p(NO_SOURCE)}) AS source, 1 AS articles FROM articles a "
        f"WHERE a.published IS NOT NULL AND {where_clause(flt, p)}"
    )


def period_coverage(cur, flt: Filter, periods: pd.DatetimeIndex) -> pd.Series:
    """Articles in the filter's coverage scope per period (indexed like ``periods``, zeros filled)."""
    scope = coverage_scope(flt)
    p = Params()
    df = fetch_df(
        cur,
        f"SELECT {period_expr(flt.grain, 'day')} AS period, sum(articles) AS n FROM ({coverage_day_sql(scope, p)}) GROUP BY ALL",
        p,
    )
    series = pd.Series(df["n"].to_numpy(dtype="int64"), index=pd.to_datetime(df["period"]), dtype="int64")
    return series.reindex(periods, fill_value=0)


def coverage(db_path: str | os.PathLike, flt: Filter, matching: bool = False) -> pd.DataFrame:
    """Articles per source and period at the filter's grain: every period of the range x every source
    with an article in it, zeros where a source has none (zero is the information here).

    Counted over the filter's coverage scope (see the module docstring), so the strip under a topic
    chart shows what the archive holds rather than repeating the chart; ``matching=True`` counts only
    the articles matching every part of the filter. The range is the filter's dates, closed by the data.
    """
    grain_sql(flt.grain)
    cur = cursor(db_path)
    scope = flt if matching else coverage_scope(flt)
    p = Params()
    counts = fetch_df(
        cur,
        f"SELECT {period_expr(flt.grain, 'day')} AS period, source, sum(articles) AS articles "
        f"FROM ({coverage_day_sql(scope, p)}) GROUP BY ALL",
        p,
    )
    first, last = date_bounds(cur, scope)
    periods = period_range(first, last, flt.grain)
    if counts.empty or not len(periods):
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[ns]"), "source": pd.Series(dtype="object"),
                             "articles": pd.Series(dtype="int64")})
    counts["period"] = pd.to_datetime(counts["period"])
    order = _sources_by_first_article(counts)
    grid = pd.MultiIndex.from_product([periods, order], names=["period", "source"])
    out = counts.set_index(["period", "source"])["articles"].reindex(grid, fill_value=0).reset_index()
    out["articles"] = out["articles"].astype("int64")
    return out[COVERAGE_COLUMNS]


def _sources_by_first_article(counts: pd.DataFrame) -> list[str]:
    """Sources ordered by when they enter the archive (then by name), the natural order of a coverage chart."""
    first = counts[counts["articles"] > 0].groupby("source")["period"].min().reset_index()
    return list(first.sort_values(["period", "source"], kind="stable")["source"])


def archive_span(db_path: str | os.PathLike, flt: Filter, grain: str = "month") -> dict:
    """The span the archive really covers under the filter's coverage scope, and where it is dense.

    Returns ``first_date, last_date, articles`` (the actual span), ``periods`` and ``empty_periods`` (at
    ``grain``, between the first and last period), ``densest_from, densest_to, densest_articles,
    densest_share`` (see `DENSEST_SPAN_RULE`: the run of consecutive non-empty periods holding the most
    articles, ties to the later run; its dates are its first and last article) and ``core_from, core_to,
    core_articles`` (see `CORE_SPAN_RULE`; ties to the earlier window). Dates are None on an empty archive.
    """
    grain_sql(grain)
    cur = cursor(db_path)
    scope = coverage_scope(flt).replace(grain=grain)
    p = Params()
    days = fetch_df(
        cur, f"SELECT day, sum(articles) AS n FROM ({coverage_day_sql(scope, p)}) GROUP BY day ORDER BY day", p
    )
    out = {
        "first_date": None, "last_date": None, "articles": 0, "periods": 0, "empty_periods": 0,
        "densest_from": None, "densest_to": None, "densest_articles": 0, "densest_share": 0.0,
        "core_from": None, "core_to": None, "core_articles": 0,
    }
    if days.empty:
        return out
    day_values = [_to_date(d) for d in days["day"]]
    counts = days["n"].to_numpy(dtype="int64")
    total = int(counts.sum())
    periods = period_range(day_values[0], day_values[-1], grain)
    per_period = pd.Series(counts, index=pd.to_datetime(
        [pd.Timestamp(period_start(d, grain)) for d in day_values])).groupby(level=0).sum().reindex(periods, fill_value=0)
    run_start, run_end = densest_run(per_period.to_numpy())
    run_lo, run_hi = periods[run_start], periods[run_end]
    in_run = [(d, n) for d, n in zip(day_values, counts) if run_lo <= pd.Timestamp(period_start(d, grain)) <= run_hi]
    core = core_window(np.array([d.toordinal() for d in day_values]), counts, DENSE_SHARE)
    out.update(
        first_date=day_values[0], last_date=day_values[-1], articles=total, periods=len(periods),
        empty_periods=int((per_period == 0).sum()),
        densest_from=in_run[0][0], densest_to=in_run[-1][0], densest_articles=int(sum(n for _, n in in_run)),
        core_from=day_values[core[0]], core_to=day_values[core[1]], core_articles=int(counts[core[0]:core[1] + 1].sum()),
    )
    out["densest_share"] = out["densest_articles"] / total
    return out


def densest_run(per_period: np.ndarray) -> tuple[int, int]:
    """(first, last) index of the run of consecutive non-zero entries with the largest sum (ties: the later).

    An all-zero input gives (0, 0).
    """
    best, best_sum = (0, 0), -1
    start = None
    running = 0
    for i, n in enumerate(list(per_period) + [0]):
        if n > 0:
            if start is None:
                start, running = i, 0
            running += int(n)
        elif start is not None:
            if running >= best_sum:
                best, best_sum = (start, i - 1), running
            start = None
    return best


def core_window(ordinals: np.ndarray, counts: np.ndarray, share: float) -> tuple[int, int]:
    """(i, j) indexes of the shortest day window [ordinals[i], ordinals[j]] whose counts sum to at least
    ``share`` of the total (ties: the earliest). ``ordinals`` are sorted day numbers, one per entry."""
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    need = share * cumulative[-1]
    best, best_len = (0, len(counts) - 1), None
    for i in range(len(counts)):
        # smallest j with cumulative[j + 1] - cumulative[i] >= need
        j = int(np.searchsorted(cumulative, cumulative[i] + need - 1e-9, side="left")) - 1
        if j >= len(counts):
            break
        j = max(j, i)
        length = int(ordinals[j] - ordinals[i])
        if best_len is None or length < best_len:
            best, best_len = (i, j), length
    return best


def _to_date(value) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value
