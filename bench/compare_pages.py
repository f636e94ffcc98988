"""Every dashboard page query: the previous code on its single-file database vs this code on the same
data as an archive (one segment, and with delta segments), same samples, same percentile.

    nice python bench/compare_pages.py --legacy bench/cache/demo-100000.duckdb --old-src /work/main/src \\
        --archive bench/cache/archive-100000 [--archive bench/cache/archive-100000-plus6] [--repeat 20]

Each side runs in its own process (``--old-src`` on PYTHONPATH for the previous code) serving
bench/page_queries.py's queries; after one warm call each, the driver times ``--repeat`` calls per
query, alternating the sides call by call, so both see the same machine load; p50 and p95 per query.
The answers are compared (frames equal within 1e-9, rows sorted) between the two sides. Writes the JSON
and bench/COMPARE_PAGES.md itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SIDE = r"""
import json, pickle, sys, time
sys.path.insert(0, sys.argv[2])
from page_queries import page_queries
db, answers = sys.argv[1], sys.argv[3]
calls = page_queries(db)
pickle.dump({name: call() for name, call in calls.items()}, open(answers, "wb"))  # also the warm call
print(json.dumps(list(calls)), flush=True)
for line in sys.stdin:
    name = line.strip()
    t0 = time.perf_counter()
    calls[name]()
    print((time.perf_counter() - t0) * 1000, flush=True)
"""


class Side:
    """A process answering one page query per request (interleaved with the other side: same load)."""

    def __init__(self, db: Path, src: str | None, answers: Path):
        env = dict(os.environ)
        if src:
            env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-c", SIDE, str(db), str(HERE), str(answers)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.names = json.loads(self.proc.stdout.readline())

    def time(self, name: str) -> float:
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def percentiles(samples: list[float]) -> dict:
    import statistics

    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, max(0, int(round(0.95 * len(samples))) - 1))], 1)}


def same(a, b) -> bool:
    import pandas as pd

    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, pd.DataFrame):
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return False
        cols = [c for c in a.columns if c not in ("snippet", "notice")]
        try:
            x = a[cols].sort_values(cols[:2]).reset_index(drop=True)
            y = b[cols].sort_values(cols[:2]).reset_index(drop=True)
            pd.testing.assert_frame_equal(x, y, check_dtype=False, rtol=1e-9)
            return True
        except (AssertionError, TypeError, ValueError):
            return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if k not in ("runs",))
    return a == b


def main(argv=None) -> int:
    import pickle

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legacy", type=Path, required=True)
    parser.add_argument("--old-src", required=True)
    parser.add_argument("--archive", type=Path, action="append", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, default=HERE / "compare_pages.json")
    parser.add_argument("--report", type=Path, default=HERE / "COMPARE_PAGES.md")
    args = parser.parse_args(argv)
    load0 = os.getloadavg()[0]
    cache = HERE / "cache"
    names = ["single file (previous code)"] + [f"archive {a.name}" for a in args.archive]
    sides = [Side(args.legacy, args.old_src, cache / "answers-0.pkl")] + [
        Side(a, None, cache / f"answers-{i + 1}.pkl") for i, a in enumerate(args.archive)]
    samples = {n: {q: [] for q in sides[0].names} for n in names}
    for _ in range(args.repeat):
        for q in sides[0].names:
            for n, side in zip(names, sides):
                samples[n][q].append(side.time(q))
    for side in sides:
        side.close()
    answers = [pickle.load(open(cache / f"answers-{i}.pkl", "rb")) for i in range(len(sides))]
    agree = {n: {q: same(answers[0][q], answers[i + 1][q]) for q in answers[0]} for i, n in enumerate(names[1:])}
    sides = {n: {q: percentiles(v) for q, v in samples[n].items()} for n in names}
    result = {"sides": sides, "answers_equal": agree, "repeat": args.repeat, "load_1m": [load0, os.getloadavg()[0]]}
    args.json.write_text(json.dumps(result, indent=2, default=str))
    lines = ["# Page queries: previous single file vs archive", "",
             f"Command: `python bench/compare_pages.py {' '.join(sys.argv[1:] if argv is None else argv)}`; "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, 1-minute load "
             f"{load0:.1f} -> {os.getloadavg()[0]:.1f}. p50 / p95 ms over {args.repeat} warm calls per query, each side in "
             "its own process, the sides' calls interleaved (same load). `same` = the archive's answer equals the previous code's (searches: ids and scores; "
             "view medians from histograms).", "",
             "| query | " + " | ".join(names) + " | same |", "|---|" + "---:|" * len(names) + "---|"]
    for q in sides[names[0]]:
        cells = " | ".join(f"{sides[n][q]['p50_ms']} / {sides[n][q]['p95_ms']}" for n in names)
        lines.append(f"| {q} | {cells} | {', '.join('yes' if agree[n][q] else 'no' for n in agree)} |")
    args.report.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
