"""Records -> rows in the store: identity, idempotency, view snapshots, related links, tags, rejects.

Everything runs inside one `trends.store.writer()` (exclusive, on a working copy, swapped in atomically
at the end). Each batch of records is one transaction, bulk-inserted from Arrow tables registered on
the connection, so a crash (even ``kill -9``) keeps every committed batch and a rerun completes the rest:
committed records come back as "unchanged".

Identity (the article id is ``stable_id(identity)``): ``url:<normalised url>``, else ``id:<mapped id>``
(tables with an id column), else ``td:<normalised title>|<date>``, else ``hash:<content hash>``.
A record whose identity is already in the database is
- unchanged when its text and view count are the same (only ``last_seen`` moves),
- updated when its text changed (article rewritten, related links and tags recomputed) and/or its view
  count changed (a new ``view_snapshots`` row; ``articles.views`` follows the newest observation).
A second record with the same identity in one run is rejected as a duplicate.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa

from trends.parsing import (
    Limits, Record, Reject, expand_paths, normalise_format, page_like, parse, parse_mapping, printable, storable,
)
from trends.store import arrow_rows, insert_rows, stable_id, writer
from trends.tagging.storage import TAG_SCHEMA, start_run, tag_rows

EXIT_OK, EXIT_REJECTS = 0, 1
MAX_SHOWN_REJECTS = 200  # reject lines printed per run (all are stored in the rejects table)


@dataclass
class IngestSummary:
    """What one run did. ``articles_per_s`` counts every record looked at (new + updated + unchanged)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    articles_per_s: float = 0.0
    run_id: int | None = None
    snapshots: int = 0

    def line(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected "
            f"in {self.seconds:.1f}s ({self.articles_per_s:,.0f} articles/s)"
        )


# ------------------------------------------------------------------------------------------- identity


def normalise_title(title: str) -> str:
    """Case, punctuation and spacing folded: the key for title identity and "Read also" matching.

    Mirrors `_SQL_TITLE_KEY` (letters and digits kept, everything else one space).
    """
    return " ".join(re.sub(r"[^\w]|_", " ", title.casefold()).split())


_SQL_TITLE_KEY = "trim(regexp_replace(lower({col}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g'))"


def normalise_url(url: str) -> str:
    """Scheme, 'www.', fragment, trailing slash and utm_* parameters do not change which article it is."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")])
    path = parts.path.rstrip("/") or ""
    if not host:
        return url.strip()
    return urlunsplit(("", host, path, query, "")).lstrip("/")


def content_hash(rec: Record) -> str:
    """A hash of everything that is the article's text (not its view count)."""
    parts = [
        rec.title, rec.body, rec.source or "", "\x1e".join(rec.authors), "\x1e".join(rec.related),
        rec.published.isoformat() if rec.published else "", rec.url or "", rec.language or "",
    ]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def identity_of(rec: Record, chash: str) -> str:
    if rec.url:
        return "url:" + normalise_url(rec.url)
    if rec.record_id:
        return "id:" + rec.record_id
    if rec.published is not None and rec.title:
        return f"td:{normalise_title(rec.title)}|{rec.published.isoformat()}"
    return "hash:" + chash


# ---------------------------------------------------------------------------------------------- tagging


def _load_tagging():
    """`trends.tagging` if it is installed in this tree, else None (then articles stay untagged)."""
    try:
        from trends import tagging
    except ImportError:
        return None
    return tagging if hasattr(tagging, "extract") else None


class Tagger:
    """Runs `trends.tagging` over texts; its `tag_records` keeps a warm process pool for big batches."""

    def __init__(self, enabled: bool, processes: int | None = None):
        self.tagging = _load_tagging() if enabled else None
        self.processes = processes or os.cpu_count() or 1

    @property
    def active(self) -> bool:
        return self.tagging is not None

    def tag(self, texts: list[str]) -> list[list]:
        if not self.tagging or not texts:
            return [[] for _ in texts]
        if hasattr(self.tagging, "tag_records"):
            return self.tagging.tag_records(texts, self.processes)
        return [self.tagging.extract(text) for text in texts]


# ------------------------------------------------------------------------------------------- arrow rows

