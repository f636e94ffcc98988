"""Records -> rows in the archive: identity, idempotency, view snapshots, related links, tags, rejects.

Everything runs inside one `trends.store.open_writer()` (exclusive, on the run's working segment,
published as one new segment at the end). Each batch is planned (`plan_batch`: a pure step that turns
records plus the stored rows of their ids into named rows) and applied (`_Run.apply`: the rows, their
tags and every derived row of `trends.derived` in ONE transaction), so a crash (even ``kill -9``) keeps
every complete committed batch and a rerun completes the rest: committed records come back as "unchanged".

Identity (the article id is ``stable_id(identity)``): ``url:<normalised url>``, else ``id:<mapped id>``
(tables with an id column), else ``td:<normalised title>|<date>``, else ``hash:<content hash>``.
A record whose identity is already in the database is
- unchanged when its text and view count are the same (a ``sightings`` row; the article is not rewritten),
- updated when its text changed (article rewritten, related links and tags recomputed) and/or its view
  count changed (a new ``view_snapshots`` row; the row is stored again with the newest observation).
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
from dataclasses import dataclass, field
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import duckdb
import pyarrow as pa

from trends import derived
from trends.lake import is_address
from trends.parsing import (
    Limits, Record, Reject, expand_paths, normalise_format, page_like, parse, parse_mapping, printable, storable,
)
from trends.store import arrow_rows, crash_point, index_articles, insert_rows, open_writer, set_setting, stable_id
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
    themes_fitted: bool = False
    housekeeping: str | None = None  # "merged" / "compacted" segments after the publish

    def line(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected "
            f"in {self.seconds:.1f}s ({self.articles_per_s:,.0f} articles/s)"
            + (f"; segments {self.housekeeping}" if self.housekeeping else "")
        )


# ------------------------------------------------------------------------------------------- identity


def normalise_title(title: str) -> str:
    """Case, punctuation and spacing folded: the key for title identity and "Read also" matching.

    Mirrors `trends.derived.title_key_sql` (letters and digits kept, everything else one space).
    """
    return " ".join(re.sub(r"[^\w]|_", " ", title.casefold()).split())


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
        self.profile = None  # the archive's tagging profile (set by the run); None = the bundled one

    @property
    def active(self) -> bool:
        return self.tagging is not None

    def tag(self, texts: list[str]) -> list[list]:
        if not self.tagging or not texts:
            return [[] for _ in texts]
        if hasattr(self.tagging, "tag_records"):
            return self.tagging.tag_records(texts, self.processes, profile=self.profile)
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
    ("notes", pa.list_(pa.string())),
])
_SNAPSHOT_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("observed_at", pa.timestamp("us")), ("views", pa.int64()), ("run_id", pa.int32()),
])
_SIGHTING_SCHEMA = pa.schema([("article_id", pa.int64()), ("run_id", pa.int32()), ("seen_at", pa.timestamp("us"))])
_RELATED_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("position", pa.int32()), ("title", pa.string()), ("title_key", pa.string()),
])
_REJECT_SCHEMA = pa.schema([
    ("run_id", pa.int32()), ("input", pa.string()), ("record", pa.string()), ("reason", pa.string()),
    ("excerpt", pa.string()), ("rejected_at", pa.timestamp("us")),
])
_ID_SCHEMA = pa.schema([("article_id", pa.int64())])
_STORED_COLUMNS = [f.name for f in _ARTICLE_SCHEMA]
_COMPARED_COLUMNS = ["article_id", "content_hash", "views", "views_observed_at", "first_seen"]  # what plan_batch compares


# ------------------------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    """What one batch will write, by name (the pure step: records + the stored state of their ids).

    ``new`` / ``rewritten`` (text changed) / ``restored`` (only the view count changed) are article rows
    in ``_ARTICLE_SCHEMA`` order; ``to_tag`` are the (article id, record) pairs whose tags are computed.
    """

    new: list[tuple] = field(default_factory=list)
    rewritten: list[tuple] = field(default_factory=list)
    restored: list[tuple] = field(default_factory=list)
    snapshots: list[tuple] = field(default_factory=list)
    sightings: list[tuple] = field(default_factory=list)
    related: list[tuple] = field(default_factory=list)
    to_tag: list[tuple[int, Record]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    unchanged: int = 0

    @property
    def row_ids(self) -> list[int]:
        """Ids whose stored rows this batch hides (re-stored articles)."""
        return [r[0] for r in self.rewritten] + [r[0] for r in self.restored]

    @property
    def content_ids(self) -> list[int]:
        return [r[0] for r in self.rewritten]


def prepare(records: list[Record], seen: dict[int, tuple]) -> tuple[list[tuple], list[Reject]]:
    """(record, identity, id, content hash) per record; a second record of one identity in a run is a reject."""
    prepared, rejects = [], []
    for rec in records:
        chash = content_hash(rec)
        identity = identity_of(rec, chash)
        aid = stable_id(identity)
        first = seen.get(aid)
        if first is not None:
            same = "an exact duplicate" if first[1] == chash and first[2] == rec.views else "a conflicting duplicate"
            where, _, locator = rec.input.partition("#")
            rejects.append(Reject(
                where, f"{same} of {first[0]} (same identity {identity[:80]!r}) in this run", locator or None, rec.title[:200],
            ))
            continue
        seen[aid] = (rec.input, chash, rec.views)
        prepared.append((rec, identity, aid, chash))
    return prepared, rejects


def plan_batch(prepared: list[tuple], stored: dict[int, dict], now: dt.datetime, run_id: int, tagging: bool) -> Plan:
    """The pure plan step: which articles are new, rewritten, re-stored with new views, or just seen again."""
    plan = Plan()
    tagged_at = now if tagging else None
    for rec, identity, aid, chash in prepared:
        observed = rec.observed_at or now
        old = stored.get(aid)
        row = (
            aid, identity, rec.url, rec.source, rec.title, rec.headline, rec.published, list(rec.authors),
            rec.body, len(rec.body.split()), rec.language, chash, rec.views,
            observed if rec.views is not None else None, now, now, rec.input, rec.format, run_id,
            bool(rec.synthetic), tagged_at, list(rec.notes) or None,
        )
        links = [(aid, i, t, normalise_title(t)) for i, t in enumerate(rec.related)]
        if old is None:
            plan.new.append(row)
            if rec.views is not None:
                plan.snapshots.append((aid, observed, rec.views, run_id))
            plan.related.extend(links)
            plan.to_tag.append((aid, rec))
            continue
        views_changed = rec.views is not None and rec.views != old["views"]
        newer = views_changed and (old["views_observed_at"] is None or observed >= old["views_observed_at"])
        views, views_at = (rec.views, observed) if newer else (old["views"], old["views_observed_at"])
        if views_changed:
            plan.snapshots.append((aid, observed, rec.views, run_id))
        if old["content_hash"] != chash:
            # the text changed: the row, its links and its tags are rewritten (first_seen kept)
            plan.rewritten.append(row[:12] + (views, views_at, old["first_seen"]) + row[15:])
            plan.related.extend(links)
            plan.to_tag.append((aid, rec))
        elif views_changed:
            # the same text with a new view count: the stored row again, with the newest count
            kept = dict(old, views=views, views_observed_at=views_at, last_seen=now, run_id=run_id)
            plan.restored.append(tuple(kept[c] for c in _STORED_COLUMNS))
        else:
            plan.unchanged += 1
            plan.sightings.append((aid, run_id, now))
    return plan


# ------------------------------------------------------------------------------------------- the run


class _Run:
    """One ingest run inside an open writer: batches in (plan, then apply), counts out."""

    def __init__(self, w, command: str, inputs: str, tagger: Tagger, echo_rejects: bool, bar):
        self.w = w
        self.con = w.con
        self.tagger = tagger
        self.echo_rejects = echo_rejects
        self.bar = bar
        self.summary = IngestSummary()
        self.seen: dict[int, tuple] = {}
        self.shown_rejects = 0
        self.now = dt.datetime.now()
        self.themes = _ThemeModel(w) if tagger.active else None
        # the archive's tagging profile tags every article (one taxonomy per archive); analysts'
        # corrections in force are applied to whatever is (re)tagged, so they survive a re-ingest
        self.profile, self.profile_stored = _archive_profile(w) if tagger.active else (None, True)
        tagger.profile = self.profile
        self.corrections = _corrections_in_force(w) if tagger.active else {}
        self.pending = None  # (plan, tags future) of the batch being tagged
        self.executor = None
        # A run into an archive with nothing published and no theme model ends by fitting the themes and
        # recomputing every derived row of its segment (`finish`): its batches then write only the rows
        # and tags, and the derived rows are computed once, set-based, at the end (a crash before that
        # leaves a working segment whose rerun is such a run again and recomputes them).
        self.deferred = (self.themes is None or self.themes.blob is None) and not w.published_articles()
        if self.themes is not None:  # build the tagger and load the theme model while the input is read
            self._pool().submit(self._warm)
        self.con.execute("BEGIN TRANSACTION")
        # started_at is the run's clock: "new since the last ingest" compares first_seen with it.
        self.run_id = start_run(self.con, command, inputs, started_at=self.now, live=w.live)
        if not self.profile_stored:
            from trends.tagging import archive_profile

            archive_profile.store(self.con, self.profile)
        self.con.execute("COMMIT")
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

    def stored_rows(self, prepared: list[tuple]) -> dict[int, dict]:
        """The stored state of the batch's ids: the few columns the plan compares for every id, and the
        whole row only for the ids it may store again unchanged but for the views (a re-scrape). Reading
        every column for every id made the lookup a join that read all the archive's bodies."""
        if not prepared:
            return {}
        live = self.w.live
        self.con.register("_batch_ids", pa.table({"article_id": pa.array([p[2] for p in prepared], pa.int64())}))
        try:
            cur = self.con.execute(
                f"SELECT {', '.join(_COMPARED_COLUMNS)} FROM {live}.articles WHERE article_id IN (SELECT article_id FROM _batch_ids)"
            )
            stored = {row[0]: dict(zip(_COMPARED_COLUMNS, row)) for row in cur.fetchall()}
        finally:
            self.con.unregister("_batch_ids")
        whole = [aid for rec, _, aid, chash in prepared if aid in stored and stored[aid]["content_hash"] == chash
                 and rec.views is not None and rec.views != stored[aid]["views"]]
        for start in range(0, len(whole), 500):  # a bound constant list: the segments' article index answers it
            part = whole[start:start + 500]
            cur = self.con.execute(
                f"SELECT {', '.join(_STORED_COLUMNS)} FROM {live}.articles WHERE article_id IN ({', '.join('?' * len(part))})", part
            )
            stored.update({row[0]: dict(zip(_STORED_COLUMNS, row)) for row in cur.fetchall()})
        return stored

    def batch(self, records: list[Record], rejects: list[Reject]) -> None:
        """Plan this batch and start tagging it (worker processes), then apply the previous batch while
        the tagger works: storage and tagging run side by side. Ids never repeat within a run, so the
        previous batch's writes cannot change this batch's plan."""
        prepared, duplicates = prepare(records, self.seen)
        plan = plan_batch(prepared, self.stored_rows(prepared), self.now, self.run_id, self.tagger.active)
        plan.rejects = list(rejects) + duplicates
        if not self.tagger.active:  # nothing to overlap: commit at once
            self._applied(plan, [])
            return
        tags = self._pool().submit(self.tag, plan.to_tag)
        self.flush()
        self.pending = (plan, tags)

    def _warm(self) -> None:
        if self.profile is not None:
            from trends.tagging.parallel import tagger_for

            tagger_for(self.profile)
        elif hasattr(self.tagger.tagging, "default_tagger"):
            self.tagger.tagging.default_tagger()
        self.themes.assign([])

    def flush(self) -> None:
        if self.pending is not None:
            plan, tags = self.pending
            self.pending = None
            self._applied(plan, tags.result())

    def _pool(self):
        if self.executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tagging")
        return self.executor

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _applied(self, plan: Plan, tag_rows_: list[tuple]) -> None:
        self.apply(plan, tag_rows_)
        self.summary.new += len(plan.new)
        self.summary.updated += len(plan.rewritten) + len(plan.restored)
        self.summary.unchanged += plan.unchanged
        self.summary.rejected += len(plan.rejects)
        self.summary.snapshots += len(plan.snapshots)

    def tag(self, to_tag: list[tuple[int, Record]]) -> list[tuple]:
        if not to_tag or not self.tagger.active:
            return []
        texts = [rec.title + "\n\n" + rec.body for _, rec in to_tag]
        tag_lists = self.tagger.tag(texts)
        if self.themes is not None:
            for tags, theme_tags in zip(tag_lists, self.themes.assign(texts)):
                tags.extend(theme_tags)
        rows = [row for (aid, rec), tags in zip(to_tag, tag_lists) for row in tag_rows(aid, rec.published, tags)]
        if self.corrections:
            from trends.corrections import apply_rows

            rows = apply_rows(rows, self.corrections, {aid: rec.published for aid, rec in to_tag})
        return rows

    def apply(self, plan: Plan, tags: list[tuple]) -> None:
        """The apply step: the plan, its tags and every derived row, in ONE transaction."""
        con, w = self.con, self.w
        con.execute("BEGIN TRANSACTION")
        try:
            row_ids = plan.row_ids
            all_ids = [r[0] for r in plan.new] + row_ids
            content_ids = [r[0] for r in plan.new] + plan.content_ids
            con.register("_hide_row", arrow_rows(_ID_SCHEMA, [(i,) for i in row_ids]))
            con.register("_hide_content", arrow_rows(_ID_SCHEMA, [(i,) for i in plan.content_ids]))
            con.register("_row_ids", arrow_rows(_ID_SCHEMA, [(i,) for i in all_ids]))
            con.register("_content_ids", arrow_rows(_ID_SCHEMA, [(i,) for i in content_ids]))
            if row_ids and self.deferred:  # rows of this run's own segment (a resumed run): no deltas to undo
                derived.hide(w, "_hide_row", "_hide_content")
            elif row_ids:
                derived.hide_and_subtract(w, "_hide_row", "_hide_content")
            insert_rows(con, "work.articles", _ARTICLE_SCHEMA, plan.new + plan.rewritten + plan.restored)
            insert_rows(con, "work.view_snapshots", _SNAPSHOT_SCHEMA, plan.snapshots)
            insert_rows(con, "work.sightings", _SIGHTING_SCHEMA, plan.sightings)
            insert_rows(con, "work.related", _RELATED_SCHEMA, plan.related)
            crash_point("records")
            insert_rows(con, "work.tags", TAG_SCHEMA, tags)
            crash_point("tags")
            if all_ids and not self.deferred:
                restored = [r[0] for r in plan.restored]
                con.register("_restored_ids", arrow_rows(_ID_SCHEMA, [(i,) for i in restored]))
                derived.add_contributions(w, "_row_ids", "_content_ids", written=True,
                                          restored_ids="_restored_ids" if restored else None)
            insert_rows(con, "work.rejects", _REJECT_SCHEMA, self._reject_rows(plan.rejects))
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        finally:
            for name in ("_hide_row", "_hide_content", "_row_ids", "_content_ids", "_restored_ids"):
                with contextlib.suppress(Exception):
                    con.unregister(name)

    def finish(self, started: float, status: str = "ok") -> IngestSummary:
        """The end of the run: themes fitted when the archive has none (in place while nothing is
        published yet), the segment sorted, then the run row marked ``ok`` with the whole run's seconds."""
        con, w = self.con, self.w
        self.flush()
        self.close()
        rebuilt = False
        if self.deferred and self.themes is not None:
            rebuilt = self.summary.themes_fitted = derived_themes_fit_in_place(w)
        con.execute("BEGIN TRANSACTION")
        if self.deferred and not rebuilt:  # too few articles for themes, or no tagging: the derived rows now
            derived.rebuild(con, "work")
        if self.deferred:
            derived.sort_base_tags(con)  # the rebuild wrote the derived tables sorted and collapsed
        else:
            derived.sort_segment(con)
        derived.mark_built(con)
        index_articles(con, "work")
        con.execute("COMMIT")
        crash_point("finish")
        con.execute("CHECKPOINT work")  # the publish's expensive part, timed with the run
        s = self.summary
        s.seconds = time.perf_counter() - started
        looked_at = s.new + s.updated + s.unchanged
        s.articles_per_s = looked_at / s.seconds if s.seconds > 0 else 0.0
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "UPDATE work.ingest_runs SET finished_at = ?, status = ?, new_articles = ?, updated_articles = ?, "
            "unchanged_articles = ?, rejected = ?, seconds = ? WHERE run_id = ?",
            [dt.datetime.now(), status, s.new, s.updated, s.unchanged, s.rejected, s.seconds, self.run_id],
        )
        con.execute("COMMIT")
        return s


