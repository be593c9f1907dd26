"""Find the raw publication and modification dates of an article page, with where they were found.

The sources, most reliable first: JSON-LD, <meta> tags, ``<time>`` inside the
article, the visible date next to the headline, the URL, and the article
text. Dates in sidebars, related-news lists, comments, page headers and
footers never count. :func:`crawler.dates.resolve_dates` picks among the
candidates; this module only finds them.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from crawler.dates import RULES_FILE, find_date_strings
from crawler.extract import DateCandidate

PUBLISHED, MODIFIED = "published", "modified"
_ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "report", "techarticle", "scholarlyarticle", "liveblogposting",
    "socialmediaposting", "posting", "discussionforumposting", "medicalscholarlyarticle", "satiricalarticle",
    "advertisercontentarticle", "creativework", "review", "recipe", "howto", "videoobject", "podcastepisode",
    "pressrelease", "event",
}
_PAGE_TYPES = {"webpage", "itempage", "aboutpage", "collectionpage", "medicalwebpage", "qapage", "faqpage"}
_LD_PUBLISHED_KEYS = ("datePublished", "dateCreated", "uploadDate", "startDate")
_LD_MODIFIED_KEYS = ("dateModified",)
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "button", "select", "option"}
_ALWAYS_EXCLUDED_TAGS = {"aside", "nav", "footer"}
_SCOPE_TAGS = {"article", "main"}
_MAX_VISIBLE_CHARS = 100
_HEADLINE_CLIMB = 5
_TEXT_CHARS = 1500
_URL_PATH_DATE = re.compile(
    r"(?<!\d)(?P<date>(?:19|20)\d\d[/_-][01]?\d[/_-][0-3]?\d)(?=[/_.-]|$)"
    r"|(?<![\d])(?P<compact>(?:19|20)\d\d[01]\d[0-3]\d)(?=[/_.-]|$)"
)
_URL_UNIX_ID = re.compile(r"/news/(?P<seconds>1[2-9]\d{8})(?=[/?#.]|$)")
_CLASS_SPLIT = re.compile(r"[\s_]+")


@dataclass(frozen=True)
class _FinderRules:
    meta_published: tuple[str, ...]
    meta_modified: tuple[str, ...]
    date_classes: tuple[str, ...]
    modified_classes: tuple[str, ...]
    excluded_fragments: tuple[str, ...]
    excluded_headings: tuple[str, ...]


@lru_cache(maxsize=1)
def _rules() -> _FinderRules:
    document = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    return _FinderRules(
        meta_published=tuple(document["meta"]["published"]),
        meta_modified=tuple(document["meta"]["modified"]),
        date_classes=tuple(document["date_classes"]["published"]),
        modified_classes=tuple(document["date_classes"]["modified"]),
        excluded_fragments=tuple(document["excluded_regions"]["fragments"]),
        excluded_headings=tuple(document["excluded_regions"]["headings"]),
    )


def find_date_candidates(tree, url: str | None, *, headline=None, body=None) -> list[DateCandidate]:
    """Every date candidate of a page, most reliable source first.

    ``tree`` is the whole unmodified document; ``headline`` and ``body`` are
    the elements the content extractor chose, or None to find them here.
    """
    page = _Page.build(tree, headline, body)
    found = [
        *_jsonld_candidates(tree),
        *_meta_candidates(tree, page),
        *_time_candidates(page),
        *_visible_candidates(page),
        *_url_candidates(url),
        *_text_candidates(page),
    ]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- page regions


@dataclass
class _Page:
    tree: object
    headline: object | None
    scope: list  # elements that hold the article: its header and body
    excluded: set  # elements whose whole subtree is not the article

    @classmethod
    def build(cls, tree, headline, body) -> _Page:
        excluded = _related_lists(tree)
        page = cls(tree=tree, headline=None, scope=[], excluded=excluded)
        page.headline = headline if headline is not None else _find_headline(tree, page)
        page.scope = _article_scope(tree, page.headline, body)
        return page

    def is_excluded(self, element) -> bool:
        """True when the element sits in a sidebar, related list, comments, page header or footer."""
        for node in _self_and_ancestors(element):
            if node in self.excluded:
                return True
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag in ("body", "html"):
                return False
            if self.headline is not None and _contains(node, self.headline):
                continue
            if tag in _ALWAYS_EXCLUDED_TAGS or _is_page_header(node) or _has_excluded_class(node):
                return True
        return False

    def in_scope(self, element) -> bool:
        return any(_contains(root, element) for root in self.scope)


def _is_page_header(element) -> bool:
    """A <header> of the page, not of the article (those sit inside <article> or <main>)."""
    return element.tag == "header" and _closest(element.getparent(), _SCOPE_TAGS) is None


def _self_and_ancestors(element):
    node = element
    while node is not None:
        yield node
        node = node.getparent()


def _contains(ancestor, element) -> bool:
    return any(node is ancestor for node in _self_and_ancestors(element))


def _class_tokens(element) -> list[str]:
    value = f"{element.get('class', '')} {element.get('id', '')}".lower()
    return [token for token in _CLASS_SPLIT.split(value) if token]


def _has_excluded_class(element) -> bool:
    return any(fragment in token for token in _class_tokens(element) for fragment in _rules().excluded_fragments)


def _has_class_fragment(element, fragments) -> bool:
    tokens = _class_tokens(element) + [element.get("itemprop", "").lower()]
    return any(fragment in token for token in tokens for fragment in fragments)


def _related_lists(tree) -> set:
    """Containers opened by a "Новини рубріки" / "Читайте також" style heading."""
    headings = _rules().excluded_headings
    excluded = set()
    for element in tree.iter("h2", "h3", "h4", "h5", "h6", "div", "span", "p", "strong", "b", "section", "header"):
        text = _normalized_text(element, limit=60)
        if text is None or not text.rstrip(" :").startswith(headings):
            continue
        parent = element.getparent()
        if parent is None:
            continue
        if len(parent.xpath(".//h1")) == 0 and parent.tag not in ("body", "html"):
            excluded.add(parent)
        else:
            excluded.update(element.itersiblings())
    return excluded


def _normalized_text(element, limit: int) -> str | None:
    text = element.text_content()
    if len(text) > limit * 4:
        return None
    text = " ".join(text.split()).lower()
    return text if 0 < len(text) <= limit else None


def _find_headline(tree, page: _Page):
    """The article's h1: the one that matches og:title, else the first outside excluded regions."""
    headings = [h1 for h1 in tree.iter("h1") if not page.is_excluded(h1) and h1.text_content().strip()]
    og_title = " ".join(tree.xpath("string(//meta[@property='og:title']/@content)").split()).lower()
    if og_title:
        for h1 in headings:
            text = " ".join(h1.text_content().split()).lower()
            if text and (text in og_title or og_title in text):
                return h1
    return headings[0] if headings else None


