"""Line-level boilerplate stripping driven by the [[rule]] entries of data/boilerplate.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawler.text import fold_apostrophes

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "boilerplate.toml"
_WORD = re.compile(r"\w", re.UNICODE)
_SPACES = re.compile(r"\s+")
# a `cut_tail` rule ends the text only when its line starts past this share of it
_TAIL_SHARE = 0.5


class RuleError(ValueError):
    """A boilerplate rule is malformed."""


@dataclass(frozen=True)
class LineRule:
    name: str
    phrases: tuple[str, ...] = ()
    pattern: re.Pattern | None = None
    cut_rest: bool = False
    cut_tail: bool = False


def normalize_line(line: str) -> str:
    return _SPACES.sub(" ", fold_apostrophes(line).lower()).strip()


def parse_rules(document: dict) -> tuple[LineRule, ...]:
    rules = []
    for index, entry in enumerate(document.get("rule", [])):
        name = entry.get("name") or f"#{index + 1}"
        phrases = entry.get("phrase", [])
        phrases = [phrases] if isinstance(phrases, str) else phrases
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise RuleError(f"boilerplate rule {name!r}: phrase must be a string or a list of strings")
        pattern = entry.get("pattern")
        if not phrases and not pattern:
            raise RuleError(f"boilerplate rule {name!r}: needs a phrase or a pattern")
        try:
            compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error as error:
            raise RuleError(f"boilerplate rule {name!r}: bad pattern: {error}") from None
        rules.append(LineRule(name, tuple(normalize_line(p) for p in phrases), compiled, bool(entry.get("cut_rest")),
                              bool(entry.get("cut_tail"))))
    return tuple(rules)


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> tuple[LineRule, ...]:
    return parse_rules(tomllib.loads(path.read_text(encoding="utf-8")))


def matching_rule(line: str, rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...] = ()) -> LineRule | None:
    """The rule that makes ``line`` boilerplate, or None when the line is (also) real text."""
    normalized = normalize_line(line)
    if not normalized:
        return None
    for rule in rules:
        if rule.pattern is not None and rule.pattern.fullmatch(normalized):
            return rule
    remainder, found = normalized, None
    for rule, phrase in _phrases_longest_first(rules, extra_phrases):
        if phrase in remainder:
            remainder = remainder.replace(phrase, " ")
            found = found if found is not None and found.cut_rest else rule
    return found if found is not None and not _WORD.search(remainder) else None


@lru_cache(maxsize=64)
def _phrases_longest_first(rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...]) -> tuple:
    phrases = [(rule, phrase) for rule in rules for phrase in rule.phrases]
    phrases += [(LineRule("source"), normalize_line(phrase)) for phrase in extra_phrases if phrase.strip()]
    return tuple(sorted(phrases, key=lambda item: -len(item[1])))


def strip_boilerplate(text: str, extra_phrases=(), rules: tuple[LineRule, ...] | None = None) -> str:
    """Drop the lines that are boilerplate; paragraphs stay separated by a blank line.

    ``extra_phrases`` are a source's own phrases (registry ``extraction.boilerplate``).
    """
    rules = load_rules() if rules is None else rules
    extra = tuple(extra_phrases)
    tail_start, offset = len(text) * _TAIL_SHARE, 0
    kept_paragraphs = []
    for paragraph in text.split("\n\n"):
        kept_lines = []
        for line in paragraph.split("\n"):
            rule = matching_rule(line, rules, extra)
            if rule is None:
                kept_lines.append(line)
            elif rule.cut_rest or (rule.cut_tail and offset >= tail_start):
                return _join(kept_paragraphs, kept_lines)
            offset += len(line) + 1
        offset += 1
        if kept_lines:
            kept_paragraphs.append("\n".join(kept_lines))
    return _join(kept_paragraphs, [])


def _join(paragraphs: list[str], last_lines: list[str]) -> str:
    if last_lines:
        paragraphs = [*paragraphs, "\n".join(last_lines)]
    return "\n\n".join(paragraph.strip() for paragraph in paragraphs if paragraph.strip())
