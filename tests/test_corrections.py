"""Analyst corrections on a real archive (real CLI, real tagger, real DuckDB segments), the tagging profile
stored per archive, and the article view's correction form (real Streamlit, AppTest)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from trends.cli import main
from trends.corrections import Correction, apply_article, effective, parse_jsonl
from trends.corrections.write import save
from trends.store import open_reader, stable_id

MAP = 'title=title,published=date,body=body,url=url,source="Test"'
ARTICLES = [
    ("Germany signs LNG deal as Europe races to replace Russian gas", "2024-03-01",
     "Berlin agreed a long-term liquefied natural gas contract with Qatar to cut its dependence on Russian pipeline "
     "gas. Energy prices, oil markets and the electricity grid dominate the debate about energy security in Germany."),
    ("Russian missiles strike Kyiv as the war in Ukraine enters its third year", "2024-03-02",
     "Russia launched missiles and drones at Kyiv overnight. Ukrainian forces say the front line near Avdiivka is "
     "under heavy attack as the invasion continues."),
    ("Taiwan votes for a new president under pressure from Beijing", "2024-03-03",
     "Voters in Taiwan went to the polls in a presidential election. China called the ruling party separatist and "
     "staged military drills near the island."),
    ("Iran expands uranium enrichment, IAEA says", "2024-03-04",
     "Tehran is enriching uranium to 60 percent at Fordow, the International Atomic Energy Agency reported. Talks "
     "on the nuclear deal have stalled."),
    ("Drought and wheat prices threaten food security in East Africa", "2024-03-05",
     "Kenya, Ethiopia and Somalia face a fifth failed rainy season. Wheat and maize prices have doubled and aid "
     "agencies warn of hunger."),
]
LATE = ("Ministers debate recipes for a fairer pastry tax", "2024-03-06",
        "Bakers and chefs argued about croissant and baguette recipes at the pastry guild in Lyon, France.")


def url(i: int) -> str:
    return f"https://example.org/c/{i}"


def identity(i: int) -> str:
    return f"url:example.org/c/{i}"  # the identity rule: the URL without its scheme names the article


def aid(i: int) -> int:
    return stable_id(identity(i))


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps({"url": url(i), "title": t, "date": d, "body": b}) + "\n" for i, (t, d, b) in rows),
                    encoding="utf-8")
    return path


def ingest(db: Path, file: Path) -> None:
    assert main(["ingest", str(file), "--db", str(db), "--quiet", "--map", MAP]) == 0


def query(db: Path, sql: str, params: list) -> list[tuple]:
    con = open_reader(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def about(db: Path, kind: str) -> set[tuple[int, str]]:
    return set(query(db, "SELECT article_id, key FROM about_tags WHERE kind = ?", [kind]))


def tag_of(db: Path, article_id: int, kind: str, key: str):
    found = query(db, "SELECT score, method FROM tags WHERE article_id = ? AND kind = ? AND key = ?", [article_id, kind, key])
    return found[0] if found else None


def rollup_counts(db: Path, kind: str) -> dict[str, int]:
    """Articles per key from the roll-up the charts read."""
    return dict(query(db, "SELECT key, sum(articles)::INT FROM rollup_tags WHERE kind = ? GROUP BY key "
                          "HAVING sum(articles) <> 0", [kind]))


def counted_from_tags(db: Path, kind: str) -> dict[str, int]:
    """The same counted another way: distinct articles per key straight from the about tags."""
    return dict(query(db, "SELECT key, count(DISTINCT article_id)::INT FROM about_tags WHERE kind = ? GROUP BY key", [kind]))


@pytest.fixture
def archive(tmp_path) -> Path:
    db = tmp_path / "archive"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", enumerate(ARTICLES)))
    return db


# ------------------------------------------------------------------------------------------ pure parts


def test_effective_keeps_the_newest_per_tag_and_drops_undone():
    t0 = dt.datetime(2024, 1, 1)
    cs = [Correction(1, "topic", "energy", "remove", corrected_at=t0),
          Correction(1, "topic", "energy", "add", corrected_at=t0 + dt.timedelta(hours=1)),
          Correction(1, "country", "ISL", "add", corrected_at=t0),
          Correction(1, "country", "ISL", "clear", corrected_at=t0 + dt.timedelta(hours=2)),
          Correction(2, "topic", "iran", "remove", corrected_at=t0)]
    got = effective(cs)
    assert {a: {k: c.action for k, c in v.items()} for a, v in got.items()} == {
        1: {("topic", "energy"): "add"}, 2: {("topic", "iran"): "remove"}}


def test_apply_article_removes_adds_and_promotes():
    d = dt.date(2024, 3, 1)
    rows = [(7, "topic", "energy", "Energy", 3, 0.95, "classifier", [[0, 6]], d),
            (7, "country", "DEU", "Germany", 2, 0.4, "gazetteer", [[10, 17]], d),
            (7, "theme", "t1", "gas", 0, 0.7, "nmf", [], d)]
    corr = {("topic", "energy"): Correction(7, "topic", "energy", "remove"),
            ("country", "DEU"): Correction(7, "country", "DEU", "add", label="Germany"),
            ("topic", "elections"): Correction(7, "topic", "elections", "add", label="Elections")}
    assert apply_article(7, d, rows, corr) == [
        (7, "country", "DEU", "Germany", 2, 1.0, "analyst", [[10, 17]], d),  # mentions kept, now about
        (7, "theme", "t1", "gas", 0, 0.7, "nmf", [], d),
        (7, "topic", "elections", "Elections", 0, 1.0, "analyst", [], d),
    ]


@pytest.mark.parametrize("line, message", [
    ('{"article_id": 1, "kind": "topic", "key": "x"}', "action must be one of"),
    ('{"article_id": "abc", "kind": "topic", "key": "x", "action": "add"}', "not a whole number"),
    ('{"article_id": 1, "kind": "theme", "key": "x", "action": "add"}', "kind must be one of"),
    ('{"article_id": 1, "kind": "topic", "key": "x", "action": "add", "colour": 1}', "unknown field(s) colour"),
    ('{"article_id": 1, "kind": "topic", "key": "x", "action": "add", "identity": "url:https://a"}', "is not the id of identity"),
    ("[1, 2]", "not a JSON object"),
    ("{oops", "not valid JSON"),
])
def test_bad_correction_lines_get_one_line_naming_them(line, message):
    with pytest.raises(ValueError) as err:
        parse_jsonl('\n{"article_id": 1, "kind": "topic", "key": "x", "action": "add"}\n' + line, "c.jsonl")
    assert str(err.value).startswith("c.jsonl line 3: ") and message in str(err.value)


# ------------------------------------------------------------------------------------------ real archive


def test_a_correction_is_counted_at_once_and_survives_retag_and_reingest(archive, tmp_path, capsys):
    assert (aid(0), "energy") in about(archive, "topic")  # precondition: the tagger's own call
    before = rollup_counts(archive, "topic")
    result = save(archive, [Correction(aid(0), "topic", "energy", "remove", analyst="ana"),
                            Correction(aid(0), "topic", "Elections and domestic politics", "add"),  # by its label
                            Correction(aid(0), "country", "Iceland", "add")])  # by its name
    assert result == {"stored": 3, "older": 0, "articles": 1, "absent": 0}

    def check(db):
        assert (aid(0), "energy") not in about(db, "topic") and tag_of(db, aid(0), "topic", "energy") is None
        assert tag_of(db, aid(0), "topic", "elections") == (1.0, "analyst")
        assert tag_of(db, aid(0), "country", "ISL") == (1.0, "analyst")
        assert rollup_counts(db, "topic") == counted_from_tags(db, "topic")  # the charts' roll-up agrees
        assert rollup_counts(db, "country") == counted_from_tags(db, "country")

    check(archive)
    after = rollup_counts(archive, "topic")
    assert after.get("energy", 0) == before["energy"] - 1
    assert after["elections"] == before.get("elections", 0) + 1
    assert main(["retag", "--db", str(archive), "--quiet"]) == 0
    check(archive)
    ingest(archive, write_jsonl(tmp_path / "same.jsonl", enumerate(ARTICLES)))  # the same articles again
    check(archive)
    changed = [(0, (ARTICLES[0][0], ARTICLES[0][1], ARTICLES[0][2] + " Qatar's emir welcomed the deal."))]
    ingest(archive, write_jsonl(tmp_path / "changed.jsonl", changed))  # same URL, new text: retagged by ingest
    con = open_reader(archive)
    assert "emir" in con.execute("SELECT body FROM articles WHERE article_id = ?", [aid(0)]).fetchone()[0]
    con.close()
    check(archive)
    assert main(["rebuild", "--db", str(archive)]) == 0  # the incremental deltas equal a full rebuild
    check(archive)


def test_a_correction_holds_when_the_article_is_retagged_on_a_dask_cluster(archive, tmp_path):
    """Issue 14: the corrections travel with a `--cluster` job (workers tag, the driver applies the
    analysts' corrections to their tags before storing, as a local run does); a real 2-worker LocalCluster."""
    pytest.importorskip("distributed")
    save(archive, [Correction(aid(0), "topic", "energy", "remove"), Correction(aid(0), "country", "Iceland", "add")])
    changed = [(0, (ARTICLES[0][0], ARTICLES[0][1], ARTICLES[0][2] + " Qatar's emir welcomed the deal.")),
               (1, (ARTICLES[1][0], ARTICLES[1][1], ARTICLES[1][2] + " Kyiv's mayor spoke."))]
    assert main(["ingest", str(write_jsonl(tmp_path / "changed.jsonl", changed)), "--db", str(archive), "--quiet",
                 "--map", MAP, "--cluster", "local:2"]) == 0
    con = open_reader(archive)
    assert "emir" in con.execute("SELECT body FROM articles WHERE article_id = ?", [aid(0)]).fetchone()[0]
    con.close()
    assert (aid(0), "energy") not in about(archive, "topic") and tag_of(archive, aid(0), "topic", "energy") is None
    assert tag_of(archive, aid(0), "country", "ISL") == (1.0, "analyst")
    assert (aid(1), "war-in-ukraine") in about(archive, "topic")  # the uncorrected article keeps the tagger's call
    assert rollup_counts(archive, "topic") == counted_from_tags(archive, "topic")


def test_undo_restores_the_tagger_s_tag(archive):
    save(archive, [Correction(aid(1), "topic", "war-in-ukraine", "remove")])
    assert tag_of(archive, aid(1), "topic", "war-in-ukraine") is None
    save(archive, [Correction(aid(1), "topic", "war-in-ukraine", "clear")])
    score, method = tag_of(archive, aid(1), "topic", "war-in-ukraine")
    assert method == "classifier" and score >= 0.6
    assert rollup_counts(archive, "topic") == counted_from_tags(archive, "topic")


def test_export_import_round_trip_and_corrections_waiting_for_their_article(archive, tmp_path, capsys):
    save(archive, [Correction(aid(2), "topic", "taiwan", "remove", note="about the vote"),
                   Correction(aid(5), "topic", "trade", "add")])  # article 5 is not in the archive yet
    out = tmp_path / "corrections.jsonl"
    assert main(["corrections", "export", str(out), "--db", str(archive)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {(x["article_id"], x["key"], x["action"]) for x in lines} == {(aid(2), "taiwan", "remove"), (aid(5), "trade", "add")}
    exported = next(x for x in lines if x["article_id"] == aid(2))
    assert exported["identity"] == identity(2) and exported["title"] == ARTICLES[2][0] and exported["note"] == "about the vote"

    other = tmp_path / "other"  # a second archive of the same articles: same identities, same ids
    ingest(other, write_jsonl(tmp_path / "b.jsonl", enumerate(ARTICLES)))
    capsys.readouterr()
    assert main(["corrections", "import", str(out), "--db", str(other)]) == 0
    assert "imported 2 corrections" in capsys.readouterr().out
    assert (aid(2), "taiwan") not in about(other, "topic")
    ingest(other, write_jsonl(tmp_path / "late.jsonl", [(5, LATE)]))  # the waiting correction applies on arrival
    assert tag_of(other, aid(5), "topic", "trade") == (1.0, "analyst")
    # importing the same file again: nothing newer, nothing changes
    assert main(["corrections", "import", str(out), "--db", str(other)]) == 0
    assert rollup_counts(other, "topic") == counted_from_tags(other, "topic")


def test_import_rejects_a_bad_file_with_one_line_and_writes_nothing(archive, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article_id": 1, "kind": "topic", "key": "no-such-topic", "action": "add"}\n', encoding="utf-8")
    con = open_reader(archive)
    runs = con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0]
    con.close()
    assert main(["corrections", "import", str(bad), "--db", str(archive)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown topic 'no-such-topic'" in err[0]
    con = open_reader(archive)
    assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == runs
    assert con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0
    con.close()


# ------------------------------------------------------------------------------------------ profile per archive

MINE = """topics:
  - key: pastry
    label: Pastry and baking
    description: Bakers, chefs and their recipes.
    include: [pastry, croissant, baguette, bakers]
    exclude: []
    threshold: 2
"""


def profile_facts(db: Path) -> dict:
    con = open_reader(db)
    try:
        return json.loads(con.execute("SELECT value FROM meta WHERE key = 'tagging_profile'").fetchone()[0])
    finally:
        con.close()


def test_a_custom_taxonomy_tags_every_later_ingest(archive, tmp_path, capsys):
    assert profile_facts(archive)["name"] == "bundled"  # the first ingest stored the profile it used
    mine = tmp_path / "mine.yaml"
    mine.write_text(MINE, encoding="utf-8")
    assert main(["retag", "--db", str(archive), "--taxonomy", str(mine), "--quiet"]) == 0
    facts = profile_facts(archive)
    assert facts["name"] == "mine" and facts["topics"] == 1
    ingest(archive, write_jsonl(tmp_path / "late.jsonl", [(5, LATE)]))
    topics = {k for a, k in about(archive, "topic")}
    assert topics == {"pastry"}  # only the custom taxonomy's topic, on old and new articles alike
    assert (aid(5), "pastry") in about(archive, "topic")
    capsys.readouterr()
    assert main(["stats", "--db", str(archive)]) == 0
    shown = capsys.readouterr().out
    assert f"tagging       mine version {facts['version']} (1 topics" in shown
    assert main(["retag", "--db", str(archive), "--bundled", "--quiet"]) == 0  # back on purpose only
    assert profile_facts(archive)["name"] == "bundled"


def test_retag_retrain_learns_from_corrections(archive, capsys):
    save(archive, [Correction(aid(4), "topic", "africa", "remove")])
    before = profile_facts(archive)["version"]
    assert main(["retag", "--db", str(archive), "--retrain", "--quiet"]) == 0
    line = capsys.readouterr().out
    assert "retrained on 5 texts and 1 corrections" in line
    facts = profile_facts(archive)
    assert facts["version"] != before and facts["name"] == "bundled"
    assert tag_of(archive, aid(4), "topic", "africa") is None  # the correction still wins after the retrain


# ------------------------------------------------------------------------------------------ the article view


def test_article_view_saves_a_correction_through_the_writer_child(archive, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from trends import cache

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    monkeypatch.setenv("TRENDS_DB", str(archive))
    cache.clear()
    at = AppTest.from_file(app, default_timeout=90)
    at.query_params.update({"article": str(aid(3))})
    at.run()
    at.switch_page("pages/articles.py").run()
    assert not at.exception, [e.value for e in at.exception]
    wrong = at.multiselect(key=f"corr_wrong_{aid(3)}")
    assert "topic\tiran" in wrong.options or any("Iran" in o for o in wrong.options)
    wrong.set_value(["topic\tiran"])
    at.multiselect(key=f"corr_topics_{aid(3)}").set_value(["sanctions"])
    at.text_input(key=f"corr_analyst_{aid(3)}").input("Ana")
    at.button(key=f"corr_save_{aid(3)}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved 2 correction(s)" in s.value for s in at.success), [s.value for s in at.success] + [i.value for i in at.info]
    assert tag_of(archive, aid(3), "topic", "iran") is None
    assert tag_of(archive, aid(3), "topic", "sanctions") == (1.0, "analyst")
    shown = "\n".join(c.value for c in at.caption).replace("\\", "")  # captions are markdown-escaped
    assert "topic Iran and its nuclear programme: marked wrong by Ana" in shown and "topic Sanctions: added by Ana" in shown
    con = open_reader(archive)
    assert con.execute("SELECT analyst FROM corrections WHERE key = 'iran'").fetchone()[0] == "Ana"
    con.close()


def test_segments_written_before_the_corrections_table_still_read(archive, tmp_path):
    import shutil

    import duckdb

    from trends.store import segment_files

    old = tmp_path / "old"  # a copy no reader in this process has attached yet
    shutil.copytree(archive, old)
    archive = old
    for seg in segment_files(archive):  # as a segment of the previous version: no corrections table
        con = duckdb.connect(str(seg))
        con.execute("DROP TABLE corrections")
        con.close()
    assert query(archive, "SELECT count(*) FROM corrections", []) == [(0,)]
    save(archive, [Correction(aid(3), "topic", "iran", "remove")])  # a new segment holds it
    assert query(archive, "SELECT key, action FROM corrections", []) == [("iran", "remove")]
    assert main(["compact", "--db", str(archive)]) == 0  # a rewrite carries it into the new base
    assert query(archive, "SELECT key, action FROM corrections", []) == [("iran", "remove")]
    assert tag_of(archive, aid(3), "topic", "iran") is None


def test_about_page_says_which_profile_tagged_the_data(archive, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from trends import cache

    save(archive, [Correction(aid(1), "topic", "defence-military", "remove")])
    version = profile_facts(archive)["version"]
    monkeypatch.setenv("TRENDS_DB", str(archive))
    cache.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/about.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(m.value for m in at.markdown).replace("\\", "")
    assert f"Tagged with the profile **bundled version {version} (30 topics, 30 topic models)" in shown
    assert "1 tags corrected by analysts" in shown
