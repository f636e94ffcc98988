"""Build the demo database: generate pages, read them back with the real parser, ingest them.

Two scrapes, like a real archive crawled twice: every article as seen on the first scrape date, then
a share of them (all recent ones and some old ones) again a month later with higher view counts, so
the ``view_snapshots`` table holds growth. Each scrape is its own ingest run (the ingest rejects the
same article twice in one run). The real seed page is ingested too, not flagged synthetic.

Default path: pages are written as seed-format text files and parsed with ``trends.parsing.parse``,
so the demo exercises the real parser. ``bulk=True`` (benchmarks, 100k-1M articles) skips the files
and builds the same Records directly, streaming chunk by chunk so memory stays bounded.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from trends.demo.generator import DemoArticle, Generator, render_page
from trends.parsing import Record
from trends.paths import PACKAGE_DATA, SEED_PAGE

ProgressCallback = Callable[[int, int, str], None]  # (done, total, stage): one bar over the whole build


@dataclass
class DemoSummary:
    """What a demo build did: the articles generated and one IngestSummary per ingest run."""

    db_path: str
    articles: int
    seed: int
    bulk: bool
    pages_dir: str | None
    seconds: float = 0.0
    runs: list = field(default_factory=list)  # [(name, IngestSummary)]

    @property
    def rejected(self) -> int:
        return sum(s.rejected for _, s in self.runs)

    def lines(self) -> list[str]:
        out = [f"{name}: {s.line()}" for name, s in self.runs]
        snapshots = sum(getattr(s, "snapshots", 0) for _, s in self.runs)
        out.append(
            f"demo: {self.articles:,} synthetic articles (seed {self.seed}) + the real seed page, "
            f"{snapshots:,} view snapshots, into {self.db_path} in {self.seconds:.1f}s"
        )
        return out


def seed_page_path() -> Path:
    """The real example page: the repository's data/ copy when present, else the one shipped in the package."""
    return SEED_PAGE if SEED_PAGE.is_file() else PACKAGE_DATA / "demo_seed_page.txt"


def _record(article: DemoArticle, views: int, observed_at, input_name: str) -> Record:
    return Record(
        title=article.title, headline=article.headline, source=article.source, published=article.published,
        views=views, authors=list(article.authors), body=article.body, related=list(article.related),
        input=input_name, format="demo-bulk", synthetic=True, observed_at=observed_at,
    )


def scrape_name(when) -> str:
    return when.strftime("scrape-%Y-%m-%d")


def write_pages(generator: Generator, pages_dir: Path, progress: ProgressCallback | None = None) -> int:
    """Write both scrapes' pages under ``pages_dir/scrape-YYYY-MM-DD/YEAR/SOURCE/NNNNNNN.txt``."""
    first, second = (scrape_name(s) for s in generator.world.scrapes)
    written = 0
    for article in generator:
        for folder, views in ((first, None), (second, article.views_later)):
            if folder == second and views is None:
                continue
            path = pages_dir / folder / article.relative_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_page(article, views), encoding="utf-8", newline="\n")
            written += 1
        if progress and (article.index + 1) % 250 == 0:
            progress(article.index + 1, generator.articles, "writing pages")
    if progress:
        progress(generator.articles, generator.articles, "writing pages")
    return written


def parsed_pages(generator: Generator, pages_dir: Path, scrape: int) -> Iterator:
    """Read one scrape's pages back with the real parser; each becomes a synthetic record."""
    from trends.parsing import Record, parse

    when = generator.world.scrapes[scrape]
    folder = pages_dir / scrape_name(when)
    for article in generator:
        if scrape == 1 and article.views_later is None:
            continue
        name = f"{scrape_name(when)}/{article.relative_path}"
        for item in parse(folder / article.relative_path, input=f"demo:{name}"):
            if isinstance(item, Record):
                item.synthetic = True
                item.observed_at = when
            yield item  # a Reject (should never happen) is stored as a reject by the ingest


