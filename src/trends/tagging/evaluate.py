"""`trends eval topics|countries`: precision, recall and F1 of the tagger against a gold JSONL file.

Predicted sets follow the dashboard's rule: a tag counts when ``score >= ABOUT_THRESHOLD`` (what the
record is *about*), except for ``countries_mentioned``, which takes every country tag. The first text
field is the title; the others are joined as the body, so a dateline or lead counts as the start of the
body. ``--labels`` may name several label fields (``countries_about,countries_mentioned``); each is
scored on the same tagging pass. ``--split tune|heldout`` scores one half of the labelled set
(``trends.tagging.gold``).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict

from trends.tagging.gold import GoldRecord, load_gold
from trends.tagging.model import ABOUT_THRESHOLD, Tag

NONE = "-"
MIN_SUPPORT = 3  # the "supported" macro average counts labels with at least this many gold examples


def predicted(tags: list[Tag], labels: str) -> frozenset[str]:
    """The keys a label field is compared with: about-topics, about-countries or every country."""
    if labels.startswith("topic"):
        return frozenset(t.key for t in tags if t.kind == "topic" and t.about)
    if labels == "countries_mentioned":  # named, not merely implied ("the Senate" implies the US)
        return frozenset(t.key for t in tags if t.kind == "country" and t.method != "implied")
    return frozenset(t.key for t in tags if t.kind == "country" and t.about)


def predicted_countries(tags: list[Tag]) -> frozenset[str]:
    return predicted(tags, "countries_about")


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _mean(rows: list[tuple[float, float, float]]) -> dict:
    means = [sum(v[i] for v in rows) / len(rows) if rows else 0.0 for i in range(3)]
    return dict(zip(("precision", "recall", "f1"), means))


def score_sets(
    golds: list[frozenset[str]], preds: list[frozenset[str]], ids: list[str] | None = None, min_support: int = MIN_SUPPORT
) -> dict:
    """Micro and macro P/R/F1, a per-label table, and the commonest confusions and errors.

    ``macro`` averages over every label in gold or predictions; ``macro_supported`` over labels with at
    least ``min_support`` gold examples. A confusion pairs a missed gold label with a wrongly predicted
    one in the same record; a miss with no wrong prediction pairs with "-" (and vice versa).
    """
    ids = ids or [str(i) for i in range(len(golds))]
    tp, fp, fn, support = Counter(), Counter(), Counter(), Counter()
    confusions: Counter = Counter()
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    exact = 0
    for rid, gold, pred in zip(ids, golds, preds):
        exact += gold == pred
        support.update(gold)
        tp.update(gold & pred)
        missed, extra = sorted(gold - pred), sorted(pred - gold)
        fn.update(missed)
        fp.update(extra)
        for label in missed:
            examples[(label, "missed")].append(rid)
        for label in extra:
            examples[(label, "wrongly given")].append(rid)
        if missed and extra:
            confusions.update((g, p) for g in missed for p in extra)
        else:
            confusions.update((g, NONE) for g in missed)
            confusions.update((NONE, p) for p in extra)
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    labels = sorted(set(tp) | set(fp) | set(fn))
    per_label = {label: _prf(tp[label], fp[label], fn[label]) for label in labels}
    errors = Counter({key: len(v) for key, v in examples.items()})
    return {
        "records": len(golds),
        "exact_match": exact / len(golds) if golds else 0.0,
        "micro": dict(zip(("precision", "recall", "f1"), micro)),
        "macro": _mean(list(per_label.values())),
        "macro_supported": _mean([per_label[k] for k in labels if support[k] >= min_support]),
        "min_support": min_support,
        "labels": len(labels),
        "tp": sum(tp.values()),
        "fp": sum(fp.values()),
        "fn": sum(fn.values()),
        "per_label": [
            {"label": k, "gold": support[k], "tp": tp[k], "fp": fp[k], "fn": fn[k],
             "precision": per_label[k][0], "recall": per_label[k][1], "f1": per_label[k][2]}
            for k in sorted(labels, key=lambda k: (-support[k], k))
        ],
        "confusions": [{"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(10)],
        "errors": [
            {"label": label, "error": kind, "count": c, "examples": examples[(label, kind)][:4]}
            for (label, kind), c in errors.most_common(10)
        ],
    }


def evaluate(records: list[GoldRecord], label_fields: list[str], processes: int | None = None, profile=None) -> dict:
    """Tag every record once and score each label field; per-source figures under ``by_source``."""
    from trends.tagging.parallel import extract_many

    start = time.perf_counter()
    all_tags = extract_many([r.text for r in records], processes=processes, profile=profile)
    seconds = time.perf_counter() - start
    out = {}
    for field in label_fields:
        preds = [predicted(tags, field) for tags in all_tags]
        result = score_sets([r.gold[field] for r in records], preds, [r.id for r in records])
        by_source: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            by_source[r.source].append(i)
        if len(by_source) > 1:
            result["by_source"] = {
                src: {k: v for k, v in score_sets([records[i].gold[field] for i in idx], [preds[i] for i in idx]).items()
                      if k in ("records", "micro", "macro_supported", "tp", "fp", "fn")}
                for src, idx in sorted(by_source.items())
            }
        result["about_threshold"] = ABOUT_THRESHOLD
        result["seconds"] = round(seconds, 2)
        out[field] = result
    return out


def evaluate_countries(records: list[GoldRecord], processes: int | None = None) -> dict:
    """Country "about" scores of single-label records (as returned by ``load_gold``)."""
    multi = [_MultiRecord(r.text, {"countries": r.gold}, r.id, r.source) for r in records]
    return evaluate(multi, ["countries"], processes)["countries"]


class _MultiRecord:
    """One text with several label fields (topics, countries_about, ...)."""

    __slots__ = ("text", "gold", "id", "source")

    def __init__(self, text, gold, rid, source):
        self.text, self.gold, self.id, self.source = text, gold, rid, source


def load_multi(path, text_fields: list[str], label_fields: list[str], limit=None, split="all") -> list[_MultiRecord]:
    per_field = {f: load_gold(path, text_fields, f, limit, split) for f in label_fields}
    first = per_field[label_fields[0]]
    return [
        _MultiRecord(r.text, {f: per_field[f][i].gold for f in label_fields}, r.id, r.source)
        for i, r in enumerate(first)
    ]


def _fmt_prf(name: str, d: dict) -> str:
    return f"{name:<6} precision {d['precision']:.3f}  recall {d['recall']:.3f}  F1 {d['f1']:.3f}"


def format_report(result: dict, gold_path: str, what: str = "country", field: str = "", split: str = "all") -> str:
    m = result["micro"]
    lines = [
        f"{what} tagging vs {gold_path}" + (f"  [{field}]" if field else "") + (f"  split: {split}" if split != "all" else ""),
        f"records: {result['records']}   labels: {result['labels']}   about threshold: score >= {result['about_threshold']}",
        _fmt_prf("micro", m) + f"   (tp {result['tp']}, fp {result['fp']}, fn {result['fn']})",
        _fmt_prf("macro", result["macro"]),
        _fmt_prf("macro", result["macro_supported"]) + f"   (labels with >= {result['min_support']} gold examples)",
        f"exact-match records: {result['exact_match']:.3f}   tagging time: {result['seconds']:.1f} s",
    ]
    if "by_source" in result:
        lines.append("by source:")
        for src, s in result["by_source"].items():
            lines.append(f"  {src or '(none)':<22} n={s['records']:<5}" + _fmt_prf("micro", s["micro"])[6:])
    if what == "topic":
        lines.append(f"{'topic':<26} {'gold':>4} {'tp':>4} {'fp':>4} {'fn':>4}  {'P':>5} {'R':>5} {'F1':>5}")
        for row in result["per_label"]:
            lines.append(
                f"{row['label']:<26} {row['gold']:>4} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4}"
                f"  {row['precision']:>5.2f} {row['recall']:>5.2f} {row['f1']:>5.2f}"
            )
        lines.append("10 commonest errors:")
        for e in result["errors"]:
            lines.append(f"  {e['label']:<26} {e['error']:<14} {e['count']:>4}   e.g. {', '.join(e['examples'])}")
    else:
        lines.append("10 commonest confusions (gold -> predicted; '-' = none):")
        for c in result["confusions"]:
            lines.append(f"  {c['gold']:>4} -> {c['predicted']:<4} {c['count']:>5}")
    return "\n".join(lines)


def cmd_eval(args) -> int:
    fields = [f.strip() for f in str(args.text_fields).split(",") if f.strip()]
    default = "topics" if args.what == "topics" else "countries_iso3"
    label_fields = [f.strip() for f in str(args.labels or default).split(",") if f.strip()]
    split = getattr(args, "split", "all") or "all"
    profile = None
    if getattr(args, "profile", None):
        from trends.tagging.profile import load_profile

        profile = load_profile(args.profile)
    records = load_multi(args.gold, fields, label_fields, args.limit, split)
    if not records:
        raise ValueError(f"{args.gold}: no records in split {split!r}")
    results = evaluate(records, label_fields, profile=profile)
    if getattr(args, "json", False):
        print(json.dumps(results[label_fields[0]] if len(label_fields) == 1 else results, indent=2))
    else:
        what = "topic" if args.what == "topics" else "country"
        print("\n\n".join(format_report(results[f], args.gold, what, f, split) for f in label_fields))
    return 0
