"""Helpers for the archive tests: page folders with tags worth counting, and comparable derived state."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fixtures_ingest import seed_page as page_text

TOPICS = [
    ("Russia and Ukraine: the war grinds on", "Kyiv asks Washington for more air defence as Moscow shells Kharkiv."),
    ("China's economy slows", "Beijing cuts rates while exports to the European Union fall; Xi Jinping meets bankers."),
    ("The G7 summit in 2023", "Leaders of the G7 met in Hiroshima in 2023 to discuss sanctions on Russia and 5G security."),
    ("Energy prices and OPEC", "Oil prices rose after OPEC cut output; Saudi Arabia and Russia agreed the quotas."),
    ("India's election", "Narendra Modi campaigned across India; turnout in 2024 broke records."),
]


def make_pages(folder: Path, count: int, start: int = 0, views_bump: int = 0, rewrite: set[int] | None = None) -> Path:
    """Seed-format pages with real-looking text (the tagger finds countries, people, topics in them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        title, body = TOPICS[i % len(TOPICS)]
        extra = f" Revised analysis {i}." if rewrite and i in rewrite else ""
        text = page_text(
            title=f"RAND: {title}, part {i}", date=f"{1 + i % 28:02d}.{1 + i % 12:02d}.2023",
            views=f"{1000 + 7 * i + views_bump:,}",
            body=[body + f" Note {i}." + extra, f"Paragraph two of page {i}: Germany and France watch closely."],
            related=[f"RAND: {TOPICS[(i + 1) % len(TOPICS)][0]}, part {i + 1}"],
        )
        (folder / f"page-{i:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def derived_state(db) -> dict:
    """Every derived table as a fresh reader sees it (roll-up deltas collapsed), rows sorted."""
    from trends.store import open_reader

    con = open_reader(db)
    try:
        return reader_state(con)
    finally:
        con.close()


def reader_state(con) -> dict:
    """`derived_state` as one reader connection or cursor sees it."""
    from trends import derived

    out = {}
    for table in derived.compare_tables():
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    out["related"] = sorted(con.execute("SELECT * FROM related").fetchall(), key=repr)
    return out


def file_hashes(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.blake2b(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
