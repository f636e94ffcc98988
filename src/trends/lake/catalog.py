"""Connections to the shared store: the DuckLake and postgres extensions loaded offline from their PyPI
wheels, the catalog attached, the archive's tables created once."""

from __future__ import annotations

import contextlib
import random
import re
import time

import duckdb

from trends.lake import Address
from trends.store import ADDED_COLUMNS, StoreError, TABLES, _extension_path, _quote, first_line

ALIAS = "lake"
# one row, bumped by every publish: two publishes that overlap in time both update it, so DuckLake's
# conflict check lets exactly one commit (inserts alone never conflict in DuckLake)
CLOCK = "publish_clock"
CONFLICT_WORDS = ("conflict", "another transaction", "could not serialize", "duplicate key")


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    for module, name in (("duckdb_extension_ducklake", "ducklake"), ("duckdb_extension_postgres_scanner", "postgres_scanner")):
        path = _extension_path(module, name)
        if path is None:
            raise StoreError(f"the shared store needs the {module.replace('_', '-')} package (pip install 'commentary-trends[scale]')")
        con.execute(f"LOAD '{path}'")  # a filesystem path inside an installed wheel, not user input


def attach(con: duckdb.DuckDBPyConnection, address: Address, alias: str = ALIAS, *, read_only: bool = False,
           snapshot: int | None = None, create: bool = False) -> None:
    """ATTACH the lake as ``alias`` (``snapshot``: pinned at that catalog version, read-only)."""
    load_extensions(con)
    options = []
    if create and address.data_path:
        options.append(f"DATA_PATH {_quote(address.data_path)}")
    if snapshot is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
    if read_only or snapshot is not None:
        options.append("READ_ONLY")
    sql = f"ATTACH {_quote(address.attach)} AS {alias}" + (f" ({', '.join(options)})" if options else "")
    try:
        for attempt in range(10):
            try:
                con.execute(sql)
                break
            except duckdb.Error as exc:
                # two writers creating a new lake at once: PostgreSQL refuses the second's CREATE of the
                # catalog tables ("duplicate key" while both are creating, "already exists" once the first
                # has committed); a moment later the ATTACH finds the first's tables
                if not (create and "initialize DuckLake" in str(exc) and _lost_creation_race(str(exc))) or attempt == 9:
                    raise
                time.sleep(0.2 * (attempt + 1))
    except duckdb.Error as exc:
        text = str(exc)
        if "creating a new DuckLake is explicitly disabled" in text or "data_path is not set" in text:
            raise StoreError(f"no archive in the shared store {address} yet; run `trends ingest ... --db {address}` first") from exc
        raise StoreError(f"cannot open the shared store {address}: {first_line(exc)}") from exc


def _lost_creation_race(text: str) -> bool:
    return "duplicate key" in text or "already exists" in text


def has_archive(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> bool:
    return _has_table(con, alias, "articles")


def snapshot_id(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> int:
    """The catalog's newest snapshot (the shared store's generation)."""
    return int(con.execute(f"SELECT max(snapshot_id) FROM {alias}.snapshots()").fetchone()[0])


PG_ALIAS = "lake_catalog"
_PG_PREFIX = "ducklake:postgres:"


def attach_catalog_database(con: duckdb.DuckDBPyConnection, address: Address, alias: str = PG_ALIAS) -> bool:
    """The catalog's own PostgreSQL database, READ_ONLY, for `newest_snapshot` (False when the catalog is
    not PostgreSQL: then ask the attached lake, `snapshot_id`)."""
    if not address.attach.startswith(_PG_PREFIX):
        return False
    load_extensions(con)
    try:
        con.execute(f"ATTACH {_quote(address.attach[len(_PG_PREFIX):])} AS {alias} (TYPE postgres, READ_ONLY)")
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the shared store {address}: {first_line(exc)}") from exc
    return True


def newest_snapshot(con: duckdb.DuckDBPyConnection, alias: str = PG_ALIAS) -> int:
    """`snapshot_id` in one PostgreSQL round trip (~1 ms on localhost, against ~10 ms through the lake's
    ``snapshots()``): a reader asks it before every read. Reads DuckLake's own catalog table."""
    row = con.execute(f"SELECT * FROM postgres_query('{alias}', 'SELECT max(snapshot_id) FROM ducklake_snapshot')").fetchone()
    return int(row[0])


class RunAgain(Exception):
    """Raised by a transaction body that finds another writer's commit in its way (one that landed after
    ``prepare`` looked, before the transaction began, so DuckLake sees no conflict): roll back, prepare
    again, run again."""


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake commit that lost to another writer's (the transaction can simply be run again)."""
    return isinstance(exc, RunAgain) or (isinstance(exc, duckdb.Error) and any(w in str(exc).lower() for w in CONFLICT_WORDS))


def in_transaction(con: duckdb.DuckDBPyConnection, body, doing: str, attempts: int = 30, prepare=None) -> None:
    """``body(con)`` in one catalog transaction, run again while another writer's commit wins (DuckLake
    reports the loser's commit as a conflict). ``prepare(con)`` runs before every attempt, outside it."""
    for attempt in range(attempts):
        if prepare is not None:
            prepare(con)
        try:
            con.execute("BEGIN TRANSACTION")
            body(con)
            con.execute("COMMIT")
            return
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            if not is_conflict(exc):
                raise
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
    raise StoreError(f"could not {doing}: other writers kept winning ({attempts} attempts)")


def ensure_schema(con: duckdb.DuckDBPyConnection, address: Address, alias: str = ALIAS) -> None:
    """Create the archive's tables in a new lake, and add columns newer than an existing lake (one
    transaction; a writer racing to do the same wins or finds them made)."""
    def columns() -> set[tuple[str, str]]:
        # one listing of the lake's columns answers all three questions below (every listing of the
        # catalog is a round trip to PostgreSQL)
        return set(con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?", [alias]).fetchall())

    def missing_columns(have: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
        return [(t, c, ty) for t, added in ADDED_COLUMNS.items() for c, ty in added.items() if (t, c) not in have]

    have = columns()
    tables = {t for t, _ in have}
    if not address.data_path and "articles" not in tables:
        raise StoreError(f"{address} holds no archive yet: give the shared data folder (?data=/folder or TRENDS_LAKE_DATA)")

    def create(con) -> None:
        for name, (_, ddl) in TABLES.items():
            con.execute(f"CREATE TABLE IF NOT EXISTS {alias}.{name} ({_lake_ddl(ddl)})")
        if not _has_table(con, alias, CLOCK):
            con.execute(f"CREATE TABLE {alias}.{CLOCK} (publishes BIGINT NOT NULL)")
            con.execute(f"INSERT INTO {alias}.{CLOCK} VALUES (0)")
        for table, column, type_ in missing_columns(columns()):
            con.execute(f"ALTER TABLE {alias}.{table} ADD COLUMN {column} {type_}")

    if "articles" in tables and CLOCK in tables and not missing_columns(have):
        return
    try:
        in_transaction(con, create, f"create the archive in {address}", attempts=10)
    except duckdb.Error as exc:
        if "already exists" not in str(exc).lower():
            raise StoreError(f"cannot create the archive in {address}: {first_line(exc)}") from exc


def _has_table(con, alias: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                            [alias, table]).fetchone()[0])


def _lake_ddl(ddl: str) -> str:
    """Without column defaults (DuckLake takes no list or expression defaults; rows arrive complete from
    the working segment anyway)."""
    return re.sub(r"\s+DEFAULT\s+(\[\]|'[^']*'|[\w.]+)", "", ddl)
