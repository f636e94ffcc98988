"""The bad-input corpus: every malformed input is rejected with its reason (one line on screen, one row
in ``rejects``), the run goes on, the exit status is 1, and the stored articles do not change."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import SEED_PAGE
from fixtures_ingest import db_state, query, write_huge_page
from fixtures_ingest import seed_page as page_text
from trends.cli import main
from trends.parsing import parse

GOOD_HEADER = "Main » News and comments » 2024 » IISS: Broken Page\n\nIISS: Broken Page\n\n"


def text_file(name: str, text: str):
    def build(tmp: Path):
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        return [str(path)], []
    return build


def bytes_file(name: str, data: bytes, *extra: str):
    def build(tmp: Path):
        path = tmp / name
        path.write_bytes(data)
        return [str(path)], list(extra)
    return build


def huge_page(tmp: Path):
    return [str(write_huge_page(tmp / "huge.txt", GOOD_HEADER))], []


def seed_duplicate_rows(tmp: Path):
    """Two rows with the identity of the stored seed article: the first is unchanged, the second a duplicate."""
    (stored,) = [r for r in parse(SEED_PAGE)]
    row = {"title": stored.title, "source": stored.source, "date": "2023-03-26", "authors": stored.authors,
           "body": stored.body, "related": stored.related, "views": 642}
    path = tmp / "dupes.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "views": 700}) + "\n", encoding="utf-8")
    return [str(path)], []


def damaged_parquet(tmp: Path):
    path = tmp / "damaged.parquet"
    path.write_bytes(b"PAR1" + os.urandom(64) + b"not really parquet")
    return [str(path)], []


def parquet_missing_column(tmp: Path):
    path = tmp / "export.parquet"
    pq.write_table(pa.table({"title": ["T"], "date": ["2020-01-01"], "text": ["x"]}), path)
    return [str(path)], ["--map", "title=title,published=date,body=body_text"]


def missing_path(tmp: Path):
    return [str(tmp / "does-not-exist.txt")], []


def glob_without_match(tmp: Path):
    return [str(tmp / "nothing-here-*.txt")], []


def broken_symlink(tmp: Path):
    link = tmp / "dangling.txt"
    link.symlink_to(tmp / "gone.txt")
    return [str(link)], []


def fifo(tmp: Path):
    path = tmp / "pipe.txt"
    os.mkfifo(path)
    return [str(path)], []


def empty_folder(tmp: Path):
    folder = tmp / "empty-folder"
    folder.mkdir()
    return [str(folder)], []


CSV_HEADER = "title,date,body,views\n"
CASES = [
    ("empty file", bytes_file("empty.txt", b""), ["empty file"]),
    ("whitespace only", bytes_file("blank.txt", b"  \r\n\t\n \n"), ["empty file"]),
    ("binary in .txt", bytes_file("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), ["binary file, not text (contains NUL bytes)"]),
    ("unsupported type", bytes_file("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00"), ["unsupported file type '.png'"]),
    ("truncated after title", text_file("trunc1.txt", GOOD_HEADER), ["truncated page: nothing after the title (no date, no body)"]),
    ("truncated before body", text_file("trunc2.txt", GOOD_HEADER + "14.02.2024\n1 234\n\nAccording to A.Smith\n"), ["truncated page: no body text after the header"]),
    ("undecodable bytes", bytes_file("undecodable.txt", b"Title\n\n" + bytes(range(1, 9)) * 40 + b"\x98\x81"), ["undecodable bytes: not UTF-8, and no text encoding fits them"]),
    ("missing date", text_file("nodate.txt", GOOD_HEADER + "The body starts right away.\n"), ["missing date: expected dd.mm.yyyy after the title, found 'The body starts right away.'"]),
    ("impossible day", text_file("feb31.txt", GOOD_HEADER + "31.02.2023\n\nBody.\n"), ["impossible date '31.02.2023': day is out of range for month"]),
    ("impossible month", text_file("month13.txt", GOOD_HEADER + "12.13.2023\n\nBody.\n"), ["impossible date '12.13.2023': month must be in 1..12"]),
    ("future date", text_file("future.txt", GOOD_HEADER + "01.01.2999\n\nBody.\n"), ["impossible date '01.01.2999': in the future"]),
    ("negative views", text_file("negviews.txt", GOOD_HEADER + "14.02.2024\n-150\n\nBody.\n"), ["negative view count '-150'"]),
    ("non-numeric views", text_file("textviews.txt", GOOD_HEADER + "14.02.2024\n12k\n\nBody.\n"), ["non-numeric view count '12k'"]),
    ("fractional views", text_file("fracviews.txt", GOOD_HEADER + "14.02.2024\n1.5\n\nBody.\n"), ["non-numeric view count '1.5'"]),
    ("50 MB page", huge_page, ["file too large for one page (52.4 MB > 10 MB limit)"]),
    ("HTML where text was expected", text_file("page.txt", "<!DOCTYPE html>\n<html><body><p>Hello</p></body></html>"), ["looks like HTML, not a seed text page (use --format html)"]),
    ("HTML without text", text_file("empty.html", "<html><head><title>Nothing</title></head><body></body></html>"), ["HTML page has no extractable article text"]),
    ("text where HTML was expected", text_file("plain.html", "Just words, no markup at all."), ["not HTML: no markup found (use --format seed for text pages)"]),
    ("page starting with a date", text_file("dated.txt", "14.02.2024\n\nBody.\n"), ["missing title: the page starts with a date"]),
    ("body text as title", text_file("wall.txt", "word " * 400 + "\n14.02.2024\n\nBody.\n"), ["no title line: the first line is 1999 characters long (body text?)"]),
    ("CSV missing a mapped column", bytes_file("cms.csv", b"title,date,text\nT,2020-01-01,x\n", "--map", "title=title,published=date,body=short_description"),
     ["column 'short_description' (mapped to body) is not in the file; columns: title, date, text"]),
    ("CSV row with wrong field count", text_file("fields.csv", CSV_HEADER + "Only two,2020-01-01\n"), ["row has 2 fields, the header has 4"]),
    ("CSV empty title", text_file("notitle.csv", CSV_HEADER + ",2020-01-01,body,5\n"), ["no title (column 'title' is empty)"]),
    ("CSV unreadable date", text_file("baddate.csv", CSV_HEADER + "T,next tuesday,body,5\n"), ["unreadable date 'next tuesday' in date (use YYYY-MM-DD or dd.mm.yyyy)"]),
    ("CSV missing date", text_file("nodate.csv", CSV_HEADER + "T,,body,5\n"), ["missing date in date"]),
    ("CSV impossible date", text_file("feb30.csv", CSV_HEADER + "T,2023-02-30,body,5\n"), ["impossible date '2023-02-30': day is out of range for month"]),
    ("CSV negative views", text_file("neg.csv", CSV_HEADER + "T,2020-01-01,body,-3\n"), ["negative view count '-3'"]),
    ("CSV with NUL bytes", bytes_file("nul.csv", b"title,date\n\x00\x00\x00"), ["binary file, not a CSV table (contains NUL bytes)"]),
    ("JSONL broken lines", text_file("broken.jsonl", '{"title": "T", "date": "2020-01-01"\n{not json}\n'),
     ["broken JSON line: Expecting ',' delimiter", "broken JSON line: Expecting property name enclosed in double quotes"]),
    ("JSONL line not an object", text_file("array.jsonl", '[1, 2, 3]\n"text"\n'), ["JSON line is a list, not an object", "JSON line is a str, not an object"]),
    ("JSONL missing mapped field", bytes_file("missing.jsonl", b'{"title": "T", "date": "2020-01-01"}\n', "--map", "body=summary"), ["missing field 'summary' (mapped to body)"]),
    ("JSONL non-numeric views", text_file("views.jsonl", '{"title": "T", "date": "2020-01-01", "body": "b", "views": "lots"}\n'), ["non-numeric view count 'lots'"]),
    ("JSON array broken", text_file("array.json", '[{"title": "T"},'), ["broken JSON: Expecting value at line 1"]),
    ("duplicate ids in one file", seed_duplicate_rows, ["a conflicting duplicate of {path}#line=1 (same identity 'td:cfr putin xi summit strengthens anti american partnership|2023-03-26') in this run"]),
    ("damaged Parquet", damaged_parquet, ["not a readable Parquet file: "]),
    ("Parquet missing a mapped column", parquet_missing_column, ["column 'body_text' (mapped to body) is not in the file; columns: title, date, text"]),
    ("missing path", missing_path, ["no such file or folder"]),
    ("glob without match", glob_without_match, ["no files match this pattern"]),
    ("broken symlink", broken_symlink, ["cannot read: No such file or directory"]),
    ("named pipe", fifo, ["not a regular file (a directory, pipe or device)"]),
    ("empty folder", empty_folder, ["folder has no files"]),
]


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A database holding the seed page and one table article, copied fresh for each case."""
    folder = tmp_path_factory.mktemp("base")
    db = folder / "base.duckdb"
    table = folder / "one.csv"
    table.write_text("url,title,date,body,views\nhttps://x.org/a,Table Article,2021-05-05,Some text.,10\n", encoding="utf-8")
    extra = folder / "extra.txt"
    extra.write_text(page_text(), encoding="utf-8")
    assert main(["ingest", str(SEED_PAGE), str(table), str(extra), "--db", str(db), "--no-tag", "--quiet"]) == 0
    return db


