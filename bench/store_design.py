"""The store design decision in figures: one native file vs DuckLake (SQLite catalog, Parquet) vs our
archive of native segment files, on the same data, with the same queries.

    nice python bench/store_design.py --legacy bench/cache/demo-100000.duckdb --archive bench/cache/archive-100000 \\
        [--repeat 20] [--json bench/store_design.json]

``--legacy`` is a single-file database of the previous layout (schema v3, built by the old
`bench/run.py`); ``--archive`` the same data upgraded (`trends upgrade LEGACY --to ARCHIVE`). The script
converts the legacy file into DuckLake once (cached beside it), then times each query warm (one call,
then ``--repeat`` calls; p50 and p95) on: the single file attached read-only; DuckLake attached
read-only; the archive through `trends.store.read_cursor` (its views over the segments), both as one
compacted segment and with ``--deltas`` small delta segments added (copies of real articles under new
ids, as a day's ingests would add). Writes the JSON and bench/STORE_DESIGN.md itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
QUERIES = {
    "tiny table (runs)": "SELECT count(*) FROM ingest_runs",
    "roll-up month x topic": "SELECT date_trunc('month', day) p, key, sum(articles) FROM rollup_tags WHERE kind = 'topic' GROUP BY ALL",
    "topic x month, source filter (raw)": """SELECT date_trunc('month', t.published) p, t.key, count(*) FROM tags_by_key t
        WHERE t.kind = 'topic' AND t.article_id IN (SELECT article_id FROM articles WHERE source = 'Valdai Club') GROUP BY ALL""",
    "one key per month": "SELECT date_trunc('month', published) p, count(*) FROM tags_by_key WHERE kind = 'country' AND key = 'RUS' GROUP BY ALL",
    "article by id": "SELECT * FROM articles WHERE article_id = $id",
    "top 20 by views": "SELECT article_id, title, views FROM articles ORDER BY views DESC LIMIT 20",
    "co-mentions, 2024 on": """WITH t AS (SELECT article_id, key FROM tags_by_key WHERE kind = 'country' AND published >= DATE '2024-01-01')
        SELECT x.key, y.key, count(*) FROM t x JOIN t y USING (article_id) WHERE x.key < y.key GROUP BY ALL ORDER BY 3 DESC LIMIT 50""",
}
READ_CONFIG = {"threads": 2, "memory_limit": "350MB"}


def _ext(module: str, name: str) -> str:
    mod = __import__(module)
    return str(Path(mod.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension")


def open_single(legacy: Path):
    con = duckdb.connect(":memory:", config=READ_CONFIG)
    con.execute(f"ATTACH '{legacy}' AS db (READ_ONLY)")
    con.execute("USE db")
    return con


def ducklake_dir(legacy: Path) -> Path:
    return HERE / "cache" / (legacy.stem + ".ducklake")


def convert_ducklake(legacy: Path) -> float:
    """The legacy tables copied into DuckLake (SQLite catalog + Parquet), sorted like the native file."""
    out = ducklake_dir(legacy)
    if (out / "done").exists():
        return float((out / "done").read_text())
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"LOAD '{_ext('duckdb_extension_sqlite_scanner', 'sqlite_scanner')}'")
    con.execute(f"LOAD '{_ext('duckdb_extension_ducklake', 'ducklake')}'")
    con.execute(f"ATTACH '{legacy}' AS src (READ_ONLY)")
    con.execute(f"ATTACH 'ducklake:sqlite:{out}/catalog.sqlite' AS lake (DATA_PATH '{out}/data/')")
    order = {"tags_by_key": "kind, key, published", "articles": "published", "tags": "article_id"}
    for table in ("ingest_runs", "rollup_tags", "tags_by_key", "articles", "tags"):
        sort = f" ORDER BY {order[table]}" if table in order else ""
        con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM src.{table}{sort}")
    con.close()
    seconds = time.perf_counter() - t0
    (out / "done").write_text(f"{seconds:.1f}")
    return seconds


def open_lake(legacy: Path):
    con = duckdb.connect(":memory:", config=READ_CONFIG)
    con.execute(f"LOAD '{_ext('duckdb_extension_sqlite_scanner', 'sqlite_scanner')}'")
    con.execute(f"LOAD '{_ext('duckdb_extension_ducklake', 'ducklake')}'")
    con.execute(f"ATTACH 'ducklake:sqlite:{ducklake_dir(legacy)}/catalog.sqlite' AS db (READ_ONLY)")
    con.execute("USE db")
    return con


def open_archive(archive: Path):
    from trends.store import open_reader

    return open_reader(archive)


def with_deltas(archive: Path, deltas: int, per_delta: int) -> Path:
    """A copy of the archive with ``deltas`` more segments of ``per_delta`` articles each (real rows under
    new ids through the real ingest), so the views union several segments and filter superseded rows."""
    target = archive.with_name(archive.name + f"-plus{deltas}")
    if (target / "manifest.json").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(archive, target)
    from trends.ingest import ingest_records
    from trends.parsing import Record
    from trends.store import open_reader

    con = open_reader(archive)
    rows = con.execute(
        "SELECT title, headline, source, published, views, authors, body FROM articles ORDER BY hash(article_id) LIMIT ?",
        [deltas * per_delta]).fetchall()
    con.close()
    os.environ["TRENDS_NO_COMPACT"] = "1"  # keep every delta segment (no merge) for this measurement
    for d in range(deltas):
        part = rows[d * per_delta:(d + 1) * per_delta]
        recs = [Record(title=f"{t} (delta {d})", headline=h, source=s, published=p, views=v, authors=list(a), body=b,
                       input=f"delta-{d}#{i}", synthetic=True) for i, (t, h, s, p, v, a, b) in enumerate(part)]
        ingest_records(target, recs, progress=False, processes=2)
    return target


def timed(con, sql: str, params, repeat: int) -> tuple[float, float]:
    con.execute(sql, params).fetchall()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        con.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)]


def run(legacy: Path, archive: Path, repeat: int, deltas: int, per_delta: int) -> dict:
    convert_s = convert_ducklake(legacy)
    plus = with_deltas(archive, deltas, per_delta)
    sides = {"single file": lambda: open_single(legacy), "DuckLake (SQLite catalog)": lambda: open_lake(legacy),
             "archive, 1 segment": lambda: open_archive(archive),
             f"archive, 1 + {deltas} segments": lambda: open_archive(plus)}
    out = {"legacy": str(legacy), "archive": str(archive), "repeat": repeat, "ducklake_convert_s": convert_s,
           "deltas": deltas, "per_delta": per_delta, "sides": {}}
    for side, opener in sides.items():
        t0 = time.perf_counter()
        con = opener()
        opened = (time.perf_counter() - t0) * 1000
        aid = con.execute("SELECT max(article_id) FROM articles").fetchone()[0]
        rows = {"open_ms": round(opened, 1), "articles": con.execute("SELECT count(*) FROM articles").fetchone()[0]}
        for name, sql in QUERIES.items():
            p50, p95 = timed(con, sql, {"id": aid} if "$id" in sql else None, repeat)
            rows[name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
            print(f"{side:28s} {name:38s} p50 {p50:8.1f}  p95 {p95:8.1f} ms", flush=True)
        con.close()
        out["sides"][side] = rows
    return out


def write_report(result: dict, path: Path, command: str) -> None:
    sides = list(result["sides"])
    lines = [
        "# Store design: one file vs DuckLake vs segment archive", "",
        f"Command: `{command}`; measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(1-minute load {os.getloadavg()[0]:.1f}). Warm p50 / p95 in ms over {result['repeat']} calls after one warm call.",
        f"Articles per side: " + ", ".join(f"{s} {result['sides'][s]['articles']:,}" for s in sides) + ".",
        f"DuckLake conversion of the legacy file took {result['ducklake_convert_s']:.0f} s (cached).", "",
        "| query | " + " | ".join(sides) + " |", "|---|" + "---:|" * len(sides),
        "| open (ms) | " + " | ".join(str(result["sides"][s]["open_ms"]) for s in sides) + " |",
    ]
    for name in QUERIES:
        lines.append(f"| {name} | " + " | ".join(
            f"{result['sides'][s][name]['p50_ms']} / {result['sides'][s][name]['p95_ms']}" for s in sides) + " |")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legacy", type=Path, required=True)
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deltas", type=int, default=6)
    parser.add_argument("--per-delta", type=int, default=500)
    parser.add_argument("--json", type=Path, default=HERE / "store_design.json")
    parser.add_argument("--report", type=Path, default=HERE / "STORE_DESIGN.md")
    args = parser.parse_args(argv)
    result = run(args.legacy, args.archive, args.repeat, args.deltas, args.per_delta)
    args.json.write_text(json.dumps(result, indent=2))
    write_report(result, args.report, "python bench/store_design.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
