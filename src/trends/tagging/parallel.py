"""One warm tagger per process, and a process pool for batches."""

from __future__ import annotations

import os
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Sequence

from trends.tagging.model import Tag
from trends.tagging.tagger import Tagger

# Below this many texts a pool costs more (start-up + building the automaton in each worker) than it saves.
MIN_TEXTS_FOR_POOL = 400

_worker_tagger: Tagger | None = None


@lru_cache(maxsize=4)
def default_tagger(taxonomy: str | None = None) -> Tagger:
    """The process-wide tagger for a taxonomy file (None = the bundled one); built once, then cached."""
    return Tagger(taxonomy)


def extract(text: str, taxonomy: str | Path | None = None) -> list[Tag]:
    """Tags for ``title + "\\n\\n" + body``."""
    return default_tagger(str(taxonomy) if taxonomy else None).extract(text)


def _init_worker(taxonomy: str | None) -> None:
    global _worker_tagger
    _worker_tagger = default_tagger(taxonomy)


def _extract_chunk(texts: list[str]) -> list[list[Tag]]:
    assert _worker_tagger is not None
    return [_worker_tagger.extract(t) for t in texts]


def extract_many(
    texts: Iterable[str], processes: int | None = None, taxonomy: str | Path | None = None, chunk_size: int = 200
) -> list[list[Tag]]:
    """Tags for many texts, in order: a process pool (one warm tagger each) for big batches."""
    texts = list(texts) if not isinstance(texts, Sequence) else texts
    taxonomy = str(taxonomy) if taxonomy else None
    processes = processes or os.cpu_count() or 1
    if processes <= 1 or len(texts) < MIN_TEXTS_FOR_POOL:
        tagger = default_tagger(taxonomy)
        return [tagger.extract(t) for t in texts]
    chunks = [list(texts[i : i + chunk_size]) for i in range(0, len(texts), chunk_size)]
    ctx = get_context("fork") if "fork" in _start_methods() else get_context()
    with ctx.Pool(processes, initializer=_init_worker, initargs=(taxonomy,)) as pool:
        out: list[list[Tag]] = []
        for part in pool.imap(_extract_chunk, chunks):
            out.extend(part)
    return out


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()
