"""Daily roll-ups the read side answers unfiltered time series from (write side, end of a writer block).

At a million articles, counting tags per period from the raw tables takes seconds; the same counts
summed from per-day roll-ups take milliseconds. `build_rollups(con)` recreates the small derived
tables and records a signature of the data they were built from; the queries use them only while
that signature still matches the database (and only for filters that are just a date range and the
synthetic switch), so a writer that forgets to rebuild makes answers slower, never wrong.

- ``rollup_articles(day, source, synthetic, articles, views_sum)``
- ``rollup_tags(day, kind, key, label, synthetic, articles, views_sum)``
- ``rollup_authors(day, author, synthetic, articles, views_sum)``
- ``rollup_pairs(day, kind, a, b, synthetic, together)``: articles carrying both keys (a < b), for the
  kinds in ``PAIR_KINDS``
- ``rollup_tag_views(day, kind, key, synthetic, bucket, articles)``: a histogram of views per key of
  every dimension (``kind`` is the tag kind, or ``source`` / ``author``)
  (``bucket = floor(ln(1 + views) * VIEW_BUCKETS_PER_E)``), from which medians are interpolated
- ``rollup_article_views(day, synthetic, bucket, articles)``: the same histogram over all articles
- ``article_growth(article_id, growth)``: views gained between the first and last snapshot
- ``tags_by_key`` / ``tags_by_article``: the tags table sorted two ways, so DuckDB's zone maps skip
  straight to one key's or one article's rows (DuckDB has no secondary index that would do this cheaply)
- ``rollup_summary(kind, tags, articles, keys)``: the About page's tag counts
"""

from __future__ import annotations

import duckdb

SIGNATURE_KEY = "rollups_signature"
PAIR_KINDS = ("country", "person")
VIEW_BUCKETS_PER_E = 16  # bucket width 1/16 in ln(1 + views): medians within about 3%

# One row of facts that changes whenever articles, views or tags change.
SIGNATURE_SQL = """
    SELECT concat_ws('|',
        (SELECT count(*) FROM articles),
        (SELECT count(*) FROM tags),
        (SELECT count(*) FROM view_snapshots),
        (SELECT coalesce(sum(hash(article_id, views)), 0) FROM articles),
        (SELECT coalesce(max(tagged_at)::VARCHAR, '') FROM articles),
        (SELECT coalesce(max(last_seen)::VARCHAR, '') FROM articles))
"""

_BUILD = [
    """CREATE OR REPLACE TABLE rollup_articles AS
       SELECT published AS day, source, synthetic, count(*) AS articles, coalesce(sum(views), 0) AS views_sum
       FROM articles WHERE published IS NOT NULL GROUP BY ALL ORDER BY day""",
    """CREATE OR REPLACE TABLE rollup_tags AS
       SELECT t.published AS day, t.kind, t.key, min(t.label) AS label, a.synthetic,
              count(DISTINCT t.article_id) AS articles, coalesce(sum(a.views), 0) AS views_sum
       FROM about_tags t JOIN articles a ON a.article_id = t.article_id
       WHERE t.published IS NOT NULL GROUP BY t.published, t.kind, t.key, a.synthetic ORDER BY t.kind, day""",
    """CREATE OR REPLACE TABLE rollup_authors AS
       SELECT published AS day, author, synthetic, count(*) AS articles, coalesce(sum(views), 0) AS views_sum
       FROM (SELECT published, synthetic, views, unnest(list_distinct(authors)) AS author
             FROM articles WHERE published IS NOT NULL)
       GROUP BY ALL ORDER BY day""",
    f"""CREATE OR REPLACE TABLE rollup_pairs AS
       WITH t AS (SELECT DISTINCT t.article_id, t.published, t.kind, t.key, a.synthetic
                  FROM about_tags t JOIN articles a ON a.article_id = t.article_id
                  WHERE t.published IS NOT NULL AND t.kind IN {PAIR_KINDS!r})
       SELECT x.published AS day, x.kind, x.key AS a, y.key AS b, x.synthetic, count(*) AS together
       FROM t x JOIN t y ON x.article_id = y.article_id AND x.kind = y.kind AND x.key < y.key
       GROUP BY ALL ORDER BY x.kind, day""",
    f"""CREATE OR REPLACE TABLE rollup_tag_views AS
       WITH keyed AS (
           SELECT t.published AS day, t.kind, t.key, a.synthetic, a.views
           FROM about_tags t JOIN articles a ON a.article_id = t.article_id
           UNION ALL
           SELECT published, 'source', source, synthetic, views FROM articles WHERE source IS NOT NULL
           UNION ALL
           SELECT published, 'author', unnest(list_distinct(authors)), synthetic, views FROM articles)
       SELECT day, kind, key, synthetic,
              CAST(floor(ln(1 + views) * {VIEW_BUCKETS_PER_E}) AS SMALLINT) AS bucket, count(*) AS articles
       FROM keyed WHERE day IS NOT NULL AND views IS NOT NULL GROUP BY ALL ORDER BY kind, key, day""",
    f"""CREATE OR REPLACE TABLE rollup_article_views AS
       SELECT published AS day, synthetic, CAST(floor(ln(1 + views) * {VIEW_BUCKETS_PER_E}) AS SMALLINT) AS bucket,
              count(*) AS articles
       FROM articles WHERE published IS NOT NULL AND views IS NOT NULL GROUP BY ALL ORDER BY day""",
    """CREATE OR REPLACE TABLE article_growth AS
       SELECT article_id, arg_max(views, observed_at) - arg_min(views, observed_at) AS growth
       FROM view_snapshots GROUP BY article_id HAVING count(*) > 1 ORDER BY growth DESC""",
    """CREATE OR REPLACE TABLE tags_by_key AS
       SELECT kind, key, published, article_id, label FROM about_tags ORDER BY kind, key, published""",
    """CREATE OR REPLACE TABLE tags_by_article AS SELECT * FROM tags ORDER BY article_id""",
    """CREATE OR REPLACE TABLE rollup_summary AS
       SELECT kind, count(*) AS tags, count(DISTINCT article_id) AS articles, count(DISTINCT key) AS keys
       FROM tags GROUP BY kind ORDER BY kind""",
]
TABLES = ("rollup_articles", "rollup_tags", "rollup_authors", "rollup_pairs", "rollup_tag_views", "rollup_article_views",
          "article_growth", "tags_by_key", "tags_by_article", "rollup_summary")


def signature(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(SIGNATURE_SQL).fetchone()[0]


def build_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Recreate the roll-up tables from the current articles and tags (a writable connection)."""
    for statement in _BUILD:
        con.execute(statement)
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [SIGNATURE_KEY, signature(con)])


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Everything the read side derives from the data: roll-ups and the BM25 search index.

    Call it once at the end of a `trends.store.writer()` block that changed articles or tags.
    """
    from trends.search_index import build_search_index

    build_rollups(con)
    build_search_index(con)
