"""Article extraction: the one entry point used by pipelines, CLI and evaluation.

Three stages, each also run on its own by a pipeline:

1. :func:`extract_raw` — parse HTML, find title, body text, author, language,
   canonical URL and the raw date strings with where they were found;
2. :func:`crawler.analysis.extract.boilerplate.strip_boilerplate` — drop the phrases and
   lines that are site furniture, not news;
3. :func:`crawler.analysis.dates.resolve_dates` — turn raw date strings into
   timezone-aware datetimes against the fetch time.

:func:`extract` runs all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from crawler.analysis.extract.html import parse_html

# Raised whenever the extracted title or text of some page changes: an archived article whose page comes back
# byte for byte but extracts differently is then our change, not a revision by its publisher. After raising it,
# record its fingerprints: .venv/bin/python tests/test_extractor_version.py
EXTRACTOR_VERSION = "0.6.5"


@dataclass(frozen=True)
class DateCandidate:
    """A date string as found on the page and where it was found.

    ``source`` is one of jsonld, meta, time, visible, url, text;
    ``kind`` is ``published`` or ``modified``.
    """

    raw: str
    source: str
    kind: str = "published"


@dataclass
class RawArticle:
    """What the extraction stage finds, before cleaning and date normalization."""

    title: str | None
    text: str
    author: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    page_type: str | None = None  # og:type / JSON-LD @type when the page declares one
    date_candidates: list[DateCandidate] = field(default_factory=list)


@dataclass
class Article:
    """A cleaned article with normalized dates."""

    title: str | None
    text: str
    author: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    page_type: str | None = None
    published: datetime | None = None
    published_raw: str | None = None
    published_source: str | None = None
    modified: datetime | None = None
    modified_raw: str | None = None
    modified_source: str | None = None

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        for key in ("published", "modified"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def extract_raw(html: bytes | str, url: str | None = None, *, hints=None, encoding: str | None = None) -> RawArticle:
    """Stage 1: find the article's parts in a page. ``hints`` is a registry ``ExtractionHints``."""
    from crawler.analysis.extract.content import extract_content

    tree = parse_html(html, encoding=encoding)
    return _storable_parts(extract_content(tree, url, hints=hints))


def _storable_parts(raw: RawArticle) -> RawArticle:
    """Every string of ``raw`` without NUL bytes, control characters and lone surrogates."""
    from crawler.analysis.text import storable

    return replace(raw, title=storable(raw.title), text=storable(raw.text), author=storable(raw.author),
                   language=storable(raw.language), canonical_url=storable(raw.canonical_url),
                   page_type=storable(raw.page_type),
                   date_candidates=[replace(candidate, raw=storable(candidate.raw)) for candidate in raw.date_candidates])


def extract(
    html: bytes | str,
    url: str | None = None,
    *,
    now: datetime | None = None,
    hints=None,
    encoding: str | None = None,
) -> Article:
    """Extract, clean and date one article page (a title over ``MAX_TITLE_CHARS`` cut, as the crawl stores it).

    ``now`` is the fetch time that relative and year-less dates resolve
    against; without it they resolve against the current time.
    """
    from crawler.analysis.dates import resolve_dates
    from crawler.analysis.extract.boilerplate import strip_boilerplate
    from crawler.analysis.text import cut_title

    raw = extract_raw(html, url, hints=hints, encoding=encoding)
    extra_phrases = hints.boilerplate if hints is not None else ()
    text = strip_boilerplate(raw.text, extra_phrases)
    dates = resolve_dates(raw.date_candidates, now=now, language=raw.language)
    return Article(
        title=cut_title(raw.title)[0],
        text=text,
        author=raw.author,
        language=raw.language,
        canonical_url=raw.canonical_url,
        page_type=raw.page_type,
        **dates,
    )