def bulk_records(generator: Generator, scrape: int) -> Iterator:
    """The same records as ``parsed_pages`` gives, built directly (no files, no parser)."""
    when = generator.world.scrapes[scrape]
    for article in generator:
        views = article.views if scrape == 0 else article.views_later
        if views is None:
            continue
        yield _record(article, views, when, f"demo:{scrape_name(when)}/{article.relative_path}")


class _Progress:
    """Turns the build's stages (write pages, first scrape, second scrape) into one monotonic count."""

    def __init__(self, callback: ProgressCallback | None, generator: Generator, pages: bool):
        self.callback, self.generator, self.pages = callback, generator, pages
        self.offset = 0

    @property
    def total(self) -> int:
        n = self.generator.articles
        rescraped = self.generator.rescraped or int(0.3 * n)  # known after the first full pass
        return (n if self.pages else 0) + n + rescraped

    def __call__(self, done: int, _total: int, stage: str) -> None:
        if self.callback:
            total = self.total
            self.callback(min(self.offset + done, total), total, stage)

    def stream(self, items: Iterable, stage: str) -> Iterator:
        done = 0
        for item in items:
            yield item
            done += 1
            if done % 250 == 0:
                self(done, 0, stage)
        self(done, 0, stage)
        self.offset += done


def build_demo(
    db_path,
    articles: int = 3000,
    seed: int = 7,
    bulk: bool = False,
    pages_dir=None,
    progress: bool | ProgressCallback = True,
    tag: bool = True,
    processes: int | None = None,
) -> DemoSummary:
    """Generate the demo corpus and ingest it (plus the real seed page) into ``db_path``.

    ``progress``: True shows the ingest's progress bar on a terminal; a callable is called as
    ``progress(done, total, stage)`` over the whole build instead (the dashboard's first start).
    Same ``(articles, seed)``, same database. ``processes``: tagging processes (None = all cores).
    """
    from trends.ingest import ingest_paths, ingest_records

    started = time.perf_counter()
    generator = Generator(articles, seed)
    summary = DemoSummary(str(db_path), generator.articles, generator.seed, bulk, None)
    callback = progress if callable(progress) else None
    bar = bool(progress) and callback is None
    tracker = _Progress(callback, generator, pages=not bulk)
    tmp = None
    try:
        if bulk:
            streams = [bulk_records(generator, 0), bulk_records(generator, 1)]
        else:
            if pages_dir is None:
                tmp = tempfile.mkdtemp(prefix="trends-demo-")
                folder = Path(tmp)
            else:
                folder = Path(pages_dir)
                summary.pages_dir = str(folder)
            try:
                write_pages(generator, folder, tracker)
            except OSError as exc:
                raise ValueError(f"cannot write the demo pages to {folder}: {exc.strerror or exc}") from exc
            tracker.offset = generator.articles
            streams = [parsed_pages(generator, folder, 0), parsed_pages(generator, folder, 1)]
        # the first scrape first: it creates the archive's base segment, and the theme model is fitted
        # on it in place (no rewrite); the later scrape and the real seed page are small segments
        for scrape, records in enumerate(streams):
            when = generator.world.scrapes[scrape]
            total = generator.articles if scrape == 0 else generator.rescraped  # counted in the first pass
            stage = f"scrape of {when:%Y-%m-%d}"
            result = ingest_records(
                db_path, tracker.stream(records, stage), tag=tag, progress=bar, total=total, command="demo",
                inputs=f"demo --articles {generator.articles} --seed {generator.seed} ({stage})",
                processes=processes,
            )
            summary.runs.append((stage, result))
        summary.runs.append(
            ("seed page", ingest_paths(db_path, [seed_page_path()], tag=tag, progress=False, command="demo",
                                       processes=processes))
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    return summary


def cmd_demo(args: argparse.Namespace) -> int:
    """`trends demo`: build (or top up) the demo database and print what was done."""
    summary = build_demo(  # Generator rejects --articles < 1 before the database is touched
        args.db, articles=args.articles, seed=args.seed, bulk=args.bulk, pages_dir=args.pages_dir,
        progress=not args.quiet,
    )
    for line in summary.lines():
        print(line)
    return 1 if summary.rejected else 0
