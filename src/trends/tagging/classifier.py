"""The trained part of topic tagging: a linear model per topic over TF-IDF word features, and one pooled
calibrator that turns its margin plus the taxonomy rules' evidence into the topic score.

Stage 1 (per topic): logistic regression on ``trends.tagging.features`` vectors, so "Russia began war"
style text is recognised without the taxonomy's exact phrases.
Stage 2 (pooled over topics, so it carries over to a topic with few labelled examples): a logistic
regression on [stage-1 margin, log(1 + rule evidence / threshold), a rule mention in the title, the
topic's country requirement met], fitted on out-of-fold margins of the labelled examples.
The score is its probability mapped piecewise-linearly so that the calibrated cut-off (the one whose
out-of-fold precision on the labelled examples reaches ``TARGET_PRECISION``) lands exactly on
``ABOUT_THRESHOLD``: ``score >= ABOUT_THRESHOLD`` means the article is about the topic. The cut-off is
per topic (``cutoffs``): in the bundled model each topic's own, from a stage-2 intercept per topic shrunk
towards the pooled one (a logit shift is a cut-off on the pooled probability; ``trends.tagging.training``).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field

import numpy as np

from trends.tagging.features import Vocabulary
from trends.tagging.model import ABOUT_THRESHOLD

TARGET_PRECISION = 0.8
N_CALIBRATION_FEATURES = 4


def logistic(x: np.ndarray) -> np.ndarray:
    """The calibrator's probability of a logit, clipped so exp never overflows (training and tagging alike)."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


@dataclass
class RuleEvidence:
    """What the taxonomy rules found for one topic in one text."""

    evidence: float = 0.0  # weighted include mentions (title 3, lead 1.5, body 1)
    spans: list = field(default_factory=list)
    title: bool = False
    requirement: bool = True  # the topic's country requirement (if any) is met


def calibration_features(margin: float, rule: RuleEvidence | None, threshold: float) -> list[float]:
    if rule is None:
        return [margin, 0.0, 0.0, 1.0]
    return [margin, math.log1p(rule.evidence / threshold), float(rule.title), float(rule.requirement)]


@dataclass
class TopicModel:
    topics: list[str]  # the topic keys with a stage-1 model, in column order
    vocabulary: Vocabulary
    weights: np.ndarray  # (features, topics) float32
    bias: np.ndarray  # (topics,)
    calibrator: np.ndarray  # (N_CALIBRATION_FEATURES + 1,): coefficients then intercept
    cutoff: float  # the pooled stage-2 probability that maps to ABOUT_THRESHOLD
    meta: dict = field(default_factory=dict)
    cutoffs: np.ndarray | None = None  # (topics,): each topic's cut-off (default: the pooled one)

    def __post_init__(self):
        self.column = {key: i for i, key in enumerate(self.topics)}
        if self.cutoffs is None:
            self.cutoffs = np.full(len(self.topics), self.cutoff)
        self.cutoffs = np.clip(np.asarray(self.cutoffs, dtype=np.float64), 1e-9, 1 - 1e-9)

    def margins(self, text: str, words: list[str] | None = None) -> np.ndarray:
        """Stage-1 margins; ``words``: the text's ``features.tokens`` when the caller has them."""
        rows, values = self.vocabulary.vector(text) if words is None else self.vocabulary.vector_of(words)
        if len(rows) == 0:
            return self.bias.copy()
        return values @ self.weights[rows] + self.bias

    def scores(self, text: str, rules: dict[str, "RuleEvidence"], thresholds: np.ndarray) -> np.ndarray:
        """Topic scores of one text for every model column (vectorised ``calibration_features`` +
        ``probability`` + ``score``)."""
        return self.calibrated(self.margins(text)[None, :], [rules], thresholds)[0]

    def calibrated(self, margins: np.ndarray, rules: list[dict[str, "RuleEvidence"]], thresholds: np.ndarray) -> np.ndarray:
        """Topic scores (texts x model columns) from each text's stage-1 ``margins`` row and rule evidence:
        the calibration is elementwise, so a batch gives every text the scores it gets alone. (The margins
        stay one ``margins`` call per text: a batched float32 matrix product sums in another order.)"""
        shape = (len(rules), len(self.topics))
        evidence = np.zeros(shape)
        title = np.zeros(shape)
        requirement = np.ones(shape)
        column = self.column
        for i, found in enumerate(rules):
            for key, rule in found.items():
                col = column.get(key)
                if col is not None:
                    evidence[i, col] = rule.evidence
                    title[i, col] = rule.title
                    requirement[i, col] = rule.requirement
        c = self.calibrator
        s = c[0] * margins + c[1] * np.log1p(evidence / thresholds) + c[2] * title + c[3] * requirement + c[4]
        p = logistic(s)
        t = self.cutoffs
        return np.where(p < t, ABOUT_THRESHOLD * p / t, ABOUT_THRESHOLD + (1 - ABOUT_THRESHOLD) * (p - t) / (1 - t))

    def probability(self, z: list[float]) -> float:
        c = self.calibrator
        s = float(sum(c[i] * z[i] for i in range(N_CALIBRATION_FEATURES)) + c[-1])
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, s))))

    def score(self, p: float, key: str | None = None) -> float:
        """Stage-2 probability -> topic score, with the topic's cut-off -> ABOUT_THRESHOLD (monotone, in [0, 1])."""
        t = float(self.cutoffs[self.column[key]]) if key is not None else min(max(self.cutoff, 1e-9), 1 - 1e-9)
        if p < t:
            return ABOUT_THRESHOLD * p / t
        return ABOUT_THRESHOLD + (1 - ABOUT_THRESHOLD) * (p - t) / (1 - t)

    # ------------------------------------------------------------------------------------ bytes

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "model_topics": np.array(self.topics),
            **self.vocabulary.to_arrays("model"),
            "model_weights": self.weights.astype(np.float16),
            "model_bias": self.bias.astype(np.float32),
            "model_calibrator": self.calibrator.astype(np.float64),
            "model_cutoff": np.array([self.cutoff]),
            "model_cutoffs": self.cutoffs.astype(np.float64),
            "model_meta": np.array([json.dumps(self.meta, sort_keys=True)]),
        }

    @classmethod
    def from_arrays(cls, arrays) -> "TopicModel":
        return cls(
            topics=arrays["model_topics"].tolist(),
            vocabulary=Vocabulary.from_arrays(arrays, "model"),
            weights=arrays["model_weights"].astype(np.float32),
            bias=arrays["model_bias"].astype(np.float32),
            calibrator=arrays["model_calibrator"].astype(np.float64),
            cutoff=float(arrays["model_cutoff"][0]),
            meta=json.loads(str(arrays["model_meta"][0])),
            cutoffs=arrays["model_cutoffs"] if "model_cutoffs" in arrays else None,  # older models: pooled only
        )


def save_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def load_arrays(data: bytes, what: str, meta_key: str, fmt: str, read):
    """Open ``save_arrays`` bytes (no pickle), check the JSON ``meta_key`` entry's format, and return
    ``read(meta, arrays)``; anything else is a ValueError "not a <what> (...)"."""
    if not data.startswith(b"PK"):
        raise ValueError(f"not a {what} (not an .npz archive)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(str(arrays[meta_key][0]))
            if meta.get("format") != fmt:
                raise ValueError(f"not a {what} of format {fmt}")
            return read(meta, arrays)
    except (OSError, KeyError, json.JSONDecodeError, EOFError, ValueError) as exc:
        raise ValueError(f"not a {what} ({exc if isinstance(exc, ValueError) else type(exc).__name__})") from None
