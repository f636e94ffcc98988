"""Ingest speed on the real CLI (issue 10's ingest targets): 1 new article and 1,000 new articles into a big
archive, and bulk ingest + tag from scratch, each under ``/usr/bin/time -v`` (wall seconds, peak RSS).

    nice python bench/ingest_speed.py --archive bench/cache/archive-100000 [--samples 3] [--bulk 4000]

Every run is `trends ingest --into-demo` (tagging on) in its own niced process, on a fresh copy of
``--archive`` (so each sample ingests into the same state), pages in the seed format from the demo
generator with another seed than the archive's. The tagger cache (``TRENDS_CACHE_DIR``) is warmed by one
untimed run first, as any second ingest on a machine finds it; ``--cold-cache`` also times a run without
it. The bulk run ingests ``--bulk`` new pages into an empty archive folder (so it includes the first
theme fit) and reports articles/s from the counted rows. Writes the JSON and bench/INGEST_SPEED.md itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from growth import articles_in, timed_cli, write_new_pages, write_rescrape  # noqa: E402


def fresh_copy(archive: Path, work: Path, name: str) -> Path:
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(archive, target)
    return target


def ingest_with(src: Path | None, pages: Path, db: Path) -> dict:
    """The timed CLI ingest of ``pages`` into ``db``, by this tree's code or (``src``) another tree's."""
    env_before = os.environ.get("PYTHONPATH")
    if src:
        os.environ["PYTHONPATH"] = str(src)
    try:
        return timed_cli("ingest", str(pages), "--db", str(db), "--quiet", "--into-demo")
    finally:
        if src:
            os.environ.pop("PYTHONPATH") if env_before is None else os.environ.__setitem__("PYTHONPATH", env_before)


def sampled(archive: Path, work: Path, pages: Path, samples: int, baseline: Path | None = None) -> dict:
    """``samples`` timed runs, each on a fresh copy; with ``baseline`` (another tree's src/), a run of that
    code right after each of ours, on its own fresh copy, so both sides see the same load."""
    sides = {"ours": None, **({"baseline": baseline} if baseline else {})}
    runs: dict[str, list] = {side: [] for side in sides}
    for _ in range(samples):
        for side, src in sides.items():
            db = fresh_copy(archive, work, "db")
            before = articles_in(db)
            r = ingest_with(src, pages, db)
            r["added"] = articles_in(db) - before
            r["load_1m"] = round(os.getloadavg()[0], 1)
            runs[side].append(r)
    out = _stats(runs["ours"])
    if baseline:
        out["baseline"] = _stats(runs["baseline"])
    return out


def bulk_run(work: Path, pages: Path, src: Path | None) -> dict:
    """One from-scratch ingest of ``pages`` into an empty archive folder (``src``: another tree's code)."""
    from trends.store import archive_bytes

    db = work / "bulk-archive"
    shutil.rmtree(db, ignore_errors=True)
    r = ingest_with(src, pages, db)
    r["articles"] = articles_in(db)
    r["articles_per_s"] = round(r["articles"] / r["wall_s"], 1)
    r["bytes_per_article"] = round(archive_bytes(db) / r["articles"])
    r["load_1m"] = round(os.getloadavg()[0], 1)
    return r


def _stats(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    return {"runs": runs, "median_wall_s": statistics.median(walls), "max_wall_s": max(walls),
            "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=3, help="timed runs of each small ingest")
    parser.add_argument("--thousand-samples", type=int, default=1)
    parser.add_argument("--bulk", type=int, default=4000, help="new pages for the from-scratch bulk run (0: skip)")
    parser.add_argument("--rescrape-samples", type=int, default=0,
                        help="timed runs of 1,000 changed view counts (the archive's own first 1,000 articles again)")
    parser.add_argument("--cold-cache", action="store_true", help="also time 1 new article without the tagger cache")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="another tree's src/ (e.g. the code before this change): its runs interleaved with ours")
    parser.add_argument("--bulk-only", action="store_true", help="only the from-scratch bulk run (no small ingests)")
    parser.add_argument("--json", type=Path, default=HERE / "ingest_speed.json")
    parser.add_argument("--report", type=Path, default=HERE / "INGEST_SPEED.md")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ingest-speed-", dir=args.archive.parent))
    cache = work / "tagger-cache"
    os.environ["TRENDS_CACHE_DIR"] = str(cache)  # the runs' own cache, warmed below (inherited by the CLI)
    result: dict = {"archive": str(args.archive), "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
                    "load_1m_start": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}
    try:
        result["archive_articles"] = articles_in(args.archive)
        one = write_new_pages(work / "pages" / "one", 1, seed=101)
        thousand = write_new_pages(work / "pages" / "thousand", 1000, seed=102)
        if args.cold_cache:
            os.environ["TRENDS_CACHE_DIR"] = "off"
            result["ingest_1_new_no_tagger_cache"] = sampled(args.archive, work, one, 1)
            os.environ["TRENDS_CACHE_DIR"] = str(cache)
        warm = fresh_copy(args.archive, work, "db")
        timed_cli("ingest", str(one), "--db", str(warm), "--quiet", "--into-demo")  # fills the tagger cache
        if args.bulk_only:
            args.samples = args.thousand_samples = args.rescrape_samples = 0
        if args.samples:
            result["ingest_1_new"] = sampled(args.archive, work, one, args.samples, args.baseline_src)
        if args.thousand_samples:
            result["ingest_1000_new"] = sampled(args.archive, work, thousand, args.thousand_samples, args.baseline_src)
        if args.rescrape_samples:
            again = write_rescrape(work / "pages" / "again", 1000, result["archive_articles"] - 1)
            result["ingest_1000_changed_views"] = sampled(args.archive, work, again, args.rescrape_samples, args.baseline_src)
        result["baseline_src"] = str(args.baseline_src) if args.baseline_src else None
        if args.bulk:
            bulk_pages = write_new_pages(work / "pages" / "bulk", args.bulk, seed=104)
            result["bulk_from_scratch"] = bulk_run(work, bulk_pages, None)
            if args.baseline_src:  # right after ours, so both see the same load
                result["bulk_from_scratch"]["baseline"] = bulk_run(work, bulk_pages, args.baseline_src)
        result["load_1m_end"] = round(os.getloadavg()[0], 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.json.write_text(json.dumps(result, indent=2))
    write_report(result, args.report, "python bench/ingest_speed.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


def write_report(r: dict, path: Path, command: str) -> None:
    lines = [
        "# Ingest speed (issue 10 targets)", "",
        f"Command: `{command}`; measured {r['measured_at']} on {r['cores']} cores shared with other work (1-minute load "
        f"{r['load_1m_start']} at the start, {r.get('load_1m_end', '-')} at the end; each run's load is listed). Every "
        "run is the real `trends ingest` CLI with tagging, niced, under `/usr/bin/time -v`, on a fresh copy of the archive.", "",
        f"Archive: {r['archive_articles']:,} articles (counted)."
        + (f" Baseline: the code in `{r['baseline_src']}`, each of its runs right after one of ours (same load)."
           if r.get("baseline_src") else ""), "",
        "| run | target | samples | median wall s | max wall s | median CPU s | max peak RSS MB | per run: wall s (load) | added (counted) |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    targets = {"ingest_1_new": "<= 3 s", "ingest_1_new_no_tagger_cache": "(first run on a machine)",
               "ingest_1000_new": "<= 15 s, <= 1.5 GB", "ingest_1000_changed_views": "<= 10 s"}
    rows = []
    for key in ("ingest_1_new", "ingest_1_new_no_tagger_cache", "ingest_1000_new", "ingest_1000_changed_views"):
        if key in r:
            rows.append((key, targets[key], r[key]))
            if "baseline" in r[key]:
                rows.append((f"{key}, baseline", "same runs, previous code", r[key]["baseline"]))
    for key, target, x in rows:
        per = ", ".join(f"{run['wall_s']} ({run['load_1m']})" for run in x["runs"])
        added = ", ".join(str(run["added"]) for run in x["runs"])
        lines.append(f"| {key} | {target} | {len(x['runs'])} | {x['median_wall_s']} | {x['max_wall_s']} | "
                     f"{x['median_cpu_s']} | {x['max_peak_rss_mb']} | {per} | {added} |")
    lines += ["", "Summary lines of the last sample:", ""]
    for key in ("ingest_1_new", "ingest_1000_new", "ingest_1000_changed_views"):
        if key in r:
            lines.append(f"- {key}: `{r[key]['runs'][-1]['summary']}`")
    b = r.get("bulk_from_scratch")
    for who, x in (("", b), (", baseline (previous code, run right after)", (b or {}).get("baseline"))):
        if x:
            lines += ["", f"Bulk ingest + tag from scratch{who} (an empty archive, includes the first theme fit): "
                      f"{x['articles']:,} articles (counted) in {x['wall_s']} s wall = **{x['articles_per_s']} articles/s** "
                      f"(target >= 2,000/s), {x['cpu_s']} CPU s ({1000 * x['cpu_s'] / x['articles']:.1f} CPU ms per article), "
                      f"peak RSS {x['peak_rss_mb']} MB, {x['bytes_per_article']:,} bytes per article, load {x.get('load_1m', '-')}; "
                      f"`{x['summary']}`"]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
