"""The tagger: one automaton pass, then the trap rules, salience scores, topics and name discovery."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from trends.tagging import about
from trends.tagging.classifier import RuleEvidence
from trends.tagging.discovery import discover, line_is_headline, slugify, spacy_entities, spacy_pipeline
from trends.tagging.lexicon import build_lexicon, fold
from trends.tagging.model import ABOUT_THRESHOLD, Tag
from trends.tagging.profile import TaggingProfile, default_profile, profile_for_taxonomy
from trends.tagging.salience import BODY_WEIGHT, LEAD_WEIGHT, TITLE_WEIGHT, Layout, scores
from trends.tagging.scan import Hit, build_automaton, scan, words_only
from trends.tagging.topics import Taxonomy, Topic

TOPIC_TITLE_WEIGHT = 3.0
TOPIC_LEAD_WEIGHT = 1.5
# A mention that only implies a country ("the Senate", "GOP") weighs this much of a named one (towards "about").
IMPLIED_WEIGHT = 1.0
# Topic tags scoring below this are not kept at all (at or above ABOUT_THRESHOLD the article is about it).
MIN_TOPIC_SCORE = 0.3
# Weights that are multiples of 0.5 sum exactly in a float, so a sum of them can be counted by position
# (``_weighted``) instead of added mention by mention, with the same result to the last bit.
_SALIENCE_WEIGHTS = (TITLE_WEIGHT, LEAD_WEIGHT, BODY_WEIGHT)
_TOPIC_WEIGHTS = (TOPIC_TITLE_WEIGHT, TOPIC_LEAD_WEIGHT, 1.0)
_HALVES_SALIENCE = all(float(2 * w).is_integer() for w in _SALIENCE_WEIGHTS)
_HALVES_TOPIC = all(float(2 * w).is_integer() for w in _TOPIC_WEIGHTS)

# Words that may stand next to a person-like place name without making it a person's name.
_NOT_NAMES = frozenset(
    """a an the in of to and or but nor for from with by on at as if so than that this these those both between about
    against into over under via like unlike including across toward towards within without near said says say told
    when while after before since why how what where who which whose during per neighbouring neighboring north south
    east west northern southern eastern western central king queen president prime minister government republic
    kingdom state states visit visiting visited is was are were has have had will would could should may might
    new old all most many some each every its his her their our my your amid among across upon
    gov sen rep governor senator secretary attorney police county court supreme house senate legislature officials
    voters democrats republicans democratic republican election elections primary runoff
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)


