"""Everything the read side derives from the stored rows: roll-ups, search rows, title keys, growth.

One SQL definition per derived table, "the contributions of a set of articles" (`_CONTRIBUTIONS`), is
used three ways, so an incremental archive equals a full rebuild by construction:

- `apply_changes`: a batch's + rows (what its articles contribute now) and - rows (what the rows they
  hide contributed), written into the working segment in the batch's own transaction;
- `rebuild`: every derived table of a rewrite segment from its base rows (`trends rebuild`, retag, upgrade);
- `compact`: live rows copied into one new base segment, roll-up deltas summed (`trends compact`).

Roll-ups (daily, for filters that are only a date range and the synthetic switch):

- ``rollup_articles(day, source, synthetic, articles, views_sum)``
- ``rollup_tags(day, kind, key, label, synthetic, articles, views_sum)`` (about tags only)
- ``rollup_authors(day, author, synthetic, articles, views_sum)``
- ``rollup_pairs(day, kind, a, b, synthetic, together)``: articles carrying both keys (a < b), ``PAIR_KINDS``
- ``rollup_tag_views(day, kind, key, synthetic, bucket, articles)``: views histogram per key (``kind`` is a
  tag kind, or ``source`` / ``author``), ``bucket = floor(ln(1 + views) * VIEW_BUCKETS_PER_E)``
- ``rollup_article_views(day, synthetic, bucket, articles)``: the same over all articles
- ``rollup_kinds(kind, tags, articles)`` and ``rollup_keys(kind, key, tags)``: the About page's counts
  (the view ``rollup_summary`` joins them)

Per article (hidden with the article's rows when it is re-stored): ``article_growth(article_id, growth)``
(views gained between the first and last snapshot), ``tags_by_key`` (about tags sorted by kind, key,
published: zone maps skip to one key), ``title_keys`` ("Read also" resolution), and the search rows
``postings(term, article_id, tf, len)`` (sorted by term; ``len`` is the document's) and ``docs(article_id, len)``. BM25's N, avgdl and
df are computed at query time from the live rows (`trends.queries._base.bm25_hits`), so scores equal a
full rebuild's.

Tokens (`token_sql`, the one definition used when indexing and when querying): lower case, accents
stripped, split on anything that is not a letter or a digit (so "2023", "G7", "5G" stay), English
stopwords dropped, porter-stemmed.
"""

from __future__ import annotations

from trends.store import columns_of, crash_point, set_setting

PAIR_KINDS = ("country", "person")
VIEW_BUCKETS_PER_E = 16  # bucket width 1/16 in ln(1 + views): medians within about 3%
SEARCH_SETTING = "search_tokens"  # meta key: which token rules built the postings
SEARCH_VERSION = "letters-digits-porter-v1"
ROLLUPS_SETTING = "rollups"
ROLLUPS_VERSION = "signed-daily-v1"

# the physical order of each roll-up (what its readers filter on first), so zone maps skip row groups
ROLLUP_ORDER = {"rollup_articles": "day", "rollup_tags": "kind, key, day", "rollup_authors": "day",
                "rollup_pairs": "kind, day", "rollup_tag_views": "kind, key, day", "rollup_article_views": "day",
                "rollup_kinds": "kind", "rollup_keys": "kind, key", "term_docs": "term"}
ROLLUP_TABLES = ("rollup_articles", "rollup_tags", "rollup_authors", "rollup_pairs", "rollup_tag_views",
                 "rollup_article_views", "rollup_kinds", "rollup_keys", "term_docs")
DASHBOARD_ROLLUPS = ROLLUP_TABLES[:-1]  # what `use_rollups` answers from (term_docs is the search vocabulary)
CONTENT_TABLES = ("title_keys", "tags_by_key", "postings", "docs")
ROW_TABLES = ("article_growth",)


def _bucket(col: str) -> str:
    return f"CAST(floor(ln(1 + {col}) * {VIEW_BUCKETS_PER_E}) AS SMALLINT)"


