"""What drove a chart point: the top articles behind it and the words that set its period apart.

For a key (a topic, country, ...) in one period, the *focus* articles are the matching articles about
the key published in that period; the *comparison* articles are the same key's matching articles in
the `WINDOW` periods before and the `WINDOW` periods after it (at the filter's grain; the filter's own
date range is not applied, the point decides the dates). Words are scored by the weighted log-odds
with an informative Dirichlet prior of Monroe, Colaresi and Quinn (2008), "Fightin' Words", with the
focus and comparison articles together as the background corpus (`log_odds_dirichlet`).

Words are cut as the search index cuts them (`search_words`: lower case, accents stripped, split at
digits, punctuation and whitespace; the index's English stopwords removed; DuckDB's fts tokenizer
drops digits, so numbers are not terms: a number could not be searched) and grouped by their Porter
stem, as search matches them, keeping only stems the index holds; each term is shown as its commonest
spelling, which, typed into search, finds the articles it came from.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd

from trends.filters import Filter
from trends.queries._base import (
    Params,
    QueryError,
    _current_indexed,
    check_dimension,
    date_bounds,
    cursor,
    fetch_df,
    fetch_one,
    grain_offset,
    grain_sql,
    period_start,
    where_clause,
)
from trends.queries.articles import LIST_COLUMNS, LIST_SQL, _key_condition

WINDOW = 3  # grain periods on each side of the selected one
MAX_DOCS = 300  # articles tokenised per group at most (a deterministic sample by article id hash)
MAX_CHARS = 8000  # of each body (about 1,300 words: a long speech is read up to there)
# What DuckDB's fts tokenizer (our search index, stemmer porter) turns into spaces, plus typographic
# quotes, dashes and ellipses; combining marks are what strip_accents removes after decomposition.
_SPLIT = re.compile(r"[\W_]+")  # anything not a letter or a digit, as trends.derived.words_sql
_COMBINING = re.compile(r"[\u0300-\u036f]+")
TERM_COLUMNS = ["term", "focus", "comparison", "log_odds", "zscore"]
DRIVERS_EXPLAINED = (
    "Words used unusually often in this period's articles about it, compared with its articles in the "
    "three periods before and after (log-odds with an informative Dirichlet prior, Monroe et al. 2008); "
    "click a word to search for it."
)


def log_odds_dirichlet(
    focus: pd.Series, comparison: pd.Series, prior: pd.Series | None = None, prior_size: float | None = None
) -> pd.DataFrame:
    """Monroe, Colaresi and Quinn (2008), section 3.5.1: per word w, with counts y_i (focus), y_j
    (comparison), totals n_i, n_j, and prior pseudo-counts a_w summing to a_0:

        delta_w = ln((y_i + a_w) / (n_i + a_0 - y_i - a_w)) - ln((y_j + a_w) / (n_j + a_0 - y_j - a_w))
        var_w ~= 1 / (y_i + a_w) + 1 / (y_j + a_w),   z_w = delta_w / sqrt(var_w)

    ``prior`` holds the background corpus's counts (default: focus + comparison); a_w are those counts
    themselves, or scaled to sum to ``prior_size`` when given (the prior's weight: the background's
    word frequencies as a_w / a_0, worth a_0 words of evidence). Inputs are counts indexed by word;
    returns ``word``-indexed ``focus, comparison, log_odds, zscore`` sorted by z (largest first, ties by
    word). Words absent from the background are left out (their log-odds are undefined).
    """
    words = focus.index.union(comparison.index)
    y_i = focus.reindex(words, fill_value=0).astype("float64")
    y_j = comparison.reindex(words, fill_value=0).astype("float64")
    background = (y_i + y_j) if prior is None else prior.astype("float64")
    scale = 1.0 if prior_size is None else float(prior_size) / float(background.sum())
    a_0 = float(background.sum()) * scale
    alpha = background.reindex(words, fill_value=0) * scale
    keep = alpha > 0
    y_i, y_j, alpha = y_i[keep], y_j[keep], alpha[keep]
    n_i, n_j = float(focus.sum()), float(comparison.sum())
    delta = np.log((y_i + alpha) / (n_i + a_0 - y_i - alpha)) - np.log((y_j + alpha) / (n_j + a_0 - y_j - alpha))
    variance = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
    out = pd.DataFrame({"focus": y_i.astype("int64"), "comparison": y_j.astype("int64"), "log_odds": delta,
                        "zscore": delta / np.sqrt(variance)})
    out.index.name = "word"
    return out.reset_index().sort_values(["zscore", "word"], ascending=[False, True], kind="stable").set_index("word")


def drivers(
    db_path: str | os.PathLike,
    flt: Filter,
    dimension: str,
    key: str,
    period: dt.date | pd.Timestamp | str,
    window: int = WINDOW,
    terms: int = 15,
    articles: int = 10,
    min_count: int = 3,
    same_sources: bool = True,
) -> dict:
    """Why a point stands out. Returns a dict:

    - ``articles``: DataFrame[article_id, title, source, published, views, authors], the top ``articles``
      behind the point (most viewed first, then newest);
    - ``terms``: DataFrame[term, focus, comparison, log_odds, zscore], the ``terms`` words most
      distinctive of the period (used at least ``min_count`` times in it, z > 0, largest z first;
      ``focus`` / ``comparison`` are counts in the sampled articles);
    - ``focus_articles``, ``comparison_articles``: how many articles each side has (before sampling);
    - ``period_start``, ``period_end``, ``comparison_start``, ``comparison_end``: dates, ends inclusive;
    - ``compared_with``: "same sources" (the comparison is the focus articles' own sources, the
      default with ``same_sources``) or "all sources" (those sources have nothing around the period);
    - ``notice``: "" or a sentence on why the terms are missing or what they are compared with.

    The prior is the background (focus + comparison) weighted as the smaller side's word count, so it
    never outweighs either side's own evidence. See the module docstring for window and tokenisation.
    """
    check_dimension(dimension)
    grain_sql(flt.grain)
    if key is None or period is None:
        raise QueryError("drivers needs a key and a period")
    window = max(1, int(window))
    start = period_start(pd.Timestamp(period).date(), flt.grain)
    step = grain_offset(flt.grain)
    end = (pd.Timestamp(start) + step).date()
    lo = (pd.Timestamp(start) - step * window).date()
    hi = (pd.Timestamp(end) + step * window).date()
    cur = cursor(db_path)
    undated = flt.replace(date_from=None, date_to=None)

    p = Params()
    s, e = p(start), p(end)
    about = _key_condition(dimension, str(key), p, f" AND published >= {s} AND published < {e}")
    top = fetch_df(
        cur,
        f"SELECT {LIST_SQL} FROM articles a WHERE {where_clause(undated, p)} AND {about} AND a.published >= {s} AND a.published < {e} "
        f"ORDER BY a.views DESC NULLS LAST, a.published DESC, a.article_id LIMIT {p(max(0, int(articles)))}",
        p,
    )
    top["published"] = pd.to_datetime(top["published"])

    p = Params()
    about = _key_condition(dimension, str(key), p, f" AND published >= {p(lo)} AND published < {p(hi)}")
    counts = _word_counts(cur, f"{where_clause(undated, p)} AND {about}", start, end, lo, hi, p, same_sources)
    first, last = date_bounds(cur, undated)
    out = {
        "articles": top[LIST_COLUMNS],
        "terms": pd.DataFrame({c: pd.Series(dtype="float64" if c in ("log_odds", "zscore") else "object") for c in TERM_COLUMNS}),
        "focus_articles": counts["docs"]["focus"],
        "comparison_articles": counts["docs"]["comparison"],
        # The dates shown are within the data: the window of a period near the archive's end (or start)
        # reaches past it, and "compared with ... to 2025-03-31" would name months nobody has seen.
        "period_start": max(start, first or start),
        "period_end": min(end - dt.timedelta(days=1), last or end),
        "comparison_start": max(lo, first or lo),
        "comparison_end": min(hi - dt.timedelta(days=1), last or hi),
        "compared_with": counts["compared_with"],
        "notice": "",
    }
    if not out["focus_articles"]:
        out["notice"] = "No articles about it in this period."
        return out
    if not out["comparison_articles"]:
        out["notice"] = (f"No other articles about it from {out['comparison_start']} to {out['comparison_end']}, so there is nothing "
                         "to compare this period's words with.")
        return out
    if same_sources and counts["compared_with"] == "all sources":
        out["notice"] = ("This period's sources have no other articles about it in the periods around it, so its "
                         "words are compared with other sources' articles.")
    focus = counts["words"].get("focus", pd.Series(dtype="int64"))
    comparison = counts["words"].get("comparison", pd.Series(dtype="int64"))
    if focus.empty or comparison.empty:
        out["notice"] = out["notice"] or "These articles have no words to compare."
        return out
    scored = log_odds_dirichlet(focus, comparison, prior_size=min(float(focus.sum()), float(comparison.sum())))
    scored = scored[(scored["focus"] >= int(min_count)) & (scored["zscore"] > 0)].head(max(0, int(terms)))
    if scored.empty:
        out["notice"] = out["notice"] or "No word stands out in this period against the periods around it."
        return out
    out["terms"] = pd.DataFrame({
        "term": [counts["spelling"][w] for w in scored.index],
        "focus": scored["focus"].to_numpy(), "comparison": scored["comparison"].to_numpy(),
        "log_odds": scored["log_odds"].to_numpy(), "zscore": scored["zscore"].to_numpy(),
    })[TERM_COLUMNS]
    return out


def _word_counts(
    cur, matching: str, start: dt.date, end: dt.date, lo: dt.date, hi: dt.date, p: Params, same_sources: bool
) -> dict:
    """Word counts of the focus and comparison articles (each sampled to `MAX_DOCS`), grouped by stem.

    With ``same_sources`` the comparison articles are those of the focus articles' sources, unless
    those have none around the period (then every source's). Returns ``{"docs": {group: articles},
    "words": {group: Series stem -> count}, "spelling": {stem: commonest word}, "compared_with":
    "same sources" | "all sources"}``.
    """
    indexed = _current_indexed()
    s, e = p(start), p(end)
    matched = f"""m AS (
            SELECT a.article_id, coalesce(a.source, '') AS source,
                   CASE WHEN a.published >= {s} AND a.published < {e} THEN 'focus' ELSE 'comparison' END AS grp
            FROM articles a WHERE {matching} AND a.published >= {p(lo)} AND a.published < {p(hi)}),
        fs AS (SELECT DISTINCT source FROM m WHERE grp = 'focus')"""
    focus_n, same_n, all_n = fetch_one(
        cur,
        f"""WITH {matched} SELECT count(*) FILTER (WHERE grp = 'focus'),
                   count(*) FILTER (WHERE grp = 'comparison' AND source IN (SELECT source FROM fs)),
                   count(*) FILTER (WHERE grp = 'comparison') FROM m""",
        p,
    )
    same = bool(same_sources and same_n)
    sizes = {"focus": int(focus_n), "comparison": int(same_n if same else all_n)}
    picked = fetch_df(
        cur,
        f"""WITH {matched} SELECT article_id, grp FROM m
            WHERE {"grp = 'focus' OR source IN (SELECT source FROM fs)" if same else "TRUE"}
            QUALIFY row_number() OVER (PARTITION BY grp ORDER BY hash(article_id), article_id) <= {p(MAX_DOCS)}""",
        p,
    )
    compared = "same sources" if same else "all sources"
    if picked.empty:
        return {"docs": sizes, "words": {}, "spelling": {}, "compared_with": compared}
    # bodies by a list of bound ids: DuckDB then reads only the matching rows' text
    q = Params()
    texts = cur.execute(
        f"SELECT article_id, title || ' ' || left(body, {q(MAX_CHARS)}) FROM articles "
        f"WHERE article_id IN ({', '.join(q(int(x)) for x in picked['article_id'])})",
        q.values,
    ).fetchall()
    group_of = dict(zip(picked["article_id"], picked["grp"]))
    stop = set(_stopwords(cur, indexed))
    counted: dict[str, Counter] = {"focus": Counter(), "comparison": Counter()}
    for article_id, text in texts:
        counted[group_of[article_id]].update(w for w in search_words(text) if len(w) > 1 and w not in stop)
    tokens = pd.DataFrame(
        [(grp, w, n) for grp, counter in counted.items() for w, n in counter.items()], columns=["grp", "w", "n"]
    )
    if tokens.empty:
        return {"docs": sizes, "words": {}, "spelling": {}, "compared_with": compared}
    unique = sorted(set(tokens["w"]))
    if indexed:  # words by stem, as search matches them; only stems the index holds (so search finds them)
        stems = dict(cur.execute(
            "SELECT t.w, d.term FROM (SELECT w, stem(w, 'porter') AS s FROM unnest(?::VARCHAR[]) u(w)) t "
            "JOIN term_docs d ON d.term = t.s", [unique]).fetchall())
    else:  # no fts extension: search matches whole words, so words are their own terms
        stems = {w: w for w in unique}
    tokens["stem"] = tokens["w"].map(stems)
    tokens = tokens.dropna(subset=["stem"])
    spelled = tokens.groupby(["stem", "w"], as_index=False)["n"].sum()
    spelled["length"] = spelled["w"].str.len()
    spelled = spelled.sort_values(["stem", "n", "length", "w"], ascending=[True, False, True, True], kind="stable")
    spelling = dict(spelled.drop_duplicates("stem")[["stem", "w"]].itertuples(index=False, name=None))
    words = {grp: part.groupby("stem")["n"].sum() for grp, part in tokens.groupby("grp")}
    return {"docs": sizes, "words": words, "spelling": spelling, "compared_with": compared}


def search_words(text: str) -> list[str]:
    """The words of ``text`` cut as the search index cuts them (`trends.derived.words_sql`): lower case,
    accents stripped, split at anything that is not a letter or a digit (digits stay: "2023", "g7")."""
    text = text.lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    return _SPLIT.sub(" ", text).split()


def _stopwords(cur, indexed: str | None) -> list[str]:
    """The search index's own stopword list (a stopword cannot be searched), else scikit-learn's."""
    if indexed:
        return [r[0] for r in cur.execute("SELECT word FROM memory.main.stopwords").fetchall()]
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS)
