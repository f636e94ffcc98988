"""Page queries against fair peers: our archive reads vs pandas and polars holding the data in memory.

    nice python bench/run.py --articles 100000 --json bench/cache/run-100000.json [--mixes 50] [--seed 13]

For the archive ``bench/cache/archive-<N>`` (built with the demo generator's bulk path when missing:
`trends.demo.build_demo(bulk=True)`, real ingest + tagging + derived data), three worker processes hold
their data: ours (a fresh process reading through `trends.queries`, as the dashboard's server does),
pandas and polars (each loads the same rows once and keeps them, as a Streamlit author with
`st.cache_data` would: bench/peers.py). Every query family the pages ask (bench/workload.py) runs on
``--mixes`` seeded filter mixes (a date range plus 0-3 of topic, country, source, author, text, minimum
views); the calls are interleaved (mix by mix, the three sides in rotating order) so all sides see the
same machine load. Each timed call is one warm call of a mix (after ``--warmup`` untimed calls per
family per side); p50 and p95 (nearest rank) from the same samples on every side. Every answer of a
family with a peer is compared with ours; a mismatch fails the run (exit 1, after writing the report).

Cold: ``cold_ms`` is the first call of the family after an ingest (5 new articles published into a
hard-linked copy of the archive while our worker keeps running: it opens the new generation);
``fresh_ms`` is the first call of a fresh process (opening the archive included, Python start-up and
imports not). Peers' cold cost is their load (``pandas_load_s``, ``polars_load_s``). RSS: the peak
(VmHWM) of each worker after its calls. ``articles`` is counted by every side (they must agree).

Writes ``--json`` (``{"queries": {FAMILY: {"p50_ms", "p95_ms", "cold_ms", "pandas_p95_ms",
"polars_p95_ms", "equal"}}, "articles", "serve_rss_mb", "pandas_rss_mb", "polars_rss_mb", ...}``) and
bench/RESULTS.md from it (``--no-results`` to skip). Not run by pytest. Run it with ``nice``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
RESULTS = HERE / "RESULTS.md"
sys.path.insert(0, str(HERE))

SIDES = ("ours", "pandas", "polars")


# ------------------------------------------------------------------------------------------ build


def archive_path(articles: int) -> Path:
    return CACHE / f"archive-{articles}"


def build(articles: int, seed: int = 7) -> dict:
    """Build the demo archive for this size once; its build figures sit beside it as JSON."""
    path = archive_path(articles)
    meta_path = path.with_suffix(".build.json")
    if path.exists():
        return json.loads(meta_path.read_text()) if meta_path.exists() else {"how": "reused, built elsewhere"}
    CACHE.mkdir(parents=True, exist_ok=True)
    from trends.demo import build_demo

    started = time.perf_counter()
    build_demo(path, articles=articles, seed=seed, bulk=True, progress=False)
    seconds = time.perf_counter() - started
    meta = {"articles": articles, "seed": seed, "how": "trends.demo.build_demo(bulk=True): generate, ingest and tag",
            "build_seconds": round(seconds, 1), "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


# ---------------------------------------------------------------------------------------- workers


def worker(side: str, db: str) -> int:
    """Answer JSON-line requests on stdin: {"family", "filter", "i"} -> {"ms", "answer"}; "rss" -> peak MB."""
    out = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr  # nothing else may write to the protocol stream
    import workload as wl

    started = time.perf_counter()
    peer = None
    if side != "ours":
        from peers import PandasPeer, PolarsPeer, load_tables

        tables = load_tables(db)
        peer = (PandasPeer if side == "pandas" else PolarsPeer)(tables)
        del tables
    load_s = time.perf_counter() - started
    ctx = None
    out.write(json.dumps({"ready": True, "load_s": round(load_s, 3)}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op") == "rss":
            out.write(json.dumps({"rss_mb": peak_rss_mb()}) + "\n")
            out.flush()
            continue
        if req.get("op") == "articles":
            n = peer.art.shape[0] if peer is not None else wl.q.summary(db)["articles"]
            out.write(json.dumps({"articles": int(n)}) + "\n")
            out.flush()
            continue
        if ctx is None and side == "ours":
            ctx = req["ctx"]
        fam = wl.FAMILIES[req["family"]]
        flt = wl.filter_from_json(req["filter"])
        try:
            t0 = time.perf_counter()
            if side == "ours":
                answer = fam["ours"](db, flt, {**req["ctx"], "i": req["i"]})
            else:
                answer = fam["peer"](peer, flt)
            ms = (time.perf_counter() - t0) * 1000
            reply = {"ms": ms, "answer": wl.canonical(answer, req["family"]) if req.get("compare") else None}
        except Exception as exc:  # a failing call is reported, and fails the run
            reply = {"ms": None, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would carry a forking parent's size on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class Worker:
    def __init__(self, side: str, db: Path):
        self.side = side
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__)), "--worker", side, "--db", str(db)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.ready = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.side} worker stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def ask(self, **req) -> dict:
        self.proc.stdin.write(json.dumps(req, default=str) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ---------------------------------------------------------------------------------------- timing


def percentile(samples: list[float], pct: float) -> float:
    """Nearest rank: the smallest sample with at least pct % of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def warm_phase(db: Path, families: list[str], filters: list, ctx: dict, warmup: int) -> tuple[dict, dict]:
    import workload as wl

    workers = {side: Worker(side, db) for side in SIDES}
    loads = {side: workers[side].ready["load_s"] for side in SIDES}
    counted = {side: workers[side].ask(op="articles")["articles"] for side in SIDES}
    results: dict = {}
    try:
        for family in families:
            fam = wl.FAMILIES[family]
            sides = SIDES if fam["peer"] else ("ours",)
            for i in range(warmup):
                for side in sides:
                    workers[side].ask(family=family, filter=wl.filter_to_json(filters[i % len(filters)]), i=i, ctx=ctx)
            samples = {side: [] for side in sides}
            mismatches, errors = [], []
            for i, flt in enumerate(filters):
                answers = {}
                order = sides[i % len(sides):] + sides[:i % len(sides)]
                for side in order:
                    reply = workers[side].ask(family=family, filter=wl.filter_to_json(flt), i=i, ctx=ctx, compare=bool(fam["peer"]))
                    if reply.get("error"):
                        errors.append(f"{side}, mix {i}: {reply['error']}")
                        continue
                    samples[side].append(reply["ms"])
                    answers[side] = reply["answer"]
                if fam["peer"] and "ours" in answers:
                    for side in ("pandas", "polars"):
                        if side in answers and (diff := wl.same(answers["ours"], answers[side])):
                            mismatches.append(f"{side}, mix {i} ({wl.filter_to_json(flt)}): {diff}")
            row = {"p50_ms": round(statistics.median(samples["ours"]), 1) if samples["ours"] else None,
                   "p95_ms": round(percentile(samples["ours"], 95), 1) if samples["ours"] else None,
                   "samples": len(samples["ours"])}
            for side in ("pandas", "polars"):
                s = samples.get(side)
                row[f"{side}_p50_ms"] = round(statistics.median(s), 1) if s else None
                row[f"{side}_p95_ms"] = round(percentile(s, 95), 1) if s else None
            row["equal"] = (not mismatches and not errors) if fam["peer"] else None
            if mismatches:
                row["mismatches"] = mismatches[:3] + ([f"... {len(mismatches)} in all"] if len(mismatches) > 3 else [])
            if errors:
                row["errors"] = errors[:3]
            results[family] = row
            print(f"  {family:<22} ours p50 {row['p50_ms']:>7} p95 {row['p95_ms']:>7} | pandas p95 {row['pandas_p95_ms']} "
                  f"| polars p95 {row['polars_p95_ms']} | equal {row['equal']}"
                  + (f"  MISMATCH {mismatches[0][:300]}" if mismatches else "") + (f"  ERROR {errors[0][:300]}" if errors else ""),
                  flush=True)
        rss = {side: workers[side].ask(op="rss")["rss_mb"] for side in SIDES}
    finally:
        for w in workers.values():
            w.close()
    return results, {"rss": rss, "load_s": loads, "counted": counted}


