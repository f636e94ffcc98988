"""One Aho-Corasick pass over an article: every alias hit, with word-boundary and case rules applied.

All aliases (countries, people, orgs, blockers, ambiguity cues, topic phrases) live in one automaton
keyed by their case-folded form; the fold keeps offsets, so a hit's (start, end) indexes the original
text. Entity hits then compete leftmost-longest, so "New Mexico" beats "Mexico", "Papua New Guinea"
beats "Guinea" and the blocker "Indian Ocean" swallows "Indian".
"""

from __future__ import annotations

from typing import NamedTuple

import ahocorasick

from trends.tagging.lexicon import ANY, Entry, Lexicon, fold

class Hit(NamedTuple):
    start: int
    end: int
    entry: Entry


def build_automaton(lex: Lexicon) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for surface, entries in lex.entries.items():
        automaton.add_word(surface, (len(surface), tuple(entries)))
    automaton.make_automaton()
    return automaton


def scan(automaton: ahocorasick.Automaton, text: str) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """(entity hits after overlap resolution, topic hits, cue hits) for one text."""
    folded = fold(text)
    n = len(folded)
    entity: list[Hit] = []
    topics: list[Hit] = []
    cues: list[Hit] = []
    for last, (length, entries) in automaton.iter(folded):
        start = last - length + 1
        if start and folded[start - 1].isalnum():
            continue
        end = last + 1
        if end < n and folded[end].isalnum() and folded[last].isalnum():
            continue  # whole words only
        original = text[start:end]
        for entry in entries:
            if entry.case != ANY and not entry.accepts(original):
                continue
            kind = entry.kind
            if kind == "topic":
                topics.append(Hit(start, end, entry))
            elif kind == "cue":
                cues.append(Hit(start, end, entry))
            else:
                entity.append(Hit(start, end, entry))
    return _leftmost_longest(entity), topics, cues


def _leftmost_longest(hits: list[Hit]) -> list[Hit]:
    """Keep non-overlapping hits, preferring the earliest start and then the longest span.

    Several meanings of the very same span (a country and an org) are all kept.
    """
    if len(hits) < 2:
        return hits
    hits.sort(key=lambda h: (h.start, h.start - h.end))
    kept: list[Hit] = []
    frontier = -1
    for hit in hits:
        if hit.start >= frontier:
            kept.append(hit)
            frontier = hit.end
        elif kept and hit.start == kept[-1].start and hit.end == kept[-1].end:
            kept.append(hit)
        else:
            # A longer hit starting later can still beat a shorter one that overlaps it
            # ("the Kremlin" vs "Kremlin" start differently; "Guinea-Bissau" after "Guinea").
            last = kept[-1]
            if hit.end > last.end and hit.start > last.start and (hit.end - hit.start) > (last.end - last.start):
                while kept and kept[-1].end > hit.start and (kept[-1].end - kept[-1].start) < (hit.end - hit.start):
                    kept.pop()
                if not kept or kept[-1].end <= hit.start:
                    kept.append(hit)
                    frontier = hit.end
    return kept