# {A}: the articles rows, {T}: their about tags, {G}: all their tags; {s}: +1 or -1
_CONTRIBUTIONS = {
    "rollup_articles": """SELECT published AS day, source, synthetic, {s} * count(*) AS articles,
            {s} * coalesce(sum(views), 0) AS views_sum FROM {A} WHERE published IS NOT NULL GROUP BY ALL""",
    "rollup_tags": """SELECT t.published AS day, t.kind, t.key, t.label, a.synthetic,
            {s} * count(DISTINCT t.article_id) AS articles, {s} * coalesce(sum(a.views), 0) AS views_sum
            FROM {T} t JOIN {A} a ON a.article_id = t.article_id
            WHERE t.published IS NOT NULL GROUP BY ALL""",
    "rollup_authors": """SELECT published AS day, author, synthetic, {s} * count(*) AS articles,
            {s} * coalesce(sum(views), 0) AS views_sum
            FROM (SELECT published, synthetic, views, unnest(list_distinct(authors)) AS author FROM {A}
                  WHERE published IS NOT NULL) GROUP BY ALL""",
    "rollup_pairs": f"""WITH t AS (SELECT DISTINCT t.article_id, t.published, t.kind, t.key, a.synthetic
                  FROM {{T}} t JOIN {{A}} a ON a.article_id = t.article_id
                  WHERE t.published IS NOT NULL AND t.kind IN {PAIR_KINDS!r})
            SELECT x.published AS day, x.kind, x.key AS a, y.key AS b, x.synthetic, {{s}} * count(*) AS together
            FROM t x JOIN t y ON x.article_id = y.article_id AND x.kind = y.kind AND x.key < y.key GROUP BY ALL""",
    "rollup_tag_views": f"""WITH keyed AS (
                SELECT t.published AS day, t.kind, t.key, a.synthetic, a.views FROM {{T}} t JOIN {{A}} a ON a.article_id = t.article_id
                UNION ALL SELECT published, 'source', source, synthetic, views FROM {{A}} WHERE source IS NOT NULL
                UNION ALL SELECT published, 'author', unnest(list_distinct(authors)), synthetic, views FROM {{A}})
            SELECT day, kind, key, synthetic, {_bucket('views')} AS bucket, {{s}} * count(*) AS articles
            FROM keyed WHERE day IS NOT NULL AND views IS NOT NULL GROUP BY ALL""",
    "rollup_article_views": f"""SELECT published AS day, synthetic, {_bucket('views')} AS bucket, {{s}} * count(*) AS articles
            FROM {{A}} WHERE published IS NOT NULL AND views IS NOT NULL GROUP BY ALL""",
    "rollup_kinds": """SELECT kind, {s} * count(*) AS tags, {s} * count(DISTINCT article_id) AS articles FROM {G} GROUP BY kind""",
    "rollup_keys": """SELECT kind, key, {s} * count(*) AS tags FROM {G} GROUP BY kind, key""",
}

# the rows kept per article: {A} articles rows (content-changed ones for title keys / search), {T} about tags
_TITLE_KEY = "trim(regexp_replace(lower({col}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g'))"


def title_key_sql(col: str) -> str:
    """Case, punctuation and spacing folded (mirrors `trends.ingest.normalise_title`)."""
    return _TITLE_KEY.format(col=col)


def _unaccented(text: str) -> str:
    """Accents stripped; skipped for pure-ASCII text, which it cannot change (it costs a third of indexing)."""
    return f"CASE WHEN regexp_matches({text}, '[^\\x00-\\x7F]') THEN strip_accents({text}) ELSE {text} END"


def words_sql(text: str) -> str:
    """SQL yielding one column ``w`` per word of ``text`` (an SQL expression), before stopwords and stems."""
    return (f"SELECT w FROM (SELECT unnest(string_split(regexp_replace(lower({_unaccented(text)}), "
            f"'[^\\p{{L}}\\p{{N}}]+', ' ', 'g'), ' ')) AS w) WHERE w <> ''")