def linked_copy(src: Path, dst: Path) -> None:
    """A copy of the archive whose segment files are hard links (segments are immutable; an ingest into
    the copy writes new files and renames a new manifest, so the original is never touched)."""
    shutil.rmtree(dst, ignore_errors=True)
    (dst / "segments").mkdir(parents=True)
    for seg in (src / "segments").iterdir():
        os.link(seg, dst / "segments" / seg.name)
    for item in src.iterdir():
        if item.is_file():
            shutil.copy2(item, dst / item.name)


def cold_phase(db: Path, families: list[str], flt, ctx: dict, articles: int) -> dict:
    """Per family: the first call of a fresh process, and the first call after an ingest published."""
    import workload as wl
    from trends.demo.generator import Generator, render_page
    from trends.ingest import ingest_paths

    out: dict = {f: {} for f in families}
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        copy = Path(tmp) / "archive"
        linked_copy(db, copy)
        for family in families:
            w = Worker("ours", copy)
            reply = w.ask(family=family, filter=wl.filter_to_json(flt), i=0, ctx=ctx)
            w.close()
            out[family]["fresh_ms"] = round(reply["ms"], 1) if reply.get("ms") is not None else None
        w = Worker("ours", copy)
        w.ask(family=families[0], filter=wl.filter_to_json(flt), i=0, ctx=ctx)  # the server is up and warm
        pages = Path(tmp) / "pages"
        for n, family in enumerate(families):
            batch = pages / f"b{n}"
            batch.mkdir(parents=True)
            for j, art in enumerate(Generator(5, 1000 + n)):
                (batch / f"p{j}.txt").write_text(render_page(art, None), encoding="utf-8")
            t0 = time.perf_counter()
            ingest_paths(copy, [str(batch)], progress=False, echo_rejects=False, processes=1)
            ingest_s = time.perf_counter() - t0
            reply = w.ask(family=family, filter=wl.filter_to_json(flt), i=0, ctx=ctx)
            out[family]["cold_ms"] = round(reply["ms"], 1) if reply.get("ms") is not None else None
            out[family]["ingest_s"] = round(ingest_s, 1)
            print(f"  cold {family:<22} fresh process {out[family]['fresh_ms']} ms, after ingest {out[family]['cold_ms']} ms "
                  f"(ingest of 5 took {ingest_s:.1f} s)", flush=True)

        out["_segments_after"] = len(json.loads((copy / "manifest.json").read_text())["segments"])
        w.close()
    return out


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
    import pandas
    import polars

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, duckdb {duckdb.__version__}, pandas {pandas.__version__}, "
            f"polars {polars.__version__}")


