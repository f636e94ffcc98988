"""DuckDB spill folders: every instance the archive opens spills into a folder of its own.

DuckDB names its spill files by size class only, so two instances spilling into one folder overwrite
each other's blocks. That is what killed one of two 50,000-page `trends ingest` processes with a
segmentation fault (docs/scaling.md): both in-memory writers spilled into `.tmp` in the folder they were
started from. Here two real processes, started from the same folder, open the real writer (or reader)
connection, push more rows through it than its memory limit holds, and read them back; the expected
checksum is computed from the generator, not from the spilled table. With a shared folder this fails
(wrong sums, IO errors or SIGSEGV; checked before the fix)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent("""
    import sys
    from trends import store
    kind, archive, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def spill_and_read_back(con):
        con.execute("SET memory_limit = '40MB'")
        con.execute("CREATE TEMP TABLE big AS SELECT repeat(md5((i + ?)::VARCHAR), 4) AS s FROM range(300000) r(i)", [seed])
        spilled = con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()[0]
        folder = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        want = con.execute("SELECT sum(hash(repeat(md5((i + ?)::VARCHAR), 4))) FROM range(300000) r(i)", [seed]).fetchone()[0]
        same = all(con.execute("SELECT sum(hash(s)) FROM big").fetchone()[0] == want for _ in range(3))
        print(spilled, same, folder)

    if kind == "writer":
        with store.open_writer(archive) as w:
            spill_and_read_back(w.con)
    else:
        con = store.open_reader(archive)
        spill_and_read_back(con)
        con.close()
""")


def _new_archive(path: Path) -> Path:
    from trends.store import open_writer

    with open_writer(path, settings={"about_threshold": 0.0}):
        pass
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["writer", "reader"])
def test_two_processes_spilling_at_once_each_read_back_their_own_rows(tmp_path, kind):
    archives = [_new_archive(tmp_path / f"archive-{k}") for k in (1, 2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, kind, str(a), str(k)], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k, a in enumerate(archives, 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    folders = []
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        spilled, same, folder = out.split()
        assert int(spilled) > 0  # the rows really went through the spill files
        assert same == "True"
        folders.append(Path(folder))
    assert folders[0] != folders[1] and all(f.is_absolute() for f in folders)
    assert not (tmp_path / ".tmp").exists()  # nothing spilled into the folder the processes ran from
    assert not any(f.exists() for f in folders)  # each instance removed its folder when it closed


def test_a_dead_process_s_spill_folder_is_removed_by_the_next_instance():
    from trends.store import SPILL_ROOT, own_spill

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = SPILL_ROOT / f"{done.stdout.strip()}-0123456789ab"  # that process has exited
    mine = SPILL_ROOT / f"{os.getpid()}-ba9876543210"
    for folder in (dead, mine):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "duckdb_temp_storage_S32K-0.tmp").write_bytes(b"x" * 10)
    try:
        config = own_spill({"threads": 1})
        assert not dead.exists() and mine.exists()  # a live process's folder stays
        assert config["threads"] == 1 and Path(config["temp_directory"]).parent == SPILL_ROOT
        assert Path(config["temp_directory"]) != Path(own_spill({})["temp_directory"])
    finally:
        import shutil

        shutil.rmtree(mine, ignore_errors=True)


def test_a_dead_writer_s_working_segment_is_removed_by_the_next_shared_store_writer(tmp_path):
    from trends.lake.writer import WORK_PREFIX, remove_dead_work_files

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = [tmp_path / f"{WORK_PREFIX}{done.stdout.strip()}-0123abcd.duckdb{end}" for end in ("", ".wal")]
    alive = tmp_path / f"{WORK_PREFIX}{os.getpid()}-4567ef01.duckdb"
    other = tmp_path / "trends-lake-workbench.duckdb"  # not a working segment's name
    for path in dead + [alive, other]:
        path.write_bytes(b"x")
    remove_dead_work_files(tmp_path)
    assert not any(p.exists() for p in dead)
    assert alive.exists() and other.exists()
