"""`trends corrections export FILE | import FILE | list`: the analysts' corrections as JSONL.

One JSON object a line: ``article_id, kind, key, action, label, identity, title, analyst, note,
corrected_at``. An export holds every correction in force (the newest per article, kind and key, undone
ones left out); an import stores them through the writer (`trends.corrections.write.save`), so the
corrected articles in the archive are re-stored at once and the others get theirs when they are ingested.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trends.corrections.model import parse_jsonl, read_all
from trends.store import StoreError, open_reader, open_status


def in_force(db_path) -> list:
    """The stored corrections that are in force (not undone), newest first."""
    status = open_status(db_path)
    if status.state != "ok":
        raise StoreError(status.message)
    con = open_reader(db_path)
    try:
        rows = read_all(con, "memory.reader")
    finally:
        con.close()
    return sorted((c for c in rows if c.action != "clear"), key=lambda c: (c.corrected_at, c.target), reverse=True)


def export(db_path, file: str) -> int:
    lines = [json.dumps(c.to_json(), ensure_ascii=False, sort_keys=True) for c in in_force(db_path)]
    body = "".join(line + "\n" for line in lines)
    if file == "-":
        sys.stdout.write(body)
    else:
        Path(file).write_text(body, encoding="utf-8")
    return len(lines)


def import_file(db_path, file: str) -> dict:
    from trends.corrections.write import save

    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"corrections file not found: {file}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not UTF-8 text (a corrections file is JSONL)") from None
    return save(db_path, parse_jsonl(text, path.name), command="corrections import")


def cmd_corrections(args) -> int:
    if args.corrections_command == "export":
        n = export(args.db, args.file)
        print(f"exported {n} corrections" + (f" -> {args.file}" if args.file != "-" else ""), file=sys.stderr)
        return 0
    if args.corrections_command == "import":
        r = import_file(args.db, args.file)
        print(f"imported {r['stored']} corrections into {args.db}: {r['articles']} articles re-stored, "
              f"{r['absent']} articles not in this archive (applied when they are ingested), "
              f"{r['older']} older than the stored correction of the same tag (skipped)")
        return 0
    rows = in_force(args.db)
    shown = rows if args.limit == 0 else rows[: args.limit]
    for c in shown:
        who = f" by {c.analyst}" if c.analyst else ""
        print(f"{c.corrected_at:%Y-%m-%d %H:%M} {c.action:6} {c.kind} {c.key} ({c.label or '-'}) on "
              f"{(c.title or str(c.article_id))[:70]}{who}")
    print(f"{len(rows)} corrections in force" + (f" ({len(shown)} shown)" if len(shown) < len(rows) else ""))
    return 0
