"""`trends ingest ... --cluster ADDRESS`: parsing and tagging as Dask tasks, storing as usual.

The input files are split into tasks of whole files (`partition`); each task parses its files and tags
every record with the tagging profile (taxonomy + classifier model, `TaggingProfile.to_bytes`) that the
job scattered to every worker once, so workers need nothing but this package: no shared disk for the
model, no database. The driver streams the task results in input order into the ordinary plan/apply
ingest (`trends.ingest.ingest_records`), which stores them in the local archive or the shared store
(`trends.lake`); a `ClusterTagger` hands the cluster's tags to it (themes are assigned by the driver
with the archive's own fitted model, as in a local run). Without ``--cluster`` nothing here runs.

Addresses: ``local:N`` starts a `distributed.LocalCluster` of N single-threaded worker processes for
the run; anything else (``tcp://scheduler:8786``) is an existing Dask scheduler.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Iterable, Iterator

from trends.parsing import Limits, Reject, Record, expand_paths, normalise_format, page_like, parse, parse_mapping, storable

FILES_PER_TASK = 250  # page files per task: big enough to amortise scheduling, small enough to balance


def text_of(rec: Record) -> str:
    """What the tagger reads (the same join as `trends.ingest._Run.tag`)."""
    return rec.title + "\n\n" + rec.body


@contextlib.contextmanager
def client_for(address: str) -> Iterator["distributed.Client"]:
    """A Dask client on ``address`` (``local:N`` starts and ends a LocalCluster of N workers)."""
    try:
        import distributed
    except ImportError as exc:
        raise ValueError("--cluster needs Dask distributed (pip install 'commentary-trends[scale]')") from exc
    if address.startswith("local:"):
        try:
            workers = int(address.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"--cluster {address}: write local:N with N workers, e.g. local:2") from None
        if not 1 <= workers <= 256:
            raise ValueError(f"--cluster {address}: between 1 and 256 local workers")
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"--cluster {address}: cannot reach the Dask scheduler ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def partition(items: list, per_task: int = FILES_PER_TASK, fmt: str | None = None) -> list[list[str]]:
    """Input files into tasks of whole files: page files in runs of ``per_task``, each table file alone."""
    pages = [i for i in items if not isinstance(i, Reject) and page_like(i, fmt)]
    tables = [i for i in items if not isinstance(i, Reject) and not page_like(i, fmt)]
    return [pages[k:k + per_task] for k in range(0, len(pages), per_task)] + [[t] for t in tables]


def parse_and_tag(files: list[str], fmt, mapping, limits, profile_bytes: bytes | None) -> list[tuple]:
    """One task (runs on a worker): (Record, its tags) / (Reject, None) for every record of ``files``."""
    tagger = None
    if profile_bytes is not None:
        from trends.tagging.parallel import tagger_for
        from trends.tagging.profile import TaggingProfile

        tagger = tagger_for(TaggingProfile.from_bytes(profile_bytes))  # built once per worker process
    out = []
    for file in files:
        for item in parse(file, fmt, mapping, limits=limits):
            tags = tagger.extract(text_of(item)) if tagger is not None and isinstance(item, Record) else None
            out.append((item, tags))
    return out


class ClusterTagger:
    """The ingest's tagger for a cluster run: tags come from the tasks; a text the tasks did not see (none
    in practice) is tagged here with the same profile."""

    def __init__(self, tagging, profile):
        self.tagging = tagging
        self.profile = profile
        self.memo: dict[str, list] = {}

    @property
    def active(self) -> bool:
        return self.tagging is not None

    def remember(self, rec: Record, tags: list) -> None:
        self.memo[text_of(rec)] = tags

    def tag(self, texts: list[str]) -> list[list]:
        out = []
        for text in texts:
            tags = self.memo.pop(text, None)
            out.append(list(tags) if tags is not None else self.tagging.extract(text, profile=self.profile))
        return out


def cluster_records(client, tasks: list[list[str]], fmt, mapping, limits, profile_bytes, tagger: ClusterTagger | None,
                    rejects: Iterable[Reject]) -> Iterator:
    """Submit every task, then yield their records in input order as they finish (storage overlaps the
    remaining tasks); each result is released once consumed."""
    yield from rejects
    shipped = client.scatter(profile_bytes, broadcast=True) if profile_bytes is not None else None
    futures = client.map(parse_and_tag, tasks, fmt=fmt, mapping=mapping, limits=limits, profile_bytes=shipped, pure=False)
    try:
        for k, future in enumerate(futures):
            for item, tags in future.result():
                if tags is not None and tagger is not None:
                    tagger.remember(item, tags)
                yield item
            futures[k] = None
            future.release()
    finally:
        for future in futures:
            if future is not None:
                future.cancel()


def ingest_on_cluster(db_path, paths: list[str], cluster: str, fmt=None, mapping=None, tag: bool = True,
                      batch_size: int = 2000, progress: bool = True, command: str = "ingest",
                      echo_rejects: bool = True, files_per_task: int = FILES_PER_TASK):
    """`trends ingest PATHS --cluster ADDRESS`: parse + tag on Dask, store with the ordinary ingest."""
    from trends.ingest import _load_tagging, ingest_records

    started = time.perf_counter()
    paths = [str(p) for p in paths]
    fmt = normalise_format(fmt)
    limits = Limits.from_env()
    columns = parse_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    items = list(expand_paths(paths))
    files = [i for i in items if not isinstance(i, Reject)]
    tasks = partition(items, files_per_task, fmt)
    tagging = _load_tagging() if tag else None
    tagger, profile_bytes = None, None
    if tagging is not None:
        from trends.tagging.profile import default_profile

        profile = default_profile()
        profile_bytes = profile.to_bytes()
        tagger = ClusterTagger(tagging, profile)
    total = len(files) if all(page_like(f, fmt) for f in files) else None
    with client_for(cluster) as client:
        records = cluster_records(client, tasks, fmt, columns, limits, profile_bytes, tagger,
                                  [i for i in items if isinstance(i, Reject)])
        summary = ingest_records(db_path, records, tag=tag, batch_size=batch_size, progress=progress, total=total,
                                 command=command, inputs=storable(" ".join(paths)), echo_rejects=echo_rejects,
                                 tagger=tagger)
    summary.seconds = time.perf_counter() - started  # the cluster's start and end are part of the run
    looked_at = summary.new + summary.updated + summary.unchanged
    summary.articles_per_s = looked_at / summary.seconds if summary.seconds > 0 else 0.0
    return summary
