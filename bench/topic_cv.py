"""Out-of-fold figures of the whole topic pipeline inside the labelled set's TUNING half (grouped k-fold).

    nice python bench/topic_cv.py [--folds 5] [--label-weight 20] [--c 1.0] [--target-precision 0.8] ...

``bench/train_topic_model.py`` trains on every tuning item, so ``trends eval --split tune`` scores items the
model has seen. Here the tuning items are split into ``--folds`` groups (a UN speech's windows stay in one
fold: they share a speaker and wording), the whole pipeline (stage 1, out-of-fold calibration, cut-offs) is
fitted without one fold's labels and that fold is tagged with the result; the union of the folds' tags is
scored like ``trends eval topics``. Reuters items are never trained on, so they are tagged by every fold's
model only once (their own fold). The held-out half is never read. The rules' pass over the corpora (the slow
part) is cached in ``bench/cache/topic_cv_prepared.pkl`` (derived from corpora: never committed).
Settings are the ``trends.tagging.training.Settings`` fields; compare them by these figures, not by the
tuning-half score.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import pickle
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from train_topic_model import DEFAULT_CORPORA, archive_texts, labelled_examples, labelled_rows  # noqa: E402

CALIBRATION_SETTINGS = ("target_precision", "topic_cutoff_positives", "topic_cutoff_shrink", "topic_intercept_c",
                        "topic_precision_floor")
CACHE = ROOT / "bench" / "cache" / "topic_cv_prepared.pkl"


def group_of(record_id: str) -> str:
    """A UN window's group is its speech (country and year); every other item is its own group."""
    parts = record_id.split(":")
    return ":".join(parts[:3]) if parts[0] == "un" else record_id


def fold_of_groups(ids: list[str], folds: int, seed: int) -> dict[str, int]:
    groups = sorted({group_of(i) for i in ids})
    random.Random(seed).shuffle(groups)
    by_group = {g: n % folds for n, g in enumerate(groups)}
    return {i: by_group[group_of(i)] for i in ids}


def prepared_set(corpora: Path, windows: int, demo: int, seed: int, progress):
    from trends.tagging.profile import TaggingProfile
    from trends.tagging.topics import default_taxonomy_path
    from trends.tagging.training import prepare

    taxonomy_text = default_taxonomy_path().read_text(encoding="utf-8")
    key = {"taxonomy": taxonomy_text, "windows": windows, "demo": demo, "seed": seed}
    if CACHE.is_file():
        with open(CACHE, "rb") as fh:
            cached = pickle.load(fh)
        if cached["key"] == key:
            return cached["prepared"]
    labelled = labelled_rows(corpora)
    base = TaggingProfile(taxonomy_text, None, "bundled")
    texts, _ = archive_texts(corpora, labelled, windows, demo, seed)
    examples, _ = labelled_examples(labelled, list(base.taxonomy.topics))
    prepared = prepare(base, texts, examples, progress)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE, "wb") as fh:
        pickle.dump({"key": key, "prepared": prepared}, fh)
    return prepared


def fitted(prepared, settings, seed, progress):
    """``fit`` on every tuning label (stage 1 does not depend on the calibration settings), cached."""
    from trends.tagging.training import fit

    stage1 = {k: v for k, v in dataclasses.asdict(settings).items() if k not in CALIBRATION_SETTINGS}
    path = CACHE.with_name("topic_cv_fit.pkl")
    if path.is_file():
        with open(path, "rb") as fh:
            cached = pickle.load(fh)
        if cached["key"] == (stage1, seed, prepared.vocab.features[:50], len(prepared.labelled_texts)):
            prepared.oof = cached["oof"]
            return cached["profile"]
    profile = fit(prepared, seed=seed, settings=settings, progress=progress)
    with open(path, "wb") as fh:
        pickle.dump({"key": (stage1, seed, prepared.vocab.features[:50], len(prepared.labelled_texts)),
                     "oof": prepared.oof, "profile": profile}, fh)
    return profile


def without_labels(prepared, texts: set[str]):
    """A shallow copy of ``prepared`` whose labelled examples of ``texts`` are dropped."""
    out = copy.copy(prepared)
    out.labels = {t: ({} if t in texts else lab) for t, lab in prepared.labels.items()}
    out.oof = []
    return out


