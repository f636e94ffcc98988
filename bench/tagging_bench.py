"""Tagging throughput: seed-sized articles per second in one process, and extract_many on 2 processes.

    nice python bench/tagging_bench.py [--articles 2000] [--runs 5] [--retag-articles 3000] [--baseline-src OLD/src]

Texts are the seed page's body with variations (paragraphs reordered, countries, people and numbers
swapped), so they are seed-sized (~2.9k characters) and not identical. Single-process figures are given
both per wall-clock second and per CPU second of this process (the machine is shared; CPU time is the
fair "per core" figure), per article (``extract``) and in batches of 100 (``extract_many``, the path
ingest and retag take). The tagger is the bundled profile's: rules plus the trained topic classifier. With --retag-articles N a synthetic demo database of N articles is built in a
temp dir and `retag_database` (tag + write + theme fit) is timed on 2 processes. With --baseline-src
another tree's src/ (e.g. the code before a change) and this tree each run in a warm process of their own,
timed in turns (``--runs`` rounds of the batch path over the same texts, the order swapped every round), so
both see the same load: per side the median and best articles per CPU second, and the median of the
per-round ratios. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tagging_tune import DEFAULT_GOLD  # bench/ is on sys.path when this runs as a script
from trends.paths import SEED_PAGE as SEED

SWAPS = [
    ("Russia", ["Russia", "Iran", "Turkey", "India", "Brazil"]),
    ("China", ["China", "India", "Saudi Arabia", "Japan", "Germany"]),
    ("Ukraine", ["Ukraine", "Taiwan", "Syria", "Georgia", "Moldova"]),
    ("Putin", ["Putin", "Erdogan", "Modi", "Lula", "Macron"]),
    ("Moscow", ["Moscow", "Ankara", "New Delhi", "Brasilia", "Paris"]),
]


def seed_like_texts(n: int, seed: int = 7) -> list[str]:
    raw = SEED.read_text(encoding="utf-8")
    title = "CFR: Putin-Xi Summit Strengthens Anti-American Partnership"
    body = raw[raw.index("According to") : raw.index("Read also:")]
    paragraphs = [p.strip() for p in body[body.index("\n") :].split("\n\n") if p.strip()]
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        paras = paragraphs[:]
        rng.shuffle(paras)
        text = title + "\n\n" + "\n\n".join(paras)
        for word, options in SWAPS:
            text = text.replace(word, rng.choice(options))
        texts.append(text.replace("12-point", f"{rng.randint(2, 40)}-point"))
    return texts


BATCH = 100  # texts per extract_many call: the pool's chunk size (trends.tagging.parallel.CHUNK_SIZE)


def time_single(texts: list[str], runs: int) -> dict:
    from trends.tagging import default_tagger

    tagger = default_tagger()
    for t in texts[:50]:
        tagger.extract(t)  # warm
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        for t in texts:
            tagger.extract(t)
        wall.append(len(texts) / (time.perf_counter() - w0))
        cpu.append(len(texts) / (time.process_time() - c0))
    out = {"articles_per_s_wall_median": round(statistics.median(wall)), "articles_per_cpu_s_median": round(statistics.median(cpu)),
           "runs_wall": [round(x) for x in wall]}
    if hasattr(tagger, "extract_many"):  # the batch path ingest and retag take (tag_records, the pool's chunks)
        wall, cpu = [], []
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.process_time()
            for i in range(0, len(texts), BATCH):
                tagger.extract_many(texts[i : i + BATCH])
            wall.append(len(texts) / (time.perf_counter() - w0))
            cpu.append(len(texts) / (time.process_time() - c0))
        out["batch_articles_per_cpu_s_median"] = round(statistics.median(cpu))
        out["batch_runs_wall"] = [round(x) for x in wall]
    return out


def time_pool(texts: list[str], runs: int, processes: int = 2) -> dict:
    from trends.tagging import TaggingPool, extract_many

    with TaggingPool(processes) as pool:
        pool.extract_many(texts[:500])  # start the workers and build their automata
        warm = []
        for _ in range(runs):
            w0 = time.perf_counter()
            pool.extract_many(texts)
            warm.append(len(texts) / (time.perf_counter() - w0))
    w0 = time.perf_counter()
    extract_many(texts, processes=processes)
    cold = len(texts) / (time.perf_counter() - w0)
    return {"processes": processes, "warm_pool_articles_per_s_median": round(statistics.median(warm)),
            "runs_wall": [round(x) for x in warm], "extract_many_cold_articles_per_s": round(cold)}


def time_reuters(runs: int) -> dict | None:
    path = DEFAULT_GOLD
    if not path.exists():  # a git worktree sits one folder deeper than the main checkout
        path = Path(__file__).resolve().parents[3] / "shared" / "corpora" / DEFAULT_GOLD.name
    if not path.exists():
        return None
    from trends.tagging.evaluate import load_gold

    texts = [r.text for r in load_gold(path, ["title", "dateline", "body"], "countries_iso3")]
    out = time_single(texts, runs)
    out["articles"] = len(texts)
    out["mean_chars"] = round(sum(map(len, texts)) / len(texts))
    return out


def time_retag(n: int) -> dict:
    from trends.cli import main
    from trends.tagging import retag_database

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        main(["demo", "--db", str(db), "--articles", str(n), "--quiet", "--bulk"])
        t0 = time.perf_counter()
        result = retag_database(db, progress=False, processes=2)
        seconds = time.perf_counter() - t0
    return {"articles": result["articles"], "tags": result["tags"], "themes": result["themes"], "seconds": round(seconds, 2),
            "articles_per_s": round(result["articles"] / seconds)}


_TURN_WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from tagging_bench import BATCH, seed_like_texts
import trends
from trends.tagging import default_tagger
texts = seed_like_texts(int(sys.argv[2]))
tagger = default_tagger()
for t in texts[:50]:
    tagger.extract(t)  # warm
print(json.dumps({"trends": trends.__file__}), flush=True)
for _ in sys.stdin:
    c0 = time.process_time()
    for i in range(0, len(texts), BATCH):
        tagger.extract_many(texts[i : i + BATCH])
    print(len(texts) / (time.process_time() - c0), flush=True)
"""