def _archive_profile(w):
    """(profile, stored): the archive's tagging profile, else the bundled one, to be stored by this run."""
    from trends.tagging import archive_profile

    return archive_profile.load_or_default(w.con, w.live)


def _corrections_in_force(w) -> dict:
    from trends.corrections import load_effective

    return load_effective(w.con, w.live)


class _ThemeModel:
    """The archive's fitted theme model (newest wins), assigning themes to new articles."""

    def __init__(self, w):
        from trends.tagging.storage import load_theme_model

        self.blob = load_theme_model(w.con, w.live)
        self.model = None

    def assign(self, texts: list[str]) -> list[list]:
        if self.blob is None:
            return [[] for _ in texts]
        from trends.tagging.themes import ThemeModel, assign

        if self.model is None:
            self.model = ThemeModel.from_bytes(self.blob)  # once per run
        return assign(self.model, texts)


def derived_themes_fit_in_place(w) -> bool:
    """Fit the theme model on a working segment that holds the whole archive, assign every article,
    and recompute the segment's derived rows, in one transaction with the fit's marker."""
    from trends.tagging import fit_themes
    from trends.tagging.storage import THEMES_ASSIGNED, count_articles

    con = w.con
    if count_articles(con) < 8:
        return False
    facts = fit_themes(con)
    crash_point("themes")
    con.execute("BEGIN TRANSACTION")
    derived.rebuild(con, "work")
    set_setting(con, THEMES_ASSIGNED, facts.get("fitted_at", ""))
    con.execute("COMMIT")
    w.refresh_views()
    return True


