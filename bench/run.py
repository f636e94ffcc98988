"""Benchmark the trends module on demo databases of 10k / 100k / 1M articles.

    python bench/run.py --articles 100000 [--articles 1000000 ...] [--json FILE] [--repeat 20]

For each size: build (or reuse) the archive ``bench/cache/archive-<N>`` with the demo generator's bulk
path (`trends.demo.build_demo(bulk=True)`, real ingest + tagging + derived data), then time every
query a dashboard page issues (warm p50 / p95), answer the time-series questions the naive way (read
the tables into pandas, then group) in the same run, and measure the peak RSS of a separate process
that serves all page queries. Writes bench/RESULTS.md (machine, command, table); ``--json`` writes
``{"articles": N, "queries": {name: {"p50_ms", "p95_ms", "pandas_p95_ms"}}, "serve_rss_mb",
"ingest_articles_per_s", "db_mb"}`` (a list of those when several sizes are given).
Not run by pytest. Run it with ``nice``: it is heavy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "RESULTS.md"
sys.path.insert(0, str(HERE))

from page_queries import page_queries  # noqa: E402  (bench/page_queries.py)


# ------------------------------------------------------------------------------------------ build


def db_file(articles: int) -> Path:
    return CACHE / f"archive-{articles}"


def build(articles: int, seed: int = 7) -> dict:
    """Build the demo DB for this size once; the build figures are kept next to it as JSON."""
    path = db_file(articles)
    meta_path = path.with_suffix(".build.json")
    if path.exists() and meta_path.exists():
        return ensure_derived(path, json.loads(meta_path.read_text()))
    CACHE.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    from trends.demo import build_demo

    started = time.perf_counter()
    summary = build_demo(path, articles=articles, seed=seed, bulk=True, progress=False)
    ingest_s = time.perf_counter() - started
    meta = {
        "articles": articles,
        "seed": seed,
        "how": "trends.demo.build_demo(bulk=True): generate, ingest and tag",
        "ingest_tag_seconds": round(ingest_s, 1),
        "ingest_articles_per_s": round(articles / ingest_s, 1),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "demo_seconds": round(summary.seconds, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return ensure_derived(path, meta)


def build_replicated(articles: int, base_articles: int) -> dict:
    """Not available with the archive layout: copying a built file k times would bypass the ingest that
    writes each segment's derived rows. Build the size with the generator (bulk) instead."""
    raise SystemExit("--replicate-from is not supported by the archive layout; build the size with the generator")


def ensure_derived(path: Path, meta: dict) -> dict:
    """Derived data is written by every ingest batch (trends.derived): nothing to bring up to date."""
    return meta


# ---------------------------------------------------------------------------------------- timing


def timed(call, repeat: int) -> tuple[float, float]:
    call()  # warm: first call opens the generation and fills DuckDB's caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, max(0, int(round(0.95 * len(samples))) - 1))]
    return statistics.median(samples), p95


def naive_pandas(path: Path) -> dict:
    """The same time-series questions the naive way: read tables into pandas, then group."""
    import duckdb
    import pandas as pd

    def load():
        from trends.store import open_reader

        con = open_reader(path)
        try:
            articles = con.execute("SELECT article_id, source, published, views, authors, synthetic FROM articles").df()
            tags = con.execute("SELECT article_id, kind, key, label FROM tags").df()
            articles["period"] = pd.to_datetime(articles["published"]).dt.to_period("M").dt.start_time
        finally:
            con.close()
        return articles, tags

    def volume_topic():
        articles, tags = load()
        totals = articles.groupby("period").size()
        t = tags[tags["kind"] == "topic"].merge(articles[["article_id", "period"]], on="article_id")
        top = t["key"].value_counts().head(8).index
        counts = t[t["key"].isin(top)].groupby(["period", "key"])["article_id"].nunique().unstack(fill_value=0)
        return counts.div(totals, axis=0)

    def views_over_time():
        articles, _ = load()
        return articles.groupby("period")["views"].agg(["size", "sum", "median"])

    def country_map():
        articles, tags = load()
        totals = articles.groupby("period").size()
        t = tags[tags["kind"] == "country"].merge(articles[["article_id", "period"]], on="article_id")
        counts = t.groupby(["period", "key"])["article_id"].nunique().rename("articles").reset_index()
        counts["share"] = counts["articles"] / counts["period"].map(totals)
        return counts

    return {"volume_topic_share": volume_topic, "views_over_time": views_over_time, "country_map": country_map}


