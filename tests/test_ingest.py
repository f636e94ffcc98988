"""The write path against a real DuckDB file: fields, identity, idempotency, increments, links, tags, CLI."""

from __future__ import annotations

import datetime as dt
import json
import types

import pytest

import trends.ingest as ingest
from fixtures_ingest import counts, db_state, query
from fixtures_ingest import seed_page as page_text
from trends.cli import main
from trends.ingest import ingest_paths, ingest_records, normalise_title, normalise_url
from trends.parsing import Record
from trends.store import stable_id


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_page_is_stored_field_by_field(seed_page, db_path):
    summary = ingest_paths(db_path, [seed_page], tag=False, progress=False)
    assert (summary.new, summary.updated, summary.unchanged, summary.rejected) == (1, 0, 0, 0)
    identity = "td:cfr putin xi summit strengthens anti american partnership|2023-03-26"
    (row,) = query(
        db_path,
        "SELECT article_id, identity, source, title, headline, published, authors, word_count, views, url, "
        "input, format, synthetic, body, first_seen = last_seen, run_id FROM articles",
    )
    assert row[:13] == (
        stable_id(identity), identity, "CFR", "CFR: Putin-Xi Summit Strengthens Anti-American Partnership",
        "Putin-Xi Summit Strengthens Anti-American Partnership", dt.date(2023, 3, 26), ["T.Graham"],
        # word count by hand: the six body paragraphs split on whitespace
        len(seed_page.read_text(encoding="utf-8").split("According to T.Graham")[1].split("Read also:")[0].split()),
        642, None, str(seed_page), "seed", False,
    )
    assert row[13].startswith("As part of the Chinese leader's") and row[14] is True and row[15] == summary.run_id
    assert query(db_path, "SELECT article_id, views, run_id FROM view_snapshots") == [(row[0], 642, summary.run_id)]
    assert query(db_path, "SELECT position, title, title_key, target_id FROM related ORDER BY position") == [
        (0, "Complex Problems Do Not Have Simple Solutions", "complex problems do not have simple solutions", None),
        (1, "China overtakes the US in the Middle East", "china overtakes the us in the middle east", None),
    ]
    (run,) = query(db_path, "SELECT command, inputs, status, new_articles, updated_articles, unchanged_articles, rejected FROM ingest_runs")
    assert run == ("ingest", str(seed_page), "ok", 1, 0, 0, 0)