# ------------------------------------------------------------------------------------------- public API


def _progress_bar(progress: bool, total: int | None):
    from tqdm import tqdm

    return tqdm(
        total=total, unit=" articles", file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
        disable=not progress or not sys.stderr.isatty(),
    )


def archive_settings(tagging_active: bool) -> dict:
    """Settings a new archive is created with: the about threshold of the tagger that fills it."""
    from trends.tagging.model import ABOUT_THRESHOLD

    return {"about_threshold": ABOUT_THRESHOLD}


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
    tagger: "Tagger | None" = None,
) -> IngestSummary:
    """Store records (Rejects in the stream are recorded as rejects) batch by batch; see module doc.

    Every batch writes its records and all derived rows (roll-up deltas, search rows, themes) in one
    transaction, and the run is published as one new segment at the end. ``refresh`` is kept for
    callers of the old API and changes nothing: derived data is always complete. ``processes``: tagging
    processes (default: all cores; 1 tags in this process, as a Streamlit script must). ``tagger``: a
    ready tagger (e.g. `trends.cluster`'s, holding tags computed on a cluster) instead of a local one.

    On a shared store (`trends.lake`) another writer may store some of the same articles while this run
    works: the publish then refuses (`LakeConflict`) and the run is replayed against the new snapshot,
    with the tags already computed (so those articles come out unchanged or updated, never twice).
    """
    tagger = tagger or Tagger(tag, processes)
    if not is_address(db_path):
        return _ingest_once(db_path, records, tagger, batch_size, progress, total, command, inputs, echo_rejects)
    from trends.lake.writer import LakeConflict

    tagger = MemoTagger(tagger)
    replay: list = []
    stream = _recorded(records, replay)
    for attempt in range(LAKE_REPLAYS):
        try:
            return _ingest_once(db_path, stream, tagger, batch_size, progress, total, command, inputs, echo_rejects and not attempt)
        except LakeConflict as exc:
            if attempt == LAKE_REPLAYS - 1:
                raise
            print(f"trends ingest: {exc}; replaying the run against the new snapshot", file=sys.stderr)
            stream = iter(replay)


