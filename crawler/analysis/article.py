"""What the archive keeps beside an article's text and computes from the title and text alone.

One function, so a worker process (crawler/crawl/workers.py) computes it all in one task.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.analysis.extract import extract_raw
from crawler.analysis.extract.boilerplate import strip_boilerplate
from crawler.analysis.places import Place, get_tagger
from crawler.archive.search import get_lemmatizer
from crawler.analysis.minhash import signature


@dataclass(frozen=True)
class Analysis:
    places: list[Place]          # the places the article is about (crawler/analysis/places.py)
    signature: object            # its MinHash values (crawler/analysis/minhash.py), None for a text too short to compare
    index_texts: tuple[str, str]  # its title and text lemmatized for the search index (crawler/archive/search.py)


def analyse(title: str, text: str, source_katottg: str | None) -> Analysis:
    lemmatizer = get_lemmatizer()
    return Analysis(places=get_tagger().tag(title, text, source_katottg), signature=signature(text),
                    index_texts=(lemmatizer.index_text(title), lemmatizer.index_text(text)))


def warm_up() -> None:
    """Load what extraction and analysis read on first use: rules, the gazetteer, the dictionaries."""
    raw = extract_raw("<html><body><article><h1>Громада</h1><p>Рада ухвалила бюджет.</p></article></body></html>")
    analyse(raw.title, strip_boilerplate(raw.text), None)
