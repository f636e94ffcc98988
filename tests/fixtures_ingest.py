"""Builders for ingest/parsing tests: seed-format page text with every optional part switchable."""

from __future__ import annotations

SEED_BODY = [
    "Ministers from both countries met in Vienna to discuss the gas transit contract that expires next year.",
    "What happens to the pipeline?",
    "Officials said the talks would continue in March, though neither side published a timetable.",
]


def seed_page(
    title: str = "IISS: Gas Transit Talks Resume in Vienna",
    date: str = "14.02.2024",
    views: str | None = "1 234",
    authors: str | None = "According to A.Smith",
    body: list[str] | None = None,
    related: list[str] | None = ("Pipeline Politics After the War", "Europe Looks for New Suppliers"),
    breadcrumb: bool = True,
    newline: str = "\n",
) -> str:
    lines: list[str] = []
    if breadcrumb:
        lines += [f"Main » News and comments » 2024 » {title}", ""]
    lines += [title, "", date]
    if views is not None:
        lines.append(views)
    lines.append("")
    if authors is not None:
        lines += [authors, ""]
    for paragraph in body if body is not None else SEED_BODY:
        lines += [paragraph, ""]
    if related:
        lines += ["\u00a0", "", "Read also:", ""]
        for item in related:
            lines += [item, ""]
    return newline.join(lines)


def write_huge_page(path, header: str, size: int = 50 * 1024 * 1024):
    """A seed page of ``size`` bytes (52.4 MB by default): too large for one page."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + "14.02.2024\n642\n\n")
        line = "A sentence of body text that goes on and on. " * 20 + "\n\n"
        while fh.tell() < size:
            fh.write(line * 100)
        fh.truncate(size)
    return path


def db_state(db_path) -> dict:
    """Everything an ingest may write about articles, in a comparable form (``last_seen`` aside: it moves)."""
    from trends.store import open_reader

    con = open_reader(db_path)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {
            "articles": q(
                "SELECT article_id, identity, url, source, title, headline, published, authors, body, word_count, "
                "content_hash, views, views_observed_at, first_seen, input, format, synthetic FROM articles ORDER BY article_id"
            ),
            "view_snapshots": q("SELECT article_id, observed_at, views FROM view_snapshots ORDER BY ALL"),
            "related": q("SELECT article_id, position, title, title_key, target_id FROM related ORDER BY ALL"),
            "tags": q("SELECT article_id, kind, key, label, mentions, score, method, published FROM tags ORDER BY ALL"),
        }
    finally:
        con.close()


def counts(db_path) -> dict:
    return {name: len(rows) for name, rows in db_state(db_path).items()}


def query(db_path, sql: str, params=None) -> list:
    from trends.store import open_reader

    con = open_reader(db_path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
