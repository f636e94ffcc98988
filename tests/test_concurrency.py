"""Ingest while serving: a writer process publishes new generations while threads keep querying."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pandas as pd

from fixtures_queries import build_fixture_db
from trends import queries
from trends.filters import Filter

ROUNDS = 6
PER_ROUND = 50

WRITER = textwrap.dedent(
    """
    import sys, datetime as dt
    from trends.ingest import ingest_records
    from trends.parsing import Record
    db, rounds, per_round = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for r in range(rounds):
        records = [
            Record(title=f"Writer: harvest {r * per_round + i}", headline=f"harvest {r * per_round + i}", source="Writer",
                   published=dt.date(2023, 6, 1) + dt.timedelta(days=i % 28), body="fresh harvest report", views=i,
                   input=f"round-{r}#{i}")
            for i in range(per_round)
        ]
        ingest_records(db, records, tag=False, progress=False)  # one published segment per round
        print("round", r, flush=True)
    """
)


def test_queries_never_fail_while_a_writer_publishes(tmp_path):
    db = build_fixture_db(tmp_path / "live.duckdb", rollups=True)
    errors: list[BaseException] = []
    seen_counts: list[int] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                flt = Filter()
                seen_counts.append(queries.summary(db)["articles"])
                queries.volume(db, flt, "topic", top_n=3)
                queries.drilldown(db, flt, "source", "Writer")
                queries.search(db, flt, "harvest")
                queries.views_over_time(db, flt)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(db), str(ROUNDS), str(PER_ROUND)],
        capture_output=True, text=True, timeout=120,
    )
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert errors == [], repr(errors[:3])
    assert seen_counts and min(seen_counts) >= 12
    # every published state is a whole round: never a half-written batch
    assert all((n - 12) % PER_ROUND == 0 for n in seen_counts)
    assert len(set(seen_counts)) >= 2  # readers really ran while generations changed
    final = 12 + ROUNDS * PER_ROUND
    assert queries.summary(db)["articles"] == final
    rows, total = queries.drilldown(db, Filter(), "source", "Writer")
    assert total == ROUNDS * PER_ROUND
    from trends.queries import _base

    assert _base.use_rollups(Filter())  # every batch wrote its roll-up deltas, so the fast path answered
    june = queries.volume(db, Filter(), "source", keys=["Writer"]).set_index("period")["articles"]
    assert june[pd.Timestamp("2023-06-01")] == ROUNDS * PER_ROUND
    hits, total = queries.search(db, Filter(), "harvest")
    assert total == ROUNDS * PER_ROUND and "notice" not in hits.attrs
