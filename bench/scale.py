"""Beyond one machine, measured here: the shared store (DuckLake, PostgreSQL catalog, Parquet) and
`trends ingest --cluster` (Dask) against the local archive and the local process pool.

Three measurements, each on demo-generator pages (seed format, realistic text) written to disk first:

1. writers: two `trends ingest` processes of N pages each, started together, into one shared store, vs
   ONE process ingesting the same 2N pages into another shared store (both stores first get the same
   small first run, which fits the theme model). Wall time from start to the last exit; then the article
   count (must be first + 2N) and duplicates (count - count distinct ids, must be 0), counted, not trusted.
2. tagging: `trends ingest N pages --cluster local:2` (a Dask LocalCluster of 2 single-threaded worker
   processes, parsing + tagging as tasks of whole files) vs the same command without --cluster (the
   local pool on 2 processes), each into a fresh local archive: wall (the whole command, cluster start
   included), articles/s, and the tags of both archives compared row by row.
3. page queries: bench/page_queries.py's dashboard queries on the shared store vs the local archive of
   the same N pages (from 2), calls interleaved so both see the same load, the same number of warm
   samples per query on both sides, p50/p95 per query and over all calls; answers compared. The shared
   side reads through the dashboard's entry point (`trends.queries`, the process's local read copy, built
   in the background). Timed separately, on a fresh process and after another process publishes the
   first run's pages: the first read (catalog check + the Overview's headline query; what a page waits:
   it answers from the pinned lake views or the old copy), and the time until the new snapshot's copy
   serves (from that read's start to `wait_for_copy`), with the copy's file size and this process's RSS.

Everything runs niced. The report (bench/SCALE.md) is written from the JSON (bench/scale.json), never by
hand: `python bench/scale.py --report-only` rewrites it from an existing JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))


def write_pages(root: Path, sizes: dict[str, int], seed: int = 11) -> dict[str, Path]:
    """One demo corpus split into disjoint folders (one generator, so no two pages share an identity by
    construction of the split; the ingest still counts what it stored)."""
    from trends.demo.generator import Generator, render_page

    folders, bounds, start = {}, [], 0
    for name, size in sizes.items():
        folders[name] = root / name
        folders[name].mkdir(parents=True, exist_ok=True)
        bounds.append((start, start + size, folders[name]))
        start += size
    for i, article in enumerate(Generator(start, seed)):
        folder = next(f for lo, hi, f in bounds if lo <= i < hi)
        (folder / f"p-{i:07d}.txt").write_text(render_page(article, None), encoding="utf-8")
    return folders


def ingest_cmd(pages: list[Path], db: str, *extra: str) -> list[str]:
    return ["nice", "-n", "10", sys.executable, "-m", "trends.cli", "ingest", *map(str, pages), "--db", str(db), "--quiet", *extra]


def run_all(commands: list[list[str]]) -> dict:
    """Start every command at once; wall seconds until the last one exits, and their summary lines."""
    started = time.perf_counter()
    procs = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    outs = [p.communicate() for p in procs]
    wall = time.perf_counter() - started
    for p, (_, err) in zip(procs, outs):
        if p.returncode not in (0, 1):  # 1: the run completed with rejects (counted below)
            raise RuntimeError(f"ingest failed ({p.returncode}): {err[-2000:]}")
    lines = [next((l for l in err.splitlines() if l.startswith("trends ingest:")), err.strip()[-300:]) for _, err in outs]
    replays = sum(err.count("replaying the run") for _, err in outs)
    return {"wall_s": round(wall, 2), "summaries": lines, "replays": replays}


def counts(db: str) -> dict:
    from trends.store import open_reader

    con = open_reader(db)
    try:
        n, distinct, identities = con.execute(
            "SELECT count(*), count(DISTINCT article_id), count(DISTINCT identity) FROM articles").fetchone()
        tags, tag_dups = con.execute(
            "SELECT (SELECT count(*) FROM tags), (SELECT count(*) FROM (SELECT article_id, kind, key FROM tags GROUP BY ALL HAVING count(*) > 1))").fetchone()
        runs = con.execute("SELECT count(*) FILTER (WHERE status = 'ok'), count(DISTINCT run_id) FROM ingest_runs").fetchone()
    finally:
        con.close()
    return {"articles": int(n), "duplicates": int(n - distinct), "distinct_identities": int(identities),
            "tags": int(tags), "duplicate_tags": int(tag_dups), "ok_runs": int(runs[0]), "run_ids": int(runs[1])}


TAGS = "SELECT article_id, kind, key, label, mentions, score, method, spans FROM tags ORDER BY ALL"


def tag_rows(db) -> list:
    from trends.store import open_reader

    con = open_reader(db)
    try:
        return con.execute(TAGS).fetchall()
    finally:
        con.close()


def tag_differences(a: list, b: list) -> dict:
    """Which tag rows differ between two archives, by kind (rows hashed by their repr: spans are lists)."""
    from collections import Counter

    x, y = Counter(map(repr, a)), Counter(map(repr, b))
    only_a, only_b = x - y, y - x
    kinds = Counter(eval_kind(r) for r in list(only_a.elements()) + list(only_b.elements()))
    return {"rows_only_local": sum(only_a.values()), "rows_only_cluster": sum(only_b.values()),
            "differing_by_kind": dict(kinds), "example_differences": [list(only_a)[:3], list(only_b)[:3]]}


def eval_kind(row_repr: str) -> str:
    return row_repr.split(", ")[1].strip("'")


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, max(0, int(round(0.95 * len(samples))) - 1))], 1)}


def query_latency(shared: str, local: Path, samples: int) -> dict:
    """The page queries through `trends.queries` (the dashboard's entry point; on the shared store that
    reads this process's local read copy), both sides warmed, interleaved; answers compared."""
    from compare_pages import same
    from page_queries import page_queries

    before = memory()
    cold = first_read_then_copy(shared)  # a dashboard process's first read: the pinned lake views
    cold |= {"rss_before_mb": before["rss_mb"], "rss_after_mb": memory()["rss_mb"]}
    ours, theirs = page_queries(shared), page_queries(local)
    for name in ours:  # warm both sides (instances opened, first reads cached), answers compared
        ours[name](), theirs[name]()
    equal = {name: bool(same(_no_clock(ours[name]()), _no_clock(theirs[name]()))) for name in ours}
    times = {name: {"shared": [], "local": []} for name in ours}
    for _ in range(samples):
        for name in ours:
            for side, fn in (("shared", ours[name]), ("local", theirs[name])):
                t = time.perf_counter()
                fn()
                times[name][side].append((time.perf_counter() - t) * 1000)
    per_query = {name: {side: percentiles(v) for side, v in t.items()} | {"same_answer": equal[name]} for name, t in times.items()}
    overall = {side: percentiles([x for t in times.values() for x in t[side]]) for side in ("shared", "local")}
    return {"samples_per_query": samples, "queries": len(ours), "per_query": per_query, "overall": overall,
            "same_answers": sum(equal.values()), "first_copy": cold}


def first_read_then_copy(shared: str) -> dict:
    """The first read after a new snapshot (catalog check + the Overview's headline: what the page waits),
    what it answered from, then the time from its start until the new snapshot's copy serves, and the
    headline read from that copy compared with the first read's (the same snapshot: must be equal)."""
    from trends import queries as q
    from trends.filters import Filter
    from trends.lake import reader
    from trends.store import read_state

    newest = reader.open_status(shared).generation
    t = time.perf_counter()
    gen = read_state(shared)[1]
    first = q.headline(shared, Filter())
    first_read = time.perf_counter() - t
    was = reader.read_copy(shared)
    copy = reader.wait_for_copy(shared, newest, timeout=3600)
    serving = time.perf_counter() - t
    later = read_state(shared)[1]
    return {"first_read_s": round(first_read, 3), "answered_from": "copy" if was is not None else "pinned lake views",
            "answered_snapshot": gen.number, "newest_snapshot": newest, "copy_serving_s": round(serving, 2),
            "serving_snapshot": later.number, "copy": copy_info(copy),
            "first_equals_copy": (repr(first) == repr(q.headline(shared, Filter()))) if gen == later else None}


def refresh_after_publish(shared: str, pages: Path) -> dict:
    """After another process publishes: the first read's latency (from the old copy) and the time until
    the new snapshot's copy serves; and what a read costs when nothing was published (the catalog check)."""
    from trends.lake import reader
    from trends.store import generation

    idle = []
    for _ in range(30):
        t = time.perf_counter()
        generation(shared)
        idle.append((time.perf_counter() - t) * 1000)
    old = reader.read_copy(shared)
    publish = run_all([ingest_cmd([pages], shared, "--into-demo")])  # the same generator's pages (a loaded demo archive)
    before = memory()
    after = first_read_then_copy(shared)
    return {"check_only_ms": percentiles(idle), "publish": publish, "pages": len(list(pages.iterdir())),
            "snapshots": [old.snapshot, after["serving_snapshot"]], "rss_before_mb": before["rss_mb"],
            "rss_after_mb": memory()["rss_mb"], "peak_rss_mb": memory()["peak_mb"],
            "articles_after": counts(shared)["articles"]} | after


def copy_info(copy) -> dict:
    return {"snapshot": copy.snapshot, "build_s": copy.seconds, "file_mb": round(copy.bytes / 2**20, 1)}


def memory() -> dict:
    """This process's resident and peak resident memory (Linux /proc)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    mb = lambda key: round(int(fields[key].split()[0]) / 1024, 1)  # noqa: E731 (kB)
    return {"rss_mb": mb("VmRSS"), "peak_mb": mb("VmHWM")}


def _no_clock(value):
    from trends.lake.compare import without_clock

    return without_clock(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="pages per writer (and pages tagged)")
    parser.add_argument("--first", type=int, default=200, help="pages of the first run into each shared store")
    parser.add_argument("--samples", type=int, default=15, help="warm samples per page query per side")
    parser.add_argument("--work", type=Path, default=HERE / "cache" / "scale")
    parser.add_argument("--json", type=Path, default=HERE / "scale.json")
    parser.add_argument("--report", type=Path, default=HERE / "SCALE.md")
    parser.add_argument("--reuse-writers", type=Path, default=None,
                        help="take the two-writers section from this JSON (an earlier run's) instead of measuring it")
    parser.add_argument("--keep", action="store_true", help="keep the pages, archives and Parquet files")
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from --json")
    parser.add_argument("--local-archive", type=Path, default=None,
                        help="queries: read this existing local archive, and load the shared store from it by a table copy "
                             "(`trends.lake.writer.load_archive`) instead of ingesting --n pages into both (on a loaded machine)")
    parser.add_argument("--sections", default="writers,tagging,queries",
                        help="which measurements to run (comma-separated; a size too big for all three in one go)")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    if not sections <= {"writers", "tagging", "queries"}:
        parser.error("--sections takes writers, tagging, queries")
    command = "python bench/scale.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        write_report(json.loads(args.json.read_text()), args.report)
        return 0
    from trends.lake.pgserver import throwaway_server

    args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=args.work))
    result = {"command": command, "n": args.n, "first": args.first, "cpus": os.cpu_count(),
              "load_before": os.getloadavg()}
    pages = work / "pages"
    loading = args.local_archive is not None and "tagging" not in sections  # the queries' pages come from that archive
    folders = write_pages(pages, {"first": args.first, "left": 0 if loading else args.n, "right": args.n if "writers" in sections else 0})
    first, left, right = folders["first"], folders["left"], folders["right"]
    with throwaway_server() as server:  # its own folder under /tmp (the postgres user must reach it)
        two, one = server.create_database("two_writers"), server.create_database("one_writer")
        two_db, one_db = f"{two.url}?data={work / 'files-two'}", f"{one.url}?data={work / 'files-one'}"
        for db in (() if args.reuse_writers or "writers" not in sections else (two_db, one_db)):
            run_all([ingest_cmd([first], db)])
        if "writers" in sections and args.reuse_writers:  # the writers' section of an earlier run of this script (same --n)
            reused = json.loads(args.reuse_writers.read_text())
            concurrent, single = reused["two_processes"], reused["one_process"]
            result["writers_reused_from"] = str(args.reuse_writers)
        elif "writers" in sections:
            concurrent = run_all([ingest_cmd([left], two_db), ingest_cmd([right], two_db)])
            single = run_all([ingest_cmd([left, right], one_db)])
        if "writers" in sections:
            # every page is a distinct article unless the generator repeated an identity: then one process
            # rejects the repeat as a duplicate of its own run; the reference count is the one process's
            expected = args.first + 2 * args.n
            result["writers"] = {"expected_articles": expected,
                                 "two_processes": concurrent if args.reuse_writers else concurrent | counts(two_db),
                                 "one_process": single if args.reuse_writers else single | counts(one_db)}
            print(json.dumps(result["writers"], indent=1), file=sys.stderr)
        if sections & {"tagging", "queries"}:
            result |= tagging_and_queries(server, work, left, first, args.n, args.samples, "tagging" in sections, "queries" in sections,
                                          args.local_archive)
    result["load_after"] = os.getloadavg()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    args.json.write_text(json.dumps(result, indent=1, default=str))
    write_report(result, args.report)
    return 0


def tagging_and_queries(server, work: Path, left: Path, first: Path, n: int, samples: int, tagging: bool, queries: bool,
                        local_archive: Path | None = None) -> dict:
    """Sections 2 and 3 (the queries compare against the local pool's archive, so they need its ingest,
    unless an existing local archive is given: then the shared store is loaded from it)."""
    result = {}
    local_pool, clustered = work / "local-pool", work / "clustered"
    if local_archive is None or tagging:
        pool = run_all([ingest_cmd([left], str(local_pool))])
    if tagging:
        dask = run_all([ingest_cmd([left], str(clustered), "--cluster", "local:2")])
        a, b = tag_rows(local_pool), tag_rows(clustered)
        result["tagging"] = {
            "pages": n,
            "local_pool": pool | {"articles": counts(str(local_pool))["articles"], "articles_per_s": round(n / pool["wall_s"], 1)},
            "cluster_local2": dask | {"articles": counts(str(clustered))["articles"], "articles_per_s": round(n / dask["wall_s"], 1)},
            "tag_rows": len(a), "tag_rows_cluster": len(b), "identical_tags": a == b,
        } | tag_differences(a, b)
        print(json.dumps(result["tagging"], indent=1), file=sys.stderr)
    if queries:
        shared_n = server.create_database("queries")
        shared_db = f"{shared_n.url}?data={work / 'files-queries'}"
        if local_archive is None or tagging:
            run_all([ingest_cmd([left], shared_db)])
        else:
            from trends.lake.writer import load_archive

            local_pool = local_archive
            t = time.perf_counter()
            result["shared_loaded_from"] = {"archive": str(local_archive), "articles": load_archive(local_archive, shared_db),
                                            "seconds": round(time.perf_counter() - t, 1)}
        result["queries"] = {"articles_shared": counts(shared_db)["articles"], "articles_local": counts(str(local_pool))["articles"]}
        result["queries"] |= query_latency(shared_db, local_pool, samples)
        try:  # the latency figures above are kept whatever happens here
            result["queries"]["refresh"] = refresh_after_publish(shared_db, first)
        except Exception as exc:  # noqa: BLE001 (recorded in the report)
            result["queries"]["refresh_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    return result


def write_report(r: dict, path: Path) -> None:
    lines = [
        "# Shared store and distributed tagging (bench/scale.py)", "",
        f"`{r['command']}` on {r['cpus']} cores shared with other work (1/5/15-minute load before: "
        f"{', '.join(f'{x:.1f}' for x in r['load_before'])}; after: {', '.join(f'{x:.1f}' for x in r['load_after'])}). "
        "Pages from the demo generator (seed format). Written by the script from its JSON."
        + (f" The two-writers section was measured by an earlier run of the same command and read from "
           f"`{r['writers_reused_from']}` (that run then stopped at a bug in this script's tag comparison)."
           if r.get("writers_reused_from") else "")
        + ("" if {"writers", "tagging", "queries"} <= set(r) else
           " This run measured only: " + ", ".join(k for k in ("writers", "tagging", "queries") if k in r) + "."), "",
    ]
    if "writers" in r:
        lines += _writers_section(r)
    if "tagging" in r:
        lines += _tagging_section(r["tagging"])
    if "shared_loaded_from" in r:
        f = r["shared_loaded_from"]
        lines += [f"The local side is the existing archive `{f['archive']}`; the shared store was loaded from it by a table "
                  f"copy in one catalog transaction (`trends.lake.writer.load_archive`: {f['articles']:,} articles, "
                  f"{f['seconds']} s), not by ingesting the pages twice.", ""]
    if "queries" in r:
        lines += _queries_section(r["queries"])
    path.write_text("\n".join(lines) + "\n")


def _writers_section(r: dict) -> list[str]:
    w = r["writers"]
    two, one = w["two_processes"], w["one_process"]
    lines = [
        f"## Two writers at once ({r['n']:,} pages each) vs one process ({2 * r['n']:,} pages)", "",
        "Both shared stores (DuckLake, PostgreSQL catalog on localhost, Parquet files on local disk) first got the "
        f"same run of {r['first']:,} pages. Wall: from starting the processes to the last exit.", "",
        "| | wall s | articles (expected " + f"{w['expected_articles']:,}) | duplicates | distinct identities | duplicate tags | ok runs | replays |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, s in (("two processes at once", two), ("one process", one)):
        lines.append(f"| {label} | {s['wall_s']} | {s['articles']:,} | {s['duplicates']} | {s['distinct_identities']:,} | "
                     f"{s['duplicate_tags']} | {s['ok_runs']} | {s['replays']} |")
    lines += ["", "Summary lines:", ""] + [f"- `{l}`" for l in two["summaries"] + one["summaries"]]
    return lines + [""]


def _tagging_section(t: dict) -> list[str]:
    return [
        f"## Tagging {t['pages']:,} pages: Dask LocalCluster (2 workers) vs the local pool (2 processes)", "",
        "Both: the whole `trends ingest` command into a fresh local archive (parse, tag, store, publish; the "
        "cluster's start and stop included).", "",
        "| | wall s | articles | articles/s |", "|---|---|---|---|",
        f"| local pool | {t['local_pool']['wall_s']} | {t['local_pool']['articles']:,} | {t['local_pool']['articles_per_s']} |",
        f"| --cluster local:2 | {t['cluster_local2']['wall_s']} | {t['cluster_local2']['articles']:,} | {t['cluster_local2']['articles_per_s']} |",
        "", f"Tags compared row by row ({t['tag_rows']:,} local rows, {t['tag_rows_cluster']:,} cluster rows): identical = "
        f"**{t['identical_tags']}**" + ("" if t["identical_tags"] else
        f"; rows only in the local archive {t['rows_only_local']}, only in the cluster's {t['rows_only_cluster']}, "
        f"by kind {t['differing_by_kind']}; examples: {t['example_differences']}") + ".", "",
    ]


def _queries_section(q: dict) -> list[str]:
    lines = [
        f"## Dashboard page queries: shared store vs local archive ({q['articles_shared']:,} vs {q['articles_local']:,} articles)", "",
        f"{q['queries']} queries from bench/page_queries.py through `trends.queries` (what the dashboard calls), "
        f"{q['samples_per_query']} warm samples each per side, interleaved. "
        + ("The shared side reads the process's local read copy of the newest snapshot (`trends.lake.reader`). "
           if "first_copy" in q else "The shared side reads views over the lake. ")
        + f"Answers equal (ingest clock columns aside): {q['same_answers']} of {q['queries']}.", "",
        f"Over all calls: shared p50 {q['overall']['shared']['p50_ms']} / p95 {q['overall']['shared']['p95_ms']} ms; "
        f"local p50 {q['overall']['local']['p50_ms']} / p95 {q['overall']['local']['p95_ms']} ms.", "",
    ]
    if "refresh_error" in q:
        lines += [f"The refresh after a publish was not measured: {q['refresh_error']}", ""]
    if "first_copy" in q and "refresh" in q and "copy_serving_s" not in q["refresh"]:
        lines += ["The read copy's refresh figures in this JSON come from the version that built the copy in the "
                  "read (rerun the script for the background build's figures).", ""]
    elif "first_copy" in q and "refresh" in q:
        c, r = q["first_copy"], q["refresh"]
        lines += [
            "The read copy's cost (built in the background: the first read is what a page waits; "
            "until the new copy serves is how long the new snapshot is read from the slower source):", "",
            "| | first read s (catalog check + headline) | answered from (snapshot) | until the new copy serves s | "
            "copy build s | copy file MB | process RSS MB before -> after |", "|---|---|---|---|---|---|---|",
            f"| a new dashboard process (snapshot {c['newest_snapshot']}) | {c['first_read_s']} | {c['answered_from']} "
            f"({c['answered_snapshot']}; headline equal to the copy's: {c['first_equals_copy']}) | {c['copy_serving_s']} | "
            f"{c['copy']['build_s']} | {c['copy']['file_mb']} | {c['rss_before_mb']} -> {c['rss_after_mb']} |",
            f"| after another process published a run of {r['pages']:,} pages "
            f"(snapshot {r['snapshots'][0]} -> {r['snapshots'][1]}, {r['articles_after']:,} articles) | {r['first_read_s']} | "
            f"{r['answered_from']} ({r['answered_snapshot']}) | {r['copy_serving_s']} | "
            f"{r['copy']['build_s']} | {r['copy']['file_mb']} | {r['rss_before_mb']} -> {r['rss_after_mb']} (peak {r['peak_rss_mb']}) |",
            "",
            f"A read when nothing was published (the catalog check alone, `generation`, 30 calls): p50 "
            f"{r['check_only_ms']['p50_ms']} / p95 {r['check_only_ms']['p95_ms']} ms. Every read keeps answering from "
            "the previous copy (or, before the first, the pinned lake views) while one is built in the background; the peak RSS is the whole bench process (both sides' readers).", "",
        ]
    lines += ["| query | shared p50 | shared p95 | local p50 | local p95 | same answer |", "|---|---|---|---|---|---|"]
    for name, v in q["per_query"].items():
        lines.append(f"| {name} | {v['shared']['p50_ms']} | {v['shared']['p95_ms']} | {v['local']['p50_ms']} | "
                     f"{v['local']['p95_ms']} | {v['same_answer']} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
