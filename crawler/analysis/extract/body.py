"""Find the article body in a page and render it as paragraphs, without changing the tree.

Furniture (see :mod:`crawler.analysis.extract.domrules`) is marked, not removed, so the date
finder still reads the whole document. Paragraph-like elements score their ancestors
(the Readability idea); the best-scored container, plus sibling blocks that score
close to it, is the body. Rendering walks those elements, skips furniture and the
headline, and drops link-dense blocks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from crawler.analysis.extract.domrules import DomRules, class_id_tokens

PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "td", "dd", "li"})
PROSE_TAGS = ("p", "pre", "blockquote")
VERBATIM_TAGS = frozenset({"pre", "code"})
_POST_ID = re.compile(r"^(post|node)-\d+$")
# a listing's card: its excerpt is at most this long, and at least this many cards of one class stand together
_TEASER_MAX_CHARS = 400
_TEASER_CARDS = 3
_LISTING_CARD_SHARE = 0.8
TEXT_CONTAINER_TAGS = frozenset({"div", "section", "article", "main", "span", "font", "center"})
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt",
    "dd", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "figcaption", "address",
    "center", "hr", "details", "summary", "caption", "header", "footer", "nav", "aside", "form", "fieldset",
    "figure", "menu", "dialog", "hgroup", "noscript",
})
_SCORED_TAGS = PARAGRAPH_TAGS | TEXT_CONTAINER_TAGS  # the tags _paragraph_text reads
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LIST_TAGS = frozenset({"ul", "ol"})
CELL_TAGS = frozenset({"td", "th"})
_POSITIVE = re.compile(r"article|body|content|entry|main|page|post|text|blog|story|material|news")
_NEGATIVE = re.compile(r"comment|meta|footer|footnote|sidebar|(?<![\w-])widget|related|share|social|promo|menu|nav|hidden|excerpt|teaser")
_TAG_WEIGHT = {"div": 5, "article": 10, "main": 5, "pre": 3, "td": 3, "blockquote": 3, "section": 2,
               "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3, "address": -3,
               "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5}
_MIN_PARAGRAPH_CHARS = 25
_MIN_BR_TEXT_CHARS = 200
_FURNITURE_LANDMARKS = frozenset({"footer", "aside", "nav"})
_LANDMARK_SHARE = 0.5
_MERGE_SHARE = 0.3
_ENCLOSING_SHARE = 0.6
_ENCLOSING_TEXT_FACTOR = 1.2
_MIN_PROSE_CHARS = 300
_PROSE_SHARE_OF_BEST = 0.5
_COPY_TOLERANCE = 0.05
_MERGE_LEVELS = 8
_FAR_MERGE_LEVELS = 20
_FAR_MERGE_BLOCKS = 2
_FAR_MERGE_LINK_DENSITY = 0.3
_ANCESTOR_LEVELS = 5
_PROTECTED_SHARE = 0.4
_SIBLING_SHARE = 0.2
_FAQ = re.compile(r"(^|[-_])faqs?($|[-_])")
_FAQ_LINK_DENSITY = 0.3
_MIN_FAQ_CHARS = 200
_MAX_LINK_DENSITY = 0.5
_SENTENCE_WORDS_PER_LINK = 3
_MIN_BODY_WORDS = 50
_FALLBACK_CANDIDATES = 6
_LEDE = re.compile(r"intro|ingress|standfirst|(^|[-_:])(lede|lead|sapo)([-_]|$)")
_MIN_LEDE_CHARS = 40
_MAX_LEDE_LINK_DENSITY = 0.3
_WORD = re.compile(r"\w+")


def clean_text(value: str | None) -> str:
    """Whitespace runs collapsed to one space, ends stripped."""
    return " ".join(value.split()) if value else ""


@dataclass
class Page:
    """The furniture found in one document and what is protected from it."""

    root: object
    rules: DomRules
    headline: object | None
    furniture: set = field(default_factory=set)

    def __post_init__(self) -> None:
        self.text_chars, self.link_chars = text_and_link_chars(self.root)
        self.paragraph_chars = paragraph_chars_by_element(self.root, self.text_chars)
        self._guard_chars = self.paragraph_chars.get(self.root, 0) * _PROTECTED_SHARE
        self.headline_ancestors = set(self.headline.iterancestors()) if self.headline is not None else set()
        self.toggled_ids = toggled_ids(self.root)
        self._class_counts: dict = {}
        self.elements = self._walk_visible()

    def _walk_visible(self) -> list:
        """Every element outside furniture, in document order; marks furniture on the way. Inside a code block
        nothing is furniture: a highlighter's classes name code ("hljs-comment"), not the page's comments."""
        found, stack = [], [(self.root, False)]
        is_furniture = self._is_furniture
        while stack:
            element, verbatim = stack.pop()
            found.append(element)
            verbatim = verbatim or element.tag in VERBATIM_TAGS
            children = [(child, verbatim) for child in element
                        if isinstance(child.tag, str) and (verbatim or not is_furniture(child))]
            if children:
                children.reverse()
                stack.extend(children)
        return found

    def _is_furniture(self, element) -> bool:
        if element in self.furniture:
            return True
        reason = self.rules.furniture_reason(element)
        if reason is None:
            reason = "tile" if self._is_link_tile(element) else None
        if reason is None or self._spared(element, reason):
            return False
        self.furniture.add(element)
        return True

    def _is_link_tile(self, element) -> bool:
        """A tile of a teaser grid: an <article> whose whole text is a link to another page, beside two more of its
        class (tag24.de: article.article-tile around a link to each other story). Cards of other tags may be the
        page's own content (a landing page's product cards); lists of links (a decision's attachments) are not
        tiles."""
        if element.tag != "article" or not element.get("class") or not self.text_chars.get(element):
            return False
        if self.link_chars.get(element, 0) < self.text_chars[element]:
            return False
        return self.has_cards_of_its_class(element)

    def has_cards_of_its_class(self, element) -> bool:
        """Two more elements of its class beside it, as the cards of a listing stand (counted once per parent)."""
        parent = element.getparent()
        counts = self._class_counts.get(parent)
        if counts is None:
            counts = self._class_counts[parent] = Counter(child.get("class") for child in parent)
        return counts[element.get("class")] >= _TEASER_CARDS

    def _spared(self, element, reason: str) -> bool:
        """Rules that are not absolute never remove the headline's ancestors or much of the paragraph text."""
        if reason == "tag":
            return False
        if element in self.headline_ancestors:
            return True
        if reason == "hidden" and element.get("id") in self.toggled_ids:
            return True  # the collapsed part of an accordion opens on a click; it is part of the page's text
        return reason != "unguarded" and self.paragraph_chars.get(element, 0) > self._guard_chars


    def link_density(self, element) -> float:
        text_chars = self.text_chars.get(element, 0)
        return min(self.link_chars.get(element, 0) / text_chars, 1.0) if text_chars else 0.0


def toggled_ids(root) -> set:
    """The ids of elements that a toggle (a button with aria-controls) shows and hides."""
    return {target for toggle in root.xpath(".//*[@aria-controls]") for target in toggle.get("aria-controls").split()}


def text_and_link_chars(root) -> tuple[dict, dict]:
    """For every element, its text characters and those inside links, counted in one pass from the leaves up."""
    text_chars: dict = {}
    link_chars: dict = {}
    for element in reversed(list(root.iter())):
        tag, text = element.tag, element.text
        # char_count inlined: this loop visits every node of the page
        chars = sum(map(len, text.split())) if text and isinstance(tag, str) and not text.isspace() else 0
        links = 0
        for child in element:  # children come later in document order, so they are counted already
            tail = child.tail
            chars += text_chars[child]
            if tail and not tail.isspace():
                chars += sum(map(len, tail.split()))
            links += link_chars[child]
        text_chars[element] = chars
        link_chars[element] = chars if tag == "a" else links
    return text_chars, link_chars


def paragraph_chars_by_element(root, text_chars: dict) -> dict:
    """For every element, the characters of the prose paragraphs (p, pre, blockquote) inside it, and of the text
    that a container sets in lines broken by <br> (blogs and old CMSs write no <p>).

    Lists and table cells are left out: menus and link tables are made of them.
    """
    totals: dict = {}
    paragraphs = [(paragraph, text_chars[paragraph]) for paragraph in root.iter(*PROSE_TAGS)]
    paragraphs += _lines_broken_by_br(root)
    for paragraph, chars in paragraphs:
        if chars < _MIN_PARAGRAPH_CHARS:
            continue
        totals[paragraph] = totals.get(paragraph, 0) + chars
        for ancestor in paragraph.iterancestors():
            totals[ancestor] = totals.get(ancestor, 0) + chars
    return totals


def _lines_broken_by_br(root) -> list:
    """Containers whose own text runs over lines broken by <br>, with the characters of that text outside links."""
    containers = dict.fromkeys(br.getparent() for br in root.iter("br"))
    found = []
    for container in containers:
        if container is None or container.tag not in TEXT_CONTAINER_TAGS:
            continue
        linked = sum(char_count(link.text_content()) for link in container.iterchildren("a"))
        chars = char_count(direct_text(container, ())) - linked
        if chars >= _MIN_BR_TEXT_CHARS:
            found.append((container, chars))
    return found


def char_count(text: str | None) -> int:
    """Characters that are not whitespace."""
    return sum(map(len, text.split())) if text and not text.isspace() else 0


def render_body(page: Page, body_css: str | None = None) -> tuple[list, str]:
    """The body elements and their text: a hinted element, else the best-scored container.

    When the best container renders to almost nothing (a mega-menu that outscored the
    article), the other top-scored containers are rendered and the first that reads like
    an article is the body. Containers around the chosen one are not tried: they only
    add what surrounds it. A lede outside the body, between it and the headline, opens the
    text (the elements stay the body's: the date finder reads them).
    """
    if body_css:
        found = page.root.cssselect(body_css)
        if found:
            return found, Renderer(page).render(found)
    elements, text = scored_body(page)
    lede = lede_between(page, page.headline, elements[0])
    if not lede:
        return elements, text
    lede_text = Renderer(page).render(lede)
    if not lede_text or clean_text(lede_text) in clean_text(text):
        return elements, text
    return elements, f"{lede_text}\n\n{text}" if text else lede_text


def lede_between(page: Page, headline, body) -> list:
    """The standfirst that sits between the headline and the body, outside both (an "article-intro", "ingress" or
    "post-excerpt" block in the page header): of the elements there whose class names a lede and that hold a
    sentence rather than links, the one with the most text (an "author-intro" line may come first). When the
    headline itself opens the lede block ("<div id=intro><h1>…</h1><p>…</p></div>"), the lede is what follows the
    headline in it. Empty when the page has no headline or no lede."""
    if headline is None or body is headline or body in page.headline_ancestors:
        return []
    around_body = set(body.iterancestors())
    opened = [ancestor for ancestor in headline.iterancestors()
              if ancestor not in around_body and _is_lede(page, ancestor)]
    if opened:
        return _after_headline_in(page, max(opened, key=page.text_chars.get), headline)
    ledes = list(_ledes_after_headline(page, headline, body))
    return [max(ledes, key=page.text_chars.get)] if ledes else []


def _ledes_after_headline(page: Page, headline, body):
    visible = set(page.elements)
    after_headline = False
    for element in page.root.iter():
        if element is headline:
            after_headline = True
            continue
        if element is body:
            return
        if (after_headline and element in visible and element not in page.headline_ancestors
                and not any(ancestor is headline for ancestor in element.iterancestors())
                and _is_lede(page, element) and body not in set(element.iterdescendants())):
            yield element


def _after_headline_in(page: Page, block, headline) -> list:
    """The children of ``block`` that follow the one holding the headline, furniture left out."""
    branch = next(node for node in (headline, *headline.iterancestors()) if node.getparent() is block)
    return [child for child in branch.itersiblings() if isinstance(child.tag, str) and child not in page.furniture]


def _is_lede(page: Page, element) -> bool:
    tokens = " ".join(class_id_tokens(element))
    if not tokens or not _LEDE.search(tokens):
        return False
    return page.text_chars.get(element, 0) >= _MIN_LEDE_CHARS and page.link_density(element) <= _MAX_LEDE_LINK_DENSITY


def scored_body(page: Page) -> tuple[list, str]:
    """The best-scored container and its text, or the first other top-scored one that reads like an article."""
    scores = score_candidates(page)
    if not scores:
        return [page.root], Renderer(page).render([page.root])
    elements = body_around(page, max(scores, key=scores.get), scores)
    text = Renderer(page).render(elements)
    if has_words(text, _MIN_BODY_WORDS):
        return elements, text
    around = set(elements[0].iterancestors())
    for candidate in sorted(scores, key=scores.get, reverse=True)[1:_FALLBACK_CANDIDATES]:
        if candidate in around:
            continue
        other_text = Renderer(page).render([candidate])
        if has_words(other_text, _MIN_BODY_WORDS):
            return [candidate], other_text
    return elements, text


def find_body_elements(page: Page, body_css: str | None = None) -> list:
    """The elements whose rendered text is the article (see :func:`render_body`)."""
    return render_body(page, body_css)[0]


def body_around(page: Page, best, scores: dict) -> list:
    """The best-scored container, widened to the parts of an article split in sections, or with its siblings."""
    teasers = teaser_blocks(page, best, scores)
    container = merge_article_parts(page, best, scores, teasers)
    if container is best and best.tag in LIST_TAGS:
        around_headline = headline_container(page, best)
        container = best if around_headline is None else around_headline
    else:
        container = enclosing_article(page, best, container, scores, teasers)
    if container is not best:
        return [container]
    return with_related_siblings(page, best, scores)


def enclosing_article(page: Page, best, container, scores: dict, teasers: list):
    """The nearest ancestor that scores almost as well as the best block and holds more paragraph text, not a
    second copy of it: the article around product boxes whose short, comma-rich descriptions each outscore it.
    It never reaches up to hold teasers of other pages."""
    chars = page.paragraph_chars.get(container, 0)
    around_teasers = {ancestor for block in teasers for ancestor in block.iterancestors()}
    ancestors = []
    for level, ancestor in enumerate(container.iterancestors(), start=1):
        if level > _MERGE_LEVELS or ancestor in around_teasers:
            break
        if ancestor in scores:
            ancestors.append(ancestor)
    found = (_prose_around(page, best, ancestors, scores) if not chars else
             next((ancestor for ancestor in ancestors if scores[ancestor] >= scores[best] * _ENCLOSING_SHARE
                   and page.paragraph_chars.get(ancestor, 0) >= chars * _ENCLOSING_TEXT_FACTOR), None))
    if found is None or _holds_copy_of(page, found, container, best, scores):
        return container
    return found


def _prose_around(page: Page, best, ancestors: list, scores: dict):
    """For a best block without prose (a letter's table of signatories, a code block), the best-scored ancestor
    that holds prose paragraphs, half as much as the block's text at least: the text it sits in. None when no
    ancestor does (text set in <br>-separated lines has no paragraphs, and a bio below it is not its text)."""
    least_chars = max(_MIN_PROSE_CHARS, page.text_chars.get(best, 0) * _PROSE_SHARE_OF_BEST)
    with_prose = [ancestor for ancestor in ancestors if scores[ancestor] >= scores[best] * _MERGE_SHARE
                  and page.paragraph_chars.get(ancestor, 0) >= least_chars]
    return max(with_prose, key=scores.get, default=None)


def _holds_copy_of(page: Page, ancestor, container, best, scores: dict) -> bool:
    """Another block under ``ancestor``, outside ``container``, is a copy of the best one."""
    for other in scores:
        if other is best or not _copies_text_of(page, other, best):
            continue
        around = set(other.iterancestors())
        if ancestor in around and container not in around:
            return True
    return False


def headline_container(page: Page, best_list):
    """For a list that outscored every container (a listicle's items), the nearest ancestor that also holds the
    headline, so the introduction above the items is kept; None when it is not close or is the whole page."""
    if page.headline is None:
        return None
    for level, ancestor in enumerate(best_list.iterancestors(), start=1):
        if level > _FAR_MERGE_LEVELS or ancestor.tag in ("body", "html"):
            return None
        if ancestor in page.headline_ancestors:
            return ancestor if page.link_density(ancestor) <= _FAR_MERGE_LINK_DENSITY else None
    return None


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def has_words(text: str, count: int) -> bool:
    """At least ``count`` words; reads no further than that word."""
    return sum(1 for _ in islice(_WORD.finditer(text), count)) >= count


def merge_article_parts(page: Page, best, scores: dict, teasers: list):
    """The nearest ancestor that also holds the other well-scored blocks, for articles split into sections.

    Within ``_MERGE_LEVELS`` one block is enough; an ancestor further up must gather
    several blocks at once (a page builder that wraps each section in its own deep
    grid) and be neither link-dense nor the whole page. Teasers of other pages are never parts.
    """
    ancestors = [best, *best.iterancestors()][: _FAR_MERGE_LEVELS + 1]
    position = {id(element): level for level, element in enumerate(ancestors)}
    threshold = scores[best] * _MERGE_SHARE
    teaser_ids = set(map(id, teasers))
    parts = {id(other) for other, score in scores.items()
             if score >= threshold and id(other) not in position and not _copies_text_of(page, other, best)
             and id(other) not in teaser_ids}
    joining: dict[int, int] = {}
    for other, score in scores.items():
        if id(other) not in parts:
            continue
        for ancestor in other.iterancestors():
            if id(ancestor) in parts:
                break  # counted through the block that holds it
            level = position.get(id(ancestor))
            if level is not None:
                joining[level] = joining.get(level, 0) + 1
                break
    container_level = 0
    for level, count in joining.items():
        if level > container_level and _may_merge(page, ancestors, level, count):
            container_level = level
    return ancestors[container_level]


def teaser_blocks(page: Page, best, scores: dict) -> list:
    """Scored blocks that are teasers of other pages, never sections of the article: inside another post's
    <article> (:func:`blocks_of_other_articles`) or inside a card of a listing (:func:`_is_teaser_card`). Cards
    that together hold more text than the best block are the page itself (a landing page of courses)."""
    found = blocks_of_other_articles(best, scores)
    cards = {ancestor: _is_teaser_card(page, ancestor) for ancestor in (best, *best.iterancestors())}
    if any(cards.values()):
        return found
    in_cards: dict = {}
    for block in scores:
        if block is best or block in page.headline_ancestors:
            continue
        for ancestor in (block, *block.iterancestors()):
            if ancestor is best or ancestor in page.headline_ancestors:
                break
            if ancestor not in cards:
                cards[ancestor] = _is_teaser_card(page, ancestor)
            if cards[ancestor]:
                in_cards[block] = ancestor
                break
    found_cards = set(in_cards.values())
    if sum(page.paragraph_chars.get(card, 0) for card in found_cards) >= page.paragraph_chars.get(best, 0):
        return found
    return found + list(in_cards) + _listings_of(page, found_cards, scores, best)


def _listings_of(page: Page, cards: set, scores: dict, best) -> list:
    """Scored blocks that hold cards and little else: the listing around them."""
    card_chars: dict = {}
    for card in cards:
        for ancestor in card.iterancestors():
            card_chars[ancestor] = card_chars.get(ancestor, 0) + page.text_chars.get(card, 0)
    return [block for block in scores if block not in page.headline_ancestors and block is not best
            and card_chars.get(block, 0) >= page.text_chars.get(block, 0) * _LISTING_CARD_SHARE]


def _is_teaser_card(page: Page, element) -> bool:
    """A card of a listing: a heading that is all one link (or inside the link the card is), a short excerpt, and two
    more cards of its class beside it."""
    if (not element.get("class") or element.getparent() is None
            or page.paragraph_chars.get(element, 0) > _TEASER_MAX_CHARS):
        return False
    heading = next(element.iter("h2", "h3", "h4", "h5"), None)
    if heading is None or not page.text_chars.get(heading) or not _is_all_link(page, heading, element):
        return False
    return page.has_cards_of_its_class(element)


def _is_all_link(page: Page, heading, card) -> bool:
    """The heading's text is one link, or the heading sits inside the link that makes the whole card one."""
    if page.link_chars.get(heading) == page.text_chars[heading]:
        return True
    for ancestor in heading.iterancestors():
        if ancestor is card:
            return False
        if ancestor.tag == "a":
            return True
    return False


def blocks_of_other_articles(best, scores: dict) -> list:
    """Scored blocks inside an <article> that names another post than the best block's ("post-190343" beside
    "post-190299", as WordPress and Drupal themes mark them): teasers in a listing under the article, never a
    section of it. Articles without a post id may be the sections of one page (tabs, grid cells)."""
    own_article = _article_of(best)
    own_post = _post_id(own_article)
    if own_post is None:
        return []
    return [block for block in scores if _post_id(_article_of(block)) not in (None, own_post)]


def _article_of(element):
    """The nearest <article> holding the element (itself included), or None."""
    return next((node for node in (element, *element.iterancestors()) if node.tag == "article"), None)


def _post_id(article) -> str | None:
    if article is None:
        return None
    return next((token for token in f"{article.get('id') or ''} {article.get('class') or ''}".split()
                 if _POST_ID.match(token)), None)


def _copies_text_of(page: Page, other, best) -> bool:
    """A block with as much paragraph text as the best one is a second copy of the article (print, mobile or
    language version), not another section of it."""
    best_chars = page.paragraph_chars.get(best, 0)
    if not best_chars or abs(page.paragraph_chars.get(other, 0) - best_chars) > best_chars * _COPY_TOLERANCE:
        return False
    return _first_paragraph_text(page, other) == _first_paragraph_text(page, best)


def _first_paragraph_text(page: Page, element) -> str:
    for paragraph in element.iter(*PROSE_TAGS):
        if page.text_chars.get(paragraph, 0) >= _MIN_PARAGRAPH_CHARS:
            return clean_text(paragraph.text_content())
    return ""


def _may_merge(page: Page, ancestors: list, level: int, blocks: int) -> bool:
    if level < _MERGE_LEVELS:
        return True
    if level == _MERGE_LEVELS and ancestors[level].getparent() is None:
        return True
    container = ancestors[level]
    return (blocks >= _FAR_MERGE_BLOCKS and container.tag not in ("body", "html")
            and page.link_density(container) <= _FAR_MERGE_LINK_DENSITY)


def score_candidates(page: Page) -> dict:
    """Readability scoring: each paragraph lends its score to its nearest ancestors, damped by distance."""
    raw: dict = {}
    inside_links = _inside_links(page.root)
    for element in page.elements:
        if element.tag not in _SCORED_TAGS:
            continue
        if page.text_chars.get(element, 0) < _MIN_PARAGRAPH_CHARS * 0.6:  # spaces make clean text longer than its chars
            continue
        text = _paragraph_text(element, page.furniture)
        if len(text) < _MIN_PARAGRAPH_CHARS:
            continue
        density = page.link_density(element) if element.tag in PARAGRAPH_TAGS else 0.0
        if density > _MAX_LINK_DENSITY or element in inside_links:
            continue
        score = (1 + text.count(",") + min(len(text) / 100, 3)) * (1 - density)
        for level, ancestor in enumerate(element.iterancestors()):
            if level >= _ANCESTOR_LEVELS:
                break
            if ancestor not in raw:
                raw[ancestor] = _initial_score(ancestor)
            raw[ancestor] += score / (1 if level == 0 else 2 if level == 1 else level * 3)
    top = sorted(raw, key=raw.get, reverse=True)[:12]
    return {element: raw[element] * (1 - page.link_density(element)) * _landmark_factor(element) for element in top}


def _inside_links(root) -> set:
    """The elements inside links: their text is a teaser's or a player's label, not prose (mdr.de: the paragraphs
    of a video link's span.avLinkBody)."""
    return {element for link in root.iter("a") for element in link.iterdescendants()}


def _landmark_factor(element) -> float:
    """Text in a page footer, sidebar or navigation that the furniture guard spared (a short article next to a
    long footer) counts less than text elsewhere."""
    for ancestor in (element, *element.iterancestors()):
        if ancestor.tag in _FURNITURE_LANDMARKS:
            return _LANDMARK_SHARE
    return 1.0


def _paragraph_text(element, furniture: set) -> str:
    if element.tag in PARAGRAPH_TAGS:
        return clean_text(element.text_content())
    if element.tag in TEXT_CONTAINER_TAGS:
        return direct_text(element, furniture)
    return ""


def direct_text(element, furniture: set) -> str:
    """The text directly inside an element: its own and that of inline children, not of nested blocks nor of
    furniture (a <style> or <script> inside a page builder's wrapper is not prose)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS and child not in furniture:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean_text(" ".join(parts))


def _initial_score(element) -> float:
    score = _TAG_WEIGHT.get(element.tag, 0)
    tokens = " ".join(class_id_tokens(element))
    if tokens:
        if _NEGATIVE.search(tokens):
            score -= 25
        if _POSITIVE.search(tokens) and _holds_blocks(element):
            score += 25
    if element.get("itemprop") == "articleBody":
        score += 50
    return score


def _holds_blocks(element) -> bool:
    """Not a span of inline text: a span named "body" may be a player's label (mdr.de: span.avLinkBody around a
    video's URL), while page builders wrap whole sections in spans (HubSpot's span.hs_cos_wrapper)."""
    return element.tag != "span" or element.find(".//p") is not None


def with_related_siblings(page: Page, best, scores: dict) -> list:
    """The best container plus its siblings that score close to it or read like paragraphs."""
    parent = best.getparent()
    if parent is None:
        return [best]
    threshold = max(10.0, scores[best] * _SIBLING_SHARE)
    chosen = []
    for sibling in parent:
        if not isinstance(sibling.tag, str) or sibling in page.furniture:
            continue
        if sibling is best:
            chosen.append(sibling)
            continue
        bonus = scores[best] * 0.2 if _named_alike(best, sibling) else 0
        if sibling in scores and scores[sibling] + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p" and _reads_like_paragraph(page, sibling):
            chosen.append(sibling)
        elif sibling not in scores and _holds_questions_and_answers(page, sibling):
            chosen.append(sibling)
    return chosen


def _holds_questions_and_answers(page: Page, sibling) -> bool:
    """A sibling that holds the article's FAQ, its answers in an accordion too deep to score it (a CMS renders
    further sections in a field of their own: Drupal's paragraphs beside field--name-body)."""
    if page.link_density(sibling) > _FAQ_LINK_DENSITY or page.text_chars.get(sibling, 0) < _MIN_FAQ_CHARS:
        return False
    return any(_FAQ.search(token) for element in sibling.iter() if isinstance(element.tag, str)
               for token in class_id_tokens(element))


