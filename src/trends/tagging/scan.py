"""One Aho-Corasick pass over an article: every alias hit, with word-boundary and case rules applied.

All aliases (countries, people, orgs, blockers, ambiguity cues, topic phrases) live in one automaton
keyed by their case-folded form; the fold keeps offsets, so a hit's (start, end) indexes the original
text. Entity hits then compete leftmost-longest, so "New Mexico" beats "Mexico", "Papua New Guinea"
beats "Guinea" and the blocker "Indian Ocean" swallows "Indian".
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from trends.tagging.lexicon import ANY, Entry, Lexicon, fold

class Hit(NamedTuple):
    start: int
    end: int
    entry: Entry


# Every character below U+3000 that is not a letter or digit (punctuation, symbols, spaces) -> a space.
_NON_WORD = {cp: " " for cp in range(0x3000) if not chr(cp).isalnum()}


def words_only(folded: str) -> str:
    """Every character that is not a letter or digit becomes a space (same length, so offsets hold)."""
    return folded.translate(_NON_WORD)


def build_automaton(lex: Lexicon) -> ahocorasick.Automaton:
    """Keys are `` surface `` with punctuation as spaces, matched in the text padded the same way, so a
    match is always whole words and the automaton reports no hit inside a longer word."""
    merged: dict[str, list[Entry]] = {}
    for surface, entries in lex.entries.items():
        bucket = merged.setdefault(" " + words_only(surface) + " ", [])
        bucket.extend(e for e in entries if e not in bucket)
    automaton = ahocorasick.Automaton()
    for key, entries in merged.items():
        # topic phrases match in any case: kept apart so a hit needs no per-entry checks
        topic = tuple(e for e in entries if e.kind == "topic")
        rest = tuple(e for e in entries if e.kind != "topic")
        # the last item memoises, per surface as written, which of ``rest`` its case rules accept
        automaton.add_word(key, (len(key) - 2, rest, topic, {}))
    automaton.make_automaton()
    return automaton


def scan(automaton: ahocorasick.Automaton, text: str, words: str | None = None) -> tuple[list[Hit], list[tuple], list[tuple]]:
    """(entity hits after overlap resolution, topic hits, cue hits) for one text. Topic hits are
    ``(start, end, entries)`` tuples, one per matched span with every topic entry of that span (there are
    many; one tuple per span is cheaper than one per entry); cue hits are ``(start, end, entry)``.

    ``words`` is ``words_only(fold(text))`` when the caller has it already. The case rules of a key's
    entries depend only on the surface as written, so their verdict is memoised per surface in the
    automaton's value (most articles repeat the same few spellings)."""
    if words is None:
        words = words_only(fold(text))
    padded = " " + words + " "
    entity: list[tuple] = []
    topics: list[tuple] = []
    cues: list[tuple] = []
    add_entity, add_topic = entity.append, topics.append
    for last, (length, entries, topic_entries, memo) in automaton.iter(padded):
        end = last - 1  # padded[last] is the trailing space, padded[i + 1] is text[i]
        start = end - length
        if topic_entries:
            add_topic((start, end, topic_entries))
        if entries:
            original = text[start:end]
            accepted = memo.get(original)
            if accepted is None:
                accepted = memo[original] = _accepted(entries, original)
            entity_entries, cue_entries = accepted
            for entry in entity_entries:
                add_entity((start, end, entry))
            if cue_entries:
                cues.extend([(start, end, entry) for entry in cue_entries])
    return _leftmost_longest(entity), topics, cues


def _accepted(entries: tuple[Entry, ...], original: str) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """(entity entries, cue entries) among ``entries`` whose case rule ``original`` meets, in their order."""
    ok = [entry for entry in entries if entry.case == ANY or entry.accepts(original)]
    return tuple(e for e in ok if e.kind != "cue"), tuple(e for e in ok if e.kind == "cue")


def _leftmost_longest(hits: list[tuple]) -> list[Hit]:
    """Keep non-overlapping hits, preferring the earliest start and then the longest span.

    Several meanings of the very same span (a country and an org) are all kept. ``hits`` are plain
    ``(start, end, entry)`` tuples; the kept ones come back as ``Hit``s.
    """
    if len(hits) < 2:
        return list(map(_as_hit, hits))
    # by start, then the longest first, equal spans in scan order: two stable sorts on C-level keys
    hits.sort(key=_END, reverse=True)
    hits.sort(key=_START)
    kept: list[tuple] = []
    frontier = -1
    for hit in hits:
        start, end = hit[0], hit[1]
        if start >= frontier:
            kept.append(hit)
            frontier = end
        elif kept and start == kept[-1][0] and end == kept[-1][1]:
            kept.append(hit)
        else:
            # A longer hit starting later can still beat a shorter one that overlaps it
            # ("the Kremlin" vs "Kremlin" start differently; "Guinea-Bissau" after "Guinea").
            last = kept[-1]
            if end > last[1] and start > last[0] and (end - start) > (last[1] - last[0]):
                while kept and kept[-1][1] > start and (kept[-1][1] - kept[-1][0]) < (end - start):
                    kept.pop()
                if not kept or kept[-1][1] <= start:
                    kept.append(hit)
                    frontier = end
    return list(map(_as_hit, kept))


_START, _END = itemgetter(0), itemgetter(1)
_as_hit = partial(tuple.__new__, Hit)  # a Hit from a (start, end, entry) tuple, without a Python-level call
