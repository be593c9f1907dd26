"""A source's template learned from its own pages: the lines that recur across its articles are furniture.

A crawler sees many pages of every site. A line of extracted text that recurs on
most of a source's pages whose bodies differ is that site's furniture (a call to
action, a hotline banner, "add your news", a related-news block), whatever its
words, so a new source needs no hand-written phrases.

Two kinds of recurring lines are article text and are kept:

- **reposts** — the same story on several URLs repeats every line of it. Pages
  whose texts are near-duplicates (MinHash similarity ≥ :data:`NEAR_DUPLICATE`)
  count once, so a reposted story never makes its own lines recur;
- **signatures** — a standard closing line of the article ("Пресслужба
  Бучанської міської ради", "Джерело: …"). A recurring line that is short
  (≤ :data:`SIGNATURE_WORDS` words), a paragraph of its own and the last
  paragraph of the text on nearly every page it appears on
  (≥ :data:`SIGNATURE_SHARE`) is a signature. Furniture that ends the text is the
  business of the general `cut_tail` rules in data/boilerplate.toml.

A template applies once it has seen :data:`MIN_PAGES` distinct-bodied pages; a
line is furniture when it is on at least :data:`MIN_SHARE` of them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from crawler.analysis.extract.boilerplate import normalize_line
from crawler.analysis.minhash import signatures, similarity

MIN_PAGES = 5
MIN_SHARE = 0.6
NEAR_DUPLICATE = 0.5  # a repost with its own lead line and the site furniture around it measured 0.64
SIGNATURE_WORDS = 12
SIGNATURE_SHARE = 0.8
TEMPLATE_VERSION = 1


@dataclass(frozen=True)
class SourceTemplate:
    """The furniture lines (normalized) of one source and how many distinct pages taught them."""

    furniture: frozenset[str] = frozenset()
    pages: int = 0
    version: int = TEMPLATE_VERSION

    def strip(self, text: str) -> str:
        """``text`` without its furniture lines; paragraphs stay separated by a blank line."""
        if not self.furniture:
            return text
        paragraphs = []
        for paragraph in text.split("\n\n"):
            kept = [line for line in paragraph.split("\n") if normalize_line(line) not in self.furniture]
            if any(line.strip() for line in kept):
                paragraphs.append("\n".join(kept).strip())
        return "\n\n".join(paragraphs)

    def to_json(self) -> str:
        return json.dumps({"furniture": sorted(self.furniture), "pages": self.pages}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, version: int = TEMPLATE_VERSION) -> "SourceTemplate":
        data = json.loads(text)
        return cls(frozenset(data["furniture"]), int(data["pages"]), version)


@dataclass
class LineStats:
    """How often one normalized line occurs across distinct pages, and how often it ends the text on its own."""

    pages: int = 0
    closing: int = 0
    words: int = 0


def learn_template(texts: list[str]) -> SourceTemplate:
    """The template taught by a source's extracted page texts (an empty one below :data:`MIN_PAGES`)."""
    return template_of_distinct(distinct_texts(texts))


def template_of_distinct(distinct: list[str]) -> SourceTemplate:
    counts = LineCounts()
    for text in distinct:
        counts.add(page_lines(text))
    return counts.template()


def is_signature(found: LineStats) -> bool:
    return found.words <= SIGNATURE_WORDS and found.closing >= SIGNATURE_SHARE * found.pages


@dataclass(frozen=True)
class PageLines:
    """The distinct normalized lines of one page's text, and its last paragraph when that is one line."""

    lines: frozenset[str]
    closing: str | None


def page_lines(text: str) -> PageLines:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    closing = normalize_line(paragraphs[-1]) if paragraphs and "\n" not in paragraphs[-1] else None
    return PageLines(frozenset({normalize_line(line) for p in paragraphs for line in p.split("\n")} - {""}), closing)


class LineCounts:
    """Line statistics over a set of distinct pages, kept up to date as pages join and leave it (relearning a
    template from all its pages on every page cost a crawl ~13 ms an article)."""

    def __init__(self):
        self.stats: dict[str, LineStats] = {}
        self.pages = 0

    def add(self, page: PageLines, weight: int = 1) -> None:
        """Count ``page`` in (``weight`` 1) or out again (-1)."""
        self.pages += weight
        for line in page.lines:
            found = self.stats.setdefault(line, LineStats(words=len(line.split())))
            found.pages += weight
            found.closing += weight * (line == page.closing)
            if found.pages == 0:
                del self.stats[line]

    def template(self) -> SourceTemplate:
        if self.pages < MIN_PAGES:
            return SourceTemplate(pages=self.pages)
        needed = MIN_SHARE * self.pages
        furniture = frozenset(line for line, found in self.stats.items()
                              if found.pages >= needed and not is_signature(found))
        return SourceTemplate(furniture, self.pages)


def distinct_texts(texts: list[str]) -> list[str]:
    """``texts`` with each group of near-duplicates (reposts of one story) reduced to its first member."""
    learner = TemplateLearner(relearn=False)
    for text in texts:
        learner.add(text)
    return learner.texts


def is_near_duplicate(values, seen) -> bool:
    return values is not None and any(other is not None and similarity(values, other) >= NEAR_DUPLICATE for other in seen)


@dataclass
class TemplateLearner:
    """Distinct-bodied pages of one source as a crawl sees them; the template is relearned as they come in."""

    texts: list[str] = field(default_factory=list)
    text_signatures: list = field(default_factory=list)
    template: SourceTemplate = field(default_factory=SourceTemplate)
    relearn: bool = True
    max_pages: int = 200
    page_lines: list[PageLines] = field(default_factory=list)
    counts: LineCounts = field(default_factory=LineCounts)

    def add(self, text: str) -> SourceTemplate:
        """Learn from one more page (a repost of a page already seen teaches nothing) and return the template now."""
        values = signatures([text])[0]
        if is_near_duplicate(values, self.text_signatures):
            return self.template
        self.texts = [*self.texts[-(self.max_pages - 1):], text]
        self.text_signatures = [*self.text_signatures[-(self.max_pages - 1):], values]
        if not self.relearn:
            return self.template
        self.page_lines.append(page_lines(text))
        self.counts.add(self.page_lines[-1])
        if len(self.page_lines) > self.max_pages:
            self.counts.add(self.page_lines.pop(0), weight=-1)
        if len(self.texts) >= MIN_PAGES:
            self.template = self.counts.template()
        return self.template
