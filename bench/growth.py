"""Incremental ingest on a big archive, measured on the real CLI: 1 new article, 1,000 new, 1,000 changed
view counts, dashboard queries during an ingest, and archive bytes per article over 20 small ingests.

    nice python bench/growth.py --archive bench/cache/archive-100000 [--json bench/growth.json]

Works on a copy of ``--archive`` (made once per run, deleted after). Each ingest is `trends ingest
--into-demo` (the archive is the demo's) in its own process under ``/usr/bin/time -v`` (wall seconds, peak RSS), niced, with tagging on. The pages are
seed-format files from the demo generator: new articles from another seed, and the archive's own first
1,000 demo articles re-rendered with higher view counts (same text, so a pure re-scrape). Dashboard
latency: the page queries (bench/page_queries.py) in one warm reader process that samples continuously
(``--reader-seconds`` idle, then while a niced ingest of ``--busy-articles`` new articles runs, then as long
after it); each sample's start and end place it idle (before the ingest), during (wholly inside the ingest
process's lifetime) or after; each query's samples give p95; errors and waits (a query slower than 5 s, or
a lock error) are counted. Writes the JSON and bench/GROWTH.md itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def timed_cli(*args: str) -> dict:
    cmd = ["nice", "-n", "5", "/usr/bin/time", "-v", sys.executable, "-m", "trends.cli", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr[-2000:])
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    h, m, s = (int(wall.group(1) or 0), int(wall.group(2)), float(wall.group(3)))
    line = next((l for l in proc.stderr.splitlines() if l.startswith("trends ingest:")), "")
    # CPU seconds (user + system, with the waited-for children): on a shared machine wall time moves with the load
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", proc.stderr).group(1)) for k in ("User", "System"))
    return {"wall_s": round(h * 3600 + m * 60 + s, 2), "peak_rss_mb": round(int(rss.group(1)) / 1024, 1), "summary": line,
            "cpu_s": round(cpu, 2)}


def write_new_pages(folder: Path, count: int, seed: int) -> Path:
    from trends.demo.generator import Generator, render_page

    folder.mkdir(parents=True, exist_ok=True)
    for i, article in enumerate(Generator(count, seed)):
        (folder / f"new-{seed}-{i:05d}.txt").write_text(render_page(article, None), encoding="utf-8")
    return folder


def write_rescrape(folder: Path, count: int, archive_articles: int, seed: int = 7) -> Path:
    """The archive's own first ``count`` demo articles again, same text, 5 more views each."""
    from trends.demo.generator import Generator, render_page

    folder.mkdir(parents=True, exist_ok=True)
    for i, article in enumerate(Generator(archive_articles, seed)):
        if i >= count:
            break
        views = (article.views_later or article.views) + 5
        (folder / f"again-{i:05d}.txt").write_text(render_page(article, views), encoding="utf-8")
    return folder


def articles_in(db: Path) -> int:
    from trends.store import open_reader

    con = open_reader(db)
    try:
        return int(con.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        con.close()


READER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[2])
from page_queries import page_queries
db, ready, stop = sys.argv[1], sys.argv[3], sys.argv[4]
calls = page_queries(db)
for c in calls.values():  # warm: the first call of each query is not a dashboard's steady state
    c()
open(ready, "w").close()
samples, rounds = [], 0
while not os.path.exists(stop):
    rounds += 1
    with open(ready + ".rounds", "w") as f:  # the rounds begun, for the harness
        f.write(str(rounds))
    for name, call in calls.items():
        t0 = time.monotonic()
        try:
            call()
            error = None
        except Exception as exc:
            error = f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
        t1 = time.monotonic()
        samples.append([name, t0, t1, (t1 - t0) * 1000, error])
