"""Analyst corrections in the article view, and the tagging profile line on the About page.

The dashboard never writes the archive: a correction is handed (as JSONL on stdin) to a short-lived
child process, ``python -m trends.corrections.write``, which is the archive's writer for that moment
(it waits for a running ingest to finish). The page waits a few seconds for it, then shows the
corrected tags from the new generation; a slower save stays listed as pending until it lands.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from trends import cache
from trends.corrections.model import Correction
from trends.ui.data import READ_ERRORS
from trends.ui.text import escape_md

LOG = logging.getLogger("trends.dashboard")
WAIT_SECONDS = 20.0  # how long a submit waits for the writer child before showing "pending"
CORRECTABLE = ("topic", "country", "person", "org")
KIND_NAMES = {"topic": "topic", "country": "country", "person": "person", "org": "organisation"}
_JOBS = "corrections_jobs"


@dataclass
class SaveJob:
    """One writer child saving corrections of one article."""

    article_id: int
    count: int
    child: subprocess.Popen
    stderr: object
    started: float = field(default_factory=time.monotonic)

    def last_words(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else f"the save stopped (exit {self.child.returncode})"


def start_save(db: Path, corrections: list[Correction]) -> SaveJob:
    """Start the writer child for ``corrections`` (all of one article)."""
    payload = "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in corrections).encode("utf-8")
    stderr = tempfile.TemporaryFile()
    child = subprocess.Popen([sys.executable, "-m", "trends.corrections.write", "--db", str(db)],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
    child.stdin.write(payload)
    child.stdin.close()
    LOG.info("saving %d corrections of article %s (process %s)", len(corrections), corrections[0].article_id, child.pid)
    return SaveJob(corrections[0].article_id, len(corrections), child, stderr)


def corrections_panel(state, article_id: int, tags: pd.DataFrame) -> None:
    """The article's corrections in force (with undo), the save status, and the correction form."""
    db = Path(state.db)
    _job_status(article_id)
    try:
        current = cache.article_corrections(state.db, article_id)
    except READ_ERRORS:
        current = pd.DataFrame()
    if len(current):
        st.markdown("**Corrected by analysts**")
        for row in current.itertuples(index=False):
            what = "added" if row.action == "add" else "marked wrong"
            who = f" by {row.analyst}" if isinstance(row.analyst, str) and row.analyst else ""
            left, right = st.columns([4, 1])
            left.caption(escape_md(f"{KIND_NAMES.get(row.kind, row.kind)} {row.label or row.key}: {what}{who}"))
            if right.button("Undo", key=f"corr_undo_{article_id}_{row.kind}_{row.key}", type="tertiary"):
                _submit(db, [Correction(article_id, row.kind, row.key, "clear", label=row.label)])
    with st.expander("Correct the tags", icon=":material/edit:"):
        _form(state, db, article_id, tags)


def _form(state, db: Path, article_id: int, tags: pd.DataFrame) -> None:
    shown = tags[tags["kind"].isin(CORRECTABLE)] if len(tags) else tags
    options = [f"{r.kind}\t{r.key}" for r in shown.itertuples(index=False)] if len(shown) else []
    names = {f"{r.kind}\t{r.key}": str(r.label) for r in shown.itertuples(index=False)} if len(shown) else {}
    labels = {o: f"{name} ({KIND_NAMES[o.split(chr(9))[0]]})" for o, name in names.items()}
    topic_labels = (state.info or {}).get("tagging_profile", {}) or {}
    topic_labels = topic_labels.get("topic_labels") or {}
    have = {r.key for r in shown.itertuples(index=False) if r.kind == "topic"} if len(shown) else set()
    with st.form(key=f"corr_form_{article_id}", clear_on_submit=True, border=False):
        wrong = st.multiselect("Wrong tags", options, format_func=lambda o: labels.get(o, o), key=f"corr_wrong_{article_id}",
                               placeholder="tags this article is not about")
        topics = st.multiselect("Missing topics", [k for k in topic_labels if k not in have],
                                format_func=lambda k: topic_labels.get(k, k), key=f"corr_topics_{article_id}")
        kind_col, name_col = st.columns([1, 2])
        kind = kind_col.selectbox("Missing", ("country", "person", "org"), format_func=KIND_NAMES.get,
                                  key=f"corr_kind_{article_id}")
        name = name_col.text_input("Name or code", key=f"corr_name_{article_id}", max_chars=200,
                                   placeholder="France or FRA, Xi Jinping, NATO")
        analyst = st.text_input("Your name (optional)", key=f"corr_analyst_{article_id}", max_chars=100)
        submitted = st.form_submit_button("Save corrections", icon=":material/save:", key=f"corr_save_{article_id}")
    if not submitted:
        return
    who = analyst.strip() or None
    out = [Correction(article_id, *o.split("\t", 1), "remove", label=names.get(o), analyst=who) for o in wrong]
    out += [Correction(article_id, "topic", k, "add", label=topic_labels.get(k), analyst=who) for k in topics]
    if name.strip():
        out.append(Correction(article_id, kind, name.strip(), "add", label=name.strip(), analyst=who))
    if not out:
        st.info("Nothing to save: choose a wrong tag, a missing topic or a missing name.")
        return
    _submit(db, out)


def _submit(db: Path, corrections: list[Correction]) -> None:
    job = start_save(db, corrections)
    with st.spinner(f"Saving {len(corrections)} correction(s) …"):
        deadline = time.monotonic() + WAIT_SECONDS
        while job.child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    st.session_state.setdefault(_JOBS, []).append(job)
    st.rerun()  # the new generation (or the pending note) shows on the rerun


def _job_status(article_id: int) -> None:
    """One line per save of this article started in this session: saved, failed (why) or pending."""
    jobs = st.session_state.get(_JOBS) or []
    keep = []
    for job in jobs:
        if job.article_id != article_id:
            keep.append(job)
            continue
        code = job.child.poll()
        if code is None:
            keep.append(job)
            st.info(f"Saving {job.count} correction(s): waiting for the archive's writer (an ingest may be running); "
                    "they show here once saved.")
            st.button("Check again", key=f"corr_check_{article_id}_{job.child.pid}", type="tertiary")
        elif code == 0:
            st.success(f"Saved {job.count} correction(s); every chart counts them now.")
        else:
            reason = job.last_words().removeprefix("trends corrections: ")
            LOG.error("saving corrections of article %s failed: %s", article_id, reason)
            st.error(f"The corrections were not saved: {escape_md(reason)}")
    st.session_state[_JOBS] = keep


def tagging_profile(info: dict) -> None:
    """About: which taxonomy and model tagged the data, and the analysts' corrections."""
    from trends.queries.overview import profile_line as line

    facts = info.get("tagging_profile")
    st.subheader("Tagging")
    st.markdown(
        f"Tagged with the profile **{escape_md(line(facts))}**"
        + (f" (hash `{escape_md(facts.get('hash', ''))}`)" if facts else "")
        + f". {int(info.get('corrections') or 0):,} tags corrected by analysts (they win over the tagger, "
        "survive `trends retag` and re-ingest, and are exported with `trends corrections export FILE`)."
    )
