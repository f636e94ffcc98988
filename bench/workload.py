"""The workload of bench/run.py: the query families the dashboard's pages ask, the seeded filter mixes,
and the canonical form in which every side's answer is compared.

A family is one page question (``trends.cache.<name>`` in pages/*.py) with the arguments the page
passes by default. Families with a peer are answered by pandas and polars too (bench/peers.py); the
others are timed on our side only and say so in the report.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pandas as pd

from trends import queries as q
from trends.filters import Filter


# family -> (ours(db, flt, ctx), peer method call (peer, flt), columns compared, ordered answer)
# ``ctx`` carries set-up values (a key and period for drill-downs), computed once before timing.
FAMILIES: dict[str, dict] = {
    # Overview / Topics
    "volume_topic": {"ours": lambda db, f, c: q.volume(db, f, "topic"),
                     "peer": lambda p, f: p.volume(f, "topic"),
                     "columns": ["period", "key", "articles", "total", "share"], "ordered": False,
                     "pages": "overview, topics (attention over time, count and share)"},
    "headline": {"ours": lambda db, f, c: q.headline(db, f), "peer": lambda p, f: p.headline(f),
                 "columns": ["articles", "previous_articles", "views", "previous_views", "sources", "authors"],
                 "ordered": True, "pages": "overview (headline numbers)"},
    "top_articles": {"ours": lambda db, f, c: q.top_articles(db, f), "peer": lambda p, f: p.top_articles(f),
                     "columns": ["article_id", "views"], "ordered": True, "pages": "overview, readership (most read)"},
    "facets_topic": {"ours": lambda db, f, c: q.facets(db, f, "topic"), "peer": lambda p, f: p.facets(f, "topic"),
                     "columns": ["key", "articles"], "ordered": True, "pages": "sidebar (topic options)"},
    "facets_source": {"ours": lambda db, f, c: q.facets(db, f, "source"), "peer": lambda p, f: p.facets(f, "source"),
                      "columns": ["key", "articles"], "ordered": True, "pages": "sidebar (source options)"},
    # Countries
    "country_map": {"ours": lambda db, f, c: q.country_map(db, f), "peer": lambda p, f: p.volume(f, "country", None),
                    "columns": ["period", "key", "articles", "share"], "ordered": False, "pages": "countries (world map)"},
    # Readership
    "views_over_time": {"ours": lambda db, f, c: q.views_over_time(db, f), "peer": lambda p, f: p.views_over_time(f),
                        "columns": ["period", "articles", "viewed", "views_sum"], "ordered": False,
                        "pages": "readership (views over time; the median is interpolated from a histogram on "
                                 "roll-up reads, so it is not compared)"},
    "views_by_source": {"ours": lambda db, f, c: q.views_by(db, f, "source"), "peer": lambda p, f: p.views_by(f, "source"),
                        "columns": ["key", "articles", "viewed", "views_sum"], "ordered": True,
                        "pages": "readership (views by source; median not compared, as above)"},
    "views_by_topic": {"ours": lambda db, f, c: q.views_by(db, f, "topic"), "peer": lambda p, f: p.views_by(f, "topic"),
                       "columns": ["key", "articles", "viewed", "views_sum"], "ordered": True,
                       "pages": "readership (views by topic; median not compared)"},
    # ours only (no peer written yet): timed, not compared
    "volume_share_active": {"ours": lambda db, f, c: q.volume(db, f, "topic", measure="share_active"), "peer": None,
                            "pages": "topics (share adjusted for the source mix)"},
    "rising_falling_topic": {"ours": lambda db, f, c: q.rising_falling(db, f, "topic"), "peer": None,
                             "pages": "overview, topics (rising and falling)"},
    "co_mentions": {"ours": lambda db, f, c: q.co_mentions(db, f), "peer": None, "pages": "countries (discussed together)"},
    "search": {"ours": lambda db, f, c: q.search(db, f.replace(text=""), f.text or c["words"][c["i"] % len(c["words"])]), "peer": None,
               "pages": "articles (ranked search)"},
    "drilldown": {"ours": lambda db, f, c: q.drilldown(db, f, "topic", c["topic"], f.date_from), "peer": None,
                  "pages": "every chart (articles behind a clicked point)"},
    "views_distribution": {"ours": lambda db, f, c: q.views_distribution(db, f), "peer": None,
                           "pages": "readership (distribution of views)"},
}

PEER_FAMILIES = [name for name, fam in FAMILIES.items() if fam["peer"]]


def vocabulary(db) -> dict:
    """What the mixes draw from, read once through our queries (untimed set-up)."""
    everything = Filter()
    top = q.top_articles(db, everything, limit=60)
    words = sorted({w.strip(".,:;'\"!?()").lower() for t in top["title"] for w in t.split()
                    if len(w.strip(".,:;'\"!?()")) >= 6 and w.isascii()})
    s = q.summary(db)
    return {
        "first": s["first_date"], "last": s["last_date"],
        "topics": list(q.facets(db, everything, "topic", limit=40)["key"]),
        "countries": list(q.facets(db, everything, "country", limit=40)["key"]),
        "sources": list(q.facets(db, everything, "source", limit=40)["key"]),
        "authors": list(q.facets(db, everything, "author", limit=40)["key"]),
        "words": words[:40] or ["security"],
        "topic": q.facets(db, everything, "topic", limit=1)["key"].iloc[0],
    }


PARTS = ("topic", "country", "source", "author", "text", "min_views")
SPANS = (31, 92, 183, 365, 730, None)  # days; None: the whole archive
GRAINS = ("month",) * 5 + ("week",) * 3 + ("quarter",) * 2


def mixes(vocab: dict, count: int, seed: int) -> list[Filter]:
    """``count`` filters: a date range (31 days to the whole archive) plus 0-3 of topic, country, source,
    author, text, minimum views, drawn with a fixed seed."""
    rng = random.Random(seed)
    first, last = vocab["first"], vocab["last"]
    total = (last - first).days
    out = []
    for _ in range(count):
        span = rng.choice(SPANS)
        if span is None or span >= total:
            lo, hi = first, last
        else:
            lo = first + dt.timedelta(days=rng.randrange(0, total - span + 1))
            hi = lo + dt.timedelta(days=span - 1)
        kw: dict = {"date_from": lo, "date_to": hi, "grain": rng.choice(GRAINS)}
        for part in rng.sample(PARTS, rng.choice((0, 1, 1, 2, 2, 3))):
            if part == "topic":
                kw["topics"] = tuple(rng.sample(vocab["topics"], rng.choice((1, 1, 2))))
            elif part == "country":
                kw["countries"] = tuple(rng.sample(vocab["countries"], rng.choice((1, 1, 2))))
            elif part == "source":
                kw["sources"] = tuple(rng.sample(vocab["sources"], rng.choice((1, 2, 3))))
            elif part == "author":
                kw["authors"] = tuple(rng.sample(vocab["authors"], rng.choice((1, 2))))
            elif part == "text":
                kw["text"] = " ".join(rng.sample(vocab["words"], rng.choice((1, 2))))
            else:
                kw["min_views"] = rng.choice((200, 665, 2300))
        out.append(Filter(**kw))
    return out


def filter_to_json(f: Filter) -> dict:
    out = {}
    for name, value in f.__dict__.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def filter_from_json(d: dict) -> Filter:
    kw = {}
    for name, value in d.items():
        if name in ("date_from", "date_to") and value:
            value = dt.date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        kw[name] = value
    return Filter(**kw)


def _cell(v):
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat() if not pd.isna(v) else None
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if hasattr(v, "item"):  # numpy scalars
        return _cell(v.item())
    return v


def canonical(answer, family: str):
    """The compared part of an answer as JSON-able rows (sorted when order carries no meaning)."""
    fam = FAMILIES[family]
    cols = fam.get("columns")
    if cols is None:  # ours-only: a size, to show the call returned something
        return None
    if isinstance(answer, dict):
        return [[_cell(answer[c]) for c in cols]]
    if not isinstance(answer, pd.DataFrame):  # polars
        answer = answer.to_pandas()
    rows = [[_cell(v) for v in row] for row in answer[cols].itertuples(index=False, name=None)]
    if not fam["ordered"]:
        rows.sort(key=lambda r: [("" if x is None else str(x)) for x in r])
    return rows


def same(a, b) -> str | None:
    """None when two canonical answers agree (floats to 1e-9 relative), else the first difference."""
    if len(a) != len(b):
        return f"{len(a)} rows against {len(b)}"
    for i, (ra, rb) in enumerate(zip(a, b)):
        for x, y in zip(ra, rb):
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return f"row {i}: {ra} against {rb}"
            elif x != y:
                return f"row {i}: {ra} against {rb}"
    return None
