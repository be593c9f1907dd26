"""Page metadata: headline, author, language, canonical URL and page type."""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape
from urllib.parse import urljoin

_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:»·•/~]|::)\s+")
_SPACES = re.compile(r"\s+")
_UK_LETTERS = re.compile(r"[іїєґ]")
_RU_LETTERS = re.compile(r"[ыэъё]")
_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")
_HEADLINE_TAGS = ("h1", "h2")
_HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"<[^>]+>")


def clean_text(value: str | None) -> str:
    return _SPACES.sub(" ", value or "").strip()


def meta_content(tree, *names: str) -> str | None:
    """The first non-empty <meta> content among ``names`` (matched on property or name)."""
    for name in names:
        for value in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
            value = clean_text(value)
            if value:
                return value
    return None


def jsonld_items(tree) -> list[dict]:
    """Every JSON-LD object on the page, @graph members included; broken JSON is skipped."""
    items: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        _collect_items(data, items, depth=0)
    return items


def _collect_items(data, items: list[dict], depth: int) -> None:
    if depth > 4:
        return
    if isinstance(data, list):
        for entry in data:
            _collect_items(entry, items, depth + 1)
    elif isinstance(data, dict):
        items.append(data)
        if "@graph" in data:
            _collect_items(data["@graph"], items, depth + 1)


def find_headline_element(tree, items: list[dict], title_css: str | None = None):
    """The element holding the article headline: the hinted one, else the h1 that best matches the page title.

    ``items`` are the page's JSON-LD objects (:func:`jsonld_items`).
    """
    if title_css:
        found = tree.cssselect(title_css)
        if found:
            return found[0]
    declared = [_key(text) for text in _declared_titles(tree, items)]
    headings = [node for node in tree.iter("h1") if clean_text(node.text_content())]
    for heading in headings:
        key = _key(heading.text_content())
        if key and any(key in title for title in declared):
            return heading
    return headings[0] if len(headings) == 1 else None


def find_title(tree, headline, items: list[dict]) -> str | None:
    """The article headline without the site name that <title> and og:title append."""
    if headline is not None:
        text = clean_text(headline.text_content())
        if text:
            return text
    site_name = meta_content(tree, "og:site_name", "application-name")
    for declared in _declared_titles(tree, items):
        stripped = strip_site_name(declared, site_name)
        if stripped:
            return stripped
    return None


def _declared_titles(tree, items: list[dict]) -> list[str]:
    titles = []
    for item in items:
        headline = item.get("headline")
        if isinstance(headline, str) and clean_text(headline):
            titles.append(clean_text(headline))
    for value in (meta_content(tree, "og:title", "twitter:title"), _title_tag(tree)):
        if value:
            titles.append(value)
    return titles


def _title_tag(tree) -> str | None:
    for node in tree.iter("title"):
        text = clean_text(node.text_content())
        if text:
            return text
    return None


def strip_site_name(title: str, site_name: str | None) -> str:
    """Drop the site-name part of 'Headline | Site' or 'Site - Headline'."""
    parts = [part for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    if len(parts) < 2:
        return title
    if site_name:
        site = _key(site_name)
        kept = [part for part in parts if _key(part) != site and _key(part) not in site]
        if kept and len(kept) < len(parts):
            return _rejoin(title, kept)
    longest = max(parts, key=len)
    # 'Headline | Site' is the common order: keep the first part unless it is a short site label
    return parts[0] if len(parts[0]) >= len(longest) / 2 else longest


def _rejoin(title: str, kept: list[str]) -> str:
    first, last = title.find(kept[0]), title.rfind(kept[-1])
    return title[first:last + len(kept[-1])].strip() if first >= 0 and last >= first else " ".join(kept)


def _key(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def find_author(tree, items: list[dict]) -> str | None:
    for item in items:
        name = _author_name(item.get("author"))
        if name:
            return name
    value = meta_content(tree, "author", "article:author", "parsely-author", "sailthru.author")
    if value and not value.startswith("http"):
        return value
    for node in tree.xpath("//*[@rel='author' or @itemprop='author']"):
        text = clean_text(node.text_content())
        if 0 < len(text) < 100:
            return text
    return None


def _author_name(author) -> str | None:
    if isinstance(author, list):
        names = [name for name in (_author_name(entry) for entry in author) if name]
        return ", ".join(names) or None
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str) and clean_text(author):
        return clean_text(author)
    return None


def find_language(tree, text: str) -> str | None:
    """html lang, else og:locale, else a guess from the letters of the text."""
    declared = tree.get("lang") or tree.get("xml:lang") or meta_content(tree, "og:locale")
    if declared:
        code = re.split(r"[-_]", declared.strip().lower())[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return guess_language(text)


def guess_language(text: str) -> str | None:
    """uk vs ru from letters only one of them has; en for Latin text; None when unsure."""
    sample = text[:5000].lower()
    uk, ru = len(_UK_LETTERS.findall(sample)), len(_RU_LETTERS.findall(sample))
    if uk or ru:
        return "uk" if uk >= ru else "ru"
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    if latin > 3 * cyrillic and latin > 50:
        return "en"
    return None


def find_canonical_url(tree, url: str | None) -> str | None:
    for href in tree.xpath("//link[@rel='canonical']/@href") + [meta_content(tree, "og:url")]:
        href = (href or "").strip()
        if href:
            absolute = urljoin(url or "", href)
            if absolute.startswith(("http://", "https://")):
                return absolute
    return url


def find_page_type(tree, items: list[dict]) -> str | None:
    og_type = meta_content(tree, "og:type")
    if og_type:
        return og_type
    for item in items:
        kind = item.get("@type")
        if isinstance(kind, list):
            kind = kind[0] if kind else None
        if isinstance(kind, str) and kind:
            return kind
    return None


def find_article_body(items: list[dict]) -> str | None:
    """The longest JSON-LD ``articleBody``/``text`` of an article object, paragraphs kept; None without one."""
    bodies = []
    for item in items:
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and k.endswith(("Article", "BlogPosting", "Posting", "Report")) for k in kinds):
            continue
        body = item.get("articleBody") or item.get("text")
        if isinstance(body, str) and body.strip():
            bodies.append(_paragraphs(body))
    return max(bodies, key=len) if bodies else None


def _paragraphs(body: str) -> str:
    """Declared bodies may carry HTML or bare newlines; the result has paragraphs separated by blank lines."""
    if "<" in body and ">" in body:
        body = _HTML_BREAK.sub("\n", body)
        body = _HTML_TAG.sub(" ", body)
    lines = (clean_text(html_unescape(line)) for line in body.splitlines())
    return "\n\n".join(line for line in lines if line)
