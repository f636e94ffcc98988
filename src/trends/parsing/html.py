"""HTML article pages: metadata and main text via trafilatura (no hand-written scraping)."""

from __future__ import annotations

import datetime as dt

from trends.parsing.model import Record, RecordError
from trends.parsing.seed import check_date_range, split_source


def parse_html_text(html: str, input: str = "<html>") -> Record:
    """Title, date, author(s), canonical URL and main text of one article page."""
    import trafilatura

    if "<" not in html[:2000]:
        raise RecordError("not HTML: no markup found (use --format seed for text pages)")
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception as exc:  # trafilatura raises assorted lxml errors on garbage
        raise RecordError(f"HTML could not be read: {type(exc).__name__}") from exc
    if doc is None:
        raise RecordError("HTML page has no extractable article text")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    title = " ".join((data.get("title") or "").split())
    if not title:
        raise RecordError("HTML page has no title")
    if not text:
        raise RecordError("HTML page has no main text")
    published = None
    if data.get("date"):
        try:
            published = check_date_range(dt.date.fromisoformat(str(data["date"])[:10]))
        except ValueError:
            published = None
    authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    source, headline = split_source(title)
    if source is None and data.get("sitename"):
        source = str(data["sitename"]).strip() or None
    paragraphs = [" ".join(p.split()) for p in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and paragraphs[0] in (title, headline):  # the <h1> repeated as the first line
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise RecordError("HTML page has no main text")
    return Record(
        title=title,
        headline=headline,
        source=source,
        published=published,
        views=None,
        authors=authors,
        body="\n\n".join(paragraphs),
        related=[],
        url=data.get("url") or None,
        language=data.get("language") or None,
        input=input,
        format="html",
    )
