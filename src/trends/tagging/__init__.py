"""Tagging: which countries, people, organisations, topics and themes an article is about.

``extract(text)`` takes ``title + "\\n\\n" + body`` and returns ``Tag`` records whose ``spans`` index
into that text and whose ``score`` is salience; ``Tag.score >= ABOUT_THRESHOLD`` (``tag.about``) means
the article is about it rather than mentioning it in passing. ``extract_many`` spreads a batch over
processes. Themes are fitted per corpus by ``trends.tagging.themes.fit_themes``; ``retag_database``
recomputes every tag in a database.
"""

from __future__ import annotations

from trends.tagging.model import ABOUT_THRESHOLD, KINDS, Tag
from trends.tagging.parallel import TaggingPool, default_tagger, extract, extract_many, tag_records

__all__ = [
    "ABOUT_THRESHOLD", "KINDS", "Tag", "TaggingPool", "default_tagger", "extract", "extract_many", "fit_themes",
    "retag_database", "tag_records",
]


def fit_themes(con, **kwargs):
    """Fit the NMF theme model on the articles in ``con`` and store theme tags (see trends.tagging.themes)."""
    from trends.tagging.themes import fit_themes as _fit

    return _fit(con, **kwargs)


def retag_database(db_path, taxonomy=None, progress=True, **kwargs):
    """Recompute every article's tags in ``db_path`` and refit the themes (see trends.tagging.retag)."""
    from trends.tagging.retag import retag_database as _retag

    return _retag(db_path, taxonomy=taxonomy, progress=progress, **kwargs)
