"""Corrections applied to computed tags (pure): a removed tag goes, an added one is *about* (score 1.0,
method ``analyst``), keeping the mentions and spans the tagger found when it had found the key."""

from __future__ import annotations

from trends.corrections.model import Correction

ANALYST_SCORE = 1.0
METHOD = "analyst"


def apply_article(article_id: int, published, rows: list[tuple], corrections: dict[tuple[str, str], Correction]) -> list[tuple]:
    """Tag rows (``trends.tagging.storage.TAG_SCHEMA`` order) of one article with its corrections in force."""
    if not corrections:
        return rows
    out, seen = [], set()
    for row in rows:
        c = corrections.get((row[1], row[2]))
        if c is None:
            out.append(row)
            continue
        seen.add((row[1], row[2]))
        if c.action == "add":
            out.append(row[:5] + (max(ANALYST_SCORE, float(row[5])), METHOD) + row[7:])
    for (kind, key), c in sorted(corrections.items()):
        if c.action == "add" and (kind, key) not in seen:
            out.append((article_id, kind, key, c.label or key, 0, ANALYST_SCORE, METHOD, [], published))
    return out


def apply_rows(rows: list[tuple], in_force: dict[int, dict], published: dict[int, object]) -> list[tuple]:
    """Tag rows of many articles (grouped or not) with the corrections in force (``effective``)."""
    if not in_force:
        return rows
    by_article: dict[int, list[tuple]] = {}
    order: list[int] = []
    for row in rows:
        if row[0] not in by_article:
            by_article[row[0]] = []
            order.append(row[0])
        by_article[row[0]].append(row)
    for aid in published:
        if aid in in_force and aid not in by_article:
            by_article[aid] = []
            order.append(aid)
    out = []
    for aid in order:
        out.extend(apply_article(aid, published.get(aid), by_article[aid], in_force.get(aid, {})))
    return out
