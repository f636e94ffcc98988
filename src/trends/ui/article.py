"""One article in full: its facts, the text with every tag's mentions highlighted (why each tag was
given), the tags, its view history and its resolved "Read also" links."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from trends import cache, charts
from trends.ui.chart import csv_button, figure
from trends.ui.data import READ_ERRORS
from trends.ui.notices import notice
from trends.ui.state import PageState
from trends.ui.text import as_date, escape_md, highlight_html

TAG_COLUMNS = ["kind", "key", "label", "mentions", "score", "method", "spans"]


def article_view(state: PageState) -> None:
    """The article `state.view.article`, in a bordered panel with a Close button."""
    article_id = state.view.article
    try:
        art = cache.article(state.db, article_id)
    except READ_ERRORS as exc:
        notice(f"Could not open the article: {str(exc).splitlines()[0]}", "error", markup=False)
        return
    with st.container(border=True, key="article_panel"):
        head, close = st.columns([5, 1])
        if close.button("Close", key="article_close", icon=":material/close:"):
            state.show(article=None)
            st.rerun()
        if not art:
            head.warning(f"No article with id {article_id} in this database.")
            return
        meta = art["meta"]
        head.subheader(escape_md(meta.get("title") or meta.get("headline") or "(untitled)"))
        st.markdown("  \n".join(f"**{k}:** {escape_md(v)}" for k, v in _facts(meta, article_id) if v not in (None, "")))
        if meta.get("synthetic"):
            st.caption("This article is synthetic demo text.")
        for remark in meta.get("notes") or []:  # e.g. the text's encoding was only guessed
            st.caption("Note: " + escape_md(remark))
        tags = art.get("tags")
        if tags is None:
            tags = pd.DataFrame(columns=TAG_COLUMNS)
        text_col, side = st.columns([3, 2])
        with text_col:
            st.markdown("**Text** (each tag's mentions highlighted; hover for the tag)")
            st.html(
                '<div class="article-body" style="white-space:pre-wrap;line-height:1.55;'
                'max-height:32rem;overflow-y:auto;border:1px solid #ddd;padding:0.8rem;border-radius:6px">'
                + highlight_html(str(art.get("body_text") or ""), tags)
                + "</div>"
            )
        with side:
            _tags(tags)
            _views(art.get("views"), article_id)
            _related(state, art.get("related"))


def _facts(meta: dict, article_id: int) -> list[tuple[str, object]]:
    authors = meta.get("authors")
    if authors is not None and not isinstance(authors, str):
        authors = ", ".join(str(a) for a in authors)
    published = as_date(meta.get("published"))
    views = meta.get("views")
    return [
        ("Source", meta.get("source")),
        ("Published", published.isoformat() if published else None),
        ("Authors", authors),
        ("Views", f"{int(views):,}" if views is not None and not pd.isna(views) else None),
        ("Words", meta.get("word_count")),
        ("URL", meta.get("url")),
        ("Article id", meta.get("article_id", article_id)),
    ]


def _tags(tags: pd.DataFrame) -> None:
    st.markdown("**Tags** (why: mentions and method)")
    if len(tags):
        st.dataframe(tags[[c for c in ("kind", "label", "mentions", "score", "method") if c in tags]],
                     hide_index=True, width="stretch")
    else:
        st.caption("No tags.")


def _views(history: pd.DataFrame | None, article_id: int) -> None:
    if history is not None and len(history):
        figure(charts.view_history(history, "Views at each snapshot"), "article_views")
        csv_button(history, f"views-{article_id}", "article_views")


def _related(state: PageState, related: pd.DataFrame | None) -> None:
    if related is None or not len(related):
        return
    st.markdown("**Related (Read also)**")
    for r in related.itertuples(index=False):
        target = getattr(r, "target_id", None)
        if target is not None and not pd.isna(target):
            if st.button(escape_md(r.title), key=f"related_{int(target)}_{r.position}", type="tertiary"):
                state.show(article=int(target))
                st.rerun()
        else:
            st.caption(escape_md(r.title) + " (not in this database)")