def token_sql(text: str) -> str:
    """SQL yielding one column ``term`` per token of ``text`` (an SQL expression): the one tokeniser."""
    return (f"SELECT stem(w, 'porter') AS term FROM ({words_sql(text)}) "
            f"WHERE w NOT IN (SELECT word FROM memory.main.stopwords)")


def _postings_sql(A: str) -> str:
    return f"""WITH tok AS (
            SELECT article_id, unnest(string_split(regexp_replace(lower({_unaccented("title || ' ' || body")}),
                   '[^\\p{{L}}\\p{{N}}]+', ' ', 'g'), ' ')) AS w FROM {A}),
        counted AS (SELECT article_id, w, count(*) AS n FROM tok WHERE w <> '' GROUP BY ALL),
        stems AS (SELECT w, stem(w, 'porter') AS term FROM (SELECT DISTINCT w FROM counted)
                  WHERE w NOT IN (SELECT word FROM memory.main.stopwords))
        SELECT s.term, c.article_id, CAST(sum(c.n) AS INTEGER) AS tf FROM counted c JOIN stems s USING (w) GROUP BY ALL"""


def about_threshold(con, schema: str) -> float:
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = 'about_threshold'").fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


# ------------------------------------------------------------------------------------------- writing


def _insert(con, table: str, sql: str) -> None:
    con.execute(f"INSERT INTO work.{table} BY NAME {sql}")


def contributions(con, A: str, T: str, G: str, sign: int) -> None:
    """Add the roll-up contributions of the articles in ``A`` (with about tags ``T``, all tags ``G``),
    times ``sign``, to the working segment."""
    for table, sql in _CONTRIBUTIONS.items():
        _insert(con, table, sql.format(A=A, T=T, G=G, s=int(sign)))


def per_article_rows(con, A: str, T: str, G_snap: str, content: bool, row: bool, sort: bool = False,
                     search: bool = True) -> None:
    """The per-article derived rows of the articles in ``A`` into the working segment."""
    if content:
        order = lambda cols: f" ORDER BY {cols}" if sort else ""  # noqa: E731
        _insert(con, "tags_by_key", f"SELECT kind, key, published, article_id, label FROM {T}{order('kind, key, published')}")
        _insert(con, "title_keys", f"SELECT DISTINCT * FROM (SELECT {title_key_sql('headline')} AS title_key, article_id FROM {A} "
                                   f"UNION ALL SELECT {title_key_sql('title')}, article_id FROM {A}){order('title_key')}")
        if search:
            crash_point("search")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _postings AS {_postings_sql(A)}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _docs AS SELECT a.article_id, CAST(coalesce(sum(p.tf), 0) AS INTEGER) AS len "
                        f"FROM {A} a LEFT JOIN temp._postings p USING (article_id) GROUP BY a.article_id")
            _insert(con, "docs", "SELECT * FROM temp._docs")
            # each posting carries its document's length, so scoring reads no second table
            _insert(con, "postings", "SELECT p.*, d.len FROM temp._postings p JOIN temp._docs d USING (article_id)" + order("term"))
            _insert(con, "term_docs", "SELECT term, count(*) AS docs FROM temp._postings GROUP BY term")
            con.execute("DROP TABLE temp._postings")
            con.execute("DROP TABLE temp._docs")
    if row:
        _insert(con, "article_growth",
                f"SELECT article_id, arg_max(views, observed_at) - arg_min(views, observed_at) AS growth FROM {G_snap} "
                f"GROUP BY article_id HAVING count(*) > 1")


def _ids_filter(rel: str, ids: str, columns: str = "*") -> str:
    return f"(SELECT {columns} FROM {rel} WHERE article_id IN (SELECT article_id FROM {ids}))"


