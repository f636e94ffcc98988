"""The demo corpus: deterministic, in the seed format, realistic enough to chart, flagged synthetic."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

from trends import store
import pytest

from trends.cli import main as cli_main
from trends.demo import Generator, build_demo, render_page
from trends.demo.build import bulk_records, write_pages
from trends.parsing import Record, parse

# Worked out from the brief, not from the code: the 14 organisations the demo publishes as.
EXPECTED_SOURCES = {
    "CFR", "Chatham House", "Brookings", "Carnegie", "RAND", "CSIS", "IISS", "ECFR", "Valdai Club",
    "Lowy Institute", "ORF", "ISPI", "SWP", "Atlantic Council",
}
FIRST_DAY, LAST_DAY = dt.date(2022, 1, 1), dt.date(2024, 12, 31)
FIRST_SCRAPE, SECOND_SCRAPE = dt.datetime(2025, 1, 10, 9), dt.datetime(2025, 2, 14, 9)
AUTHOR_RE = re.compile(r"^[A-Z]\.[A-Z][a-z]+(?:-[A-Z][a-z]+)?$")  # "T.Varnell", "R.Hadfield-Moor"


def corpus_digest(articles: int, seed: int) -> str:
    digest = hashlib.sha256()
    for article in Generator(articles, seed):
        digest.update(render_page(article).encode("utf-8"))
        digest.update(render_page(article, article.views_later or 0).encode("utf-8"))
    return digest.hexdigest()


# ------------------------------------------------------------------------------------- determinism


def test_same_articles_and_seed_give_byte_identical_pages_across_processes():
    here = corpus_digest(300, 7)
    assert corpus_digest(300, 7) == here
    # Another interpreter with a different string-hash seed must produce the very same bytes.
    code = "from test_demo import corpus_digest; print(corpus_digest(300, 7))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parent, env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    ).stdout.strip()
    assert out == here


def test_other_seed_gives_another_corpus():
    assert corpus_digest(300, 8) != corpus_digest(300, 7)


# ------------------------------------------------------------------------------------------ format


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    generator = Generator(300, 7)
    folder = tmp_path_factory.mktemp("pages")
    written = write_pages(generator, folder)
    return generator, list(generator), folder, written


def test_pages_parse_with_the_real_parser_to_the_generated_fields(pages):
    generator, articles, folder, written = pages
    rescraped = [a for a in articles if a.views_later is not None]
    assert written == len(articles) + len(rescraped)
    assert {a.source for a in articles} == EXPECTED_SOURCES  # multi-word sources ("Lowy Institute:") too
    for article in articles:
        path = folder / "scrape-2025-01-10" / article.relative_path
        (record,) = list(parse(path))
        assert isinstance(record, Record), record
        assert record.source == article.source and record.source in EXPECTED_SOURCES
        assert record.title == f"{article.source}: {article.headline}"
        assert record.headline == article.headline
        assert FIRST_DAY <= record.published <= LAST_DAY
        assert isinstance(record.views, int) and record.views == article.views >= 1
        assert record.authors == article.authors and 1 <= len(record.authors) <= 2
        assert all(AUTHOR_RE.match(name) for name in record.authors), record.authors
        assert record.body == article.body
        assert 2 <= len(record.related) <= 3 and article.headline not in record.related
    for article in rescraped:
        (record,) = list(parse(folder / "scrape-2025-02-14" / article.relative_path))
        assert record.views == article.views_later >= article.views


def test_page_layout_matches_the_seed_example(pages):
    _, articles, _, _ = pages
    article = articles[0]
    lines = render_page(article).split("\n")
    assert lines[0] == f"Main » News and comments » {article.published.year} » {article.source}: {article.headline}"
    assert lines[1] == "" and lines[2] == f"{article.source}: {article.headline}" and lines[3] == ""
    assert re.fullmatch(r"\d\d\.\d\d\.20\d\d", lines[4])
    assert re.fullmatch(r"\d{1,3}(?:[ \u00a0]\d{3})*", lines[5])
    assert lines[6] == "" and lines[7].startswith("According to ")
    assert "Read also:" in lines
    # Some pages show views with thousands separators, some two authors, some a sub-heading.
    texts = [render_page(a) for a in articles]
    assert any(re.search(r"\n\d{1,3}[ \u00a0]\d{3}\n", t) for t in texts)
    assert any(len(a.authors) == 2 and f"According to {a.authors[0]} and {a.authors[1]}" in render_page(a) for a in articles)
    assert any(any(p.endswith("?") and len(p) < 80 for p in a.paragraphs) for a in articles)


def test_bulk_records_are_the_parsed_records(pages):
    generator, articles, folder, _ = pages
    fields = ("title", "headline", "source", "published", "views", "authors", "body", "related", "synthetic", "observed_at")
    bulk = list(bulk_records(generator, 0))
    assert len(bulk) == len(articles)
    for article, rec in zip(articles, bulk):
        (parsed,) = list(parse(folder / "scrape-2025-01-10" / article.relative_path))
        parsed.synthetic, parsed.observed_at = True, FIRST_SCRAPE
        assert {f: getattr(rec, f) for f in fields} == {f: getattr(parsed, f) for f in fields}


# ------------------------------------------------------------------------------------------ content


@pytest.fixture(scope="module")
def corpus():
    return list(Generator(3000, 7))


def test_default_corpus_spans_three_years_and_fourteen_sources(corpus):
    assert len(corpus) == 3000
    assert {a.source for a in corpus} == EXPECTED_SOURCES
    years = Counter(a.published.year for a in corpus)
    assert set(years) == {2022, 2023, 2024} and min(years.values()) > 700
    authors_by_source: dict[str, set] = {}
    for a in corpus:
        authors_by_source.setdefault(a.source, set()).update(a.authors)
    assert all(len(names) >= 4 for names in authors_by_source.values())
    # Title + date is the ingest's identity: no two articles may share it.
    assert len({(a.title.casefold(), a.published) for a in corpus}) == 3000


def test_articles_are_seed_sized(corpus):
    words = sorted(len(a.body.split()) for a in corpus)
    assert 350 <= words[len(words) // 2] <= 550  # the seed page has ~480 words
    assert sum(300 <= w <= 700 for w in words) / len(words) > 0.95


def test_authors_are_invented_not_the_people_the_texts_discuss(corpus):
    surnames = {name.split(".", 1)[1].split("-")[0] for a in corpus for name in a.authors}
    discussed = {"Putin", "Xi", "Biden", "Zelensky", "Trump", "Modi", "Netanyahu", "Erdogan", "Graham", "Lavrov"}
    assert not surnames & discussed
    # ... while the texts do mention real public figures and organisations for the tagger to find.
    text = " ".join(a.body for a in corpus[:500])
    for name in ("Xi Jinping", "Vladimir Putin", "NATO", "BRICS", "the Kremlin", "Beijing"):
        assert name in text


def _monthly(corpus, keep) -> Counter:
    return Counter((a.published.year, a.published.month) for a in corpus if keep(a))


def test_topics_burst_around_their_events_and_fade(corpus):
    mentions = lambda phrase: _monthly(corpus, lambda a: phrase in a.title + a.body)  # noqa: E731
    # Gaza (7 October 2023): October far above the average month of January-September 2023.
    gaza = mentions("Gaza")
    assert gaza[(2023, 10)] > 4 * sum(gaza[(2023, m)] for m in range(1, 10)) / 9
    # Pelosi's Taipei visit (2 August 2022): August above 2.5x the other months of 2022.
    taiwan = mentions("Taiwan")
    assert taiwan[(2022, 8)] > 2.5 * sum(taiwan[(2022, m)] for m in range(1, 13) if m != 8) / 11
    # The grain deal (22 July 2022): July + August well above a two-month stretch of quiet early 2023.
    grain = mentions("grain")
    assert grain[(2022, 7)] + grain[(2022, 8)] > 3 * sum(grain[(2023, m)] for m in range(1, 7)) / 3
    # BRICS summits (August 2023, October 2024): the topic's share of the month jumps.
    total = _monthly(corpus, lambda a: True)
    brics = _monthly(corpus, lambda a: a.topic == "brics")
    share = lambda ym: brics[ym] / total[ym]  # noqa: E731
    baseline = sum(share((2022, m)) for m in range(1, 13)) / 12
    assert share((2023, 8)) > 3 * baseline and share((2024, 10)) > 3 * baseline
    # The invasion (24 February 2022): the war dominates March 2022 and has faded by September 2023.
    war = _monthly(corpus, lambda a: a.topic == "war_in_ukraine")
    assert war[(2022, 3)] / total[(2022, 3)] > 2 * war[(2023, 9)] / total[(2023, 9)]


def test_countries_co_occur(corpus):
    both = lambda a, x, y: x in a.body and y in a.body  # noqa: E731
    russia_china = sum(both(a, "Russia", "China") for a in corpus)
    israel_iran = sum(both(a, "Israel", "Iran") for a in corpus)
    israel_brazil = sum(both(a, "Israel", "Brazil") for a in corpus)
    assert russia_china > 300 and israel_iran > 150 and israel_iran > 5 * israel_brazil


def test_views_are_log_normal_and_grow_between_scrapes(corpus):
    views = sorted(a.views for a in corpus)
    median, p99 = views[len(views) // 2], views[int(len(views) * 0.99)]
    assert 100 < median < 2000 and p99 > 8 * median  # long right tail
    # Hot topics are read more: the war outsells climate commentary.
    by_topic = {t: sorted(a.views for a in corpus if a.topic == t) for t in ("war_in_ukraine", "climate")}
    assert by_topic["war_in_ukraine"][len(by_topic["war_in_ukraine"]) // 2] > by_topic["climate"][len(by_topic["climate"]) // 2]
    rescraped = [a for a in corpus if a.views_later is not None]
    assert 0.15 < len(rescraped) / len(corpus) < 0.5
    assert all(a.views_later >= a.views for a in rescraped)
    recent = [a for a in rescraped if a.published >= dt.date(2024, 12, 1)]
    old = [a for a in rescraped if a.published < dt.date(2023, 1, 1)]
    growth = lambda group: sum(a.views_later / a.views for a in group) / len(group)  # noqa: E731
    assert recent and old and growth(recent) > growth(old) > 1.0


# ------------------------------------------------------------------------------------------ database


def _rows(db: Path, sql: str) -> list[tuple]:
    con = store.open_reader(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


ARTICLE_COLUMNS = "article_id, identity, source, title, headline, published, authors, body, views, views_observed_at, synthetic"


def test_build_demo_flags_synthetic_and_keeps_view_growth(tmp_path):
    db = tmp_path / "demo.duckdb"
    calls = []
    summary = build_demo(db, articles=120, seed=3, progress=lambda *args: calls.append(args), tag=False)
    assert summary.rejected == 0
    generator = Generator(120, 3)
    expected = list(generator)
    rescraped = [a for a in expected if a.views_later is not None]
    grew = [a for a in rescraped if a.views_later != a.views]
    # The progress callback (the dashboard's first start) counts one bar: pages, first scrape, second scrape.
    assert calls[-1] == (120 + 120 + len(rescraped), 120 + 120 + len(rescraped), "scrape of 2025-02-14")
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert {c[2] for c in calls} == {"writing pages", "scrape of 2025-01-10", "scrape of 2025-02-14"}
    assert _rows(db, "SELECT count(*), count(*) FILTER (WHERE synthetic) FROM articles") == [(121, 120)]
    (real,) = _rows(db, "SELECT source, headline, views, synthetic FROM articles WHERE NOT synthetic")
    assert real == ("CFR", "Putin-Xi Summit Strengthens Anti-American Partnership", 642, False)
    # One snapshot per article at the first scrape, a second one where the later scrape saw more views.
    assert _rows(db, "SELECT count(*) FROM view_snapshots") == [(121 + len(grew),)]
    snaps = _rows(
        db, "SELECT a.headline, s.observed_at, s.views FROM view_snapshots s JOIN articles a USING (article_id) "
        "WHERE a.synthetic ORDER BY a.headline, s.observed_at",
    )
    by_headline: dict[str, list] = {}
    for headline, observed_at, views in snaps:
        by_headline.setdefault(headline, []).append((observed_at, views))
    sample = grew[0]
    assert by_headline[sample.headline] == [(FIRST_SCRAPE, sample.views), (SECOND_SCRAPE, sample.views_later)]
    assert _rows(db, f"SELECT views, views_observed_at FROM articles WHERE headline = '{sample.headline.replace(chr(39), chr(39) * 2)}'") == [
        (sample.views_later, SECOND_SCRAPE)
    ]
    runs = _rows(db, "SELECT command, status FROM ingest_runs ORDER BY run_id")
    assert runs == [("demo", "ok")] * 3
    assert _rows(db, "SELECT count(*) FROM related WHERE target_id IS NOT NULL")[0][0] > 100


def test_same_inputs_same_database_and_bulk_matches_pages(tmp_path):
    dbs = [tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "bulk.duckdb"]
    build_demo(dbs[0], articles=150, seed=5, progress=False)
    build_demo(dbs[1], articles=150, seed=5, progress=False, pages_dir=tmp_path / "pages")
    build_demo(dbs[2], articles=150, seed=5, progress=False, bulk=True)
    query = f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE synthetic ORDER BY article_id"
    snaps = "SELECT article_id, observed_at, views FROM view_snapshots WHERE observed_at < '2026-01-01' ORDER BY ALL"
    related = "SELECT article_id, position, title, target_id FROM related ORDER BY ALL"
    tags = "SELECT article_id, kind, key, label, mentions, score, spans FROM tags ORDER BY ALL"
    first = [_rows(dbs[0], q) for q in (query, snaps, related, tags)]
    assert len(first[0]) == 150 and len(first[3]) > 150  # tagged: several tags per article
    for other in dbs[1:]:
        assert [_rows(other, q) for q in (query, snaps, related, tags)] == first
    assert len(list((tmp_path / "pages").rglob("*.txt"))) >= 150
    # A rerun adds nothing: the demo is idempotent like any ingest.
    again = build_demo(dbs[0], articles=150, seed=5, progress=False, tag=False)
    assert sum(s.new for _, s in again.runs) == 0
    assert _rows(dbs[0], "SELECT count(*) FROM articles") == [(151,)]


def test_cli_demo_builds_and_rejects_bad_counts(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert cli_main(["demo", "--articles", "40", "--seed", "2", "--db", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "40 synthetic articles (seed 2)" in out
    assert _rows(db, "SELECT count(*) FILTER (WHERE synthetic), count(*) FROM articles") == [(40, 41)]
    assert cli_main(["demo", "--articles", "0", "--db", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "trends demo: --articles must be at least 1 (got 0)"
    assert not (tmp_path / "none.duckdb").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert cli_main(["demo", "--articles", "5", "--db", str(tmp_path / "x.duckdb"), "--pages-dir", str(blocker)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"trends demo: cannot write the demo pages to {blocker}: ") and "\n" not in err
    assert not (tmp_path / "x.duckdb").exists()
