"""Tables through a column mapping: CSV, JSONL (auto mapping), Parquet, templates and literals."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES
from trends.cli import main
from trends.parsing import Record, Reject, parse, parse_mapping

HUFFPOST_MAP = "title=headline,published=date,body=short_description,authors=authors,url=link"


def records(path, mapping=None, fmt=None):
    return list(parse(path, fmt=fmt, mapping=mapping))


def test_csv_with_mapping_via_cli(capsys):
    assert main(["parse", str(FIXTURES / "articles.csv"), "--json", "--map", HUFFPOST_MAP]) == 0
    first, second = json.loads(capsys.readouterr().out)
    assert first["title"] == first["headline"] == "Port Strike Ends After Two Weeks"
    assert first["published"] == "2022-02-03"
    assert first["authors"] == ["Ann Lee", "Bo Park"]
    assert first["body"] == "Dockworkers accepted a new contract on Friday.\n\nShipping lines expect the backlog to clear by March."
    assert first["url"] == "https://news.example.com/a/1"
    assert first["views"] == 12500  # the same-name column is used when the mapping leaves it out
    assert first["source"] is None and first["related"] == []
    assert first["input"].endswith("articles.csv#row=1") and first["format"] == "csv"
    assert second["views"] is None and second["authors"] == ["Carla Diaz"]
    assert second["input"].endswith("articles.csv#row=2")


def test_jsonl_auto_mapping_and_unicode_line_separator():
    items = records(FIXTURES / "wikinews-sample.jsonl")
    assert all(isinstance(i, Record) for i in items) and len(items) == 2
    flood, bridge = items
    assert flood.title == "Flood warning issued for the river valley" and flood.published == dt.date(2020, 6, 1)
    assert flood.body == "Authorities issued a flood warning on Monday." and flood.url.endswith("Flood_warning")
    assert flood.input.endswith("#line=1") and bridge.input.endswith("#line=3")
    assert bridge.body == "The bridge reopened to traffic.\u2028It had been closed for a year."


def test_templates_and_literals():
    mapping = 'title={iso3} at the UN General Debate {year},published={year}-09-25,body=text,authors=speaker,source="UN General Assembly",id=un:{iso3}:{year}'
    data = (
        json.dumps({"iso3": "NOR", "country": None, "year": 2019, "speaker": "Erna Solberg", "text": "Madam President, ..."}) + "\n"
    ).encode()
    (rec,) = list(parse(data, fmt="jsonl", mapping=mapping, input="un.jsonl"))
    assert rec.title == "NOR at the UN General Debate 2019"
    assert rec.published == dt.date(2019, 9, 25)
    assert rec.source == "UN General Assembly" and rec.authors == ["Erna Solberg"]
    assert rec.record_id == "un:NOR:2019"


def test_parquet_with_mapping(tmp_path):
    path = tmp_path / "export.parquet"
    pq.write_table(
        pa.table({
            "headline": ["Rates on Hold", "Budget Passes"],
            "pub": [dt.date(2021, 5, 4), dt.date(2021, 5, 5)],
            "text": ["The central bank kept rates unchanged.", "Parliament passed the budget late on Tuesday."],
            "writers": [["D.Kim", "E.Ruiz"], []],
            "hits": [1500, None],
            "unused": [1, 2],
        }),
        path,
    )
    items = records(path, mapping="title=headline,published=pub,authors=writers,views=hits")
    assert [type(i) for i in items] == [Record, Record]
    assert items[0].title == "Rates on Hold" and items[0].published == dt.date(2021, 5, 4)
    assert items[0].authors == ["D.Kim", "E.Ruiz"] and items[0].views == 1500
    assert items[0].body == "The central bank kept rates unchanged."
    assert items[1].views is None and items[1].authors == [] and items[1].input.endswith("#row=2")


def test_tsv_and_json_array(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("title\tdate\tbody\nCalm Seas\t2020-01-02\tA quiet week.\n", encoding="utf-8")
    (rec,) = records(tsv)
    assert (rec.title, rec.published, rec.body) == ("Calm Seas", dt.date(2020, 1, 2), "A quiet week.")
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"title": "One", "date": "2020-01-01", "text": "x"}, {"title": "Two", "date": "2020-01-02", "text": "y"}]))
    assert [r.title for r in records(arr)] == ["One", "Two"]


def test_mapping_spec_parsing():
    assert parse_mapping("title=headline, published=date") == {"title": "headline", "published": "date"}
    assert parse_mapping("title={a}, {b},body=c") == {"title": "{a}, {b}", "body": "c"}
    for bad, message in [("title", "is not FIELD=COLUMN"), ("nope=x", "unknown field 'nope'"), ("title=", "has no column")]:
        with pytest.raises(ValueError, match=message):
            parse_mapping(bad)


def test_bad_row_does_not_stop_the_table(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("title,date,body\nGood One,2020-01-01,x\n,2020-01-02,no title\nGood Two,2020-01-03,y\n", encoding="utf-8")
    items = records(path)
    assert [type(i) for i in items] == [Record, Reject, Record]
    assert items[1].record == "row=2" and items[1].reason.startswith("no title")