LAKE_REPLAYS = 5


def _recorded(items: Iterable, into: list) -> Iterator:
    for item in items:
        into.append(item)
        yield item


class MemoTagger:
    """A tagger that remembers each text's tags: a replayed run does not tag the same texts again."""

    def __init__(self, inner: "Tagger"):
        self.inner = inner
        self.tagging = inner.tagging
        self.memo: dict[str, list] = {}

    @property
    def active(self) -> bool:
        return self.inner.active

    def tag(self, texts: list[str]) -> list[list]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        for text, tags in zip(missing, self.inner.tag(missing)):
            self.memo[text] = tags
        return [list(self.memo[t]) for t in texts]


def _ingest_once(db_path, records, tagger, batch_size, progress, total, command, inputs, echo_rejects) -> IngestSummary:
    started = time.perf_counter()
    batch_size = max(1, int(batch_size))
    bar = _progress_bar(progress, total)
    try:
        with open_writer(db_path, settings=archive_settings(tagger.active) if _is_new(db_path) else None) as w, \
                contextlib.closing(_Run(w, command, inputs, tagger, echo_rejects, bar)) as run:
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
        if not is_address(db_path):  # a shared store fits themes on its first run only; no segments
            if tagger.active and not summary.themes_fitted and not run.themes.blob:
                fit_themes_if_missing(db_path)
            summary.housekeeping = derived.maybe_compact(db_path)
        summary.seconds = time.perf_counter() - started  # the line covers everything the command did
        looked_at = summary.new + summary.updated + summary.unchanged
        summary.articles_per_s = looked_at / summary.seconds if summary.seconds > 0 else 0.0
        return summary
    finally:
        bar.close()


