"""The shared store: the same archive in DuckLake (a PostgreSQL catalog, Parquet files on a shared folder).

Chosen by the archive address (``--db`` / ``TRENDS_DB``) instead of a folder:

- ``postgresql://USER@HOST:PORT/DBNAME?data=/shared/lake-files`` (``postgres://`` too; ``password=``
  in the URL or PGPASSWORD), or
- ``ducklake:postgres:host=... port=... user=... dbname=...`` (DuckLake's own spelling; the data folder
  from ``TRENDS_LAKE_DATA``).

The data folder is needed when the catalog is new; DuckLake remembers it in the catalog afterwards.
Same tables and views as the local archive (`trends.store`), so `trends.queries` runs unchanged;
`trends.lake.writer` publishes an ingest in one catalog transaction, `trends.lake.reader` reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = ("postgresql://", "postgres://", "ducklake:")


def is_address(db) -> bool:
    """Whether ``db`` names a shared store rather than a local archive folder."""
    return isinstance(db, str) and db.startswith(SCHEMES)


@dataclass(frozen=True)
class Address:
    """A parsed shared-store address: what DuckDB ATTACHes, the data folder, and a password-free label."""

    attach: str
    data_path: str | None
    label: str

    def __str__(self) -> str:
        return self.label


def parse_address(db: str) -> Address:
    """``postgresql://...`` or ``ducklake:...`` -> Address; ValueError (one line) when it cannot be used."""
    if db.startswith("ducklake:"):
        data = os.environ.get("TRENDS_LAKE_DATA") or None
        label = " ".join(p for p in db.split() if not p.startswith("password="))
        return Address(db, data, label)
    parts = urlsplit(db)
    if not parts.hostname or not parts.path.strip("/"):
        raise ValueError(f"{_hide_password(db)} is not a usable address: use postgresql://USER@HOST:PORT/DBNAME?data=/shared/folder")
    query = parse_qs(parts.query)
    libpq = {"host": parts.hostname, "dbname": unquote(parts.path.strip("/"))}
    if parts.port:
        libpq["port"] = str(parts.port)
    if parts.username:
        libpq["user"] = unquote(parts.username)
    if parts.password:
        libpq["password"] = unquote(parts.password)
    for key in ("sslmode", "connect_timeout"):
        if key in query:
            libpq[key] = query[key][0]
    data = (query.get("data") or [os.environ.get("TRENDS_LAKE_DATA")])[0] or None
    attach = "ducklake:postgres:" + " ".join(f"{k}={v}" for k, v in libpq.items())
    return Address(attach, data, _hide_password(db))


def _hide_password(db: str) -> str:
    parts = urlsplit(db)
    if parts.password:
        return db.replace(":" + parts.password + "@", ":***@", 1)
    return db
