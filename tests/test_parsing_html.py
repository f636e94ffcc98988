"""Real-world HTML: titles without site names, the source from the page's own site name, split and
table bodies, the recall fallback, declared charsets. Pages are built here (no corpus text)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import trafilatura

from trends.parsing import Record, parse

SENTENCE = "The committee heard evidence from farmers, shippers and port officials about the new grain rules."
PARAGRAPHS = "".join(f"<p>{SENTENCE} Paragraph {i} adds its own detail about quotas and inspections.</p>" for i in range(6))


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    return f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def json_ld(**obj) -> str:
    return f"<script type='application/ld+json'>{json.dumps({'@context': 'https://schema.org', **obj})}</script>"


def meta(prop: str, content: str) -> str:
    attr = "property" if prop.startswith("og:") else "name"
    return f"<meta {attr}='{prop}' content=\"{content}\">"


def one(html: str | bytes, name: str = "page.html") -> Record:
    items = list(parse(html.encode("utf-8") if isinstance(html, str) else html, input=name))
    assert len(items) == 1 and isinstance(items[0], Record), items
    return items[0]


ARTICLE = f"<article><h1>Grain Rules Tighten</h1>{PARAGRAPHS}</article>"


def test_json_ld_headline_first_with_entities_decoded():
    rec = one(page(
        json_ld(**{"@type": "NewsArticle", "headline": "&#8216;We had issues,&#8217; exec says of the outage"})
        + meta("og:title", "Outage blamed on demand | Example Times") + "<title>Outage blamed - Example Times</title>",
        ARTICLE,
    ))
    assert rec.title == rec.headline == "‘We had issues,’ exec says of the outage"


def test_truncated_json_ld_headline_gives_way_to_the_full_og_title():
    full = "Ministers agree a new timetable for the grain corridor talks after a week of negotiations in Istanbul"
    rec = one(page(json_ld(**{"@type": "Article", "headline": full[:60] + "…"}) + meta("og:title", full), ARTICLE))
    assert rec.title == full


@pytest.mark.parametrize(
    "title, site, expected",
    [
        ("Grain Rules Tighten | Example Times", "Example Times", "Grain Rules Tighten"),
        ("Grain Rules Tighten - Example Times", "Example Times", "Grain Rules Tighten"),
        ("Grain Rules Tighten – Sportsnet", "Sportsnet.ca", "Grain Rules Tighten"),  # site name with its domain ending
        ("Grain Rules Tighten - Remember 80/90 - Memorabilia", "Remember 80/90 - Memorabilia", "Grain Rules Tighten"),
        ("Example Times: Grain Rules Tighten", "Example Times", "Grain Rules Tighten"),
        ("Example Times | Daily news: Grain Rules Tighten", "Example Times | Daily news", "Grain Rules Tighten"),
        # what is not the site name stays: a section, a kicker, a label
        ("Opinion | Grain Rules Tighten", "The Example Times", "Opinion | Grain Rules Tighten"),
        ("BREAKING: Grain Rules Tighten", "The Paradigm", "BREAKING: Grain Rules Tighten"),
        ("Dear Abby: My sister took the grain", "Example Times", "Dear Abby: My sister took the grain"),
        ("Milan Design Week 2018 | A light installation", "Inexhibit", "Milan Design Week 2018 | A light installation"),
        ("Times - Change", "Example Times", "Times - Change"),  # too little of the name to be it
    ],
)
def test_site_names_are_cut_from_titles_and_nothing_else(title, site, expected):
    rec = one(page(meta("og:title", title) + meta("og:site_name", site), ARTICLE))
    assert rec.title == expected
    assert rec.source == site


def test_title_tag_with_the_domain_as_site_name():
    rec = one(page("<title>The Space Review: Seeking a bigger role for a big rocket</title>"
                   "<link rel='canonical' href='https://www.thespacereview.com/article/3834/1'>", f"<article>{PARAGRAPHS}</article>"))
    assert rec.title == "Seeking a bigger role for a big rocket"
    assert rec.source == "thespacereview.com"  # no declared name: the domain
    assert rec.url == "https://www.thespacereview.com/article/3834/1"


def test_source_is_never_a_title_prefix():
    rec = one(page(meta("og:title", "Star Wars Jedi: Fallen Order review") + meta("og:site_name", "Example Games"), ARTICLE))
    assert rec.source == "Example Games" and rec.title == "Star Wars Jedi: Fallen Order review"


def test_source_from_json_ld_publisher_when_no_og_site_name():
    rec = one(page(json_ld(**{"@type": "NewsArticle", "headline": "Dear Abby: My sister took the grain",
                              "publisher": {"@type": "Organization", "name": "Example Post"}}), ARTICLE))
    assert rec.source == "Example Post" and rec.title == "Dear Abby: My sister took the grain"


def test_slug_site_name_takes_the_publisher_spelling():
    rec = one(page(meta("og:site_name", "usatoday") + json_ld(**{"@type": "NewsArticle", "headline": "Grain Rules Tighten",
                                                               "publisher": {"name": "USA TODAY"}}), ARTICLE))
    assert rec.source == "USA TODAY"
    assert one(page(meta("og:site_name", "cleveland") + meta("og:title", "Grain Rules Tighten"), ARTICLE)).source == "Cleveland"


def test_og_site_name_wins_over_a_syndicating_publisher():
    rec = one(page(meta("og:site_name", "Example Post") + json_ld(**{"@type": "NewsArticle", "headline": "Grain Rules Tighten",
                                                                   "publisher": {"name": "Associated Wires"}}), ARTICLE))
    assert rec.source == "Example Post"


def test_table_articles_keep_their_tables():
    rows = "".join(f"<tr><td>Driver {i}</td><td>Team {i}</td><td>{100 - i} points</td></tr>" for i in range(30))
    rec = one(page(meta("og:title", "Championship standings"), f"<article><h1>Championship standings</h1>"
                   f"<p>{SENTENCE}</p><table>{rows}</table></article>"))
    assert "Driver 29" in rec.body and "71 points" in rec.body


def test_an_article_split_into_chunks_is_read_whole():
    chunk = "<div class='body article__body'>{}</div>"
    first = "".join(f"<p>First part {i}: {SENTENCE}</p>" for i in range(4))
    second = "".join(f"<p>Second part {i}: {SENTENCE}</p>" for i in range(4))
    body = (f"<main><article><h1>Grain Rules Tighten</h1><div class='chunks'><div class='grid'>{chunk.format(first)}</div>"
            f"<div class='ad'>Advertisement</div><div class='grid'>{chunk.format(second)}</div></div></article></main>")
    html = page(meta("og:title", "Grain Rules Tighten"), body)
    precise_alone = trafilatura.bare_extraction(html, favor_precision=True, include_comments=False).text
    assert "Second part 3" not in precise_alone  # what the join fixes
    rec = one(html)
    assert "First part 0" in rec.body and "Second part 3" in rec.body and "Advertisement" not in rec.body


def test_chunks_of_another_article_are_not_joined():
    chunk = "<div class='article__body'>{}</div>"
    ours = "".join(f"<p>Our story {i}: {SENTENCE}</p>" for i in range(5))
    other = "".join(f"<p>Next story {i}: {SENTENCE}</p>" for i in range(5))
    body = f"<article><h1>Grain Rules Tighten</h1>{chunk.format(ours)}</article><article><h2>Next</h2>{chunk.format(other)}</article>"
    rec = one(page(meta("og:title", "Grain Rules Tighten"), body))
    assert "Our story 4" in rec.body and "Next story" not in rec.body


def test_recall_fallback_when_the_precise_text_is_short():
    inner = "".join(f"<p>{SENTENCE} {SENTENCE}</p>" for _ in range(12))
    html = page(meta("og:title", "Grain Rules"), f"<div><h1>Grain Rules</h1><p>{SENTENCE}</p><div class='story-related'>{inner}</div></div>")
    precise = trafilatura.bare_extraction(html, favor_precision=True, include_comments=False, include_tables=True).text
    assert len(precise.split()) < 60  # precision mode drops the container (its class says "related")
    rec = one(html)
    assert len(rec.body.split()) > 300


def test_declared_legacy_charset_is_honoured():
    html = page(meta("og:title", "Переговоры о газе"), f"<article><h1>Переговоры о газе</h1>"
                + "<p>Министры обеих стран встретились в Вене, чтобы обсудить транзит газа.</p>" * 3 + "</article>")
    rec = one(html.replace("charset='utf-8'", "charset='windows-1251'").encode("cp1251"))
    assert rec.title == "Переговоры о газе" and rec.body.startswith("Министры обеих стран")
    assert rec.encoding == "cp1251" and rec.notes == []


def test_a_stray_byte_in_a_utf8_page_is_replaced_and_noted():
    html = page(meta("og:title", "Café society"), f"<article><h1>Café society</h1><p>{SENTENCE} Crème brûlée.</p>"
                f"<p>{SENTENCE} Bad byte: X.</p></article>").encode("utf-8").replace(b"Bad byte: X", b"Bad byte: \xff")
    rec = one(html)
    assert "Bad byte: \ufffd" in rec.body and "Crème brûlée" in rec.body
    assert rec.notes == ["1 invalid UTF-8 byte (the first at byte " + str(html.index(b"\xff")) + ") replaced by U+FFFD"]


def test_an_impossible_date_is_dropped_not_the_page():
    rec = one(page(meta("og:title", "Grain Rules Tighten") + "<meta property='article:published_time' content='1700-01-01T00:00:00Z'>", ARTICLE))
    assert rec.published is None and rec.body.startswith(SENTENCE)
    good = one(page(meta("og:title", "Grain Rules Tighten") + "<meta property='article:published_time' content='2023-07-14T09:30:00Z'>", ARTICLE))
    assert good.published == dt.date(2023, 7, 14)


def test_language_from_the_html_element():
    assert one(page(meta("og:title", "Grain Rules"), ARTICLE, lang="de-CH")).language == "de-CH"