def time_in_turns(n_texts: int, rounds: int, baseline_src: Path) -> dict:
    """This tree's tagger against ``baseline_src``'s, each in its own warm process, timed in turns."""
    import subprocess

    here = Path(__file__).resolve().parent
    sides = {"ours": str(here.parent / "src"), "baseline": str(baseline_src.resolve())}
    procs = {}
    for side, src in sides.items():
        env = {**os.environ, "PYTHONPATH": src}
        procs[side] = subprocess.Popen([sys.executable, "-c", _TURN_WORKER, str(here), str(n_texts)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=env)
    out: dict = {"rounds": rounds, "texts": n_texts}
    for side, proc in procs.items():
        imported = json.loads(proc.stdout.readline())["trends"]
        if not Path(imported).resolve().is_relative_to(Path(sides[side]).resolve()):
            raise SystemExit(f"{side}: imported trends from {imported}, expected {sides[side]}")
        out[f"{side}_src"] = sides[side]
    rates: dict[str, list[float]] = {side: [] for side in procs}
    loads = []
    for r in range(rounds):
        loads.append(round(os.getloadavg()[0], 1))
        for side in (list(procs) if r % 2 == 0 else list(procs)[::-1]):
            procs[side].stdin.write("go\n")
            procs[side].stdin.flush()
            rates[side].append(float(procs[side].stdout.readline()))
    for proc in procs.values():
        proc.stdin.close()
        proc.wait()
    for side, values in rates.items():
        out[side] = {"batch_articles_per_cpu_s_median": round(statistics.median(values)),
                     "batch_articles_per_cpu_s_best": round(max(values)), "runs": [round(v) for v in values]}
    out["ratio_median"] = round(statistics.median(a / b for a, b in zip(rates["ours"], rates["baseline"])), 3)
    out["load_1m_per_round"] = loads
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--retag-articles", type=int, default=0, help="also time retag of a demo DB of N articles")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="another tree's src/: only time it against this tree, in turns (see above)")
    args = parser.parse_args()
    if args.baseline_src:
        report = {"cpus": os.cpu_count(), "in_turns": time_in_turns(args.articles, args.runs, args.baseline_src)}
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    texts = seed_like_texts(args.articles)
    from trends.tagging.profile import default_profile

    profile = default_profile()
    report = {
        "profile": {"version": profile.version, "model_topics": len(profile.model.topics) if profile.model else 0},
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "single_process": time_single(texts, args.runs),
        "extract_many": time_pool(texts, max(3, args.runs // 2)),
    }
    reuters = time_reuters(max(1, args.runs // 2))
    if reuters:
        report["reuters_single_process"] = reuters
    if args.retag_articles:
        report["retag_2_processes"] = time_retag(args.retag_articles)
    report["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
