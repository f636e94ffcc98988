"""The topic taxonomy: an editable YAML file of topics, each with include/exclude phrases and a threshold.

Matching is whole-word and lemma-aware without prefixes that run into other words: a plain phrase
matches itself and the plural of its last word ("sanction" = sanction, sanctions); ``word*`` also
matches the word's inflections and common derivations (``terror*`` = terror, terrors, terrorism,
terrorist, ...; never "terrorbird"), so ``coup*`` cannot match "couple". An include entry may also be
a mapping:

- ``{phrase: wagner, near: [mercenar*, prigozhin, paramilitary], window: 120}``: counts only when one of
  ``near`` occurs within ``window`` characters (either side); ``not_near`` vetoes the same way;
- ``{country: GEO}``: every mention the country tagger resolved to that country counts (so "Georgia"
  counts for the Caucasus only where context made it the country, not the US state).

Exclude phrases cancel the include mentions they overlap ("potato chips" is not "chips").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trends.tagging.lexicon import data_path
from trends.tagging.model import ABOUT_THRESHOLD

DEFAULT_TAXONOMY = "taxonomy.yaml"
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_ISO3_RE = re.compile(r"^[A-Z]{3}$")
DEFAULT_WINDOW = 100

# What ``word*`` adds to a word: inflections and the common derivational endings.
DERIVATIONS = (
    "s", "es", "ed", "d", "ing", "er", "ers", "ism", "isms", "ist", "ists", "istic", "ic", "ics", "ical", "ically",
    "al", "ally", "ation", "ations", "ity", "ities", "ise", "ize", "ised", "ized", "ising", "izing", "isation",
    "ization", "y", "ies", "ied", "ment", "ments", "ence", "ency", "ance", "ancy", "ive", "ous", "ly", "ion", "ions",
)
_VOWELS = set("aeiou")


def plural_forms(word: str) -> set[str]:
    """The word and its regular plural (English): weapon -> weapons, ally -> allies, tax -> taxes."""
    if len(word) < 3 or not word[-1].isalpha():
        return {word}
    if word.endswith("y") and word[-2] not in _VOWELS:
        return {word, word[:-1] + "ies"}
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return {word, word + "es"}
    return {word, word + "s"}


def derived_forms(word: str) -> set[str]:
    """``word*``: the word, its plural, its -ed/-ing forms and common derivations."""
    forms = plural_forms(word)
    stems = {word}
    if word.endswith("e"):
        stems.add(word[:-1])  # drone -> droning; sanction has no e
    if word.endswith("y") and len(word) > 3:
        stems.add(word[:-1] + "i")  # economy -> economies (plural), technology -> technologies
    if len(word) >= 3 and word[-1] not in _VOWELS and word[-2] in _VOWELS and word[-3] not in _VOWELS and word[-1] not in "wxy":
        stems.add(word + word[-1])  # ban -> banned, banning
    for stem in stems:
        forms.update(stem + suffix for suffix in DERIVATIONS)
    return forms


def expand_phrase(phrase: str) -> set[str]:
    """Every surface a phrase matches: the last word is inflected (plural, or derivations with ``*``)."""
    phrase = " ".join(phrase.split()).lower()
    star = phrase.endswith("*")
    phrase = phrase.rstrip("*").strip()
    if not phrase:
        return set()
    head, _, last = phrase.rpartition(" ")
    forms = derived_forms(last) if star else plural_forms(last)
    return {(head + " " + f).strip() for f in forms}


@dataclass(frozen=True)
class Rule:
    """One include entry: a phrase (with optional context), or a country whose mentions count."""

    phrase: str = ""
    country: str = ""
    near: tuple[str, ...] = ()
    not_near: tuple[str, ...] = ()
    window: int = DEFAULT_WINDOW

    @property
    def contextual(self) -> bool:
        return bool(self.near or self.not_near)

    def context_ok(self, folded: str, start: int, end: int) -> bool:
        """Does the text around [start, end) satisfy ``near`` / ``not_near``? (``folded`` is lower case.)"""
        lo, hi = max(0, start - self.window), min(len(folded), end + self.window)
        around = folded[lo:start] + " \x00 " + folded[end:hi]
        if self.near and not _any_word(self.near, around):
            return False
        return not (self.not_near and _any_word(self.not_near, around))


_WORD_RES: dict[tuple[str, ...], re.Pattern] = {}


def _any_word(phrases: tuple[str, ...], text: str) -> bool:
    pattern = _WORD_RES.get(phrases)
    if pattern is None:
        forms = sorted({f for p in phrases for f in expand_phrase(p)}, key=len, reverse=True)
        pattern = _WORD_RES[phrases] = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, forms)) + r")(?![\w])")
    return pattern.search(text) is not None


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
    rules: tuple[Rule, ...] = ()

    @property
    def evidence_countries(self) -> tuple[str, ...]:
        return tuple(r.country for r in self.rules if r.country)


@dataclass
class Taxonomy:
    topics: dict[str, Topic] = field(default_factory=dict)
    source: str = ""
    text: str = ""  # the YAML it was read from (kept so a profile can carry it)

    def phrases(self) -> list[tuple[str, str, str]]:
        """(topic key, surface, rule id) for every include surface, (topic key + "!", surface, "") for excludes.

        The rule id is ``"<topic>#<n>"`` for a contextual rule (see ``rule``), else empty."""
        out = []
        for topic in self.topics.values():
            for n, rule in enumerate(topic.rules):
                if rule.phrase:
                    rid = f"{topic.key}#{n}" if rule.contextual else ""
                    out.extend((topic.key, s, rid) for s in expand_phrase(rule.phrase))
            for p in topic.exclude:
                out.extend((topic.key + "!", s, "") for s in expand_phrase(p))
        return out

    def rule(self, rule_id: str) -> Rule:
        key, _, n = rule_id.partition("#")
        return self.topics[key].rules[int(n)]


def default_taxonomy_path() -> Path:
    return data_path(DEFAULT_TAXONOMY)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; a bad file raises ValueError with a one-line reason."""
    path = Path(path) if path else default_taxonomy_path()
    if not path.is_file():
        raise FileNotFoundError(f"taxonomy file not found: {path}")
    return parse_taxonomy(path.read_text(encoding="utf-8"), str(path))