class Tagger:
    """Holds the automaton, taxonomy and topic model of one profile; build once per process (see
    ``trends.tagging.parallel.tagger_for``)."""

    def __init__(self, taxonomy: str | Path | Taxonomy | TaggingProfile | None = None):
        if isinstance(taxonomy, TaggingProfile):
            self.profile = taxonomy
        elif isinstance(taxonomy, Taxonomy):
            self.profile = TaggingProfile.from_taxonomy(taxonomy)
        elif taxonomy is None:
            self.profile = default_profile()
        else:
            self.profile = profile_for_taxonomy(taxonomy)
        self.taxonomy = self.profile.taxonomy
        self.model = self.profile.model
        self.lexicon = build_lexicon(self.taxonomy.phrases())
        self.automaton = build_automaton(self.lexicon)
        # per model column: the topic's rule threshold (a model topic missing from the taxonomy: never given)
        self._thresholds = None
        if self.model is not None:
            self._thresholds = np.array(
                [self.taxonomy.topics[k].threshold if k in self.taxonomy.topics else 1.0 for k in self.model.topics]
            )
        # (topic, ISO3) pairs whose country mentions count as rule evidence
        self._country_rules = [(t.key, iso) for t in self.taxonomy.topics.values() for iso in t.evidence_countries]
        # the learned "about" model for countries (None: the hand-set salience decides)
        self.about_model = about.bundled_model()
        self._candidate_sink: list | None = None  # set by ``country_candidates``

    # ------------------------------------------------------------------------------------------ public

    def extract(self, text: str) -> list[Tag]:
        return self.extract_many([text])[0]

    def extract_many(self, texts: list[str]) -> list[list[Tag]]:
        """Each text's tags (what ``extract`` gives it alone), with the topic model's calibration done once
        for the batch: the text is folded once and shared by the scan, the rules and the features."""
        model = self.model
        out: list[list[Tag]] = []
        rules_of: list[dict[str, RuleEvidence]] = []
        margins = []
        batch: list[int] = []  # positions of the non-empty texts
        for i, text in enumerate(texts):
            if not text:
                out.append([])
                continue
            folded = fold(text)
            words = words_only(folded)
            tags, rules = self._entities_and_rules(text, folded, words)
            out.append(tags)
            rules_of.append(rules)
            if model is not None:
                margins.append(model.margins(text, words.split()))
            batch.append(i)
        if batch:
            scores = model.calibrated(np.stack(margins), rules_of, self._thresholds) if model is not None else None
            for row, i in enumerate(batch):
                out[i].extend(self._topic_tags(rules_of[row], scores[row] if scores is not None else None))
        return out

    def entities_and_rules(self, text: str) -> tuple[list[Tag], dict[str, RuleEvidence]]:
        """Country, person and org tags, and the taxonomy rules' evidence per topic (what training reads)."""
        folded = fold(text)
        return self._entities_and_rules(text, folded, words_only(folded))

    def _entities_and_rules(self, text: str, folded: str, words: str) -> tuple[list[Tag], dict[str, RuleEvidence]]:
        """``entities_and_rules`` given the text folded once (``lexicon.fold``) and as words (``scan.words_only``)."""
        layout = Layout.of(text)
        entity_hits, topic_hits, cue_hits = scan(self.automaton, text, words)
        headline_lines: dict[int, bool] = {}
        spans: dict[str, dict[str, list[tuple[int, int]]]] = {"country": defaultdict(list), "person": defaultdict(list), "org": defaultdict(list)}
        ambiguous: list[Hit] = []
        implied: set[tuple[int, int]] = set()
        surnames: set[str] = set()  # city names read as a person's surname somewhere in the text ("Naomi Osaka")
        lex = self.lexicon
        person_like, languages, not_the_place = lex.person_like, lex.languages, lex.not_the_place
        for hit in entity_hits:
            start, end, entry = hit
            kind = entry.kind
            if kind == "blocker":
                continue
            if kind == "implied":  # "the Senate", "GOP", "Trump": a US story, though the US is not named
                spans["country"][entry.key].append((start, end))
                implied.add((start, end))
                continue
            if kind == "country" or kind == "ambiguous":
                if entry.surface in person_like or entry.source in _CITY_SOURCES:
                    # "Naomi Osaka", "George Floyd", "Kobe Bryant": a name word next to it makes it a person;
                    # for big cities only a preceding one counts ("Tokyo Stock Exchange" stays Japan).
                    check_next = entry.source != "big-city" or entry.surface in person_like
                    if _reads_as_personal_name(text, start, end, headline_lines, lex.first_names, check_next):
                        if entry.source in _CITY_SOURCES:
                            surnames.add(text[start:end])
                        continue
                original = text[start:end]
                if original in languages and _reads_as_language(text, start, end, lex):
                    continue  # "speaks Spanish", "Spanish-language", "in French."
                rule = not_the_place.get(original)
                if rule and _next_to(text, start, end, rule["before"], rule["after"]):
                    continue  # "Iceland supermarket", "French fries"
                if _STREET.match(text, end) and not line_is_headline(text, start, headline_lines):
                    continue  # "Grenada Street", "Moscow Road": an address, not the place ("Kenya Road Crash" may be)
                if kind == "ambiguous":
                    ambiguous.append(hit)
                    continue
            spans[kind][entry.key].append((start, end))
        if surnames:
            _drop_surnames(text, entity_hits, surnames, spans["country"])
        if ambiguous:
            self._resolve_ambiguous(ambiguous, cue_hits, spans["country"])
        _drop_qualified_places(text, entity_hits, spans["country"])

        tags: list[Tag] = []
        countries = self._scored("country", spans["country"], layout, self.lexicon.country_labels, "gazetteer", implied)
        if countries and (self.about_model is not None or self._candidate_sink is not None):
            countries = self._about_scored(countries, text, folded, layout, entity_hits, implied)
        if implied:
            # A country only implied is a tag when the article is about it, never a mere mention.
            for tag in countries:
                if all(span in implied for span in tag.spans):
                    tag.method = "implied"
            countries = [t for t in countries if t.method != "implied" or t.about]
        tags.extend(countries)
        taken = [s for kind in ("person", "org", "country") for spl in spans[kind].values() for s in spl if s not in implied]
        discovered = self._discover(text, taken, spans, headline_lines)
        for kind, curated in (("person", self.lexicon.person_labels), ("org", self.lexicon.org_labels)):
            found = self._scored(kind, spans[kind], layout, {**discovered[kind], **curated}, "alias")
            for tag in found:
                if tag.key not in curated:
                    tag.method = "discovered"
            tags.extend(found)
        return tags, self.rule_evidence(text, topic_hits, layout, countries, folded)

    def country_candidates(self, text: str) -> tuple[list[about.Candidate], Layout]:
        """The country candidates of a text as the about model sees them (what training reads)."""
        sink: list = []
        self._candidate_sink = sink
        try:
            self.entities_and_rules(text)
        finally:
            self._candidate_sink = None
        return (sink[0] if sink else []), Layout.of(text)

    # ----------------------------------------------------------------------------------------- helpers

    def _about_scored(self, countries: list[Tag], text: str, folded: str, layout: Layout, entity_hits: list[Hit], implied) -> list[Tag]:
        """Country tags rescored by the learned about model (``trends.tagging.about``)."""
        kind_of: dict[tuple[int, int], str] = {}
        demonyms = self.lexicon.demonyms
        for hit in entity_hits:
            entry = hit.entry
            if entry.kind in ("country", "ambiguous"):
                span = (hit.start, hit.end)
                if text[hit.start : hit.end] in demonyms:
                    kind_of[span] = about.DEMONYM
                elif entry.source in about.PLACE_SOURCES:
                    kind_of[span] = about.PLACE
        title_end, lead_end = layout.title_end, layout.lead_end
        candidates = []
        for tag in countries:
            kinds = tuple(about.IMPLIED if s in implied else kind_of.get(s, about.NAME) for s in tag.spans)
            evidence = _mention_evidence(tag.spans, title_end, lead_end, implied)  # what `_scored` weighed
            candidates.append(about.Candidate(tag.key, tuple(tag.spans), kinds, evidence, tag.score))
        if self._candidate_sink is not None:
            self._candidate_sink.append(candidates)
        if self.about_model is None:
            return countries
        rows = about.features(candidates, text, title_end, lead_end, folded)
        dateline = about.dateline_end(text, title_end)
        for tag, candidate, score in zip(countries, candidates, self.about_model.scores(rows)):
            if about.learned(candidate):
                tag.score = max(score, ABOUT_THRESHOLD) if about.in_dateline(candidate, dateline) else score
            elif about.implied_in_title(candidate, title_end):
                tag.score = max(tag.score, ABOUT_THRESHOLD)
        countries.sort(key=lambda t: (-t.score, t.key))
        return countries


    def _resolve_ambiguous(self, hits: list[Hit], cue_hits: list[tuple], country_spans: dict[str, list[tuple[int, int]]]) -> None:
        """Pick the candidate country with the most cue words, then the most other mentions; else the default."""
        cues = Counter(entry.key for _, _, entry in cue_hits)
        for hit in hits:
            surface = hit.entry.key
            best = max(  # ties: the first candidate (max keeps the first of equals)
                self.lexicon.ambiguous[surface],
                key=lambda iso: 2 * cues[f"{surface}|{iso}"] + len(country_spans.get(iso, ())),
            )
            country_spans[best].append((hit.start, hit.end))

    def _discover(self, text, taken, spans, headline_lines: dict[int, bool]) -> dict[str, dict[str, str]]:
        labels: dict[str, dict[str, str]] = {"person": {}, "org": {}}
        nlp = spacy_pipeline()
        found = spacy_entities(nlp, text, taken) if nlp is not None else discover(text, taken, headline_lines)
        for kind, label, start, end, acronym in found:
            key = slugify(label)
            if key in spans[kind] and key not in labels[kind]:
                spans[kind][key].append((start, end))
                continue
            labels[kind].setdefault(key, label)
            spans[kind][key].append((start, end))
            if acronym:  # "Institute for the Study of War (ISW)": later "ISW" mentions count too
                spans[kind][key].extend(_exact_occurrences(text, acronym, exclude=(start, end + len(acronym) + 3)))
            elif kind == "person" and len(label.split()[-1]) >= 4:  # later "Baerbock" after "Annalena Baerbock"
                spans[kind][key].extend(_exact_occurrences(text, label.split()[-1], exclude=(start, end)))
        return labels  # `_scored` sorts and de-duplicates the spans

    @staticmethod
    def _scored(kind, by_key, layout: Layout, labels, method, implied=frozenset()) -> list[Tag]:
        by_key = {key: sorted(set(spl)) for key, spl in by_key.items() if spl}
        title_end, lead_end = layout.title_end, layout.lead_end
        evidence = {}
        for key, spl in by_key.items():
            evidence[key] = _mention_evidence(spl, title_end, lead_end, implied)
        salience = scores(evidence)
        tags = [
            Tag(kind, key, labels.get(key, key), len(by_key[key]), by_key[key], salience[key], method)
            for key in evidence
        ]
        tags.sort(key=lambda t: (-t.score, t.key))
        return tags

    def rule_evidence(
        self, text: str, hits: list[tuple], layout: Layout, countries: list[Tag], folded: str | None = None
    ) -> dict[str, RuleEvidence]:
        """The taxonomy rules' findings per topic: weighted include mentions, their spans, a title mention,
        and whether the topic's country requirement is met. ``hits``: scan's ``(start, end, entries)``."""
        excluded: dict[str, list[tuple[int, int]]] = {}
        found: dict[str, set[tuple[int, int]]] = {}
        rule = self.taxonomy.rule
        for start, end, entries in hits:
            span = (start, end)
            for entry in entries:
                key = entry.key
                if key.endswith("!"):
                    excluded.setdefault(key[:-1], []).append(span)
                    continue
                if entry.source:  # a contextual rule: check the words around it
                    if folded is None:
                        folded = fold(text)
                    if not rule(entry.source).context_ok(folded, start, end):
                        continue
                spans = found.get(key)
                if spans is None:
                    found[key] = {span}
                else:
                    spans.add(span)
        if self._country_rules and countries:
            country_spans = {t.key: t.spans for t in countries}
            for key, iso in self._country_rules:
                if iso in country_spans:
                    spans = found.get(key)
                    if spans is None:
                        found[key] = set(country_spans[iso])
                    else:
                        spans.update(country_spans[iso])
        present: dict[float, set[str]] = {}  # min score -> the countries at or above it
        out: dict[str, RuleEvidence] = {}
        topics = self.taxonomy.topics
        title_end, lead_end = layout.title_end, layout.lead_end
        for key, spans in found.items():
            topic = topics.get(key)
            if topic is None:
                continue
            cancel = excluded.get(key)
            spl = sorted(s for s in spans if not any(a < s[1] and s[0] < b for a, b in cancel)) if cancel else sorted(spans)
            if not spl:
                continue
            if _HALVES_TOPIC:
                total = _weighted(spl, title_end, lead_end)
            else:
                total = sum(TOPIC_TITLE_WEIGHT if s < title_end else TOPIC_LEAD_WEIGHT if s < lead_end else 1.0 for s, _ in spl)
            out[key] = RuleEvidence(total, spl, spl[0][0] < title_end, _requirement_met(topic, countries, present))
        return out

    def _topic_tags(self, rules: dict[str, RuleEvidence], scores: np.ndarray | None) -> list[Tag]:
        """Topic tags from the model's calibrated scores of the text where the profile has a model for the
        topic, else from the rules alone (meeting the topic's threshold scores exactly ABOUT_THRESHOLD)."""
        tags = []
        model = self.model
        if model is not None:
            for col in np.flatnonzero(scores >= MIN_TOPIC_SCORE):
                key = model.topics[col]
                topic = self.taxonomy.topics.get(key)
                if topic is None:
                    continue
                rule = rules.get(key)
                spl = rule.spans if rule is not None else []
                tags.append(Tag("topic", key, topic.label, len(spl), spl, round(float(scores[col]), 4), "classifier"))
        for key, rule in rules.items():
            if model is not None and key in model.column:
                continue
            topic = self.taxonomy.topics[key]
            if rule.evidence < topic.threshold or not rule.requirement:
                continue
            score = round(min(1.0, ABOUT_THRESHOLD * rule.evidence / topic.threshold), 4)
            tags.append(Tag("topic", key, topic.label, len(rule.spans), rule.spans, score, "taxonomy"))
        tags.sort(key=lambda t: (-t.score, t.key))
        return tags


