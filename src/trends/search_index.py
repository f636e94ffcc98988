"""Builds the BM25 full-text index over article titles and bodies (write side, end of a writer block).

Call `build_search_index(con)` with the writable connection from `trends.store.writer()` after the
articles changed (ingest, demo, retag). The index lives in the schema ``fts_main_articles`` of the
same file, so readers that ATTACH the file as ``db`` find `fts_main_articles.match_bm25` there.
"""

from __future__ import annotations

import duckdb

from trends.store import load_fts


def build_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    """(Re)build the index; returns False (search then falls back to word matching) if fts cannot load."""
    if not load_fts(con):
        return False
    con.execute(
        "PRAGMA create_fts_index('articles', 'article_id', 'title', 'body', "
        "stemmer = 'porter', stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1)"
    )
    return True