def test_the_corpus_has_at_least_30_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("build, reasons", [(b, r) for _, b, r in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_rejected_with_its_reason_and_changes_nothing(build, reasons, base_db, tmp_path, capsys):
    db = tmp_path / "trends.duckdb"
    shutil.copytree(base_db, db)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths, extra = build(inputs)
    before = db_state(db)
    capsys.readouterr()

    status = main(["ingest", *paths, *extra, "--db", str(db), "--no-tag", "--quiet"])

    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    assert db_state(db) == before  # no article, snapshot, link or tag added or changed
    run_id = query(db, "SELECT max(run_id) FROM ingest_runs")[0][0]
    stored = query(db, "SELECT input, coalesce(record, ''), reason FROM rejects WHERE run_id = ? ORDER BY rejected_at, record", [run_id])
    expected = [r.format(path=paths[0]) for r in reasons]
    assert len(stored) == len(expected), stored
    for (input_, record, reason), want in zip(stored, expected):
        assert input_ == paths[0]
        assert reason.startswith(want), (reason, want)
        shown = f"rejected {input_}{'#' + record if record else ''}: {reason}"
        assert shown in err.splitlines()  # the same one line on screen
    assert query(db, "SELECT status, rejected FROM ingest_runs WHERE run_id = ?", [run_id]) == [("ok", len(expected))]


def test_rejections_never_stop_a_run(tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a-good.txt").write_text(page_text(title="Good Page One"), encoding="utf-8")
    (folder / "b-empty.txt").write_bytes(b"")
    (folder / "c-binary.txt").write_bytes(b"\x00\x01\x02" * 10)
    (folder / "d-good.txt").write_text(page_text(title="Good Page Two"), encoding="utf-8")
    (folder / "e-rows.jsonl").write_text(
        '{"title": "Row One", "date": "2020-01-01", "body": "x"}\n{broken\n{"title": "Row Two", "date": "2020-01-02", "body": "y"}\n',
        encoding="utf-8",
    )
    db = tmp_path / "t.duckdb"
    assert main(["ingest", str(folder), str(tmp_path / "missing.txt"), "--db", str(db), "--no-tag", "--quiet"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[0] for line in err[:-1]] == [
        f"rejected {folder / 'b-empty.txt'}", f"rejected {folder / 'c-binary.txt'}",
        f"rejected {folder / 'e-rows.jsonl'}#line=2", f"rejected {tmp_path / 'missing.txt'}",
    ]
    assert err[-1].startswith("trends ingest: 4 new, 0 updated, 0 unchanged, 4 rejected")
    assert sorted(t for (t,) in query(db, "SELECT title FROM articles")) == ["Good Page One", "Good Page Two", "Row One", "Row Two"]