def _article_scope(tree, headline, body) -> list:
    """The elements that hold the article: its container around the headline, and the body."""
    roots = []
    if headline is not None and body is not None:
        common = _common_ancestor(headline, body)
        if common is not None and common.tag not in ("body", "html"):
            return [common]
        roots = [_headline_container(headline), body]
    elif headline is not None:
        roots = [_headline_container(headline)]
    elif body is not None:
        roots = [_closest(body, _SCOPE_TAGS) or body]
    else:
        roots = tree.xpath("//article|//main|//*[@itemprop='articleBody']")[:1]
    return [root for root in roots if root is not None]


def _common_ancestor(first, second):
    ancestors = set(_self_and_ancestors(first))
    return next((node for node in _self_and_ancestors(second) if node in ancestors), None)


def _closest(element, tags):
    return next((node for node in _self_and_ancestors(element) if node.tag in tags), None)


def _headline_container(headline):
    container = _closest(headline, _SCOPE_TAGS)
    if container is not None:
        return container
    node = headline
    for _ in range(3):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        node = parent
    return node


# ---------------------------------------------------------------- JSON-LD


def _jsonld_candidates(tree) -> list[DateCandidate]:
    ranked = []
    for position, script in enumerate(tree.xpath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]")):
        for rank, depth, item in _jsonld_items(_load_jsonld(script.text or "")):
            ranked.append((rank, depth, position, item))
    candidates = []
    for keys, kind in ((_LD_PUBLISHED_KEYS, PUBLISHED), (_LD_MODIFIED_KEYS, MODIFIED)):
        for _rank, _depth, _position, item in sorted(ranked, key=lambda entry: entry[:3]):
            for key in keys:
                value = item.get(key)
                if isinstance(value, (str, int)) and str(value).strip():
                    candidates.append(DateCandidate(str(value).strip(), "jsonld", kind))
    return candidates


def _load_jsonld(text: str):
    text = text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
    for attempt in (text, re.sub(r",\s*([}\]])", r"\1", text)):
        try:
            return json.loads(attempt, strict=False)
        except ValueError:
            continue
    # broken JSON: keep the date fields it plainly states
    return [
        {key: value}
        for key, value in re.findall(r'"(datePublished|dateModified|dateCreated)"\s*:\s*"([^"]{4,40})"', text)
    ]


