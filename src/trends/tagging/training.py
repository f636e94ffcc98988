"""Training the topic model of a profile: weak supervision from the taxonomy's confident rule matches over
an archive, plus labelled examples (gold sets, analyst corrections).

``retrain(profile, texts, labelled_examples)`` returns a new profile with the same taxonomy and a model
trained for it:

1. The rules (``Tagger.entities_and_rules``) read every archive text. For each topic a text is a weak
   positive when the rule evidence reaches ``WEAK_POSITIVE`` times the topic's threshold with its
   country requirement met, a weak negative when no rule fires (or the country requirement fails), and is
   left out for that topic otherwise.
2. Labelled examples ``(text, topic, present)`` override the weak label of that text for that topic and
   weigh ``LABEL_WEIGHT`` times more. A gold record gives one example per topic (present or absent); an
   analyst correction gives one.
3. Stage 1: a class-balanced logistic regression per topic on TF-IDF word features
   (``trends.tagging.features``). Topics with fewer than ``MIN_POSITIVES`` positives keep rule-only scores.
4. Stage 2 (``trends.tagging.classifier``): the pooled calibrator is fitted on out-of-fold stage-1
   margins of the labelled examples (``FOLDS``-fold by text), and the cut-off that maps to
   ABOUT_THRESHOLD is the one with the best out-of-fold F1 among those whose precision reaches
   ``TARGET_PRECISION``. With too few labelled examples the base profile's calibrator is kept.
5. Per-topic cut-offs (default): the stage-2 regression also has one intercept per topic, L2-penalised
   (``TOPIC_INTERCEPT_C``) so that a topic with few examples stays near the pooled intercept; the cut-off
   is chosen on those probabilities and each topic's intercept becomes its own cut-off on the pooled
   probability. (Older option, ``topic_intercept_c=0``: a topic with at least ``TOPIC_CUTOFF_POSITIVES``
   labelled positives gets a cut-off chosen on its own out-of-fold probabilities, moved
   ``TOPIC_CUTOFF_SHRINK`` of the way from the pooled one.)

``prepare`` (the rules over every text, vocabulary, matrix: the slow part) and ``fit`` are separate, so
settings (``Settings``) can be compared on one prepared set by their out-of-fold figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from trends.tagging.classifier import N_CALIBRATION_FEATURES, TARGET_PRECISION, TopicModel, calibration_features, logistic
from trends.tagging.features import Vocabulary
from trends.tagging.profile import TaggingProfile

WEAK_POSITIVE = 1.0
LABEL_WEIGHT = 20.0
MIN_POSITIVES = 5
MAX_NEGATIVES = 6_000  # weak negatives per topic (a seeded sample), to keep training time bounded
FOLDS = 5
C_STAGE1 = 1.0
MIN_CALIBRATION_POSITIVES = 20
# A topic with at least this many labelled positives can get its own cut-off (precision >= TARGET_PRECISION on its
# out-of-fold scores), moved this share of the way from the pooled one; 0 positives = pooled only. Off by default:
# on 20 random half/half splits of the tuning half (cut-offs chosen on one half, scored on the other) they gave
# F1 0.688 against 0.6875 pooled, with lower precision, and over-tagging is the known failure on commentary.
TOPIC_CUTOFF_POSITIVES = 0
TOPIC_CUTOFF_SHRINK = 0.5
# Per-topic stage-2 intercepts, L2-penalised (inverse strength TOPIC_INTERCEPT_C, relative to the pooled
# features' C = 1), so a topic's own offset is shrunk towards the pooled one by the weight of its examples;
# stored as per-topic cut-offs. Chosen by bench/topic_cv.py (out of fold inside the tuning half, 3 fold seeds):
# micro-F1 0.682 / 0.670 / 0.678 pooled -> 0.708 / 0.705 / 0.711, macro 0.62 -> 0.67-0.69, precision -0.01..-0.02.
TOPIC_INTERCEPT_C = 10.0
# A topic whose out-of-fold precision at its cut-off, shrunk towards TARGET_PRECISION by FLOOR_PRIOR pseudo-
# examples, stays below this floor gets its cut-off raised until it reaches it (0: off). Off: with floor 0.75,
# bench/topic_cv.py over 4 fold seeds gave precision +0.03..+0.05 but micro-F1 -0.016 / +0.004 / -0.017 / -0.016
# and macro-F1 -0.04..-0.06.
TOPIC_PRECISION_FLOOR = 0.0
FLOOR_PRIOR = 2.0
# A prior for a profile trained with no labelled examples at all: margin 0 of a balanced model ~ p 0.3.
DEFAULT_CALIBRATOR = np.array([1.0, 0.8, 0.4, 1.0, -1.5])
DEFAULT_CUTOFF = 0.5


def _progress(callback, message: str) -> None:
    if callback is not None:
        callback(message)


@dataclass(frozen=True)
class Settings:
    """The training knobs (defaults are the module constants; ``bench/train_topic_model.py --sweep``
    compares settings by their out-of-fold figures on the labelled examples)."""

    weak_positive: float = WEAK_POSITIVE
    label_weight: float = LABEL_WEIGHT
    c: float = C_STAGE1
    max_negatives: int = MAX_NEGATIVES
    topic_cutoff_positives: int = TOPIC_CUTOFF_POSITIVES
    topic_cutoff_shrink: float = TOPIC_CUTOFF_SHRINK
    target_precision: float = TARGET_PRECISION
    topic_intercept_c: float = TOPIC_INTERCEPT_C
    topic_precision_floor: float = TOPIC_PRECISION_FLOOR


@dataclass
class Prepared:
    """What every fit reuses: the texts' rule evidence, the TF-IDF matrix and the labelled examples."""

    profile: TaggingProfile
    vocab: Vocabulary
    X: object  # scipy.sparse.csr_matrix (archive texts, then labelled texts)
    evidence: list[dict]
    n_archive: int
    labelled_texts: list[str]
    labels: dict[str, dict[str, bool]]
    oof: list = field(default_factory=list)  # the last fit's out-of-fold (text, topic, features, label)


