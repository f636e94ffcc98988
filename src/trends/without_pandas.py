"""Keep pandas out of a process that does not use it (the `trends ingest` CLI).

DuckDB's Python client imports pandas on the first bound parameter and pyarrow on the first table built
from Python lists, only to ask whether a value is a pandas object; an ingest passes none, yet the import
was the largest single cost of a one-article ingest (py-spy, 100k archive: 35% of its samples, 0.5 s
idle, 1.5 s under load). While `pandas_unloaded()` is active an ``import pandas`` raises
ModuleNotFoundError, which both libraries read as "pandas is not installed" (they ask again on the next
call, so pandas works as usual once the block ends). A process that already holds pandas is left alone.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator


class _PandasBlocker:
    """A meta-path finder that answers every ``pandas`` module with "not installed"."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (kept out of this process by trends.without_pandas)", name=name)
        return None


@contextlib.contextmanager
def pandas_unloaded() -> Iterator[bool]:
    """Block ``import pandas`` inside the block; yields whether the block is active (False: already loaded)."""
    if "pandas" in sys.modules:
        yield False
        return
    blocker = _PandasBlocker()
    sys.meta_path.insert(0, blocker)
    try:
        yield True
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(blocker)
