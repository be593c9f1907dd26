"""Bytes to an lxml tree, whatever the page's encoding."""

from __future__ import annotations

import re

import lxml.html
from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)


def decode_html(html: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: declared encoding (HTTP header, then <meta>), else detected."""
    for candidate in (encoding, _declared_charset(html)):
        if candidate:
            try:
                return html.decode(_normalize_charset(candidate))
            except (LookupError, UnicodeDecodeError):
                continue
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(html[:200_000]).best()
        return html.decode(best.encoding if best else "cp1251", errors="replace")


def parse_html(html: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement:
    if isinstance(html, bytes):
        html = decode_html(html, encoding)
    html = html.lstrip("\ufeff")
    # lxml refuses str input that carries an XML encoding declaration
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    if not html.strip():
        return lxml.html.fromstring("<html><body></body></html>")
    return lxml.html.document_fromstring(html)


def _declared_charset(html: bytes) -> str | None:
    match = _META_CHARSET.search(html[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _normalize_charset(name: str) -> str:
    name = name.lower().strip()
    return {"windows-1251": "cp1251", "win-1251": "cp1251", "x-cp1251": "cp1251"}.get(name, name)