def write_results(r: dict, path: Path = RESULTS) -> None:
    import workload as wl

    qs = r["queries"]
    lines = [
        "# Page queries against fair peers",
        "",
        "Written by `bench/run.py` from its JSON output; do not edit by hand.",
        "",
        f"- Command: `{r['command']}`",
        f"- Measured: {r['measured_at']} on {r['machine']}; a machine shared with other work (1-minute load "
        f"{r['load'][0]:.1f} at the start, {r['load'][1]:.1f} at the end, 2 cores), so latencies are pessimistic.",
        f"- Archive: {r['archive']} ({r['segments']} segment(s), {r['db_mb']:,} MB); articles counted by every side: "
        f"**{r['articles']:,}**.",
        f"- Workload: {r['mixes']} filter mixes per family (seed {r['seed']}): a date range (31 days to the whole archive; "
        "grain month, week or quarter) plus 0-3 of topic, country, source, author, text, minimum views. "
        f"Each side: {r['warmup']} untimed warm-up calls per family, then one timed call per mix; "
        "p50 and p95 (nearest rank) of the same number of samples on every side.",
        "- Peers: pandas and polars, each in its own process, with the articles, about-tags, authors and search postings "
        f"loaded once and kept (load: pandas {r['pandas_load_s']} s, polars {r['polars_load_s']} s; ours opens the archive "
        f"in {r['ours_open_s']} s); their answers are compared with ours on every mix (`equal`).",
        f"- Peak RSS of the process holding the data after all its calls: ours (serving) **{r['serve_rss_mb']} MB**, "
        f"pandas {r['pandas_rss_mb']} MB, polars {r['polars_rss_mb']} MB.",
        "- `cold_ms`: the family's first call after an ingest of 5 new articles was published (our server process "
        "stays up and opens the new generation); `fresh_ms`: its first call in a fresh process (opening the archive "
        f"included, Python start-up not). After the {len([k for k in r['cold'] if not k.startswith('_')])} ingests the archive "
        f"had {r['cold'].get('_segments_after')} segments.",
        "",
        "| family | pages | p50 ms | p95 ms | cold ms | fresh ms | pandas p50 / p95 ms | polars p50 / p95 ms | "
        "p95 vs polars | equal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in qs.items():
        fam = wl.FAMILIES.get(name, {})
        pd_, pl_ = row.get("pandas_p95_ms"), row.get("polars_p95_ms")
        ratio = f"{pl_ / row['p95_ms']:.2f}x faster" if pl_ and row["p95_ms"] else ""
        if pl_ and row["p95_ms"] and pl_ < row["p95_ms"]:
            ratio = f"{row['p95_ms'] / pl_:.2f}x slower"
        eq = {True: "yes", False: "**NO**", None: "no peer"}[row["equal"]]
        pandas_cell = "" if pd_ is None else f"{row.get('pandas_p50_ms')} / {pd_}"
        polars_cell = "" if pl_ is None else f"{row.get('polars_p50_ms')} / {pl_}"
        lines.append(
            f"| {name} | {fam.get('pages', '')} | {row['p50_ms']} | {row['p95_ms']} | {row.get('cold_ms')} | "
            f"{row.get('fresh_ms')} | {pandas_cell} | {polars_cell} | {ratio} | {eq} |")
    compared = [row for row in qs.values() if row.get("polars_p95_ms")]
    ratios = []
    if compared:
        ratios = sorted(row["polars_p95_ms"] / row["p95_ms"] for row in compared)
        lines += ["", f"Families with a peer: {len(compared)}; median of polars p95 / ours p95: "
                      f"{statistics.median(ratios):.2f}; slowest relative to polars: {ratios[0]:.2f}."]
    lines += ["", f"## Issue 13's targets (they are set for 1M articles; this run: {r['articles']:,})", ""]
    warm = [row["p95_ms"] for row in qs.values() if row["p95_ms"] is not None]
    cold = [row["cold_ms"] for row in qs.values() if row.get("cold_ms") is not None]
    slower = [n for n, row in qs.items() if row.get("polars_p95_ms") and row["p95_ms"] > row["polars_p95_ms"]]
    checks = [
        ("every family p95 <= 100 ms warm", bool(warm) and max(warm) <= 100, f"worst {max(warm) if warm else None} ms"),
        ("every family <= 300 ms cold after an ingest", bool(cold) and max(cold) <= 300,
         f"worst {max(cold) if cold else None} ms" if cold else "not measured"),
        ("no family slower than cached polars at p95", not slower and bool(compared),
         "slower: " + ", ".join(slower) if slower else "none slower"),
        ("median family at least 2x faster than polars at p95", bool(compared) and statistics.median(ratios) >= 2,
         f"median {statistics.median(ratios):.2f}x" if compared else ""),
        ("serving RSS <= 1/4 of the polars process's", r["serve_rss_mb"] <= r["polars_rss_mb"] / 4,
         f"{r['serve_rss_mb']} MB against {r['polars_rss_mb']} MB"),
    ]
    lines += ["| target | met | figure |", "|---|---|---|"]
    lines += [f"| {name} | {'yes' if ok else '**no**'} | {figure} |" for name, ok, figure in checks]
    bad = {n: row for n, row in qs.items() if row.get("mismatches") or row.get("errors")}
    if bad:
        lines += ["", "## Mismatches and errors (the run failed)", ""]
        for n, row in bad.items():
            for m in row.get("mismatches", []) + row.get("errors", []):
                lines.append(f"- {n}: {m}")
    lines.append("")
    path.write_text("\n".join(lines))


def measure(args) -> dict:
    import workload as wl
    from trends.store import archive_bytes

    meta = build(args.articles)
    db = archive_path(args.articles)
    t0 = time.perf_counter()
    vocab = wl.vocabulary(db)
    ours_open = time.perf_counter() - t0
    filters = wl.mixes(vocab, args.mixes, args.seed)
    ctx = {"words": vocab["words"], "topic": vocab["topic"]}
    families = [f for f in wl.FAMILIES if not args.only or any(f.startswith(p) for p in args.only)]
    load = [os.getloadavg()[0]]
    print(f"archive {db}: {len(filters)} mixes x {len(families)} families", flush=True)
    queries, info = warm_phase(db, families, filters, ctx, args.warmup)
    cold = cold_phase(db, families, filters[0], ctx, args.articles) if not args.no_cold else {}
    for family in families:
        queries[family].update({k: v for k, v in cold.get(family, {}).items()})
        queries[family].setdefault("cold_ms", None)
    load.append(os.getloadavg()[0])
    counted = info["counted"]
    return {
        "queries": queries,
        "articles": counted["ours"],
        "articles_counted": counted,
        "serve_rss_mb": info["rss"]["ours"],
        "pandas_rss_mb": info["rss"]["pandas"],
        "polars_rss_mb": info["rss"]["polars"],
        "pandas_load_s": info["load_s"]["pandas"],
        "polars_load_s": info["load_s"]["polars"],
        "ours_open_s": round(ours_open, 2),
        "mixes": len(filters), "seed": args.seed, "warmup": args.warmup, "percentile": 95,
        "archive": str(db.relative_to(HERE.parent)) if db.is_relative_to(HERE.parent) else str(db),
        "segments": len(json.loads((db / "manifest.json").read_text())["segments"]),
        "db_mb": round(archive_bytes(db) / 2**20, 1),
        "build": meta, "cold": {k: v for k, v in cold.items() if k.startswith("_")} | {f: cold.get(f, {}) for f in families},
        "load": load, "machine": machine(),
        "measured_at": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100000, help="archive size (bench/cache/archive-N)")
    parser.add_argument("--json", default=None, help="write the figures as JSON here")
    parser.add_argument("--mixes", type=int, default=50, help="seeded filter mixes per family (timed samples per side)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per family per side first")
    parser.add_argument("--only", action="append", default=None, metavar="PREFIX", help="only these families (repeatable)")
    parser.add_argument("--no-cold", action="store_true", help="skip the after-ingest and fresh-process calls")
    parser.add_argument("--no-results", action="store_true", help="do not rewrite bench/RESULTS.md")
    parser.add_argument("--results", default=str(RESULTS), help="where the Markdown report goes")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.db)
    if args.mixes < 20:
        parser.error("--mixes must be at least 20 (the p95 needs them)")
    result = measure(args)
    failed = [n for n, row in result["queries"].items() if row["equal"] is False]
    counts = set(result["articles_counted"].values())
    if len(counts) != 1:
        failed.append(f"articles counted differ: {result['articles_counted']}")
    result["failed"] = failed
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    if not args.no_results:
        write_results(result, Path(args.results))
    if failed:
        print(f"FAILED: answers differ or calls failed in {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
