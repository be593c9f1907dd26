"""Score article extraction against a WCXB-layout folder, ours and other tools side by side.

A dataset folder holds ``html/ID.html.gz`` (the page) and ``ground-truth/ID.json``
(``url`` and, under ``ground_truth``: ``title``, ``publish_date``, ``main_content``,
``with`` and ``without``). Figures, defined so they compare across tools:

- body F1: mean over pages of word-level F1 between extracted text and ``main_content``
  (words are ``\\w+`` lower-cased, counted as multisets); pages without ``main_content``
  are left out of this mean;
- with kept / without dropped: share of all ``with`` snippets found in the extracted
  text, and of all ``without`` snippets absent from it (both lower-cased and collapsed
  to ``\\w+`` words joined by single spaces, then matched as a substring: WCXB
  snippets are often cut mid-word, "...those who follo");
- title match: normalized extracted title equals normalized ground-truth title;
- date match: same calendar day as ``publish_date``, over pages that have one;
- a figure the set does not label (no page has it) is None, printed as n/a;
- pages/s: pages over the seconds spent inside the extractor call only.

Halves (``half="tune"`` / ``"check"``) split a folder by site, never by page: a page's
half is the parity of the first byte of the SHA-1 of its URL's registered domain
(:func:`registered_domain`), so every page of one site lands in the same half.
Rules are tuned on ``tune``; ``check`` holds sites they have never seen.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

WORD = re.compile(r"\w+")
ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
HALVES = ("tune", "check")
# second-level labels under which a registered domain takes three labels (bbc.co.uk, gov.ua's rada.gov.ua)
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac", "in", "ne", "or"}


class DatasetError(ValueError):
    """The folder is not in the WCXB layout."""


@dataclass(frozen=True)
class Truth:
    title: str | None
    publish_date: str | None
    main_content: str | None
    with_snippets: tuple[str, ...]
    without_snippets: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    page_id: str
    url: str | None
    html: bytes
    truth: Truth


@dataclass(frozen=True)
class Extracted:
    """What any tool returns for one page, reduced to the scored fields."""

    title: str | None
    text: str
    published: date | None


@dataclass
class Scores:
    """Running totals for one tool; figures are read from the properties."""

    tool: str
    pages: int = 0
    errors: int = 0
    seconds: float = 0.0
    f1_sum: float = 0.0
    f1_pages: int = 0
    with_total: int = 0
    with_kept: int = 0
    without_total: int = 0
    without_dropped: int = 0
    title_pages: int = 0
    title_matches: int = 0
    date_pages: int = 0
    date_matches: int = 0
    per_page_f1: dict[str, float] = field(default_factory=dict)

    def add(self, page: Page, result: Extracted | None, seconds: float) -> None:
        self.pages += 1
        self.seconds += seconds
        if result is None:
            self.errors += 1
            result = Extracted(title=None, text="", published=None)
        truth = page.truth
        text_words = words(result.text)
        if truth.main_content is not None:
            score = word_f1(text_words, words(truth.main_content))
            self.per_page_f1[page.page_id] = score
            self.f1_sum += score
            self.f1_pages += 1
        joined = " ".join(text_words)
        for snippet in truth.with_snippets:
            self.with_total += 1
            self.with_kept += snippet_in(snippet, joined)
        for snippet in truth.without_snippets:
            self.without_total += 1
            self.without_dropped += not snippet_in(snippet, joined)
        if truth.title:
            self.title_pages += 1
            self.title_matches += normalize_title(result.title) == normalize_title(truth.title)
        truth_day = parse_day(truth.publish_date)
        if truth_day is not None:
            self.date_pages += 1
            self.date_matches += result.published == truth_day

    @property
    def body_f1(self) -> float | None:
        return share(self.f1_sum, self.f1_pages)

    @property
    def with_kept_share(self) -> float | None:
        return share(self.with_kept, self.with_total)

    @property
    def without_dropped_share(self) -> float | None:
        return share(self.without_dropped, self.without_total)

    @property
    def title_match(self) -> float | None:
        return share(self.title_matches, self.title_pages)

    @property
    def date_match(self) -> float | None:
        return share(self.date_matches, self.date_pages)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    def figures(self) -> dict:
        return {
            "tool": self.tool,
            "pages": self.pages,
            "errors": self.errors,
            "body_f1": rounded(self.body_f1),
            "with_kept": rounded(self.with_kept_share),
            "without_dropped": rounded(self.without_dropped_share),
            "title_match": rounded(self.title_match),
            "date_match": rounded(self.date_match),
            "date_pages": self.date_pages,
            "pages_per_s": round(self.pages_per_second, 1),
            "seconds": round(self.seconds, 2),
        }


def share(part: float, whole: int) -> float | None:
    """None when the set labels nothing for this figure: unlabeled is not a score of 0."""
    return part / whole if whole else None


def rounded(figure: float | None) -> float | None:
    return None if figure is None else round(figure, 4)


def words(text: str | None) -> list[str]:
    return WORD.findall((text or "").lower())


def word_f1(predicted: list[str], expected: list[str]) -> float:
    if not predicted and not expected:
        return 1.0
    if not predicted or not expected:
        return 0.0
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def snippet_in(snippet: str, joined_words: str) -> bool:
    """``joined_words`` is the extracted text's words joined by single spaces; a substring match, as WCXB defines it."""
    snippet_words = words(snippet)
    return bool(snippet_words) and " ".join(snippet_words) in joined_words


