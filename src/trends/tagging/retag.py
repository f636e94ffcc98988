"""`trends retag`: recompute every article's tags (and refit the themes) without re-ingesting.

Every tag changes, so it is a rewrite (``trends.store.open_writer(rewrite=True)``): the live rows are
copied into one new base segment, retagged there batch by batch in a process pool, the themes refitted
and every derived table rebuilt (`trends.derived.rebuild`); the new base replaces the old segments only
when all of it is done, so the dashboard keeps serving the old tags until then.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from trends import derived
from trends.store import open_status, open_writer
from trends.tagging import storage
from trends.tagging.parallel import TaggingPool
from trends.tagging.topics import load_taxonomy

BATCH_SIZE = 2_000


def _bar(enabled: bool, total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="art", disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def retag_database(
    db_path: str | Path,
    taxonomy: str | Path | None = None,
    progress: bool = True,
    processes: int | None = None,
    batch_size: int = BATCH_SIZE,
    themes: bool = True,
) -> dict:
    """Retag every article of ``db_path``; returns counts. Raises StoreError / ValueError with one-line reasons."""
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
    load_taxonomy(taxonomy)  # fail fast on a bad taxonomy file, before taking the writer lock
    started = time.perf_counter()
    tags_written = 0

    def copy(w):
        derived.attach_source(w)
        derived.copy_base(w)

    with open_writer(db_path, rewrite=True, copy=copy) as w, TaggingPool(processes, taxonomy) as pool:
        con = w.con
        total = storage.count_articles(con)
        run_id = storage.start_run(con, "retag", str(taxonomy or "bundled taxonomy"))
        tagged_at = dt.datetime.now().replace(microsecond=0)
        with _bar(progress, total, "retag") as bar:
            for rows in storage.iter_texts(con, batch_size):
                tag_lists = pool.extract_many([text for _, text, _ in rows])
                out = []
                for (article_id, _, published), tags in zip(rows, tag_lists):
                    out.extend(storage.tag_rows(article_id, published, tags))
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
        seconds = time.perf_counter() - started
        storage.finish_run(con, run_id, total, seconds)
        con.execute("COMMIT")
    return {"articles": total, "tags": tags_written, "themes": facts.get("themes", 0),
            "theme_tags": facts.get("assigned", 0), "seconds": round(seconds, 2)}


def cmd_retag(args) -> int:
    result = retag_database(args.db, taxonomy=args.taxonomy, progress=not args.quiet)
    print(
        f"retagged {result['articles']} articles: {result['tags']} tags, "
        f"{result['themes']} themes ({result['theme_tags']} theme tags) in {result['seconds']:.1f} s"
    )
    return 0
