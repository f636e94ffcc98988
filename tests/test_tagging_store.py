"""Retag and themes on a real DuckDB file, the eval command, and the process pool."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from trends import store
from trends.cli import main
from trends.tagging import extract, extract_many, retag_database
from trends.tagging.evaluate import score_sets
from trends.tagging.themes import fit_themes

NOW = dt.datetime(2024, 5, 1, 12, 0)


def insert_article(con, article_id: int, title: str, body: str, published: dt.date) -> None:
    con.execute(
        "INSERT INTO articles (article_id, identity, title, headline, body, word_count, content_hash, published, "
        "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [article_id, f"test:{article_id}", title, title, body, len(body.split()), f"h{article_id}", published, NOW, NOW],
    )


@pytest.fixture
def small_db(db_path):
    with store.writer(db_path, settings={"about_threshold": 0.6}) as con:
        insert_article(con, 1, "Putin and Xi meet in Moscow", "Russia and China deepened their partnership.", dt.date(2023, 3, 21))
        insert_article(con, 2, "Turkey weighs rate cut", "Ankara's central bank met on Thursday.", dt.date(2023, 4, 2))
        insert_article(con, 3, "Roast turkey recipes", "Brine the turkey overnight.", dt.date(2023, 11, 20))
        # a stale tag that retag must replace
        con.execute(
            "INSERT INTO tags (article_id, kind, key, label, mentions, score, method, spans, published) "
            "VALUES (3, 'country', 'TUR', 'Turkey', 1, 1.0, 'alias', [[0, 6]], DATE '2023-11-20')"
        )
    return db_path


def read_tags(db_path):
    con = store.open_reader(db_path)
    try:
        return con.execute(
            "SELECT article_id, kind, key, mentions, method, spans, published FROM tags ORDER BY article_id, kind, key"
        ).fetchall()
    finally:
        con.close()


def test_retag_recomputes_every_article_and_copies_published(small_db):
    result = retag_database(small_db, progress=False, processes=1)
    assert result["articles"] == 3
    rows = read_tags(small_db)
    countries = {(aid, key) for aid, kind, key, *_ in rows if kind == "country"}
    assert countries == {(1, "RUS"), (1, "CHN"), (2, "TUR")}  # the stale tag of the recipe is gone
    people = {(aid, key) for aid, kind, key, *_ in rows if kind == "person"}
    assert people == {(1, "vladimir-putin"), (1, "xi-jinping")}
    for aid, kind, key, mentions, method, spans, published in rows:
        assert published == {1: dt.date(2023, 3, 21), 2: dt.date(2023, 4, 2), 3: dt.date(2023, 11, 20)}[aid]
    moscow_row = next(r for r in rows if r[0] == 1 and r[2] == "RUS")
    text = "Putin and Xi meet in Moscow\n\nRussia and China deepened their partnership."
    assert [text[s:e] for s, e in moscow_row[5]] == ["Putin", "Moscow", "Russia"]  # "Putin" implies Russia
    con = store.open_reader(small_db)
    try:
        assert con.execute("SELECT count(*) FROM articles WHERE tagged_at IS NULL").fetchone()[0] == 0
        assert con.execute("SELECT command, status FROM ingest_runs").fetchall() == [("retag", "ok")]
        assert con.execute("SELECT count(*) FROM tags_by_key").fetchone()[0] > 0  # derived rows follow the new tags
    finally:
        con.close()


def test_retag_cli_with_a_user_taxonomy(small_db, tmp_path, capsys):
    taxonomy = tmp_path / "mine.yaml"
    taxonomy.write_text(
        "topics:\n  - key: cooking\n    label: Cooking\n    description: Food.\n    include: [recipe*, brine, roast]\n"
        "    exclude: []\n    threshold: 2\n",
        encoding="utf-8",
    )
    assert main(["retag", "--db", str(small_db), "--taxonomy", str(taxonomy), "--quiet"]) == 0
    assert "retagged 3 articles" in capsys.readouterr().out
    topics = {(aid, key) for aid, kind, key, *_ in read_tags(small_db) if kind == "topic"}
    assert topics == {(3, "cooking")}


def test_retag_bad_input_is_one_line(small_db, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [1, 2]\n", encoding="utf-8")
    assert main(["retag", "--db", str(small_db), "--taxonomy", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("trends retag:") and "\n" not in err
    assert main(["retag", "--db", str(tmp_path / "none.duckdb"), "--quiet"]) == 2
    assert "no archive" in capsys.readouterr().err


OIL = "Oil prices rose as crude output fell and barrels of oil piled up at the refinery; OPEC crude quotas"
FOOTBALL = "The football club won the league match; the striker scored a goal and the goalkeeper saved a penalty"
CHIPS = "Semiconductor chips factories expand; chip makers build foundries for processors and wafers"


def test_themes_group_a_small_corpus_by_its_vocabulary(db_path):
    with store.writer(db_path, settings={"about_threshold": 0.6}) as con:
        for i in range(30):
            base = (OIL, FOOTBALL, CHIPS)[i % 3]
            insert_article(con, 100 + i, f"Report {i}", f"{base}. Item {i}.", dt.date(2024, 1, 1 + i % 28))
        facts = fit_themes(con, n_themes=3)
    assert facts["themes"] == 3 and facts["sample"] == 30
    con = store.open_reader(db_path)
    try:
        themes = con.execute("SELECT key, label, top_terms, articles FROM themes").fetchall()
        assigned = dict(con.execute(
            "SELECT article_id, key FROM tags WHERE kind = 'theme' AND method = 'nmf'"
        ).fetchall())
        meta = json.loads(con.execute("SELECT value FROM meta WHERE key = 'theme_model'").fetchone()[0])
    finally:
        con.close()
    assert len(themes) == 3 and meta["themes"] == 3
    assert len(assigned) == 30  # every article is dominated by one theme
    for group, word in ((0, "oil"), (1, "football"), (2, "chip")):  # theme terms are light lemmas (chips -> chip)
        keys = {assigned[100 + i] for i in range(30) if i % 3 == group}
        assert len(keys) == 1  # each vocabulary forms exactly one theme ...
        key = keys.pop()
        theme = next(t for t in themes if t[0] == key)
        assert word in theme[2] and theme[3] == 10  # ... labelled by its own words, with its 10 articles


def test_eval_countries_prints_micro_and_macro(tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"title": "FRANCE CUTS RATES", "body": "Paris acted on Monday.", "countries_iso3": ["FRA"]},
        {"title": "JAPAN TRADE SURPLUS", "body": "Tokyo exports rose.", "countries_iso3": ["JPN", "USA"]},
        {"title": "Markets", "body": "Shares in London rose.", "countries_iso3": []},
    ]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["eval", "countries", "--gold", str(gold), "--text-fields", "title,body", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # by hand: tp FRA, JPN; fn USA; fp GBR -> micro P = R = F1 = 2/3
    assert (result["tp"], result["fp"], result["fn"]) == (2, 1, 1)
    assert result["micro"]["f1"] == pytest.approx(2 / 3)
    # macro over FRA (1), JPN (1), USA (0), GBR (0)
    assert result["macro"]["f1"] == pytest.approx(0.5)
    assert {(c["gold"], c["predicted"]) for c in result["confusions"]} == {("USA", "-"), ("-", "GBR")}
    assert main(["eval", "countries", "--gold", str(gold), "--text-fields", "title,body"]) == 0
    report = capsys.readouterr().out
    assert "micro" in report and "macro" in report and "confusions" in report


def test_eval_missing_file_is_one_line(tmp_path, capsys):
    assert main(["eval", "countries", "--gold", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("trends eval:") and "\n" not in err


def test_score_sets_confusions_pair_misses_with_wrong_predictions():
    result = score_sets([frozenset({"SUN"}), frozenset({"SUN", "USA"})], [frozenset({"RUS"}), frozenset({"RUS", "USA"})])
    assert result["confusions"] == [{"gold": "SUN", "predicted": "RUS", "count": 2}]
    assert result["micro"]["precision"] == pytest.approx(1 / 3)


@pytest.mark.slow
def test_extract_many_in_two_processes_matches_extract():
    texts = [f"Item {i}\n\nTalks in Beijing and Moscow; Washington watched. Case {i}." for i in range(450)]
    texts[7] = "Sport\n\nMichael Jordan won."
    assert extract_many(texts, processes=2) == [extract(t) for t in texts]


_FIT_SCRIPT = """
import hashlib
from trends.demo.generator import Generator
from trends.tagging.themes import assign, fit
texts = [a.title + "\\n\\n" + a.body for a, _ in zip(Generator(3000, 11), range(3000))]
model = fit(texts)
print(hashlib.sha256(model.components.tobytes()).hexdigest(), repr(assign(model, texts)[:400]))
"""


def test_theme_fit_is_the_same_whatever_the_blas_thread_count():
    """A process whose BLAS has 1 thread (a Dask driver: distributed sets OPENBLAS_NUM_THREADS=1) fits
    the same model, to the bit, as one whose BLAS has 2 (the cluster-vs-local-pool theme difference)."""
    import os
    import subprocess
    import sys

    outputs = []
    for threads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        done = subprocess.run([sys.executable, "-c", _FIT_SCRIPT], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
