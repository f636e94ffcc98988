"""One warm tagger per process and profile, and process pools for batches (one-shot or kept across batches).

Workers get the profile as bytes (``TaggingProfile.to_bytes``), so a custom taxonomy and model reach
every worker exactly as the caller holds them.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
from collections import OrderedDict
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from trends.tagging.model import Tag
from trends.tagging.profile import TaggingProfile, default_profile
from trends.tagging.tagger import Tagger

# Below this many texts a pool costs more (start-up + building the automaton in each worker) than it saves.
MIN_TEXTS_FOR_POOL = 400
CHUNK_SIZE = 100
_CACHED_TAGGERS = 4

_worker_tagger: Tagger | None = None
_taggers: OrderedDict[str, Tagger] = OrderedDict()


@lru_cache(maxsize=4)
def default_tagger(taxonomy: str | None = None) -> Tagger:
    """The process-wide tagger for a taxonomy file (None = the bundled profile); built once, then cached."""
    return Tagger(taxonomy) if taxonomy else tagger_for(default_profile())


def tagger_for(profile: TaggingProfile) -> Tagger:
    """The process-wide tagger for a profile (by hash); the few most recent are kept, and the built one
    is kept on disk for the next process (`trends.tagging.tagger_cache`)."""
    tagger = _taggers.get(profile.hash)
    if tagger is None:
        from trends.tagging.tagger_cache import load_or_build

        tagger = _taggers[profile.hash] = load_or_build(profile, lambda: Tagger(profile))
        while len(_taggers) > _CACHED_TAGGERS:
            _taggers.popitem(last=False)
    else:
        _taggers.move_to_end(profile.hash)
    return tagger


def _unless_bundled(profile: TaggingProfile | None) -> TaggingProfile | None:
    """None for the bundled profile: workers then use the tagger the forkserver preloaded (no rebuild)."""
    if profile is not None and profile.hash == default_profile().hash:
        return None
    return profile


def _resolve(taxonomy: str | Path | None, profile: TaggingProfile | None) -> Tagger:
    if profile is not None:
        return tagger_for(profile)
    return default_tagger(str(taxonomy) if taxonomy else None)


def extract(text: str, taxonomy: str | Path | None = None, profile: TaggingProfile | None = None) -> list[Tag]:
    """Tags for ``title + "\\n\\n" + body``; ``profile`` None = the bundled taxonomy and model."""
    return _resolve(taxonomy, profile).extract(text)


def _init_worker(profile_bytes: bytes | None, taxonomy: str | None) -> None:
    global _worker_tagger
    if profile_bytes is not None:
        _worker_tagger = tagger_for(TaggingProfile.from_bytes(profile_bytes))
    else:
        _worker_tagger = default_tagger(taxonomy)


def _extract_chunk(texts: list[str]) -> list[list[Tag]]:
    assert _worker_tagger is not None
    return _worker_tagger.extract_many(texts)


def _context():
    # forkserver: workers never inherit a parent's DuckDB threads or locks (fork would). The server
    # preloads trends.tagging.warm, so workers fork from a process that already holds a built tagger.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context(methods[0])
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["trends.tagging.warm"])
    return ctx


@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while a pool's results arrive, on again after (if it was on).

    Unpickling a batch's tags makes tens of thousands of tuples and lists, each allocation counting
    towards a collection that then walks the whole heap of a big process (an ingest holds DuckDB,
    pandas and scikit-learn): measured 242 -> 50 us per article to unpickle 22 tags. Tags hold no
    cycles, so nothing waits to be freed meanwhile."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class TaggingPool:
    """Worker processes with a warm tagger each, reused across batches (ingest, retag)."""

    def __init__(self, processes: int | None = None, taxonomy: str | Path | None = None, profile: TaggingProfile | None = None):
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.taxonomy = str(taxonomy) if taxonomy else None
        self.profile = _unless_bundled(profile)
        self._pool = None

    def _tagger(self) -> Tagger:
        return _resolve(self.taxonomy, self.profile)

    def extract_many(self, texts: Sequence[str]) -> list[list[Tag]]:
        if self.processes <= 1 or len(texts) < MIN_TEXTS_FOR_POOL:
            return self._tagger().extract_many(list(texts))
        if self._pool is None:
            blob = self.profile.to_bytes() if self.profile is not None else None
            self._pool = _context().Pool(self.processes, initializer=_init_worker, initargs=(blob, self.taxonomy))
        size = max(10, min(CHUNK_SIZE, len(texts) // (self.processes * 4) or 1))
        chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        out: list[list[Tag]] = []
        with _collector_paused():  # the results unpickle into many small objects: no cycle scans meanwhile
            for part in self._pool.imap(_extract_chunk, chunks):
                out.extend(part)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "TaggingPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def extract_many(
    texts: Iterable[str], processes: int | None = None, taxonomy: str | Path | None = None,
    profile: TaggingProfile | None = None,
) -> list[list[Tag]]:
    """Tags for many texts, in order: a process pool over ``processes`` (default: all cores) for big
    batches, in this process for small ones."""
    texts = texts if isinstance(texts, Sequence) else list(texts)
    with TaggingPool(processes, taxonomy, profile) as pool:
        return pool.extract_many(texts)


_shared_pools: dict[tuple[int, str], TaggingPool] = {}


def tag_records(texts: Sequence[str], processes: int | None = None, profile: TaggingProfile | None = None) -> list[list[Tag]]:
    """Like ``extract_many`` but keeps its pool alive between calls (for batch-by-batch ingest).

    ``profile``: the database's tagging profile (taxonomy + model); None = the bundled one."""
    profile = _unless_bundled(profile)
    key = (processes or 0, profile.hash if profile is not None else "")
    pool = _shared_pools.get(key)
    if pool is None:
        pool = _shared_pools[key] = TaggingPool(processes, profile=profile)
    return pool.extract_many(texts)


@atexit.register
def _close_shared_pools() -> None:
    for pool in _shared_pools.values():
        pool.close()
    _shared_pools.clear()
