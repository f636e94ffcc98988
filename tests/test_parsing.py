"""Seed pages, their real-world variants, HTML pages and format detection (through `trends parse`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fixtures_ingest import seed_page as page_text
from trends.cli import main
from trends.parsing import Record, Reject, detect_format, parse


def parse_one(data: bytes | str, name: str = "page.txt") -> Record:
    items = list(parse(data.encode("utf-8") if isinstance(data, str) else data, input=name))
    assert len(items) == 1, items
    assert isinstance(items[0], Record), items[0]
    return items[0]


def test_seed_page_every_field_through_the_cli(seed_page, capsys):
    assert main(["parse", str(seed_page), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 1
    rec = records[0]
    assert rec["title"] == "CFR: Putin-Xi Summit Strengthens Anti-American Partnership"
    assert rec["headline"] == "Putin-Xi Summit Strengthens Anti-American Partnership"
    assert rec["source"] == "CFR"
    assert rec["published"] == "2023-03-26"
    assert rec["views"] == 642
    assert rec["authors"] == ["T.Graham"]
    assert rec["related"] == ["Complex Problems Do Not Have Simple Solutions", "China overtakes the US in the Middle East"]
    assert rec["url"] is None
    assert rec["body"].startswith("As part of the Chinese leader's official state visit")
    assert "\n\nWhat does the summit mean for Ukraine?\n\n" in rec["body"]
    assert rec["body"].endswith("a diplomatic solution.")
    assert "Read also" not in rec["body"] and "\u00a0" not in rec["body"]
    assert rec["body"].count("\n\n") == 5  # 6 paragraphs: 4, the sub-heading, 1
    assert rec["format"] == "seed" and rec["input"] == str(seed_page)


def test_parse_without_json_prints_one_line_per_record(seed_page, capsys):
    assert main(["parse", str(seed_page)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "CFR" in out[0] and "2023-03-26" in out[0] and "642 views" in out[0] and "2 related" in out[0]


@pytest.mark.parametrize(
    "raw, expected",
    [("12 345", 12345), ("12\u00a0345", 12345), ("12\u202f345", 12345), ("1,234", 1234), ("1,234,567", 1234567),
     ("642", 642), ("0", 0), ("1.234", 1234)],
)
def test_views_with_thousands_separators(raw, expected):
    assert parse_one(page_text(views=raw)).views == expected


def test_missing_views_author_and_related():
    rec = parse_one(page_text(views=None, authors=None, related=None))
    assert rec.views is None and rec.authors == [] and rec.related == []
    assert rec.published == dt.date(2024, 2, 14)
    assert rec.body.startswith("Ministers from both countries")


@pytest.mark.parametrize(
    "line, expected",
    [
        ("According to A.Smith and B.Jones", ["A.Smith", "B.Jones"]),
        ("According to A.Smith, B.Jones and C.Lee", ["A.Smith", "B.Jones", "C.Lee"]),
        ("According to A.Smith & B.Jones", ["A.Smith", "B.Jones"]),
        ("according to Maria Ortega", ["Maria Ortega"]),
    ],
)
def test_several_authors(line, expected):
    assert parse_one(page_text(authors=line)).authors == expected


@pytest.mark.parametrize(
    "title, source, headline",
    [
        ("Chatham House: Energy Markets After the Winter", "Chatham House", "Energy Markets After the Winter"),
        ("Council on Foreign Relations: Trade Wars Return", "Council on Foreign Relations", "Trade Wars Return"),
        ("Energy Markets After the Winter", None, "Energy Markets After the Winter"),
        ("Why the talks failed: a short history", None, "Why the talks failed: a short history"),
    ],
)
def test_titles_with_and_without_source_prefix(title, source, headline):
    rec = parse_one(page_text(title=title))
    assert (rec.title, rec.source, rec.headline) == (title, source, headline)


def test_sub_headings_are_their_own_paragraphs():
    rec = parse_one(page_text())
    assert rec.body.split("\n\n") == [
        "Ministers from both countries met in Vienna to discuss the gas transit contract that expires next year.",
        "What happens to the pipeline?",
        "Officials said the talks would continue in March, though neither side published a timetable.",
    ]


def test_bom_crlf_and_no_breadcrumb():
    text = page_text(breadcrumb=False, newline="\r\n")
    rec = parse_one(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert rec.title == "IISS: Gas Transit Talks Resume in Vienna"
    assert rec.source == "IISS" and rec.views == 1234 and rec.authors == ["A.Smith"]
    assert "\r" not in rec.body and rec.related == ["Pipeline Politics After the War", "Europe Looks for New Suppliers"]


def test_cp1251_page():
    text = page_text(
        title="Валдай: Переговоры о транзите газа возобновились",
        views="3 500",
        authors="According to И.Петров",
        body=["Министры обеих стран встретились в Вене.", "Что дальше?"],
        related=["Политика трубопроводов"],
    )
    rec = parse_one(text.encode("cp1251"))
    assert rec.source == "Валдай"
    assert rec.headline == "Переговоры о транзите газа возобновились"
    assert rec.authors == ["И.Петров"] and rec.views == 3500
    assert rec.body == "Министры обеих стран встретились в Вене.\n\nЧто дальше?"
    assert rec.related == ["Политика трубопроводов"]


def test_iso_date_and_views_label():
    rec = parse_one(page_text(date="2024-02-14", views="Views: 2 048"))
    assert rec.published == dt.date(2024, 2, 14) and rec.views == 2048


def test_html_article(tmp_path):
    from conftest import FIXTURES

    items = list(parse(FIXTURES / "article.html"))
    assert len(items) == 1 and isinstance(items[0], Record)
    rec = items[0]
    assert rec.title == rec.headline == "Chatham House: Grain Corridor Talks Stall Again"
    assert rec.source == "Example Digest"  # the site's declared name, not the title's "Prefix:"
    assert rec.language == "en" and rec.encoding == "utf-8" and rec.notes == []
    assert rec.published == dt.date(2023, 7, 14)
    assert rec.authors == ["Rita Mendes"]
    assert rec.url == "https://digest.example.org/news/grain-corridor-talks-stall"
    assert rec.body.startswith("Negotiators met in Istanbul")
    assert "\n\nWhat comes next?\n\n" in rec.body
    assert "Copyright" not in rec.body and rec.format == "html"


@pytest.mark.parametrize(
    "name, head, expected",
    [
        ("a.txt", b"x", "seed"), ("a.html", b"", "html"), ("a.HTM", b"", "html"), ("a.csv", b"", "csv"),
        ("a.tsv", b"", "tsv"), ("a.jsonl", b"", "jsonl"), ("a.ndjson", b"", "jsonl"), ("a.parquet", b"", "parquet"),
        ("page", b"Main \xc2\xbb News", "seed"), ("page", b"<!DOCTYPE html><html>", "html"),
        ("dump", b'{"title": 1}', "jsonl"), ("data", b"PAR1\x15\x04", "parquet"), ("a.pdf", b"%PDF-1.4", None),
    ],
)
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected


def test_parse_folder_and_glob(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text(page_text(title="One Page Title"), encoding="utf-8")
    (tmp_path / "a" / "deeper").mkdir()
    (tmp_path / "a" / "deeper" / "two.txt").write_text(page_text(title="Two Page Title"), encoding="utf-8")
    (tmp_path / "a" / ".hidden.txt").write_text("not read", encoding="utf-8")
    assert main(["parse", str(tmp_path / "a"), "--json"]) == 0
    assert sorted(r["title"] for r in json.loads(capsys.readouterr().out)) == ["One Page Title", "Two Page Title"]
    assert main(["parse", str(tmp_path / "a" / "*.txt"), "--json"]) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["One Page Title"]


def test_parse_reports_rejects_and_exit_status(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("Only a title line\n", encoding="utf-8")
    assert main(["parse", str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert captured.err.strip() == f"rejected {bad}: truncated page: nothing after the title (no date, no body)"


def test_forced_format_and_usage_errors(tmp_path, capsys, seed_page):
    assert main(["parse", str(seed_page), "--format", "pdf"]) == 2
    assert "unknown --format 'pdf'" in capsys.readouterr().err
    assert main(["parse", str(seed_page), "--map", "colour=red"]) == 2
    assert "unknown field 'colour'" in capsys.readouterr().err
    copy = tmp_path / "page.data"
    copy.write_bytes(seed_page.read_bytes())
    assert main(["parse", str(copy), "--json", "--format", "seed"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["views"] == 642


def test_reject_is_not_a_record():
    items = list(parse(b"", input="empty.txt"))
    assert items == [Reject("empty.txt", "empty file", None, None)]


@pytest.mark.parametrize("first_paragraph", ["Part 2", "Round 3 of talks", "In 2023."])
def test_short_first_paragraph_with_a_number_is_body_not_views(first_paragraph):
    rec = parse_one(page_text(views=None, authors=None, body=[first_paragraph, "More text follows here."]))
    assert rec.views is None
    assert rec.body == f"{first_paragraph}\n\nMore text follows here."