def _jsonld_items(data, depth: int = 0):
    """(type rank, depth, item) for every dict in a JSON-LD document, @graph and nesting included."""
    if depth > 8:
        return
    if isinstance(data, list):
        for element in data:
            yield from _jsonld_items(element, depth)
    elif isinstance(data, dict):
        yield _jsonld_type_rank(data), depth, data
        for key, value in data.items():
            if key != "@context":
                yield from _jsonld_items(value, depth + (0 if key == "@graph" else 1))


def _jsonld_type_rank(item: dict) -> int:
    types = item.get("@type", [])
    types = {str(value).lower() for value in (types if isinstance(types, list) else [types])}
    if types & _ARTICLE_TYPES:
        return 0
    if types & _PAGE_TYPES:
        return 1
    return 2


# ---------------------------------------------------------------- meta tags


def _meta_candidates(tree, page: _Page) -> list[DateCandidate]:
    rules = _rules()
    ranked = []
    for element in tree.xpath("//meta[@content]|//*[@itemprop and (@content or @datetime)]"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or element.get("http-equiv") or "").lower().strip()
        value = (element.get("content") or element.get("datetime") or "").strip()
        if not name or not value:
            continue
        if element.tag != "meta" or element.get("itemprop"):
            if page.is_excluded(element):
                continue
        for kind, names in ((PUBLISHED, rules.meta_published), (MODIFIED, rules.meta_modified)):
            if name in names:
                ranked.append((kind, names.index(name), DateCandidate(value, "meta", kind)))
    ranked.sort(key=lambda entry: entry[:2])
    return [candidate for _kind, _rank, candidate in ranked]


# ---------------------------------------------------------------- <time>


def _time_candidates(page: _Page) -> list[DateCandidate]:
    candidates = []
    for root in page.scope:
        for element in root.iter("time"):
            if page.is_excluded(element):
                continue
            value = (element.get("datetime") or " ".join(element.text_content().split())).strip()
            if value:
                candidates.append(DateCandidate(value, "time", _kind_of(element)))
    return candidates


def _kind_of(element) -> str:
    for node in list(_self_and_ancestors(element))[:3]:
        if _has_class_fragment(node, _rules().modified_classes):
            return MODIFIED
    return PUBLISHED


# ---------------------------------------------------------------- visible date near the headline


def _visible_candidates(page: _Page) -> list[DateCandidate]:
    """Short dated elements in the smallest region around the headline that has any."""
    for region in _regions_near_headline(page):
        found = _dated_elements(region, page)
        if found:
            return found
    return []


def _regions_near_headline(page: _Page):
    if page.headline is None:
        yield from page.scope
        return
    node = page.headline
    for _ in range(_HEADLINE_CLIMB):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return
        node = parent
        yield node


def _dated_elements(region, page: _Page) -> list[DateCandidate]:
    classed, plain = [], []
    skip_inside = None
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in _SKIPPED_TAGS:
            continue
        if skip_inside is not None and _contains(skip_inside, element):
            continue
        if page.headline is not None and _contains(element, page.headline):
            continue
        text = " ".join(element.text_content().split())
        if not text or len(text) > _MAX_VISIBLE_CHARS:
            continue
        strings = find_date_strings(text, yearless_numeric=True)
        if not strings or page.is_excluded(element):
            continue
        skip_inside = element
        is_classed = any(_has_class_fragment(node, _rules().date_classes + _rules().modified_classes)
                         for node in list(_self_and_ancestors(element))[:3])
        (classed if is_classed else plain).append(DateCandidate(text, "visible", _kind_of(element)))
    return classed + plain


# ---------------------------------------------------------------- URL


def _url_candidates(url: str | None) -> list[DateCandidate]:
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    path = unquote(parts.path)
    candidates = []
    match = _URL_PATH_DATE.search(path)
    if match:
        candidates.append(DateCandidate(match["date"] or match["compact"], "url"))
    unix = _URL_UNIX_ID.search(path)
    if unix and _is_gov_ua(parts.hostname or ""):
        candidates.append(DateCandidate(unix["seconds"], "url"))
    return candidates


def _is_gov_ua(host: str) -> bool:
    return host.endswith("gov.ua") or "gromada" in host or "hromada" in host


# ---------------------------------------------------------------- running text


def _text_candidates(page: _Page) -> list[DateCandidate]:
    """The first date in the article's own text, outside excluded regions."""
    seen = 0
    for root in page.scope:
        for element in root.iter("p", "div", "span", "li", "td", "em", "strong", "b", "i", "small"):
            if seen > _TEXT_CHARS:
                return []
            own_text = " ".join(((element.text or "") + " " + " ".join(child.tail or "" for child in element)).split())
            if not own_text:
                continue
            seen += len(own_text)
            strings = find_date_strings(own_text)
            if strings and not page.is_excluded(element):
                return [DateCandidate(strings[0], "text")]
    return []