_ARTICLE_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("identity", pa.string()), ("url", pa.string()), ("source", pa.string()),
    ("title", pa.string()), ("headline", pa.string()), ("published", pa.date32()),
    ("authors", pa.list_(pa.string())), ("body", pa.string()), ("word_count", pa.int32()),
    ("language", pa.string()), ("content_hash", pa.string()), ("views", pa.int64()),
    ("views_observed_at", pa.timestamp("us")), ("first_seen", pa.timestamp("us")),
    ("last_seen", pa.timestamp("us")), ("input", pa.string()), ("format", pa.string()),
    ("run_id", pa.int32()), ("synthetic", pa.bool_()), ("tagged_at", pa.timestamp("us")),
])
_SNAPSHOT_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("observed_at", pa.timestamp("us")), ("views", pa.int64()), ("run_id", pa.int32()),
])
_RELATED_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("position", pa.int32()), ("title", pa.string()), ("title_key", pa.string()),
])
_REJECT_SCHEMA = pa.schema([
    ("run_id", pa.int32()), ("input", pa.string()), ("record", pa.string()), ("reason", pa.string()),
    ("excerpt", pa.string()), ("rejected_at", pa.timestamp("us")),
])




# ------------------------------------------------------------------------------------------- the run


class _Run:
    """One ingest run inside an open writer connection: batches in, counts out."""

    def __init__(self, con, command: str, inputs: str, tagger: Tagger, echo_rejects: bool, bar):
        self.con = con
        self.tagger = tagger
        self.echo_rejects = echo_rejects
        self.bar = bar
        self.summary = IngestSummary()
        self.seen: dict[int, tuple] = {}
        self.shown_rejects = 0
        self.now = dt.datetime.now()
        # Commits only append to the WAL (still durable); the writer checkpoints once at the end instead
        # of DuckDB checkpointing every ~16 MB mid-run, which roughly halves the cost of each batch commit.
        con.execute("SET checkpoint_threshold = '4GB'")
        con.execute("BEGIN TRANSACTION")
        # started_at is the run's clock: "new since the last ingest" compares first_seen with it.
        self.run_id = start_run(con, command, inputs, started_at=self.now)
        con.execute("COMMIT")
        self.summary.run_id = self.run_id

    def _reject_rows(self, rejects: list[Reject]) -> list[tuple]:
        rows = []
        for rej in rejects:
            if self.echo_rejects:
                if self.shown_rejects < MAX_SHOWN_REJECTS:
                    self._echo(rej.line())
                elif self.shown_rejects == MAX_SHOWN_REJECTS:
                    self._echo("... more rejects not shown; see `trends stats` and the rejects table")
                self.shown_rejects += 1
            rows.append((self.run_id, rej.input, rej.record, rej.reason, rej.excerpt, self.now))
        return rows

    def _echo(self, line: str) -> None:
        if self.bar is not None and not self.bar.disable:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)

    def batch(self, records: list[Record], rejects: list[Reject]) -> None:
        con, now, run_id = self.con, self.now, self.run_id
        rejects = list(rejects)
        prepared = []
        for rec in records:
            chash = content_hash(rec)
            identity = identity_of(rec, chash)
            aid = stable_id(identity)
            first = self.seen.get(aid)
            if first is not None:
                same = "an exact duplicate" if first[1] == chash and first[2] == rec.views else "a conflicting duplicate"
                where, _, locator = rec.input.partition("#")
                rejects.append(Reject(
                    where, f"{same} of {first[0]} (same identity {identity[:80]!r}) in this run",
                    locator or None, rec.title[:200],
                ))
                continue
            self.seen[aid] = (rec.input, chash, rec.views)
            prepared.append((rec, identity, aid, chash))

        con.execute("BEGIN TRANSACTION")
        existing: dict[int, tuple] = {}
        if prepared:
            con.register("_batch_ids", pa.table({"article_id": pa.array([p[2] for p in prepared], pa.int64())}))
            try:
                for row in con.execute(
                    "SELECT a.article_id, a.content_hash, a.views, a.views_observed_at, a.first_seen "
                    "FROM articles a JOIN _batch_ids b USING (article_id)"
                ).fetchall():
                    existing[row[0]] = row[1:]
            finally:
                con.unregister("_batch_ids")

        new_rows, changed_rows, snapshots, view_updates, seen_ids, related_rows, to_tag = [], [], [], [], [], [], []
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        tag_now = now if self.tagger.active else None
        for rec, identity, aid, chash in prepared:
            observed = rec.observed_at or now
            old = existing.get(aid)
            row = (
                aid, identity, rec.url, rec.source, rec.title, rec.headline, rec.published, list(rec.authors),
                rec.body, len(rec.body.split()), rec.language, chash, rec.views,
                observed if rec.views is not None else None, now, now, rec.input, rec.format, run_id,
                bool(rec.synthetic), tag_now,
            )
            if old is None:
                counts["new"] += 1
                new_rows.append(row)
                if rec.views is not None:
                    snapshots.append((aid, observed, rec.views, run_id))
                related_rows.extend((aid, i, t, normalise_title(t)) for i, t in enumerate(rec.related))
                to_tag.append((aid, rec))
                continue
            old_hash, old_views, old_observed, first_seen = old
            views_changed = rec.views is not None and rec.views != old_views
            if views_changed:
                snapshots.append((aid, observed, rec.views, run_id))
            if old_hash != chash:
                # Rewritten in full (delete + insert keeps every column right, list columns included).
                views, views_at = (rec.views, observed) if views_changed else (old_views, old_observed)
                changed_rows.append(row[:12] + (views, views_at, first_seen) + row[15:])
                related_rows.extend((aid, i, t, normalise_title(t)) for i, t in enumerate(rec.related))
                to_tag.append((aid, rec))
            elif views_changed and (old_observed is None or observed >= old_observed):
                view_updates.append((aid, observed, rec.views, run_id))
            if views_changed or old_hash != chash:
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
                seen_ids.append((aid, now, None, run_id))

        insert_rows(con, "articles", _ARTICLE_SCHEMA, new_rows)
        if changed_rows:
            self._delete_for([(r[0], now, None, run_id) for r in changed_rows], ("related", "tags", "articles"))
            insert_rows(con, "articles", _ARTICLE_SCHEMA, changed_rows)
        if view_updates:
            self._update_from(
                view_updates, "UPDATE articles SET views = u.views, views_observed_at = u.observed_at, "
                "last_seen = ?, run_id = u.run_id FROM {view} u WHERE articles.article_id = u.article_id", [now],
            )
        if seen_ids:
            self._update_from(
                seen_ids, "UPDATE articles SET last_seen = u.observed_at FROM {view} u WHERE articles.article_id = u.article_id", [],
            )
        insert_rows(con, "view_snapshots", _SNAPSHOT_SCHEMA, snapshots)
        insert_rows(con, "related", _RELATED_SCHEMA, related_rows)
        if to_tag:
            tag_lists = self.tagger.tag([rec.title + "\n\n" + rec.body for _, rec in to_tag])
            rows = [row for (aid, rec), tags in zip(to_tag, tag_lists) for row in tag_rows(aid, rec.published, tags)]
            insert_rows(con, "tags", TAG_SCHEMA, rows)
        insert_rows(con, "rejects", _REJECT_SCHEMA, self._reject_rows(rejects))
        con.execute("COMMIT")
        self.summary.new += counts["new"]
        self.summary.updated += counts["updated"]
        self.summary.unchanged += counts["unchanged"]
        self.summary.rejected += len(rejects)
        self.summary.snapshots += len(snapshots)

    def _update_from(self, rows: list[tuple], sql: str, params: list) -> None:
        self.con.register("_updates", arrow_rows(_SNAPSHOT_SCHEMA, rows))
        try:
            self.con.execute(sql.format(view="_updates"), params)
        finally:
            self.con.unregister("_updates")

    def _delete_for(self, rows: list[tuple], tables: tuple[str, ...]) -> None:
        self.con.register("_deletes", arrow_rows(_SNAPSHOT_SCHEMA, rows))
        try:
            for table in tables:  # our constant table names
                self.con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM _deletes)")
        finally:
            self.con.unregister("_deletes")

    def finish(self, started: float, status: str = "ok") -> IngestSummary:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        resolve_related(con)
        s = self.summary
        s.seconds = time.perf_counter() - started
        looked_at = s.new + s.updated + s.unchanged
        s.articles_per_s = looked_at / s.seconds if s.seconds > 0 else 0.0
        con.execute(
            "UPDATE ingest_runs SET finished_at = ?, status = ?, new_articles = ?, updated_articles = ?, "
            "unchanged_articles = ?, rejected = ?, seconds = ? WHERE run_id = ?",
            [dt.datetime.now(), status, s.new, s.updated, s.unchanged, s.rejected, s.seconds, self.run_id],
        )
        con.execute("COMMIT")
        return s