def hide_and_subtract(w, row_ids: str, content_ids: str) -> None:
    """Before a batch rewrites articles: subtract what their live rows contribute, then hide those rows
    (older segments through ``superseded``; the working segment's own rows are deleted).

    ``row_ids`` / ``content_ids`` name relations of ``article_id``: ids whose articles row / whose text
    changes (content ids are a subset of row ids).
    """
    con, live = w.con, w.live
    A, T, G = _batch_rows(con, live, row_ids, "old")
    contributions(con, A, T, G, -1)
    for table in (A, T, G):
        con.execute(f"DROP TABLE {table}")
    _insert(con, "term_docs", f"SELECT term, -count(*) AS docs FROM {_ids_filter(f'{live}.postings', content_ids)} GROUP BY term")
    hide(w, row_ids, content_ids)


def hide(w, row_ids: str, content_ids: str) -> None:
    """Hide the live rows of re-stored articles (older segments through ``superseded``; the working
    segment's own rows are deleted), without touching roll-ups: alone only where the segment's derived
    rows are recomputed at the end of the run (`rebuild`)."""
    con = w.con
    for table in ("articles",) + ROW_TABLES:
        con.execute(f"DELETE FROM work.{table} WHERE article_id IN (SELECT article_id FROM {row_ids})")
    for table in ("tags", "related") + CONTENT_TABLES:
        con.execute(f"DELETE FROM work.{table} WHERE article_id IN (SELECT article_id FROM {content_ids})")
    con.execute(f"INSERT INTO work.superseded SELECT article_id, 'row' FROM {row_ids}")
    con.execute(f"INSERT INTO work.superseded SELECT article_id, 'content' FROM {content_ids}")


def add_contributions(w, row_ids: str, content_ids: str, written: bool = False, restored_ids: str | None = None) -> None:
    """After a batch wrote its rows: add what those articles contribute now, and their per-article rows.

    ``written``: every id of ``row_ids`` was just written to the working segment (its older rows hidden),
    so its live articles row is the working segment's, and so are its live tags, except for the
    ``restored_ids`` (a view count changed, the text did not: the tags stay where they were); then the
    look-up reads the small working segment instead of the live views."""
    con, live = w.con, w.live
    if not written:
        A, T, G = _batch_rows(con, live, row_ids, "new")
    else:
        tags = _ids_filter("work.tags", content_ids, _TAG_COLUMNS)
        if restored_ids:
            tags += f" UNION ALL {_ids_filter(f'{live}.tags', restored_ids, _TAG_COLUMNS)}"
        A, T, G = _batch_rows(con, live, row_ids, "new", articles="work.articles", tags=tags)
    contributions(con, A, T, G, +1)
    crash_point("rollups")
    content_A = _ids_filter("work.articles", content_ids)  # title and body, which the temp table leaves out
    content_T = _ids_filter(T, content_ids)
    per_article_rows(con, content_A, content_T, "", content=True, row=False)
    per_article_rows(con, A, T, _ids_filter(f"{live}.view_snapshots", row_ids), content=False, row=True)
    for table in (A, T, G):
        con.execute(f"DROP TABLE {table}")


# the columns the roll-up contributions and tags_by_key read (not bodies or spans: reading those for
# every live row is what made a batch's look-up slow)
_ARTICLE_COLUMNS = "article_id, published, source, synthetic, views, authors"
_TAG_COLUMNS = "article_id, kind, key, label, published, score"


def _batch_rows(con, live: str, ids: str, name: str, articles: str | None = None, tags: str | None = None) -> tuple[str, str, str]:
    """The live articles rows, about tags and all tags of the ids in ``ids`` (the columns the roll-ups
    read), read once into temp tables: one pass instead of one per roll-up. ``articles`` / ``tags``: where
    to read them instead of the live views."""
    thr = about_threshold(con, live)
    A, T, G = f"temp._{name}_articles", f"temp._{name}_about", f"temp._{name}_tags"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{name}_articles AS "
                f"{_ids_filter(articles or f'{live}.articles', ids, _ARTICLE_COLUMNS)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{name}_tags AS {tags or _ids_filter(f'{live}.tags', ids, _TAG_COLUMNS)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{name}_about AS SELECT * FROM {G} WHERE score >= {thr!r}")
    return A, T, G


