"""Values checked at the edge: limits (and their environment variables), encodings, escaped names,
CSV resynchronisation, JSON shapes, view and date ranges; and a fuzz test that parse never raises."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures_ingest import seed_page as page_text
from trends.cli import main
from trends.parsing import Limits, Record, Reject, parse
from trends.parsing.limits import MAX_VIEWS, check_record
from trends.parsing.model import printable, storable

RUSSIAN = page_text(
    title="Валдай: Переговоры о транзите газа возобновились", views="3 500", authors="According to И.Петров",
    body=["Министры обеих стран встретились в Вене.", "Что дальше?"], related=["Политика трубопроводов"],
)
FRENCH = page_text(
    title="Le débat sur l'énergie: où en sommes-nous?",
    body=["Les ministres se sont réunis à Genève pour évoquer la crise énergétique et les prix élevés de l'électricité."],
)


def items(data: bytes | str, name: str) -> list:
    return list(parse(data.encode("utf-8") if isinstance(data, str) else data, input=name))


def kinds(found: list) -> list[str]:
    return [f"R:{i.title}" if isinstance(i, Record) else f"X:{i.record}:{i.reason}" for i in found]


# ------------------------------------------------------------------------------------------- limits


def test_limits_defaults_and_environment(monkeypatch):
    assert Limits.from_env({}) == Limits()
    env = {"TRENDS_MAX_TITLE_CHARS": "5_000", "TRENDS_MAX_BODY_CHARS": "2,000,000", "TRENDS_MIN_ENCODING_CONFIDENCE": "0.8"}
    limits = Limits.from_env(env)
    assert (limits.title_chars, limits.body_chars, limits.encoding_confidence) == (5000, 2_000_000, 0.8)
    for name, value, message in [
        ("TRENDS_MAX_TITLE_CHARS", "lots", "is not a number"), ("TRENDS_MAX_AUTHORS", "0", "must be a positive whole number"),
        ("TRENDS_MIN_ENCODING_CONFIDENCE", "1.5", "must be between 0 and 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            Limits.from_env({name: value})


def test_a_lower_title_limit_from_the_environment_rejects(monkeypatch):
    monkeypatch.setenv("TRENDS_MAX_TITLE_CHARS", "20")
    (rej,) = items(page_text(title="IISS: A Title Longer Than Twenty Characters"), "page.txt")
    assert rej.reason == "title too long: 43 characters (limit 20, set TRENDS_MAX_TITLE_CHARS)"
    monkeypatch.setenv("TRENDS_MAX_TITLE_CHARS", "200")
    assert isinstance(items(page_text(title="IISS: A Title Longer Than Twenty Characters"), "page.txt")[0], Record)


def test_a_bad_limit_is_a_usage_error_before_the_database_is_touched(tmp_path, seed_page, capsys, monkeypatch):
    monkeypatch.setenv("TRENDS_MAX_BODY_CHARS", "big")
    db = tmp_path / "t.duckdb"
    assert main(["ingest", str(seed_page), "--db", str(db), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == "trends ingest: TRENDS_MAX_BODY_CHARS='big' is not a number"
    assert not db.exists()


def test_check_record_every_field():
    base = dict(title="T", headline="T", body="b")
    assert check_record(Record(**base), Limits()) is not None
    cases = [
        (dict(views=MAX_VIEWS + 1), "view count '1000000000001' is out of range"),
        (dict(views=-1), "negative view count '-1'"),
        (dict(published=dt.date(1799, 12, 31)), "impossible date '1799-12-31': before 1800"),
        (dict(published=dt.date(2101, 1, 1)), "impossible date '2101-01-01': in the future"),
        (dict(observed_at=dt.datetime(3000, 1, 1)), "impossible date '3000-01-01T00:00:00': in the future"),
        (dict(authors=["x" * 201]), "authors entry too long: 201 characters (limit 200"),
        (dict(related=["r"] * 501), "too many related: 501 (limit 500"),
        (dict(language="x" * 51), "language too long"),
        (dict(record_id="i" * 1001), "id too long"),
        (dict(source="bad \udcff"), "source holds an invalid character"),
    ]
    for fields, message in cases:
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("'", "'")):
            check_record(Record(**{**base, **fields}), Limits())
    assert check_record(Record(**base, views=MAX_VIEWS, published=dt.date(1800, 1, 1)), Limits()).views == MAX_VIEWS


@pytest.mark.parametrize(
    "value, expected",
    [("12 345", 12345), ("1,234,567", 1234567), (" 42 ", 42), (7, 7), (7.0, 7), ("1e3", 1000), (Decimal("15"), 15),
     (float("nan"), None), ("", None), (None, None), (str(MAX_VIEWS), MAX_VIEWS)],
)
def test_table_view_counts(value, expected):
    if not isinstance(value, (Decimal, float)) or value == 7.0:
        line = json.dumps({"title": "T", "date": "2020-01-01", "views": value})
        assert [r.views for r in items(line + "\n", "v.jsonl")] == [expected]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"title": ["T"], "date": ["2020-01-01"], "views": pa.array([value])}), sink)
    (rec,) = list(parse(sink.getvalue().to_pybytes(), fmt="parquet", input="v.parquet"))
    assert rec.views == expected


def test_seed_view_counts_at_the_limit():
    assert items(page_text(views=f"{MAX_VIEWS:,}"), "p.txt")[0].views == MAX_VIEWS
    (rej,) = items(page_text(views=str(MAX_VIEWS + 1)), "p.txt")
    assert rej.reason == "view count '1000000000001' is out of range (more than 10^12)"


def test_observed_at_with_a_time_zone_becomes_local_time():
    line = json.dumps({"title": "T", "date": "2020-01-01", "observed_at": "2020-01-02T10:00:00+00:00"})
    (rec,) = items(line + "\n", "o.jsonl")
    expected = dt.datetime(2020, 1, 2, 10, tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
    assert rec.observed_at == expected


# ---------------------------------------------------------------------------------------- encodings


def test_legacy_pages_are_decoded_by_the_detector_with_a_note():
    rec = items(RUSSIAN.encode("cp1251"), "ru.txt")[0]
    assert rec.source == "Валдай" and rec.body == "Министры обеих стран встретились в Вене.\n\nЧто дальше?"
    assert rec.encoding == "cp1251"
    (note,) = rec.notes
    assert note.startswith("encoding cp1251 guessed by charset-normalizer (confidence 0.") and note.endswith("the input is not UTF-8")
    french = items(FRENCH.encode("cp1252"), "fr.txt")[0]
    assert french.title == "Le débat sur l'énergie: où en sommes-nous?" and french.encoding == "cp1252"


def test_below_the_confidence_threshold_a_guess_is_a_reject(monkeypatch):
    monkeypatch.setenv("TRENDS_MIN_ENCODING_CONFIDENCE", "0.95")
    (rej,) = items(RUSSIAN.encode("cp1251"), "ru.txt")
    assert rej.reason.startswith("undecodable bytes: not UTF-8; the best guess, cp1251, has confidence 0.")
    assert rej.reason.endswith("(below 0.95)")


def test_unicode_pages_need_no_guess():
    for data, encoding in [(RUSSIAN.encode("utf-8"), "utf-8"), (b"\xef\xbb\xbf" + RUSSIAN.encode("utf-8"), "utf-8"),
                           (RUSSIAN.encode("utf-16"), "utf-16"), (RUSSIAN.encode("utf-32"), "utf-32")]:
        rec = items(data, "ru.txt")[0]
        assert (rec.source, rec.encoding, rec.notes) == ("Валдай", encoding, [])


def test_legacy_tables_note_the_guess_on_every_row():
    text = "title,date,body\n" + "Переговоры о газе возобновились,2021-01-02,Министры обеих стран встретились в Вене.\n" * 3
    found = items(text.encode("cp1251"), "ru.csv")
    assert [r.title for r in found] == ["Переговоры о газе возобновились"] * 3
    assert all(r.encoding == "cp1251" and r.notes[0].startswith("encoding cp1251 guessed") for r in found)


def test_a_utf8_table_with_a_bad_byte_loses_only_that_row():
    data = "title,date\nCafé,2020-01-01\n".encode() + b"Bad \xff row,2020-01-02\n" + "Crème,2020-01-03\n".encode()
    assert kinds(items(data, "t.csv")) == [
        "R:Café", "X:row=2:undecodable bytes in this record (the file is UTF-8, these bytes are not)", "R:Crème"]
    lines = ('{"title": "Café", "date": "2020-01-01"}\n'.encode() + b'{"title": "Bad \xff", "date": "2020-01-01"}\n')
    assert kinds(items(lines, "t.jsonl")) == ["R:Café", "X:line=2:undecodable bytes in this record (the file is UTF-8, these bytes are not)"]


# ------------------------------------------------------------------------------------ escaped names


def test_reject_lines_escape_control_characters():
    rej = Reject("dir/evil\n\x1b[31mrejected x.txt\u202e", "empty file", "row=1\r")
    assert rej.line() == "rejected dir/evil\\n\\x1b[31mrejected x.txt\\u202e#row=1\\r: empty file"
    assert printable("Привет, café — «ok» 中文") == "Привет, café — «ok» 中文"  # ordinary text is left alone
    assert printable("tab\there\x85\u2028") == "tab\\there\\x85\\u2028"


def test_names_that_are_not_utf8_are_stored_with_escapes():
    assert storable("bad-\udcff\udcfe.txt") == "bad-\\xff\\xfe.txt"
    assert storable("fine.txt") == "fine.txt"
    assert Reject("bad-\udcff.txt", "empty file").input == "bad-\\xff.txt"


def test_cli_parse_lines_are_escaped(tmp_path):
    path = tmp_path / "a\x1b]0;title\x07.txt"
    path.write_text(page_text(title="IISS: Title with \x1b[2J escape"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "trends.cli", "parse", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "a\\x1b]0;title\\x07.txt: IISS: Title with \\x1b[2J escape | IISS" in result.stdout


# ---------------------------------------------------------------------------------------------- CSV


def test_csv_broken_quotes_cost_one_row_each():
    data = ('title,date,body\n"Broken one,2020-01-01,x\nGood one,2020-01-02,y\n'
            'Good two,2020-01-03,"multi\nline body"\n"x"y,2020-01-04,z\nGood three,2020-01-05,w\n"Never closed,2020-01-06,v\n')
    found = items(data, "q.csv")
    assert [k.split(" (")[0] for k in kinds(found)] == [
        "X:row=1:broken CSV quoting on line 2: ',' expected after '\"'",
        "R:Good one", "R:Good two",
        "X:row=4:broken CSV quoting on line 6: ',' expected after '\"'",
        "R:Good three",
        "X:row=6:broken CSV quoting on line 8: unexpected end of data",
    ]
    assert found[2].body == "multi\nline body" and found[4].input.endswith("#row=5")


def test_csv_mixed_newlines_and_bom():
    data = b"\xef\xbb\xbftitle,date\r\nOne,2020-01-01\nTwo,2020-01-02\rThree,2020-01-03\r\n"
    assert kinds(items(data, "n.csv")) == ["R:One", "R:Two", "R:Three"]


def test_csv_duplicate_columns_only_matter_when_used():
    assert kinds(items("title,date,notes,notes\nOne,2020-01-01,a,b\n", "d.csv")) == ["R:One"]
    (rej,) = items("title,date,date\nOne,2020-01-01,2020-01-02\n", "d.csv")
    assert rej.reason == "column 'date' appears more than once in the header; rename one (columns must be unique)"


def test_empty_tables_say_so():
    assert kinds(items("title,date\n", "h.csv")) == ["X:None:no records: the table has a header row but no data rows"]
    assert kinds(items("title,date\n\n\n", "h.csv")) == ["X:None:no records: the table has a header row but no data rows"]
    assert kinds(items("[]", "e.json")) == ["X:None:no records: the file holds no JSON objects"]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"title": pa.array([], pa.string())}), sink)
    assert kinds(list(parse(sink.getvalue().to_pybytes(), fmt="parquet", input="e.parquet"))) == [
        "X:None:no records: the Parquet file has no rows"]


# --------------------------------------------------------------------------------------------- JSON


def test_json_files_as_one_document_or_as_lines():
    assert kinds(items('{"title": "One", "date": "2020-01-01"}', "o.json")) == ["R:One"]
    assert kinds(items('{"title": "One"}\n{"title": "Two"}\n', "l.json")) == ["R:One", "R:Two"]
    assert kinds(items('[{"title": "One"}, 5, {"title": "Two"}]', "m.json")) == [
        "R:One", "X:item=2:JSON item is a number, not an object", "R:Two"]
    assert kinds(items('["a", 1]', "s.json")) == ["X:None:JSON array holds a number and a str, not objects (one object per article)"]


def test_jsonl_lines_may_leave_out_keys_other_lines_have():
    lines = [{"title": "One", "date": "2020-01-01", "authors": ["A. Writer"], "views": 3}, {"title": "Two", "date": "2020-01-02"}]
    found = items("\n".join(json.dumps(x) for x in lines), "k.jsonl")
    assert [(r.title, r.authors, r.views) for r in found] == [("One", ["A. Writer"], 3), ("Two", [], None)]
    found = list(parse(b'{"title": "One", "summary": "s"}\n{"title": "Two"}\n', mapping="body=summary", input="k.jsonl"))
    assert kinds(found) == ["R:One", "X:line=2:missing field 'summary' (mapped to body)"]


def test_templates_refuse_lists_and_objects():
    found = list(parse(b'{"t": ["a", "b"], "date": "2020-01-01"}\n', mapping="title=Title {t}", input="t.jsonl"))
    assert kinds(found) == ["X:line=1:column 't' (used by --map title) must be a single value, not a list"]


# --------------------------------------------------------------------------------------------- fuzz

FUZZ_FORMATS = st.sampled_from(["seed", "html", "csv", "tsv", "jsonl", "parquet", None])
FUZZ_BYTES = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(["title,date,views\n", '"', ",", "\n", "\r", "T", "2020-01-01", "-1", "1e24", "[", "{",
                              '"title": ', "<html>", "<p>", "14.02.2024\n", "\x00", "\ufeff", "»"]), max_size=60)
    .map(lambda parts: "".join(parts).encode("utf-8")),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=FUZZ_BYTES, fmt=FUZZ_FORMATS, name=st.sampled_from(["x.txt", "x.html", "x.csv", "x.jsonl", "x.json", "x"]))
def test_parse_never_raises_and_every_record_is_within_limits(data, fmt, name):
    for item in parse(data, fmt=fmt, input=name):
        assert isinstance(item, (Record, Reject))
        if isinstance(item, Record):
            check_record(item, Limits())
            item.title.encode("utf-8")  # storable: no lone surrogates
            item.body.encode("utf-8")
        else:
            assert item.reason and "\n" not in item.line()
