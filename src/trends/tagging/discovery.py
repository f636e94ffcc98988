"""Finds people and organisations that are on no list, offline, from how English names them.

Method (no model download). If spaCy and an installed English pipeline (``en_core_web_sm``/``md``/``lg``)
are importable, its PERSON and ORG entities are used instead (``spacy_entities``); nothing is ever
downloaded, and without spaCy the heuristics below are the default:

1. "Long Name (ACRONYM)": a run of capitalised words followed by an acronym in parentheses whose
   letters are the run's initials -> an organisation ("Institute for the Study of War (ISW)").
2. Organisation suffixes: capitalised words ending in Institute, Council, Ministry, Bank, Party, ... or
   "Ministry of ...", "Council on ..." -> an organisation ("Valdai Club" is curated; "Asia Society
   Policy Institute" is discovered).
3. Role cues: a title or role ("President", "Foreign Minister", "Senator", "Mr", "spokesman") followed
   by two or three capitalised words -> a person ("Foreign Minister Annalena Baerbock").

Capitalised words are Title-case tokens on one line; ALL CAPS and Title Case lines (headlines) are
skipped, since they capitalise every word. A stoplist
drops generic phrases ("the Council", "Prime Minister"). Spans overlapping a curated hit are skipped,
and a discovered name whose slug equals a curated key merges into it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate

_WORD = r"[A-Z][a-z\u00e0-\u00ff'\u2019]+(?:-[A-Z]?[a-z\u00e0-\u00ff'\u2019]+)*"
_CONNECT = r"(?:of|for|on|and|the|de|du|des|la|le|al|von|van|der)"
_ORG_SUFFIX = (
    r"Institute|Institution|Council|Foundation|Centre|Center|Agency|Organi[sz]ation|Ministry|Commission|Committee|"
    r"Party|University|Fund|Forum|Bank|Corporation|Association|Alliance|Movement|Authority|Court|Parliament|"
    r"Assembly|Club|Society|Academy|Endowment|Service|Guard|Company|Group|Federation|Union|Programme|Program"
)
_ROLE = (
    r"President|Vice President|Prime Minister|Premier|Chancellor|Foreign Minister|Defen[cs]e Minister|Finance Minister|"
    r"Minister|Secretary of State|Secretary|Senator|Sen\.|Governor|General|Gen\.|Admiral|Ambassador|Mr\.?|Mrs\.?|Ms\.?|"
    r"Dr\.?|Professor|Prof\.|King|Queen|Prince|Crown Prince|Chairman|Chairwoman|Commissioner|Speaker|Mayor|"
    r"spokesman|spokeswoman|spokesperson|analyst|economist|envoy|leader|director|commander|CEO|author"
)
# Cheap anchors first (a suffix word, a role word, "(ABC)"); the full pattern is then tried only
# around each anchor, which keeps discovery well under a millisecond per article.


def _anchor_pattern() -> re.Pattern:
    """``\\b(?:(?P<suffix>SUFFIXES)|(?P<role>ROLES))\\b|\\((?P<acr>...)\\)`` with the same matches, made cheap:
    a look-ahead for the possible first characters, then the alternatives grouped by first character in
    their original order (groups never compete, so leftmost-first picks the same alternative), about 3x
    faster. Which list the word came from is read back with ``_SUFFIX_RE`` (suffixes come first)."""
    alternatives = _ORG_SUFFIX.split("|") + _ROLE.split("|")
    groups: dict[str, list[str]] = {}
    for alt in alternatives:
        groups.setdefault(alt[0], []).append(alt[1:])
    body = "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())
    firsts = "".join(groups) + "("
    return re.compile(rf"(?=[{firsts}])(?:\b(?P<word>{body})\b|\((?P<acr>[A-Z][A-Z&]{{1,9}})\))")


_ANCHOR_RE = _anchor_pattern()


def _literal_prefix(alternative: str) -> str:
    """The plain characters an alternative starts with ("Organi" of "Organi[sz]ation", "Mr" of "Mr\\.?")."""
    for i, ch in enumerate(alternative):
        if ch in "\\.?[(|*+{^$":
            return alternative[:i]
    return alternative


@lru_cache(maxsize=1)
def _anchor_starts():
    """An automaton of every anchor's literal start ("President", "Organi", "Mr", "(") in the text as
    written: a match of ``_ANCHOR_RE`` can only begin where one of them does."""
    import ahocorasick

    prefixes = {_literal_prefix(alt) for alt in _ORG_SUFFIX.split("|") + _ROLE.split("|")} | {"("}
    assert all(prefixes), "every anchor starts with a plain character"
    automaton = ahocorasick.Automaton()
    for prefix in prefixes:
        automaton.add_word(prefix, len(prefix))
    automaton.make_automaton()
    return automaton


def anchors(text: str):
    """``_ANCHOR_RE.finditer(text)``, found faster: the pattern is tried only where an anchor's literal
    start occurs (an Aho-Corasick pass) instead of at every character; since it can match nowhere else,
    the first place it matches at or after the previous match's end is the match finditer gives."""
    starts = sorted({end - length + 1 for end, length in _anchor_starts().iter(text)})
    match = _ANCHOR_RE.match
    pos = 0
    for start in starts:
        if start < pos:
            continue
        m = match(text, start)
        if m is not None:
            pos = m.end()
            yield m
