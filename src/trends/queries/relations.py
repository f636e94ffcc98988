"""Which keys are mentioned together: pair counts with lift and PMI, as an edge list or a matrix."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from trends.filters import Filter
from trends.queries._base import (
    Params,
    QueryError,
    TAG_KINDS,
    counted_rows,
    cursor,
    fetch_df,
    matching_articles,
    range_sql,
    rollup_scope,
    tag_lookup_table,
    total_rows,
    use_rollups,
    where_clause,
)
from trends.derived import PAIR_KINDS

PAIR_ORDERS = ("together", "lift", "pmi")
_COLUMNS = ["a", "b", "label_a", "label_b", "together", "count_a", "count_b", "lift", "pmi"]


def co_mentions(
    db_path: str | os.PathLike,
    flt: Filter,
    kind: str = "country",
    min_count: int = 3,
    limit: int = 50,
    order: str = "together",
) -> pd.DataFrame:
    """Pairs of keys of one tag kind carried by the same matching article.

    ``together`` articles carry both; ``count_a``/``count_b`` carry each; with N matching articles,
    ``lift = together * N / (count_a * count_b)`` (1 = as often as chance) and ``pmi = log2(lift)``, so
    big countries that appear everywhere do not swamp the picture. Pairs with fewer than ``min_count``
    shared articles are dropped. ``a < b`` alphabetically.
    """
    if kind not in TAG_KINDS:
        raise QueryError(f"unknown tag kind {kind!r}; use one of {', '.join(TAG_KINDS)}")
    if order not in PAIR_ORDERS:
        raise QueryError(f"unknown order {order!r}; use one of {', '.join(PAIR_ORDERS)}")
    cur = cursor(db_path)
    p = Params()
    order_sql = {"together": "together DESC", "lift": "lift DESC", "pmi": "lift DESC"}[order]
    sql = f"{_pairs_sql(flt, kind, int(min_count), p)} ORDER BY {order_sql}, a, b LIMIT {p(int(limit))}"
    return _pair_frame(fetch_df(cur, sql, p))


def _pair_frame(df: pd.DataFrame) -> pd.DataFrame:
    df["pmi"] = np.log2(df["lift"].astype("float64")) if len(df) else pd.Series(dtype="float64")
    for col in ("together", "count_a", "count_b"):
        df[col] = df[col].astype("int64")
    return df[_COLUMNS]


def _pairs_sql(flt: Filter, kind: str, min_count: int, p: Params, keys: tuple[str, ...] | None = None) -> str:
    """SQL with the `co_mentions` columns (less pmi) for every pair with at least ``min_count`` shared
    articles; ``keys`` restricts both ends of a pair to those keys."""
    # one statement: N (the matching articles) is a scalar subquery, not a read of its own (issue 13)
    total = None
    if kind in PAIR_KINDS and use_rollups(flt):
        within = ""
        if keys is not None:
            chosen = p(list(keys))
            within = f" AND a IN (SELECT unnest({chosen}::VARCHAR[])) AND b IN (SELECT unnest({chosen}::VARCHAR[]))"
        pairs = (
            f"SELECT a, b, sum(together) AS together FROM rollup_pairs WHERE kind = {p(kind)}{rollup_scope(flt, p)}{within} "
            f"GROUP BY ALL HAVING sum(together) >= {p(min_count)}"
        )
        singles = f"SELECT key, min(label) AS label, sum(n) AS n FROM ({counted_rows(flt, kind, p, keys=keys)}) GROUP BY key"
        head = ""
    else:
        if where_clause(flt.replace(date_from=None, date_to=None), Params()) != "TRUE":
            # the matching articles once (`matching_articles`): N and the tag rows both read the set
            head, scope = f"fa AS MATERIALIZED ({matching_articles(flt, p, ())}), ", " AND article_id IN (SELECT article_id FROM fa)"
            total = "(SELECT count(*) FROM fa)"
        else:
            head, scope = "", range_sql(flt, p, "published")
        if keys is not None:
            scope += f" AND key IN (SELECT unnest({p(list(keys))}::VARCHAR[]))"
        # the about tags sorted by kind (`tag_lookup_table`): the scan skips the other kinds' row groups
        head += f"t AS (SELECT DISTINCT article_id, key, label FROM {tag_lookup_table()} WHERE kind = {p(kind)}{scope}), "
        singles = "SELECT key, min(label) AS label, count(*) AS n FROM t GROUP BY key"
        pairs = (
            f"SELECT x.key AS a, y.key AS b, count(*) AS together FROM t x JOIN t y "
            f"ON x.article_id = y.article_id AND x.key < y.key GROUP BY ALL HAVING count(*) >= {p(min_count)}"
        )
    total = total or f"(SELECT coalesce(sum(n), 0) FROM ({total_rows(flt, p)}))"
    return f"""
        WITH {head}singles AS ({singles}), pairs AS ({pairs})
        SELECT pairs.a, pairs.b, sa.label AS label_a, sb.label AS label_b, together,
               sa.n AS count_a, sb.n AS count_b,
               together * {total}::DOUBLE / (sa.n * sb.n) AS lift
        FROM pairs JOIN singles sa ON sa.key = pairs.a JOIN singles sb ON sb.key = pairs.b"""


NODE_COLUMNS = ["key", "label", "articles"]
EDGE_COLUMNS = ["a", "b", "label_a", "label_b", "together", "lift", "pmi"]


def co_mention_network(
    db_path: str | os.PathLike,
    flt: Filter,
    kind: str = "country",
    max_nodes: int = 30,
    min_count: int = 3,
    max_edges: int = 60,
    per_node: int = 3,
) -> dict:
    """The co-mention view as a network: ``{"nodes": DataFrame[key, label, articles], "edges":
    DataFrame[a, b, label_a, label_b, together, lift, pmi]}``.

    Nodes are the ``max_nodes`` keys of the kind with the most matching articles (ties by key). Edges
    join two of them when at least ``min_count`` articles carry both (the minimum support that keeps a
    lift from resting on one or two articles); each node keeps its ``per_node`` highest-lift edges, so
    the rare pairs with the highest lifts do not take every edge, and of those the ``max_edges`` with
    the highest lift are returned (ties: more shared articles, then by key). Lift and pmi are as in
    `co_mentions`. A node may have no edge.
    """
    if kind not in TAG_KINDS:
        raise QueryError(f"unknown tag kind {kind!r}; use one of {', '.join(TAG_KINDS)}")
    cur = cursor(db_path)
    p = Params()
    nodes = fetch_df(
        cur,
        f"SELECT key, min(label) AS label, sum(n) AS articles FROM ({counted_rows(flt, kind, p)}) "
        f"GROUP BY key ORDER BY articles DESC, key LIMIT {p(max(1, int(max_nodes)))}",
        p,
    )
    nodes["articles"] = nodes["articles"].astype("int64")
    empty = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("lift", "pmi") else "object") for c in EDGE_COLUMNS})
    if nodes.empty:
        return {"nodes": nodes[NODE_COLUMNS], "edges": empty}
    p = Params()
    sql = f"{_pairs_sql(flt, kind, max(1, int(min_count)), p, keys=tuple(nodes['key']))} ORDER BY lift DESC, together DESC, a, b"
    pairs = _pair_frame(fetch_df(cur, sql, p))
    if pairs.empty or max_edges <= 0:
        return {"nodes": nodes[NODE_COLUMNS], "edges": empty}
    rank = pd.concat([pairs[["a"]].rename(columns={"a": "key"}), pairs[["b"]].rename(columns={"b": "key"})])
    rank["pair"] = list(range(len(pairs))) * 2  # pairs are in edge order already
    kept = set(rank.sort_values(["key", "pair"]).groupby("key").head(max(1, int(per_node)))["pair"])
    edges = pairs.iloc[sorted(kept)].head(int(max_edges))[EDGE_COLUMNS].reset_index(drop=True)
    return {"nodes": nodes[NODE_COLUMNS], "edges": edges}


def co_mention_matrix(pairs: pd.DataFrame, value: str = "together") -> pd.DataFrame:
    """A symmetric key x key matrix of one measure from a `co_mentions` edge list (0 where no pair)."""
    if pairs.empty:
        return pd.DataFrame()
    keys = sorted(set(pairs["a"]) | set(pairs["b"]))
    matrix = pd.DataFrame(0.0, index=keys, columns=keys)
    for a, b, v in pairs[["a", "b", value]].itertuples(index=False):
        matrix.loc[a, b] = matrix.loc[b, a] = float(v)
    return matrix
