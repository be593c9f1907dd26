"""Find the raw publication and modification dates of an article page, with where they were found.

The sources, most reliable first: JSON-LD, <meta> tags, ``<time>`` inside the
article, the visible date next to the headline, the URL, and the article
text. Dates in sidebars, related-news lists, comments, page headers and
footers never count. :func:`crawler.analysis.dates.resolve_dates` picks among the
candidates; this module only finds them.
"""

from __future__ import annotations

import itertools
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from crawler.analysis.dates import RULES_FILE, find_date_strings
from crawler.analysis.extract import DateCandidate

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
_SCOPE_TAGS = {"article", "main"}
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6")
_LABEL_TAGS = ("div", "span", "p", "strong", "b")
_MAX_VISIBLE_CHARS = 100
_HEADLINE_CLIMB = 5
_MAX_DATELINE_WORDS = 6  # words besides the date in a dateline: "By Liam Austin · Updated: October 22, 2025"
_WORD = re.compile(r"[^\W\d_]{2,}")
_TEXT_CHARS = 1500
_URL_PATH_DATE = re.compile(
    r"(?<!\d)(?P<date>(?:19|20)\d\d[/_-][01]?\d[/_-][0-3]?\d)(?=[/_.-]|$)"
    r"|(?<![\d])(?P<compact>(?:19|20)\d\d[01]\d[0-3]\d)(?=[/_.-]|$)"
    r"|(?<![\d])(?P<day_first>[0-3]\d-[01]\d-(?:19|20)\d\d)(?=[/_.-]|$)"  # /meldungen/29-10-2021
)
_URL_UNIX_ID = re.compile(r"/news/(?P<seconds>1[2-9]\d{8})(?=[/?#.]|$)")
_CLASS_SPLIT = re.compile(r"\s+")
_CLASS_PART_SPLIT = re.compile(r"[-_]+")
_BUILDER_BLOCK_WORDS = ("widget", "widgets")


@dataclass(frozen=True)
class _FinderRules:
    meta_published: tuple[str, ...]
    meta_modified: tuple[str, ...]
    date_classes: tuple[str, ...]
    modified_classes: tuple[str, ...]
    excluded_fragments: tuple[str, ...]
    builder_prefixes: tuple[str, ...]
    excluded_headings: tuple[str, ...]
    published_labels: tuple[str, ...]
    modified_labels: tuple[str, ...]
    meta_published_fragments: tuple[str, ...]
    meta_modified_fragments: tuple[str, ...]
    script_published_keys: tuple[str, ...]
    body_columns: tuple[str, ...]


@lru_cache(maxsize=1)
def _rules() -> _FinderRules:
    document = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    return _FinderRules(
        meta_published=tuple(document["meta"]["published"]),
        meta_modified=tuple(document["meta"]["modified"]),
        date_classes=tuple(document["date_classes"]["published"]),
        modified_classes=tuple(document["date_classes"]["modified"]),
        excluded_fragments=tuple(document["excluded_regions"]["fragments"]),
        builder_prefixes=tuple(document["excluded_regions"]["builder_prefixes"]),
        excluded_headings=tuple(document["excluded_regions"]["headings"]),
        published_labels=tuple(document["labels"]["published"]),
        modified_labels=tuple(document["labels"]["modified"]),
        meta_published_fragments=tuple(document["labels"]["meta_published_fragments"]),
        meta_modified_fragments=tuple(document["labels"]["meta_modified_fragments"]),
        script_published_keys=tuple(document["labels"]["script_published_keys"]),
        body_columns=tuple(document["excluded_regions"]["body_columns"]),
    )


def find_date_candidates(tree, url: str | None, *, headline=None, body=None) -> list[DateCandidate]:
    """Every date candidate of a page, most reliable source first.

    ``tree`` is the whole unmodified document; ``headline`` and ``body`` are
    the elements the content extractor chose, or None to find them here.
    """
    page = _Page.build(tree, headline, body)
    visible = _visible_candidates(page)
    found = [
        *_jsonld_candidates(tree),
        *_meta_candidates(tree, page),
        *_time_candidates(page),
        *visible,
        *_url_candidates(url),
        *_of_the_kind_shown(_text_candidates(page), visible),
    ]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- page regions


