"""DOM-level boilerplate rules from data/boilerplate.toml: which elements are site furniture."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "boilerplate.toml"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TOKEN_SPLIT = re.compile(r"\s+")
# WordPress marks a post's element with its taxonomy ("hentry tag-social-media category-news"):
# those tokens name the article's topics, not furniture
_POST_CLASS = re.compile(r"^(hentry|post-\d+|type-post|type-page)$")
_TAXONOMY_TOKEN = re.compile(r"^(tag|category|format|status)-")


@dataclass(frozen=True)
class DomRules:
    drop_tags: frozenset[str]
    furniture_tags: frozenset[str]
    content: re.Pattern
    unguarded: re.Pattern | None
    strong: re.Pattern | None
    weak: re.Pattern | None

    def furniture_reason(self, element) -> str | None:
        """Why ``element`` looks like furniture, or None.

        'tag' and 'hidden' always remove it; 'unguarded', 'strong', 'weak' and
        'furniture-tag' leave the caller to spare elements that hold the article.
        """
        tag = element.tag
        if tag in self.drop_tags:
            return "tag"
        if tag in self.furniture_tags:
            return "furniture-tag"
        if element.get("hidden") is not None or element.get("aria-hidden") == "true":
            return "hidden"
        style = element.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return "hidden"
        class_value, id_value = element.get("class"), element.get("id")
        if not class_value and not id_value:
            return None
        return _token_reason(self, class_value, id_value)

    def token_reason(self, class_value: str | None, id_value: str | None) -> str | None:
        tokens = "\n".join(_tokens(class_value, id_value))
        if not tokens:
            return None
        if self.unguarded is not None and self.unguarded.search(tokens):
            return "unguarded"
        if self.strong is not None and self.strong.search(tokens):
            return "strong"
        if self.weak is not None and self.weak.search(tokens) and not self.content.search(tokens):
            return "weak"
        return None


def class_id_tokens(element) -> list[str]:
    return _tokens(element.get("class"), element.get("id"))


def _tokens(class_value: str | None, id_value: str | None) -> list[str]:
    value = f"{class_value or ''} {id_value or ''}".strip().lower()
    tokens = _TOKEN_SPLIT.split(value) if value else []
    if any(_POST_CLASS.match(token) for token in tokens):
        return [token for token in tokens if not _TAXONOMY_TOKEN.match(token)]
    return tokens


@lru_cache(maxsize=65536)
def _token_reason(rules: DomRules, class_value: str | None, id_value: str | None) -> str | None:
    """Pages repeat the same class attributes many times; each is matched once."""
    return rules.token_reason(class_value, id_value)


@lru_cache(maxsize=4)
def load_dom_rules(path: Path = RULES_FILE) -> DomRules:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = document.get("dom", {})
    rules = document.get("dom_rule", [])
    return DomRules(
        drop_tags=frozenset(settings.get("drop_tags", ())),
        furniture_tags=frozenset(settings.get("furniture_tags", ())),
        content=re.compile(settings.get("content_pattern", "$^"), re.MULTILINE),
        unguarded=_union([rule["pattern"] for rule in rules if rule.get("unguarded")]),
        strong=_union([rule["pattern"] for rule in rules if rule.get("strong") and not rule.get("unguarded")]),
        weak=_union([rule["pattern"] for rule in rules if not rule.get("strong")]),
    )


def _union(patterns: list[str]) -> re.Pattern | None:
    """One regex for many; tokens are searched joined by newlines, so ^ and $ mark token edges."""
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.MULTILINE) if patterns else None