def mark_built(con, search: bool = True) -> None:
    set_setting(con, ROLLUPS_SETTING, ROLLUPS_VERSION)
    if search:
        set_setting(con, SEARCH_SETTING, SEARCH_VERSION)


def rebuild(con, schema: str = "work", search: bool = True) -> None:
    """Every derived table of the segment ``schema`` recomputed from its base rows (a rewrite segment,
    or a fixture's only segment): the reference an incremental archive must equal."""
    for table in ROLLUP_TABLES + CONTENT_TABLES + ROW_TABLES:
        con.execute(f"DELETE FROM work.{table}")
    thr = about_threshold(con, schema)
    A, G = f"{schema}.articles", f"{schema}.tags"
    T = f"(SELECT * FROM {G} WHERE score >= {thr!r})"
    contributions(con, A, T, G, +1)
    crash_point("rollups")
    per_article_rows(con, A, T, "", content=True, row=False, sort=True, search=search)
    per_article_rows(con, A, T, f"{schema}.view_snapshots", content=False, row=True)
    collapse_rollups(con)  # one row per group, in each roll-up's read order
    mark_built(con, search=search)


_SORTED_TABLES = (("tags_by_key", "kind, key, published"), ("postings", "term"), ("tags", "article_id"),
                  ("title_keys", "title_key"))


def sort_segment(con) -> None:
    """Before a working segment is published: its roll-up deltas summed per group, its big tables
    re-sorted (zone maps skip well)."""
    collapse_rollups(con)
    _sort(con, _SORTED_TABLES)


def sort_base_tags(con) -> None:
    """After `rebuild` (derived tables written sorted and collapsed): only the base tags re-sorted."""
    _sort(con, [t for t in _SORTED_TABLES if t[0] == "tags"])


def _sort(con, tables) -> None:
    for table, order in tables:
        cols = ", ".join(_columns(table))
        con.execute(f"CREATE OR REPLACE TEMP TABLE _sorted AS SELECT {cols} FROM work.{table} ORDER BY {order}")
        con.execute(f"DELETE FROM work.{table}")
        con.execute(f"INSERT INTO work.{table} SELECT * FROM _sorted")
        con.execute("DROP TABLE _sorted")


def _columns(table: str) -> list[str]:
    return columns_of(table)


# ------------------------------------------------------------------------------------------- rewrites

BASE_TABLES = ("articles", "view_snapshots", "sightings", "related", "tags", "rejects", "ingest_runs", "meta", "themes",
               "corrections")


def copy_base(w) -> None:
    """Fill a rewrite segment with the live base rows (unchanged sightings folded into ``last_seen``)."""
    con, src = w.con, "memory.source"
    for table in BASE_TABLES:
        cols = ", ".join(_columns(table))
        if table == "sightings":
            continue
        if table == "articles":
            con.execute(
                f"""INSERT INTO work.articles SELECT {cols.replace('last_seen', 'greatest(a.last_seen, s.seen) AS last_seen')}
                    FROM {src}.articles a LEFT JOIN (SELECT article_id, max(seen_at) AS seen FROM {src}.sightings GROUP BY ALL) s
                    USING (article_id) ORDER BY published, article_id""")
        elif table == "meta":
            con.execute(f"INSERT INTO work.meta SELECT {cols} FROM {src}.meta WHERE key <> 'segment_kind'")
        elif table == "tags":
            con.execute(f"INSERT INTO work.tags SELECT {cols} FROM {src}.tags ORDER BY article_id")
        else:
            con.execute(f"INSERT INTO work.{table} SELECT {cols} FROM {src}.{table}")


