"""Gold files for measuring the tagger: JSONL records with text fields and label lists, and the one
deterministic split of a labelled set into a tuning half and a held-out half.

The split is computed, never stored: within each source (the record's ``source`` field), records are
ranked by a keyed hash of their ``id`` (``SPLIT_SEED``) and the first half (rounded up) is the tuning
half. So every source is split 50/50, the same file always splits the same way, and no id list derived
from a corpus has to be kept anywhere. Anything fitted (classifier, calibration, thresholds) may look at
the tuning half only; the held-out half is for reporting.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SPLIT_SEED = "commentary-trends-2026"
SPLITS = ("all", "tune", "heldout")


@dataclass(frozen=True)
class GoldRecord:
    text: str
    gold: frozenset[str]
    id: str = ""
    source: str = ""


def normalise_label(field: str, value) -> str:
    """Country codes are upper case; topic keys lower case."""
    value = str(value).strip()
    return value.upper() if field.startswith("countr") else value.lower()


def read_rows(path: str | Path, limit: int | None = None) -> list[dict]:
    """The JSON objects of a JSONL file; a bad line raises ValueError naming the line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"gold file not found: {path}")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise ValueError(f"{path}:{lineno}: not valid JSON") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object")
            row.setdefault("id", f"line:{lineno}")
            row["_line"] = lineno
            rows.append(row)
            if limit and len(rows) >= limit:
                break
    if not rows:
        raise ValueError(f"{path}: no records")
    return rows


def join_text(row: dict, text_fields: list[str]) -> str:
    """The first field is the title; the others are joined as the body (``title + "\\n\\n" + body``)."""
    parts = [str(row.get(f) or "").strip() for f in text_fields]
    return parts[0] + "\n\n" + "\n\n".join(p for p in parts[1:] if p)


def load_gold(
    path: str | Path, text_fields: list[str], labels: str, limit: int | None = None, split: str = "all"
) -> list[GoldRecord]:
    """Records of ``path`` with the label list in field ``labels``, restricted to one half of the split."""
    if not text_fields:
        raise ValueError("--text-fields needs at least one field name")
    if split not in SPLITS:
        raise ValueError(f"--split must be one of {', '.join(SPLITS)}")
    rows = read_rows(path)
    keep = split_ids(rows, split)
    records: list[GoldRecord] = []
    for row in rows:
        if labels not in row:
            raise ValueError(f"{path}:{row['_line']}: no {labels!r} field")
        gold = row[labels] or []
        if not isinstance(gold, list):
            raise ValueError(f"{path}:{row['_line']}: {labels!r} must be a list of codes")
        if str(row["id"]) not in keep:
            continue
        records.append(GoldRecord(
            join_text(row, text_fields), frozenset(normalise_label(labels, g) for g in gold),
            str(row["id"]), str(row.get("source") or ""),
        ))
        if limit and len(records) >= limit:
            break
    return records


def _rank(record_id: str, seed: str) -> str:
    return hashlib.blake2b(f"{seed}\x00{record_id}".encode(), digest_size=8).hexdigest()


def split_ids(rows: list[dict], split: str, seed: str = SPLIT_SEED) -> set[str]:
    """Ids of the rows in ``split`` (all | tune | heldout), stratified by ``source``."""
    ids = {str(r["id"]) for r in rows}
    if split == "all":
        return ids
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_source[str(row.get("source") or "")].append(str(row["id"]))
    tune: set[str] = set()
    for members in by_source.values():
        ranked = sorted(set(members), key=lambda i: _rank(i, seed))
        tune.update(ranked[: (len(ranked) + 1) // 2])
    return tune if split == "tune" else ids - tune