def parse_taxonomy(text: str, source: str = "taxonomy") -> Taxonomy:
    """A taxonomy from YAML text (a file's content, or the copy a profile carries)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError and friends: report one line
        raise ValueError(f"{source}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a YAML mapping at the top level")
    raw_topics = data.get("topics")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise ValueError(f"{source}: expected a non-empty list under 'topics'")
    taxonomy = Taxonomy(source=source, text=text)
    for i, raw in enumerate(raw_topics):
        if not isinstance(raw, dict):
            raise ValueError(f"{source}: topic #{i + 1} is not a mapping")
        key = str(raw.get("key", "")).strip()
        if not _KEY_RE.match(key):
            raise ValueError(f"{source}: topic #{i + 1} needs a key of lower-case letters, digits and hyphens")
        if key in taxonomy.topics:
            raise ValueError(f"{source}: topic key {key!r} appears twice")
        rules = tuple(_rule(entry, source, key) for entry in raw.get("include") or [])
        rules = tuple(r for r in rules if r.phrase or r.country)
        if not rules and not raw.get("countries"):
            raise ValueError(f"{source}: topic {key!r} has no include phrases")
        threshold = _number(raw.get("threshold", 2), source, key, "threshold")
        if threshold <= 0:
            raise ValueError(f"{source}: topic {key!r} threshold must be > 0")
        countries = raw.get("countries") or {}
        if not isinstance(countries, dict):
            raise ValueError(f"{source}: topic {key!r} countries must be a mapping with 'all' and/or 'any'")
        taxonomy.topics[key] = Topic(
            key=key,
            label=str(raw.get("label") or key),
            description=str(raw.get("description") or ""),
            include=tuple(r.phrase or f"country:{r.country}" for r in rules),
            exclude=tuple(str(p).strip().lower() for p in raw.get("exclude") or [] if str(p).strip()),
            threshold=threshold,
            countries_all=tuple(str(c).upper() for c in countries.get("all") or []),
            countries_any=tuple(str(c).upper() for c in countries.get("any") or []),
            min_country_score=_number(countries.get("min_score", ABOUT_THRESHOLD), source, key, "countries.min_score"),
            rules=rules,
        )
    return taxonomy


def _rule(entry, source: str, key: str) -> Rule:
    if isinstance(entry, dict):
        if "country" in entry:
            iso = str(entry["country"]).strip().upper()
            if not _ISO3_RE.match(iso):
                raise ValueError(f"{source}: topic {key!r}: country {entry['country']!r} is not an ISO3 code")
            return Rule(country=iso)
        phrase = str(entry.get("phrase") or "").strip().lower()
        if not phrase.rstrip("*"):
            raise ValueError(f"{source}: topic {key!r}: an include mapping needs 'phrase' or 'country'")
        lists = {}
        for name in ("near", "not_near"):
            value = entry.get(name) or []
            if not isinstance(value, list):
                raise ValueError(f"{source}: topic {key!r}: {name} of {phrase!r} must be a list")
            lists[name] = tuple(str(v).strip().lower() for v in value if str(v).strip())
        window = int(_number(entry.get("window", DEFAULT_WINDOW), source, key, "window"))
        return Rule(phrase=phrase, near=lists["near"], not_near=lists["not_near"], window=window)
    phrase = str(entry).strip().lower()
    return Rule(phrase=phrase if phrase.rstrip("*") else "")


def _number(value, path, key, name) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: topic {key!r} {name} must be a number") from None