_SUFFIX_RE = re.compile(rf"(?:{_ORG_SUFFIX})")
_BEFORE_SUFFIX_RE = re.compile(rf"(?:{_WORD}[ \t]+(?:(?:of|for|on|the|de|al|von|van|der)[ \t]+)*){{1,5}}$")
_AFTER_SUFFIX_RE = re.compile(
    rf"[ \t]+(?:of|for|on)[ \t]+(?:the[ \t]+)?{_WORD}(?:[ \t]+(?:(?:of|and|for)[ \t]+(?:the[ \t]+)?)?{_WORD}){{0,3}}"
)
_BEFORE_ACRONYM_RE = re.compile(rf"{_WORD}(?:[ \t]+(?:{_CONNECT}[ \t]+)*{_WORD}){{1,8}}[ \t]+$")
_NAME_AFTER_ROLE_RE = re.compile(rf"[ \t]+((?:{_WORD}[ \t]+){{1,2}}{_WORD})\b")
_LOOKBEHIND = 120
_LEADING_STOP = re.compile(r"^(?:The|A|An|This|That|Its|His|Her|Their|Our|In|On|At|By|For|From|With|And|But|As|When|While)\s+")
_GENERIC = frozenset(
    {
        "security council", "foreign ministry", "defence ministry", "defense ministry", "central bank", "supreme court",
        "prime minister", "state department", "national security council", "european council", "state council",
    }
)


