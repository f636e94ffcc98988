"""Text the pages show, made safe and readable: markdown escaping, highlighted bodies, labels, dates.

No Streamlit here. All article text goes through `escape_md` (markdown) or `highlight_html` (which
`html.escape`s every piece) before it reaches the page, so nothing from an article becomes markup.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pandas as pd

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")
TAG_COLORS = {
    "topic": "#fde68a",
    "country": "#bfdbfe",
    "person": "#fbcfe8",
    "org": "#bbf7d0",
    "theme": "#e9d5ff",
}
DIMENSION_LABELS = {
    "topic": "Topic",
    "theme": "Theme",
    "country": "Country",
    "person": "Person",
    "org": "Organisation",
    "source": "Source",
    "author": "Author",
}


def escape_md(text: object) -> str:
    """Text shown through Streamlit markdown renders literally: no markup, links, HTML or LaTeX."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def code_span(text: object) -> str:
    """`text` as a markdown code span (literal: nothing inside is markup), fenced with one backtick more
    than its longest run of backticks. Inline code needs none of the code-block highlighter that
    `st.code` loads (about a second of browser time before a page's first chart)."""
    text = str(text).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def highlight_html(body_text: str, tags: pd.DataFrame) -> str:
    """The article body as escaped HTML with each tag's spans wrapped in a labelled <mark>.

    Overlapping spans keep the first (earliest, then longest); every piece of text is escaped before it
    is wrapped, so nothing from the article can become markup.
    """
    spans: list[tuple[int, int, str, str]] = []
    for row in tags.itertuples(index=False):
        for start, end in _as_spans(getattr(row, "spans", None)):
            if 0 <= start < end <= len(body_text):
                spans.append((start, end, str(row.kind), str(row.label)))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    pos = 0
    for start, end, kind, label in spans:
        if start < pos:
            continue
        out.append(html.escape(body_text[pos:start]))
        color = TAG_COLORS.get(kind, "#e5e7eb")
        out.append(
            f'<mark class="tag tag-{html.escape(kind)}" title="{html.escape(kind)}: {html.escape(label)}" '
            f'style="background:{color};padding:0 2px;border-radius:3px">{html.escape(body_text[start:end])}</mark>'
        )
        pos = end
    out.append(html.escape(body_text[pos:]))
    return "".join(out)


def _as_spans(raw: Any) -> list[tuple[int, int]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    out = []
    try:
        for pair in raw:
            if pair is not None and len(pair) >= 2:
                out.append((int(pair[0]), int(pair[1])))
    except (TypeError, ValueError):
        return []
    return out


def as_date(value: Any) -> dt.date | None:
    """A date from whatever a query or widget hands back (date, datetime, Timestamp, ISO text), else None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp.date()


def metric_delta(current: float | int | None, previous: float | int | None) -> str | None:
    """'+12.5%' style change vs the previous period, or None when there is nothing to compare."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous) or previous == 0:
        return None
    return f"{(current - previous) / previous:+.1%}"