def _is_new(db_path) -> bool:
    from pathlib import Path

    if is_address(db_path):
        return True  # the lake writer keeps the threshold a lake was created with
    return not (Path(db_path) / "manifest.json").exists() and not Path(db_path).is_file()


def fit_themes_if_missing(db_path) -> dict | None:
    """After a run: an archive with tagged articles but no theme model gets one (a rewrite, once)."""
    from trends.store import direct_cursor, views_schema
    from trends.tagging.storage import load_theme_model

    cur = direct_cursor(db_path)
    if load_theme_model(cur, views_schema(cur)) is not None:
        return None
    if cur.execute("SELECT count(*) FROM articles WHERE tagged_at IS NOT NULL").fetchone()[0] < 8:
        return None
    return refit_themes(db_path)


def refit_themes(db_path, progress: bool = False) -> dict:
    """`trends themes fit`: fit the theme model on the archive and reassign every article's themes
    (a rewrite into one new base segment: every theme tag and what is derived from it changes)."""
    from trends.tagging import fit_themes
    from trends.tagging.storage import THEMES_ASSIGNED, finish_run

    started = time.perf_counter()
    with open_writer(db_path, rewrite=True, copy=_copy_base) as w:
        run_id = start_run(w.con, "themes fit", "", live=w.live)
        facts = fit_themes(w.con)
        w.con.execute("BEGIN TRANSACTION")
        derived.rebuild(w.con, "work")
        set_setting(w.con, THEMES_ASSIGNED, facts.get("fitted_at", ""))
        finish_run(w.con, run_id, 0, time.perf_counter() - started)
        w.con.execute("COMMIT")
    return facts


