"""The dashboard's first start, run as a process of its own: ``python -m trends.demo.first_start --db FILE``.

The dashboard only reads; this process is the writer. It builds the demo corpus (3,000 synthetic
articles plus the real seed page) beside the live path (``FILE.demo-build``), reports its progress
in ``FILE.demo-build.progress`` (one JSON object, replaced atomically) for the page that watches it,
and renames the finished build into place, so a build cut short (the server stopped, the machine
rebooted) is never mistaken for the database and the next start resumes it. Two starts at once (two
browser tabs, two servers) queue on ``FILE.first-start.lock``: the second finds the database built.

Exit status: 0 the database exists; 2 the build failed (the reason is the progress file's ``error``
and the last line on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from trends.store import first_line


def staging_path(db: Path) -> Path:
    return db.with_name(db.name + ".demo-build")


def progress_path(db: Path) -> Path:
    return db.with_name(db.name + ".demo-build.progress")


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".first-start.lock")


def read_progress(db: Path) -> dict:
    """The latest progress report: ``done, total, stage, state`` (running | failed) and ``error``; {} if none."""
    try:
        report = json.loads(progress_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


class ProgressFile:
    """A build progress callback that writes the report at most every 0.2 s (and always the last one)."""

    def __init__(self, db: Path):
        self.path = progress_path(db)
        self.written = 0.0

    def write(self, **report) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(report), encoding="utf-8")
        os.replace(tmp, self.path)
        self.written = time.monotonic()

    def __call__(self, done: int, total: int, stage: str) -> None:
        if done >= total or time.monotonic() - self.written >= 0.2:
            self.write(done=done, total=total, stage=stage, state="running")


def build(db: Path, articles: int = 3000, seed: int = 7) -> int:
    """Build the demo database at `db` unless it exists; 0 when it does afterwards, 2 on failure."""
    from trends.demo.build import build_demo

    db.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_path(db)
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a second start waits here for the first, then finds the database
        try:
            if db.exists():
                return 0
            staging = staging_path(db)
            report = ProgressFile(db)
            report.write(done=0, total=articles, stage="starting", state="running")
            try:
                build_demo(staging, articles=articles, seed=seed, progress=report)
                os.replace(staging, db)
            except Exception as exc:  # noqa: BLE001 - any failure is reported to the watching page in one line
                report.write(state="failed", error=first_line(exc))
                print(f"trends first start: {first_line(exc)}", file=sys.stderr)
                return 2
            staging.with_name(staging.name + ".lock").unlink(missing_ok=True)  # the finished build's writer lock
            progress_path(db).unlink(missing_ok=True)
            return 0
        finally:
            if db.exists():
                with contextlib.suppress(OSError):
                    lock.unlink()  # nobody needs it once the database exists: every waiter checks that first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trends.demo.first_start", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the database file to create")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        return build(Path(args.db).expanduser().resolve(), args.articles, args.seed)
    except OSError as exc:  # no folder for the database, no room, no permission: one line for the page
        print(f"trends first start: {first_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
