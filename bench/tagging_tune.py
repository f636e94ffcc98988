"""How the salience constants were chosen: a grid search on a dev half of Reuters-21578, checked on the other half.

    nice python bench/tagging_tune.py [--gold ../shared/corpora/reuters-21578-modapte-train.jsonl]

Dev = even-numbered records, held-out = odd-numbered. Each record is tagged once; country mention
offsets are then rescored under every grid point (title weight, lead weight, lead length, saturation,
absolute share, threshold). Prints the current setting's dev / held-out micro-F1, the "every mention
counts" baseline, and the best grid points on dev with their held-out score.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from trends.tagging import ABOUT_THRESHOLD, default_tagger, salience
from trends.tagging.evaluate import load_gold, score_sets

DEFAULT_GOLD = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "reuters-21578-modapte-train.jsonl"


def mention_offsets(records):
    tagger = default_tagger()
    out = []
    for i, rec in enumerate(records):
        spans = {t.key: [s for s, _ in t.spans] for t in tagger.extract(rec.text) if t.kind == "country"}
        out.append((i, rec.text.find("\n\n"), spans, rec.gold))
    return out


def micro_f1(rows, title_w, lead_w, lead_chars, saturation, share, threshold) -> float:
    golds, preds = [], []
    for _, cut, spans, gold in rows:
        evidence = {k: sum(title_w if s < cut else lead_w if s < cut + 2 + lead_chars else 1.0 for s in ss) for k, ss in spans.items()}
        top = max(evidence.values(), default=1.0)
        preds.append(frozenset(
            k for k, raw in evidence.items() if share * min(1.0, raw / saturation) + (1 - share) * raw / top >= threshold
        ))
        golds.append(gold)
    return score_sets(golds, preds)["micro"]["f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(DEFAULT_GOLD))
    args = parser.parse_args()
    rows = mention_offsets(load_gold(args.gold, ["title", "dateline", "body"], "countries_iso3"))
    dev = [r for r in rows if r[0] % 2 == 0]
    held = [r for r in rows if r[0] % 2 == 1]
    current = (salience.TITLE_WEIGHT, salience.LEAD_WEIGHT, salience.LEAD_CHARS, salience.SATURATION,
               salience.ABSOLUTE_SHARE, ABOUT_THRESHOLD)
    print(f"current {current}: dev {micro_f1(dev, *current):.4f}  held-out {micro_f1(held, *current):.4f}")
    print(f"every mention counts: dev {micro_f1(dev, *current[:5], 0.0):.4f}  held-out {micro_f1(held, *current[:5], 0.0):.4f}")
    grid = itertools.product([2, 3, 4], [1.5, 2, 3], [150, 250, 400], [3, 4, 6], [0.3, 0.5, 0.7], [0.4, 0.5, 0.6])
    ranked = sorted(((micro_f1(dev, *p), p) for p in grid), reverse=True)
    for f1, p in ranked[:5]:
        print(f"grid {p}: dev {f1:.4f}  held-out {micro_f1(held, *p):.4f}")


if __name__ == "__main__":
    main()
