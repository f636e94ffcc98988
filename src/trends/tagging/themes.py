"""Discovered themes: an NMF model on TF-IDF fitted on the stored corpus, so analysts see what the
taxonomy misses.

The model is fitted on a sample of at most ``SAMPLE_SIZE`` articles (article ids are hashes, so the
first N by id are a fair sample), then every article gets its dominant theme(s): those holding at least
``MIN_SHARE`` of the article's theme weight (at most ``MAX_THEMES_PER_ARTICLE``). A theme's label is
its top terms; its key is a slug of them, e.g. ``oil-opec-crude``, so a refit that finds the same theme
keeps the same key (and shared links that name it keep working).
Scores are scaled like topics: a share of exactly ``MIN_SHARE`` scores ABOUT_THRESHOLD.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings

import numpy as np

from trends.tagging import storage
from trends.tagging.model import ABOUT_THRESHOLD, Tag

SAMPLE_SIZE = 20_000
MIN_ARTICLES = 8
MIN_SHARE = 0.3
MAX_THEMES_PER_ARTICLE = 2
TOP_TERMS = 8
LABEL_TERMS = 3
BATCH = 5_000


def _unique_key(slug: str, taken: dict) -> str:
    used = {key for key, _ in taken.values()}
    key, n = slug or "theme", 2
    while key in used:
        key, n = f"{slug}-{n}", n + 1
    return key


def _n_themes(n_docs: int) -> int:
    """About sqrt(n/10) themes, between 3 and 30 (3 000 articles -> 17)."""
    return max(3, min(30, round(math.sqrt(n_docs / 10)), n_docs // 2))


def fit_themes(con, n_themes: int | None = None, sample_size: int = SAMPLE_SIZE, progress=None, seed: int = 0) -> dict:
    """Fit the theme model on ``con``'s articles and replace every theme tag. Returns the model facts."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    sample = storage.sample_texts(con, sample_size)
    fitted_at = dt.datetime.now().replace(microsecond=0)
    if len(sample) < MIN_ARTICLES:
        facts = {"themes": 0, "sample": len(sample), "fitted_at": fitted_at.isoformat(), "note": "too few articles"}
        storage.replace_themes(con, [], facts)
        return facts
    vectorizer = TfidfVectorizer(
        stop_words="english",
        max_df=0.5,
        min_df=2 if len(sample) >= 50 else 1,
        max_features=20_000,
        sublinear_tf=True,
        token_pattern=r"(?u)\b[^\W\d_][^\W\d_'-]{2,}\b",
    )
    matrix = vectorizer.fit_transform([text for _, text in sample])
    k = n_themes or _n_themes(len(sample))
    k = max(1, min(k, matrix.shape[0] - 1, matrix.shape[1] - 1))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    with warnings.catch_warnings():
        # a near-perfect fit on a tiny corpus makes sklearn's error report take sqrt(-0.0); not our concern
        warnings.simplefilter("ignore", RuntimeWarning)
        weights = model.fit_transform(matrix)
    terms = np.array(vectorizer.get_feature_names_out())
    mass = weights.sum(axis=0)
    order = np.argsort(-mass)  # rank themes by how much of the sample they cover
    themes, keys = [], {}
    for rank, component in enumerate(order, 1):
        top = [str(t) for t in terms[np.argsort(-model.components_[component])[:TOP_TERMS]]]
        key = _unique_key(re.sub(r"[^a-z0-9]+", "-", "-".join(top[:LABEL_TERMS]).lower()).strip("-"), keys)
        keys[component] = (key, " / ".join(top[:LABEL_TERMS]))
        themes.append((key, keys[component][1], top, float(mass[component] / mass.sum()) if mass.sum() else 0.0, 0, fitted_at))
    facts = {
        "themes": k,
        "sample": len(sample),
        "vocabulary": int(matrix.shape[1]),
        "method": "nmf",
        "min_share": MIN_SHARE,
        "fitted_at": fitted_at.isoformat(),
    }
    storage.replace_themes(con, themes, facts, model=(vectorizer, model, keys))

    assigned = 0
    con.execute("BEGIN TRANSACTION")
    for rows in storage.iter_texts(con, BATCH):
        doc_weights = model.transform(vectorizer.transform([text for _, text, _ in rows]))
        tag_rows = []
        for (article_id, _, published), w in zip(rows, doc_weights):
            tag_rows.extend(storage.tag_rows(article_id, published, assign(w, keys)))
        storage.insert_theme_tags(con, tag_rows)
        assigned += len(tag_rows)
        if progress is not None:
            progress.update(len(rows))
    storage.set_theme_counts(con)
    con.execute("COMMIT")
    facts["assigned"] = assigned
    return facts


def assign(weights: np.ndarray, keys: dict[int, tuple[str, str]]) -> list[Tag]:
    """The article's dominant themes from its NMF weights."""
    total = float(weights.sum())
    if total <= 0:
        return []
    tags = []
    for component in np.argsort(-weights)[:MAX_THEMES_PER_ARTICLE]:
        share = float(weights[component]) / total
        if share < MIN_SHARE:
            break
        key, label = keys[int(component)]
        score = round(min(1.0, ABOUT_THRESHOLD * share / MIN_SHARE), 4)
        tags.append(Tag("theme", key, label, 1, [], score, "nmf"))
    return tags


def assign_texts(fitted, texts: list[str]) -> list[list[Tag]]:
    """Theme tags for new texts from a stored fitted model (`trends.tagging.storage.load_theme_model`:
    its pickled bytes, or the unpickled ``(vectorizer, model, keys)``)."""
    import pickle

    vectorizer, model, keys = pickle.loads(fitted) if isinstance(fitted, bytes) else fitted
    if not texts:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        weights = model.transform(vectorizer.transform(list(texts)))
    return [assign(w, keys) for w in weights]
