"""Comparing the answers of two archives that hold the same articles (the shared store against a local
archive, in the lake tests and bench/scale.py): what differs only because different runs filled them."""

from __future__ import annotations

import datetime as dt

# columns that say when (or how often) an ingest ran, not what it stored
CLOCK_COLUMNS = ("first_seen", "last_seen", "views_observed_at", "observed_at", "tagged_at", "started_at", "finished_at",
                 "seconds", "last_ingest_at", "runs", "since", "stored_at")


def without_clock(value):
    """A query answer (DataFrame, dict, tuple or scalar) with the ingest's wall-clock columns taken out."""
    import pandas as pd

    if isinstance(value, tuple):
        return tuple(without_clock(v) for v in value)
    if isinstance(value, dict):
        return {k: without_clock(v) for k, v in value.items() if k not in CLOCK_COLUMNS}
    if isinstance(value, pd.DataFrame):
        keep = [c for c in value.columns if c not in CLOCK_COLUMNS and not pd.api.types.is_datetime64_any_dtype(value[c])]
        return value[keep]
    if isinstance(value, dt.datetime):
        return None
    return value
