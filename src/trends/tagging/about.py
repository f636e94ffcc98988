"""Which of an article's countries it is *about*: a small learned model over per-candidate features.

The hand-set salience rule (``trends.tagging.salience``) weighs title and lead mentions and compares a
country with the most mentioned one. What makes a country the subject is more than that: how its
mentions spread through the text, whether it is named by a demonym ("Turkish officials") or only by a
leader or institution ("Putin", "the Senate"), how many other countries compete, how long the text is.
``features`` turns one candidate into those numbers; ``AboutModel`` is a logistic regression over them,
fitted by ``bench/train_country_about.py`` on the tuning half of the development gold set (Wikinews,
HuffPost and UN items only: no Reuters text, no held-out item) and shipped as
``data/country_about.json``. Its probability is mapped onto the tag score so that the cut-off chosen
by cross-validation lands exactly on ``ABOUT_THRESHOLD``: ``score >= 0.6`` still means "about".
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from trends.tagging.model import ABOUT_THRESHOLD

# How a mention names its country (``mention_kind``): by name or alias ("Germany", "the Kremlin"), by
# demonym ("German"), by a place inside it ("Munich", "Berlin"), or only implied ("Merkel", "Senate").
NAME, DEMONYM, PLACE, IMPLIED = "name", "demonym", "place", "implied"
PLACE_SOURCES = frozenset(("capital", "big-city", "place", "region"))
BODY_START_CHARS = 40  # a mention this close to the start of the body stands where a dateline would

FEATURES = (
    "log_mentions",  # log(1 + named mentions)
    "log_implied",  # log(1 + mentions that only imply it: leaders, institutions)
    "share",  # its mentions / every country mention in the text (implied ones included)
    "relative",  # its weighted evidence / the top candidate's
    "salience",  # the hand-set salience score (trends.tagging.salience.scores)
    "in_title",
    "in_lead",
    "at_body_start",  # named in the first BODY_START_CHARS of the body (dateline position)
    "first_position",  # offset of its first mention / text length
    "spread",  # (last mention - first mention) / text length
    "is_top",  # the candidate with the most weighted evidence (ties: all of them)
    "inv_rank",  # 1 / rank by weighted evidence
    "log_candidates",  # log(number of candidate countries)
    "log_length",  # log(1 + characters) / 10
    "has_title",
    "demonym_share",  # share of its mentions that are demonyms
    "place_share",  # share of its mentions that are places inside it (capital, city, state)
    "possessive_share",  # share of its mentions followed by 's ("China's economy")
    "first_person",  # named in a sentence that speaks as "my country" / "our Government" (a speech's own country)
    "paragraph_share",  # paragraphs naming it / paragraphs of the text
)

FIRST_PERSON = ("my country", "our country", "my government", "our government", "my delegation", "my nation",
                "our nation", "my people", "our people")
_CLOSES_SENTENCE = frozenset(".!?:;\"')\u201d")


def paragraph_breaks(text: str) -> list[int]:
    """Where paragraphs end: at a blank line, at a line break before an indented line, or at a line
    break after a sentence's end. A hard-wrapped line break inside a sentence ("...the drought since
    early\nJanuary") is none, so wire copy and PDF speeches are not read as one paragraph per line."""
    out: list[int] = []
    pos = 0  # offset of the current line
    end = 0  # where the last line with text ends (after its last non-blank character)
    last = ""  # that line's last non-blank character
    gap = 0  # newlines since then
    for line in text.split("\n"):
        content = line.strip()
        if content:
            if gap and (gap >= 2 or line[:1].isspace() or last in _CLOSES_SENTENCE):
                out.append(end)
            end, last, gap = pos + len(line.rstrip()), content[-1], 0
        pos += len(line) + 1
        gap += 1
    return out



@dataclass(frozen=True)
class Candidate:
    """One country found in a text: its mention spans and how each one names it."""

    key: str
    spans: tuple[tuple[int, int], ...]
    kinds: tuple[str, ...]  # one of NAME, DEMONYM, PLACE, IMPLIED per span
    evidence: float  # the weighted mention total (title / lead / body weights)
    salience: float


_DATELINE = re.compile(r"[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+)*(?:, [A-Z][A-Za-z.'\-]+(?: [A-Z][A-Za-z.'\-]+)*)?(?=,| \(| -| \u2014| \u2013)")


def dateline_end(text: str, title_end: int) -> int:
    """The end of a wire dateline opening the body ("WASHINGTON, March 3 -", "KYIV, Ukraine (Reuters) -",
    "SALVADOR, Feb 26"): an upper-case place, optionally its region, then a comma, bracket or dash.
    -1 when the body opens otherwise."""
    body = title_end + 2
    m = _DATELINE.match(text, body, body + 60)
    return m.end() if m else -1


def in_dateline(candidate: Candidate, end: int) -> bool:
    """A wire story's dateline names where it happens: a country named there is one it is about."""
    return end > 0 and any(s < end and k != IMPLIED for (s, _), k in zip(candidate.spans, candidate.kinds))


def learned(candidate: Candidate) -> bool:
    """The model scores a country named at least once. One only implied ("Trump tweeted.") keeps the
    hand-set salience: the training set holds too few of them, and a learned score made a single passing
    implication the subject of a story that names no country at all."""
    return any(k != IMPLIED for k in candidate.kinds)


def implied_in_title(candidate: Candidate, title_end: int) -> bool:
    """A country only implied, by a leader or an institution named in the headline ("Trump Would Love To
    Take Up Putin's Invite"), is what the story is about, however much another country is named."""
    return any(s < title_end for s, _ in candidate.spans)


