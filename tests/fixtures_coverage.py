"""A 34-article archive of two sources that enter at different times, with a gap and no view counts.

Every fact below is written out by hand; expected answers in tests/test_queries_coverage.py are worked
out from this table, not from the code. All dates are in 2021; nothing has a view count; nothing is
synthetic. Topics: E = energy, H = health, - = none.

 source     Jan                 Feb                 Mar                      Apr                      May  Jun
 Old Wire   05 E, 10 E, 15 H,   05 E, 10 E, 15 H,   05 E, 10 E, 15 H, 20 -   05 E, 10 E, 15 E, 20 H   -    -
            20 -                20 -
 New Daily  -                   -                   06 E, 08 H, 12 H, 14 H,  06 E, 08 H, 12 H, 14 H,  -    06 E, 08 H, 12 H, 14 H,
                                                    18 -, 22 -               18 -, 22 -                    18 -, 22 -

So Old Wire publishes from 01-05 to 04-20 (16 articles: 9 energy, 4 health), New Daily from 03-06 to
06-22 (18 articles: 3 energy, 9 health), and May has no article at all.

Bodies: an energy article of April says "pipeline" three times; every other energy article talks
about solar farms; health articles about hospitals; the rest about a council budget.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trends import store

OLD, NEW = "Old Wire", "New Daily"
TOPIC_LABELS = {"energy": "Energy", "health": "Health"}
_OLD_MONTHS = {1: "EEH-", 2: "EEH-", 3: "EEH-", 4: "EEEH"}
_OLD_DAYS = (5, 10, 15, 20)
_NEW_MONTHS = (3, 4, 6)
_NEW_DAYS = (6, 8, 12, 14, 18, 22)
_NEW_TOPICS = "EHHH--"
BODIES = {
    "pipeline": "Pipeline talks stall. The pipeline consortium wants a new pipeline route across the border.",
    "solar": "Solar farms expand across the plains. Cheaper panels change the power market.",
    "health": "Hospital waiting lists grow while clinics hire nurses from abroad.",
    "none": "The council budget debate runs late into the night.",
}


def fixture_rows() -> list[tuple[int, str, dt.date, str | None, str]]:
    """(article_id, source, published, topic or None, body) in id order."""
    rows = []
    for month, topics in _OLD_MONTHS.items():
        for day, code in zip(_OLD_DAYS, topics):
            rows.append((OLD, dt.date(2021, month, day), code))
    for month in _NEW_MONTHS:
        for day, code in zip(_NEW_DAYS, _NEW_TOPICS):
            rows.append((NEW, dt.date(2021, month, day), code))
    out = []
    for i, (source, day, code) in enumerate(sorted(rows, key=lambda r: (r[1], r[0])), start=1):
        topic = {"E": "energy", "H": "health"}.get(code)
        if topic == "energy":
            body = BODIES["pipeline"] if day.month == 4 else BODIES["solar"]
        else:
            body = BODIES["health"] if topic == "health" else BODIES["none"]
        out.append((i, source, day, topic, body))
    return out


def build_coverage_db(path: str | Path, *, rollups: bool = False, search_index: bool = True) -> Path:
    """Write the 34 articles (topic tags, one run, two rejects) into a new database file."""
    from trends import derived
    from trends.tagging.model import ABOUT_THRESHOLD

    path = Path(path)
    started = dt.datetime(2021, 7, 1, 9, 0)
    with store.writer(path, settings={"about_threshold": ABOUT_THRESHOLD}) as con:
        con.execute(
            "INSERT INTO ingest_runs (run_id, command, inputs, started_at, finished_at, status, new_articles, rejected) "
            "VALUES (1, 'ingest', 'wire.jsonl', ?, ?, 'ok', 16, 1), (2, 'ingest', 'daily.jsonl', ?, ?, 'ok', 18, 1)",
            [started, started + dt.timedelta(minutes=1), started + dt.timedelta(hours=1),
             started + dt.timedelta(hours=1, minutes=1)],
        )
        for aid, source, day, topic, body in fixture_rows():
            title = f"{source}: report {aid}"
            con.execute(
                "INSERT INTO articles (article_id, identity, url, source, title, headline, published, authors, body, "
                "word_count, language, content_hash, views, views_observed_at, first_seen, last_seen, input, format, "
                "run_id, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, NULL, NULL, ?, ?, 'fixture', 'jsonl', ?, FALSE)",
                [aid, f"id:{aid}", f"https://example.org/{aid}", source, title, f"report {aid}", day,
                 [f"{source} desk"], body, len(body.split()), f"hash{aid}", started, started, 1 if source == OLD else 2],
            )
            if topic:
                con.execute(
                    "INSERT INTO tags VALUES (?, 'topic', ?, ?, 1, 1.0, 'fixture', [], ?)",
                    [aid, topic, TOPIC_LABELS[topic], day],
                )
        con.execute(
            "INSERT INTO rejects (run_id, input, record, reason, excerpt, rejected_at) VALUES "
            "(1, 'wire.jsonl', '7', 'no title', '', ?), (2, 'daily.jsonl', '3', 'date 2021-13-01 is not a date', 'x', ?)",
            [started + dt.timedelta(seconds=30), started + dt.timedelta(hours=1, seconds=30)],
        )
        derived.rebuild(con, "work", search=search_index)  # this only segment's derived rows
        if not rollups:  # the queries then take the raw-table path
            for table in derived.DASHBOARD_ROLLUPS:
                con.execute(f"DELETE FROM work.{table}")
            con.execute("DELETE FROM work.meta WHERE key = ?", [derived.ROLLUPS_SETTING])
        if not search_index:
            con.execute("DELETE FROM work.meta WHERE key = ?", [derived.SEARCH_SETTING])
    return path
