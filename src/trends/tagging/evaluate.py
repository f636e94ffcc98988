"""`trends eval countries`: precision, recall and F1 of the country tagger against a gold JSONL file.

The predicted set for a record is its country tags with ``score >= ABOUT_THRESHOLD`` (what the record
is *about*), the same rule the dashboard uses. The first text field is the title; the others are joined
as the body, so a dateline or lead counts as the start of the body.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from trends.tagging.model import ABOUT_THRESHOLD, Tag

NONE = "-"


@dataclass
class GoldRecord:
    text: str
    gold: frozenset[str]


def load_gold(path: str | Path, text_fields: list[str], labels: str, limit: int | None = None) -> list[GoldRecord]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"gold file not found: {path}")
    if not text_fields:
        raise ValueError("--text-fields needs at least one field name")
    records: list[GoldRecord] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise ValueError(f"{path}:{lineno}: not valid JSON") from None
            if not isinstance(row, dict) or labels not in row:
                raise ValueError(f"{path}:{lineno}: no {labels!r} field")
            gold = row[labels] or []
            if not isinstance(gold, list):
                raise ValueError(f"{path}:{lineno}: {labels!r} must be a list of codes")
            parts = [str(row.get(f) or "").strip() for f in text_fields]
            text = parts[0] + "\n\n" + "\n\n".join(p for p in parts[1:] if p)
            records.append(GoldRecord(text, frozenset(str(g).upper() for g in gold)))
            if limit and len(records) >= limit:
                break
    if not records:
        raise ValueError(f"{path}: no records")
    return records


def predicted_countries(tags: list[Tag]) -> frozenset[str]:
    return frozenset(t.key for t in tags if t.kind == "country" and t.about)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score_sets(golds: list[frozenset[str]], preds: list[frozenset[str]]) -> dict:
    """Micro and macro P/R/F1 (macro over every label in gold or predictions) and the commonest confusions.

    A confusion pairs a missed gold label with a wrongly predicted one in the same record; a miss with
    no wrong prediction pairs with "-" (and vice versa).
    """
    tp, fp, fn = Counter(), Counter(), Counter()
    confusions: Counter = Counter()
    exact = 0
    for gold, pred in zip(golds, preds):
        exact += gold == pred
        for label in gold & pred:
            tp[label] += 1
        missed, extra = sorted(gold - pred), sorted(pred - gold)
        for label in missed:
            fn[label] += 1
        for label in extra:
            fp[label] += 1
        if missed and extra:
            for g in missed:
                for p in extra:
                    confusions[(g, p)] += 1
        else:
            for g in missed:
                confusions[(g, NONE)] += 1
            for p in extra:
                confusions[(NONE, p)] += 1
    micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    labels = set(tp) | set(fp) | set(fn)
    per_label = {label: _prf(tp[label], fp[label], fn[label]) for label in labels}
    macro = tuple(sum(v[i] for v in per_label.values()) / len(per_label) if per_label else 0.0 for i in range(3))
    return {
        "records": len(golds),
        "exact_match": exact / len(golds) if golds else 0.0,
        "micro": dict(zip(("precision", "recall", "f1"), micro)),
        "macro": dict(zip(("precision", "recall", "f1"), macro)),
        "labels": len(labels),
        "tp": sum(tp.values()),
        "fp": sum(fp.values()),
        "fn": sum(fn.values()),
        "confusions": [{"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(10)],
    }


def evaluate_countries(records: list[GoldRecord], processes: int | None = None) -> dict:
    from trends.tagging.parallel import extract_many

    start = time.perf_counter()
    all_tags = extract_many([r.text for r in records], processes=processes)
    seconds = time.perf_counter() - start
    result = score_sets([r.gold for r in records], [predicted_countries(tags) for tags in all_tags])
    result["about_threshold"] = ABOUT_THRESHOLD
    result["seconds"] = round(seconds, 2)
    return result


def format_report(result: dict, gold_path: str) -> str:
    m, M = result["micro"], result["macro"]
    lines = [
        f"country tagging vs {gold_path}",
        f"records: {result['records']}   labels: {result['labels']}   about threshold: score >= {result['about_threshold']}",
        f"micro  precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}"
        f"   (tp {result['tp']}, fp {result['fp']}, fn {result['fn']})",
        f"macro  precision {M['precision']:.3f}  recall {M['recall']:.3f}  F1 {M['f1']:.3f}",
        f"exact-match records: {result['exact_match']:.3f}   tagging time: {result['seconds']:.1f} s",
        "10 commonest confusions (gold -> predicted; '-' = none):",
    ]
    for c in result["confusions"]:
        lines.append(f"  {c['gold']:>4} -> {c['predicted']:<4} {c['count']:>5}")
    return "\n".join(lines)


def cmd_eval(args) -> int:
    fields = [f.strip() for f in str(args.text_fields).split(",") if f.strip()]
    records = load_gold(args.gold, fields, args.labels, args.limit)
    result = evaluate_countries(records)
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result, args.gold))
    return 0
