"""Deterministic synthetic articles: who wrote what, when, about which topic, and how many read it.

Articles are made in fixed-size chunks, each from its own ``numpy`` generator seeded with
``(seed, chunk)``, so the same ``(articles, seed)`` always gives the same corpus, memory stays bounded
at any size, and the vectorised draws (day x topic, source, authors, views) keep generation far
faster than tagging and storing.

The dynamics a dashboard should show:
- topics burst around dated events and fade (``World.intensity``), quieter at weekends;
- countries co-occur because each topic mentions its own set (Russia + China, Israel + Iran, ...) and
  a secondary topic is picked among those sharing countries;
- views are log-normal around a per-topic median, higher for articles written during a burst, and grow
  with age (fast at first, then a slow long tail) - so a second scrape a month later shows growth.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from trends.demo.world import World, sentence_case, world_for

CHUNK = 8192  # articles per chunk (fixed: it is part of what makes a corpus reproducible)
VIEWS_SIGMA = 0.85  # log-normal spread of final view counts
BURST_VIEWS_BONUS = 0.35  # log-views added per unit of log(1 + burst) at publication
SECOND_SCRAPE_RECENT_DAYS = 120  # every article this young is scraped again ...
SECOND_SCRAPE_SHARE = 0.2  # ... and this share of the older ones
TWO_AUTHORS_SHARE = 0.15
SUBHEADING_SHARE = 0.5
SECONDARY_TOPIC_SHARE = 0.35


@dataclass
class DemoArticle:
    """One generated article, as its page shows it (views at both scrapes; 0 = not re-scraped)."""

    index: int
    source: str
    headline: str
    published: dt.date
    views: int
    views_later: int | None
    authors: list[str]
    paragraphs: list[str]
    related: list[str]
    topic: str

    @property
    def title(self) -> str:
        return f"{self.source}: {self.headline}"

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def relative_path(self) -> str:
        """Where its page lives inside a scrape folder (also stored as the record's input)."""
        slug = self.source.lower().replace(" ", "-")
        return f"{self.published.year}/{slug}/{self.index:07d}.txt"


def views_at(final: float, age_days: float) -> int:
    """Views accumulated by ``age_days``: most in the first weeks, then a slow long tail."""
    age = max(age_days, 0.0)
    share = 0.75 * (1.0 - math.exp(-age / 20.0)) + 0.25 * min(1.0, age / 900.0)
    return max(1, int(final * share))


def format_views(views: int, style: int) -> str:
    """Real scrapes show thousands separators now and then: '12 345', '12\u00a0345'."""
    if views < 1000 or style % 3:
        return str(views)
    sep = "\u00a0" if style % 7 == 0 else " "
    return f"{views:,}".replace(",", sep)


def render_page(article: DemoArticle, views: int | None = None) -> str:
    """The article as a seed-format page (the format of tests/fixtures/page-example.txt)."""
    views_line = format_views(article.views if views is None else views, article.index)
    parts = [
        f"Main » News and comments » {article.published.year} » {article.title}",
        article.title,
        article.published.strftime("%d.%m.%Y") + "\n" + views_line,
        "According to " + " and ".join(article.authors),
        *article.paragraphs,
    ]
    if article.related:
        parts.append("Read also:")
        parts.extend(article.related)
    return "\n\n".join(parts) + "\n"


class Generator:
    """Makes the articles of one corpus; ``chunks()`` streams them, ``_chunk(c)`` remakes any one."""

    def __init__(self, articles: int, seed: int = 7):
        if articles < 1:
            raise ValueError(f"--articles must be at least 1 (got {articles})")
        self.articles = int(articles)
        self.seed = int(seed)
        self.world: World = world_for(self.seed)
        self._taken: set[int] = set()  # (source, date, headline) already used: the ingest's identity
        self._headlines: set[str] = set()  # headlines used anywhere, avoided while alternatives exist
        self._misses = 0
        self.rescraped = 0  # articles in the second scrape, known once a full pass has run

    @property
    def n_chunks(self) -> int:
        return (self.articles + CHUNK - 1) // CHUNK

    def chunks(self) -> Iterator[list[DemoArticle]]:
        """Every chunk in order. Title+date pairs are kept unique across the whole corpus."""
        self._taken, self._headlines, self._misses = set(), set(), 0
        rescraped = 0
        for c in range(self.n_chunks):
            chunk = self._chunk(c)
            rescraped += sum(1 for a in chunk if a.views_later is not None)
            yield chunk
        self.rescraped = rescraped

    def __iter__(self) -> Iterator[DemoArticle]:
        for chunk in self.chunks():
            yield from chunk

    # ------------------------------------------------------------------------------------------ chunk

    def _chunk(self, c: int) -> list[DemoArticle]:
        w = self.world
        start = c * CHUNK
        n = min(CHUNK, self.articles - start)
        rng = np.random.default_rng([self.seed, c])
        n_topics = len(w.topic_keys)
        cells = np.searchsorted(w.cell_cdf, rng.random(n), side="right").clip(0, w.cell_cdf.size - 1)
        days, topics = np.divmod(cells, n_topics)
        sources = np.empty(n, dtype=np.int64)
        second = np.full(n, -1, dtype=np.int64)
        want_second = rng.random(n) < SECONDARY_TOPIC_SHARE
        u_source, u_second = rng.random(n), rng.random(n)
        for t in range(n_topics):
            sel = topics == t
            sources[sel] = np.searchsorted(w.source_cdf[t], u_source[sel], side="right")
            sel2 = sel & want_second
            second[sel2] = np.searchsorted(w.cotopic_cdf[t], u_second[sel2], side="right")
        sources = sources.clip(0, len(w.sources) - 1)
        second = np.where(second >= n_topics, n_topics - 1, second)
        # Views: log-normal around the topic median, more during a burst, accrued with age at each scrape.
        burst = w.intensity[days, topics] / (w.topic_base[topics] * 1.0)
        mu = np.array([t.views_mu for t in w.topics])[topics] + BURST_VIEWS_BONUS * np.log(np.maximum(burst, 1.0))
        final = np.exp(mu + VIEWS_SIGMA * rng.standard_normal(n))
        first_scrape, second_scrape = w.scrapes[0], w.scrapes[1]
        base_day = dt.datetime.combine(w.start, dt.time())
        age1 = (first_scrape - base_day).total_seconds() / 86400.0 - days
        age2 = (second_scrape - base_day).total_seconds() / 86400.0 - days
        rescrape = (age1 <= SECOND_SCRAPE_RECENT_DAYS) | (rng.random(n) < SECOND_SCRAPE_SHARE)
        picks = rng.integers(0, 2**31 - 1, size=(n, 8)).tolist()
        days_l, topics_l, sources_l, second_l = days.tolist(), topics.tolist(), sources.tolist(), second.tolist()
        final_l, age1_l, age2_l, rescrape_l = final.tolist(), age1.tolist(), age2.tolist(), rescrape.tolist()
        event_l = w.event_of[days, topics].tolist()

        out: list[DemoArticle] = []
        r = random.Random(int(rng.integers(0, 2**62)))  # the chunk's stream for the text (reproducible)
        for i in range(n):
            t, s, d = topics_l[i], sources_l[i], days_l[i]
            published = w.start + dt.timedelta(days=d)
            headline = self._headline(t, s, published, r)
            authors_of = w.authors[s]
            authors = [authors_of[picks[i][1] % len(authors_of)]]
            if picks[i][2] % 1000 < TWO_AUTHORS_SHARE * 1000:
                other = authors_of[(picks[i][1] + 1 + picks[i][3] % (len(authors_of) - 1)) % len(authors_of)]
                authors.append(other)
            views = views_at(final_l[i], age1_l[i])
            later = views_at(final_l[i], age2_l[i]) if rescrape_l[i] else None
            paragraphs = self._paragraphs(t, second_l[i], event_l[i], r)
            out.append(
                DemoArticle(
                    index=start + i, source=w.sources[s], headline=headline, published=published,
                    views=views, views_later=later, authors=authors, paragraphs=paragraphs, related=[],
                    topic=w.topic_keys[t],
                )
            )
        self._link_related(out, topics_l, rng)
        return out

    def _headline(self, t: int, s: int, published: dt.date, r: random.Random) -> str:
        """A headline unique (as the ingest's title identity) for its source and date, and where the
        templates allow (small corpora) unique in the corpus, so "Read also" links are unambiguous."""
        w = self.world
        topic = w.topics[t]
        for attempt in range(50):
            slots = w.topic_slots(t, r)
            slots["year"] = published.year
            template = r.choice(topic.headline_templates)
            suffix = r.choice(w.headline_suffix) if attempt < 10 else f" ({attempt - 9})"
            if template.endswith("?") and attempt < 10:
                suffix = ""  # "Are Sanctions Working?" takes no "Reconsidered"
            headline = sentence_case(template.format(**slots) + suffix.format(**slots))
            folded = _fold(headline)
            if attempt < 6 and self._misses < 500 and folded in self._headlines:
                if attempt == 5:
                    self._misses += 1  # the templates are running out: stop insisting (large corpora)
                continue  # prefer a headline not used yet (always possible in small corpora)
            key = hash((s, published.toordinal(), folded))
            if key not in self._taken:
                self._taken.add(key)
                self._headlines.add(folded)
                return headline
        raise RuntimeError("could not find a unique headline")  # pragma: no cover - 50 tries never all collide

    def _paragraphs(self, t: int, second: int, event: int, r: random.Random) -> list[str]:
        """Seed-sized text (~300-600 words): a lead, 4-6 paragraphs, maybe a sub-heading."""
        w = self.world
        pool = w.topics[t].pool
        pool2 = w.topics[second].pool if second >= 0 else pool
        filler = w.filler
        rnd = r.random  # int(rnd() * n) is several times faster than randrange(n)
        n_pool, n_pool2, n_filler = len(pool), len(pool2), len(filler)
        lead = []
        if event >= 0 and rnd() < 0.8:
            event_sentences = w.events[event].sentences
            lead.append(event_sentences[int(rnd() * len(event_sentences))])
        lead.append(pool[int(rnd() * n_pool)])
        lead.append(pool[int(rnd() * n_pool)])
        lead.append(filler[int(rnd() * n_filler)])
        lead.append(pool[int(rnd() * n_pool)])
        paragraphs = [" ".join(lead)]
        n_body = 4 + int(rnd() * 3)
        heading_at = 1 + int(rnd() * n_body) if rnd() < SUBHEADING_SHARE else -1
        for p in range(n_body):
            if p == heading_at:
                slots = w.topic_slots(second if second >= 0 and rnd() < 0.5 else t, r)
                paragraphs.append(sentence_case(w.subheadings[int(rnd() * len(w.subheadings))].format(**slots)))
            sentences = []
            for _ in range(4 + int(rnd() * 4)):
                roll = rnd()
                if roll < 0.5:
                    sentences.append(pool[int(rnd() * n_pool)])
                elif roll < 0.7:
                    sentences.append(pool2[int(rnd() * n_pool2)])
                else:
                    sentences.append(filler[int(rnd() * n_filler)])
            paragraphs.append(" ".join(sentences))
        return paragraphs

    def _link_related(self, chunk: list[DemoArticle], topics: list[int], rng: np.random.Generator) -> None:
        """'Read also': 2-3 headlines of other articles in the chunk, preferably on the same topic."""
        by_topic: dict[int, list[int]] = {}
        for i, t in enumerate(topics):
            by_topic.setdefault(t, []).append(i)
        n = len(chunk)
        if n < 2:
            return
        counts = rng.integers(2, 4, size=n).tolist()
        picks = rng.integers(0, 2**31 - 1, size=(n, 12)).tolist()
        for i, article in enumerate(chunk):
            same = by_topic[topics[i]]
            pool = same if len(same) > 4 else range(n)
            chosen: list[str] = []
            for pick in picks[i]:  # a few spare draws in case one hits itself or a repeat
                headline = chunk[pool[pick % len(pool)]].headline
                if headline != article.headline and headline not in chosen:
                    chosen.append(headline)
                    if len(chosen) == counts[i]:
                        break
            article.related = chosen


_NOT_ALNUM = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Case and punctuation folded like the ingest's title identity (letters and digits only)."""
    return _NOT_ALNUM.sub("", text.casefold())
