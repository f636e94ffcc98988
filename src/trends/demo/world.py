"""The demo corpus's invented world, compiled from ``trends/data/demo_world.yaml`` for fast sampling.

Why compiled: the generator must make ~20k articles/s, so every template that does not depend on the
individual article is rendered once here (per seed) into sentence pools, and every time-dependent
probability is a numpy table (day x topic) that is sampled in one vectorised call per chunk.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml

POOL_PER_TOPIC = 600  # pre-rendered sentences per topic; the text of an article is a pick from these
HEADLINE_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "for", "in", "of", "on", "or", "the", "to", "with"}
WEEKEND_FACTOR = 0.45  # think tanks publish less on Saturdays and Sundays
PRE_EVENT_DAYS = 4.0  # commentary starts a few days before a scheduled event (summits, elections)


@lru_cache(maxsize=1)
def load_world_yaml() -> dict:
    text = resources.files("trends").joinpath("data/demo_world.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=4096)
def title_case(phrase: str) -> str:
    """'the oil price cap' -> 'the Oil Price Cap' (small words, acronyms like NATO and 'de-risking' parts
    handled); the caller sentence-cases the whole headline, so a leading 'the' becomes 'The'."""
    out = []
    for word in phrase.split(" "):
        if word.isupper() or any(ch.isupper() for ch in word[1:]) or word in HEADLINE_SMALL_WORDS:
            out.append(word)
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(out)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


@dataclass
class Country:
    iso3: str
    name: str
    adj: str
    seats: list[str]


@dataclass
class Topic:
    key: str
    label: str
    views_mu: float
    country_keys: list[str]
    country_cum: list[float]  # cumulative mention weights of country_keys
    people: list[str]
    orgs: list[str]
    phrases: list[str]
    pool: list[str]  # pre-rendered body sentences
    headline_templates: list[str]


@dataclass
class Event:
    name: str
    day: int
    topics: dict[int, float]  # topic index -> amplitude (relative to the topic's base)
    decay: float
    sentences: list[str]


class World:
    """Sources, authors, countries, topics, events and the day x topic publication intensity."""

    def __init__(self, seed: int):
        raw = load_world_yaml()
        self.start: dt.date = raw["period"]["start"]
        self.end: dt.date = raw["period"]["end"]
        self.days = (self.end - self.start).days + 1
        self.scrapes = [dt.datetime.fromisoformat(s) for s in raw["scrapes"]]
        self.sources: list[str] = list(raw["sources"])
        self.authors: list[list[str]] = [list(v["authors"]) for v in raw["sources"].values()]
        self.countries = {
            iso: Country(iso, c["name"], c["adj"], list(c["seats"])) for iso, c in raw["countries"].items()
        }
        # Filler sentences, plain and behind a connector ("Still, the deeper question ...").
        self.filler: list[str] = list(raw["filler"]) + [
            c + f[:1].lower() + f[1:] for c in raw["connectors"] for f in raw["filler"] if not f.startswith("Even so")
        ]
        self.subheadings: list[str] = list(raw["subheadings"])
        self.headline_suffix: list[str] = list(raw["headline_suffix"])
        rng = random.Random(f"demo-world-{seed}")
        topic_items = list(raw["topics"].items())
        self.topic_keys = [k for k, _ in topic_items]
        index = {k: i for i, k in enumerate(self.topic_keys)}
        self.topics: list[Topic] = [
            self._compile_topic(key, spec, raw["generic"], raw["headline_generic"], rng) for key, spec in topic_items
        ]
        self.events: list[Event] = []
        for spec in raw["events"]:
            day = (spec["date"] - self.start).days
            topics = {index[k]: float(v) for k, v in spec["topics"].items() if k in index}
            self.events.append(Event(spec["name"], day, topics, float(spec["decay"]), list(spec["sentences"])))
        base = np.array([float(spec["base"]) for _, spec in topic_items])
        self.topic_base = base
        self.intensity, self.event_of = self._intensity(base)
        cell = self.intensity.ravel()
        self.cell_cdf = np.cumsum(cell) / cell.sum()
        # Sources: each topic's publishers, weighted by their focus.
        focus = np.ones((len(self.topic_keys), len(self.sources)))
        for s, spec in enumerate(raw["sources"].values()):
            for key, mult in (spec.get("focus") or {}).items():
                if key in index:
                    focus[index[key], s] = float(mult)
        self.source_cdf = np.cumsum(focus / focus.sum(axis=1, keepdims=True), axis=1)
        # Secondary topics: those that talk about the same countries (this is what makes countries co-occur).
        vec = np.zeros((len(self.topics), len(self.countries)))
        iso_index = {iso: i for i, iso in enumerate(self.countries)}
        for t, topic in enumerate(self.topics):
            weights = np.diff([0.0, *topic.country_cum])
            for iso, p in zip(topic.country_keys, weights):
                vec[t, iso_index[iso]] = p
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        sim = vec @ vec.T
        np.fill_diagonal(sim, 0.0)
        sim = sim**2 + 0.01
        self.cotopic_cdf = np.cumsum(sim / sim.sum(axis=1, keepdims=True), axis=1)

    # ------------------------------------------------------------------------------------------ compile

    def _slots(self, topic_spec: dict, keys: list[str], cum: list[float], rng: random.Random) -> dict:
        """Fills for one template: two different countries (by the topic's weights), a person, ..."""
        rnd = rng.random
        total = cum[-1]
        c1 = keys[bisect.bisect(cum, rnd() * total)]
        c2 = keys[bisect.bisect(cum, rnd() * total)]
        if c2 == c1 and len(keys) > 1:
            c2 = keys[(keys.index(c1) + 1 + int(rnd() * (len(keys) - 1))) % len(keys)]
        one, two = self.countries[c1], self.countries[c2]
        phrase = topic_spec["phrases"][int(rnd() * len(topic_spec["phrases"]))]
        people, orgs = topic_spec["people"], topic_spec["orgs"]
        return {
            "c1": one.seats[int(rnd() * len(one.seats))] if rnd() < 0.35 else one.name,
            "c2": two.seats[int(rnd() * len(two.seats))] if rnd() < 0.35 else two.name,
            "c1_adj": one.adj,
            "c2_adj": two.adj,
            "s1": one.seats[int(rnd() * len(one.seats))],
            "p": people[int(rnd() * len(people))],
            "o": orgs[int(rnd() * len(orgs))],
            "ph": phrase,
            "ph_t": title_case(phrase),
        }

    def _compile_topic(self, key: str, spec: dict, generic: list[str], headline_generic: list[str], rng) -> Topic:
        keys = list(spec["countries"])
        p = [float(spec["countries"][k]) for k in keys]
        cum = list(np.cumsum(p))
        own = list(spec["sentences"])
        pool = []
        for i in range(POOL_PER_TOPIC):
            # Each of the topic's own sentences appears, then fills of them and of the shared templates.
            template = own[i] if i < len(own) else (rng.choice(own) if rng.random() < 0.55 else rng.choice(generic))
            pool.append(sentence_case(template.format(**self._slots(spec, keys, cum, rng))))
        return Topic(
            key, spec["label"], float(spec["views"]), keys, cum, list(spec["people"]), list(spec["orgs"]),
            list(spec["phrases"]), pool, list(spec["headlines"]) + list(headline_generic),
        )

    def topic_slots(self, t: int, rng: random.Random) -> dict:
        topic = self.topics[t]
        spec = {"phrases": topic.phrases, "people": topic.people, "orgs": topic.orgs}
        return self._slots(spec, topic.country_keys, topic.country_cum, rng)

    def _intensity(self, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Publication intensity per (day, topic): base x weekday x (1 + event bursts), and which event
        dominates each cell (-1: none), so bursting articles can mention their event."""
        days = np.arange(self.days)
        weekday = np.array([(self.start + dt.timedelta(days=int(d))).weekday() for d in days])
        week = np.where(weekday >= 5, WEEKEND_FACTOR, 1.0)
        growth = 0.85 + 0.3 * days / max(1, self.days - 1)  # the archive grows a little every year
        burst = np.zeros((self.days, len(self.topic_keys)))
        best = np.zeros_like(burst)
        event_of = np.full(burst.shape, -1, dtype=np.int32)
        for e, event in enumerate(self.events):
            x = days - event.day
            shape = np.where(x >= 0, np.exp(-np.maximum(x, 0) / event.decay), np.exp(np.minimum(x, 0) / PRE_EVENT_DAYS))
            for t, amp in event.topics.items():
                contribution = amp * shape
                burst[:, t] += contribution
                stronger = (contribution > best[:, t]) & (contribution > 0.5)
                best[stronger, t] = contribution[stronger]
                event_of[stronger, t] = e
        intensity = base[None, :] * (week * growth)[:, None] * (1.0 + burst)
        return intensity, event_of


@lru_cache(maxsize=4)
def world_for(seed: int) -> World:
    return World(seed)
