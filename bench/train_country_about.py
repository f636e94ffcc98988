"""Fit the country "about" model (trends.tagging.about) and write src/trends/data/country_about.json.

Training rows are the tagger's country candidates on the tuning half of the development gold set
(labelled/labelled-dev.jsonl), Wikinews, HuffPost and UN items only: never the held-out half, never
Reuters (research-use text). A candidate is positive when the gold ``countries_about`` holds it.
The regularisation strength and the probability cut-off are chosen by repeated 5-fold cross-validation
within those records (folds by record), on micro-F1 of the about-countries (the strongest regularisation
within one standard deviation of the best), where a gold country that
is no candidate at all counts as a miss whatever the model does. The hand-set salience rule
(score >= ABOUT_THRESHOLD) is scored on the same folds for comparison.

    nice python bench/train_country_about.py [--gold FILE] [--out FILE] [--errors]

``--errors`` prints the tuning records' errors of the current tagger by kind (a gold about-country not
found at all, found but scored below the threshold, an about-country the gold calls only mentioned,
one the gold does not name at all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GOLD = Path("/work/shared/corpora/labelled/labelled-dev.jsonl")
DEFAULT_OUT = ROOT / "src" / "trends" / "data" / "country_about.json"
ALLOWED_SOURCES = ("Wikinews", "HuffPost", "UN General Assembly")
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CUTOFFS = np.round(np.arange(0.15, 0.86, 0.01), 2)
REPEATS = 5
FOLDS = 5


def tuning_rows(gold: Path) -> list[dict]:
    from trends.tagging.gold import read_rows, split_ids

    rows = read_rows(gold)
    keep = split_ids(rows, "tune")
    return [r for r in rows if str(r["id"]) in keep and r.get("source") in ALLOWED_SOURCES]


def text_of(row: dict) -> str:
    from trends.tagging.gold import join_text

    return join_text(row, ["title", "body"])


def dataset(rows: list[dict]):
    """(X, y, record index per row, unreachable gold count per record, salience per row) of the candidates
    the model scores, and (y, salience) of the ones only implied, which keep the hand-set salience."""
    from trends.tagging import about
    from trends.tagging.model import ABOUT_THRESHOLD
    from trends.tagging.tagger import Tagger

    tagger = Tagger()
    tagger.about_model = None  # the candidates and the hand-set salience only
    X, y, rec, sal = [], [], [], []
    implied_y, implied_sal = [], []
    unreachable = []
    for i, row in enumerate(rows):
        text = text_of(row)
        gold = set(row.get("countries_about") or [])
        candidates, layout = tagger.country_candidates(text)
        feats = about.features(candidates, text, layout.title_end, layout.lead_end)
        keys = {c.key for c in candidates}
        unreachable.append(len(gold - keys))
        for c, f in zip(candidates, feats):
            if not about.learned(c):  # the hand-set salience, or a headline naming its leader (as the tagger does)
                implied_y.append(c.key in gold)
                implied_sal.append(ABOUT_THRESHOLD if about.implied_in_title(c, layout.title_end) else c.salience)
                continue
            X.append(f)
            y.append(c.key in gold)
            rec.append(i)
            sal.append(c.salience)
    implied = (np.array(implied_y, bool), np.array(implied_sal) >= ABOUT_THRESHOLD)
    return np.array(X, float), np.array(y, bool), np.array(rec), np.array(unreachable), np.array(sal), implied


def micro_f1(pred: np.ndarray, y: np.ndarray, unreachable_total: int, implied=None) -> tuple[float, float, float]:
    """Micro-F1 of the about-countries: ``pred`` / ``y`` over the learned candidates, plus the implied-only
    ones (gold, predicted by the hand-set salience), plus the gold countries that are no candidate."""
    if implied is not None:
        y, pred = np.concatenate([y, implied[0]]), np.concatenate([pred, implied[1]])
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum()) + unreachable_total
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fit(X, y, C):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=C, max_iter=2000).fit(scaler.transform(X), y)
    return scaler, model


def oof_probabilities(X, y, rec, C, seed):
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y))
    folds = GroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(X, y, groups=rec):
        scaler, model = fit(X[train], y[train], C)
        out[test] = model.predict_proba(scaler.transform(X[test]))[:, 1]
    return out


def error_report(rows: list[dict]) -> None:
    from trends.tagging.tagger import Tagger

    tagger = Tagger()
    kinds: Counter = Counter()
    examples: dict[str, list[str]] = {}
    for row in rows:
        text = text_of(row)
        gold_about = set(row.get("countries_about") or [])
        gold_mentioned = set(row.get("countries_mentioned") or [])
        tags = {t.key: t for t in tagger.extract(text) if t.kind == "country"}
        for key in sorted(gold_about):
            tag = tags.get(key)
            kind = "missed: not found" if tag is None else ("missed: below threshold" if not tag.about else "")
            if tag is not None and not tag.about and tag.method == "implied":
                kind = "missed: only implied"
            if kind:
                kinds[(row["source"], kind)] += 1
                examples.setdefault(kind, []).append(f"{row['id']} {key} {tag.score if tag else '-'}")
        for key, tag in tags.items():
            if tag.about and key not in gold_about:
                kind = "wrong: gold says only mentioned" if key in gold_mentioned else "wrong: gold does not name it"
                kinds[(row["source"], kind)] += 1
                examples.setdefault(kind, []).append(f"{row['id']} {key} {tag.score}")
    for (source, kind), n in sorted(kinds.items()):
        print(f"{source:22s} {kind:34s} {n}")
    for kind, ex in examples.items():
        print(kind, ":", ", ".join(ex[:12]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--errors", action="store_true", help="print the current tagger's errors by kind and stop")
    args = ap.parse_args(argv)
    if not args.gold.is_file():
        print(f"gold file not found: {args.gold}", file=sys.stderr)
        return 2
    rows = tuning_rows(args.gold)
    if args.errors:
        error_report(rows)
        return 0

    from trends.tagging import about
    from trends.tagging.model import ABOUT_THRESHOLD

    X, y, rec, unreachable, sal, implied = dataset(rows)
    lost = int(unreachable.sum())
    baseline = micro_f1(sal >= ABOUT_THRESHOLD, y, lost, implied)
    print(f"{len(rows)} records, {len(y)} named candidates ({int(y.sum())} about), {len(implied[0])} only implied "
          f"({int(implied[0].sum())} about), {lost} gold about-countries not found")
    print(f"hand-set salience (score >= {ABOUT_THRESHOLD}): P {baseline[0]:.3f} R {baseline[1]:.3f} F1 {baseline[2]:.3f}")

    results = {}
    for C in C_GRID:
        per_cut = np.zeros((REPEATS, len(CUTOFFS)))
        for rep in range(REPEATS):
            proba = oof_probabilities(X, y, rec, C, seed=rep)
            per_cut[rep] = [micro_f1(proba >= t, y, lost, implied)[2] for t in CUTOFFS]
        mean = per_cut.mean(axis=0)
        best = int(mean.argmax())
        results[C] = (float(mean[best]), float(CUTOFFS[best]), float(per_cut[:, best].std()))
        print(f"C={C:<5} out-of-fold F1 {mean[best]:.3f} (sd {per_cut[:, best].std():.3f} over {REPEATS} repeats) at cut-off {CUTOFFS[best]:.2f}")
    # the one-standard-error rule: the strongest regularisation whose F1 is within one sd (over the repeats)
    # of the best C's; differences smaller than that are noise of the folds, and the simpler model wins
    best_c = max(results, key=lambda c: (round(results[c][0], 3), -c))
    floor = results[best_c][0] - results[best_c][2]
    C = min(c for c in results if results[c][0] >= floor)
    f1, cutoff, sd = results[C]
    # precision / recall at the chosen point, pooled over the repeats
    pooled = [micro_f1(oof_probabilities(X, y, rec, C, seed=r) >= cutoff, y, lost, implied) for r in range(REPEATS)]
    p, r = float(np.mean([x[0] for x in pooled])), float(np.mean([x[1] for x in pooled]))
    scaler, model = fit(X, y, C)
    facts = {
        "trained_by": "bench/train_country_about.py",
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "data": "country candidates of the tuning half of the development gold set (labelled-dev.jsonl): "
                "Wikinews (CC BY 2.5, Wikinews contributors), HuffPost (News Category Dataset, Rishabh Misra "
                "2022, CC BY 4.0) and UN General Debate Corpus (CC0) items; no Reuters text, no held-out item; "
                "only numeric features of candidates are kept, no text",
        "records": len(rows), "candidates": int(len(y)), "positives": int(y.sum()), "unreachable": lost,
        "implied_only_candidates": int(len(implied[0])),
        "C": C, "C_rule": "one standard error: the smallest C within one sd of the best C's F1", "best_C": best_c,
        "folds": FOLDS, "repeats": REPEATS,
        "cv_micro_f1": round(f1, 4), "cv_f1_sd": round(sd, 4), "cv_precision": round(p, 4), "cv_recall": round(r, 4),
        "hand_set_salience_f1": round(baseline[2], 4),
    }
    result = about.AboutModel(
        about.FEATURES, tuple(float(v) for v in scaler.mean_), tuple(float(v) for v in scaler.scale_),
        tuple(round(float(v), 6) for v in model.coef_[0]), round(float(model.intercept_[0]), 6), cutoff, facts,
    )
    args.out.write_text(result.to_json() + "\n", encoding="utf-8")
    print(f"chosen C={C} cut-off {cutoff:.2f}: out-of-fold P {p:.3f} R {r:.3f} F1 {f1:.3f}; wrote {args.out}")
    for name, w in sorted(zip(about.FEATURES, model.coef_[0]), key=lambda kv: -abs(kv[1])):
        print(f"  {name:16s} {w:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
