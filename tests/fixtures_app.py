"""A small, hand-made database for the dashboard tests (AppTest and Chromium).

31 articles, one every 6 days from 2024-01-05 (article i is published on 2024-01-05 + 6*i days), so by
hand: January holds i=0..4, February 5..9, March 10..14, April 15..19, May 20..24, June 25..29, and
article 30 (the hostile one) is on 2024-07-03. Every even article is about the war in
Ukraine (topic ``ukraine-war``, countries UKR and RUS); every odd one is about energy (topic
``energy``, countries DEU and USA); every third mentions China (CHN). Sources rotate Carnegie, Chatham
House, Brookings. Views are ``100 * (i + 1)``; even articles have a first snapshot 50 views lower.
Articles 0, 10 and 20 are flagged synthetic. Articles 25..30 were first seen by the last ingest run.
Article 30 carries a hostile title and body (script and onerror) that must render as text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trends.ingest import normalise_title
from trends.store import stable_id, writer

SOURCES = ("Carnegie", "Chatham House", "Brookings")
START = dt.date(2024, 1, 5)
N_PLAIN = 30
HOSTILE_TITLE = 'BROOKINGS: <script>window.__pwned=1</script> Pipelines <img src=x onerror="window.__pwned=1">'
HOSTILE_BODY = (
    'Energy markets and <img src=x onerror="window.__pwned=1"> pipelines. '
    "<script>window.__pwned=1</script> Germany buys less gas."
)
COUNTRY_WORDS = {"UKR": ("Ukraine", "Ukraine"), "RUS": ("Russia", "Russia"), "DEU": ("Germany", "Germany"),
                 "USA": ("United States", "United States"), "CHN": ("China", "China")}
TOPIC_WORDS = {"ukraine-war": ("Ukraine war", "war"), "energy": ("Energy security", "gas")}


def article_id(i: int) -> int:
    return stable_id(f"url:https://example.org/a/{i}")


def title_of(i: int) -> str:
    if i == N_PLAIN:
        return HOSTILE_TITLE
    subject = "the war in Ukraine" if i % 2 == 0 else "gas and energy"
    return f"{SOURCES[i % 3].upper()}: Note {i} on {subject}"


def body_of(i: int) -> str:
    if i == N_PLAIN:
        return HOSTILE_BODY
    if i % 2 == 0:
        text = f"Russia continues the war against Ukraine. Analysis number {i}."
    else:
        text = f"Germany and the United States discuss gas supplies. Analysis number {i}."
    if i % 3 == 0:
        text += " China watches closely."
    return text


def _tags(i: int, text: str) -> list[tuple]:
    """(kind, key, label, spans) found by plain substring search in title + body."""
    def spans(word: str) -> list[list[int]]:
        out, pos = [], text.find(word)
        while pos >= 0:
            out.append([pos, pos + len(word)])
            pos = text.find(word, pos + 1)
        return out

    wanted = []
    if i == N_PLAIN:
        wanted = [("topic", "energy"), ("country", "DEU")]
    elif i % 2 == 0:
        wanted = [("topic", "ukraine-war"), ("country", "UKR"), ("country", "RUS")]
    else:
        wanted = [("topic", "energy"), ("country", "DEU"), ("country", "USA")]
    if i % 3 == 0 and i != N_PLAIN:
        wanted.append(("country", "CHN"))
    out = []
    for kind, key in wanted:
        label, word = (TOPIC_WORDS if kind == "topic" else COUNTRY_WORDS)[key]
        found = spans(word) or spans(word.lower())
        out.append((kind, key, label, found))
    return out


def build_app_db(path: Path, *, with_articles: bool = True, rollups: bool = False) -> Path:
    """Write the fixture archive at `path` (an empty one when `with_articles` is False).

    ``rollups=True`` keeps the derived daily roll-ups, as every real ingest writes them, so the queries
    take their roll-up paths; without them they read the raw tables.
    """
    from trends import derived
    from trends.tagging.model import ABOUT_THRESHOLD

    with writer(path, settings={"about_threshold": ABOUT_THRESHOLD}) as con:
        if not with_articles:
            return path
        first_run = dt.datetime(2024, 7, 1, 9, 0)
        last_run = dt.datetime(2024, 7, 8, 9, 0)
        con.execute(
            "INSERT INTO ingest_runs (run_id, command, inputs, started_at, finished_at, status, new_articles) "
            "VALUES (1, 'ingest', 'fixture-1', ?, ?, 'ok', 25), (2, 'ingest', 'fixture-2', ?, ?, 'ok', 6)",
            [first_run, first_run + dt.timedelta(minutes=1), last_run, last_run + dt.timedelta(minutes=1)],
        )
        for i in range(N_PLAIN + 1):
            aid = article_id(i)
            title = title_of(i)
            headline = title.split(": ", 1)[1]
            body = body_of(i)
            published = START + dt.timedelta(days=6 * i)
            views = 100 * (i + 1)
            seen = last_run if i >= 25 else first_run
            con.execute(
                "INSERT INTO articles (article_id, identity, url, source, title, headline, published, authors, body, "
                "word_count, language, content_hash, views, views_observed_at, first_seen, last_seen, input, format, "
                "run_id, synthetic, tagged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, ?, 'fixture', "
                "'seed', ?, ?, ?)",
                [aid, f"url:https://example.org/a/{i}", f"https://example.org/a/{i}", SOURCES[i % 3], title, headline,
                 published, [f"Author {i % 4}"], body, len(body.split()), f"hash{i}", views, seen, seen, seen,
                 2 if i >= 25 else 1, i in (0, 10, 20), seen],
            )
            if i % 2 == 0:
                con.execute("INSERT INTO view_snapshots VALUES (?, ?, ?, 1)", [aid, first_run - dt.timedelta(days=7), views - 50])
            con.execute("INSERT INTO view_snapshots VALUES (?, ?, ?, 1)", [aid, seen, views])
            text = title + "\n\n" + body
            for kind, key, label, spans in _tags(i, text):
                con.execute(
                    "INSERT INTO tags VALUES (?, ?, ?, ?, ?, 1.0, 'fixture', ?, ?)",
                    [aid, kind, key, label, max(1, len(spans)), spans, published],
                )
            if i > 0 and i < N_PLAIN:
                con.execute("INSERT INTO related VALUES (?, 1, ?, ?)",
                            [aid, title_of(i - 1).split(": ", 1)[1], normalise_title(title_of(i - 1).split(": ", 1)[1])])
        derived.rebuild(con, "work")  # roll-ups and search rows of this only segment
        if not rollups:
            for table in derived.DASHBOARD_ROLLUPS:
                con.execute(f"DELETE FROM work.{table}")
            con.execute("DELETE FROM work.meta WHERE key = ?", [derived.ROLLUPS_SETTING])
    return path


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in `folder` (recursively) -> its SHA-256: equal before and after means nothing was written."""
    import hashlib

    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def open_for_writing(folder: Path) -> list[str]:
    """Files under `folder` this process holds open with write access (from /proc/self/fd and fdinfo)."""
    import os

    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            with open(f"/proc/self/fdinfo/{fd}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration, ValueError):
            continue
        if target.startswith(str(folder)) and flags & os.O_ACCMODE != os.O_RDONLY:
            found.append(target)
    return found
