"""`trends rejects`: the inputs an ingest did not store, and why, newest first.

Reads through `trends.queries.rejects`, the same answer the About page shows. Exit status 0 (also when
there are none); 2 when the database is missing or unusable (a one-line message from `trends.cli`).
"""

from __future__ import annotations

import argparse
import json
import sys

from trends import queries
from trends.parsing import printable

_PAGE = 500  # the query's largest page


def collect(db, run: int | None, limit: int) -> tuple[list[dict], int]:
    """Up to ``limit`` rejects (0: all of them) as dicts, newest first, plus how many there are in all."""
    rows: list[dict] = []
    page, total = 0, 0
    while True:
        want = _PAGE if limit <= 0 else min(_PAGE, limit - len(rows))
        frame, total = queries.rejects(db, run=run, page=page, page_size=_PAGE)
        rows += frame.head(want).to_dict("records")
        page += 1
        if len(frame) < _PAGE or (limit > 0 and len(rows) >= limit):
            return rows, total


def line(row: dict) -> str:
    where = row["input"] + (f"#{row['record']}" if row.get("record") else "")
    when = row["rejected_at"].strftime("%Y-%m-%d %H:%M:%S") if row.get("rejected_at") is not None else "-"
    run = f"run {row['run_id']}" if row.get("run_id") is not None else "no run"
    return printable(f"{when}  {run}  {where}: {row['reason']}")  # a file name cannot forge or hide lines


def cmd_rejects(args: argparse.Namespace) -> int:
    """`trends rejects [--db FILE] [--run N] [--json] [--limit N]`."""
    if args.limit < 0:
        raise ValueError("--limit must be 0 (all) or a positive number")
    rows, total = collect(args.db, args.run, args.limit)
    if args.json:
        out = {"total": total, "shown": len(rows), "run": args.run, "rejects": [
            {**r, "rejected_at": r["rejected_at"].isoformat(sep=" ") if r.get("rejected_at") is not None else None}
            for r in rows]}
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    scope = f" in run {args.run}" if args.run is not None else ""
    if not total:
        print(f"no rejected inputs{scope} in {args.db}")
        return 0
    for row in rows:
        print(line(row))
    more = total - len(rows)
    print(f"{total:,} rejected input{'s' if total != 1 else ''}{scope}" +
          (f"; {more:,} more not shown (--limit 0 lists all)" if more > 0 else ""), file=sys.stderr)
    return 0
