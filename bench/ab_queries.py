"""Our read plans against another version of trends, interleaved: which code does less work per call.

    nice python bench/ab_queries.py --base-src /work/main/src [--archive bench/cache/archive-100000]
        [--families volume_share_active,rising_falling_topic,...] [--mixes 50]

Two worker processes, one importing trends from ``--base-src`` (e.g. main's checkout), one from this
tree's src, answer bench/workload.py's seeded mixes family by family, taking turns (which goes first
alternates by mix), so both see the same machine load. Per call: wall time and the process's CPU time
(``time.process_time``: both DuckDB threads), p50 / p95 nearest rank; the CPU figures are the ones to
read on a loaded machine. Answers are not compared here (bench/run.py compares them with pandas and
polars). Prints its figures; not run by pytest.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

WORKER = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
import workload as wl
db, count, seed = sys.argv[2], int(sys.argv[3]), 13
vocab = wl.vocabulary(db)
mixes = wl.mixes(vocab, count, seed)
ctx = {"words": vocab["words"], "topic": vocab["topic"]}
print("ready", flush=True)
for line in sys.stdin:
    fam, i = line.split()
    i = int(i)
    c0, t0 = time.process_time(), time.perf_counter()
    wl.FAMILIES[fam]["ours"](db, mixes[i], {**ctx, "i": i})
    print(json.dumps([(time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000]), flush=True)
'''


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-src", required=True, help="the src folder of the version to compare with")
    ap.add_argument("--archive", default=str(HERE / "cache" / "archive-100000"))
    ap.add_argument("--families", default="volume_share_active,rising_falling_topic,co_mentions,country_map,"
                                          "volume_topic,views_by_topic,views_by_source")
    ap.add_argument("--mixes", type=int, default=50)
    args = ap.parse_args()
    sides = {}
    for name, src in (("base", args.base_src), ("this", str(HERE.parent / "src"))):
        env = dict(os.environ, PYTHONPATH=src)
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(HERE), args.archive, str(args.mixes)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the {name} worker did not start")
        sides[name] = proc

    def ask(proc, fam: str, i: int) -> list[float]:
        proc.stdin.write(f"{fam} {i}\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    print(f"archive {args.archive}, {args.mixes} mixes; 1-minute load {os.getloadavg()[0]:.1f}")
    for fam in args.families.split(","):
        got = {name: ([], []) for name in sides}
        for i in range(3):  # warm-up, untimed
            for proc in sides.values():
                ask(proc, fam, i)
        for i in range(args.mixes):
            order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
            for name, proc in order:
                wall, cpu = ask(proc, fam, i)
                got[name][0].append(wall)
                got[name][1].append(cpu)
        cells = [f"{name}: wall p50 {pct(w, .5):6.1f} p95 {pct(w, .95):6.1f}, cpu p50 {pct(c, .5):6.1f} p95 {pct(c, .95):6.1f}"
                 for name, (w, c) in got.items()]
        ratio = sum(got["base"][1]) / max(sum(got["this"][1]), 1e-9)
        print(f"{fam:22s} | {' | '.join(cells)} | cpu total base/this {ratio:.2f}x", flush=True)
    print(f"1-minute load at the end {os.getloadavg()[0]:.1f}")
    for proc in sides.values():
        proc.stdin.close()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
