"""How well our HTML parser reads real article pages, against human ground truth.

    nice python bench/html_eval.py [--corpus ../shared/corpora/html-dev] [--worst 10] [--json out.json]

The corpus is a folder of saved pages plus ``expected.json`` (file name -> ``body``, ``title``,
``url``), as in html-dev (see its README; pages are never copied into this repository). Every page
goes through the public parser, ``trends.parsing.parse(path)``, exactly as ``trends ingest`` reads it,
and, as the baseline, through trafilatura with its defaults (its own title and site name), which is
what a user without our parser would write. The same figures are computed for both.

Figures (all per page, then over the pages):
- body F1: bag of words. Tokens are runs of Unicode letters/digits/underscore (``\\w+``) after
  casefolding; the overlap is the multiset intersection of our tokens and the gold tokens; F1 of
  that overlap's precision and recall. A rejected page scores 0. Reported as the mean over pages.
- title match: our title equals the expected one after NFKC, casefolding, typographic quotes and
  dashes made plain, every run of non-letters/digits made one space.
- rejected: pages for which the parser gave a Reject instead of a Record.
- source = site name: a page *declares* a site name when it has a non-empty
  ``<meta property="og:site_name">``, or else a JSON-LD ``publisher`` (name) on one of its objects;
  read here with lxml and json, independently of the parser. Our source matches when it equals
  og:site_name (case, spacing, punctuation, a leading "@" and "The" aside), or a JSON-LD
  publisher name that is the same name as og:site_name spelt properly ("usatoday" -> "USA TODAY").
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

from trends.parsing import Record, parse

TOKEN_RE = re.compile(r"\w+")
PLAIN = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "…": "..."})


def default_corpus() -> Path | None:
    """``shared/corpora/html-dev`` beside the repository (or a worktree's parent folders)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "corpora" / "html-dev"
        if (candidate / "expected.json").is_file():
            return candidate
    return None


def tokens(text: str) -> collections.Counter:
    return collections.Counter(TOKEN_RE.findall((text or "").casefold()))


def bag_f1(ours: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the bag-of-words overlap."""
    a, b = tokens(ours), tokens(gold)
    common = sum((a & b).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return p, r, 2 * p * r / (p + r)


def title_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(PLAIN).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def name_key(text: str) -> str:
    key = "".join(ch for ch in unicodedata.normalize("NFKC", text or "").casefold().lstrip("@") if ch.isalnum())
    return key.removeprefix("the")


def declared_site_names(raw: bytes) -> tuple[list[str], list[str]]:
    """(og:site_name values, JSON-LD publisher names) the page declares."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(raw.decode("utf-8", "replace"))
    except Exception:
        return [], []
    og = [" ".join(v.split()) for v in tree.xpath("//meta[@property='og:site_name']/@content") if v.strip()]
    publishers: list[str] = []

    def walk(node, depth=0):
        if depth > 8:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            pub = node.get("publisher")
            for p in pub if isinstance(pub, list) else [pub]:
                name = p.get("name") if isinstance(p, dict) else p
                if isinstance(name, str) and name.strip():
                    publishers.append(" ".join(name.split()))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value, depth + 1)

    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            walk(json.loads(script, strict=False))
        except ValueError:
            continue
    return og, publishers


def source_matches(source: str | None, og: list[str], publishers: list[str]) -> bool:
    if not source:
        return False
    return name_key(source) == name_key((og or publishers)[0])


def trafilatura_baseline(path: Path) -> Record | None:
    """What a competent user would write: trafilatura with its defaults and its own metadata."""
    import trafilatura

    doc = trafilatura.bare_extraction(path.read_bytes(), with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        return None
    return Record(title=doc.title or "", headline=doc.title or "", source=doc.sitename, body=doc.text)


def evaluate(corpus: Path, reader=None) -> dict:
    """Every page through ``reader`` (default: our parser, exactly as `trends ingest` reads a file)."""
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    pages = []
    started = time.perf_counter()
    for name in sorted(expected):
        gold = expected[name]
        path = corpus / name
        items = list(parse(path)) if reader is None else [reader(path)]
        rec = items[0] if len(items) == 1 and isinstance(items[0], Record) else None
        og, publishers = declared_site_names(path.read_bytes())
        declares = bool(og or publishers)
        p, r, f1 = bag_f1(rec.body, gold.get("body", "")) if rec else (0.0, 0.0, 0.0)
        pages.append({
            "page": name, "url": gold.get("url"), "precision": p, "recall": r, "f1": f1,
            "rejected": rec is None, "reason": None if rec else "; ".join(getattr(i, "reason", "?") for i in items),
            "title": rec.title if rec else None, "expected_title": gold.get("title"),
            "title_match": bool(rec) and title_key(rec.title) == title_key(gold.get("title", "")),
            "source": rec.source if rec else None, "declared_site": (og or publishers or [None])[0],
            "declares": declares, "source_match": declares and bool(rec) and source_matches(rec.source, og, publishers),
        })
    seconds = time.perf_counter() - started
    n = len(pages)
    declaring = [p for p in pages if p["declares"]]
    return {
        "corpus": str(corpus), "pages": n, "seconds": seconds,
        "body_f1_mean": sum(p["f1"] for p in pages) / n,
        "body_precision_mean": sum(p["precision"] for p in pages) / n,
        "body_recall_mean": sum(p["recall"] for p in pages) / n,
        "title_match_rate": sum(p["title_match"] for p in pages) / n,
        "rejected": sum(p["rejected"] for p in pages),
        "declaring_pages": len(declaring),
        "source_matches": sum(p["source_match"] for p in declaring),
        "per_page": pages,
    }


def report(result: dict, baseline: dict, worst: int) -> str:
    r, b = result, baseline
    lines = [
        f"html-dev evaluation: {r['pages']} pages from {r['corpus']}; ours {r['seconds']:.1f}s "
        f"({r['seconds'] / r['pages'] * 1000:.0f} ms/page), trafilatura defaults {b['seconds']:.1f}s",
        f"{'':30}{'ours':>10}{'trafilatura defaults':>24}   target",
        f"{'body F1 mean (bag of words)':30}{r['body_f1_mean']:>10.4f}{b['body_f1_mean']:>24.4f}   >= 0.965",
        f"{'  precision / recall means':30}{r['body_precision_mean']:>5.3f}/{r['body_recall_mean']:.3f}"
        f"{b['body_precision_mean']:>18.3f}/{b['body_recall_mean']:.3f}",
        f"{'title match rate':30}{r['title_match_rate']:>10.4f}{b['title_match_rate']:>24.4f}   >= 0.95",
        f"{'pages rejected':30}{r['rejected']:>10}{b['rejected']:>24}   0",
        f"{'source = declared site name':30}{r['source_matches']:>6}/{r['declaring_pages']:<3}{b['source_matches']:>20}/{b['declaring_pages']:<3}  all",
        "",
        f"worst {worst} pages by body F1 (ours):",
    ]
    for p in sorted(result["per_page"], key=lambda p: p["f1"])[:worst]:
        lines.append(f"  {p['f1']:.3f} (P {p['precision']:.2f} R {p['recall']:.2f})  {p['page'][:16]}  {p['url']}"
                     + (f"  REJECTED: {p['reason']}" if p["rejected"] else ""))
    misses = [p for p in result["per_page"] if not p["title_match"]]
    lines.append(f"title mismatches ({len(misses)}):")
    for p in misses:
        lines.append(f"  {p['page'][:16]}  ours {p['title']!r}  expected {p['expected_title']!r}")
    wrong = [p for p in result["per_page"] if p["declares"] and not p["source_match"]]
    lines.append(f"source mismatches ({len(wrong)}):")
    for p in wrong:
        lines.append(f"  {p['page'][:16]}  ours {p['source']!r}  declared {p['declared_site']!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None, help="folder with the pages and expected.json (default: shared/corpora/html-dev)")
    parser.add_argument("--worst", type=int, default=10, help="how many of the worst pages to list")
    parser.add_argument("--json", default=None, help="also write every figure and page to this JSON file")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus) if args.corpus else default_corpus()
    if corpus is None or not (corpus / "expected.json").is_file():
        print("html_eval: no corpus found; pass --corpus DIR (a folder with expected.json)", file=sys.stderr)
        return 2
    result = evaluate(corpus)
    baseline = evaluate(corpus, trafilatura_baseline)
    print(report(result, baseline, args.worst))
    if args.json:
        Path(args.json).write_text(json.dumps({"ours": result, "trafilatura_defaults": baseline}, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
