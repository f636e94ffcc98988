"""Incremental ingest on a big archive, measured on the real CLI: 1 new article, 1,000 new, 1,000 changed
view counts, dashboard queries during an ingest, and archive bytes per article over 20 small ingests.

    nice python bench/growth.py --archive bench/cache/archive-100000 [--json bench/growth.json]

Works on a copy of ``--archive`` (made once per run, deleted after). Each ingest is `trends ingest
--into-demo` (the archive is the demo's) in its own process under ``/usr/bin/time -v`` (wall seconds, peak RSS), niced, with tagging on. The pages are
seed-format files from the demo generator: new articles from another seed, and the archive's own first
1,000 demo articles re-rendered with higher view counts (same text, so a pure re-scrape). Dashboard
latency: the page queries (bench/page_queries.py) in a separate reader process, idle and while a niced
ingest of ``--busy-articles`` new articles runs; each query's samples give p95; errors and waits (a query slower than 5 s, or a
lock error) are counted. Writes the JSON and bench/GROWTH.md itself.
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
import json, sys, time
sys.path.insert(0, sys.argv[2])
from page_queries import page_queries
db, seconds = sys.argv[1], float(sys.argv[3])
calls = page_queries(db)
samples = {name: [] for name in calls}
errors, waits, first_errors = 0, 0, []
for c in calls.values():
    c()
end = time.monotonic() + seconds
while time.monotonic() < end:
    for name, call in calls.items():
        t0 = time.perf_counter()
        try:
            call()
        except Exception as exc:
            errors += 1
            if len(first_errors) < 5:
                first_errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        dt_ = time.perf_counter() - t0
        samples[name].append(dt_ * 1000)
        waits += dt_ > 5
print(json.dumps({"samples": samples, "errors": errors, "waits": waits, "first_errors": first_errors}))
"""


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(0.95 * len(values))) - 1))] if values else float("nan")


def reader_run(db: Path, seconds: float) -> dict:
    proc = subprocess.run([sys.executable, "-c", READER, str(db), str(HERE), str(seconds)], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def during_ingest(db: Path, pages: Path, seconds: float) -> tuple[dict, dict]:
    ingest = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "trends.cli", "ingest", str(pages), "--db", str(db),
                               "--quiet", "--into-demo"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the writer is past start-up and holds the lock
    busy = reader_run(db, seconds)
    still_running = ingest.poll() is None
    ingest.wait()
    if ingest.returncode not in (0, 1):
        raise RuntimeError(f"the ingest beside the reader failed: {ingest.stderr.read()[-1500:]}")
    busy["ingest_ran_throughout"] = still_running
    return busy, {"returncode": ingest.returncode}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--json", type=Path, default=HERE / "growth.json")
    parser.add_argument("--report", type=Path, default=HERE / "GROWTH.md")
    parser.add_argument("--reader-seconds", type=float, default=40, help="reader time, idle and during the ingest")
    parser.add_argument("--busy-articles", type=int, default=4000, help="size of the ingest the reader runs beside")
    parser.add_argument("--skip-growth", action="store_true", help="only the dashboard-during-ingest figures")
    args = parser.parse_args(argv)
    from trends.store import archive_bytes

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
        idle = reader_run(db, args.reader_seconds)
        busy, ingest = during_ingest(db, busy_pages, args.reader_seconds)
        result["dashboard"] = {
            "idle_p95_ms": {k: round(p95(v), 1) for k, v in idle["samples"].items()},
            "during_p95_ms": {k: round(p95(v), 1) for k, v in busy["samples"].items()},
            "idle_samples": sum(map(len, idle["samples"].values())), "during_samples": sum(map(len, busy["samples"].values())),
            "errors": idle["errors"] + busy["errors"], "waits": idle["waits"] + busy["waits"],
            "ingest_ran_throughout": busy["ingest_ran_throughout"], "ingest_returncode": ingest["returncode"],
            "first_errors": idle["first_errors"] + busy["first_errors"],
        }
        sizes = []
        for i in range(0 if args.skip_growth else 20):
            small = write_new_pages(pages / f"small-{i}", 5, seed=200 + i)
            r = timed_cli("ingest", str(small), "--db", str(db), "--quiet", "--into-demo")
            n = articles_in(db)
            sizes.append({"articles": n, "bytes": archive_bytes(db), "bytes_per_article": round(archive_bytes(db) / n),
                          "wall_s": r["wall_s"], "segments": len(list((db / "segments").glob("seg-*.duckdb")))})
        result["twenty_small_ingests"] = sizes
        result["articles_after"] = sizes[-1]["articles"] if sizes else None
        result["bytes_per_article_after"] = sizes[-1]["bytes_per_article"] if sizes else None
        result["load_1m_end"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.json.write_text(json.dumps(result, indent=2))
    write_report(result, args.report, "python bench/growth.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


def write_report(r: dict, path: Path, command: str) -> None:
    d = r["dashboard"]
    worst = max(d["during_p95_ms"][k] / d["idle_p95_ms"][k] for k in d["idle_p95_ms"] if d["idle_p95_ms"][k] > 0)
    lines = [
        "# Incremental ingest and growth", "",
        f"Command: `{command}`; measured {r['measured_at']} on {os.cpu_count()} cores (1-minute load "
        f"{r['load_1m_start']:.1f} at the start, {r.get('load_1m_end', 0):.1f} at the end). Every ingest is the real "
        "`trends ingest` CLI with tagging, niced, under `/usr/bin/time -v`.", "",
        f"Archive: {r['articles_before']:,} articles (counted), {r['bytes_per_article_before']:,} bytes per article.", "",
        "| run | wall s | peak RSS MB | summary line |", "|---|---:|---:|---|",
    ]
    for key in ("ingest_1_new", "ingest_1000_new", "ingest_1000_changed_views"):
        x = r[key]
        lines.append(f"| {key} | {x['wall_s']} | {x['peak_rss_mb']} | {x['summary']} |")
    lines += ["", f"Dashboard page queries in a separate process, idle vs during a niced ingest of new articles "
              f"({d['idle_samples']} / {d['during_samples']} samples; ingest ran throughout: {d['ingest_ran_throughout']}): "
              f"errors {d['errors']}, waits (> 5 s) {d['waits']}, worst p95 ratio {worst:.2f}x.", "",
              "| query | idle p95 ms | during p95 ms | ratio |", "|---|---:|---:|---:|"]
    for k, idle in d["idle_p95_ms"].items():
        during = d["during_p95_ms"][k]
        lines.append(f"| {k} | {idle} | {during} | {during / idle if idle else float('nan'):.2f} |")
    lines += ["", "20 small ingests (5 new articles each):", "", "| # | articles | bytes per article | segments | wall s |",
              "|---:|---:|---:|---:|---:|"]
    for i, s in enumerate(r["twenty_small_ingests"], 1):
        lines.append(f"| {i} | {s['articles']:,} | {s['bytes_per_article']:,} | {s['segments']} | {s['wall_s']} |")
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
