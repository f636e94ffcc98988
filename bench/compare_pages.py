"""Every dashboard page query: the previous code on its single-file database vs this code on the same
data as an archive (one segment, and with delta segments), same samples, same percentile.

    nice python bench/compare_pages.py --legacy bench/cache/demo-100000.duckdb --old-src /work/main/src \\
        --archive bench/cache/archive-100000 [--archive bench/cache/archive-100000-plus6] [--repeat 20]

Each side runs in its own fresh process (``--old-src`` on PYTHONPATH for the previous code), calling
bench/page_queries.py's queries: one warm call, then ``--repeat`` timed calls; p50 and p95 per query.
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
import json, pickle, statistics, sys, time
sys.path.insert(0, sys.argv[2])
from page_queries import page_queries
db, repeat, answers = sys.argv[1], int(sys.argv[3]), sys.argv[4]
calls = page_queries(db)
out, results = {}, {}
for name, call in calls.items():
    results[name] = call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter(); call(); samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    out[name] = {"p50_ms": round(statistics.median(samples), 1),
                 "p95_ms": round(samples[min(len(samples) - 1, max(0, int(round(0.95 * len(samples))) - 1))], 1)}
pickle.dump(results, open(answers, "wb"))
print(json.dumps(out))
"""


def run_side(db: Path, repeat: int, src: str | None, answers: Path) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", SIDE, str(db), str(HERE), str(repeat), str(answers)],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
    sides = {"single file (previous code)": run_side(args.legacy, args.repeat, args.old_src, HERE / "cache" / "answers-old.pkl")}
    old_answers = pickle.load(open(HERE / "cache" / "answers-old.pkl", "rb"))
    agree = {}
    for archive in args.archive:
        name = f"archive {archive.name}"
        sides[name] = run_side(archive, args.repeat, None, HERE / "cache" / "answers-new.pkl")
        new_answers = pickle.load(open(HERE / "cache" / "answers-new.pkl", "rb"))
        agree[name] = {q: same(old_answers[q], new_answers[q]) for q in old_answers}
    result = {"sides": sides, "answers_equal": agree, "repeat": args.repeat, "load_1m": [load0, os.getloadavg()[0]]}
    args.json.write_text(json.dumps(result, indent=2, default=str))
    names = list(sides)
    lines = ["# Page queries: previous single file vs archive", "",
             f"Command: `python bench/compare_pages.py {' '.join(sys.argv[1:] if argv is None else argv)}`; "
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, 1-minute load "
             f"{load0:.1f} -> {os.getloadavg()[0]:.1f}. p50 / p95 ms over {args.repeat} warm calls per query, each side in "
             "its own process. `same` = the archive's answer equals the previous code's (searches: ids and scores; "
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
