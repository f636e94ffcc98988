"""Does this tree's tagger give exactly the tags of a reference revision's (default: main)?

    nice python bench/tagging_equal.py [--ref main] [--per-source 600] [--pool]

The reference is the revision's ``src`` exported with ``git archive`` into a temp dir and run in a
subprocess with that ``src`` first on PYTHONPATH (the runner checks which ``trends`` it imported); this
tree is run the same way. Texts: seed-sized variants of the seed page and generated demo articles, plus
real texts read at run time from /work/shared/corpora (Reuters with and without the dateline, UN speeches,
Wikinews, HuffPost, the labelled set); nothing read from there is written anywhere but the temp dir.
Both sides tag every text with ``trends.tagging.extract``; this tree also with ``tag_records`` (the batch
path, in one process, and with ``--pool`` on 2 processes). Every tag is compared: kind, key, label,
method, mention count, spans, score (to 1e-9), about/mentioned and the order. Prints one JSON object whose
``result`` is "identical" or "DIFFERENT" (exit 1) with the first differences.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPORA = ROOT.parents[1] / "shared" / "corpora"
if not CORPORA.is_dir():
    CORPORA = Path("/work/shared/corpora")

RUNNER = r"""
import json, sys
expected_src, texts_path, out_path, modes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
import trends
from pathlib import Path
if not Path(trends.__file__).resolve().is_relative_to(Path(expected_src).resolve()):
    sys.exit(f"imported trends from {trends.__file__}, expected {expected_src}")
from trends.tagging import ABOUT_THRESHOLD, extract
import trends.tagging as tagging
texts = json.loads(Path(texts_path).read_text(encoding="utf-8"))

def dump(tags):
    return [[t.kind, t.key, t.label, t.method, t.mentions, [list(s) for s in t.spans], float(t.score),
             bool(t.score >= ABOUT_THRESHOLD)] for t in tags]

out = {}
for mode in modes:
    if mode == "extract":
        out[mode] = [dump(extract(t)) for t in texts]
    elif mode == "batch":
        out[mode] = [dump(tags) for tags in tagging.tag_records(texts, processes=1)]
    elif mode == "pool":
        out[mode] = [dump(tags) for tags in tagging.tag_records(texts, processes=2)]
Path(out_path).write_text(json.dumps(out), encoding="utf-8")
"""


def _jsonl(path: Path, limit: int) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
            if len(rows) >= limit:
                break
    return rows


def corpus_texts(per_source: int) -> dict[str, list[str]]:
    """Real texts by source, ``title + "\\n\\n" + body`` as the ingest builds them."""
    out: dict[str, list[str]] = {}
    reuters = CORPORA / "reuters-21578-modapte-train.jsonl"
    if reuters.exists():
        rows = _jsonl(reuters, 2 * per_source)
        out["reuters_dateline"] = [r["title"] + "\n\n" + r.get("dateline", "") + " " + r["body"] for r in rows[:per_source]]
        out["reuters_no_dateline"] = [r["title"] + "\n\n" + r["body"] for r in rows[per_source:]]
    un = CORPORA / "un-general-debates-2014-2024.jsonl"
    if un.exists():
        out["un_speeches"] = [f"{r['country']} at the General Assembly {r['year']}\n\n{r['text']}" for r in _jsonl(un, max(20, per_source // 8))]
    wikinews = sorted((CORPORA / "wikinews").glob("*.csv"))
    if wikinews:
        texts = []
        for path in wikinews:
            with open(path, encoding="utf-8", newline="") as fh:
                texts += [row["title"] + "\n\n" + row["text"] for row in csv.DictReader(fh)]
        out["wikinews"] = texts[:per_source]
    huffpost = CORPORA / "huffpost-news-category-10k.jsonl"
    if huffpost.exists():
        out["huffpost"] = [r["headline"] + "\n\n" + r["short_description"] for r in _jsonl(huffpost, per_source)]
    labelled = CORPORA / "labelled" / "labelled-dev.jsonl"
    if labelled.exists():
        out["labelled"] = [r["title"] + "\n\n" + r["body"] for r in _jsonl(labelled, per_source)]
    return out


def generated_texts(per_source: int) -> dict[str, list[str]]:
    sys.path.insert(0, str(HERE))
    from tagging_bench import seed_like_texts
    from trends.demo.generator import Generator

    demo = []
    for article in Generator(per_source, seed=11):
        demo.append(article.title + "\n\n" + article.body)
    return {"seed_like": seed_like_texts(per_source, seed=3), "demo": demo[:per_source]}


def export_src(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_tagger(src: Path, texts_path: Path, out_path: Path, modes: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), TRENDS_CACHE_DIR="off")
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(src), str(texts_path), str(out_path), ",".join(modes)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"tagger in {src} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(out_path.read_text(encoding="utf-8"))


def compare_tags(ref: list, ours: list) -> str | None:
    """None when the two tag lists are the same, else what differs first."""
    if len(ref) != len(ours):
        return f"{len(ref)} tags vs {len(ours)}: {[t[:2] for t in ref]} vs {[t[:2] for t in ours]}"
    for a, b in zip(ref, ours):
        if a[:6] != b[:6] or abs(a[6] - b[6]) > 1e-9 or a[7] != b[7]:
            return f"{a} vs {b}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git revision whose src is the reference tagger")
    parser.add_argument("--per-source", type=int, default=600, help="texts per source (UN: an eighth of it)")
    parser.add_argument("--pool", action="store_true", help="also compare tag_records on a 2-process pool")
    args = parser.parse_args()
    by_source = {**generated_texts(args.per_source), **corpus_texts(args.per_source)}
    texts, sources = [], []
    for name, items in by_source.items():
        texts += items
        sources += [name] * len(items)
    modes = ["extract", "batch"] + (["pool"] if args.pool else [])
    with tempfile.TemporaryDirectory(prefix="tagging-equal-") as tmp:
        tmp = Path(tmp)
        texts_path = tmp / "texts.json"
        texts_path.write_text(json.dumps(texts), encoding="utf-8")
        ref_src = export_src(args.ref, tmp)
        ref = run_tagger(ref_src, texts_path, tmp / "ref.json", ["extract"])["extract"]
        ours = run_tagger(ROOT / "src", texts_path, tmp / "ours.json", modes)
    differences = []
    counts = {mode: 0 for mode in modes}
    for mode in modes:
        for i, (a, b) in enumerate(zip(ref, ours[mode])):
            diff = compare_tags(a, b)
            if diff:
                counts[mode] += 1
                if len(differences) < 10:
                    differences.append({"mode": mode, "text": i, "source": sources[i], "first": diff[:600]})
    report = {
        "ref": args.ref,
        "ref_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", args.ref], capture_output=True, text=True).stdout.strip(),
        "texts": len(texts),
        "texts_by_source": {name: len(items) for name, items in by_source.items()},
        "tags_compared": sum(len(t) for t in ref) * len(modes),
        "modes": modes,
        "texts_differing": counts,
        "result": "identical" if not any(counts.values()) else "DIFFERENT",
        "differences": differences,
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0 if report["result"] == "identical" else 1


if __name__ == "__main__":
    sys.exit(main())