def copy_live(w) -> None:
    """Compaction: the live base rows plus the live derived rows, roll-up deltas summed (no recompute)."""
    copy_base(w)
    con, src = w.con, "memory.source"
    for table in ROLLUP_TABLES + CONTENT_TABLES + ROW_TABLES:
        cols = ", ".join(_columns(table))
        order = {"tags_by_key": " ORDER BY kind, key, published", "postings": " ORDER BY term",
                 "title_keys": " ORDER BY title_key"}.get(table, "")
        con.execute(f"INSERT INTO work.{table} SELECT {cols} FROM {src}.{table}{order}")
    collapse_rollups(con)


def attach_source(w) -> None:
    """In a rewrite writer: the published archive's views as ``memory.source`` (what is copied)."""
    from trends.store import build_views

    aliases = [f"seg{i}" for i in range(len(w.base.segments))] if w.base else []
    if aliases:
        build_views(w.con, aliases, "memory.source")
    else:
        w.con.execute("CREATE SCHEMA IF NOT EXISTS memory.source")
        from trends.store import TABLES

        for table, (scope, ddl) in TABLES.items():
            w.con.execute(f"CREATE TABLE IF NOT EXISTS memory.source.{table} ({ddl})")


def compare_tables() -> tuple[str, ...]:
    """The derived tables (as readers see them) a full rebuild must reproduce."""
    return ROLLUP_TABLES + CONTENT_TABLES + ROW_TABLES + ("rollup_summary",)


def collapse_rollups(con, catalog: str = "work") -> None:
    """Sum a segment's own roll-up deltas per group and drop empty groups (before it is published)."""
    from trends.store import ROLLUP_MEASURES

    for table, measures in ROLLUP_MEASURES.items():
        cols = _columns(table)
        keys = [c for c in cols if c not in measures]
        sums = ", ".join(f"sum({m}) AS {m}" for m in measures)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _collapsed AS SELECT {', '.join(keys)}, {sums} FROM {catalog}.{table} "
                    f"GROUP BY ALL HAVING {' OR '.join(f'sum({m}) <> 0' for m in measures)} ORDER BY {ROLLUP_ORDER[table]}")
        con.execute(f"DELETE FROM {catalog}.{table}")
        con.execute(f"INSERT INTO {catalog}.{table} BY NAME SELECT * FROM temp._collapsed")
        con.execute("DROP TABLE temp._collapsed")


# ------------------------------------------------------------------------------------------- compaction

MAX_SEGMENTS = 4  # more than this after a publish: the delta segments are merged into one
FULL_COMPACT_SHARE = 0.25  # delta articles above this share of the base's: everything into a new base


def merge_segments(path, first: int, last: int) -> None:
    """Merge published segments first..last (a contiguous range, under the writer lock) into one:
    rows hidden within the range are dropped, roll-up deltas summed, big tables re-sorted. Rows the
    range hides in older segments stay hidden (the merged ``superseded`` is the range's union)."""
    import uuid
    from pathlib import Path

    import duckdb

    from trends.store import (
        SEGMENT_DIR, _attach, build_views, load_stopwords, own_spill, read_manifest, replace_segments,
    )

    path = Path(path)
    manifest = read_manifest(path)
    names = manifest.segments[first:last + 1]
    target = path / f"rewrite-merge-{uuid.uuid4().hex[:8]}.duckdb"
    con = duckdb.connect(":memory:", config=own_spill({}))
    try:
        aliases = []
        for i, name in enumerate(names):
            _attach(con, path / SEGMENT_DIR / name, f"m{i}", read_only=True)
            aliases.append(f"m{i}")
        load_stopwords(con)
        build_views(con, aliases, "memory.range")
        con.execute(f"ATTACH '{str(target).replace(chr(39), chr(39) * 2)}' AS merged")
        copy_tables(con, "memory.range", aliases, "merged")
        con.execute("DELETE FROM merged.meta WHERE key = 'segment_kind'")
        con.execute("INSERT INTO merged.meta VALUES ('segment_kind', 'merged')")
        con.execute("CHECKPOINT merged")
        con.execute("DETACH merged")
    except BaseException:
        con.close()
        target.unlink(missing_ok=True)
        raise
    con.close()
    replace_segments(path, first, last, target)