def slugify(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return slug[:80] or "unnamed"


def _name_for_acronym(name: str, start: int, acronym: str) -> tuple[str, int] | None:
    """The longest tail of ``name`` whose capitalised initials spell ``acronym`` (connectors skipped)."""
    letters = acronym.replace("&", "")
    if len(letters) < 2:
        return None
    words = [(m.start(), m.group(0)) for m in re.finditer(r"[A-Za-z][\w'\u2019-]*", name)]
    for i, (offset, word) in enumerate(words):
        if not word[0].isupper():
            continue
        initials = "".join(w[0] for _, w in words[i:] if w[0].isupper())
        if initials == letters:
            return name[offset:], start + offset
    return None


def _strip(label: str, start: int) -> tuple[str, int]:
    while True:
        m = _LEADING_STOP.match(label)
        if not m:
            return label, start
        label, start = label[m.end():], start + m.end()


def discover(
    text: str, taken: list[tuple[int, int]], headlines: dict[int, bool] | None = None
) -> list[tuple[str, str, int, int, str | None]]:
    """(kind, label, start, end, acronym) for names on no list; ``taken`` are spans of curated hits to skip.

    ``headlines`` is the caller's cache of `line_is_headline` answers for this text, if it has one.
    """

    by_start = sorted(taken)
    starts = [s for s, _ in by_start]
    reach = list(accumulate((e for _, e in by_start), max))  # the furthest end among the first i+1 spans

    def free(start: int, end: int) -> bool:
        """No taken span overlaps [start, end): of the spans starting before ``end``, none reaches past ``start``."""
        n = bisect_left(starts, end)
        return n == 0 or reach[n - 1] <= start

    found: list[tuple[str, str, int, int, str | None]] = []
    headlines = {} if headlines is None else headlines
    for anchor in anchors(text):
        if line_is_headline(text, anchor.start(), headlines):
            continue  # Title Case / ALL CAPS lines capitalise everything: no evidence of a name
        if anchor.group("acr"):
            acronym = anchor.group("acr")
            window_start = max(0, anchor.start() - _LOOKBEHIND)
            m = _BEFORE_ACRONYM_RE.search(text, window_start, anchor.start())
            if not m:
                continue
            named = _name_for_acronym(m.group(0).rstrip(), m.start(), acronym)
            if named and free(named[1], anchor.end()):
                name, start = named
                found.append(("org", name, start, start + len(name), acronym))
        elif _SUFFIX_RE.fullmatch(anchor.group("word")):
            window_start = max(0, anchor.start() - _LOOKBEHIND)
            m = _BEFORE_SUFFIX_RE.search(text, window_start, anchor.start())
            start = m.start() if m else anchor.start()
            end = anchor.end()
            tail = _AFTER_SUFFIX_RE.match(text, end)
            if tail:
                end = tail.end()
            label, start = _strip(text[start:end], start)
            end = start + len(label)
            if len(label.split()) < 2 or label.lower() in _GENERIC or not free(start, end):
                continue
            found.append(("org", label, start, end, None))
        else:
            m = _NAME_AFTER_ROLE_RE.match(text, anchor.end())
            if not m:
                continue
            label, start = m.group(1), m.start(1)
            end = start + len(label)
            if free(start, end):
                found.append(("person", label, start, end, None))
    return _longest_first(found)


def line_is_headline(text: str, pos: int, cache: dict[int, bool]) -> bool:
    """ALL CAPS or Title Case lines give no case clues about names."""
    line_start = text.rfind("\n", 0, pos) + 1
    hit = cache.get(line_start)
    if hit is None:
        line_end = text.find("\n", pos)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        words = [w for w in line.split(None, 24)[:24] if w[:1].isalpha()]
        capitalised = sum(1 for w in words if w[0].isupper())
        hit = cache[line_start] = line == line.upper() or (len(words) >= 3 and capitalised >= 0.7 * len(words))
    return hit


def _longest_first(found):
    """Overlapping discoveries: keep the longest (with an acronym first), in text order."""
    kept: list = []
    for item in sorted(found, key=lambda f: (f[4] is None, f[2] - f[3])):
        if all(item[3] <= k[2] or k[3] <= item[2] for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f[2])


SPACY_MODELS = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg")


@lru_cache(maxsize=1)
def spacy_pipeline():
    """An installed spaCy English pipeline, or None (the usual case: spaCy is optional, never downloaded)."""
    try:
        import spacy  # type: ignore[import-not-found]
    except ImportError:
        return None
    for name in SPACY_MODELS:
        try:
            return spacy.load(name, disable=["lemmatizer", "textcat"])
        except (OSError, ValueError):
            continue
    return None


def spacy_entities(nlp, text: str, taken: list[tuple[int, int]]) -> list[tuple[str, str, int, int, str | None]]:
    """PERSON / ORG entities from a spaCy pipeline, in the same shape as ``discover``."""
    found = []
    for ent in nlp(text).ents:
        kind = {"PERSON": "person", "ORG": "org"}.get(ent.label_)
        if kind and len(ent.text) > 2 and not any(s < ent.end_char and ent.start_char < e for s, e in taken):
            found.append((kind, ent.text, ent.start_char, ent.end_char, None))
    return found
