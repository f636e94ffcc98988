"""`trends rejects` and the guard that keeps a newcomer's own archive out of the synthetic demo."""

from __future__ import annotations

import json

import pytest

from fixtures_coverage import build_coverage_db
from trends.cli import main


@pytest.fixture(scope="module")
def patchy(tmp_path_factory):
    return build_coverage_db(tmp_path_factory.mktemp("cli-rejects") / "patchy.duckdb")


def test_rejects_lists_newest_first_with_reasons(patchy, capsys):
    assert main(["rejects", "--db", str(patchy)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "2021-07-01 10:00:30  run 2  daily.jsonl#3: date 2021-13-01 is not a date",
        "2021-07-01 09:00:30  run 1  wire.jsonl#7: no title",
    ]
    assert err.strip() == "2 rejected inputs"


def test_rejects_by_run_limit_and_json(patchy, capsys):
    assert main(["rejects", "--db", str(patchy), "--run", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2021-07-01 09:00:30  run 1  wire.jsonl#7: no title"]
    assert main(["rejects", "--db", str(patchy), "--limit", "1"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and "1 more not shown" in err
    assert main(["rejects", "--db", str(patchy), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total"], data["shown"]) == (2, 2)
    assert data["rejects"][0] == {"run_id": 2, "rejected_at": "2021-07-01 10:00:30", "input": "daily.jsonl",
                                  "record": "3", "reason": "date 2021-13-01 is not a date", "excerpt": "x"}
    assert main(["rejects", "--db", str(patchy), "--run", "9"]) == 0
    assert capsys.readouterr().out.startswith("no rejected inputs in run 9")


def test_rejects_bad_use_is_one_line(patchy, tmp_path, capsys):
    assert main(["rejects", "--db", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trends rejects: ") and len(err.strip().splitlines()) == 1
    assert main(["rejects", "--db", str(patchy), "--limit", "-3"]) == 2
    assert "--limit" in capsys.readouterr().err


def test_ingest_into_the_demo_database_is_refused_unless_asked(tmp_path, seed_page, capsys):
    from trends import store

    demo = tmp_path / "trends.duckdb"
    with store.writer(demo, settings={"about_threshold": 0.6}) as con:  # one synthetic demo article is enough to make it the demo database
        con.execute(
            "INSERT INTO articles (article_id, identity, source, title, headline, published, body, word_count, "
            "content_hash, first_seen, last_seen, synthetic) VALUES (1, 'demo:1', 'Demo', 'Demo: x', 'x', "
            "'2024-01-01', 'b', 1, 'h', now(), now(), TRUE)"
        )
    assert main(["ingest", str(seed_page), "--db", str(demo), "--no-tag", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "holds the synthetic demo (1 of its 1 articles)" in err and "--db NEW_FOLDER" in err and "--into-demo" in err
    assert store.read_cursor(demo).execute("SELECT count(*) FROM articles").fetchone()[0] == 1  # nothing added
    assert main(["ingest", str(seed_page), "--db", str(demo), "--no-tag", "--quiet", "--into-demo"]) == 0
    assert store.read_cursor(demo).execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    own = tmp_path / "mine.duckdb"  # a fresh file, and a file without synthetic rows, take real input
    assert main(["ingest", str(seed_page), "--db", str(own), "--no-tag", "--quiet"]) == 0
    assert main(["ingest", str(seed_page), "--db", str(own), "--no-tag", "--quiet"]) == 0
