"""`trends retag`: recompute every article's tags (and refit the themes) without re-ingesting.

Every tag changes, so it is a rewrite (``trends.store.open_writer(rewrite=True)``): the live rows are
copied into one new base segment, retagged there batch by batch in a process pool, the themes refitted
and every derived table rebuilt (`trends.derived.rebuild`); the new base replaces the old segments only
when all of it is done, so the dashboard keeps serving the old tags until then. It tags with the
archive's stored profile unless told otherwise (`choose_profile`), stores the profile it used, applies
the analysts' corrections to every recomputed tag, and with ``retrain`` first retrains the profile's
topic model on the archive (weak supervision) and its topic corrections (labelled examples).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from trends import derived
from trends.corrections import apply_article, load_effective
from trends.store import open_reader, open_status, open_writer
from trends.tagging import archive_profile, storage
from trends.tagging.parallel import TaggingPool
from trends.tagging.profile import TaggingProfile, default_profile, load_profile, profile_for_taxonomy
from trends.tagging.storage import sample_texts
from trends.tagging.topics import load_taxonomy

BATCH_SIZE = 2_000


def _bar(enabled: bool, total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="art", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


RETRAIN_TEXTS = 20_000  # archive texts read for weak supervision when retraining (a seeded, id-ordered sample)


def choose_profile(db_path: Path, taxonomy=None, profile=None, bundled: bool = False) -> TaggingProfile:
    """The profile a retag tags with: a profile file, else a taxonomy file (with the bundled model for the
    topics it shares), else the bundled one when asked, else the archive's own (never silently lost)."""
    if profile is not None:
        return profile if isinstance(profile, TaggingProfile) else load_profile(profile)
    if taxonomy is not None:
        load_taxonomy(taxonomy)  # fail fast on a bad taxonomy file, before taking the writer lock
        return profile_for_taxonomy(taxonomy)
    if bundled:
        return default_profile()
    con = open_reader(db_path)
    try:
        return archive_profile.load_or_default(con, "memory.reader")[0]
    finally:
        con.close()


def training_data(db_path: Path, limit: int = RETRAIN_TEXTS) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """Archive texts for weak supervision and the analysts' topic corrections as labelled examples
    (an added topic: present; a removed one: absent)."""
    from trends.corrections import load_effective

    con = open_reader(db_path)
    try:
        texts = [text for _, text in sample_texts(con, limit)]
        in_force = load_effective(con, "memory.reader")
        ids = sorted(aid for aid, cs in in_force.items() if any(kind == "topic" for kind, _ in cs))
        bodies = dict(con.execute(
            "SELECT article_id, title || chr(10) || chr(10) || body FROM articles WHERE article_id IN (SELECT unnest(?::BIGINT[]))",
            [ids]).fetchall())
    finally:
        con.close()
    examples = [(bodies[aid], key, c.action == "add") for aid in ids if aid in bodies
                for (kind, key), c in in_force[aid].items() if kind == "topic"]
    return texts, examples


def retag_database(
    db_path: str | Path,
    taxonomy: str | Path | None = None,
    progress: bool = True,
    processes: int | None = None,
    batch_size: int = BATCH_SIZE,
    themes: bool = True,
    profile: TaggingProfile | str | Path | None = None,
    retrain: bool = False,
    bundled: bool = False,
) -> dict:
    """Retag every article of ``db_path`` with the chosen profile (`choose_profile`), optionally retrained
    on the archive and its corrections first; the profile is stored as the archive's. Returns counts.
    Raises StoreError / ValueError with one-line reasons."""
    from trends.lake import is_address

    if is_address(db_path):
        from trends.store import StoreError

        raise StoreError(f"{db_path} is a shared store (DuckLake): retag a local archive (whole-archive rewrites "
                         "are not offered on the shared store yet)")
    db_path = Path(db_path)
    status = open_status(db_path)
    if status.state != "ok":
        from trends.store import StoreError

        raise StoreError(status.message)
    started = time.perf_counter()
    chosen = choose_profile(db_path, taxonomy, profile, bundled)
    retrained = {}
    if retrain:
        from trends.tagging.training import retrain as retrain_profile

        texts, examples = training_data(db_path)
        say = (lambda m: print(f"retrain: {m}", file=sys.stderr)) if progress else None
        chosen = retrain_profile(chosen, texts, examples, name=chosen.name, progress=say,
                                 facts={"retrained_on": str(db_path), "texts": len(texts), "corrections": len(examples)})
        retrained = {"texts": len(texts), "corrections": len(examples)}
    tags_written = 0

    def copy(w):
        derived.attach_source(w)
        derived.copy_base(w)

    with open_writer(db_path, rewrite=True, copy=copy) as w, TaggingPool(processes, profile=chosen) as pool:
        con = w.con
        total = storage.count_articles(con)
        run_id = storage.start_run(con, "retag", f"profile {chosen.name} {chosen.version}" + (" (retrained)" if retrain else ""))
        tagged_at = dt.datetime.now().replace(microsecond=0)
        in_force = load_effective(con, "work")  # the analysts' corrections win over every recomputed tag
        with _bar(progress, total, "retag") as bar:
            for rows in storage.iter_texts(con, batch_size):
                tag_lists = pool.extract_many([text for _, text, _ in rows])
                out = []
                for (article_id, _, published), tags in zip(rows, tag_lists):
                    computed = storage.tag_rows(article_id, published, tags)
                    out.extend(apply_article(article_id, published, computed, in_force.get(article_id, {})))
                storage.replace_entity_tags(con, [r[0] for r in rows], out, tagged_at)
                tags_written += len(out)
                bar.update(len(rows))
        facts = {}
        if themes:
            from trends.tagging.themes import fit_themes

            with _bar(progress, total, "themes") as bar:
                facts = fit_themes(con, progress=bar)
        con.execute("BEGIN TRANSACTION")
        derived.rebuild(con, "work")  # roll-ups and search rows follow the new tags
        if themes:
            from trends.store import set_setting

            set_setting(con, storage.THEMES_ASSIGNED, facts.get("fitted_at", ""))
        stored = archive_profile.store(con, chosen)  # every later ingest tags with it
        seconds = time.perf_counter() - started
        storage.finish_run(con, run_id, total, seconds)
        con.execute("COMMIT")
    return {"articles": total, "tags": tags_written, "themes": facts.get("themes", 0),
            "theme_tags": facts.get("assigned", 0), "seconds": round(seconds, 2), "profile": stored,
            "corrected_articles": len(in_force), **({"retrained": retrained} if retrain else {})}


def cmd_retag(args) -> int:
    result = retag_database(args.db, taxonomy=args.taxonomy, progress=not args.quiet,
                            profile=getattr(args, "profile", None), retrain=getattr(args, "retrain", False),
                            bundled=getattr(args, "bundled", False))
    print(
        f"retagged {result['articles']} articles: {result['tags']} tags, "
        f"{result['themes']} themes ({result['theme_tags']} theme tags) in {result['seconds']:.1f} s; "
        f"{result['corrected_articles']} articles keep their analysts' corrections; "
        f"tagging profile {archive_profile.line(result['profile'])}"
        + (f"; retrained on {result['retrained']['texts']} texts and {result['retrained']['corrections']} corrections"
           if "retrained" in result else "")
    )
    return 0
