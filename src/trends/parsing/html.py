"""HTML article pages: main text, date, authors and URL by trafilatura; title and site name from the
page's own metadata (JSON-LD, Open Graph) read with lxml.

- Text: trafilatura in precision mode with tables kept. An article body that the CMS split into
  several containers of the same class (ad slots between them) is joined first, so trafilatura's
  "first body container" rule does not drop the rest. When the precise text is short, a
  recall-oriented extraction replaces it if it finds clearly more.
- Title: JSON-LD ``headline``, else ``og:title``, ``twitter:title``, the ``<h1>``, the ``<title>``;
  a site name glued on (" | Site", " - Site", "Site: ") is cut off when it matches a name the page
  declares for itself or its domain.
- Source: the site's name: ``og:site_name``, else the JSON-LD publisher, else the domain. Never a
  "Prefix:" of the title (that may be "BREAKING" or "Dear Abby").
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Iterator

from trends.parsing.limits import check_date, check_text
from trends.parsing.model import Record, RecordError

SHORT_TEXT_WORDS = 150  # a precise extraction shorter than this is checked against a recall-oriented one
RECALL_GAIN = 1.5  # ... and replaced when that finds at least this many times the words
MIN_RECALL_WORDS = 25  # and at least this many: a few words found only by the loose pass are menus, not an article

_CHARSET_RE = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([-\w.:]{2,40})""", re.I)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]{0,100}encoding\s*=\s*["']([-\w.:]{2,40})["']""", re.I)
_SEPARATOR_RE = re.compile(r"\s+(?:[|\-–—·•»:~/]{1,2})\s+")
_PREFIX_COLON_RE = re.compile(r":\s+")
_ARTICLE_TYPE_RE = re.compile(r"article|posting|report", re.I)
_ORG_TYPE_RE = re.compile(r"organization|website|newsmedia|corporation", re.I)
_MAX_JSON_DEPTH = 8
_NOT_ALNUM_RE = re.compile(r"[\W_]+")


def declared_charset(data: bytes) -> str | None:
    """The charset a page names in its first 16 KB (``<meta charset>``, http-equiv, XML declaration)."""
    head = data[:16384]
    match = _XML_DECL_RE.search(head) or _CHARSET_RE.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


@dataclass
class PageMeta:
    """What a page says about itself, in the order of preference of each field."""

    headlines: list[str] = field(default_factory=list)  # JSON-LD headline of article objects first
    og_titles: list[str] = field(default_factory=list)
    twitter_titles: list[str] = field(default_factory=list)
    h1s: list[str] = field(default_factory=list)
    title_tag: str = ""
    site_names: list[str] = field(default_factory=list)  # og:site_name
    publishers: list[str] = field(default_factory=list)  # JSON-LD publisher / organisation names
    app_names: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None  # <html lang>


def parse_html_text(html: str, input: str = "<html>", max_title_chars: int | None = None) -> Record:
    """Title, date, author(s), canonical URL, site name and main text of one article page.

    ``max_title_chars``: reject a page whose title is longer before the (slower) text extraction.
    """
    import trafilatura
    from trafilatura.utils import load_html

    if "<" not in html[:2000]:
        raise RecordError("not HTML: no markup found (use --format seed for text pages)")
    try:
        tree = load_html(html)
    except Exception as exc:  # lxml raises assorted errors on garbage
        raise RecordError(f"HTML could not be read: {type(exc).__name__}") from exc
    if tree is None:
        raise RecordError("HTML could not be read: no document tree")
    meta = read_meta(tree)
    hostname = _hostname(meta.url)
    source = site_name(meta, hostname)
    title = choose_title(meta, _names_for_affixes(meta, source, hostname))
    if max_title_chars is not None:
        check_text("title", title, max_title_chars)
    try:
        data = _as_dict(trafilatura.extract_metadata(deepcopy(tree)))
        text = main_text(tree)
    except RecursionError as exc:
        raise RecordError("HTML nested too deeply to read") from exc
    if not hostname and data.get("hostname"):
        hostname = data["hostname"]
        source = source or hostname
    title = title or " ".join((data.get("title") or "").split())
    if not title:
        raise RecordError("HTML page has no title")
    paragraphs = [" ".join(p.split()) for p in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    headings = {_key(t) for t in (title, *meta.h1s[:2], *meta.og_titles[:1], *meta.headlines[:1])}
    if paragraphs and _key(paragraphs[0]) in headings:  # the headline repeated as the first line
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise RecordError("HTML page has no extractable article text")
    return Record(
        title=title,
        headline=title,
        source=source,
        published=_published(data.get("date")),
        views=None,
        authors=[a.strip() for a in (data.get("author") or "").split(";") if a.strip()],
        body="\n\n".join(paragraphs),
        related=[],
        url=data.get("url") or meta.url or None,
        language=data.get("language") or meta.language,
        input=input,
        format="html",
    )


def main_text(tree) -> str:
    """The article text: precise extraction, or a recall-oriented one when that finds clearly more."""
    import trafilatura

    options = dict(include_comments=False, include_tables=True, with_metadata=False)
    text = _text_of(trafilatura.bare_extraction(_joined_body(deepcopy(tree)), favor_precision=True, **options))
    words = len(text.split())
    if words < SHORT_TEXT_WORDS:
        recall = _text_of(trafilatura.bare_extraction(_joined_body(deepcopy(tree)), favor_recall=True, **options))
        if len(recall.split()) >= max(MIN_RECALL_WORDS, RECALL_GAIN * words):
            text = recall
    return text


def _as_dict(doc) -> dict:
    if doc is None:
        return {}
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)


def _text_of(doc) -> str:
    return (_as_dict(doc).get("text") or "").strip()


def _published(raw: Any) -> dt.date | None:
    """trafilatura's date when it is a real one within range; a page with an odd date keeps its text."""
    if not raw:
        return None
    try:
        return check_date(dt.date.fromisoformat(str(raw)[:10]))
    except (ValueError, RecordError):
        return None


# ------------------------------------------------------------------------------------------- metadata


def read_meta(tree) -> PageMeta:
    """Titles and site names the page declares, from JSON-LD and <meta>, read with lxml."""
    meta = PageMeta()
    for obj in _json_ld_objects(tree):
        types = " ".join(t for t in _as_list(obj.get("@type")) if isinstance(t, str))
        headline = obj.get("headline")
        if isinstance(headline, str) and _clean(headline):
            (meta.headlines.insert(0, _clean(headline)) if _ARTICLE_TYPE_RE.search(types) else meta.headlines.append(_clean(headline)))
        publisher = obj.get("publisher")
        for pub in _as_list(publisher):
            name = pub.get("name") if isinstance(pub, dict) else pub
            if isinstance(name, str) and _clean(name):
                meta.publishers.append(_clean(name))
        if _ORG_TYPE_RE.search(types) and isinstance(obj.get("name"), str) and _clean(obj["name"]):
            meta.publishers.append(_clean(obj["name"]))
    for el in tree.iterfind(".//meta[@content]"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        value = _clean(el.get("content") or "")
        if not value:
            continue
        if key == "og:title":
            meta.og_titles.append(value)
        elif key == "twitter:title":
            meta.twitter_titles.append(value)
        elif key == "og:site_name":
            meta.site_names.append(value)
        elif key == "application-name":
            meta.app_names.append(value)
        elif key == "og:url" and meta.url is None and value.startswith("http"):
            meta.url = value
    canonical = tree.find(".//link[@rel='canonical']")
    if canonical is not None and (canonical.get("href") or "").startswith("http"):
        meta.url = canonical.get("href").strip()
    meta.h1s = [t for t in (_clean(h.text_content()) for h in tree.iter("h1")) if t]
    lang = (tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    meta.language = lang[:35] or None
    title = tree.find(".//title")
    meta.title_tag = _clean(title.text_content()) if title is not None else ""
    return meta


def _json_ld_objects(tree) -> Iterator[dict]:
    for script in tree.iterfind(".//script[@type]"):
        if script.get("type", "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common; the <meta> tags still count
        yield from _walk(data, 0)


def _walk(node: Any, depth: int) -> Iterator[dict]:
    if depth > _MAX_JSON_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in node:
                yield from _walk(node[key], depth + 1)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _clean(text: str) -> str:
    """Entities decoded (JSON-LD often carries &#8216;), whitespace folded."""
    return " ".join(html_lib.unescape(text).split()) if text else ""


def _key(text: str) -> str:
    """Case, spacing and punctuation folded: 'The Detroit News' ~ 'detroitnews' ~ 'DETROIT NEWS'."""
    return _NOT_ALNUM_RE.sub("", text.casefold())


def _hostname(url: str | None) -> str | None:
    if not url:
        return None
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def site_name(meta: PageMeta, hostname: str | None) -> str | None:
    """og:site_name (as the publisher spells it, when og gives a slug like 'usatoday'), else the
    JSON-LD publisher, else application-name, else the domain."""
    for raw in meta.site_names:
        name = raw.lstrip("@").strip()
        if not name:
            continue
        if " " not in name and name == name.lower():
            spelled = next((p for p in meta.publishers if _same_name(p, name)), None)
            if spelled:
                return spelled
            if "." not in name:
                return name[:1].upper() + name[1:]
        return name
    for name in meta.publishers + meta.app_names:
        if name.strip():
            return name.strip()
    return hostname or None


def _same_name(a: str, b: str) -> bool:
    ka, kb = _key(a), _key(b)
    return bool(ka) and (ka == kb or ka.removeprefix("the") == kb.removeprefix("the"))


def _names_for_affixes(meta: PageMeta, source: str | None, hostname: str | None) -> list[str]:
    names = [*meta.site_names, *meta.publishers, *meta.app_names]
    if source:
        names.append(source)
    if hostname:
        labels = hostname.split(".")
        names.append(hostname)
        names.extend(label for label in labels[:-1] if len(label) >= 3)  # 'nytimes' of nytimes.com, not 'com'
    return names


def choose_title(meta: PageMeta, names: list[str]) -> str:
    """The page's own headline without a site name glued to it."""
    headline = meta.headlines[0] if meta.headlines else ""
    og = meta.og_titles[0] if meta.og_titles else ""
    if headline and og and headline.rstrip(".… ") != headline and _key(og).startswith(_key(headline.rstrip(".… "))):
        headline = ""  # a JSON-LD headline cut to 110 characters: the og:title is the whole one
    h1 = meta.h1s[0] if len(meta.h1s) == 1 else ""
    for candidate in (headline, og, *meta.twitter_titles[:1], h1, meta.title_tag, *meta.h1s[:1]):
        if candidate:
            return strip_site_name(candidate, names)
    return ""


def strip_site_name(title: str, names: list[str]) -> str:
    """'Headline | Site' / 'Headline - Site - Tagline' / 'Site: Headline' -> 'Headline' when Site is one of ``names``."""
    keys = {k for k in (_key(n) for n in names) if len(k) >= 3}
    if not keys:
        return title
    for _ in range(3):  # "Headline - Section | Site" style chains: a few passes at most
        cut = _cut_once(title, keys)
        if cut == title:
            break
        title = cut
    return title


def _cut_once(title: str, keys: set[str]) -> str:
    separators = list(_SEPARATOR_RE.finditer(title))
    for m in separators:  # suffix: the first separator whose whole tail is a site name
        if _is_site(title[m.end():], keys) and title[: m.start()].strip():
            return title[: m.start()].strip()
    for m in [*separators, *_PREFIX_COLON_RE.finditer(title)]:  # prefix: a site name before the first words
        if _is_site(title[: m.start()], keys) and title[m.end():].strip():
            return title[m.end():].strip()
    return title


def _is_site(part: str, keys: set[str]) -> bool:
    key = _key(part)
    if len(key) < 3 or len(part.split()) > 10:
        return False
    for k in keys:
        if key == k or key.removeprefix("the") == k.removeprefix("the"):
            return True
        short, long = sorted((key, k), key=len)
        if long.startswith(short) and len(short) >= 4 and len(short) >= 0.6 * len(long):
            return True  # 'Sportsnet' ~ 'Sportsnet.ca', 'MacRumors' ~ 'MacRumors.com'
    return False


# ------------------------------------------------------------------------------------- split bodies


def _joined_body(tree):
    """Join an article body that the CMS split into sibling containers of one class.

    trafilatura takes the first element its article-body selector matches; pages that cut the
    body into chunks (an ad slot between each) lose every chunk after the first. Chunks are joined
    only when they share the tag, the exact class and the enclosing <article>/<main> element, so
    teasers of other articles (inside other <article>s) are never pulled in.
    """
    from trafilatura.xpaths import BODY_XPATH

    found = BODY_XPATH[0](tree)
    if len(found) < 2 or not found[0].get("class"):
        return tree
    first = found[0]
    home = _enclosing_article(first)
    if home is None:
        return tree
    for other in found[1:]:
        if (
            other.tag == first.tag and other.get("class") == first.get("class")
            and _enclosing_article(other) is home
            and first not in other.iterancestors() and other not in first.iterancestors()
        ):
            for child in list(other):
                first.append(child)
    return tree


def _enclosing_article(el):
    return next((a for a in el.iterancestors() if a.tag in ("article", "main")), None)
