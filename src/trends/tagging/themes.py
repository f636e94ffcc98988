"""Discovered themes: an NMF model on TF-IDF, so analysts see what the taxonomy misses.

Fitting and assigning are apart: ``fit(texts) -> ThemeModel`` (serialisable: ``to_bytes`` /
``from_bytes``, no pickle) and ``assign(model, texts) -> [[Tag]]``, so new articles can be given the
themes of a model fitted earlier instead of refitting on every ingest. A theme's label is its top terms;
its key is a slug of them (``oil-opec-crude``). On a refit, ``fit(texts, previous=old_model)`` (or the
old ``(key, top_terms)`` pairs) matches each new theme to an old one by the overlap of their weighted top
terms (an optimal one-to-one assignment) and keeps the old key where they match, so past theme trends
and shared links keep their meaning.

An article gets its dominant theme(s): those holding at least ``MIN_SHARE`` of its theme weight (at
most ``MAX_THEMES_PER_ARTICLE``). Scores are scaled like topics: a share of exactly ``MIN_SHARE``
scores ABOUT_THRESHOLD. ``fit_themes(con)`` is the database wrapper (fit on a sample, keep the stored
keys, assign every article).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from trends.tagging import storage
from trends.tagging.classifier import load_arrays, save_arrays
from trends.tagging.features import Vocabulary
from trends.tagging.model import ABOUT_THRESHOLD, Tag

SAMPLE_SIZE = 20_000
MIN_ARTICLES = 8
MIN_SHARE = 0.3
MAX_THEMES_PER_ARTICLE = 2
TOP_TERMS = 8
LABEL_TERMS = 3
BATCH = 5_000
MATCH_SIMILARITY = 0.4  # weighted top-term overlap at which a new theme keeps an old theme's key
FORMAT = "commentary-trends/theme-model/1"


@dataclass
class ThemeModel:
    vocabulary: Vocabulary
    components: np.ndarray  # (themes, features) NMF H
    keys: list[str]
    labels: list[str]
    top_terms: list[list[str]]
    weights: list[float]  # share of the fitting sample's theme mass
    fitted_at: str = ""
    facts: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def top_term_weights(self, i: int) -> dict[str, float]:
        row = self.components[i]
        order = np.argsort(-row)[:TOP_TERMS]
        total = float(row[order].sum()) or 1.0
        return {self.vocabulary.features[j]: float(row[j]) / total for j in order}

    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT, "keys": self.keys, "labels": self.labels, "top_terms": self.top_terms,
                "weights": self.weights, "fitted_at": self.fitted_at, "facts": self.facts}
        return save_arrays({"theme_meta": np.array([json.dumps(meta)]), "theme_components": self.components.astype(np.float32),
                            **self.vocabulary.to_arrays("theme")})

    @classmethod
    def from_bytes(cls, data: bytes) -> "ThemeModel":
        def read(meta, arrays):
            return cls(Vocabulary.from_arrays(arrays, "theme"), arrays["theme_components"].astype(np.float64),
                       meta["keys"], meta["labels"], meta["top_terms"], meta["weights"], meta.get("fitted_at", ""),
                       meta.get("facts") or {})

        return load_arrays(data, "theme model", "theme_meta", FORMAT, read)


def _n_themes(n_docs: int) -> int:
    """About sqrt(n/10) themes, between 3 and 30 (3 000 articles -> 17)."""
    return max(3, min(30, round(math.sqrt(n_docs / 10)), n_docs // 2))


def _slug(terms: Sequence[str]) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(terms[:LABEL_TERMS]).lower()).strip("-") or "theme"


def fit(
    texts: Sequence[str], n_themes: int | None = None, seed: int = 0,
    previous: ThemeModel | Sequence[tuple[str, Sequence[str]]] | None = None,
) -> ThemeModel | None:
    """Fit a theme model on ``texts`` (None if there are fewer than MIN_ARTICLES); keys of ``previous``
    themes are kept for the new themes that match them."""
    from sklearn.decomposition import NMF
    from threadpoolctl import threadpool_limits

    texts = list(texts)
    if len(texts) < MIN_ARTICLES:
        return None
    vocab = Vocabulary.fit(texts, min_df=2 if len(texts) >= 50 else 1, max_df=0.5, max_features=20_000,
                           min_length=3, letters_only=True)
    matrix = vocab.matrix(texts)
    k = n_themes or _n_themes(len(texts))
    k = max(1, min(k, matrix.shape[0] - 1, matrix.shape[1] - 1))
    nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    # one BLAS/OpenMP thread: a multithreaded BLAS rounds differently with the thread count, so two fits
    # of the same texts would differ in the 4th decimal of a score between a process whose BLAS got 2
    # threads and one whose BLAS got 1 (Dask sets OMP/OPENBLAS_NUM_THREADS=1 in the driver when a
    # LocalCluster starts); the fit is then the same on any machine and in any process
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # a near-perfect fit on a tiny corpus makes sklearn's error report take sqrt(-0.0); not our concern
        warnings.simplefilter("ignore", RuntimeWarning)
        doc_weights = nmf.fit_transform(matrix)
    mass = doc_weights.sum(axis=0)
    order = np.argsort(-mass)  # rank themes by how much of the sample they cover
    components = nmf.components_[order]
    terms = np.array(vocab.features)
    top = [[str(t) for t in terms[np.argsort(-row)[:TOP_TERMS]]] for row in components]
    total = float(mass.sum()) or 1.0
    model = ThemeModel(
        vocab, components, [""] * k, [" / ".join(t[:LABEL_TERMS]) for t in top], top,
        [float(mass[i] / total) for i in order], dt.datetime.now().replace(microsecond=0).isoformat(),
        {"themes": k, "sample": len(texts), "vocabulary": len(vocab), "method": "nmf", "min_share": MIN_SHARE},
    )
    model.keys = _stable_keys(model, previous)
    return model


def _term_weights(previous) -> list[tuple[str, dict[str, float]]]:
    if isinstance(previous, ThemeModel):
        return [(previous.keys[i], previous.top_term_weights(i)) for i in range(len(previous))]
    out = []
    for key, terms in previous or []:
        terms = list(terms)[:TOP_TERMS]
        weight = {t: (TOP_TERMS - r) for r, t in enumerate(terms)}  # rank weights when only the terms are known
        total = sum(weight.values()) or 1
        out.append((key, {t: w / total for t, w in weight.items()}))
    return out


def _stable_keys(model: ThemeModel, previous) -> list[str]:
    """New keys from the top terms, except where a new theme matches an old one: then the old key."""
    new = [model.top_term_weights(i) for i in range(len(model))]
    old = _term_weights(previous)
    keys: list[str | None] = [None] * len(new)
    if old:
        from scipy.optimize import linear_sum_assignment

        sim = np.array([[sum(min(a.get(t, 0.0), w) for t, w in b.items()) for _, b in old] for a in new])
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows, cols):
            if sim[r, c] >= MATCH_SIMILARITY:
                keys[r] = old[c][0]
    used = {k for k in keys if k}
    reserved = {key for key, _ in old}  # an unmatched old key is not reused for a different theme
    for i, key in enumerate(keys):
        if key:
            continue
        base = _slug(model.top_terms[i])
        key, n = base, 2
        while key in used or key in reserved:
            key, n = f"{base}-{n}", n + 1
        keys[i] = key
        used.add(key)
    return keys  # type: ignore[return-value]


def assign(model: ThemeModel, texts: Sequence[str]) -> list[list[Tag]]:
    """Each text's dominant themes under ``model`` (NMF weights with the model's components held fixed,
    `trends.tagging.nnls`: each text's weights on its own, whatever batch it comes in)."""
    from trends.tagging.nnls import solve

    if not texts:
        return []
    H = model.components.astype(np.float64)
    XHt = np.zeros((len(texts), len(model)))
    for i, text in enumerate(texts):  # X H^T from each text's sparse tf-idf row (no scipy matrix needed)
        rows, values = model.vocabulary.vector(text)
        XHt[i] = H[:, rows] @ values.astype(np.float64)
    weights = solve(XHt, H @ H.T)
    return [_dominant(w, model) for w in weights]