def test_same_input_twice_adds_nothing(tmp_path, db_path, seed_page):
    folder = tmp_path / "pages"
    write(folder / "a.txt", seed_page.read_text(encoding="utf-8"))
    write(folder / "b.txt", page_text())
    first = ingest_paths(db_path, [folder], tag=False, progress=False)
    before = db_state(db_path)
    second = ingest_paths(db_path, [folder], tag=False, progress=False)
    assert (first.new, second.new, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert db_state(db_path) == before
    assert query(db_path, "SELECT count(*) FROM ingest_runs WHERE status = 'ok'") == [(2,)]


def test_changed_views_add_a_snapshot_and_changed_text_updates(tmp_path, db_path):
    page = write(tmp_path / "p.txt", page_text(views="1 000"))
    first = ingest_paths(db_path, [page], tag=False, progress=False)
    (aid, first_seen, hash1) = query(db_path, "SELECT article_id, first_seen, content_hash FROM articles")[0]

    write(page, page_text(views="1 500"))
    second = ingest_paths(db_path, [page], tag=False, progress=False)
    assert (second.new, second.updated, second.unchanged) == (0, 1, 0)
    assert [v for (v,) in query(db_path, "SELECT views FROM view_snapshots ORDER BY observed_at, views")] == [1000, 1500]
    assert query(db_path, "SELECT views, content_hash FROM articles") == [(1500, hash1)]

    body = ["A rewritten first paragraph about the gas transit talks.", "What happens to the pipeline?"]
    write(page, page_text(views="1 500", body=body, related=["Only One Related Page"]))
    third = ingest_paths(db_path, [page], tag=False, progress=False)
    assert (third.new, third.updated, third.unchanged) == (0, 1, 0)
    (row,) = query(db_path, "SELECT article_id, first_seen, content_hash, body, word_count, views FROM articles")
    assert row[0] == aid and row[1] == first_seen and row[2] != hash1
    assert row[3] == "A rewritten first paragraph about the gas transit talks.\n\nWhat happens to the pipeline?"
    assert row[4] == 14 and row[5] == 1500  # 9 + 5 words
    assert query(db_path, "SELECT count(*) FROM view_snapshots") == [(2,)]  # same views: no new snapshot
    assert query(db_path, "SELECT position, title FROM related") == [(0, "Only One Related Page")]
    assert first.run_id < second.run_id < third.run_id


def test_related_links_resolve_in_both_directions(tmp_path, db_path):
    a = write(tmp_path / "a.txt", page_text(title="RAND: Alpha Page About Ports", related=["Beta Page About Ships!"]))
    ingest_paths(db_path, [a], tag=False, progress=False)
    assert query(db_path, "SELECT target_id FROM related") == [(None,)]
    b = write(tmp_path / "b.txt", page_text(title="CSIS: Beta page about ships", date="15.02.2024", related=["alpha page about ports"]))
    ingest_paths(db_path, [b], tag=False, progress=False)
    ids = dict(query(db_path, "SELECT headline, article_id FROM articles"))
    links = query(db_path, "SELECT a.headline, r.target_id FROM related r JOIN articles a USING (article_id) ORDER BY 1")
    assert links == [("Alpha Page About Ports", ids["Beta page about ships"]), ("Beta page about ships", ids["Alpha Page About Ports"])]


def test_identity_rules():
    assert normalise_url("HTTPS://www.Example.com/a/b/?utm_source=x&id=3#top") == "example.com/a/b?id=3"
    assert normalise_url("http://example.com/a/b?id=3") == "example.com/a/b?id=3"
    assert normalise_title("  CFR: Putin–Xi   Summit!! ") == "cfr putin xi summit"
    with_url = Record(title="T", headline="T", url="https://example.com/x", body="b", published=dt.date(2020, 1, 1))
    assert ingest.identity_of(with_url, "h") == "url:example.com/x"
    titled = Record(title="Some Title", headline="Some Title", body="b", published=dt.date(2020, 1, 1))
    assert ingest.identity_of(titled, "h") == "td:some title|2020-01-01"
    assert ingest.identity_of(Record(title="Some Title", headline="Some Title", body="b"), "abc") == "hash:abc"


def test_same_url_in_two_rows_is_one_article_and_a_reject(tmp_path, db_path):
    path = write(tmp_path / "t.csv", "url,title,date,body\nhttps://x.org/1,First,2020-01-01,a\nhttp://www.x.org/1/,First again,2020-01-01,b\n")
    summary = ingest_paths(db_path, [path], tag=False, progress=False)
    assert (summary.new, summary.rejected) == (1, 1)
    (reject,) = query(db_path, "SELECT input, record, reason FROM rejects")
    assert reject[0] == str(path) and reject[1] == "row=2"
    assert reject[2].startswith(f"a conflicting duplicate of {path}#row=1 (same identity 'url:x.org/1')")


def test_records_api_with_synthetic_flag_observed_at_and_small_batches(db_path):
    seen = dt.datetime(2024, 3, 1, 12, 0)
    recs = [
        Record(title=f"Synthetic {i}", headline=f"Synthetic {i}", body=f"text {i}", published=dt.date(2024, 1, 1 + i),
               views=100 + i, synthetic=True, observed_at=seen, input=f"gen#{i}")
        for i in range(7)
    ]
    summary = ingest_records(db_path, recs, tag=False, batch_size=3, progress=False, total=7, command="demo")
    assert (summary.new, summary.rejected) == (7, 0) and summary.articles_per_s > 0
    assert query(db_path, "SELECT count(*), bool_and(synthetic), min(views_observed_at) FROM articles") == [(7, True, seen)]
    assert query(db_path, "SELECT count(*), min(observed_at), max(observed_at) FROM view_snapshots") == [(7, seen, seen)]
    assert query(db_path, "SELECT command FROM ingest_runs") == [("demo",)]


def test_tags_are_stored_with_published_and_recomputed_on_change(tmp_path, db_path, monkeypatch):
    """A stand-in tagger (the real one is another module's job) checks the tags write path."""
    Tag = types.SimpleNamespace

    def extract(text):
        spans = [[i, i + 7] for i in range(len(text)) if text.startswith("Ukraine", i)]
        return [Tag(kind="country", key="UKR", label="Ukraine", mentions=len(spans), spans=spans, score=0.9, method="alias")] if spans else []

    monkeypatch.setattr(ingest, "_load_tagging", lambda: types.SimpleNamespace(extract=extract))
    page = write(tmp_path / "p.txt", page_text(body=["Ukraine and Ukraine again.", "Nothing else."]))
    ingest_paths(db_path, [page], progress=False)
    (aid,) = query(db_path, "SELECT article_id FROM articles")[0]
    title = "IISS: Gas Transit Talks Resume in Vienna"
    start = len(title) + 2
    assert query(db_path, "SELECT article_id, kind, key, mentions, score, method, spans, published FROM tags") == [
        (aid, "country", "UKR", 2, 0.9, "alias", [[start, start + 7], [start + 12, start + 19]], dt.date(2024, 2, 14))
    ]
    assert query(db_path, "SELECT tagged_at IS NOT NULL FROM articles") == [(True,)]
    write(page, page_text(body=["Nothing about that country now."]))
    ingest_paths(db_path, [page], progress=False)
    assert query(db_path, "SELECT count(*) FROM tags") == [(0,)]


def test_ingest_without_tagging_leaves_articles_untagged(seed_page, db_path):
    ingest_paths(db_path, [seed_page], tag=False, progress=False)
    assert query(db_path, "SELECT tagged_at FROM articles") == [(None,)]
    assert counts(db_path)["tags"] == 0


def test_cli_ingest_summary_exit_status_and_stats(tmp_path, seed_page, capsys):
    db = tmp_path / "cli.duckdb"
    bad = write(tmp_path / "in" / "bad.txt", "Just a title\n\n31.02.2023\n\nBody text.\n")
    write(tmp_path / "in" / "good.txt", seed_page.read_text(encoding="utf-8"))
    assert main(["ingest", str(tmp_path / "in"), "--db", str(db), "--no-tag", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"rejected {bad}: impossible date '31.02.2023': day is out of range for month"
    assert err[1].startswith("trends ingest: 1 new, 0 updated, 0 unchanged, 1 rejected in ") and "articles/s" in err[1]
    assert main(["ingest", str(seed_page), "--db", str(db), "--no-tag", "--quiet"]) == 0
    assert "0 new, 0 updated, 1 unchanged, 0 rejected" in capsys.readouterr().err
    assert main(["stats", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["articles"], data["rejects"], data["first_date"], data["last_date"]) == (1, 1, "2023-03-26", "2023-03-26")
    assert data["top_sources"] == [{"source": "CFR", "articles": 1}] and data["view_snapshots"] == 1
    assert data["recent_rejects"][0]["reason"].startswith("impossible date")
    assert main(["stats", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "articles      1 (0 synthetic)" in text and "rejects       1" in text
    assert main(["stats", "--db", str(tmp_path / "missing.duckdb")]) == 2
    assert "no archive at" in capsys.readouterr().err


def test_cli_usage_errors_leave_no_database(tmp_path, seed_page, capsys):
    db = tmp_path / "u.duckdb"
    assert main(["ingest", str(seed_page), "--db", str(db), "--map", "title"]) == 2
    assert "is not FIELD=COLUMN" in capsys.readouterr().err
    assert main(["ingest", str(seed_page), "--db", str(db), "--format", "docx"]) == 2
    assert not db.exists()


def test_corpus_style_tables_load_with_a_mapping_alone(db_path):
    from conftest import FIXTURES

    s1 = ingest_paths(db_path, [FIXTURES / "articles.csv"], mapping="title=headline,published=date,body=short_description,authors=authors,url=link", tag=False, progress=False)
    s2 = ingest_paths(db_path, [FIXTURES / "wikinews-sample.jsonl"], tag=False, progress=False)
    assert (s1.new, s1.rejected, s2.new, s2.rejected) == (2, 0, 2, 0)
    assert query(db_path, "SELECT count(*), count(url), count(views) FROM articles") == [(4, 4, 1)]


def test_many_pages_are_parsed_by_a_pool_with_the_same_result(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(ingest.PARALLEL_PARSE_MIN + 20):
        write(folder / f"p{i:04d}.txt", page_text(title=f"Pool Page {i}", views=str(i)))
    write(folder / "table.csv", "title,date,body\nA Table Row,2020-01-01,x\n")
    write(folder / "broken.txt", "")
    serial = list(ingest.iter_path_records([folder], workers=1))
    pooled = list(ingest.iter_path_records([folder], workers=2))
    key = lambda item: (type(item).__name__, item.input, getattr(item, "reason", None), getattr(item, "views", None))  # noqa: E731
    assert sorted(map(key, pooled)) == sorted(map(key, serial))
    assert len(serial) == ingest.PARALLEL_PARSE_MIN + 22
    assert sum(isinstance(i, Record) for i in pooled) == ingest.PARALLEL_PARSE_MIN + 21