@dataclass
class _Page:
    tree: object
    headline: object | None
    body: object | None
    scope: list  # elements that hold the article: its header and body
    excluded: set  # elements whose whole subtree is not the article
    headline_path: set = field(default_factory=set)  # the headline and its ancestors
    body_path: set = field(default_factory=set)  # the extractor's body and its ancestors
    dated_text: dict = field(default_factory=dict)  # element -> its short dated text or None, once computed
    excluded_by: dict = field(default_factory=dict)  # (element, by_class) -> is_excluded, once computed
    texts: dict = field(default_factory=dict)  # element -> (raw text length, normalized text), see _subtree_text

    @classmethod
    def build(cls, tree, headline, body) -> _Page:
        excluded = _related_lists(tree)
        page = cls(tree=tree, headline=None, body=body, scope=[], excluded=excluded)
        page.headline = headline if headline is not None else _find_headline(tree, page)
        page.headline_path = set(_self_and_ancestors(page.headline)) if page.headline is not None else set()
        page.body_path = set(_self_and_ancestors(body)) if body is not None else set()
        page.excluded_by.clear()  # verdicts given while finding the headline knew neither path
        page.scope = _article_scope(tree, page.headline, body)
        return page

    def is_excluded(self, element, *, by_class: bool = True) -> bool:
        """True when the element sits in a sidebar, related list, comments, page header or footer.

        Regions that contain the headline or the body are the article's own, whatever their class says.
        """
        undecided, verdict = [], False
        for node in _self_and_ancestors(element):
            known = self.excluded_by.get((node, by_class))
            if known is None:
                known = self._is_excluded_itself(node, by_class)
            if known is not None:
                verdict = known
                break
            undecided.append(node)
        for node in undecided:  # each of them is decided by the same ancestor
            self.excluded_by[(node, by_class)] = verdict
        self.excluded_by[(element, by_class)] = verdict
        return verdict

    def _is_excluded_itself(self, node, by_class: bool) -> bool | None:
        """True or False when the node alone decides; None when its parent does."""
        if node in self.excluded:
            return True
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):
            return False
        if node in self.headline_path or node in self.body_path:
            return None
        if _is_page_region(node) or (by_class and _has_excluded_class(node)):
            return True
        return None

    def in_scope(self, element) -> bool:
        return any(_contains(root, element) for root in self.scope)


def _is_page_region(element) -> bool:
    """Navigation, a page sidebar, page header or footer; an <aside> inside an <article> is the article's own."""
    if element.tag == "aside":
        return _closest(element.getparent(), ("article",)) is None
    return element.tag == "nav" or _is_page_furniture(element)


def _is_page_furniture(element) -> bool:
    """A <header> or <footer> of the page, not of the article (those sit inside <article> or <main>)."""
    return element.tag in ("header", "footer") and _closest(element.getparent(), _SCOPE_TAGS) is None


def _self_and_ancestors(element):
    node = element
    while node is not None:
        yield node
        node = node.getparent()


def _contains(ancestor, element) -> bool:
    return any(node is ancestor for node in _self_and_ancestors(element))


def _has_excluded_class(element) -> bool:
    """A class or id naming an excluded region: "sidebar", "related-posts", "comments-area"…"""
    return _names_excluded_region(f"{element.get('class', '')} {element.get('id', '')}")


@lru_cache(maxsize=8192)
def _names_excluded_region(class_and_id: str) -> bool:
    rules = _rules()
    fragments = rules.excluded_fragments
    for token in _CLASS_SPLIT.split(class_and_id.lower()):
        if not token:
            continue
        parts = _CLASS_PART_SPLIT.split(token)
        if token.startswith(rules.builder_prefixes):
            parts = [part for part in parts[1:] if part not in _BUILDER_BLOCK_WORDS]
        if any(part in (fragment, fragment + "s") for part in parts for fragment in fragments if "-" not in fragment):
            return True
        if any(fragment in token for fragment in fragments if "-" in fragment):
            return True
    return False


def _has_class_fragment(element, fragments: tuple[str, ...]) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')} {element.get('itemprop', '')}"
    return names != "  " and _names_fragment(names, fragments)