def calibration_cv(prepared, profile, items, fold, settings):
    """Per-item topic sets of the tuning items, every decision out of fold: stage-1 margins from
    ``fit``'s inner folds (``prepared.oof``), the pooled calibrator and the cut-offs fitted on the other
    outer folds' pairs. Rule-only topics are decided by the rules (nothing fitted); Reuters items (never
    trained on) get the full model's margins and their own fold's calibration."""
    import numpy as np

    from trends.tagging import training
    from trends.tagging.classifier import calibration_features
    from trends.tagging.gold import join_text
    from trends.tagging.tagger import Tagger

    taxonomy = prepared.profile.taxonomy
    trainable = list(profile.model.topics)
    id_of_text = {join_text(r, ["title", "body"]): str(r["id"]) for r in items}
    evidence_of = {id_of_text[t]: prepared.evidence[prepared.n_archive + j] for j, t in enumerate(prepared.labelled_texts)
                   if t in id_of_text}
    Z, Y, K, I = [], [], [], []
    for text, key, z, y in prepared.oof:  # stage-2 features with the out-of-fold stage-1 margin
        Z.append(z), Y.append(y), K.append(key), I.append(id_of_text[text])
    tagger = Tagger(profile)
    model = profile.model
    for r in items:
        rid = str(r["id"])
        if rid in evidence_of:
            continue
        text = join_text(r, ["title", "body"])
        rules = tagger.entities_and_rules(text)[1]
        evidence_of[rid] = rules
        margins = model.margins(text)
        for col, key in enumerate(trainable):
            Z.append(calibration_features(float(margins[col]), rules.get(key), taxonomy.topics[key].threshold))
            Y.append(int(key in set(r.get("topics") or []))), K.append(key), I.append(rid)
    Z, Y, K = np.array(Z), np.array(Y), np.array(K)
    F = np.array([fold[i] for i in I])
    preds = {str(r["id"]): set() for r in items}
    for rid, rules in evidence_of.items():
        for key, rule in rules.items():
            if key not in model.column and rule.requirement and rule.evidence >= taxonomy.topics[key].threshold:
                preds[rid].add(key)
    for k in sorted(set(F)):
        train, test = F != k, F == k
        if settings.topic_intercept_c > 0:
            calibrator, cutoff, cutoffs, _ = training._fit_calibration_with_topic_intercepts(
                Z[train], Y[train], list(K[train]), settings)
        else:
            calibrator, cutoff, _ = training._fit_calibration(Z[train], Y[train], settings.target_precision)
            cutoffs = training._topic_cutoffs(calibrator, cutoff, Z[train], Y[train], list(K[train]), settings)
        p = 1.0 / (1.0 + np.exp(-np.clip(Z[test] @ calibrator[:-1] + calibrator[-1], -30, 30)))
        for pi, key, idx in zip(p, K[test], np.flatnonzero(test)):
            if pi >= cutoffs.get(key, cutoff):
                preds[I[idx]].add(key)
    return {rid: frozenset(v) for rid, v in preds.items()}