def prepare(
    profile: TaggingProfile,
    texts: Sequence[str],
    labelled_examples: Iterable[tuple[str, str, bool]] = (),
    progress: Callable[[str], None] | None = None,
) -> Prepared:
    """Read every text with the taxonomy rules and build the vocabulary and matrix (the slow part)."""
    from trends.tagging.tagger import Tagger

    taxonomy = profile.taxonomy
    rules_tagger = Tagger(TaggingProfile(profile.taxonomy_text, None, profile.name))
    labels: dict[str, dict[str, bool]] = defaultdict(dict)
    for text, topic, present in labelled_examples:
        if topic in taxonomy.topics and text:
            labels[text][topic] = bool(present)
    labelled_texts = list(labels)
    archive = [t for t in dict.fromkeys(texts) if t and t not in labels]
    all_texts = archive + labelled_texts
    _progress(progress, f"reading {len(all_texts)} texts with the taxonomy rules")
    evidence = [rules_tagger.entities_and_rules(t)[1] for t in all_texts]
    _progress(progress, "building the vocabulary")
    vocab = Vocabulary.fit(all_texts)
    return Prepared(profile, vocab, vocab.matrix(all_texts), evidence, len(archive), labelled_texts, dict(labels))


def retrain(
    profile: TaggingProfile,
    texts: Sequence[str],
    labelled_examples: Iterable[tuple[str, str, bool]] = (),
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    name: str | None = None,
    facts: dict | None = None,
    settings: Settings = Settings(),
) -> TaggingProfile:
    """A new profile: ``profile``'s taxonomy with a topic model trained on ``texts`` and the examples."""
    prepared = prepare(profile, texts, labelled_examples, progress)
    return fit(prepared, seed=seed, progress=progress, name=name, facts=facts, settings=settings)


