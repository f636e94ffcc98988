"""Bytes -> text for page inputs: size limit, binary detection, BOM, UTF-8 or cp1251 (or what charset-normalizer finds)."""

from __future__ import annotations

from trends.parsing.model import RecordError

MAX_PAGE_BYTES = 10 * 1024 * 1024  # a commentary page is a few KB; 10 MB is surely not one page


def decode_page(data: bytes) -> str:
    """Decode one page's bytes, or raise RecordError with a one-line reason."""
    if len(data) > MAX_PAGE_BYTES:
        raise RecordError(
            f"file too large for one page ({len(data) / 1e6:.1f} MB > {MAX_PAGE_BYTES / 1e6:.0f} MB limit)"
        )
    if not data.strip():
        raise RecordError("empty file")
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RecordError("binary file, not text (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RecordError("undecodable bytes: invalid UTF-16") from exc
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8: take cp1251 (the usual legacy encoding of such archives) if it reads as text."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1251", "cp1252", "latin_1", "koi8_r"]).best()
    candidates = ["cp1251"] + ([best.encoding] if best is not None else [])
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    raise RecordError("undecodable bytes: not UTF-8, cp1251 or another text encoding")


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if not (ch.isprintable() or ch in "\r\n\t"))
    return bad / len(text) < 0.01