def normalize_title(title: str | None) -> str:
    return " ".join(words(title))


def parse_day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = ISO_DAY.search(str(value))
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def registered_domain(url: str | None) -> str:
    """The site a URL belongs to: its host without ``www.``, cut to two labels (three under co.uk, com.ua...)."""
    labels = (urlsplit(url or "").hostname or "").removeprefix("www.").split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def site_half(url: str | None) -> str:
    """``tune`` or ``check``: the half of a site-disjoint split that the page's site falls in."""
    return HALVES[hashlib.sha1(registered_domain(url).encode()).digest()[0] % 2]


def load_pages(folder: Path | str, limit: int | None = None, half: str | None = None) -> Iterator[Page]:
    """Pages of a WCXB-layout folder in id order, optionally one site-disjoint half of them;
    a page with unreadable ground truth raises DatasetError."""
    folder = Path(folder)
    html_dir, truth_dir = folder / "html", folder / "ground-truth"
    if not html_dir.is_dir() or not truth_dir.is_dir():
        raise DatasetError(f"{folder}: expected html/ID.html.gz and ground-truth/ID.json (WCXB layout)")
    truth_files = sorted(truth_dir.glob("*.json"))
    if limit is not None:
        truth_files = truth_files[:limit]
    for truth_file in truth_files:
        page_id = truth_file.stem
        html_file = html_dir / f"{page_id}.html.gz"
        if not html_file.exists():
            continue
        fields = _read_truth(truth_file)
        if half is None or site_half(fields["url"]) == half:
            yield Page(page_id=page_id, html=gzip.decompress(html_file.read_bytes()), **fields)


def _read_truth(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: unreadable ground truth: {error}") from None
    truth = document.get("ground_truth") or {}
    return {
        "url": document.get("url"),
        "truth": Truth(
            title=truth.get("title"),
            publish_date=truth.get("publish_date"),
            main_content=truth.get("main_content"),
            with_snippets=tuple(truth.get("with") or ()),
            without_snippets=tuple(truth.get("without") or ()),
        ),
    }


def extract_ours(html: bytes, url: str | None) -> Extracted:
    from crawler.analysis.extract import extract

    article = extract(html, url)
    return Extracted(title=article.title, text=article.text, published=parse_day(article.published))


def extract_trafilatura(html: bytes, url: str | None) -> Extracted:
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if document is None:
        return Extracted(title=None, text="", published=None)
    return Extracted(title=document.title, text=document.text or "", published=parse_day(document.date))


def extract_htmldate(html: bytes, url: str | None) -> Extracted:
    """htmldate alone, called as its own evaluation does (original date, extensive search on)."""
    from htmldate import find_date

    found = find_date(html, url=url, original_date=True, extensive_search=True)
    return Extracted(title=None, text="", published=parse_day(found))


TOOLS: dict[str, Callable[[bytes, str | None], Extracted]] = {
    "hromada": extract_ours,
    "trafilatura": extract_trafilatura,
    "htmldate": extract_htmldate,
}


def evaluate(folder: Path | str, tools: list[str], limit: int | None = None, half: str | None = None) -> list[Scores]:
    """Run every tool on every page of the folder; the extractor call alone is timed."""
    unknown = [name for name in tools if name not in TOOLS]
    if unknown:
        raise ValueError(f"unknown tool(s): {', '.join(unknown)}; known: {', '.join(TOOLS)}")
    scores = [Scores(tool=name) for name in tools]
    for page in load_pages(folder, limit, half):
        for score in scores:
            result, seconds = timed_call(TOOLS[score.tool], page)
            score.add(page, result, seconds)
    return scores


def timed_call(tool: Callable[[bytes, str | None], Extracted], page: Page) -> tuple[Extracted | None, float]:
    """The tool's result (None when it raised) and the seconds it took."""
    started = time.perf_counter()
    try:
        result = tool(page.html, page.url)
    except Exception:  # a broken page counts as an error for that tool, never stops the run
        result = None
    return result, time.perf_counter() - started
