"""Text normalization shared by extraction, search and place tagging."""

import re

APOSTROPHE = "'"  # the form the pymorphy3 Ukrainian dictionary uses
#: Look-alikes Ukrainian sites type for the apostrophe (об’єднання, обʼєднання, об`єднання...).
APOSTROPHE_VARIANTS = "’ʼ`´‘′ʹ＇"


def fold_apostrophes(text: str) -> str:
    """Replace every apostrophe look-alike with ``'`` (same length, so offsets hold)."""
    # str.replace per variant is far faster than str.translate with a mapping on Cyrillic text
    for variant in APOSTROPHE_VARIANTS:
        if variant in text:
            text = text.replace(variant, APOSTROPHE)
    return text


#: NUL and the other C0 controls but tab and line breaks, and UTF-16 surrogates (never valid alone in text:
#: SQLite and UTF-8 refuse them), as pages smuggle them in raw or as ``&#0;`` / ``&#xD800;`` / JSON ``\\ud800``.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable(text: str | None) -> str | None:
    """``text`` without the characters no archive row may hold (``_UNSTORABLE``)."""
    if not text:
        return text
    return _UNSTORABLE.sub("", text)


#: The longest title stored; a headline runs to about 150 characters, a longer "title" is a page's text.
MAX_TITLE_CHARS = 300


def cut_title(title: str | None, limit: int = MAX_TITLE_CHARS) -> tuple[str | None, bool]:
    """``(title, cut)``: a title longer than ``limit`` characters cut at the last word boundary in its
    second half (mid-word when it has none there), ending in "…" within the limit."""
    if title is None or len(title) <= limit:
        return title, False
    head = title[:limit - 1]
    boundary = head.rstrip().rfind(" ")
    if boundary > limit // 2:
        head = head[:boundary]
    return head.rstrip(" ,;:-–—") + "…", True