def _copy_base(w) -> None:
    derived.attach_source(w)
    derived.copy_base(w)


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
    from trends.store import direct_cursor

    cur = direct_cursor(db_path)
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
        "tagging_profile": _profile_facts(cur),
        "corrections": int(one("SELECT count(*) FROM corrections WHERE action <> 'clear'")[0]),
    }


def _profile_facts(cur) -> dict | None:
    from trends.tagging.archive_profile import describe
    from trends.store import views_schema

    return describe(cur, views_schema(cur))


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
    if getattr(args, "background", False):
        yield_cpu()
    if getattr(args, "cluster", None):  # Dask works with pandas
        return _cmd_ingest(args)
    from trends.without_pandas import pandas_unloaded

    with pandas_unloaded():  # nothing of an ingest needs pandas, which DuckDB would import (0.5-1.5 s)
        return _cmd_ingest(args)


def yield_cpu() -> str:
    """`trends ingest --background`: run at the lowest priority, so a dashboard on the same cores keeps its
    speed. ``nice`` alone is not enough: a nice-19 process still takes 1.5% of the CPU against each nice-0
    one, and with the kernel's autogroups (one group per terminal session) nice only orders processes of one
    session. SCHED_IDLE (Linux) runs the ingest only on CPU time nothing else in its group wants; threads and
    processes started afterwards (DuckDB's threads, the tagging workers) inherit both. Returns what was set."""
    os.nice(max(0, 19 - os.nice(0)))
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed: the nice value stays
        return "nice 19"
    return "nice 19, SCHED_IDLE"