def fit(
    prepared: Prepared,
    *,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    name: str | None = None,
    facts: dict | None = None,
    settings: Settings = Settings(),
) -> TaggingProfile:
    """Stage 1 per topic, out-of-fold calibration, then the final fit, from ``prepare``'s output."""
    profile, vocab, X, evidence = prepared.profile, prepared.vocab, prepared.X, prepared.evidence
    n_archive, labelled_texts, labels = prepared.n_archive, prepared.labelled_texts, prepared.labels
    taxonomy = profile.taxonomy
    topics = list(taxonomy.topics)

    rng = random.Random(seed)
    rows_of: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for key in topics:
        threshold = taxonomy.topics[key].threshold
        pos, neg = [], []
        for i in range(n_archive):
            rule = evidence[i].get(key)
            if rule is None or not rule.requirement:
                neg.append(i)
            elif rule.evidence >= settings.weak_positive * threshold:
                pos.append(i)
        if len(neg) > settings.max_negatives:
            neg = rng.sample(neg, settings.max_negatives)
        rows = pos + neg
        y = [1] * len(pos) + [0] * len(neg)
        w = [1.0] * len(rows)
        for j, text in enumerate(labelled_texts):
            if key in labels[text]:
                rows.append(n_archive + j)
                y.append(int(labels[text][key]))
                w.append(settings.label_weight)
        rows_of[key] = (np.array(rows, dtype=np.intp), np.array(y), np.array(w))
    trainable = [k for k in topics if rows_of[k][1].sum() >= MIN_POSITIVES and (rows_of[k][1] == 0).sum() >= MIN_POSITIVES]

    def fit_topic(key: str, exclude: set[int] | None = None):
        rows, y, w = rows_of[key]
        if exclude:
            keep = np.array([r not in exclude for r in rows], dtype=bool)
            rows, y, w = rows[keep], y[keep], w[keep]
        if y.sum() == 0 or y.sum() == len(y):
            return None
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=settings.c, class_weight="balanced", solver="liblinear", max_iter=200)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X[rows], y, sample_weight=w)
        return clf

    # Out-of-fold margins of the labelled texts, for the calibrator.
    calibrator, cutoff, cv = _base_calibration(profile)
    base_model = profile.model
    cutoff_of = ({k: float(c) for k, c in zip(base_model.topics, base_model.cutoffs)} if base_model is not None else {})
    n_label_pos = sum(v for lab in labels.values() for k, v in lab.items() if k in trainable)
    if labelled_texts and n_label_pos >= MIN_CALIBRATION_POSITIVES:
        order = list(range(len(labelled_texts)))
        random.Random(seed).shuffle(order)
        fold_of = {j: n % FOLDS for n, j in enumerate(order)}
        oof: dict[tuple[int, str], float] = {}
        for fold in range(FOLDS):
            _progress(progress, f"cross-validation fold {fold + 1}/{FOLDS}")
            held = [j for j in range(len(labelled_texts)) if fold_of[j] == fold]
            exclude = {n_archive + j for j in held}
            Xh = X[[n_archive + j for j in held]]
            for key in trainable:
                clf = fit_topic(key, exclude)
                if clf is None:
                    continue
                margins = clf.decision_function(Xh)
                for j, m in zip(held, margins):
                    if key in labels[labelled_texts[j]]:
                        oof[(j, key)] = float(m)
        Z, Y = [], []
        for (j, key), margin in oof.items():
            Z.append(calibration_features(margin, evidence[n_archive + j].get(key), taxonomy.topics[key].threshold))
            Y.append(int(labels[labelled_texts[j]][key]))
        keys = [key for _, key in oof]
        calibrator, cutoff, cv = _fit_calibration(np.array(Z), np.array(Y), settings.target_precision)
        prepared.oof = [(labelled_texts[j], key, z, y) for ((j, key), z, y) in zip(oof, Z, Y)]
        if settings.topic_intercept_c > 0:
            calibrator, cutoff, cutoff_of, best = _fit_calibration_with_topic_intercepts(np.array(Z), np.array(Y), keys, settings)
            cv.update(best, topic_intercept_c=settings.topic_intercept_c)
        else:
            cutoff_of = _topic_cutoffs(calibrator, cutoff, np.array(Z), np.array(Y), keys, settings)
        cv["topic_cutoffs"] = {k: round(c, 4) for k, c in sorted(cutoff_of.items()) if c != cutoff}

    _progress(progress, f"training {len(trainable)} topic models")
    weights = np.zeros((len(vocab), len(trainable)), dtype=np.float32)
    bias = np.zeros(len(trainable), dtype=np.float32)
    for col, key in enumerate(trainable):
        clf = fit_topic(key)
        weights[:, col] = clf.coef_[0]
        bias[col] = clf.intercept_[0]
    trained_on = {
        "archive_texts": n_archive,
        "labelled_texts": len(labelled_texts),
        "labelled_examples": sum(len(v) for v in labels.values()),
        "positives": {k: int(rows_of[k][1].sum()) for k in trainable},
        **(facts or {}),
    }
    meta = {
        "trained_at": dt.datetime.now().replace(microsecond=0).isoformat(),
        "taxonomy_sha256": hashlib.sha256(profile.taxonomy_text.encode()).hexdigest(),
        "trained_on": trained_on,
        "cross_validation": cv,
        "rule_only_topics": [k for k in topics if k not in trainable],
    }
    cutoffs = np.array([cutoff_of.get(k, cutoff) for k in trainable])
    model = TopicModel(trainable, vocab, weights, bias, calibrator, cutoff, meta, cutoffs)
    return TaggingProfile(profile.taxonomy_text, model, name or profile.name, meta["trained_at"],
                          {"trained_on": trained_on, "cross_validation": cv})


