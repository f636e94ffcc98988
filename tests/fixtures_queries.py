"""A twelve-article database with every fact written out by hand, for the trends.queries tests.

Months of 2023 (February deliberately empty), three sources, four authors, topics and countries as
below. Expected answers in tests/test_queries.py are worked out from this table, not from the code.

 id source         published   authors            views  topics                   countries
  1 CFR            2023-01-05  A.Smith              100  ukraine-war              UKR RUS
  2 CFR            2023-01-20  B.Jones               50  ukraine-war              RUS CHN
  3 Chatham House  2023-01-25  C.Lee                 10  china-economy            CHN
  4 Brookings      2023-03-03  A.Smith, B.Jones     300  ukraine-war energy       UKR RUS DEU
  5 Brookings      2023-03-15  D.Kim                 20  energy                   DEU
  6 CFR            2023-03-28  A.Smith                5  china-economy            CHN USA
  7 Chatham House  2023-04-02  C.Lee               1000  ukraine-war              UKR RUS
  8 CFR            2023-04-10  B.Jones                0  china-economy energy     CHN RUS
  9 Brookings      2023-04-18  D.Kim               None  -                        USA
 10 Chatham House  2023-04-30  A.Smith               40  ukraine-war (synthetic)  UKR
 11 CFR            2023-05-06  C.Lee                 70  china-economy            CHN USA
 12 Brookings      2023-05-21  B.Jones, D.Kim       400  ukraine-war              RUS UKR

View snapshots: article 1 80 (06-01) then 100 (07-01); 7 400 then 1000; 12 390 then 400; every other
article with views has one snapshot (07-01). Run 1 (started 2023-06-01) added 1-10, run 2 (started
2023-07-01) added 11 and 12. Article 1 links to article 7 ("Read also") and to one unknown title.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trends import store

SOURCES_BY_ID = {1: "CFR", 2: "CFR", 3: "Chatham House", 4: "Brookings", 5: "Brookings", 6: "CFR",
                 7: "Chatham House", 8: "CFR", 9: "Brookings", 10: "Chatham House", 11: "CFR", 12: "Brookings"}

ARTICLES = [
    # id, published, authors, views, topics, countries, title, body
    (1, "2023-01-05", ["A.Smith"], 100, ["ukraine-war"], ["UKR", "RUS"],
     "CFR: Ukraine and the grain corridor", "Kyiv and Moscow argue over shipping. The grain deal may lapse."),
    (2, "2023-01-20", ["B.Jones"], 50, ["ukraine-war"], ["RUS", "CHN"],
     "CFR: Moscow looks east", "Russia courts Beijing as the war drags on."),
    (3, "2023-01-25", ["C.Lee"], 10, ["china-economy"], ["CHN"],
     "Chatham House: China's property slump", "Developers default while Beijing hesitates."),
    (4, "2023-03-03", ["A.Smith", "B.Jones"], 300, ["ukraine-war", "energy"], ["UKR", "RUS", "DEU"],
     "Brookings: Gas, Germany and the war", "Berlin replaced Russian gas faster than expected; Kyiv needs power."),
    (5, "2023-03-15", ["D.Kim"], 20, ["energy"], ["DEU"],
     "Brookings: The German heat pump boom", "Installers cannot keep up with demand."),
    (6, "2023-03-28", ["A.Smith"], 5, ["china-economy"], ["CHN", "USA"],
     "CFR: Chips, tariffs and trade", "Washington tightens export controls on Beijing."),
    (7, "2023-04-02", ["C.Lee"], 1000, ["ukraine-war"], ["UKR", "RUS"],
     "Chatham House: The grain corridor reopens", "Grain ships sail again. Grain prices fall as the grain corridor holds."),
    (8, "2023-04-10", ["B.Jones"], 0, ["china-economy", "energy"], ["CHN", "RUS"],
     "CFR: Pipelines to Beijing", "Power of Siberia 2 stalls over price."),
    (9, "2023-04-18", ["D.Kim"], None, [], ["USA"],
     "Brookings: Congress and the budget", "A shutdown looms in Washington."),
    (10, "2023-04-30", ["A.Smith"], 40, ["ukraine-war"], ["UKR"],
     "Chatham House: Counteroffensive questions", "Kyiv prepares; analysts disagree."),
    (11, "2023-05-06", ["C.Lee"], 70, ["china-economy"], ["CHN", "USA"],
     "CFR: Yuan and dollar", "Beijing and Washington spar over currency."),
    (12, "2023-05-21", ["B.Jones", "D.Kim"], 400, ["ukraine-war"], ["RUS", "UKR"],
     "Brookings: Bakhmut after the battle", "Moscow claims the ruined town; Kyiv regroups."),
]
SYNTHETIC_IDS = {10}
COUNTRY_LABELS = {"UKR": "Ukraine", "RUS": "Russia", "CHN": "China", "DEU": "Germany", "USA": "United States"}
TOPIC_LABELS = {"ukraine-war": "War in Ukraine", "china-economy": "China's economy", "energy": "Energy"}
SNAPSHOTS = {1: [("2023-06-01", 80), ("2023-07-01", 100)], 7: [("2023-06-01", 400), ("2023-07-01", 1000)],
             12: [("2023-06-01", 390), ("2023-07-01", 400)]}
RUN1 = dt.datetime(2023, 6, 1, 9, 0)
RUN2 = dt.datetime(2023, 7, 1, 9, 0)
OBSERVED = dt.datetime(2023, 7, 1, 9, 0)


def build_fixture_db(path: str | Path, *, search_index: bool = True, rollups: bool = False) -> Path:
    """Write the twelve articles (tags, snapshots, related, runs, one reject) into a new database file.

    ``rollups`` keeps the daily roll-ups, so the queries' fast path is exercised on the same facts.
    """
    from trends import derived
    from trends.tagging.model import ABOUT_THRESHOLD

    path = Path(path)
    with store.writer(path, settings={"about_threshold": ABOUT_THRESHOLD}) as con:
        con.execute(
            "INSERT INTO ingest_runs (run_id, command, inputs, started_at, finished_at, status, new_articles) "
            "VALUES (1, 'ingest', 'fixture-a', ?, ?, 'ok', 10), (2, 'ingest', 'fixture-b', ?, ?, 'ok', 2)",
            [RUN1, RUN1 + dt.timedelta(minutes=5), RUN2, RUN2 + dt.timedelta(minutes=5)],
        )
        for aid, published, authors, views, topics, countries, title, body in ARTICLES:
            first_seen = (RUN2 if aid >= 11 else RUN1) + dt.timedelta(minutes=1)
            headline = title.split(": ", 1)[1]
            text = f"{title}\n\n{body}"
            con.execute(
                "INSERT INTO articles (article_id, identity, url, source, title, headline, published, authors, body, "
                "word_count, language, content_hash, views, views_observed_at, first_seen, last_seen, input, format, "
                "run_id, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?, ?, ?, ?, ?, 'fixture', 'seed', ?, ?)",
                [aid, f"url:https://example.org/{aid}", f"https://example.org/{aid}", SOURCES_BY_ID[aid], title,
                 headline, published, authors, body, len(body.split()), f"hash{aid}", views,
                 OBSERVED if views is not None else None, first_seen, OBSERVED, 2 if aid >= 11 else 1,
                 aid in SYNTHETIC_IDS],
            )
            if views is not None:
                for observed, count in SNAPSHOTS.get(aid, [("2023-07-01", views)]):
                    con.execute("INSERT INTO view_snapshots VALUES (?, ?, ?, 1)", [aid, observed, count])
            for kind, keys, labels in (("topic", topics, TOPIC_LABELS), ("country", countries, COUNTRY_LABELS)):
                for rank, key in enumerate(keys):
                    probe = labels[key].split()[-1].lower()
                    start = text.lower().find(probe)
                    spans = [[start, start + len(probe)]] if start >= 0 else []
                    con.execute(
                        "INSERT INTO tags VALUES (?, ?, ?, ?, ?, ?, 'fixture', ?, ?)",
                        [aid, kind, key, labels[key], max(1, len(spans)), 1.0 - rank / 10, spans, published],
                    )
        con.execute(  # "Read also" targets are resolved when read, from the title keys
            "INSERT INTO related VALUES (1, 0, 'Chatham House: The grain corridor reopens', 'the grain corridor reopens'),"
            " (1, 1, 'Some article we never saw', 'some article we never saw')"
        )
        con.execute(
            "INSERT INTO rejects (run_id, input, record, reason, excerpt) VALUES (1, 'bad.txt', NULL, 'empty file', '')"
        )
        # the derived rows of this only segment, recomputed from its base rows (as `trends rebuild` does);
        # without ``rollups`` the roll-ups are emptied and unmarked, so the queries take the raw-table path
        derived.rebuild(con, "work", search=search_index)
        if not rollups:
            for table in derived.DASHBOARD_ROLLUPS:
                con.execute(f"DELETE FROM work.{table}")
            con.execute("DELETE FROM work.meta WHERE key = ?", [derived.ROLLUPS_SETTING])
        if not search_index:
            con.execute("DELETE FROM work.meta WHERE key = ?", [derived.SEARCH_SETTING])
    return path