# the big tables written in this order (zone maps skip well); the roll-ups in ROLLUP_ORDER
COPY_ORDER = {"tags_by_key": "kind, key, published", "postings": "term", "tags": "article_id",
              "articles": "published, article_id", "title_keys": "title_key"}


def copy_tables(con, views: str, raw: list[str], target: str) -> None:
    """Every table of the archive, as the views in ``views`` show it (hidden rows dropped, roll-up deltas
    summed), into the empty catalog ``target``, the big tables sorted and articles indexed by id: one
    segment equal to what it was copied from. ``raw`` are the aliases under the views (their own
    ``superseded`` and every fitted theme model are copied as they are). Used to merge segments and to make
    a dashboard server's local read copy of a shared-store snapshot (`trends.lake.reader`)."""
    from trends.store import TABLES, create_tables, index_articles

    create_tables(con, target)
    for table, (scope, _) in TABLES.items():
        cols = ", ".join(columns_of(table))
        if table == "superseded":
            union = " UNION ALL ".join(f"SELECT article_id, scope FROM {a}.superseded" for a in raw)
            con.execute(f"INSERT INTO {target}.superseded SELECT DISTINCT * FROM ({union})")
            continue
        if scope == "themes":
            union = " UNION ALL ".join(f"SELECT {cols} FROM {a}.themes" for a in raw)
            con.execute(f"INSERT INTO {target}.themes SELECT {cols} FROM ({union})")
            continue
        source = "related_links" if table == "related" else table
        order = COPY_ORDER.get(table) or ROLLUP_ORDER.get(table)
        con.execute(f"INSERT INTO {target}.{table} SELECT {cols} FROM {views}.{source}" + (f" ORDER BY {order}" if order else ""))
        if copied_table_hook is not None:
            copied_table_hook(table)
    index_articles(con, target)


copied_table_hook = None  # tests: called after each table `copy_tables` wrote (a writer publishing mid-copy)


def maybe_compact(path) -> str | None:
    """After a publish: merge the delta segments when there are too many, or fold everything into a new
    base when the deltas have grown past a share of it. Returns what was done (None: nothing)."""
    import os

    from trends.store import locked, segment_files

    if os.environ.get("TRENDS_NO_COMPACT"):  # benchmarks that measure many segments on purpose
        return None
    with locked(path) as manifest:
        if manifest is None or len(manifest.segments) <= 1:
            return None
        files = segment_files(path)
        base, deltas = files[0].stat().st_size, sum(f.stat().st_size for f in files[1:])
        if deltas > FULL_COMPACT_SHARE * base and deltas > 64 * 2**20:
            pass  # a full compaction below (it takes the lock itself)
        elif len(manifest.segments) > MAX_SEGMENTS:
            merge_segments(path, 1, len(manifest.segments) - 1)
            return "merged"
        else:
            return None
    compact(path)
    return "compacted"


def compact(path) -> None:
    """`trends compact`: the live archive into one new base segment (no derived row is recomputed)."""
    from trends.store import open_writer

    def copy(w):
        attach_source(w)
        copy_live(w)

    with open_writer(path, rewrite=True, copy=copy):
        pass


def rebuild_archive(path) -> None:
    """`trends rebuild`: the base rows into one new base segment, every derived table recomputed."""
    from trends.store import open_writer

    def copy(w):
        attach_source(w)
        copy_base(w)

    with open_writer(path, rewrite=True, copy=copy) as w:
        w.con.execute("BEGIN TRANSACTION")
        rebuild(w.con, "work", search=_has_search(w))
        w.con.execute("COMMIT")


def _has_search(w) -> bool:
    row = w.con.execute(f"SELECT value FROM {w.live}.meta WHERE key = ?", [SEARCH_SETTING]).fetchone()
    return True if row is None else bool(row[0])
