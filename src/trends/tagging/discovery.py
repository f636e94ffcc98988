"""Finds people and organisations that are on no list, offline, from how English names them.

Method (no model download; if spaCy and an English model happen to be installed, ``spacy_entities``
can be used instead, but the default never needs one):

1. "Long Name (ACRONYM)": a run of capitalised words followed by an acronym in parentheses whose
   letters are the run's initials -> an organisation ("Institute for the Study of War (ISW)").
2. Organisation suffixes: capitalised words ending in Institute, Council, Ministry, Bank, Party, ... or
   "Ministry of ...", "Council on ..." -> an organisation ("Valdai Club" is curated; "Asia Society
   Policy Institute" is discovered).
3. Role cues: a title or role ("President", "Foreign Minister", "Senator", "Mr", "spokesman") followed
   by two or three capitalised words -> a person ("Foreign Minister Annalena Baerbock").

Capitalised words are Title-case tokens, so ALL-CAPS headlines never produce discoveries. A stoplist
drops generic phrases ("the Council", "Prime Minister"). Spans overlapping a curated hit are skipped,
and a discovered name whose slug equals a curated key merges into it.
"""

from __future__ import annotations

import re

_WORD = r"[A-Z][a-z\u00e0-\u00ff'\u2019]+(?:-[A-Z]?[a-z\u00e0-\u00ff'\u2019]+)*"
_CONNECT = r"(?:of|for|on|and|the|de|du|des|la|le|al|von|van|der)"
_ORG_SUFFIX = (
    r"(?:Institute|Institution|Council|Foundation|Centre|Center|Agency|Organi[sz]ation|Ministry|Commission|Committee|"
    r"Party|University|Fund|Forum|Bank|Corporation|Association|Alliance|Front|Movement|Authority|Court|Parliament|"
    r"Assembly|Club|Society|Academy|Endowment|Service|Guard|Company|Group|Federation|Union|Programme|Program)"
)
_ORG_RE = re.compile(
    rf"\b((?:{_WORD}\s+(?:{_CONNECT}\s+)*){{1,5}}{_ORG_SUFFIX}"
    rf"(?:\s+(?:of|for|on)\s+(?:the\s+)?{_WORD}(?:\s+(?:and\s+)?{_WORD}){{0,3}})?)"
    rf"|\b((?:Ministry|Institute|Council|Department|Bank|Academy)\s+(?:of|for|on)\s+(?:the\s+)?{_WORD}(?:\s+(?:and\s+)?{_WORD}){{0,3}})"
)
_ACRONYM_RE = re.compile(rf"\b({_WORD}(?:\s+(?:{_CONNECT}\s+)*{_WORD}){{1,8}})\s+\(([A-Z][A-Z&]{{1,9}})\)")
_ROLE = (
    r"(?:President|Vice President|Prime Minister|Premier|Chancellor|Foreign Minister|Defen[cs]e Minister|Finance Minister|"
    r"Minister|Secretary of State|Secretary|Senator|Sen\.|Governor|General|Gen\.|Admiral|Ambassador|Mr\.?|Mrs\.?|Ms\.?|"
    r"Dr\.?|Professor|Prof\.|King|Queen|Prince|Crown Prince|Chairman|Chairwoman|Commissioner|Speaker|Mayor|"
    r"spokesman|spokeswoman|spokesperson|analyst|economist|envoy|leader|director|commander|CEO|author)"
)
_PERSON_RE = re.compile(rf"\b{_ROLE}\s+((?:{_WORD}\s+){{1,2}}{_WORD})\b")
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


def _initials_match(name: str, acronym: str) -> bool:
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'\u2019-]*", name) if w[0].isupper())
    letters = acronym.replace("&", "")
    if len(letters) < 2:
        return False
    it = iter(initials)
    return all(ch in it for ch in letters) and initials[0] == letters[0]


def _strip(label: str, start: int) -> tuple[str, int]:
    while True:
        m = _LEADING_STOP.match(label)
        if not m:
            return label, start
        label, start = label[m.end():], start + m.end()


def discover(text: str, taken: list[tuple[int, int]]) -> list[tuple[str, str, int, int, str | None]]:
    """(kind, label, start, end, acronym) for names on no list; ``taken`` are spans of curated hits to skip."""

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in taken)

    found: list[tuple[str, str, int, int, str | None]] = []
    for m in _ACRONYM_RE.finditer(text):
        name, acronym = m.group(1), m.group(2)
        name, start = _strip(name, m.start(1))
        if _initials_match(name, acronym) and free(start, m.end(2)):
            found.append(("org", name, start, start + len(name), acronym))
            taken = taken + [(start, m.end(2) + 1)]
    for m in _ORG_RE.finditer(text):
        group = 1 if m.group(1) else 2
        label, start = _strip(m.group(group), m.start(group))
        end = start + len(label)
        if len(label.split()) < 2 or label.lower() in _GENERIC or not free(start, end):
            continue
        found.append(("org", label, start, end, None))
    for m in _PERSON_RE.finditer(text):
        label, start = m.group(1), m.start(1)
        end = start + len(label)
        if free(start, end):
            found.append(("person", label, start, end, None))
    return found
