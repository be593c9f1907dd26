"""Main-content extraction (first simple version; to be replaced by the tuned extractor)."""

from __future__ import annotations

import json

from crawler.extract import DateCandidate, RawArticle

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe")
_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote")


def extract_content(tree, url: str | None, hints=None) -> RawArticle:
    title = _first_text(tree, [hints.title_css] if hints and hints.title_css else [], ["//h1", "//meta[@property='og:title']/@content", "//title"])
    for bad in tree.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        bad.drop_tree()
    body = _body_node(tree, hints)
    paragraphs = [" ".join(node.text_content().split()) for node in body.iter(*_BLOCKS)] if body is not None else []
    return RawArticle(
        title=title,
        text="\n\n".join(p for p in paragraphs if p),
        language=(tree.get("lang") or "")[:2] or None,
        canonical_url=_first_text(tree, [], ["//link[@rel='canonical']/@href"]),
        date_candidates=_date_candidates(tree),
    )


def _body_node(tree, hints):
    if hints and hints.body_css:
        found = tree.cssselect(hints.body_css)
        if found:
            return found[0]
    candidates = tree.xpath("//article|//*[contains(@class,'content')]|//body")
    return max(candidates, key=lambda node: len(node.xpath(".//p")), default=None)


def _first_text(tree, css_list, xpaths) -> str | None:
    for css in css_list:
        found = tree.cssselect(css)
        if found:
            return " ".join(found[0].text_content().split())
    for xpath in xpaths:
        for found in tree.xpath(xpath):
            value = found if isinstance(found, str) else found.text_content()
            value = " ".join(value.split())
            if value:
                return value
    return None


def _date_candidates(tree) -> list[DateCandidate]:
    candidates = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("datePublished"):
                candidates.append(DateCandidate(str(item["datePublished"]), "jsonld"))
    for value in tree.xpath("//meta[@property='article:published_time']/@content"):
        candidates.append(DateCandidate(value, "meta"))
    for value in tree.xpath("//time/@datetime"):
        candidates.append(DateCandidate(value, "time"))
    return candidates