def resolve_related(con) -> None:
    """Point "Read also" titles at articles whose headline (or full title) has the same normalised key.

    Runs over every unresolved link, so new articles resolve old links and new links resolve to old
    articles.
    """
    key_headline = _SQL_TITLE_KEY.format(col="headline")
    key_title = _SQL_TITLE_KEY.format(col="title")
    con.execute(
        f"""
        UPDATE related SET target_id = k.article_id
        FROM (
            SELECT key, min(article_id) AS article_id FROM (
                SELECT {key_headline} AS key, article_id FROM articles
                UNION ALL
                SELECT {key_title} AS key, article_id FROM articles
            ) WHERE key IN (SELECT title_key FROM related WHERE target_id IS NULL)
            GROUP BY key
        ) k
        WHERE related.target_id IS NULL AND related.title_key = k.key AND related.article_id <> k.article_id
        """
    )


# ------------------------------------------------------------------------------------------- public API


def _progress_bar(progress: bool, total: int | None):
    from tqdm import tqdm

    return tqdm(
        total=total, unit=" articles", file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
        disable=not progress or not sys.stderr.isatty(),
    )


def ingest_records(
    db_path,
    records: Iterable[Record | Reject],
    tag: bool = True,
    batch_size: int = 2000,
    progress: bool = True,
    total: int | None = None,
    command: str = "ingest",
    inputs: str = "",
    echo_rejects: bool = True,
    refresh: bool = True,
    processes: int | None = None,
) -> IngestSummary:
    """Store records (Rejects in the stream are recorded as rejects) batch by batch; see module doc.

    ``refresh``: when the run changed anything, refit the themes and rebuild what the read side derives
    (roll-ups, search index) before the new file is published; pass False for all but the last of
    several runs in a row (the demo build does). ``processes``: tagging processes (default: all cores;
    1 tags in this process, as a Streamlit script must: worker start-up would re-run the script).
    """
    started = time.perf_counter()
    batch_size = max(1, int(batch_size))
    tagger = Tagger(tag, processes)
    bar = _progress_bar(progress, total)
    try:
        with writer(db_path) as con:
            run = _Run(con, command, inputs, tagger, echo_rejects, bar)
            pending: list[Record] = []
            pending_rejects: list[Reject] = []
            for item in records:
                if isinstance(item, Reject):
                    pending_rejects.append(item)
                    if len(pending_rejects) >= batch_size:
                        run.batch([], pending_rejects)
                        pending_rejects = []
                    continue
                pending.append(item)
                if len(pending) >= batch_size:
                    run.batch(pending, pending_rejects)
                    bar.update(len(pending))
                    pending, pending_rejects = [], []
            if pending or pending_rejects:
                run.batch(pending, pending_rejects)
                bar.update(len(pending))
            summary = run.finish(started)
            if refresh and (summary.new or summary.updated):
                refresh_derived_data(con, themes=tagger.active)
            return summary
    finally:
        bar.close()