def _cmd_ingest(args: argparse.Namespace) -> int:
    if not getattr(args, "into_demo", False):
        refuse_demo_mix(args.db)
    if getattr(args, "cluster", None):
        from trends.cluster import ingest_on_cluster

        summary = ingest_on_cluster(
            args.db, args.paths, args.cluster, fmt=args.format, mapping=args.map, tag=not args.no_tag,
            batch_size=args.batch_size, progress=not args.quiet,
        )
    else:
        summary = ingest_paths(
            args.db, args.paths, fmt=args.format, mapping=args.map, tag=not args.no_tag,
            batch_size=args.batch_size, progress=not args.quiet,
        )
    print(printable(f"trends ingest: {summary.line()} -> {_label(args.db)}"), file=sys.stderr)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


def _label(db) -> str:
    """How an archive is named in output (a shared store's password is not printed)."""
    if is_address(db):
        from trends.lake import parse_address

        return str(parse_address(db))
    return str(db)


def refuse_demo_mix(db_path) -> None:
    """Raise a one-line ValueError when ``db_path`` holds synthetic demo articles: `trends ingest` reads
    real inputs (only `trends demo` makes synthetic ones), and a newcomer's own archive must not mix
    silently with the demo in the default database."""
    from trends.store import StoreError, direct_cursor

    try:
        cur = direct_cursor(db_path)
    except StoreError:  # nothing published yet (or unusable: the writer says so in its own line)
        return
    synthetic, articles = cur.execute("SELECT count(*) FILTER (WHERE synthetic), count(*) FROM articles").fetchone()
    if synthetic:
        raise ValueError(
            f"{db_path} holds the synthetic demo ({synthetic:,} of its {articles:,} articles); keep your archive apart "
            f"with --db NEW_FOLDER (e.g. --db data/my-archive), or pass --into-demo to mix them on purpose"
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
    from trends.tagging.archive_profile import line

    print(f"tagging       {line(data['tagging_profile'])}")
    print(f"corrections   {data['corrections']:,} by analysts (`trends corrections list`)")
    print(f"rejects       {data['rejects']:,}")
    for rej in data["recent_rejects"]:
        print(printable(f"  {rej['input']}{'#' + rej['record'] if rej['record'] else ''}: {rej['reason']}"))
    if data["top_sources"]:
        print("top sources   " + ", ".join(f"{s['source']} ({s['articles']:,})" for s in data["top_sources"][:8]))
    if data["last_run"]:
        r = data["last_run"]
        print(f"last run      #{r['run_id']} {r['command']} {r['status']} at {r['started_at']}: "
              f"{r['new']} new, {r['updated']} updated, {r['unchanged']} unchanged, {r['rejected']} rejected")
