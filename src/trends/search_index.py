"""Builds the BM25 full-text index over article titles and bodies (write side, end of a writer block).

Call `build_search_index(con)` with the writable connection from `trends.store.writer()` after the
articles changed (ingest, demo, retag). The index lives in the schema ``fts_main_articles`` of the
same file, so readers that ATTACH the file as ``db`` find `fts_main_articles.match_bm25` there.

The fts extension's ``match_bm25`` macro scans every term occurrence of the corpus per query (seconds at
a million articles). So we also keep ``fts_main_articles.postings(termid, article_id, tf, len)`` sorted
by term: a query then reads only its terms' rows (DuckDB's zone maps skip the rest) and computes the
same BM25 score (k1 = 1.2, b = 0.75, as the macro).
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
    con.execute(
        """CREATE OR REPLACE TABLE fts_main_articles.postings AS
           SELECT t.termid, d.name AS article_id, CAST(count(*) AS INTEGER) AS tf, CAST(d.len AS INTEGER) AS len
           FROM fts_main_articles.terms t JOIN fts_main_articles.docs d ON d.docid = t.docid
           GROUP BY t.termid, d.name, d.len ORDER BY t.termid"""
    )
    return True