def serve_rss(path: Path) -> float:
    """Peak RSS (MB) of a fresh process that answers every page query (twice, as two reruns would).

    Read from VmHWM: ru_maxrss would carry over the (large) RSS of this forking parent on Linux.
    """
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from page_queries import page_queries;"
        "calls = page_queries(sys.argv[1]);"
        "[c() for _ in range(2) for c in calls.values()];"
        "print([int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path), str(HERE)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(articles: int, repeat: int, replicate_from: int | None = None, only: list[str] | None = None) -> dict:
    meta = build_replicated(articles, replicate_from) if replicate_from else build(articles)
    path = db_file(articles)
    result = {
        "articles": articles,
        "queries": {},
        "db_mb": round(__import__("trends.store", fromlist=["archive_bytes"]).archive_bytes(path) / 2**20, 1),
        "ingest_articles_per_s": meta["ingest_articles_per_s"],
        "build": meta,
    }
    naive = naive_pandas(path) if not only else {}
    for name, call in page_queries(path).items():
        if only and not any(name.startswith(prefix) for prefix in only):
            continue
        p50, p95 = timed(call, repeat)
        row = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "pandas_p95_ms": None}
        if name in naive:
            _, pandas_p95 = timed(naive[name], max(3, repeat // 5))
            row["pandas_p95_ms"] = round(pandas_p95, 1)
        result["queries"][name] = row
        print(f"  {articles:>9,} {name:<28} p50 {row['p50_ms']:>8.1f} ms  p95 {row['p95_ms']:>8.1f} ms"
              + (f"  pandas p95 {row['pandas_p95_ms']:>9.1f} ms" if row["pandas_p95_ms"] else ""), flush=True)
    result["serve_rss_mb"] = round(serve_rss(path), 1) if not only else None
    return result


# ---------------------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, duckdb {duckdb.__version__}")


def write_results(results: list[dict], command: str, load: tuple[float, float]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}; a shared machine "
        f"(1-minute load average {load[0]:.1f} at the start, {load[1]:.1f} at the end, on 2 cores), "
        "so latencies are pessimistic.",
        f"Command: `{command}`",
        f"Measured: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Latencies are warm (one call first, then "
        "repeated calls), per query, in one thread; `pandas` is the naive way (read the tables into pandas, then group), "
        "timed in the same run.",
        "",
        "Page queries with a filter of only dates and the synthetic switch read daily roll-ups that every ingest",
        "batch keeps as signed deltas (`trends.derived`); other filters read the raw tables. Search reads the",
        "term-sorted BM25 postings written with the articles. `serve_rss_mb` is the peak RSS of a fresh",
        "process that answers every query below twice.",
        "",
    ]
    for r in results:
        b = r["build"]
        lines += [
            f"## {r['articles']:,} articles",
            "",
            f"- Built by: {b.get('how', 'trends.demo.build_demo(bulk=True): generate, ingest and tag')}",
            f"- DB size: {r['db_mb']:,} MB; ingest + tag: {b['ingest_articles_per_s']:,} articles/s "
            f"({b['ingest_tag_seconds']:,} s{' for the base DB' if 'replicate_seconds' in b else ''}); "
            + (f"derived tables rebuilt after ingest: roll-ups {b.get('rollups_seconds')} s, search index "
             f"{b.get('search_index_seconds')} s" if "derived_seconds" in b
             else "derived tables (themes, roll-ups, search index) built inside the ingest run, included above"),
            f"- Peak RSS of a process serving every page query: {r['serve_rss_mb']} MB",
            "",
            "| query | p50 ms | p95 ms | pandas p95 ms | speed-up |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, q in r["queries"].items():
            pandas = q["pandas_p95_ms"]
            ratio = f"{pandas / q['p95_ms']:.0f}x" if pandas and q["p95_ms"] else ""
            lines.append(f"| {name} | {q['p50_ms']} | {q['p95_ms']} | {pandas or ''} | {ratio} |")
        lines.append("")
    RESULTS.write_text("\n".join(lines))


def _replicated(n: int, args) -> bool:
    return bool(args.replicate_from) and n > args.replicate_from


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, action="append", required=True, help="corpus size (repeatable)")
    parser.add_argument("--json", default=None, help="write the figures as JSON here")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per query (after one warm call)")
    parser.add_argument("--build-only", action="store_true", help="only build the cached databases")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite bench/RESULTS.md")
    parser.add_argument("--only", action="append", default=None, metavar="PREFIX",
                        help="time only the queries whose name starts so (repeatable); implies --no-results, no "
                             "pandas baseline and no RSS")
    parser.add_argument("--replicate-from", type=int, default=None, metavar="N",
                        help="build sizes above N by copying the N-article demo DB (fast; see RESULTS.md)")
    args = parser.parse_args(argv)
    if args.build_only:
        for n in args.articles:
            meta = build_replicated(n, args.replicate_from) if _replicated(n, args) else build(n)
            print(json.dumps(meta), flush=True)
        return 0
    load_start = os.getloadavg()[0]
    results = [measure(n, args.repeat, args.replicate_from if _replicated(n, args) else None, args.only)
               for n in args.articles]
    command = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if not args.no_results and not args.only:
        write_results(results, command, (load_start, os.getloadavg()[0]))
    if args.json:
        payload = [{k: v for k, v in r.items() if k != "build"} for r in results]
        Path(args.json).write_text(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
