"""Whole-archive commands: `trends rebuild`, `trends compact`, `trends upgrade`, `trends themes fit`.

Each is a rewrite (`trends.store.open_writer(rewrite=True)`): one new base segment is built beside the
published ones and replaces them only when it is complete, so a crash or a full disk leaves the archive
as it was and the dashboard keeps reading it throughout.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

from trends import derived
from trends.lake import is_address
from trends.store import (
    StoreError, _quote, archive_bytes, first_line, open_status, open_writer, read_manifest, set_setting, storage_error,
)

LEGACY_TABLES = {
    "articles": None, "view_snapshots": None, "tags": None, "rejects": None, "ingest_runs": None, "themes": None,
    "related": "article_id, position, title, title_key",
}


def _require_archive(path: Path) -> None:
    if is_address(path):
        raise StoreError(f"{path} is a shared store (DuckLake): rebuild, upgrade and themes fit run on a local archive; "
                         "its housekeeping is `trends compact --db ADDRESS`")
    status = open_status(path)
    if status.state != "ok":
        raise StoreError(status.message)


def cmd_rebuild(args: argparse.Namespace) -> int:
    _require_archive(args.db)
    started = time.perf_counter()
    before = len(read_manifest(args.db).segments)
    derived.rebuild_archive(args.db)
    print(f"trends rebuild: {before} segment(s) -> 1, every derived table recomputed in "
          f"{time.perf_counter() - started:.1f}s ({archive_bytes(args.db) / 2**20:,.1f} MB) -> {args.db}")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    if is_address(args.db):
        from trends.lake import housekeeping, parse_address

        started = time.perf_counter()
        facts = housekeeping.compact(args.db)
        b, a = facts["before"], facts["after"]
        print(f"trends compact: roll-up rows {b['rollup_rows']:,} -> {a['rollup_rows']:,}, article files "
              f"{b['article_files']:,} -> {a['article_files']:,} in {time.perf_counter() - started:.1f}s -> {parse_address(args.db)}")
        return 0
    _require_archive(args.db)
    started = time.perf_counter()
    before, size = len(read_manifest(args.db).segments), archive_bytes(args.db)
    derived.compact(args.db)
    print(f"trends compact: {before} segment(s) -> 1, {size / 2**20:,.1f} MB -> {archive_bytes(args.db) / 2**20:,.1f} MB "
          f"in {time.perf_counter() - started:.1f}s -> {args.db}")
    return 0


def upgrade(old: Path, new: Path, themes: bool = True) -> dict:
    """Import a single-file database (schema v3) into a new archive and rebuild its derived data."""
    old, new = Path(old), Path(new)
    if not old.is_file():
        raise StoreError(f"{old} is not a single-file database (nothing to upgrade)")
    if open_status(new).state != "missing" or (new.exists() and any(new.iterdir())):
        raise StoreError(f"{new} already exists; choose a new folder for the archive")
    try:
        probe = duckdb.connect(str(old), read_only=True)
        version = probe.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        probe.close()
    except duckdb.Error as exc:
        raise StoreError(f"cannot read {old} as a database: {first_line(exc)}") from exc
    if not version or int(version[0]) != 3:
        raise StoreError(f"{old} has schema version {version[0] if version else 'none'}; only version 3 can be upgraded")
    from trends.tagging.model import ABOUT_THRESHOLD

    def copy(w):
        con = w.con
        con.execute(f"ATTACH {_quote(old)} AS legacy (READ_ONLY)")
        for table, cols in LEGACY_TABLES.items():
            cols = cols or "*"
            con.execute(f"INSERT INTO work.{table} BY NAME SELECT {cols} FROM legacy.main.{table}")
        con.execute("INSERT INTO work.meta SELECT key, value FROM legacy.main.meta WHERE key = 'theme_model'")
        con.execute("DETACH legacy")

    started = time.perf_counter()
    facts = {}
    with open_writer(new, rewrite=True, copy=copy, settings={"about_threshold": ABOUT_THRESHOLD}) as w:
        if themes:
            from trends.tagging import fit_themes
            from trends.tagging.storage import THEMES_ASSIGNED

            facts = fit_themes(w.con)
        w.con.execute("BEGIN TRANSACTION")
        derived.rebuild(w.con, "work")
        if themes:
            set_setting(w.con, THEMES_ASSIGNED, facts.get("fitted_at", ""))
        w.con.execute("COMMIT")
        articles = w.con.execute("SELECT count(*) FROM work.articles").fetchone()[0]
    return {"articles": int(articles), "seconds": round(time.perf_counter() - started, 1), "themes": facts.get("themes", 0)}


def cmd_upgrade(args: argparse.Namespace) -> int:
    result = upgrade(args.old, args.new, themes=not args.no_themes)
    print(f"trends upgrade: {result['articles']:,} articles from {args.old} into the archive {args.new} "
          f"in {result['seconds']:.1f}s ({result['themes']} themes fitted)")
    return 0


def cmd_themes(args: argparse.Namespace) -> int:
    from trends.ingest import refit_themes

    _require_archive(args.db)
    facts = refit_themes(args.db)
    print(f"trends themes fit: {facts.get('themes', 0)} themes on a sample of {facts.get('sample', 0):,} articles -> {args.db}")
    return 0


COMMANDS = {"rebuild": cmd_rebuild, "compact": cmd_compact, "upgrade": cmd_upgrade, "themes": cmd_themes}
