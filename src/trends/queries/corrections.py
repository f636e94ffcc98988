"""The analysts' corrections as the dashboard reads them (the writes are `trends.corrections.write`)."""

from __future__ import annotations

import os

import pandas as pd

from trends.queries._base import cursor

COLUMNS = ["kind", "key", "action", "label", "analyst", "note", "corrected_at"]


def article_corrections(db_path: str | os.PathLike, article_id: int) -> pd.DataFrame:
    """The corrections in force on one article (newest first): ``kind, key, action, label, analyst, note,
    corrected_at``; an undone correction (action ``clear``) is not listed."""
    try:
        article_id = int(article_id)
    except (TypeError, ValueError):
        return pd.DataFrame(columns=COLUMNS)
    if not -(2**63) <= article_id < 2**63:
        return pd.DataFrame(columns=COLUMNS)
    cur = cursor(db_path)
    return cur.execute(
        f"SELECT {', '.join(COLUMNS)} FROM corrections WHERE article_id = ? AND action <> 'clear' "
        "ORDER BY corrected_at DESC, kind, key", [article_id]).df()
