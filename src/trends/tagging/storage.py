"""The few writes tagging makes on an open writer connection: replace tags, themes, record a run.

The connection's default catalog is the writer's working segment (`trends.store.writer`); whole-archive
operations (retag, themes fit) run in a rewrite segment that holds every live row, so the plain table
names below see the whole archive there. Rows go in through a registered Arrow table (no values in SQL
text); table names are constants.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterator, Sequence

import pyarrow as pa

from trends.store import insert_rows, set_setting
from trends.tagging.model import Tag

THEME_MODEL_BLOB = "theme_model_blob"  # meta: the fitted ThemeModel (its to_bytes, base64)
THEMES_ASSIGNED = "themes_assigned"  # meta: the fitted_at of the model whose themes every article carries

TAG_SCHEMA = pa.schema([
    ("article_id", pa.int64()), ("kind", pa.string()), ("key", pa.string()), ("label", pa.string()),
    ("mentions", pa.int32()), ("score", pa.float64()), ("method", pa.string()),
    ("spans", pa.list_(pa.list_(pa.int32()))), ("published", pa.date32()),
])
THEME_SCHEMA = pa.schema([
    ("key", pa.string()), ("label", pa.string()), ("top_terms", pa.list_(pa.string())),
    ("weight", pa.float64()), ("articles", pa.int32()), ("fitted_at", pa.timestamp("us")),
])




def tag_rows(article_id: int, published, tags: Sequence[Tag]) -> list[tuple]:
    return [
        (article_id, t.kind, t.key, t.label, int(t.mentions), float(t.score), t.method,
         [[int(s), int(e)] for s, e in t.spans], published)
        for t in tags
    ]


def count_articles(con) -> int:
    return int(con.execute("SELECT count(*) FROM articles").fetchone()[0])


def iter_article_batches(con, batch_size: int) -> Iterator[list[tuple]]:
    """(article_id, title, body, published) in article_id order, one batch at a time (keyset paging)."""
    last = None
    while True:
        if last is None:
            rows = con.execute(
                "SELECT article_id, title, body, published FROM articles ORDER BY article_id LIMIT ?", [batch_size]
            ).fetchall()
        else:
            rows = con.execute(
                "SELECT article_id, title, body, published FROM articles WHERE article_id > ? ORDER BY article_id LIMIT ?",
                [last, batch_size],
            ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def replace_entity_tags(con, article_ids: Sequence[int], rows: Sequence[tuple], tagged_at: dt.datetime) -> None:
    """Delete every non-theme tag of these articles and insert the new rows (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        ids = pa.table({"article_id": pa.array(list(article_ids), type=pa.int64())})
        con.register("_tagging_ids", ids)
        try:
            con.execute("DELETE FROM tags WHERE kind <> 'theme' AND article_id IN (SELECT article_id FROM _tagging_ids)")
            con.execute(
                "UPDATE articles SET tagged_at = ? WHERE article_id IN (SELECT article_id FROM _tagging_ids)", [tagged_at]
            )
        finally:
            con.unregister("_tagging_ids")
        insert_rows(con, "tags", TAG_SCHEMA, rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def sample_texts(con, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` (article_id, text) pairs; article ids are hashes, so id order is a fair sample."""
    return con.execute(
        "SELECT article_id, title || chr(10) || chr(10) || body FROM articles ORDER BY article_id LIMIT ?", [limit]
    ).fetchall()


def iter_texts(con, batch_size: int) -> Iterator[list[tuple]]:
    for rows in iter_article_batches(con, batch_size):
        yield [(aid, f"{title}\n\n{body}", published) for aid, title, body, published in rows]


def replace_themes(con, themes: Sequence[tuple], model_facts: dict, model=None) -> None:
    """Swap in a new theme model: its rows in ``themes``, its facts (and the fitted model, so later
    ingests assign new articles with it) in ``meta``; old theme tags go."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM tags WHERE kind = 'theme'")
        con.execute("DELETE FROM themes")
        insert_rows(con, "themes", THEME_SCHEMA, themes)
        set_setting(con, "theme_model", json.dumps(model_facts))
        set_setting(con, THEME_MODEL_BLOB, _encode_model(model) if model is not None else None)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def insert_theme_tags(con, rows: Sequence[tuple]) -> None:
    insert_rows(con, "tags", TAG_SCHEMA, rows)


def set_theme_counts(con) -> None:
    con.execute(
        "UPDATE themes SET articles = c.n FROM (SELECT key, count(*) AS n FROM tags WHERE kind = 'theme' GROUP BY key) c "
        "WHERE themes.key = c.key"
    )


def start_run(con, command: str, inputs: str, started_at: dt.datetime | None = None, live: str = "work") -> int:
    """A new row in ingest_runs (status 'running'); a run left 'running' by a crash becomes 'interrupted'.

    ``live``: the schema whose ``ingest_runs`` is the whole archive's (the writer's live views); the rows
    are written to the working segment (newest wins per run).
    """
    stale = con.execute(f"SELECT * FROM {live}.ingest_runs WHERE status = 'running'").fetchall()
    if stale:
        ids = [r[0] for r in stale]
        con.execute("DELETE FROM work.ingest_runs WHERE run_id IN (SELECT unnest(?::INTEGER[]))", [ids])
        cols = len(stale[0])
        con.executemany(f"INSERT INTO work.ingest_runs VALUES ({', '.join('?' * cols)})",
                        [list(r[:5]) + ["interrupted"] + list(r[6:]) for r in stale])
    run_id = con.execute(f"SELECT coalesce(max(run_id), 0) + 1 FROM {live}.ingest_runs").fetchone()[0]
    con.execute(
        "INSERT INTO work.ingest_runs (run_id, command, inputs, started_at, status) VALUES (?, ?, ?, ?, 'running')",
        [run_id, command, inputs[:2000], started_at or dt.datetime.now()],
    )
    return int(run_id)


def finish_run(con, run_id: int, updated: int, seconds: float, status: str = "ok") -> None:
    con.execute(
        "UPDATE work.ingest_runs SET finished_at = ?, status = ?, updated_articles = ?, seconds = ? WHERE run_id = ?",
        [dt.datetime.now(), status, updated, seconds, run_id],
    )


def _encode_model(model) -> str:
    import base64

    return base64.b64encode(model.to_bytes()).decode("ascii")


def load_theme_model(con, schema: str) -> bytes | None:
    """The archive's fitted theme model (`ThemeModel.to_bytes`), when its themes were assigned to every article."""
    import base64

    rows = dict(con.execute(
        f"SELECT key, value FROM {schema}.meta WHERE key IN ('theme_model', ?, ?)", [THEME_MODEL_BLOB, THEMES_ASSIGNED]
    ).fetchall())
    blob, facts = rows.get(THEME_MODEL_BLOB), rows.get("theme_model")
    if not blob or not facts or rows.get(THEMES_ASSIGNED) != json.loads(facts).get("fitted_at"):
        return None
    data = base64.b64decode(blob)
    from trends.tagging.themes import ThemeModel

    try:  # a model stored by an older version that this one cannot read counts as none: it is refitted
        ThemeModel.from_bytes(data)
    except (ValueError, KeyError, OSError):
        return None
    return data