def features(
    candidates: list[Candidate], text: str, title_end: int, lead_end: int, folded: str | None = None
) -> list[list[float]]:
    """One row of ``FEATURES`` per candidate, in the candidates' order (one pass over each one's spans).
    ``folded`` is ``lexicon.fold(text)`` when the caller has it."""
    if not candidates:
        return []
    text_length = len(text)
    n = max(1, text_length)
    if folded is None:
        from trends.tagging.lexicon import fold

        folded = fold(text)
    context = _Context(text, folded)
    total_mentions = sum(len(c.spans) for c in candidates) or 1
    top = max(c.evidence for c in candidates) or 1.0
    ranked = sorted({c.evidence for c in candidates}, reverse=True)
    body_start = title_end + 2
    body_start_end = body_start + BODY_START_CHARS
    shared = (math.log(len(candidates)), math.log1p(text_length) / 10, 1.0 if title_end > 0 else 0.0)
    first_person_sentences, breaks = context.first_person_sentences, context.breaks
    rows = []
    for c in candidates:
        m = len(c.spans) or 1
        implied = demonym = place = possessive = 0
        lead = body_first = first_person = 0.0
        paragraphs = set()
        for (s, e), kind in zip(c.spans, c.kinds):
            if kind == IMPLIED:
                implied += 1
            else:
                if kind == DEMONYM:
                    demonym += 1
                elif kind == PLACE:
                    place += 1
                if body_start <= s < body_start_end:
                    body_first = 1.0
            if title_end <= s < lead_end:
                lead = 1.0
            if text.startswith("'s", e) or text.startswith("\u2019s", e):
                possessive += 1
            if first_person_sentences and any(a <= s < b for a, b in first_person_sentences):
                first_person = 1.0
            paragraphs.add(bisect_right(breaks, s))
        first, last = (c.spans[0][0], c.spans[-1][0]) if c.spans else (n, n)
        rows.append([
            math.log1p(m - implied),
            math.log1p(implied),
            len(c.spans) / total_mentions,
            c.evidence / top,
            c.salience,
            1.0 if first < title_end else 0.0,
            lead,
            body_first,
            first / n,
            (last - first) / n,
            1.0 if c.evidence >= top else 0.0,
            1.0 / (1 + ranked.index(c.evidence)),
            *shared,
            demonym / m,
            place / m,
            possessive / m,
            first_person,
            len(paragraphs) / context.paragraphs,
        ])
    return rows


class _Context:
    """Where the paragraphs end and which sentences speak in the first person."""

    def __init__(self, text: str, folded: str):
        self.breaks = paragraph_breaks(text) if "\n" in text else []
        self.paragraphs = len(self.breaks) + 1
        # the sentences that speak in the first person ("my country"): (start, end) ranges, usually none
        self.first_person_sentences = []
        for phrase in FIRST_PERSON:
            q = folded.find(phrase)
            while q >= 0:
                a = max(folded.rfind(". ", 0, q), folded.rfind("\n", 0, q)) + 1
                b = folded.find(". ", q)
                self.first_person_sentences.append((a, b if b >= 0 else len(folded)))
                q = folded.find(phrase, q + len(phrase))


@dataclass(frozen=True)
class AboutModel:
    """Logistic regression on standardised features, and the probability cut-off that means "about"."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    cutoff: float
    facts: dict

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        out = []
        for row in rows:
            z = self.intercept
            for x, mu, sd, w in zip(row, self.mean, self.scale, self.coef):
                z += w * (x - mu) / sd
            out.append(1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0)
        return out

    def score(self, probability: float) -> float:
        """The tag score: monotone in the probability, ``cutoff`` -> ``ABOUT_THRESHOLD``, 0 -> 0, 1 -> 1."""
        t = self.cutoff
        if probability < t:
            return round(ABOUT_THRESHOLD * probability / t, 4)
        return round(ABOUT_THRESHOLD + (1 - ABOUT_THRESHOLD) * (probability - t) / (1 - t), 4)

    def scores(self, rows: list[list[float]]) -> list[float]:
        return [self.score(p) for p in self.probabilities(rows)]

    def to_json(self) -> str:
        return json.dumps({
            "features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
            "coef": list(self.coef), "intercept": self.intercept, "cutoff": self.cutoff, "facts": self.facts,
        }, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "AboutModel":
        data = json.loads(text)
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(f"country about model: features {names} do not match this tagger's {FEATURES}")
        lengths = {len(data[k]) for k in ("mean", "scale", "coef")}
        if lengths != {len(FEATURES)}:
            raise ValueError("country about model: mean, scale and coef need one value per feature")
        cutoff = float(data["cutoff"])
        if not 0 < cutoff < 1:
            raise ValueError("country about model: cutoff must be strictly between 0 and 1")
        return cls(
            names, tuple(map(float, data["mean"])), tuple(float(s) or 1.0 for s in data["scale"]),
            tuple(map(float, data["coef"])), float(data["intercept"]), cutoff, dict(data.get("facts") or {}),
        )


BUNDLED = "country_about.json"


@lru_cache(maxsize=1)
def bundled_model() -> AboutModel | None:
    """The shipped model, or None when the file is absent (the hand-set salience then decides)."""
    from trends.tagging.lexicon import data_path

    path = Path(data_path(BUNDLED))
    if not path.is_file():
        return None
    return AboutModel.from_json(path.read_text(encoding="utf-8"))
