"""DOM-level boilerplate rules from data/boilerplate.toml: which elements are site furniture."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from crawler import PROJECT_DIR

RULES_FILE = PROJECT_DIR / "data" / "boilerplate.toml"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"\s+")
# WordPress marks a post's element with its taxonomy ("hentry tag-social-media category-news"):
# those tokens name the article's topics, not furniture
_POST_CLASS = re.compile(r"^(hentry|post|post-\d+|type-post|type-page)$")
_TAXONOMY_TOKEN = re.compile(r"^(tag|category|format|status)-")
# Drupal marks a node's publishing state on it ("node node--type-article node--promoted node--sticky"): promoted to
# the front page is not a promo block
_DRUPAL_STATE_TOKEN = re.compile(r"^node--(promoted|sticky|unpublished)$")
# a paywall script marks each paragraph of the story past the free part (p.paywall): the page holds that text
_PAYWALLED_TEXT_TAGS = frozenset(("p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote"))
_PAYWALL_TOKEN = re.compile(r"(?<!\S)paywall(?!\S)", re.I)
_CACHED_TOKEN_PAIRS = 65536
# a table of contents gives each heading an id made of its words ("step-5-create-an-operating-agreement" on the h3
# "Step 5: Create an Operating Agreement", "h-what-s-next" with a theme's prefix, "1-the-fatfs-stand" for "The
# FATF's Stand"): such an id says what the heading says, not which part of the page it is. Its words are those of
# two letters or more that are not numbers; most of them, since an editor may reword the heading afterwards.
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_ANCHOR_ID_WORDS = 3
_ANCHOR_SHARE = 0.75
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['’ʼ]")
_CACHED_TOKENS = 65536


@dataclass(frozen=True)
class DomRules:
    drop_tags: frozenset[str]
    furniture_tags: frozenset[str]
    figure_content_tags: tuple[str, ...]
    hidden_content_id: re.Pattern
    content: re.Pattern
    unguarded: re.Pattern | None
    strong: re.Pattern | None
    weak: re.Pattern | None
    # pages repeat the same class attributes many times; each (class, id) pair is matched once
    _reasons_by_tokens: dict = field(default_factory=dict, compare=False, repr=False)
    _flags_by_token: dict = field(default_factory=dict, compare=False, repr=False)

    def furniture_reason(self, element) -> str | None:
        """Why ``element`` looks like furniture, or None.

        'tag' and 'hidden' always remove it; 'unguarded', 'strong', 'weak' and
        'furniture-tag' leave the caller to spare elements that hold the article.
        """
        tag = element.tag
        if tag in self.drop_tags:
            return "tag"
        if tag in self.furniture_tags:
            return None if tag == "figure" and self._holds_figure_content(element) else "furniture-tag"
        if self.is_hidden(element):
            return "hidden"
        class_value, id_value = element.get("class"), own_id(element)
        if tag in _PAYWALLED_TEXT_TAGS and class_value and "paywall" in class_value.lower():
            class_value = _PAYWALL_TOKEN.sub(" ", class_value)
        if not class_value and not id_value:
            return None
        key = (class_value, id_value)
        if key not in self._reasons_by_tokens:
            if len(self._reasons_by_tokens) >= _CACHED_TOKEN_PAIRS:
                self._reasons_by_tokens.clear()
            self._reasons_by_tokens[key] = self.token_reason(class_value, id_value)
        return self._reasons_by_tokens[key]

    def is_hidden(self, element) -> bool:
        """The page does not show it (a script's streamed content that it moves into place aside)."""
        if element.get("hidden") is not None and not self.hidden_content_id.search(element.get("id") or ""):
            return True
        if element.get("aria-hidden") == "true":
            return True
        style = element.get("style")
        return bool(style) and _HIDDEN_STYLE.search(style) is not None

    def _holds_figure_content(self, figure) -> bool:
        return next(figure.iter(*self.figure_content_tags), None) is not None

    def token_reason(self, class_value: str | None, id_value: str | None) -> str | None:
        flags = [self._token_flags(token) for token in _tokens(class_value, id_value)]
        if any(unguarded for unguarded, _, _, _ in flags):
            return "unguarded"
        if any(strong for _, strong, _, _ in flags):
            return "strong"
        if any(weak for _, _, weak, _ in flags) and not any(content for _, _, _, content in flags):
            return "weak"
        return None

    def _token_flags(self, token: str) -> tuple[bool, bool, bool, bool]:
        """Whether one token matches the unguarded, strong, weak and content patterns (cached: tokens repeat)."""
        flags = self._flags_by_token.get(token)
        if flags is None:
            if len(self._flags_by_token) >= _CACHED_TOKENS:
                self._flags_by_token.clear()
            flags = tuple(pattern is not None and pattern.search(token) is not None
                          for pattern in (self.unguarded, self.strong, self.weak, self.content))
            self._flags_by_token[token] = flags
        return flags


def class_id_tokens(element) -> list[str]:
    return _tokens(element.get("class"), own_id(element))


def own_id(element) -> str | None:
    """The element's id, unless it is a heading's anchor made of the heading's own words."""
    value = element.get("id")
    if not value or element.tag not in _HEADING_TAGS:
        return value
    id_words = [word for word in _WORD.findall(value.lower()) if len(word) > 1 and not word.isdigit()]
    if len(id_words) < _ANCHOR_ID_WORDS:
        return value
    heading_words = set(_WORD.findall(_APOSTROPHES.sub("", element.text_content().lower())))
    shared = sum(word in heading_words for word in id_words)
    return None if shared >= len(id_words) * _ANCHOR_SHARE else value


def _tokens(class_value: str | None, id_value: str | None) -> list[str]:
    value = f"{class_value or ''} {id_value or ''}".strip().lower()
    tokens = [token for token in _TOKEN_SPLIT.split(value) if not _DRUPAL_STATE_TOKEN.match(token)] if value else []
    if any(_POST_CLASS.match(token) for token in tokens):
        return [token for token in tokens if not _TAXONOMY_TOKEN.match(token)]
    return tokens


@lru_cache(maxsize=4)
def load_dom_rules(path: Path = RULES_FILE) -> DomRules:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = document.get("dom", {})
    rules = document.get("dom_rule", [])
    return DomRules(
        drop_tags=frozenset(settings.get("drop_tags", ())),
        furniture_tags=frozenset(settings.get("furniture_tags", ())),
        figure_content_tags=tuple(settings.get("figure_content_tags", ())),
        hidden_content_id=re.compile(settings.get("hidden_content_id", "(?!)")),
        content=re.compile(settings.get("content_pattern", "$^")),
        unguarded=_union([rule["pattern"] for rule in rules if rule.get("unguarded")]),
        strong=_union([rule["pattern"] for rule in rules if rule.get("strong") and not rule.get("unguarded")]),
        weak=_union([rule["pattern"] for rule in rules if not rule.get("strong")]),
    )


def _union(patterns: list[str]) -> re.Pattern | None:
    """One regex for many, searched in one token at a time: ^ and $ mark the token's edges."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns)) if patterns else None
