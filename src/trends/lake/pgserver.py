"""A throwaway PostgreSQL server on localhost (tests, benchmarks, a trial shared store).

`initdb` in a temporary folder, `pg_ctl start` on a free localhost port (no TCP from other hosts, a
unix socket inside the folder), `stop` + removal at the end. PostgreSQL refuses to run as root, so a root
caller runs the binaries as the ``postgres`` user (Debian's package creates it) through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


def find_bin_dir() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (newest version), or None when not installed."""
    env = os.environ.get("TRENDS_PG_BIN")
    candidates = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _version(folder: str) -> int:
    try:
        return int(Path(folder).parent.name)
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    dbname: str
    folder: Path

    @property
    def libpq(self) -> str:
        """A libpq connection string (what DuckDB's postgres extension takes)."""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"

    bin_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def create_database(self, name: str) -> "Server":
        """A new empty database on this server (one shared store per test or benchmark side)."""
        run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(run_as + [str(self.bin_dir / "createdb"), "-h", self.host, "-p", str(self.port), "-U", self.user, name],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
        return Server(self.host, self.port, self.user, name, self.folder, self.bin_dir)


@contextlib.contextmanager
def throwaway_server(bin_dir: Path | None = None, base: str | None = None) -> Iterator[Server]:
    """Start a fresh cluster, yield how to reach it, stop and remove it (even after a failure)."""
    bin_dir = bin_dir or find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="trends-pg-", dir=base))
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else (os.environ.get("USER") or "postgres")
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    if as_root:
        shutil.chown(folder, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(run_as + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd="/")
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=200"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        started = True
        yield Server("127.0.0.1", port, user, "postgres", folder, bin_dir)
    finally:
        if started:
            with contextlib.suppress(RuntimeError):
                run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