def _named_alike(element, other) -> bool:
    """The same class, or the same id: a template's other part of the same text (the intro a theme prints in its
    own div#wtr-content before the one holding the rest)."""
    return any(element.get(name) and other.get(name) == element.get(name) for name in ("class", "id"))


def _reads_like_paragraph(page: Page, element) -> bool:
    text = clean_text(element.text_content())
    density = page.link_density(element)
    return (len(text) > 80 and density < 0.25) or (0 < len(text) <= 80 and density == 0 and re.search(r"\.( |$)", text))


class Renderer:
    """Turns body elements into paragraphs separated by blank lines."""

    def __init__(self, page: Page):
        self.page = page
        self.paragraphs: list[str] = []
        self._parts: list[str] = []
        self._link_chars = 0
        self._links = 0
        self._texts_outside_links: list[str] = []
        self._in_link = 0
        self._in_row = False

    def render(self, elements) -> str:
        for element in elements:
            self._walk(element)
            self._flush()
        return "\n\n".join(self.paragraphs)

    def _walk(self, element) -> None:
        tag = element.tag
        if not isinstance(tag, str):
            self._add_text(element.tail)
            return
        if element in self.page.furniture or element is self.page.headline:
            self._add_text(element.tail)
            return
        if tag == "br":
            self._parts.append("\n")
            self._add_text(element.tail)
            return
        if tag in CELL_TAGS and self._in_row:
            block = False
            self._parts.append(" ")  # cells of a one-line row, kept apart
        else:
            block = tag in BLOCK_TAGS
        if block:
            self._flush()
        row = tag == "tr" and not self._in_row and is_one_line_row(element)
        self._in_row |= row
        if tag == "a":
            self._in_link += 1
            self._links += 1
        self._add_text(element.text)
        for child in element:
            self._walk(child)
        if tag == "a":
            self._in_link -= 1
        if block:
            self._flush()
        if row:
            self._in_row = False
        self._add_text(element.tail)

    def _add_text(self, text: str | None) -> None:
        if text:
            self._parts.append(text)
            if self._in_link:
                self._link_chars += len(text.strip())
            else:
                self._texts_outside_links.append(text)

    def _flush(self) -> None:
        if not self._parts:
            return
        lines = [clean_text(line) for line in "".join(self._parts).split("\n")]
        text = "\n".join(line for line in lines if line)
        link_chars, links, outside = self._link_chars, self._links, self._texts_outside_links
        self._parts, self._link_chars, self._links, self._texts_outside_links = [], 0, 0, []
        link_heavy = link_chars > len(text) * _MAX_LINK_DENSITY  # only then do the words around links count
        words_outside_links = word_count(" ".join(outside)) if link_heavy else 0
        if self._in_row:  # a linked name beside a figure is a row of the table, not a list of links
            of_links = link_heavy and not words_outside_links
        else:
            of_links = is_link_list(len(text), link_chars, links, words_outside_links)
        if text and not of_links:
            self.paragraphs.append(text)


def is_one_line_row(row) -> bool:
    """A table row whose cells hold only inline text reads as one line, as in the table ("1/1/2013 +13.1%", not a
    lone date taken for a dateline); rows of a layout table, whose cells hold paragraphs or menus, are not."""
    return not any(isinstance(element.tag, str) and element.tag in BLOCK_TAGS and element.tag not in CELL_TAGS
                   for element in row.iterdescendants())


def is_link_list(chars: int, link_chars: int, links: int, words_outside_links: int) -> bool:
    """Mostly link text, and too few words around the links to be a sentence that merely ends with one.

    "Текст рішення можна завантажити: <a>рішення № 312 (PDF)</a>." is text; "Головна | Новини"
    or "Читайте також: <a>...</a>" is a list of links.
    """
    if link_chars <= chars * _MAX_LINK_DENSITY:
        return False
    return words_outside_links < _SENTENCE_WORDS_PER_LINK * links
