"""Bytes -> text, honestly: a byte-order mark, UTF-8, the page's declared charset, else a detector's guess
only when it is confident, with a note on the record saying so. Never a silent legacy default.

Confidence of a guess = charset-normalizer's coherence (how well the decoded text matches a language's
letter frequencies) x (1 - its mess ratio). Random bytes and short snippets score near 0; a paragraph of
cp1251 Russian or cp1252 French scores 0.6-0.8. The threshold is ``Limits.encoding_confidence``
(``TRENDS_MIN_ENCODING_CONFIDENCE``, default 0.5).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from trends.parsing.model import RecordError

MAX_PAGE_BYTES = 10 * 1024 * 1024  # a commentary page is a few KB; 10 MB is surely not one page
DEFAULT_CONFIDENCE = 0.5

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# WHATWG: labels that mean windows-1252 in a browser (a page saying latin-1 is almost always cp1252).
_WHATWG_1252 = {"latin_1", "ascii", "iso8859_1"}


@dataclass
class Decoded:
    """Decoded text, the encoding it was read as, and a note when that encoding was only guessed."""

    text: str
    encoding: str
    note: str | None = None


def has_bom(data: bytes) -> bool:
    return data.startswith(tuple(bom for bom, _ in _BOMS))


def decode_text(
    data: bytes,
    declared: str | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    broken_utf8: str = "reject",
) -> Decoded:
    """Decode ``data`` or raise RecordError with a one-line reason.

    ``declared``: an encoding the input names for itself (an HTML meta charset), tried after UTF-8.
    ``broken_utf8``: what to do with text that is UTF-8 apart from some invalid bytes: "reject",
    "replace" (U+FFFD, with a note) or "escape" (kept as lone surrogates, for a caller that rejects
    just the rows holding them).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise RecordError(f"undecodable bytes: invalid {encoding.upper()} after its byte-order mark (byte {exc.start})") from exc
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if declared:
        text = _decode_declared(data, declared)
        if text is not None:
            return text
    escaped = data.decode("utf-8", "surrogateescape")
    bad = len(_ESCAPED_BYTE.findall(escaped))
    valid_multibyte = len(escaped) - len(escaped.encode("ascii", "ignore")) - bad
    if valid_multibyte >= bad:  # UTF-8 with some damage, not another encoding
        what = f"{bad:,} invalid UTF-8 byte{'s' if bad != 1 else ''} (the first at byte {first_bad:,})"
        if broken_utf8 == "replace":
            return Decoded(data.decode("utf-8", "replace"), "utf-8", f"{what} replaced by U+FFFD")
        if broken_utf8 == "escape":
            return Decoded(escaped, "utf-8", f"{what} in the file")
        raise RecordError(f"undecodable bytes: not valid UTF-8, {what}")
    return _detect(data, confidence)


def _decode_declared(data: bytes, declared: str) -> Decoded | None:
    try:
        name = codecs.lookup(declared.strip().strip("\"'")).name
    except LookupError:
        return None
    if name.startswith("utf"):
        return None  # the page says UTF-8 (or 16/32 without a mark) and is not: treated as undeclared
    if name in _WHATWG_1252:
        name = "cp1252"
    try:
        return Decoded(data.decode(name), name)
    except UnicodeDecodeError:
        return None


def _detect(data: bytes, threshold: float) -> Decoded:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise RecordError("undecodable bytes: not UTF-8, and no text encoding fits them")
    score = round(best.coherence * (1.0 - best.chaos), 2)
    if score < threshold:
        raise RecordError(
            f"undecodable bytes: not UTF-8; the best guess, {best.encoding}, has confidence {score:.2f} "
            f"(below {threshold:.2f})"
        )
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise RecordError(f"undecodable bytes: not UTF-8, and not {best.encoding} either") from exc
    if not _looks_like_text(text):
        raise RecordError(f"undecodable bytes: not UTF-8; as {best.encoding} it is mostly control characters")
    return Decoded(text, best.encoding, f"encoding {best.encoding} guessed by charset-normalizer (confidence {score:.2f}): the input is not UTF-8")


def decode_page(data: bytes, declared: str | None = None, confidence: float = DEFAULT_CONFIDENCE,
                broken_utf8: str = "reject") -> Decoded:
    """One page's bytes -> Decoded, or RecordError (too large, empty, binary, undecodable)."""
    if len(data) > MAX_PAGE_BYTES:
        raise RecordError(
            f"file too large for one page ({len(data) / 1e6:.1f} MB > {MAX_PAGE_BYTES / 1e6:.0f} MB limit)"
        )
    if not data.strip():
        raise RecordError("empty file")
    if b"\x00" in data[:8192] and not has_bom(data):
        raise RecordError("binary file, not text (contains NUL bytes)")
    decoded = decode_text(data, declared, confidence, broken_utf8)
    if not decoded.text.strip(" \t\r\n\ufeff\u00a0"):
        raise RecordError("empty file")
    return decoded


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text[:100_000] if not (ch.isprintable() or ch in "\r\n\t\f"))
    return bad / min(len(text), 100_000) < 0.01