def refresh_derived_data(con, *, themes: bool) -> None:
    """Refit the corpus themes (when tagging) and rebuild the roll-ups and the search index."""
    from trends.rollups import refresh_derived

    if themes:
        from trends.tagging import fit_themes

        fit_themes(con)
    refresh_derived(con)


PARALLEL_PARSE_MIN = 500  # page files; below this a pool's start-up outweighs the parsing it saves


def _parse_pages(task: tuple) -> list:
    path, fmt, limits = task
    return list(parse(path, fmt, limits=limits))


def iter_path_records(
    paths: Iterable[str], fmt: str | None = None, mapping=None, workers: int | None = None
) -> Iterator[Record | Reject]:
    """Every Record and Reject from files, folders (recursive) and globs.

    Many page files are read and parsed by a small process pool (started here, before any database
    connection exists, and ended when the stream is exhausted or dropped); tables stream in-process.
    """
    return _records_from_items(list(expand_paths(paths)), fmt, mapping, workers)


def _records_from_items(
    items: list, fmt: str | None, mapping, workers: int | None, limits: Limits | None = None,
) -> Iterator[Record | Reject]:
    fmt = normalise_format(fmt)
    limits = limits or Limits.from_env()  # read once per run, not once per file
    columns = parse_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    pages = [i for i in items if not isinstance(i, Reject) and page_like(i, fmt)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = None
    if workers > 1 and len(pages) >= PARALLEL_PARSE_MIN:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        pool = multiprocessing.get_context("fork" if "fork" in methods else None).Pool(workers)
    return _stream(items, pages, fmt, columns, pool, limits)


def _stream(items, pages, fmt, columns, pool, limits) -> Iterator[Record | Reject]:
    try:
        if pool is not None:
            yield from (i for i in items if isinstance(i, Reject))
            for result in pool.imap(_parse_pages, [(p, fmt, limits) for p in pages], chunksize=64):
                yield from result
            rest = [i for i in items if not isinstance(i, Reject) and not page_like(i, fmt)]
        else:
            rest = items
        for item in rest:
            if isinstance(item, Reject):
                yield item
            else:
                yield from parse(item, fmt, columns, limits=limits)
    finally:
        if pool is not None:
            pool.terminate()


def ingest_paths(
    db_path,
    paths: Iterable[str],
    fmt: str | None = None,
    mapping=None,
    tag: bool = True,
    batch_size: int = 2000,
    progress: bool = True,
    command: str = "ingest",
    echo_rejects: bool = True,
    refresh: bool = True,
    processes: int | None = None,
) -> IngestSummary:
    """Parse and store files, folders and globs. Bad --format / --map raise ValueError (a usage error)."""
    paths = [str(p) for p in paths]
    normalise_format(fmt)  # fail fast on usage errors, before touching the database
    limits = Limits.from_env()  # a bad TRENDS_MAX_* value is a usage error too
    if isinstance(mapping, str):
        mapping = parse_mapping(mapping)
    items = list(expand_paths(paths))
    files = [i for i in items if not isinstance(i, Reject)]
    total = len(files) if all(page_like(f, fmt) for f in files) else None  # tables: rows unknown up front
    return ingest_records(
        db_path, _records_from_items(items, fmt, mapping, processes, limits), tag=tag, batch_size=batch_size, progress=progress,
        total=total, command=command, inputs=storable(" ".join(paths)), echo_rejects=echo_rejects, refresh=refresh,
        processes=processes,
    )


# ------------------------------------------------------------------------------------------- stats


def stats(db_path) -> dict:
    """Counts, date range, sources, tags by kind and rejects of a database (read-only)."""
    from trends.store import read_cursor

    cur = read_cursor(db_path)
    one = lambda sql: cur.execute(sql).fetchone()  # noqa: E731
    articles, synthetic, first, last, sources, authors = one(
        "SELECT count(*), count(*) FILTER (WHERE synthetic), min(published), max(published), "
        "count(DISTINCT source), (SELECT count(DISTINCT a) FROM (SELECT unnest(authors) AS a FROM articles)) FROM articles"
    )
    related_total, related_resolved = one("SELECT count(*), count(target_id) FROM related")
    return {
        "articles": int(articles),
        "synthetic_articles": int(synthetic),
        "first_date": first.isoformat() if first else None,
        "last_date": last.isoformat() if last else None,
        "sources": int(sources),
        "authors": int(authors),
        "view_snapshots": int(one("SELECT count(*) FROM view_snapshots")[0]),
        "related_links": int(related_total),
        "related_resolved": int(related_resolved),
        "tags": int(one("SELECT count(*) FROM tags")[0]),
        "untagged_articles": int(one("SELECT count(*) FROM articles WHERE tagged_at IS NULL")[0]),
        "tags_by_kind": {k: int(n) for k, n in cur.execute("SELECT kind, count(*) FROM tags GROUP BY kind ORDER BY kind").fetchall()},
        "top_sources": [
            {"source": s, "articles": int(n)}
            for s, n in cur.execute(
                "SELECT coalesce(source, '(none)'), count(*) AS n FROM articles GROUP BY 1 ORDER BY n DESC, 1 LIMIT 15"
            ).fetchall()
        ],
        "rejects": int(one("SELECT count(*) FROM rejects")[0]),
        "recent_rejects": [
            {"input": i, "record": r, "reason": why}
            for i, r, why in cur.execute(
                "SELECT input, record, reason FROM rejects ORDER BY rejected_at DESC, input LIMIT 5"
            ).fetchall()
        ],
        "runs": int(one("SELECT count(*) FROM ingest_runs")[0]),
        "last_run": _last_run(cur),
    }


def _last_run(cur) -> dict | None:
    row = cur.execute(
        "SELECT run_id, command, status, started_at, new_articles, updated_articles, unchanged_articles, rejected, seconds "
        "FROM ingest_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if not row:
        return None
    keys = ("run_id", "command", "status", "started_at", "new", "updated", "unchanged", "rejected", "seconds")
    out = dict(zip(keys, row))
    out["started_at"] = out["started_at"].isoformat(sep=" ") if out["started_at"] else None
    return out


# ------------------------------------------------------------------------------------------- commands


@contextlib.contextmanager
def _pipe_safe():
    """`trends parse ... | head`: the reader going away early is not an error."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def cmd_parse(args: argparse.Namespace) -> int:
    """`trends parse PATH... [--json]`: print parsed records, never touch the database.

    Exit status: 0 every input parsed; 1 something was rejected (one line each on stderr);
    2 usage error (bad --format or --map).
    """
    records, rejected = [], 0
    for item in iter_path_records(args.paths, args.format, args.map):
        if isinstance(item, Reject):
            rejected += 1
            print(item.line(), file=sys.stderr)
        else:
            records.append(item)
    with _pipe_safe():
        if args.json:
            json.dump([r.to_json() for r in records], sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            for r in records:
                views = f"{r.views:,} views" if r.views is not None else "no views"
                print(printable(
                    f"{r.input}: {r.title} | {r.source or '-'} | {r.published or '-'} | {views} | "
                    f"{', '.join(r.authors) or '-'} | {len(r.body.split())} words | {len(r.related)} related"
                ))
    return EXIT_REJECTS if rejected else EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    """`trends ingest PATH... [--db FILE] [--format F] [--map M] [--no-tag] [--batch-size N] [--quiet] [--into-demo]`.

    Prints one line per rejected file/record and a closing summary line. Refuses (exit 2) to add to a
    database holding the synthetic demo unless ``--into-demo`` says so (`refuse_demo_mix`).
    Exit status: 0 everything stored; 1 the run completed but something was rejected (see the lines
    above and the rejects table); 2 usage error (bad --format / --map) or an unusable database.
    """
    if not getattr(args, "into_demo", False):
        refuse_demo_mix(args.db)
    summary = ingest_paths(
        args.db, args.paths, fmt=args.format, mapping=args.map, tag=not args.no_tag,
        batch_size=args.batch_size, progress=not args.quiet,
    )
    print(printable(f"trends ingest: {summary.line()} -> {args.db}"), file=sys.stderr)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


def refuse_demo_mix(db_path) -> None:
    """Raise a one-line ValueError when ``db_path`` holds synthetic demo articles: `trends ingest` reads
    real inputs (only `trends demo` makes synthetic ones), and a newcomer's own archive must not mix
    silently with the demo in the default database."""
    if not os.path.exists(db_path):
        return
    from trends.store import read_cursor

    synthetic, articles = read_cursor(db_path).execute(
        "SELECT count(*) FILTER (WHERE synthetic), count(*) FROM articles").fetchone()
    if synthetic:
        raise ValueError(
            f"{db_path} holds the synthetic demo ({synthetic:,} of its {articles:,} articles); keep your archive apart "
            f"with --db NEW_FILE (e.g. --db data/my-archive.duckdb), or pass --into-demo to mix them on purpose"
        )


def cmd_stats(args: argparse.Namespace) -> int:
    """`trends stats [--db FILE] [--json]`. Exit status: 0; 2 when there is no database."""
    data = stats(args.db)
    with _pipe_safe():
        _print_stats(args.db, data, as_json=args.json)
    return EXIT_OK


def _print_stats(db, data: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    print(f"database      {db}")
    print(f"articles      {data['articles']:,} ({data['synthetic_articles']:,} synthetic)")
    print(f"dates         {data['first_date'] or '-'} .. {data['last_date'] or '-'}")
    print(f"sources       {data['sources']:,}   authors {data['authors']:,}")
    print(f"snapshots     {data['view_snapshots']:,}")
    print(f"related       {data['related_links']:,} ({data['related_resolved']:,} resolved)")
    kinds = ", ".join(f"{k} {n:,}" for k, n in data["tags_by_kind"].items()) or "none"
    print(f"tags          {data['tags']:,} ({kinds}); {data['untagged_articles']:,} articles untagged")
    print(f"rejects       {data['rejects']:,}")
    for rej in data["recent_rejects"]:
        print(printable(f"  {rej['input']}{'#' + rej['record'] if rej['record'] else ''}: {rej['reason']}"))
    if data["top_sources"]:
        print("top sources   " + ", ".join(f"{s['source']} ({s['articles']:,})" for s in data["top_sources"][:8]))
    if data["last_run"]:
        r = data["last_run"]
        print(f"last run      #{r['run_id']} {r['command']} {r['status']} at {r['started_at']}: "
              f"{r['new']} new, {r['updated']} updated, {r['unchanged']} unchanged, {r['rejected']} rejected")
