"""The topic taxonomy: an editable YAML file of topics, each with include/exclude phrases and a threshold."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trends.tagging.lexicon import data_path, load_yaml
from trends.tagging.model import ABOUT_THRESHOLD

DEFAULT_TAXONOMY = "taxonomy.yaml"
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    description: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    threshold: float
    countries_all: tuple[str, ...] = ()
    countries_any: tuple[str, ...] = ()
    min_country_score: float = ABOUT_THRESHOLD


@dataclass
class Taxonomy:
    topics: dict[str, Topic] = field(default_factory=dict)
    source: str = ""

    def phrases(self) -> list[tuple[str, str]]:
        """(topic key, phrase) for include phrases and (topic key + "!", phrase) for exclude phrases."""
        out = []
        for topic in self.topics.values():
            out.extend((topic.key, p) for p in topic.include)
            out.extend((topic.key + "!", p) for p in topic.exclude)
        return out


def default_taxonomy_path() -> Path:
    return data_path(DEFAULT_TAXONOMY)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; a bad file raises ValueError with a one-line reason."""
    path = Path(path) if path else default_taxonomy_path()
    if not path.is_file():
        raise FileNotFoundError(f"taxonomy file not found: {path}")
    try:
        data = load_yaml(path)
    except Exception as exc:  # yaml.YAMLError and friends: report one line
        raise ValueError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    raw_topics = data.get("topics")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise ValueError(f"{path}: expected a non-empty list under 'topics'")
    taxonomy = Taxonomy(source=str(path))
    for i, raw in enumerate(raw_topics):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: topic #{i + 1} is not a mapping")
        key = str(raw.get("key", "")).strip()
        if not _KEY_RE.match(key):
            raise ValueError(f"{path}: topic #{i + 1} needs a key of lower-case letters, digits and hyphens")
        if key in taxonomy.topics:
            raise ValueError(f"{path}: topic key {key!r} appears twice")
        include = tuple(str(p).strip().lower() for p in raw.get("include") or [] if str(p).strip().rstrip("*"))
        if not include and not raw.get("countries"):
            raise ValueError(f"{path}: topic {key!r} has no include phrases")
        threshold = _number(raw.get("threshold", 2), path, key, "threshold")
        if threshold <= 0:
            raise ValueError(f"{path}: topic {key!r} threshold must be > 0")
        countries = raw.get("countries") or {}
        if not isinstance(countries, dict):
            raise ValueError(f"{path}: topic {key!r} countries must be a mapping with 'all' and/or 'any'")
        taxonomy.topics[key] = Topic(
            key=key,
            label=str(raw.get("label") or key),
            description=str(raw.get("description") or ""),
            include=include,
            exclude=tuple(str(p).strip().lower() for p in raw.get("exclude") or [] if str(p).strip()),
            threshold=threshold,
            countries_all=tuple(str(c).upper() for c in countries.get("all") or []),
            countries_any=tuple(str(c).upper() for c in countries.get("any") or []),
            min_country_score=_number(countries.get("min_score", ABOUT_THRESHOLD), path, key, "countries.min_score"),
        )
    return taxonomy


def _number(value, path, key, name) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: topic {key!r} {name} must be a number") from None
