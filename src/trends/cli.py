"""The `trends` console script. Each subcommand parses its arguments here and hands off to its module.

Exit status: 0 success; 1 the command ran but rejected some input (details on screen and in the
``rejects`` table); 2 usage or an unusable database / input path (a one-line message, no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys

import duckdb

from trends.paths import resolve_db_path
from trends.store import StoreError, first_line, storage_error

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=None,
        help="archive folder, or a shared store: postgresql://USER@HOST:PORT/DB?data=/shared/folder "
             "(default: $TRENDS_DB, else data/archive)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trends",
        description="commentary-trends: ingest commentary pages into DuckDB, tag them, chart the trends.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # --- parse -------------------------------------------------------------------------------------
    p = sub.add_parser("parse", help="parse inputs and print the records (does not touch the database)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or globs")
    p.add_argument("--json", action="store_true", help="print a JSON array of records")
    p.add_argument("--format", default=None, help="force a format: seed, html, csv, jsonl, parquet")
    p.add_argument("--map", default=None, help="column mapping for tables, e.g. title=headline,published=date")

    # --- ingest ------------------------------------------------------------------------------------
    p = sub.add_parser("ingest", help="parse, tag and store inputs (idempotent, incremental)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders (recursive) or globs")
    _add_db(p)
    p.add_argument("--format", default=None, help="force a format: seed, html, csv, jsonl, parquet")
    p.add_argument("--map", default=None, help="column mapping for tables, e.g. title=headline,published=date")
    p.add_argument("--no-tag", action="store_true", help="store without tagging (retag later)")
    p.add_argument("--batch-size", type=int, default=2000, help="records per transaction")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--into-demo", action="store_true",
                   help="allow adding to a database that holds the synthetic demo (mixes the two on purpose)")
    p.add_argument("--background", action="store_true",
                   help="yield the CPU to everything else (e.g. a dashboard on the same machine): lowest priority, "
                        "SCHED_IDLE on Linux, for this process and its tagging workers")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="parse and tag on Dask: local:N (a local cluster of N workers) or tcp://SCHEDULER:8786")

    # --- stats -------------------------------------------------------------------------------------
    p = sub.add_parser("stats", help="counts, date range, sources, tags by kind, rejects")
    _add_db(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")

    # --- rejects -----------------------------------------------------------------------------------
    p = sub.add_parser("rejects", help="inputs that were not stored, and why (newest first)")
    _add_db(p)
    p.add_argument("--run", type=int, default=None, help="only the rejects of this ingest run")
    p.add_argument("--limit", type=int, default=50, help="how many to list (default 50; 0 lists all)")
    p.add_argument("--json", action="store_true", help="print a JSON object")

    # --- demo --------------------------------------------------------------------------------------
    p = sub.add_parser("demo", help="generate and ingest the deterministic synthetic demo corpus")
    _add_db(p)
    p.add_argument("--articles", type=int, default=3000, help="how many synthetic articles (default 3000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same corpus)")
    p.add_argument("--pages-dir", default=None, help="where to write the generated pages (default: a temp dir)")
    p.add_argument("--bulk", action="store_true", help="skip page files and insert directly (for 100k-1M benchmarks)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    # --- migrate -----------------------------------------------------------------------------------
    p = sub.add_parser("migrate", help="upgrade a database written by an older version (the dashboard only reads)")
    _add_db(p)

    # --- retag -------------------------------------------------------------------------------------
    p = sub.add_parser("retag", help="recompute every article's tags without re-ingesting")
    _add_db(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--taxonomy", default=None,
                       help="a topic taxonomy YAML file (default: the archive's own tagging profile)")
    which.add_argument("--profile", default=None, help="a tagging profile file (`trends tagging train --out`)")
    which.add_argument("--bundled", action="store_true", help="go back to the bundled taxonomy and model")
    p.add_argument("--retrain", action="store_true",
                   help="first retrain the topic model on the archive's texts and its analysts' topic corrections")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    # --- corrections ------------------------------------------------------------------------------
    p = sub.add_parser("corrections", help="analysts' tag corrections: export to / import from JSONL")
    csub = p.add_subparsers(dest="corrections_command", required=True, metavar="ACTION")
    c = csub.add_parser("export", help="write every correction in force as JSONL (- for stdout)")
    c.add_argument("file", metavar="FILE")
    _add_db(c)
    c = csub.add_parser("import", help="store the corrections of a JSONL file (the newer of two for one tag wins)")
    c.add_argument("file", metavar="FILE")
    _add_db(c)
    c = csub.add_parser("list", help="the corrections in force, newest first")
    _add_db(c)
    c.add_argument("--limit", type=int, default=50, help="how many to list (0 lists all)")

    # --- rebuild / compact / upgrade / themes --------------------------------------------------------
    p = sub.add_parser("rebuild", help="recompute every derived table (roll-ups, search, growth) into a new base segment")
    _add_db(p)
    p = sub.add_parser("compact", help="fold every segment of the archive into one new base segment")
    _add_db(p)
    p = sub.add_parser("upgrade", help="convert a single-file database of an older version into an archive")
    p.add_argument("old", metavar="OLD", help="the old single-file DuckDB database")
    p.add_argument("--to", required=True, dest="new", metavar="NEW", help="the new archive folder (must not exist)")
    p.add_argument("--no-themes", action="store_true", help="keep the old theme tags; do not fit a theme model")
    p = sub.add_parser("themes", help="the discovered themes: `trends themes fit` refits the model on the archive")
    p.add_argument("action", choices=["fit"], help="fit: refit the theme model and reassign every article")
    _add_db(p)
    # --- tagging train --------------------------------------------------------------------------
    p = sub.add_parser("tagging", help="tagging profiles: train a topic model for a taxonomy")
    tsub = p.add_subparsers(dest="tagging_command", required=True, metavar="ACTION")
    t = tsub.add_parser("train", help="train a tagging profile (taxonomy + topic model) and write it to a file")
    t.add_argument("--texts", nargs="*", default=[], metavar="FILE.jsonl",
                   help="JSONL archives for weak supervision from the taxonomy rules")
    t.add_argument("--text-fields", default="title,body", help="fields joined as the text (first = title)")
    t.add_argument("--gold", default=None, help="a labelled JSONL file whose topics are training examples")
    t.add_argument("--labels", default="topics", help="the gold file's topic field")
    t.add_argument("--split", choices=["all", "tune", "heldout"], default="tune",
                   help="which half of the gold file to learn from (default: the tuning half)")
    t.add_argument("--taxonomy", default=None, help="a taxonomy YAML file (default: the bundled one)")
    t.add_argument("--out", required=True, help="the profile file to write")
    t.add_argument("--quiet", action="store_true", help="no progress messages")

    # --- eval --------------------------------------------------------------------------------------
    p = sub.add_parser("eval", help="measure tagging accuracy against a gold file")
    p.add_argument("what", choices=["countries", "topics"], help="what to evaluate")
    p.add_argument("--gold", required=True, help="JSONL file with gold labels")
    p.add_argument("--text-fields", default="title,body", help="fields joined as the text to tag")
    p.add_argument(
        "--labels", default=None,
        help="field(s) holding the gold keys, comma-separated (default: topics, or countries_iso3; "
        "countries_about / countries_mentioned score about-countries / every country tag)",
    )
    p.add_argument("--split", choices=["all", "tune", "heldout"], default="all",
                   help="score the tuning or the held-out half of the labelled set (stratified by source)")
    p.add_argument("--profile", default=None, help="a tagging profile file (default: the bundled one)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N records")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def _cmd_migrate(args: argparse.Namespace) -> int:
    """`trends migrate`: say whether the archive's format is current; a single-file database of an older
    version is converted by `trends upgrade OLD --to NEW` (a one-line message says so)."""
    from trends import store

    status = store.open_status(args.db)
    if status.state != "ok":
        raise StoreError(status.message)
    print(f"{args.db}: archive format {store.FORMAT} (current)")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(args, "db"):
        args.db = resolve_db_path(args.db)
    if args.command == "upgrade":
        args.old, args.new = resolve_db_path(args.old), resolve_db_path(args.new)
    try:
        if args.command == "parse":
            from trends.ingest import cmd_parse as handler
        elif args.command == "ingest":
            from trends.ingest import cmd_ingest as handler
        elif args.command == "stats":
            from trends.ingest import cmd_stats as handler
        elif args.command == "rejects":
            from trends.rejects import cmd_rejects as handler
        elif args.command == "demo":
            from trends.demo import cmd_demo as handler
        elif args.command == "migrate":
            handler = _cmd_migrate
        elif args.command == "corrections":
            from trends.corrections.cli import cmd_corrections as handler
        elif args.command == "retag":
            from trends.tagging.retag import cmd_retag as handler
        elif args.command in ("rebuild", "compact", "upgrade", "themes"):
            from trends.maintenance import COMMANDS

            handler = COMMANDS[args.command]
        elif args.command == "tagging":
            from trends.tagging.training import cmd_train as handler
        else:
            from trends.tagging.evaluate import cmd_eval as handler
        return int(handler(args) or 0)
    except (StoreError, FileNotFoundError, PermissionError, ValueError) as exc:
        print(f"trends {args.command}: {first_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"trends {args.command}: interrupted; committed batches are kept, rerun to finish", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`trends parse ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (OSError, duckdb.Error) as exc:  # a full disk, a damaged file: one line, never a traceback
        print(f"trends {args.command}: {first_line(storage_error(exc, args.db if hasattr(args, 'db') else '', 'running'))}",
              file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