def _mention_evidence(spl: list[tuple[int, int]], title_end: int, lead_end: int, implied=frozenset()) -> float:
    """An entity's weighted mention total over its sorted spans: `Layout.weight` per mention, times
    IMPLIED_WEIGHT for a mention that only implies it. With weights in halves it is counted by position
    (``_weighted``), which is exact and the same sum."""
    if _HALVES_SALIENCE and (not implied or IMPLIED_WEIGHT == 1.0):
        return _weighted(spl, title_end, lead_end, _SALIENCE_WEIGHTS)
    total = 0
    for s, e in spl:
        weight = TITLE_WEIGHT if s < title_end else LEAD_WEIGHT if s < lead_end else BODY_WEIGHT
        total += weight * IMPLIED_WEIGHT if (s, e) in implied else weight * 1.0
    return total


def _weighted(spl: list[tuple[int, int]], title_end: int, lead_end: int, weights: tuple[float, float, float] | None = None) -> float:
    """Sum of the (title, lead, body) weights of sorted spans (default: the topic weights 3, 1.5, 1),
    counted by position: with weights in halves every partial sum is exact in a float, so it equals the
    mention-by-mention sum."""
    title_w, lead_w, body_w = weights or _TOPIC_WEIGHTS
    in_title = bisect_left(spl, (title_end,))
    in_lead = bisect_left(spl, (lead_end,), in_title) - in_title if lead_end > title_end else 0
    return title_w * in_title + lead_w * in_lead + body_w * (len(spl) - in_title - in_lead)