def _base_calibration(profile: TaggingProfile) -> tuple[np.ndarray, float, dict]:
    if profile.model is not None:
        return profile.model.calibrator.copy(), profile.model.cutoff, {"note": "calibrator kept from the base profile"}
    return DEFAULT_CALIBRATOR.copy(), DEFAULT_CUTOFF, {"note": "no labelled examples: default calibrator"}


def _fit_calibration(Z: np.ndarray, Y: np.ndarray, target: float = TARGET_PRECISION) -> tuple[np.ndarray, float, dict]:
    """The pooled stage-2 regression and the cut-off with the best F1 at precision >= ``target``."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=1000)
    clf.fit(Z, Y)
    coef = np.concatenate([clf.coef_[0], clf.intercept_])
    assert len(coef) == N_CALIBRATION_FEATURES + 1
    p = clf.predict_proba(Z)[:, 1]
    cutoff, best = choose_cutoff(p, Y, target)
    return coef, cutoff, {"pairs": int(len(Y)), "positives": int(Y.sum()), "target_precision": target, **best}


def _fit_calibration_with_topic_intercepts(Z: np.ndarray, Y: np.ndarray, keys: list[str], settings: Settings
                                           ) -> tuple[np.ndarray, float, dict[str, float], dict]:
    """The pooled stage-2 regression with an L2-penalised intercept per topic (shrunk towards the pooled
    intercept: a topic with few examples moves little). A topic's intercept b_k is a shift of the logit,
    so "p + b_k >= cut-off" is "p >= sigmoid(logit(cut-off) - b_k)": it is stored as the topic's cut-off."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    topics = sorted(set(keys))
    col = {k: i for i, k in enumerate(topics)}
    onehot = sparse.csr_matrix((np.ones(len(keys)), ([*range(len(keys))], [col[k] for k in keys])), shape=(len(keys), len(topics)))
    scale = np.sqrt(settings.topic_intercept_c)  # one C for all columns: a one-hot scaled by s has penalty 1 / (C s^2)
    clf = LogisticRegression(C=1.0, max_iter=2000)
    clf.fit(sparse.hstack([sparse.csr_matrix(Z), onehot * scale]).tocsr(), Y)
    n = Z.shape[1]
    coef = np.concatenate([clf.coef_[0][:n], clf.intercept_])
    shift = {k: float(clf.coef_[0][n + i] * scale) for k, i in col.items()}
    logit = Z @ coef[:-1] + coef[-1] + np.array([shift[k] for k in keys])
    p = logistic(logit)
    cutoff, best = choose_cutoff(p, Y, settings.target_precision)
    t = min(max(cutoff, 1e-9), 1 - 1e-9)
    cutoffs = {k: float(1.0 / (1.0 + np.exp(-(np.log(t / (1 - t)) - b)))) for k, b in shift.items()}
    if settings.topic_precision_floor > 0:
        pooled = logistic(Z @ coef[:-1] + coef[-1])
        keys_arr = np.array(keys)
        for k in cutoffs:
            m = keys_arr == k
            cutoffs[k] = _floor_cutoff(pooled[m], Y[m], cutoffs[k], settings)
    return coef, cutoff, cutoffs, best