def report(title, items, preds, json_path=None, extra=None):
    from trends.tagging.evaluate import score_sets

    ids = [str(r["id"]) for r in items]
    result = score_sets([frozenset(r.get("topics") or []) for r in items], [preds[i] for i in ids], ids)
    micro, supported = result["micro"], result["macro_supported"]
    print(f"{title}: micro P {micro['precision']:.3f} R {micro['recall']:.3f} F1 {micro['f1']:.3f}  "
          f"macro F1 (>= 3 examples) {supported['f1']:.3f}")
    low = []
    print(f"  {'topic':26} gold   tp   fp   fn      P     R")
    for row in result["per_label"]:
        print(f"  {row['label']:26} {row['gold']:4} {row['tp']:4} {row['fp']:4} {row['fn']:4}  {row['precision']:5.2f} {row['recall']:5.2f}")
        if row["gold"] >= 5 and row["precision"] < 0.75:
            low.append(row["label"])
    print(f"  topics with >= 5 examples below precision 0.75: {', '.join(low) or 'none'}")
    print("  commonest errors: " + "; ".join(f"{e['label']} {e['error']} {e['count']} ({', '.join(e['examples'])})"
                                            for e in result["errors"][:8]))
    if json_path:
        Path(json_path).write_text(json.dumps({**(extra or {}), **result}, indent=1, default=str))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=str(DEFAULT_CORPORA))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fold-seed", type=int, default=1)
    parser.add_argument("--windows-per-speech", type=int, default=4)
    parser.add_argument("--demo-articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    from trends.tagging import training
    from trends.tagging.training import Settings

    parser.add_argument("--outer", action="store_true",
                        help="refit the whole pipeline per outer fold (slow: folds x a full training)")
    parser.add_argument("--target-precision", type=float, nargs="+", default=[training.TARGET_PRECISION],
                        help="cut-off precision targets to compare")
    parser.add_argument("--topic-cutoff-positives", type=int, nargs="+", default=[training.TOPIC_CUTOFF_POSITIVES],
                        help="labelled positives a topic needs for its own cut-off (0: pooled only), to compare")
    parser.add_argument("--topic-cutoff-shrink", type=float, nargs="+", default=[training.TOPIC_CUTOFF_SHRINK])
    parser.add_argument("--topic-intercept-c", type=float, nargs="+", default=[training.TOPIC_INTERCEPT_C],
                        help="per-topic stage-2 intercepts with this inverse L2 penalty (0: none), to compare")
    parser.add_argument("--topic-precision-floor", type=float, nargs="+", default=[training.TOPIC_PRECISION_FLOOR],
                        help="raise a topic's cut-off until its shrunk out-of-fold precision reaches this (0: off)")
    from trends.tagging import training
    from trends.tagging.training import Settings

    fields = Settings.__dataclass_fields__
    for name, f in fields.items():
        if name in CALIBRATION_SETTINGS:
            continue  # calibration settings: compared in one run (below)
        parser.add_argument("--" + name.replace("_", "-"), type=type(f.default), default=f.default)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    variants = [dict(target_precision=t, topic_cutoff_positives=n, topic_cutoff_shrink=sh, topic_intercept_c=ic,
                     topic_precision_floor=fl)
                for t in args.target_precision for n in args.topic_cutoff_positives for sh in args.topic_cutoff_shrink
                for ic in args.topic_intercept_c for fl in args.topic_precision_floor]
    settings = Settings(**{name: getattr(args, name) for name in fields if name not in variants[0]}, **variants[0])

    from trends.tagging.evaluate import predicted
    from trends.tagging.gold import join_text, split_ids
    from trends.tagging.tagger import Tagger
    from trends.tagging.training import fit

    t0 = time.perf_counter()
    say = lambda m: print(f"[{time.perf_counter() - t0:6.1f}s] {m}", file=sys.stderr)  # noqa: E731
    corpora = Path(args.corpora)
    prepared = prepared_set(corpora, args.windows_per_speech, args.demo_articles, args.seed, say)
    rows = labelled_rows(corpora)
    tune = split_ids(rows, "tune")
    items = [r for r in rows if str(r["id"]) in tune]
    ids = [str(r["id"]) for r in items]
    text_of = {str(r["id"]): join_text(r, ["title", "body"]) for r in items}
    fold = fold_of_groups(ids, args.folds, args.fold_seed)
    print(f"settings: {json.dumps({n: getattr(settings, n) for n in fields})}  outer folds {args.folds} "
          f"(grouped by UN speech, seed {args.fold_seed}); {len(items)} tuning items")
    if args.outer:
        preds: dict[str, frozenset] = {}
        for k in range(args.folds):
            held = [i for i in ids if fold[i] == k]
            say(f"outer fold {k + 1}/{args.folds}: {len(held)} items")
            profile = fit(without_labels(prepared, {text_of[i] for i in held}), seed=args.seed, settings=settings)
            for i, tags in zip(held, Tagger(profile).extract_many([text_of[i] for i in held])):
                preds[i] = predicted(tags, "topics")
        report("whole pipeline refitted per outer fold", items, preds, args.json)
    else:
        profile = fitted(prepared, settings, args.seed, say)
        for variant in variants:
            s = dataclasses.replace(settings, **variant)
            preds = calibration_cv(prepared, profile, items, fold, s)
            report(f"out of fold (stage-1 inner folds, calibration outer folds) {variant}", items, preds,
                   args.json, {"settings": {n: getattr(s, n) for n in fields}})
    print(f"seconds: {time.perf_counter() - t0:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
