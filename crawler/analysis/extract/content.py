"""Main-content extraction: headline, body text and metadata of one article page."""

from __future__ import annotations

from dataclasses import replace

from crawler.analysis.extract import RawArticle
from crawler.analysis.extract.body import Page, has_words, render_body, word_count
from crawler.analysis.extract.datefind import find_date_candidates
from crawler.analysis.extract.domrules import load_dom_rules
from crawler.analysis.extract.metadata import (
    MetaTags,
    declared_titles,
    find_article_body,
    find_author,
    find_canonical_url,
    find_headline_element,
    find_language,
    find_page_type,
    find_title,
    jsonld_items,
)

# the page's JSON-LD articleBody replaces the DOM text when the DOM gives less than this share of it
_DOM_SHARE_OF_DECLARED_BODY = 0.5
# a body of fewer words is read again with the <noscript> text shown
_FEW_WORDS = 50


def extract_content(tree, url: str | None, hints=None) -> RawArticle:
    """Find the article's parts; the tree is read, never modified."""
    items = jsonld_items(tree)
    metas = MetaTags(tree)
    titles = declared_titles(tree, metas, items, url)
    headline = find_headline_element(tree, titles, hints.title_css if hints else None)
    root = tree.find("body")
    root = root if root is not None else tree
    page, body_elements, text = _body(root, load_dom_rules(), headline, hints)
    if not (hints and hints.body_css):
        text = prefer_declared_body(text, find_article_body(items))
    date_candidates = find_date_candidates(tree, url, headline=headline, body=body_elements[0] if body_elements else None)
    del page  # only now: its maps kept lxml's element proxies alive for the date finder, which would build them again
    return RawArticle(
        title=find_title(headline, titles),
        text=text,
        author=find_author(tree, metas, items),
        language=find_language(tree, metas, text),
        canonical_url=find_canonical_url(tree, metas, url),
        page_type=find_page_type(metas, items),
        date_candidates=date_candidates,
    )


def _body(root, rules, headline, hints) -> tuple[Page, list, str]:
    """The page, its body elements and text; for a page whose scripts render it, the text it holds in <noscript>
    for browsers without scripts, when the page shows too few words without it."""
    body_css = hints.body_css if hints else None
    page = Page(root=root, rules=rules, headline=headline)
    elements, text = render_body(page, body_css)
    if has_words(text, _FEW_WORDS) or next(root.iter("noscript"), None) is None:
        return page, elements, text
    shown_page = Page(root=root, rules=replace(rules, drop_tags=rules.drop_tags - {"noscript"}), headline=headline)
    shown_elements, shown_text = render_body(shown_page, body_css)
    if has_words(shown_text, _FEW_WORDS):
        return shown_page, shown_elements, shown_text
    return page, elements, text


def prefer_declared_body(dom_text: str, declared_body: str | None) -> str:
    """The JSON-LD articleBody when the DOM gave little of it (pages that render their text from scripts)."""
    if not declared_body:
        return dom_text
    if word_count(dom_text) >= word_count(declared_body) * _DOM_SHARE_OF_DECLARED_BODY:
        return dom_text
    return declared_body
