"""Storing corrections through the archive's one writer, and the child process the dashboard starts.

``save(db, corrections)`` checks and resolves every correction first (a topic of the archive's taxonomy,
a country code or name, a person / organisation name merged to the tagger's key), then in ONE
incremental writer transaction: records them in ``corrections`` (an older one than the stored correction
of the same tag is skipped), and re-stores each corrected article that is in the archive with its tags
recomputed by the archive's tagging profile and the corrections applied, plus its derived rows (roll-up
deltas, tags by key), so every chart counts the correction as soon as the segment is published.

``python -m trends.corrections.write --db ARCHIVE`` reads corrections as JSONL on stdin: the dashboard's
way to write without ever opening the archive for writing itself. It waits for a running ingest to
finish (the writer lock) and exits 0 when published, 2 with one line on stderr otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from trends.corrections.apply import apply_article
from trends.corrections.model import Correction, load_effective, parse_jsonl, read_all
from trends.store import StoreError, first_line, open_reader, open_status, open_writer

def _profile(db: Path):
    from trends.tagging import archive_profile

    con = open_reader(db)
    try:
        return archive_profile.load_or_default(con, "memory.reader")[0]
    finally:
        con.close()


def resolve(c: Correction, profile) -> Correction:
    """The correction with its key in the archive's terms (ValueError with one line when it has none)."""
    if c.action != "add":  # a remove / clear names a tag the article carries (or carried): keep it verbatim
        return c
    name = c.key.strip()
    if c.kind == "topic":
        topics = profile.taxonomy.topics
        topic = topics.get(name) or next(
            (t for t in topics.values() if name.lower() in (t.key.lower(), t.label.lower())), None)
        if topic is None:
            raise ValueError(f"unknown topic {name!r}: this archive's taxonomy has {', '.join(sorted(topics))}")
        return replace(c, key=topic.key, label=topic.label)
    if c.kind == "country":
        from trends.tagging.lexicon import country_lexicon, fold

        surfaces, labels, _ = country_lexicon()
        if name.upper() in labels:
            return replace(c, key=name.upper(), label=labels[name.upper()])
        found = surfaces.get(name) or next((isos for s, isos in surfaces.items() if fold(s) == fold(name)), set())
        if len(found) != 1:
            raise ValueError(f"unknown country {name!r}: give its ISO 3166 alpha-3 code (e.g. FRA) or its name")
        iso = next(iter(found))
        return replace(c, key=iso, label=labels.get(iso, iso))
    from trends.tagging.discovery import slugify
    from trends.tagging.parallel import tagger_for

    label = c.label or name
    tags = [t for t in tagger_for(profile).extract(label) if t.kind == c.kind]
    if tags:  # the tagger's own key for this name (its alias list merges Xi / Xi Jinping / President Xi)
        best = max(tags, key=lambda t: (t.score, len(t.label)))
        return replace(c, key=best.key, label=best.label)
    key = name if name == slugify(name) else slugify(name)
    if not key:
        raise ValueError(f"{c.kind} {name!r} has no letters or digits to make a key of")
    return replace(c, key=key, label=label)


def _newest_per_target(corrections: list[Correction]) -> list[Correction]:
    newest: dict[tuple, Correction] = {}
    for c in corrections:
        old = newest.get(c.target)
        if old is None or c.corrected_at >= old.corrected_at:
            newest[c.target] = c
    return list(newest.values())


