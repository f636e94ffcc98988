"""Word features for the topic classifier: one tokeniser and one TF-IDF vocabulary for training and tagging.

Tokens are runs of letters and digits, lower-cased (single characters are dropped by the vocabulary). A feature is a word's light lemma (its regular
plural folded: sanctions -> sanction, allies -> ally), so the vocabulary maps every surface seen in
training straight to its feature row and tagging needs no lemmatiser. TF is sublinear (1 + log tf),
weighted by IDF and L2-normalised, as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` does. The
same code builds the training matrix and scores one article at tagging time (a few dict look-ups and
one small matrix product), so training and tagging cannot drift apart.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from trends.tagging.lexicon import fold
from trends.tagging.scan import words_only

def tokens(text: str) -> list[str]:
    """Runs of letters and digits, lower-cased (the tagger's own whole-word rule, ``scan.words_only``)."""
    return words_only(fold(text)).split()


def light_lemma(word: str) -> str:
    """Fold the regular English plural: weapons -> weapon, allies -> ally, taxes -> tax (not 'press', 'us')."""
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if n > 4 and word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if n > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous", "ics")):
        return word[:-1]
    return word


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


class Vocabulary:
    """Surface -> feature row, with the IDF of each row."""

    def __init__(self, surfaces: dict[str, int], idf: np.ndarray, features: list[str]):
        self.surfaces = surfaces
        self.idf = idf.astype(np.float32)
        self.features = features

    @classmethod
    def fit(
        cls, texts: list[str], min_df: int = 3, max_df: float = 0.5, max_features: int = 20_000,
        min_length: int = 2, letters_only: bool = False,
    ) -> "Vocabulary":
        """Keep lemmas in at least ``min_df`` texts and at most ``max_df`` of them, the ``max_features``
        commonest; no stop words; ``min_length`` letters at least; ``letters_only`` drops tokens with digits."""
        stop = _stop_words()
        df: Counter = Counter()
        lemma_of: dict[str, str] = {}
        for text in texts:
            seen = set()
            for tok in set(tokens(text)):
                lemma = lemma_of.get(tok)
                if lemma is None:
                    lemma = lemma_of[tok] = light_lemma(tok)
                seen.add(lemma)
            df.update(seen)
        n = len(texts)
        keep = [
            (lemma, c) for lemma, c in df.items()
            if c >= min_df and c <= max_df * n and lemma not in stop and len(lemma) >= min_length
            and (not letters_only or lemma.isalpha())
        ]
        keep.sort(key=lambda kv: (-kv[1], kv[0]))
        keep = keep[:max_features]
        keep.sort()
        index = {lemma: i for i, (lemma, _) in enumerate(keep)}
        idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in keep], dtype=np.float32)
        surfaces = {tok: index[lemma] for tok, lemma in lemma_of.items() if lemma in index and tok not in stop}
        return cls(surfaces, idf, [lemma for lemma, _ in keep])

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        surfaces = sorted(self.surfaces.items())
        return {
            f"{prefix}_features": np.array(self.features),
            f"{prefix}_surfaces": np.array([s for s, _ in surfaces]),
            f"{prefix}_surface_rows": np.array([i for _, i in surfaces], dtype=np.int32),
            f"{prefix}_idf": self.idf.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "Vocabulary":
        surfaces = dict(zip(arrays[f"{prefix}_surfaces"].tolist(), arrays[f"{prefix}_surface_rows"].tolist()))
        return cls(surfaces, arrays[f"{prefix}_idf"], arrays[f"{prefix}_features"].tolist())

    def __len__(self) -> int:
        return len(self.features)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature rows, tf-idf values) of one text, L2-normalised."""
        return self.vector_of(tokens(text))

    def vector_of(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``vector`` of a text's ``tokens`` (the tagger has them from its scan)."""
        counts = Counter(map(self.surfaces.get, words))  # by feature row: surfaces of one lemma add up
        counts.pop(None, None)
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[rows]
        values /= np.sqrt(float(values @ values))
        return rows, values

    def matrix(self, texts: list[str]) -> sparse.csr_matrix:
        """The training matrix: one ``vector`` per row."""
        from scipy import sparse  # imported here: tagging one article needs no scipy (0.2-1 s of start-up)

        indptr, indices, data = [0], [], []
        for text in texts:
            rows, values = self.vector(text)
            indices.append(rows)
            data.append(values)
            indptr.append(indptr[-1] + len(rows))
        return sparse.csr_matrix(
            (np.concatenate(data) if data else np.empty(0, np.float32),
             np.concatenate(indices) if indices else np.empty(0, np.intp), np.array(indptr)),
            shape=(len(texts), len(self)), dtype=np.float32,
        )