def _requirement_met(topic: Topic, countries: list[Tag], present: dict[float, set[str]]) -> bool:
    if not (topic.countries_all or topic.countries_any):
        return True
    found = present.get(topic.min_country_score)
    if found is None:
        found = present[topic.min_country_score] = {t.key for t in countries if t.score >= topic.min_country_score}
    if topic.countries_all and not all(c in found for c in topic.countries_all):
        return False
    return not (topic.countries_any and not any(c in found for c in topic.countries_any))


_SMALL_WORDS = frozenset(("in", "into", "from", "to", "fluent", "good", "perfect", "broken", "some", "only", "mostly"))
_CLAUSE_END = frozenset(".,;:!?)\"'\n")


def _word_before(text: str, start: int, words: int = 1) -> str:
    """The ``words`` words before ``start``, lower case, as written (punctuation inside kept)."""
    chunk = text[max(0, start - 40) : start].lower().split()
    return " ".join(chunk[-words:]) if chunk else ""


def _next_to(text: str, start: int, end: int, before: tuple[str, ...], after: tuple[str, ...]) -> bool:
    """Does one of ``after`` follow [start, end) (after a space, or right after for "-x" entries), or one of
    ``before`` precede it?"""
    following = text[end : end + 40].lower()
    for w in after:
        if w.startswith("-"):
            if following.startswith(w):
                return True
        elif following.startswith(" " + w) and not following[len(w) + 1 : len(w) + 2].isalpha():
            return True
    if before:
        words = [w.strip(",;:()\"'") for w in _word_before(text, start, 3).split()]
        for n in (1, 2, 3):
            if " ".join(words[-n:]) in before:
                return True
        # "translated from Portuguese", "speaks in Spanish": the cue, then one small word
        if len(words) >= 2 and words[-1] in _SMALL_WORDS and words[-2] in before:
            return True
    return False