@lru_cache(maxsize=8192)
def _names_fragment(names: str, fragments: tuple[str, ...]) -> bool:
    return names.strip() != "" and _fragment_pattern(fragments).search(names.lower()) is not None


@lru_cache(maxsize=8)
def _fragment_pattern(fragments: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(fragment) for fragment in fragments))


def _related_lists(tree) -> set:
    """Containers opened by a "Новини рубріки" / "Читайте також" style heading."""
    headings = _rules().excluded_headings
    first_letters = _first_letters(headings)
    excluded = set()
    for element in tree.iter(*_HEADING_TAGS, *_LABEL_TAGS):
        if element.tag in _HEADING_TAGS:
            text = _normalized_text(element, limit=60)
        elif (own_text := element.text) is None or own_text.lstrip()[:1].lower() not in first_letters:
            continue  # cannot start with a heading
        else:  # a div or span is a heading only through its own text
            text = " ".join(own_text.split()).lower()[:61] or None
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


@lru_cache(maxsize=4)
def _first_letters(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(phrase[:1] for phrase in phrases)


def _normalized_text(element, limit: int) -> str | None:
    text = _short_text(element, limit)
    return text.lower() if text else None


def _short_text(element, limit: int) -> str | None:
    """The element's whitespace-normalized text if it is at most ``limit`` characters, without reading more."""
    if len(element) == 0:  # no children: its text is all there is, read without the cost of itertext()
        return _short_leaf_text(element.text or "", limit)
    pieces, raw_length = [], 0
    for piece in element.itertext():
        raw_length += len(piece)
        if raw_length > limit * 4:
            return None
        pieces.append(piece)
    text = " ".join(" ".join(pieces).split())
    return text if len(text) <= limit else None


def _subtree_text(element, known: dict) -> tuple[int, str]:
    """(raw length, whitespace-normalized text) of the element's text, as _short_text reads it, built from
    its children's so that nested elements are read once. Past the visible-text limit only the length counts."""
    found = known.get(element)
    if found is not None:
        return found
    raw_length = len(element.text or "")
    parts = [element.text] if element.text else []
    for child in element:
        if isinstance(child.tag, str):
            child_length, child_text = _subtree_text(child, known)
            raw_length += child_length
            parts.append(child_text)
        if child.tail:
            raw_length += len(child.tail)
            parts.append(child.tail)
        if raw_length > _MAX_VISIBLE_CHARS * 4:
            break
    if raw_length > _MAX_VISIBLE_CHARS * 4:
        found = (raw_length, "")
    else:
        found = (raw_length, " ".join(" ".join(parts).split()))
    known[element] = found
    return found


def _short_leaf_text(text: str, limit: int) -> str | None:
    if len(text) > limit * 4:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else None


def _find_headline(tree, page: _Page):
    """The article's h1: the one that matches og:title, else the first outside excluded regions."""
    headings = [h1 for h1 in tree.iter("h1") if h1.text_content().strip()]
    og_title = " ".join(tree.xpath("string(//meta[@property='og:title']/@content)").split()).lower()
    if og_title:
        for h1 in headings:
            text = " ".join(h1.text_content().split()).lower()
            if text in og_title or og_title in text:
                return h1
    outside = [h1 for h1 in headings if not page.is_excluded(h1, by_class=False)]
    return (outside or headings or [None])[0]


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
        container = _closest(body, _SCOPE_TAGS)
        roots = [container if container is not None else body]
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
    for position, text in enumerate(_jsonld_texts(tree)):
        for rank, depth, item in _jsonld_items(_load_jsonld(text)):
            ranked.append((rank, depth, position, item))
    candidates = []
    for keys, kind in ((_LD_PUBLISHED_KEYS, PUBLISHED), (_LD_MODIFIED_KEYS, MODIFIED)):
        for _rank, _depth, _position, item in sorted(ranked, key=lambda entry: entry[:3]):
            for key in keys:
                value = item.get(key)
                if isinstance(value, (str, int)) and str(value).strip():
                    candidates.append(DateCandidate(str(value).strip(), "jsonld", kind))
    return candidates


def _jsonld_texts(tree) -> list[str]:
    """JSON-LD scripts, and the <meta name="script:ld+json" content="…"> some frameworks render instead."""
    root = tree.getroottree().getroot()
    scripts = [script for script in root.iter("script") if _names_jsonld(script.get("type"))]
    metas = [meta.get("content") for meta in root.iter("meta") if _names_jsonld(meta.get("name"))]
    return [script.text or "" for script in scripts] + [content for content in metas if content is not None]


def _names_jsonld(value: str | None) -> bool:
    """An attribute that says ld+json, its letters in any case (as XPath translate('LDJSON','ldjson') would)."""
    return value is not None and "ld+json" in value.translate(_LDJSON_LOWER)


_LDJSON_LOWER = str.maketrans("LDJSON", "ldjson")


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
    """<meta> tags, then microdata outside excluded regions, each by name rank: the known names,
    then any name that says "published"."""
    ranked = []
    for element in tree.xpath("//meta[@content]|//*[@itemprop]"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or element.get("http-equiv") or "")
        name = name.lower().strip()
        if not _may_name_date(name):
            continue
        value = _meta_value(element)
        if not value:
            continue
        is_microdata = element.tag != "meta" or element.get("itemprop") is not None
        if is_microdata and page.is_excluded(element):
            continue
        ranked.extend(
            (kind, is_microdata, rank, DateCandidate(value, "meta", kind))
            for kind, rank in _meta_ranks(name, value)
        )
    ranked.sort(key=lambda entry: entry[:3])
    return [entry[-1] for entry in ranked] + _script_candidates(tree)


def _meta_value(element) -> str:
    value = element.get("content") or element.get("datetime") or element.get("title")
    if value is None and element.tag != "meta" and len(element) == 0:
        value = element.text_content()
    return " ".join((value or "").split())[:_MAX_VISIBLE_CHARS]


@lru_cache(maxsize=4096)
def _may_name_date(name: str) -> bool:
    """A meta name that can rank at all: a known name, or one that mentions publishing or updating."""
    rules = _rules()
    known = rules.meta_published + rules.meta_modified
    return name in known or any(fragment in name for fragment in rules.meta_published_fragments + rules.meta_modified_fragments)


def _meta_ranks(name: str, value: str):
    """(kind, rank) of a meta name: its place in the known lists, or after them if the name only mentions one."""
    rules = _rules()
    for kind, names, fragments in (
        (PUBLISHED, rules.meta_published, rules.meta_published_fragments),
        (MODIFIED, rules.meta_modified, rules.meta_modified_fragments),
    ):
        if name in names:
            yield kind, names.index(name)
        elif any(fragment in name for fragment in fragments) and find_date_strings(value):
            yield kind, len(names)


def _script_candidates(tree) -> list[DateCandidate]:
    """The publication date a page's own JSON state states (Next.js data, CMS blobs): the first, by key rank."""
    keys = _rules().script_published_keys
    scripts = [
        script
        for script in tree.xpath("//script[not(contains(@type,'ld+json'))]/text()", smart_strings=False)
        if any(key in script for key in keys)
    ]
    for key in keys:
        for script in scripts:
            value = _script_value(script, key)
            if value is not None:
                return [DateCandidate(value, "meta")]
    return []


def _script_value(script: str, key: str) -> str | None:
    """The first quoted value of ``"key": "…"`` in a script, plain or HTML-escaped JSON;
    a literal search for the key, then a match where it stands, is far faster than a regex scan of the blob."""
    after_key = _SCRIPT_VALUE_AFTER_KEY
    start = script.find(key)
    while start != -1:
        end = start + len(key)
        if script.endswith(_QUOTES, 0, start) and (match := after_key.match(script, end)):
            return match["value"]
        start = script.find(key, end)
    return None


_QUOTE = r'(?:\\?"|&quot;)'
_QUOTES = ('"', "&quot;")
_SCRIPT_VALUE_AFTER_KEY = re.compile(rf"{_QUOTE}\s*:\s*{_QUOTE}(?P<value>[0-9A-Za-z][^\"&<]{{5,40}}?){_QUOTE}")


# ---------------------------------------------------------------- <time>


def _time_candidates(page: _Page) -> list[DateCandidate]:
    candidates = []
    for root in page.scope:
        for element in root.iter("time"):
            if page.is_excluded(element):
                continue
            value = (element.get("datetime") or " ".join(element.text_content().split())).strip()
            if value:
                candidates.append(DateCandidate(value, "time", _kind_of(element, element.text or "")))
    return candidates


def _kind_of(element, text: str) -> str:
    """Modified when labelled so ("Оновлено: …", "Updated <time>…") or classed so, itself or near ancestors."""
    if _starts_with(text, _rules().modified_labels) or _ends_with_label(_text_before(element)):
        return MODIFIED
    for node in list(_self_and_ancestors(element))[:3]:
        if _has_class_fragment(node, _rules().modified_classes):
            return MODIFIED
    return PUBLISHED


def _text_before(element) -> str:
    """The text between the element and the previous element; comments ("Updated<!-- --> <time>", as
    React renders it) do not end it. With nothing between them, a short previous element is the label:
    "<span class='label'>Last Updated:</span> <span class='date'>April 1, 2025</span>"."""
    pieces = []
    node = element.getprevious()
    while node is not None:
        pieces.append(node.tail or "")
        if isinstance(node.tag, str):
            if not "".join(pieces).strip() and node.tag not in _SKIPPED_TAGS:
                pieces.append(_short_text(node, _MAX_LABEL_CHARS) or "")
            break
        node = node.getprevious()
    else:
        parent = element.getparent()
        pieces.append((parent.text if parent is not None else None) or "")
    return "".join(reversed(pieces))


# ---------------------------------------------------------------- visible date near the headline


def _visible_candidates(page: _Page) -> list[DateCandidate]:
    """Dates that follow a label of their own ("<h4>Published</h4><time>…");
    then datelines in the smallest region around the headline that has any; failing that, dated elements
    anywhere outside excluded regions that say they are dates. A dateline a label already announced is
    not repeated unlabelled. Short sentences that mention a date count only on a page without a dateline."""
    labelled = _dates_after_labels(page)
    labelled_raws = {candidate.raw for candidate in labelled}
    datelines, sentences = _unlabelled_visible_candidates(page)
    datelines = [candidate for candidate in datelines if candidate.raw not in labelled_raws]
    return labelled + datelines + ([] if labelled or datelines else sentences)


def _unlabelled_visible_candidates(page: _Page) -> tuple[list[DateCandidate], list[DateCandidate]]:
    """The datelines of the smallest region around the headline that has any, else the dated elements
    anywhere that say they are dates; and the short sentences that mention a date, found on the way."""
    sentences = []
    inner, inner_found = None, []
    for region in _regions_near_headline(page):
        found = _dated_texts_in(region, page, inner, inner_found)
        inner, inner_found = region, found
        datelines, in_sentences = _dated_elements(found)
        if datelines:
            return datelines, in_sentences
        sentences = sentences or in_sentences
    return _labelled_dates_anywhere(page), sentences


def _dates_after_labels(page: _Page) -> list[DateCandidate]:
    """Dates that follow an element whose whole text is a label: "<h4>Published</h4> <time>…</time>",
    "<div>Updated on</div><div>April 19, 2025</div>", in the article scope and outside excluded regions,
    except the article's own meta column beside its body, whatever its class calls it ("single-post-sidebar")."""
    labels = _label_kinds()
    first_letters = _first_letters(tuple(labels))
    found = []
    for root in page.scope:
        for element in root.iter(*_LABEL_HOLDER_TAGS):
            text = element.text
            if text is None or text.lstrip()[:1].lower() not in first_letters:
                continue  # cannot start with a label
            kind = labels.get(_label_text(element))
            if kind is None or page.is_excluded(element, by_class=False):
                continue
            if page.is_excluded(element) and not _in_column_beside_body(element, page):
                continue
            text = _date_after(element)
            if text is not None:
                found.append(DateCandidate(text, "visible", kind))
    return found


def _in_column_beside_body(element, page: _Page) -> bool:
    """Inside a region classed as a column ("sidebar", "aside") whose parent also holds the article body."""
    column = next((node for node in _self_and_ancestors(element) if _has_excluded_class(node)), None)
    return (
        column is not None
        and column.getparent() in page.body_path
        and _has_class_fragment(column, _rules().body_columns)
    )


_LABEL_HOLDER_TAGS = ("h2", "h3", "h4", "h5", "h6", "div", "span", "p", "strong", "b", "dt", "th", "label", "small")
_MAX_LABEL_CHARS = 30
_LABEL_SIBLINGS = 2  # a label and its date may have a screen-reader-only heading between them


@lru_cache(maxsize=1)
def _label_kinds() -> dict[str, str]:
    """Label text ("published", "updated on") -> the kind of date it announces."""
    rules = _rules()
    kinds = {}
    for kind, labels in ((MODIFIED, rules.modified_labels), (PUBLISHED, rules.published_labels)):
        for label in labels:
            label = label.rstrip(" :")
            kinds.setdefault(label, kind)
            kinds.setdefault(f"{label} on", kind)
    return kinds


def _label_text(element) -> str | None:
    """The element's whole text, lower case without a trailing colon, when it is short enough to be a label."""
    if len(element) != 0 or not element.text:
        return None
    text = element.text
    if len(text) > _MAX_LABEL_CHARS * 4:
        return None
    return " ".join(text.split()).rstrip(" :").lower() or None


def _date_after(label) -> str | None:
    """The short dated text right after a label: its tail, or one of its next siblings."""
    tail = _short_leaf_text(label.tail or "", _MAX_VISIBLE_CHARS)
    if tail and find_date_strings(tail):
        return tail
    siblings = (sibling for sibling in label.itersiblings() if isinstance(sibling.tag, str))
    for sibling in itertools.islice(siblings, _LABEL_SIBLINGS):
        text = _short_text(sibling, _MAX_VISIBLE_CHARS)
        if text and find_date_strings(text):
            return sibling.get("datetime") if sibling.tag == "time" and sibling.get("datetime") else text
    return None


def _labelled_dates_anywhere(page: _Page) -> list[DateCandidate]:
    """<time>, date-classed and "Published …" elements of the whole page, nearest the headline first."""
    found = []
    skip_inside = None
    anchor = 0  # the headline's position
    for position, element in enumerate(page.tree.iter()):
        if element is page.headline:
            anchor = position
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIPPED_TAGS:
            continue
        if skip_inside is not None:
            if _contains(skip_inside, element):
                continue
            skip_inside = None  # a walk in document order never comes back inside it
        if not (tag == "time" or _is_date_classed(element) or _starts_with_label(element)):
            continue
        text = _dated_text(element, page)
        if text is None:
            continue
        skip_inside = element
        value = element.get("datetime") if element.tag == "time" and element.get("datetime") else text
        found.append((position, DateCandidate(value, "visible", _kind_of(element, text))))
    found.sort(key=lambda entry: abs(entry[0] - anchor))
    return [candidate for _position, candidate in found]


def _is_date_classed(element) -> bool:
    return _has_class_fragment(element, _date_and_modified_classes())


@lru_cache(maxsize=1)
def _date_and_modified_classes() -> tuple[str, ...]:
    rules = _rules()
    return rules.date_classes + rules.modified_classes


def _starts_with_label(element) -> bool:
    return _starts_with_label_text(element.text or "")


def _starts_with_label_text(text: str) -> bool:
    return _starts_with(text, _rules().published_labels)


def _starts_with(text: str, labels: tuple[str, ...]) -> bool:
    text = text.strip(" \t\n|·•-–—").lower()
    return bool(text) and text.startswith(labels)


def _dated_text(element, page: _Page) -> str | None:
    """The element's text when it is short, holds a date and sits outside excluded regions."""
    if element in page.dated_text:
        return page.dated_text[element]
    raw_length, text = _subtree_text(element, page.texts)
    if raw_length > _MAX_VISIBLE_CHARS * 4 or len(text) > _MAX_VISIBLE_CHARS:
        text = None
    if not text or not find_date_strings(text, yearless_numeric=True) or page.is_excluded(element):
        text = None
    page.dated_text[element] = text
    return text


def _regions_near_headline(page: _Page):
    """Ever larger regions around the headline; without one, the article scope and then around the body."""
    if page.headline is None:
        yield from page.scope
    node = page.headline if page.headline is not None else page.body
    if node is None:
        return
    for _ in range(_HEADLINE_CLIMB):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return
        node = parent
        yield node


def _dated_texts_in(region, page: _Page, inner=None, inner_found=()) -> list[tuple]:
    """(element, short dated text) of a region's elements in document order.

    ``inner`` is the previous, smaller region and ``inner_found`` its own list: when it is a child
    of this region, its subtree is not walked again.
    """
    if inner is None or inner.getparent() is not region:
        return _dated_texts_of(region.iter(), page)
    found = _dated_texts_of([region], page)
    for child in region:
        found += inner_found if child is inner else _dated_texts_of(child.iter(), page)
    return found


def _dated_texts_of(elements, page: _Page) -> list[tuple]:
    found = []
    for element in elements:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIPPED_TAGS:
            continue
        if element in page.headline_path:
            continue
        text = _dated_text(element, page)
        if text is not None:
            found.append((element, text))
    return found


def _dated_elements(found: list[tuple]) -> tuple[list[DateCandidate], list[DateCandidate]]:
    """The datelines (date-classed ones first) and the sentences that mention a date among a region's
    dated elements."""
    found = _innermost(found)
    sentences = [entry for entry in found if _is_sentence(entry[1])]
    found = [entry for entry in found if entry not in sentences]
    classed = [entry for entry in found if any(_is_date_classed(node) for node in list(_self_and_ancestors(entry[0]))[:3])]
    plain = [entry for entry in found if entry not in classed]
    return (
        [DateCandidate(text, "visible", _kind_of(element, text)) for element, text in classed + plain],
        [DateCandidate(text, "visible", _kind_of(element, text)) for element, text in sentences],
    )


def _is_sentence(text: str) -> bool:
    """Running text that mentions a date ("Call for proposals is open until July 31"), not a dateline."""
    rest = text
    for found in find_date_strings(text, yearless_numeric=True):
        rest = rest.replace(found, " ")
    return len(_WORD.findall(rest)) > _MAX_DATELINE_WORDS and not _starts_with_label_text(text)


def _innermost(found: list) -> list:
    """Drop an element when one inside it holds the same dates ("103 · 23.01.2025 16:44" -> "23.01.2025 16:44")."""
    dates = {id(element): find_date_strings(text, yearless_numeric=True) for element, text in found}
    kept = []
    for element, text in found:
        inner = (
            other for other, _ in found
            if other is not element and _contains(element, other) and dates[id(other)] == dates[id(element)]
        )
        if next(inner, None) is None:
            kept.append((element, text))
    return kept


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
        candidates.append(DateCandidate(match["date"] or match["compact"] or match["day_first"], "url"))
    unix = _URL_UNIX_ID.search(path)
    if unix:
        candidates.append(DateCandidate(unix["seconds"], "url"))
    return candidates


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
                before = own_text[: own_text.index(strings[0])].strip() or _text_before(element)
                return [DateCandidate(strings[0], "text", MODIFIED if _ends_with_label(before) else PUBLISHED)]
    return []


def _of_the_kind_shown(text_dates: list[DateCandidate], visible: list[DateCandidate]) -> list[DateCandidate]:
    """A text date that a dateline shows as the update date ("Updated on July 9, 2025") is that update date."""
    updated = [candidate.raw for candidate in visible if candidate.kind == MODIFIED]
    published = [candidate.raw for candidate in visible if candidate.kind == PUBLISHED]
    return [
        DateCandidate(found.raw, found.source, MODIFIED)
        if any(found.raw in raw for raw in updated) and not any(found.raw in raw for raw in published)
        else found
        for found in text_dates
    ]


def _ends_with_label(text: str) -> bool:
    """Text that ends with a modification label: "… Last updated:", "Updated on"."""
    words = text.replace(":", " ").lower().split()
    labels = _modified_label_forms()
    return any(" ".join(words[-size:]) in labels for size in (3, 2, 1) if len(words) >= size)


@lru_cache(maxsize=1)
def _modified_label_forms() -> frozenset[str]:
    return frozenset(label for label, kind in _label_kinds().items() if kind == MODIFIED)
