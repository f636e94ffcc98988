"""Analyst corrections of tags: "this tag is wrong", "this topic / country / person / organisation is
missing".

A correction is stored with the data, in the archive's ``corrections`` table (newest wins per article,
kind and key), by the archive's one writer: `trends.corrections.write.save` opens an incremental writer,
records the corrections and re-stores each corrected article's tags with its derived rows (roll-up
deltas, tags by key) in one transaction, so every chart counts the correction at once. The dashboard
never writes: it starts ``python -m trends.corrections.write`` as a short-lived child process (as the
first start does for the demo build); an ingest holding the lock only delays it.

Corrections are applied wherever tags are computed (`apply_article`): by that writer, by every later
ingest that retags an article (new or changed text, same identity, so the same ``article_id``), and by
`trends retag`. They are labelled examples when the topic model retrains (`trends retag --retrain`), and
travel as JSONL (`trends corrections export|import`).
"""

from trends.corrections.model import ACTIONS, KINDS, Correction, effective, load_effective, parse_jsonl
from trends.corrections.apply import apply_article, apply_rows

__all__ = ["ACTIONS", "KINDS", "Correction", "apply_article", "apply_rows", "effective", "load_effective", "parse_jsonl"]