def save(db_path, corrections: list[Correction], command: str = "corrections", wait: bool = True) -> dict:
    """Store corrections and re-store the corrected articles (see module doc); returns counts."""
    from trends import derived
    from trends.tagging.parallel import tagger_for
    from trends.tagging.storage import TAG_SCHEMA, finish_run, start_run, tag_rows
    from trends.store import insert_rows

    db = Path(db_path)
    status = open_status(db)
    if status.state != "ok":
        raise StoreError(status.message)
    if not corrections:
        return {"stored": 0, "older": 0, "articles": 0, "absent": 0}
    profile = _profile(db)
    incoming = _newest_per_target([resolve(c, profile) for c in corrections])
    started = time.perf_counter()
    tagger = tagger_for(profile)
    with open_writer(db, wait=wait) as w:
        con, live = w.con, w.live
        con.execute("BEGIN TRANSACTION")
        try:
            run_id = start_run(con, command, f"{len(incoming)} corrections", live=live)
            stored = {c.target: c for c in read_all(con, live, sorted({c.article_id for c in incoming}))}
            kept = [c for c in incoming if c.target not in stored or c.corrected_at >= stored[c.target].corrected_at]
            ids = sorted({c.article_id for c in kept})
            facts = {r[0]: r[1:] for r in con.execute(
                f"SELECT article_id, identity, title FROM {live}.articles WHERE article_id IN (SELECT unnest(?::BIGINT[]))", [ids]
            ).fetchall()}
            present = sorted(facts)
            # the article's identity and title go with the correction (an export is readable, and the
            # correction finds its article again in another archive: article_id is the identity's hash)
            kept = [replace(c, identity=facts[c.article_id][0], title=facts[c.article_id][1]) if c.article_id in facts else c
                    for c in kept]
            if kept:
                con.executemany("DELETE FROM work.corrections WHERE article_id = ? AND kind = ? AND key = ?",
                                [list(c.target) for c in kept])
                con.executemany("INSERT INTO work.corrections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [c.row() for c in kept])
            if present:
                _restore(w, present, tagger, TAG_SCHEMA, tag_rows, insert_rows, derived)
            finish_run(con, run_id, len(present), time.perf_counter() - started)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    derived.maybe_compact(db)
    return {"stored": len(kept), "older": len(incoming) - len(kept), "articles": len(present),
            "absent": len(ids) - len(present)}


def _restore(w, ids: list[int], tagger, tag_schema, tag_rows, insert_rows, derived) -> None:
    """Re-store ``ids`` (articles in the archive) with recomputed, corrected tags and their derived rows."""
    import pyarrow as pa

    from trends.store import columns_of

    con, live = w.con, w.live
    con.register("_corrected_ids", pa.table({"article_id": pa.array(ids, pa.int64())}))
    try:
        pick = "WHERE article_id IN (SELECT article_id FROM _corrected_ids)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE _c_articles AS SELECT {', '.join(columns_of('articles'))} FROM {live}.articles {pick}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _c_related AS SELECT {', '.join(columns_of('related'))} FROM {live}.related_links {pick}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _c_themes AS SELECT {', '.join(columns_of('tags'))} FROM {live}.tags "
                    f"{pick} AND kind = 'theme'")
        articles = con.execute("SELECT article_id, title, body, published FROM temp._c_articles ORDER BY article_id").fetchall()
        themes: dict[int, list[tuple]] = {}
        for row in con.execute("SELECT * FROM temp._c_themes").fetchall():
            themes.setdefault(row[0], []).append(tuple(row))
        in_force = load_effective(con, live, ids)
        rows = []
        for aid, title, body, published in articles:
            computed = tag_rows(aid, published, tagger.extract(f"{title}\n\n{body}")) + themes.get(aid, [])
            rows.extend(apply_article(aid, published, computed, in_force.get(aid, {})))
        derived.hide_and_subtract(w, "_corrected_ids", "_corrected_ids")
        con.execute("INSERT INTO work.articles BY NAME SELECT * FROM temp._c_articles")
        con.execute("INSERT INTO work.related BY NAME SELECT * FROM temp._c_related")
        insert_rows(con, "work.tags", tag_schema, rows)
        derived.add_contributions(w, "_corrected_ids", "_corrected_ids")
        for name in ("_c_articles", "_c_related", "_c_themes"):
            con.execute(f"DROP TABLE temp.{name}")
    finally:
        con.unregister("_corrected_ids")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trends.corrections.write", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the archive folder")
    args = parser.parse_args(argv)
    try:
        corrections = parse_jsonl(sys.stdin.read(), "stdin")
        result = save(Path(args.db).expanduser(), corrections, command="corrections (dashboard)")
    except (StoreError, ValueError, OSError) as exc:
        print(f"trends corrections: {first_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the dashboard shows this one line; never a traceback
        print(f"trends corrections: {type(exc).__name__}: {first_line(exc)}", file=sys.stderr)
        return 2
    print(f"stored {result['stored']} corrections ({result['articles']} articles re-stored)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