print(json.dumps({"samples": samples}))
"""
WAIT_S = 5.0  # a query slower than this counts as a wait


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(0.95 * len(values))) - 1))] if values else float("nan")


def _wait_for(path: Path, proc: subprocess.Popen, what: str) -> None:
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} ended early: {proc.stderr.read()[-2000:]}")
        time.sleep(0.05)


def _rounds(ready: Path) -> int:
    try:
        return int(Path(str(ready) + ".rounds").read_text() or 0)
    except (OSError, ValueError):
        return 0


def during_ingest(db: Path, pages: Path, seconds: float, work: Path, extra: list[str] = (), idle_rounds: int = 10) -> dict:
    """One reader process, warm, samples the page queries continuously: ``seconds`` idle, then while a niced
    ingest of ``pages`` runs, then ``seconds`` after it. Each sample carries its start and end
    (CLOCK_MONOTONIC, shared by the processes), so a sample counts as "during" only when it lies wholly
    inside the ingest process's lifetime and as "idle" only when it ended before the ingest started; the
    ones that straddle a boundary are dropped (counted), and the samples after the ingest (a new generation
    of the archive) are reported apart."""
    ready, stop = work / "reader.ready", work / "reader.stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(HERE), str(ready), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(ready, reader, "the reader")
        idle_until = time.monotonic() + seconds
        while time.monotonic() < idle_until or _rounds(ready) <= idle_rounds:  # enough idle samples of each query
            if reader.poll() is not None:
                raise RuntimeError(f"the reader ended early: {reader.stderr.read()[-2000:]}")
            time.sleep(0.1)
        began = time.monotonic()
        ingest = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "trends.cli", "ingest", str(pages), "--db", str(db),
                                   "--quiet", "--into-demo", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, ingest_err = ingest.communicate()
        ended = time.monotonic()
        time.sleep(seconds)
        stop.touch()
        out, err = reader.communicate(timeout=600)
    finally:
        if reader.poll() is None:
            reader.kill()
    if reader.returncode:
        raise RuntimeError(err[-2000:])
    if ingest.returncode not in (0, 1):
        raise RuntimeError(f"the ingest beside the reader failed: {ingest_err[-1500:]}")
    phases: dict[str, list] = {"idle": [], "during": [], "after": [], "straddling": []}
    for sample in json.loads(out.strip().splitlines()[-1])["samples"]:
        _, t0, t1, _, _ = sample
        phase = ("idle" if t1 < began else "during" if t0 >= began and t1 <= ended else "after" if t0 > ended
                 else "straddling")
        phases[phase].append(sample)
    names = list(dict.fromkeys(s[0] for s in phases["idle"] + phases["during"]))

    def timings(rows, name):
        return [s[3] for s in rows if s[0] == name and s[4] is None]

    def even(values, n):  # n samples spread over the whole phase
        return [values[int(i * len(values) / n)] for i in range(n)] if n < len(values) else values

    idle_p95, during_p95, used = {}, {}, {}
    for n in names:  # the same number of samples on both sides (the larger side thinned evenly)
        idle_t, during_t = timings(phases["idle"], n), timings(phases["during"], n)
        used[n] = k = min(len(idle_t), len(during_t))
        idle_p95[n], during_p95[n] = round(p95(even(idle_t, k)), 1), round(p95(even(during_t, k)), 1)

    errors = [s[4] for ph in ("idle", "during", "after") for s in phases[ph] if s[4]]
    return {
        "idle_p95_ms": idle_p95, "during_p95_ms": during_p95, "samples_per_query_compared": used,
        "after_p95_ms": {n: round(p95(timings(phases["after"], n)), 1) for n in names},
        "idle_samples": len(phases["idle"]), "during_samples": len(phases["during"]), "after_samples": len(phases["after"]),
        "straddling_samples": len(phases["straddling"]),
        "during_min_per_query": min((sum(s[0] == n for s in phases["during"]) for n in names), default=0),
        "ingest_s": round(ended - began, 1), "errors": len(errors), "first_errors": errors[:5],
        "waits": sum(s[3] > WAIT_S * 1000 for ph in ("idle", "during", "after") for s in phases[ph]),
        "reader_nice": os.nice(0), "ingest_returncode": ingest.returncode, "ingest_args": ["nice", "-n", "10", "trends", "ingest", "...", *extra],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--json", type=Path, default=HERE / "growth.json")
    parser.add_argument("--report", type=Path, default=HERE / "GROWTH.md")
    parser.add_argument("--reader-seconds", type=float, default=30, help="reader time idle before (and after) the ingest")
    parser.add_argument("--busy-articles", type=int, default=4000, help="size of the ingest the reader runs beside")
    parser.add_argument("--skip-growth", action="store_true", help="only the dashboard-during-ingest figures")
    parser.add_argument("--report-only", action="store_true", help="rewrite --report from an earlier run's --json")
    parser.add_argument("--idle-rounds", type=int, default=10, help="at least this many idle rounds of every query")
    parser.add_argument("--busy-args", default="", help="extra `trends ingest` arguments for the ingest beside the reader, "
                        "e.g. --busy-args=--background")
    args = parser.parse_args(argv)
    from trends.store import archive_bytes

    if args.report_only:  # the same measurements, reported again (e.g. after a change of the report's layout)
        result = json.loads(args.json.read_text())
        write_report(result, args.report, result.get("command", "python bench/growth.py"))
        return 0
    work = Path(tempfile.mkdtemp(prefix="growth-", dir=args.archive.parent))
    db = work / "archive"
    shutil.copytree(args.archive, db)
    result: dict = {"archive": str(args.archive), "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
                    "load_1m_start": os.getloadavg()[0]}
    try:
        n0 = articles_in(db)
        result["articles_before"] = n0
        result["bytes_per_article_before"] = round(archive_bytes(db) / n0)
        pages = work / "pages"
        one = write_new_pages(pages / "one", 1, seed=101)
        thousand = write_new_pages(pages / "thousand", 1000, seed=102)
        again = write_rescrape(pages / "again", 1000, n0 - 1)
        busy_pages = write_new_pages(pages / "busy", args.busy_articles, seed=103)
        if args.skip_growth:
            result.update({k: {"wall_s": None, "peak_rss_mb": None, "summary": "skipped"} for k in
                           ("ingest_1_new", "ingest_1000_new", "ingest_1000_changed_views")})
        else:
            result["ingest_1_new"] = timed_cli("ingest", str(one), "--db", str(db), "--quiet", "--into-demo")
            result["ingest_1000_new"] = timed_cli("ingest", str(thousand), "--db", str(db), "--quiet", "--into-demo")
            result["ingest_1000_changed_views"] = timed_cli("ingest", str(again), "--db", str(db), "--quiet", "--into-demo")
        result["dashboard"] = during_ingest(db, busy_pages, args.reader_seconds, work, args.busy_args.split(),
                                           args.idle_rounds)
        sizes = []
        for i in range(0 if args.skip_growth else 20):
            small = write_new_pages(pages / f"small-{i}", 5, seed=200 + i)
            r = timed_cli("ingest", str(small), "--db", str(db), "--quiet", "--into-demo")
            n = articles_in(db)
            sizes.append({"articles": n, "bytes": archive_bytes(db), "bytes_per_article": round(archive_bytes(db) / n),
                          "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "segments": len(list((db / "segments").glob("seg-*.duckdb")))})
        result["twenty_small_ingests"] = sizes
        result["articles_after"] = sizes[-1]["articles"] if sizes else None
        result["bytes_per_article_after"] = sizes[-1]["bytes_per_article"] if sizes else None
        result["load_1m_end"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["command"] = "python bench/growth.py " + " ".join(sys.argv[1:] if argv is None else argv)
    args.json.write_text(json.dumps(result, indent=2))
    write_report(result, args.report, result["command"])
    return 0


def write_report(r: dict, path: Path, command: str) -> None:
    d = r["dashboard"]
    ratios = [d["during_p95_ms"][k] / d["idle_p95_ms"][k] for k in d["idle_p95_ms"] if d["idle_p95_ms"][k] > 0]
    worst, median_ratio = max(ratios), sorted(ratios)[len(ratios) // 2]
    lines = [
        "# Incremental ingest and growth", "",
        f"Command: `{command}`; measured {r['measured_at']} on {os.cpu_count()} cores (1-minute load "
        f"{r['load_1m_start']:.1f} at the start, {r.get('load_1m_end', 0):.1f} at the end). Every ingest is the real "
        "`trends ingest` CLI with tagging, niced, under `/usr/bin/time -v`.", "",
        f"Archive: {r['articles_before']:,} articles (counted), {r['bytes_per_article_before']:,} bytes per article.", "",
        "| run | wall s | CPU s (user + sys, with children) | peak RSS MB | summary line |", "|---|---:|---:|---:|---|",
    ]
    for key in ("ingest_1_new", "ingest_1000_new", "ingest_1000_changed_views"):
        x = r[key]
        lines.append(f"| {key} | {x['wall_s']} | {x.get('cpu_s')} | {x['peak_rss_mb']} | {x['summary']} |")
    lines += ["", f"Dashboard page queries in one warm reader process (at the script's own priority, nice {d.get('reader_nice', 10)}; the ingest "
              f"beside it 10 more), each query timed in turn, continuously: "
              f"idle, then beside `{' '.join(d['ingest_args'])}` of new articles ({d['ingest_s']} s), then after it. A sample counts "
              f"as during only when it lies wholly inside the ingest process's lifetime: {d['during_samples']} did (at least "
              f"{d['during_min_per_query']} of each query); {d['idle_samples']} idle samples before it (each query's p95 compares "
              f"the same number of samples on both sides, the larger side thinned evenly: at least "
              f"{min(d['samples_per_query_compared'].values())} per query), {d['straddling_samples']} "
              f"straddling a boundary (dropped), {d['after_samples']} after it (the archive's next generation). "
              f"Errors {d['errors']}, waits (> {WAIT_S:.0f} s) {d['waits']}, worst p95 ratio {worst:.2f}x "
              f"(median over the queries {median_ratio:.2f}x).", "",
              "| query | idle p95 ms | during p95 ms | ratio | after p95 ms |", "|---|---:|---:|---:|---:|"]
    for k, idle in d["idle_p95_ms"].items():
        during = d["during_p95_ms"][k]
        lines.append(f"| {k} | {idle} | {during} | {during / idle if idle else float('nan'):.2f} | {d['after_p95_ms'].get(k)} |")
    if d["first_errors"]:
        lines += ["", "First errors: " + "; ".join(d["first_errors"])]
    lines += ["", "20 small ingests (5 new articles each):", "", "| # | articles | bytes per article | segments | wall s | CPU s |",
              "|---:|---:|---:|---:|---:|---:|"]
    for i, s in enumerate(r["twenty_small_ingests"], 1):
        lines.append(f"| {i} | {s['articles']:,} | {s['bytes_per_article']:,} | {s['segments']} | {s['wall_s']} | {s.get('cpu_s')} |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
