"""Notes on a record (how its text was decoded) reach the stored article and its reader; segments
written before the ``notes`` column existed stay readable beside newer ones."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fixtures_archive import make_pages
from fixtures_ingest import seed_page
from trends import queries as q
from trends.ingest import ingest_paths
from trends.store import SEGMENT_DIR, read_manifest

RUSSIAN_BODY = [
    "Министры иностранных дел встретились в Москве, чтобы обсудить газовый транзит через Украину.",
    "Переговоры продолжатся в марте; официальные лица говорят о прогрессе, но не о соглашении.",
    "Эксперты считают, что цены на энергию останутся высокими всю зиму, а бюджет страдает.",
]


def _ids_by_title(db: Path) -> dict[str, int]:

    from trends.store import open_reader

    con = open_reader(db)
    try:
        return dict(con.execute("SELECT headline, article_id FROM articles").fetchall())
    finally:
        con.close()


def test_guessed_encoding_is_a_note_on_the_stored_article(tmp_path):
    page = tmp_path / "legacy.txt"
    page.write_bytes(seed_page(title="RAND: Газовый транзит", body=RUSSIAN_BODY).encode("cp1251"))
    plain = make_pages(tmp_path / "plain", 1)
    db = tmp_path / "archive"
    summary = ingest_paths(db, [str(page), str(plain)], tag=False, progress=False, echo_rejects=False, processes=1)
    assert summary.new == 2, summary

    ids = _ids_by_title(db)
    legacy = q.article(db, ids["Газовый транзит"])
    assert legacy is not None and "Министры" in legacy["body_text"]  # decoded right, not mojibake
    assert len(legacy["meta"]["notes"]) == 1
    assert "1251" in legacy["meta"]["notes"][0]  # the note names the encoding that was guessed
    other = next(i for h, i in ids.items() if h != "Газовый транзит")
    assert q.article(db, other)["meta"]["notes"] == []


def test_a_segment_older_than_the_notes_column_reads_beside_a_newer_one(tmp_path):
    db = tmp_path / "archive"
    ingest_paths(db, [str(make_pages(tmp_path / "a", 3))], tag=False, progress=False, echo_rejects=False, processes=1)
    (old_segment,) = read_manifest(db).segments
    con = duckdb.connect(str(db / SEGMENT_DIR / old_segment))  # as a segment written by format-1 code was
    indexes = con.execute("SELECT index_name, sql FROM duckdb_indexes() WHERE table_name = 'articles'").fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    con.execute("ALTER TABLE articles DROP COLUMN notes")
    for _, sql in indexes:
        con.execute(sql)
    con.close()

    page = tmp_path / "b" / "legacy.txt"
    page.parent.mkdir()
    page.write_bytes(seed_page(title="RAND: Газовый транзит", body=RUSSIAN_BODY).encode("cp1251"))
    ingest_paths(db, [str(page)], tag=False, progress=False, echo_rejects=False, processes=1)
    assert len(read_manifest(db).segments) == 2

    ids = _ids_by_title(db)
    assert len(ids) == 4
    notes = {h: q.article(db, i)["meta"]["notes"] for h, i in ids.items()}
    assert sum(1 for n in notes.values() if n) == 1 and notes["Газовый транзит"]


def test_the_article_view_shows_the_note(tmp_path, monkeypatch):
    from test_app import run_page, texts

    page = tmp_path / "legacy.txt"
    page.write_bytes(seed_page(title="RAND: Газовый транзит", body=RUSSIAN_BODY).encode("cp1251"))
    db = tmp_path / "archive"
    ingest_paths(db, [str(page)], tag=False, progress=False, echo_rejects=False, processes=1)
    (aid,) = _ids_by_title(db).values()
    at = run_page(monkeypatch, db, "articles", {"v": "1", "article": str(aid)})
    shown = texts(at)
    assert "Газовый транзит" in shown
    assert "Note:" in shown and "1251" in shown
