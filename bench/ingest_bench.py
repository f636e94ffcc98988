"""Parse + store throughput without tagging: N seed-sized pages in a temp dir -> a fresh DuckDB file.

    nice python bench/ingest_bench.py --pages 20000 --runs 3

Prints JSON with the median pages/s of the runs (each run ingests into a new database): parse + store
(batches committed, file swapped in), and once more as a full `trends ingest` that also rebuilds the
dashboard's derived tables (roll-ups, BM25 search index). The pages are
written once by a small deterministic writer here (seed format, ~600 words each, like the seed page).
"""

from __future__ import annotations

import argparse
import shutil
import datetime as dt
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

SOURCES = ["CFR", "Chatham House", "Brookings", "RAND", "Carnegie Endowment", "IISS", "CSIS", "ECFR"]
WORDS = (
    "summit sanctions alliance trade energy security strategy election policy market diplomacy region "
    "conflict pressure government partner economy military crisis reform budget growth inflation climate "
    "leaders talks ministers agreement treaty border defence coalition rates currency exports imports"
).split()


def page_text(i: int, rng: random.Random) -> str:
    source = SOURCES[i % len(SOURCES)]
    headline = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} and {rng.choice(WORDS)} in focus, part {i}"
    day = dt.date(2021, 1, 1) + dt.timedelta(days=i % 1000)
    paragraphs = []
    for _ in range(6):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 22))).capitalize() + "." for _ in range(5)]
        paragraphs.append(" ".join(sentences))
    paragraphs.insert(3, "What does it mean for the region?")
    related = [f"Related piece number {rng.randint(0, 10**6)}", f"Another view on {rng.choice(WORDS)}"]
    return (
        f"Main » News and comments » {day.year} » {source}: {headline}\n\n{source}: {headline}\n\n"
        f"{day:%d.%m.%Y}\n{rng.randint(10, 250000):,}\n\nAccording to A.Author{i % 50}\n\n"
        + "\n\n".join(paragraphs) + "\n\n\u00a0\n\nRead also:\n\n" + "\n\n".join(related) + "\n"
    )


def write_pages(folder: Path, count: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    total = 0
    for i in range(count):
        sub = folder / f"{i // 1000:04d}"
        sub.mkdir(exist_ok=True)
        data = page_text(i, rng).encode("utf-8")
        (sub / f"page-{i:06d}.txt").write_bytes(data)
        total += len(data)
    return total


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # parse workers, once they are reaped
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()

    from trends.ingest import ingest_paths

    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        t0 = time.perf_counter()
        size = write_pages(pages, args.pages)
        write_s = time.perf_counter() - t0
        rates, seconds, cpu, loads = [], [], [], []
        for run in range(args.runs):
            db = Path(tmp) / f"bench-{run}.duckdb"
            loads.append(os.getloadavg()[0])
            cpu0 = _cpu_seconds()
            t0 = time.perf_counter()
            # Parse + store: every batch committed, links resolved, the new file checkpointed and swapped in.
            # The read side's derived tables (roll-ups, BM25 index) are timed separately below.
            summary = ingest_paths(
                db, [str(pages)], tag=False, batch_size=args.batch_size, progress=False, refresh=False
            )
            elapsed = time.perf_counter() - t0
            cpu.append(_cpu_seconds() - cpu0)
            assert summary.new == args.pages and summary.rejected == 0, summary
            rates.append(args.pages / elapsed)
            seconds.append(elapsed)
            shutil.rmtree(db)
        # The whole `trends ingest` run as a user gets it: store plus the derived-table refresh.
        db = Path(tmp) / "rescan.duckdb"
        t0 = time.perf_counter()
        ingest_paths(db, [str(pages)], tag=False, batch_size=args.batch_size, progress=False)
        with_refresh_s = time.perf_counter() - t0
        # the same pages again: everything unchanged (the idempotent re-scan path)
        t0 = time.perf_counter()
        again = ingest_paths(db, [str(pages)], tag=False, batch_size=args.batch_size, progress=False)
        rescan_s = time.perf_counter() - t0
        assert again.unchanged == args.pages and again.new == 0, again
    result = {
        "pages": args.pages,
        "runs": args.runs,
        "mean_page_bytes": round(size / args.pages),
        "seconds": [round(s, 2) for s in seconds],
        "pages_per_s_median": round(statistics.median(rates)),
        "pages_per_s_all": [round(r) for r in rates],
        "with_derived_refresh_pages_per_s": round(args.pages / with_refresh_s),
        "rescan_unchanged_pages_per_s": round(args.pages / rescan_s),
        "write_pages_s": round(write_s, 2),
        # The machine is shared: the 1-minute load average before each run says how contended it was, and
        # pages per CPU-second (this process + its parse workers) is the figure load does not distort.
        "load_avg_1m": [round(x, 1) for x in loads],
        "pages_per_cpu_s_median": round(statistics.median(args.pages / c for c in cpu)),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
