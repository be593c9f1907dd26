"""Main-content extraction: headline, body text and metadata of one article page."""

from __future__ import annotations

from crawler.extract import RawArticle
from crawler.extract.body import Page, Renderer, find_body_elements
from crawler.extract.datefind import find_date_candidates
from crawler.extract.domrules import load_dom_rules
from crawler.extract.metadata import (
    find_author,
    find_canonical_url,
    find_headline_element,
    find_language,
    find_page_type,
    find_title,
)


def extract_content(tree, url: str | None, hints=None) -> RawArticle:
    """Find the article's parts; the tree is read, never modified."""
    headline = find_headline_element(tree, hints.title_css if hints else None)
    root = tree.find("body")
    page = Page(root=root if root is not None else tree, rules=load_dom_rules(), headline=headline)
    body_elements = find_body_elements(page, hints.body_css if hints else None)
    text = Renderer(page).render(body_elements)
    return RawArticle(
        title=find_title(tree, headline),
        text=text,
        author=find_author(tree),
        language=find_language(tree, text),
        canonical_url=find_canonical_url(tree, url),
        page_type=find_page_type(tree),
        date_candidates=find_date_candidates(tree, url, headline=headline, body=body_elements[0] if body_elements else None),
    )
