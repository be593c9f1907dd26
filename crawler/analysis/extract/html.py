"""Bytes to an lxml tree, whatever the page's encoding."""

from __future__ import annotations

import codecs
import re

import lxml.html
from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_DOCUMENT_END_TAG = {bytes: re.compile(rb"</(?:body|html)\s*>", re.I), str: re.compile(r"</(?:body|html)\s*>", re.I)}
_MARKUP_TAG = {bytes: re.compile(rb"<[a-zA-Z]"), str: re.compile(r"<[a-zA-Z]")}
# libxml2 reads UTF-8 bytes itself faster than it reads a Python str
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")


def decode_html(html: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: declared encoding (HTTP header, then <meta>), else detected."""
    return _decode(html, encoding)[0]


def _decode(html: bytes, encoding: str | None) -> tuple[str, str]:
    """The page text and the name of the codec that gave it."""
    for candidate in (encoding, _declared_charset(html)):
        if candidate:
            try:
                codec = codecs.lookup(_normalize_charset(candidate)).name
                return html.decode(codec), codec
            except (LookupError, UnicodeDecodeError):
                continue
    try:
        return html.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(html[:200_000]).best()
        codec = best.encoding if best else "cp1251"
        return html.decode(codec, errors="replace"), codec


def parse_html(html: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement:
    html = without_early_document_end(html)
    if isinstance(html, bytes):
        text, codec = _decode(html, encoding)
        if codec == "utf-8" and text and not text.isspace() and not text.startswith("\ufeff") and not _XML_DECLARATION.match(text):
            # NUL bytes (U+0000 and nothing else in UTF-8) would come out of libxml2 as U+FFFD
            return lxml.html.document_fromstring(html.replace(b"\x00", b""), parser=_UTF8_PARSER)
        html = text
    html = html.lstrip("\ufeff").replace("\x00", "")
    # lxml refuses str input that carries an XML encoding declaration
    html = _XML_DECLARATION.sub("", html)
    if not html.strip():
        return lxml.html.fromstring("<html><body></body></html>")
    return lxml.html.document_fromstring(html)


def without_early_document_end(html: bytes | str) -> bytes | str:
    """The page without its </body> and </html> tags when markup follows them.

    Browsers put such markup in the body; libxml2 drops it, and with it whole articles
    of templates that close the document after the header.
    """
    end_tag = _DOCUMENT_END_TAG[type(html)]
    first_end = end_tag.search(html)
    if first_end is None or not _MARKUP_TAG[type(html)].search(html, first_end.end()):
        return html
    return end_tag.sub(html[:0], html)


def _declared_charset(html: bytes) -> str | None:
    match = _META_CHARSET.search(html[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _normalize_charset(name: str) -> str:
    name = name.lower().strip()
    return {"windows-1251": "cp1251", "win-1251": "cp1251", "x-cp1251": "cp1251"}.get(name, name)