def _reads_as_language(text: str, start: int, end: int, lex) -> bool:
    """'speaks Spanish', 'Spanish-language', 'Spanish speakers', 'in French.', 'in French and English'."""
    if _next_to(text, start, end, lex.language_before, lex.language_after):
        return True
    before = _word_before(text, start, 2).split()
    if len(before) == 2 and before[1] in ("and", "or") and before[0].strip(",").title() in lex.languages:
        prev_start = text.rfind(before[0].strip(",").title(), 0, start)
        if prev_start >= 0 and _reads_as_language(text, prev_start, prev_start + len(before[0].strip(",")), lex):
            return True  # "speaks Spanish and French"
    if _word_before(text, start) in ("in", "into", "from"):
        rest = text[end : end + 30]
        nxt = rest.lstrip(" ")
        if not nxt or nxt[0] in _CLAUSE_END:
            return True
        word = nxt.split(" ", 2)
        if word[0] in ("and", "or") and len(word) > 1 and word[1].strip(".,;:") in lex.languages:
            return True
    return False


_CITY_SOURCES = ("place", "big-city")  # capitals are never read as names ("University College London")
# A place name followed by one of these is a street's name, wherever the street is.
_STREET = re.compile(r" (?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Boulevard|Lane|Drive)(?![A-Za-z])")


