"""What makes a small ingest fast, checked for staying right: theme weights without scikit-learn (equal to
scikit-learn's solver, independent of the batch), the stored theme model never refitted by an ingest,
the built tagger cached on disk (same tags, rebuilt when stale or damaged), and the lean start-up."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from fixtures_archive import make_pages
from fixtures_ingest import query
from trends.demo.generator import Generator
from trends.ingest import ingest_paths
from trends.tagging import themes
from trends.tagging.nnls import transform


@pytest.fixture(scope="module")
def theme_model():
    texts = [a.title + "\n\n" + a.body for a in Generator(500, 11)]
    return themes.fit(texts[:350]), texts[350:]


def test_theme_weights_equal_scikit_learns_coordinate_descent(theme_model):
    from sklearn.decomposition import non_negative_factorization

    model, texts = theme_model
    X = model.vocabulary.matrix(texts)
    ours = transform(X, model.components)
    for i in range(X.shape[0]):  # one text at a time: there scikit-learn's stopping rule is the same as ours
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref, _, _ = non_negative_factorization(
                X[i], H=model.components.astype(X.dtype), n_components=len(model), init="custom", update_H=False,
                max_iter=400, random_state=0)
        np.testing.assert_allclose(ours[i], ref[0], atol=1e-5)
        assert themes._dominant(ours[i], model) == themes._dominant(ref[0], model)
    assert (ours > 0).any(axis=1).mean() > 0.9  # real weights, not an all-zero answer


def test_an_articles_themes_do_not_depend_on_its_batch(theme_model):
    model, texts = theme_model
    together = themes.assign(model, texts)
    alone = [themes.assign(model, [t])[0] for t in texts[:40]]
    assert alone == together[:40]
    assert sum(bool(t) for t in together) > len(texts) * 0.8
    assert themes.assign(model, ["", "zzzz qqqq"]) == [[], []]  # no vocabulary word: no theme


def test_ingest_assigns_with_the_stored_model_and_never_refits(tmp_path):
    db = tmp_path / "archive"
    ingest_paths(db, [make_pages(tmp_path / "first", 30)], progress=False, processes=1)
    facts = query(db, "SELECT value FROM meta WHERE key = 'theme_model'")[0][0]
    stored_themes = query(db, "SELECT key, top_terms FROM themes ORDER BY key")
    assert stored_themes and json.loads(facts)["sample"] == 30
    summary = ingest_paths(db, [make_pages(tmp_path / "more", 10, start=100)], progress=False, processes=1)
    assert summary.new == 10 and not summary.themes_fitted
    assert query(db, "SELECT value FROM meta WHERE key = 'theme_model'")[0][0] == facts  # same fit
    assert query(db, "SELECT key, top_terms FROM themes ORDER BY key") == stored_themes
    # the new articles carry exactly the stored model's themes for their text
    from trends.store import open_reader
    from trends.tagging.storage import load_theme_model

    con = open_reader(db)
    try:
        model = themes.ThemeModel.from_bytes(load_theme_model(con, "memory.reader"))
        rows = con.execute(
            "SELECT a.article_id, a.title || chr(10) || chr(10) || a.body, list(t.key ORDER BY t.score DESC, t.key) "
            "FILTER (WHERE t.kind = 'theme') FROM articles a LEFT JOIN tags t USING (article_id) "
            "WHERE a.title LIKE '%part 1__' GROUP BY ALL ORDER BY 1").fetchall()
    finally:
        con.close()
    assert len(rows) == 10
    expected = themes.assign(model, [text for _, text, _ in rows])
    for (_, _, keys), tags in zip(rows, expected):
        assert sorted(keys or []) == sorted(t.key for t in tags)
    assert any(keys for _, _, keys in rows)


def test_the_built_tagger_is_cached_and_tags_alike(tmp_path, monkeypatch):
    from trends.tagging import tagger_cache
    from trends.tagging.profile import default_profile
    from trends.tagging.tagger import Tagger

    monkeypatch.setenv("TRENDS_CACHE_DIR", str(tmp_path / "cache"))
    profile = default_profile()
    builds = []

    def build():
        builds.append(1)
        return Tagger(profile)

    first = tagger_cache.load_or_build(profile, build)
    files = list((tmp_path / "cache").glob("tagger-*.pickle"))
    assert len(builds) == 1 and len(files) == 1
    second = tagger_cache.load_or_build(profile, build)
    assert len(builds) == 1 and second is not first  # read from disk, not built
    text = ("Russia and Ukraine: the war grinds on\n\nKyiv asks Washington for more air defence as Moscow shells "
            "Kharkiv. Emmanuel Macron and NATO met in Brussels about sanctions and oil prices.")
    assert second.extract(text) == first.extract(text) and first.extract(text)
    files[0].write_bytes(b"not a pickle")  # damaged: rebuilt and replaced
    third = tagger_cache.load_or_build(profile, build)
    assert len(builds) == 2 and third.extract(text) == first.extract(text)
    assert tagger_cache.cache_key(profile.hash) != tagger_cache.cache_key("another-profile")


def test_an_unwritable_or_disabled_cache_only_costs_the_build(tmp_path, monkeypatch):
    from trends.tagging import tagger_cache

    class Profile:
        hash = "x"

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TRENDS_CACHE_DIR", str(blocker / "cache"))  # a folder under a file: cannot exist
    assert tagger_cache.load_or_build(Profile(), lambda: "built") == "built"
    monkeypatch.setenv("TRENDS_CACHE_DIR", "off")
    assert tagger_cache.cache_dir() is None
    assert tagger_cache.load_or_build(Profile(), lambda: "built") == "built"


def cli_then(argv: list[str], then: str) -> subprocess.CompletedProcess:
    """The real `trends` CLI in a fresh interpreter, then ``then`` (Python, sees ``code``: the exit status)
    in the same process, to look at what the command left behind there (modules, priority)."""
    probe = (
        "import os, sys, runpy\n"
        f"sys.argv = ['trends', *{argv!r}]\n"
        "try:\n    runpy.run_module('trends.cli', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code\n"
        f"{then}\n"
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)


def test_a_small_ingest_imports_neither_scikit_learn_nor_scipy_nor_pandas(tmp_path):
    db = tmp_path / "archive"
    ingest_paths(db, [make_pages(tmp_path / "first", 30)], progress=False, processes=1)  # fits the model
    one = make_pages(tmp_path / "one", 1, start=500)
    facts = query(db, "SELECT value FROM meta WHERE key = 'theme_model'")[0][0]
    out = cli_then(["ingest", str(one), "--db", str(db), "--quiet"],
                   "print('MODULES', code, 'sklearn' in sys.modules, 'scipy' in sys.modules, 'pandas' in sys.modules)")
    assert "MODULES 0 False False False" in out.stdout, out.stderr[-2000:]
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 31
    assert query(db, "SELECT value FROM meta WHERE key = 'theme_model'")[0][0] == facts  # not refitted


def test_pandas_is_kept_out_only_inside_the_block_and_duckdb_binds_without_it():
    """Run in a fresh interpreter (this one has pandas): inside the block an import fails as "not
    installed", DuckDB still binds parameters and scans Arrow tables, and pandas works again after it."""
    probe = (
        "import sys, datetime, duckdb, pyarrow as pa\n"
        "from trends.without_pandas import pandas_unloaded\n"
        "con = duckdb.connect()\n"
        "with pandas_unloaded() as active:\n"
        "    try:\n        import pandas\n        blocked = False\n"
        "    except ModuleNotFoundError:\n        blocked = True\n"
        "    row = con.execute('SELECT ?, ?, ?', [41, 'x', datetime.date(2024, 1, 2)]).fetchone()\n"
        "    con.register('t', pa.table({'a': [1, 2]}))\n"
        "    total = con.execute('SELECT sum(a) + ? FROM t', [3]).fetchone()[0]\n"
        "    inside = 'pandas' in sys.modules\n"
        "frame = con.execute('SELECT ? AS v', [7]).df()\n"
        "with pandas_unloaded() as again:\n    pass\n"
        "print('RESULT', active, blocked, row, total, inside, int(frame.v[0]), again)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "RESULT True True (41, 'x', datetime.date(2024, 1, 2)) 6 False 7 False" in out.stdout, out.stderr[-2000:]


def test_a_background_ingest_yields_the_cpu_and_stores_alike(tmp_path):
    """`trends ingest --background` on the real CLI: the process (and what it starts) runs at nice 19 under
    SCHED_IDLE, and stores the same articles as a normal run."""
    pages = make_pages(tmp_path / "pages", 3)
    out = cli_then(["ingest", str(pages), "--db", str(tmp_path / "bg"), "--quiet", "--no-tag", "--background"],
                   "idle = getattr(os, 'SCHED_IDLE', None)\n"
                   "print('PRIORITY', code, os.nice(0), idle is None or os.sched_getscheduler(0) == idle)")
    assert "PRIORITY 0 19 True" in out.stdout, out.stderr[-2000:]
    normal = subprocess.run([sys.executable, "-m", "trends.cli", "ingest", str(pages), "--db", str(tmp_path / "fg"), "--quiet",
                             "--no-tag"], capture_output=True, text=True, timeout=600)
    assert normal.returncode == 0, normal.stderr[-2000:]
    sql = "SELECT article_id, title, body, views FROM articles ORDER BY article_id"
    assert query(tmp_path / "bg", sql) == query(tmp_path / "fg", sql) and len(query(tmp_path / "bg", sql)) == 3
