"""Line-level boilerplate stripping driven by the [[rule]] entries of data/boilerplate.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crawler.text import fold_apostrophes

try:  # re's internal parser and case tables, used only to speed up matching (see required_literals)
    from re import _casefix, _constants as _regex_constants, _parser as _regex_parser

    _EXTRA_CASES = _casefix._EXTRA_CASES
    _REPEATS = (_regex_constants.MAX_REPEAT, _regex_constants.MIN_REPEAT, _regex_constants.POSSESSIVE_REPEAT)
    _WILDCARDS = (_regex_constants.ANY, _regex_constants.IN, _regex_constants.NOT_LITERAL)
except ImportError:  # pragma: no cover - another Python: patterns are simply tried on every line
    _regex_parser, _EXTRA_CASES = None, {}

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "boilerplate.toml"
_WORD = re.compile(r"\w", re.UNICODE)
_FIRST_WORD = re.compile(r"\w+")
# patterns that may start with this many arbitrary characters are tried only on lines holding their literals
_WILDCARD_START = 20
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
    return " ".join(fold_apostrophes(line).lower().split())


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
    return compiled_rules(rules, tuple(extra_phrases)).matching_rule(line)


class CompiledRules:
    """The line rules ready for matching many lines: patterns behind the literals they need, phrases longest
    first and indexed by their first word."""

    def __init__(self, rules: tuple[LineRule, ...], extra_phrases: tuple[str, ...]):
        self._pattern_rules = tuple((rule, required_literals(rule.pattern)) for rule in rules if rule.pattern)
        phrases = [(rule, phrase) for rule in rules for phrase in rule.phrases]
        phrases += [(LineRule("source"), normalize_line(phrase)) for phrase in extra_phrases if phrase.strip()]
        self._phrases = tuple(sorted(phrases, key=lambda item: -len(item[1])))
        self._first_words = _first_words_by_letter(phrase for _, phrase in self._phrases)

    def matching_rule(self, line: str) -> LineRule | None:
        normalized = normalize_line(line)
        if not normalized:
            return None
        folded = _fold_case_variants(normalized)
        for rule, literals in self._pattern_rules:
            if literals and not any(map(folded.__contains__, literals)):
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


def required_literals(pattern: re.Pattern) -> tuple[str, ...]:
    """Lower-case strings one of which every match of the (case-insensitive) pattern contains; () when none is
    known or the pattern needs no such help.

    A line that holds none of them is not tried against the regex. That pays only for patterns that may
    start with many arbitrary characters ('[^.]{0,80} all rights reserved'): the others fail at once.
    Found from the pattern's parse tree (re's own parser); case variants are folded as in
    :func:`_fold_case_variants`.
    """
    try:
        parsed = _regex_parser.parse(pattern.pattern, pattern.flags).data
        literals = _sequence_literals(parsed) if _leading_wildcard_chars(parsed) >= _WILDCARD_START else None
    except Exception:  # the parser is re's internal API: without it every line is tried
        return ()
    # a literal that holds another one adds nothing: the shorter is found wherever the longer is
    return tuple(sorted(literal for literal in literals or () if not any(
        other != literal and other in literal for other in literals)))


def _leading_wildcard_chars(items) -> int:
    """How many arbitrary characters a match may start with ('.{0,200}x' -> 200, 'x.*' -> 0)."""
    if not items:
        return 0
    op, value = items[0]
    if op is _regex_constants.SUBPATTERN:
        return _leading_wildcard_chars(value[-1].data)
    if op is _regex_constants.BRANCH:
        return max(_leading_wildcard_chars(branch.data) for branch in value[1])
    if op in _REPEATS:
        body = value[2].data
        if len(body) == 1 and body[0][0] in _WILDCARDS:
            return value[1]
        return _leading_wildcard_chars(body)
    return 0


def _sequence_literals(items) -> frozenset[str] | None:
    """Every match of the sequence holds a match of each item, so the most selective item's literals serve."""
    best, run = None, []

    def consider(literals):
        nonlocal best
        if literals and all(literals) and (best is None or _selectivity(literals) > _selectivity(best)):
            best = literals

    for op, value in items:
        char = chr(value).lower() if op is _regex_constants.LITERAL else ""
        if len(char) == 1:
            run.append(char)
            continue
        consider(frozenset({_fold_case_variants("".join(run))}) if run else None)
        run = []
        if op is _regex_constants.SUBPATTERN:
            consider(_sequence_literals(value[-1].data))
        elif op is _regex_constants.ATOMIC_GROUP:
            consider(_sequence_literals(value.data))
        elif op in _REPEATS and value[0] >= 1:
            consider(_sequence_literals(value[2].data))
        elif op is _regex_constants.BRANCH:
            branches = [_sequence_literals(branch.data) for branch in value[1]]
            if all(branches):
                consider(frozenset().union(*branches))
    consider(frozenset({_fold_case_variants("".join(run))}) if run else None)
    return best


def _selectivity(literals: frozenset[str]) -> tuple[int, int]:
    return min(map(len, literals)), -len(literals)


def _case_variant_table() -> dict[int, str]:
    """Characters that re's case-insensitive matching treats as one letter ('ſ' and 's', 'ᲀ' and 'в'),
    mapped to one of them."""
    classes: dict[int, set[int]] = {}
    for char, variants in _EXTRA_CASES.items():
        members = {char, *variants}
        for member in list(members):
            members |= classes.get(member, set())
        for member in members:
            classes[member] = members
    return {char: chr(min(members)) for char, members in classes.items() if char != min(members)}


_CASE_VARIANTS = _case_variant_table()
_CASE_VARIANT_CHARS = re.compile("[" + re.escape("".join(map(chr, _CASE_VARIANTS))) + "]" if _CASE_VARIANTS else "$^")


def _fold_case_variants(text: str) -> str:
    return text.translate(_CASE_VARIANTS) if _CASE_VARIANT_CHARS.search(text) else text


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