def _dominant(weights: np.ndarray, model: ThemeModel) -> list[Tag]:
    total = float(weights.sum())
    if total <= 0:
        return []
    tags = []
    for component in np.argsort(-weights)[:MAX_THEMES_PER_ARTICLE]:
        share = float(weights[component]) / total
        if share < MIN_SHARE:
            break
        score = round(min(1.0, ABOUT_THRESHOLD * share / MIN_SHARE), 4)
        tags.append(Tag("theme", model.keys[component], model.labels[component], 1, [], score, "nmf"))
    return tags


def fit_themes(con, n_themes: int | None = None, sample_size: int = SAMPLE_SIZE, progress=None, seed: int = 0) -> dict:
    """Fit the theme model on ``con``'s articles (keeping the keys of the stored themes that match) and
    replace every theme tag. Returns the model facts."""
    sample = storage.sample_texts(con, sample_size)
    previous = con.execute("SELECT key, top_terms FROM themes").fetchall()
    model = fit([text for _, text in sample], n_themes=n_themes, seed=seed, previous=previous)
    fitted_at = dt.datetime.now().replace(microsecond=0)
    if model is None:
        facts = {"themes": 0, "sample": len(sample), "fitted_at": fitted_at.isoformat(), "note": "too few articles"}
        storage.replace_themes(con, [], facts)
        return facts
    facts = {**model.facts, "fitted_at": fitted_at.isoformat()}
    rows = [(model.keys[i], model.labels[i], model.top_terms[i], model.weights[i], 0, fitted_at) for i in range(len(model))]
    storage.replace_themes(con, rows, facts, model=model)  # stored, so later ingests assign new articles
    assigned = 0
    con.execute("BEGIN TRANSACTION")
    for batch in storage.iter_texts(con, BATCH):
        tag_rows = []
        for (article_id, _, published), tags in zip(batch, assign(model, [text for _, text, _ in batch])):
            tag_rows.extend(storage.tag_rows(article_id, published, tags))
        storage.insert_theme_tags(con, tag_rows)
        assigned += len(tag_rows)
        if progress is not None:
            progress.update(len(batch))
    storage.set_theme_counts(con)
    con.execute("COMMIT")
    facts["assigned"] = assigned
    return facts