def _drop_surnames(text: str, hits: list[Hit], surnames: set[str], country_spans: dict[str, list[tuple[int, int]]]) -> None:
    """A city name that the text once uses as a person's surname ("Naomi Osaka") is that person in its
    later bare mentions too ("Osaka said she was tired"), as a reader takes it."""
    for start, end, entry in hits:
        if entry.kind == "country" and entry.source in _CITY_SOURCES and text[start:end] in surnames:
            _drop_span(country_spans, entry.key, (start, end))


def _drop_span(country_spans: dict[str, list[tuple[int, int]]], key: str, span: tuple[int, int]) -> None:
    """Take one mention off a country (and the country off when it has none left)."""
    spl = country_spans.get(key)
    if spl and span in spl:
        spl.remove(span)
        if not spl:
            del country_spans[key]


def _drop_qualified_places(text: str, hits: list[Hit], country_spans: dict[str, list[tuple[int, int]]]) -> None:
    """'Birmingham, Alabama', 'London, Ontario', 'Paris, Texas': the qualifier names the country, so the
    city's own (most populous namesake) country is dropped for that mention."""
    for a, b in zip(hits, hits[1:]):
        if a.entry.kind != "country" or a.entry.source not in ("place", "big-city", "capital") or b.entry.kind != "country":
            continue
        if a.entry.key == b.entry.key or text[a.end : b.start] not in (", ", ",", " (", " in "):
            continue
        _drop_span(country_spans, a.entry.key, (a.start, a.end))


def _exact_occurrences(text: str, word: str, exclude: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum() and not (exclude[0] <= start < exclude[1]):
            out.append((start, end))
        start = text.find(word, end)
    return out


def _reads_as_personal_name(
    text: str, start: int, end: int, cache: dict[int, bool], first_names: frozenset[str], check_next: bool = True
) -> bool:
    """'Michael Jordan', 'Chad Smith', 'Denzel Washington': a capitalised name word right next to it.

    In headlines (every word capitalised) only a known first name just before it counts."""
    headline = line_is_headline(text, start, cache)
    n = len(text)
    if not headline and check_next and end + 1 < n and text[end] == " " and text[end + 1].isupper():
        j = end + 1
        while j < n and (text[j].isalpha() or text[j] in "'-"):
            j += 1
        if text[end + 1 : j].lower() not in _NOT_NAMES:
            return True
    if start >= 2 and text[start - 1] == " " and text[start - 2].isalpha():
        i = start - 2
        while i > 0 and (text[i - 1].isalpha() or text[i - 1] in "'-"):
            i -= 1
        word = text[i : start - 1]
        if headline:
            return word.lower() in first_names
        if word[:1].isupper() and word.lower() not in _NOT_NAMES:
            return True
    return False