def _floor_cutoff(p: np.ndarray, y: np.ndarray, cutoff: float, settings: Settings) -> float:
    """The lowest cut-off >= ``cutoff`` (it, or halfway between two scores above it) at which the precision
    of ``p >= cut-off``, shrunk towards the target by FLOOR_PRIOR pseudo-examples, reaches the floor."""
    prior = FLOOR_PRIOR * settings.target_precision
    values = sorted(set(p[p >= cutoff].tolist()))
    candidates = [cutoff, *[(a + b) / 2 for a, b in zip(values, values[1:])], *([(values[-1] + 1) / 2] if values else [])]
    for c in candidates:
        chosen = p >= c
        if (y[chosen].sum() + prior) / (chosen.sum() + FLOOR_PRIOR) >= settings.topic_precision_floor:
            return float(c)
    return float(candidates[-1])


def _topic_cutoffs(calibrator: np.ndarray, pooled: float, Z: np.ndarray, Y: np.ndarray, keys: list[str],
                   settings: Settings) -> dict[str, float]:
    """Per-topic cut-offs on the pooled calibrator's out-of-fold probabilities, for topics with enough
    labelled positives, shrunk towards the pooled cut-off (few examples: a noisy choice)."""
    if settings.topic_cutoff_positives <= 0 or not len(Y):
        return {}
    p = logistic(Z @ calibrator[:-1] + calibrator[-1])
    keys_arr = np.array(keys)
    out = {}
    for key in sorted(set(keys)):
        m = keys_arr == key
        if Y[m].sum() >= settings.topic_cutoff_positives:
            own, _ = choose_cutoff(p[m], Y[m], settings.target_precision)
            out[key] = float(settings.topic_cutoff_shrink * own + (1 - settings.topic_cutoff_shrink) * pooled)
    return out


def choose_cutoff(p: np.ndarray, y: np.ndarray, target: float = TARGET_PRECISION) -> tuple[float, dict]:
    """Among cut-offs whose precision (of p >= cut-off) reaches ``target``, the one with the best F1;
    if none reaches it, the most precise one. The cut-off sits halfway to the next lower score."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    n = np.arange(1, len(ys) + 1)
    precision = tp / n
    recall = tp / max(1, ys.sum())
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    # only cut between distinct scores
    last_of_run = np.r_[ps[1:] < ps[:-1], True]
    ok = last_of_run & (precision >= target)
    if ok.any():
        i = int(np.argmax(np.where(ok, f1, -1)))
    else:
        i = int(np.argmax(np.where(last_of_run, precision, -1)))
    below = ps[i + 1] if i + 1 < len(ps) else 0.0
    cutoff = float((ps[i] + below) / 2)
    return cutoff, {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i])}


def cmd_train(args) -> int:
    """`trends tagging train`: a profile trained on texts from JSONL files (plus a gold file's labels)."""
    from pathlib import Path

    from trends.tagging.gold import join_text, read_rows, split_ids
    from trends.tagging.profile import TaggingProfile, default_profile, save_profile

    fields = [f.strip() for f in str(args.text_fields).split(",") if f.strip()]
    if not fields:
        raise ValueError("--text-fields needs at least one field name")
    base = TaggingProfile.from_taxonomy(args.taxonomy) if args.taxonomy else default_profile()
    texts = [join_text(row, fields) for path in args.texts for row in read_rows(path)]
    examples: list[tuple[str, str, bool]] = []
    if args.gold:
        rows = read_rows(args.gold)
        keep = split_ids(rows, args.split)
        for row in rows:
            if str(row["id"]) in keep and isinstance(row.get(args.labels), list):
                gold = {str(g).strip().lower() for g in row[args.labels]}
                text = join_text(row, fields)
                examples.extend((text, key, key in gold) for key in base.taxonomy.topics)
    if not texts and not examples:
        raise ValueError("nothing to train on: give --texts files and/or a --gold file")
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    profile = retrain(base, texts, examples, name=Path(args.out).stem, progress=say,
                      facts={"texts": [str(p) for p in args.texts], "gold": args.gold, "split": args.split})
    save_profile(profile, args.out)
    cv = profile.model.meta.get("cross_validation", {})
    print(f"trained {len(profile.model.topics)} topic models on {len(texts)} texts and {len(examples)} labelled "
          f"examples -> {args.out} (version {profile.version})"
          + (f"; out-of-fold P {cv['precision']:.3f} R {cv['recall']:.3f} F1 {cv['f1']:.3f}" if "f1" in cv else ""))
    return 0
