"""What the archive keeps beside an article's text and computes from the text alone.

One function, so a worker process (crawler/workers.py) computes both in one task.
"""

from __future__ import annotations

from crawler.places import get_tagger
from crawler.stories import signature


def analyse(title: str, text: str, source_katottg: str | None) -> tuple[list, object]:
    """The places the article is about (crawler/places.py) and its MinHash signature (crawler/stories.py)."""
    return get_tagger().tag(title, text, source_katottg), signature(text)
