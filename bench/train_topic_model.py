"""Train the bundled topic model (src/trends/data/topic_model.npz) from the allowed development corpora.

    nice python bench/train_topic_model.py [--corpora ../shared/corpora] [--out src/trends/data/topic_model.npz]

What goes in (and what never does):
- weak supervision (the taxonomy's confident rule matches) over: UN General Debate speeches 2014-2024
  (CC0) as paragraph windows like the labelled set's (``--windows-per-speech`` per speech), every
  Wikinews 2019/2020 article (CC BY 2.5), every HuffPost item of the 10k subset (CC BY 4.0), the
  synthetic demo corpus (``--demo-articles``) and the seed page;
- labelled examples: the TUNING half only of labelled/labelled-dev.jsonl (``trends.tagging.gold``),
  only its UN, Wikinews and HuffPost items;
- never: Reuters text (research-use licence), the held-out half, and no archive text of any labelled
  item (its Wikinews/HuffPost row or its whole UN speech is left out of the weak-supervision archive).
Prints the training facts and the out-of-fold cross-validation figures of the calibrated cut-off (pooled),
and the topics that got their own cut-off. ``--label-weight``, ``--c``, ``--topic-intercept-c``, ``--target-precision`` and ``--topic-cutoff-*`` override
``trends.tagging.training.Settings`` (the defaults were chosen by out-of-fold figures: bench/topic_cv.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = ROOT.parent.parent / "shared" / "corpora"
if not DEFAULT_CORPORA.is_dir():
    DEFAULT_CORPORA = Path("/work/shared/corpora")
ALLOWED_LABELLED_SOURCES = ("UN General Assembly", "Wikinews", "HuffPost")
WINDOW_MIN, WINDOW_MAX = 900, 1800


def un_paragraphs(text: str) -> list[str]:
    """The labelled set's paragraph rule: hard-wrapped speeches split on blank lines, others on lines."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    lengths = sorted(len(ln) for ln in lines)
    wrapped = bool(lengths) and lengths[len(lengths) // 2] < 80
    parts = text.split("\n\n") if wrapped else text.split("\n")
    return [" ".join(p.split()) for p in parts if p.strip()]


def un_windows(text: str) -> list[str]:
    paras = un_paragraphs(text)
    out, i = [], 0
    while i < len(paras):
        j, size = i, 0
        while j < len(paras) and size < WINDOW_MIN:
            size += len(paras[j]) + 1
            j += 1
        if WINDOW_MIN <= size <= WINDOW_MAX:
            out.append("\n\n".join(paras[i:j]))
        i = j  # non-overlapping windows
    return out


def labelled_rows(corpora: Path) -> list[dict]:
    from trends.tagging.gold import read_rows

    return read_rows(corpora / "labelled" / "labelled-dev.jsonl")


def archive_texts(corpora: Path, labelled: list[dict], windows_per_speech: int, demo_articles: int, seed: int) -> tuple[list[str], dict]:
    taken = {str(r["id"]) for r in labelled}
    un_speeches = {":".join(i.split(":")[1:3]) for i in taken if i.startswith("un:")}
    rng = random.Random(seed)
    texts, counts = [], {}

    n = 0
    with open(corpora / "un-general-debates-2014-2024.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if f"{row['iso3']}:{row['year']}" in un_speeches:
                continue
            windows = un_windows(row.get("text") or "")
            for w in rng.sample(windows, min(windows_per_speech, len(windows))):
                texts.append("\n\n" + w)  # UN windows have no title, as in the labelled set
                n += 1
    counts["un_windows"] = n

    n = 0
    wiki_rows = []
    for name in ("wikinews_2019.csv", "wikinews_2020.csv"):
        with open(corpora / "wikinews" / name, encoding="utf-8", newline="") as fh:
            wiki_rows.extend(csv.DictReader(fh))
    for i, row in enumerate(wiki_rows):
        if f"wikinews:{i}" in taken or not (row.get("text") or "").strip():
            continue
        body = "\n".join(row["text"].split("\n")[1:]).strip()  # drop the leading dateline line
        texts.append(f"{row['title']}\n\n{body}")
        n += 1
    counts["wikinews"] = n

    n = 0
    with open(corpora / "huffpost-news-category-10k.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if f"huffpost:{i}" in taken:
                continue
            row = json.loads(line)
            texts.append(f"{row['headline']}\n\n{row.get('short_description') or ''}")
            n += 1
    counts["huffpost"] = n

    from trends.demo.build import seed_page_path
    from trends.demo.generator import Generator

    demo = [f"{a.title}\n\n{a.body}" for _, a in zip(range(demo_articles), Generator(demo_articles, seed=7))]
    texts.extend(demo)
    counts["demo"] = len(demo)
    raw = seed_page_path().read_text(encoding="utf-8")
    texts.append(raw)
    counts["seed_page"] = 1
    return texts, counts


def labelled_examples(labelled: list[dict], topics: list[str]) -> tuple[list[tuple[str, str, bool]], int]:
    from trends.tagging.gold import join_text, split_ids

    tune = split_ids(labelled, "tune")
    examples, n = [], 0
    for row in labelled:
        if str(row["id"]) not in tune or row.get("source") not in ALLOWED_LABELLED_SOURCES:
            continue
        text = join_text(row, ["title", "body"])
        gold = set(row.get("topics") or [])
        examples.extend((text, key, key in gold) for key in topics)
        n += 1
    return examples, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=str(DEFAULT_CORPORA))
    parser.add_argument("--out", default=str(ROOT / "src" / "trends" / "data" / "topic_model.npz"))
    parser.add_argument("--windows-per-speech", type=int, default=4)
    parser.add_argument("--demo-articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    from trends.tagging.training import Settings

    defaults = Settings()
    parser.add_argument("--label-weight", type=float, default=defaults.label_weight,
                        help="weight of a labelled example against a weak one")
    parser.add_argument("--c", type=float, default=defaults.c, help="inverse regularisation of the stage-1 models")
    parser.add_argument("--topic-cutoff-positives", type=int, default=defaults.topic_cutoff_positives,
                        help="labelled positives a topic needs for its own cut-off (0: the pooled cut-off only)")
    parser.add_argument("--topic-cutoff-shrink", type=float, default=defaults.topic_cutoff_shrink,
                        help="how far a topic's own cut-off moves from the pooled one (0..1)")
    parser.add_argument("--topic-intercept-c", type=float, default=defaults.topic_intercept_c,
                        help="inverse L2 penalty of the per-topic stage-2 intercepts (0: none)")
    parser.add_argument("--target-precision", type=float, default=defaults.target_precision,
                        help="the out-of-fold precision the cut-off must reach")
    args = parser.parse_args()
    settings = Settings(label_weight=args.label_weight, c=args.c, topic_cutoff_positives=args.topic_cutoff_positives,
                        topic_cutoff_shrink=args.topic_cutoff_shrink, weak_positive=defaults.weak_positive,
                        topic_intercept_c=args.topic_intercept_c, target_precision=args.target_precision,
                        max_negatives=defaults.max_negatives)
    corpora = Path(args.corpora)

    from trends.tagging.classifier import save_arrays
    from trends.tagging.profile import TaggingProfile
    from trends.tagging.topics import default_taxonomy_path
    from trends.tagging.training import retrain

    t0 = time.perf_counter()
    base = TaggingProfile(default_taxonomy_path().read_text(encoding="utf-8"), None, "bundled")
    labelled = labelled_rows(corpora)
    texts, counts = archive_texts(corpora, labelled, args.windows_per_speech, args.demo_articles, args.seed)
    examples, n_labelled = labelled_examples(labelled, list(base.taxonomy.topics))
    counts["labelled_tune_items"] = n_labelled
    facts = {"corpora": counts, "seed": args.seed,
             "licences": "UN General Debate Corpus (CC0); Wikinews (CC BY 2.5); News Category Dataset, R. Misra (CC BY 4.0); "
                         "synthetic demo; labelled tuning half (UN/Wikinews/HuffPost items only)"}
    facts["settings"] = {k: getattr(settings, k) for k in settings.__dataclass_fields__}
    profile = retrain(base, texts, examples, seed=args.seed, facts=facts, settings=settings,
                      progress=lambda m: print(f"[{time.perf_counter() - t0:6.1f}s] {m}", file=sys.stderr))
    Path(args.out).write_bytes(save_arrays(profile.model.to_arrays()))
    size = Path(args.out).stat().st_size
    print(json.dumps({"out": args.out, "bytes": size, "seconds": round(time.perf_counter() - t0, 1),
                      "topics_with_model": len(profile.model.topics), "features": len(profile.model.vocabulary),
                      **profile.model.meta}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
