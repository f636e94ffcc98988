"""First start without a database: build the demo corpus in a child process and show its progress.

The Streamlit process opens nothing for writing. It starts ``python -m trends.demo.first_start``
(one child per database per server, shared by every session that arrives meanwhile), watches the
progress file the child keeps, and reruns the page once the database is in place. A failed build
gets one line on the page (and the child's last words in the server log); the next rerun retries.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import streamlit as st

from trends.demo.first_start import read_progress
from trends.ui.text import escape_md

LOG = logging.getLogger("trends.dashboard")
ARTICLES, SEED = 3000, 7
_children: dict[str, tuple[subprocess.Popen, object]] = {}  # db path -> (the build, its stderr file)
_lock = threading.Lock()


def start_build(db: Path) -> subprocess.Popen:
    """The running build for `db`, started now unless one is running already."""
    with _lock:
        running = _children.get(str(db))
        if running is not None and running[0].poll() is None:
            return running[0]
        stderr = tempfile.TemporaryFile()  # in the system temp folder; read back only if the build fails
        child = subprocess.Popen(
            [sys.executable, "-m", "trends.demo.first_start", "--db", str(db), "--articles", str(ARTICLES),
             "--seed", str(SEED)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        LOG.info("no database at %s: building the demo corpus (process %s)", db, child.pid)
        _children[str(db)] = (child, stderr)
        return child


def _last_words(db: Path) -> str:
    entry = _children.get(str(db))
    if entry is None:
        return ""
    stderr = entry[1]
    stderr.seek(0)
    lines = stderr.read().decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def first_start(db: Path) -> None:
    """Show the demo build's progress until the database exists, then rerun (or say why it failed)."""
    st.title("Commentary trends")
    child = start_build(db)
    with st.status(f"No database yet: building the demo corpus at {escape_md(db)} …", expanded=True) as status:
        bar = st.progress(0.0, text="starting")
        while child.poll() is None:
            report = read_progress(db)
            done, total = int(report.get("done") or 0), int(report.get("total") or 0)
            if total:
                bar.progress(min(1.0, done / total), text=f"{report.get('stage') or 'building'}: {done:,} / {total:,}")
            time.sleep(0.25)
        if db.exists():
            status.update(label="Demo corpus ready", state="complete")
        else:
            reason = read_progress(db).get("error") or _last_words(db) or f"the build stopped (exit {child.returncode})"
            LOG.error("demo build for %s failed (exit %s): %s", db, child.returncode, _last_words(db))
            status.update(label="The demo build failed", state="error")
    if not db.exists():
        st.error(f"Could not build the demo database: {escape_md(reason)}. Run `trends demo --db {db}` in a terminal to see "
                 "why, or point `TRENDS_DB` at an existing database; reload to try again.")
        return
    st.rerun()
