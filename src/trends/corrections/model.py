"""What a correction is, how it is read from JSONL (one clear line per bad record), and which
corrections are in force (the newest per article, kind and key; ``clear`` undoes one)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

KINDS = ("topic", "country", "person", "org")
ACTIONS = ("add", "remove", "clear")  # add: the article is about it; remove: the tag is wrong; clear: undo
MAX_TEXT = 500  # characters in a label, title, analyst or note


@dataclass(frozen=True)
class Correction:
    article_id: int
    kind: str
    key: str
    action: str
    label: str | None = None
    identity: str | None = None  # the article's identity (url:..., id:..., td:...): what makes article_id
    title: str | None = None  # for people reading an export
    analyst: str | None = None
    note: str | None = None
    corrected_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def target(self) -> tuple[int, str, str]:
        return (self.article_id, self.kind, self.key)

    def row(self) -> tuple:
        """The ``corrections`` table's column order."""
        return (self.article_id, self.kind, self.key, self.action, self.label, self.identity, self.title,
                self.analyst, self.note, self.corrected_at)

    def to_json(self) -> dict:
        out = asdict(self)
        out["corrected_at"] = self.corrected_at.isoformat()
        return out

    @classmethod
    def from_json(cls, obj, where: str = "correction") -> "Correction":
        """A correction from a JSON object; ValueError with one line saying what is wrong."""
        if not isinstance(obj, dict):
            raise ValueError(f"{where}: not a JSON object")
        unknown = set(obj) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        try:
            article_id = int(obj["article_id"])
        except KeyError:
            raise ValueError(f"{where}: article_id is missing") from None
        except (TypeError, ValueError):
            raise ValueError(f"{where}: article_id {obj.get('article_id')!r} is not a whole number") from None
        if isinstance(obj["article_id"], bool) or not 0 <= article_id < 2**63:
            raise ValueError(f"{where}: article_id {obj['article_id']!r} is not an article id")
        kind, action = obj.get("kind"), obj.get("action")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)} (got {kind!r})")
        if action not in ACTIONS:
            raise ValueError(f"{where}: action must be one of {', '.join(ACTIONS)} (got {action!r})")
        key = obj.get("key")
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            raise ValueError(f"{where}: key must be a non-empty text of at most 200 characters")
        text = {}
        for name in ("label", "identity", "title", "analyst", "note"):
            value = obj.get(name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{where}: {name} must be text")
            text[name] = value[:MAX_TEXT * (8 if name == "identity" else 1)] if value else None
        if text["identity"]:
            from trends.store import stable_id

            if stable_id(text["identity"]) != article_id:
                raise ValueError(f"{where}: article_id {article_id} is not the id of identity {text['identity'][:80]!r}")
        stamp = obj.get("corrected_at")
        try:
            when = dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.now().replace(microsecond=0)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: corrected_at {stamp!r} is not an ISO date-time") from None
        if when.tzinfo is not None:
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return cls(article_id, kind, key.strip(), action, corrected_at=when, **text)


def parse_jsonl(text: str, name: str = "corrections") -> list[Correction]:
    """Every correction of a JSONL text (blank lines skipped); the first bad line is a ValueError naming it."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise ValueError(f"{name} line {n}: not valid JSON") from None
        out.append(Correction.from_json(obj, f"{name} line {n}"))
    return out


def effective(corrections) -> dict[int, dict[tuple[str, str], Correction]]:
    """The corrections in force per article: the newest per (kind, key), clears dropped."""
    newest: dict[tuple[int, str, str], Correction] = {}
    for c in corrections:
        old = newest.get(c.target)
        if old is None or c.corrected_at >= old.corrected_at:
            newest[c.target] = c
    out: dict[int, dict[tuple[str, str], Correction]] = {}
    for c in newest.values():
        if c.action != "clear":
            out.setdefault(c.article_id, {})[(c.kind, c.key)] = c
    return out


COLUMNS = ("article_id", "kind", "key", "action", "label", "identity", "title", "analyst", "note", "corrected_at")


def read_all(con, schema: str, article_ids=None) -> list[Correction]:
    """The stored corrections (each the newest for its article, kind and key), optionally of some articles."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM {schema}.corrections"
    params: list = []
    if article_ids is not None:
        sql += " WHERE article_id IN (SELECT unnest(?::BIGINT[]))"
        params.append([int(a) for a in article_ids])
    rows = con.execute(sql + " ORDER BY article_id, kind, key", params).fetchall()
    return [Correction(*r) for r in rows]


def load_effective(con, schema: str, article_ids=None) -> dict[int, dict[tuple[str, str], Correction]]:
    return effective(read_all(con, schema, article_ids))
