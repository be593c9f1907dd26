"""Line-level boilerplate stripping driven by the [[rule]] entries of data/boilerplate.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawler import PROJECT_DIR
from crawler.analysis.text import fold_apostrophes

RULES_FILE = PROJECT_DIR / "data" / "boilerplate.toml"
_WORD = re.compile(r"\w", re.UNICODE)
_FIRST_WORD = re.compile(r"\w+")
# a `cut_tail` rule ends the text only when its line starts past this share of it
_TAIL_SHARE = 0.5


class RuleError(ValueError):
    """A boilerplate rule is malformed."""


@dataclass(frozen=True)
class LineRule:
    name: str
    phrases: tuple[str, ...] = ()
    pattern: re.Pattern | None = None
    requires: tuple[str, ...] = ()  # the pattern is tried only on lines holding one of these
    cut_rest: bool = False
    cut_tail: bool = False


def normalize_line(line: str) -> str:
    return " ".join(fold_apostrophes(line).lower().split())


def parse_rules(document: dict) -> tuple[LineRule, ...]:
    rules = []
    for index, entry in enumerate(document.get("rule", [])):
        name = entry.get("name") or f"#{index + 1}"
        phrases, pattern, requires = _strings(entry, "phrase", name), entry.get("pattern"), _strings(entry, "requires", name)
        if not phrases and not pattern:
            raise RuleError(f"boilerplate rule {name!r}: needs a phrase or a pattern")
        if requires and not pattern:
            raise RuleError(f"boilerplate rule {name!r}: requires is only for a pattern")
        try:
            compiled = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error as error:
            raise RuleError(f"boilerplate rule {name!r}: bad pattern: {error}") from None
        rules.append(LineRule(name, tuple(normalize_line(p) for p in phrases), compiled,
                              tuple(normalize_line(r) for r in requires), bool(entry.get("cut_rest")),
                              bool(entry.get("cut_tail"))))
    return tuple(rules)


def _strings(entry: dict, key: str, name: str) -> list[str]:
    values = entry.get(key, [])
    values = [values] if isinstance(values, str) else values
    if not isinstance(values, list) or not all(isinstance(value, str) and value.strip() for value in values):
        raise RuleError(f"boilerplate rule {name!r}: {key} must be a string or a list of strings")
    return values


@lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> tuple[LineRule, ...]:
    return parse_rules(tomllib.loads(path.read_text(encoding="utf-8")))


def matching_rule(line: str, rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...] = ()) -> LineRule | None:
    """The rule that makes ``line`` boilerplate, or None when the line is (also) real text."""
    return compiled_rules(rules, tuple(extra_phrases)).matching_rule(line)


class CompiledRules:
    """The line rules ready for matching many lines: phrases longest first and indexed by their first word."""

    def __init__(self, rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...]):
        self._pattern_rules = tuple(rule for rule in rules if rule.pattern)
        phrases = [(rule, phrase) for rule in rules for phrase in rule.phrases]
        phrases += [(LineRule("source"), normalize_line(phrase)) for phrase in extra_phrases if phrase.strip()]
        self._phrases = tuple(sorted(phrases, key=lambda item: -len(item[1])))
        self._first_words = _first_words_by_letter(phrase for _, phrase in self._phrases)

    def matching_rule(self, line: str) -> LineRule | None:
        normalized = normalize_line(line)
        if not normalized:
            return None
        for rule in self._pattern_rules:
            if rule.requires and not any(map(normalized.__contains__, rule.requires)):
                continue
            if rule.pattern.fullmatch(normalized):
                return rule
        if not self._may_be_phrases(normalized):
            return None
        remainder, found = normalized, None
        for rule, phrase in self._phrases:
            if phrase in remainder:
                remainder = remainder.replace(phrase, " ")
                found = found if found is not None and found.cut_rest else rule
        return found if found is not None and not _WORD.search(remainder) else None

    def _may_be_phrases(self, normalized: str) -> bool:
        """A line made only of phrases starts, at its first word character, with the first word of one of them.

        (Removing a phrase leaves a space, so the word at the line's start cannot be completed by
        text that comes after a removed phrase.)
        """
        first = _WORD.search(normalized)
        if first is None:
            return True
        start = first.start()
        return any(normalized.startswith(word, start) for word in self._first_words.get(normalized[start], ()))


def _first_words_by_letter(phrases) -> dict[str, tuple[str, ...]]:
    words: dict[str, set[str]] = {}
    for phrase in phrases:
        first = _FIRST_WORD.search(phrase)
        if first is not None:
            words.setdefault(first.group()[0], set()).add(first.group())
    return {letter: tuple(found) for letter, found in words.items()}


@lru_cache(maxsize=64)
def compiled_rules(rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...]) -> CompiledRules:
    return CompiledRules(rules, extra_phrases)


def strip_boilerplate(text: str, extra_phrases=(), rules: tuple[LineRule, ...] | None = None) -> str:
    """Drop the lines that are boilerplate; paragraphs stay separated by a blank line.

    ``extra_phrases`` are a source's own phrases (registry ``extraction.boilerplate``).
    """
    compiled = compiled_rules(load_rules() if rules is None else rules, tuple(extra_phrases))
    tail_start, offset = len(text) * _TAIL_SHARE, 0
    kept_paragraphs = []
    for paragraph in text.split("\n\n"):
        kept_lines = []
        for line in paragraph.split("\n"):
            rule = compiled.matching_rule(line)
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
