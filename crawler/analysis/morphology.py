"""One pymorphy3 analyzer per process, a bounded cache of its parses shared by its users, and a
cheaper exact ``inflect`` to the plural nominative for place names.

Place tagging (crawler/analysis/places.py) and the search index (crawler/archive/search.py) read the same words of
the same articles; a word parsed for one is not parsed again for the other while it stays among the
:data:`PARSE_CACHE_SIZE` most recently used words.
"""

from __future__ import annotations

import functools

PARSE_CACHE_SIZE = 20_000  # words; the parses of one word take about a kilobyte


@functools.cache
def analyzer():
    """The process-wide Ukrainian analyzer (its dictionary loads on first use, ~0.2 s)."""
    import pymorphy3
    import pymorphy3_dicts_uk

    # The dictionary by its path: finding it among the installed packages' entry points takes 0.1 s more.
    return pymorphy3.MorphAnalyzer(path=pymorphy3_dicts_uk.get_path(), lang="uk")


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def parses(morph, word: str) -> tuple:
    """``morph.parse(word)``, remembered; callers must not change the parses."""
    return tuple(morph.parse(word))


PLURAL_NOMINATIVE = frozenset({"plur", "nomn"})
LEXEME_CACHE_SIZE = 50_000  # dictionary lexemes whose plural nominatives are remembered
_dictionary_plurals: dict[tuple, list] = {}


def plural_nominative(morph, parse) -> str | None:
    """The word of ``parse.inflect({"plur", "nomn"})``: None when the lexeme has no such form.

    The same choice as pymorphy3's inflect (the lexeme's form closest to the parse's own grammemes, the
    first of equals), but a dictionary lexeme ("громада", "громади", "громадою", ...) is built once, not
    once per form read and twice when it has no plural (inflect retries with rare cases replaced, which
    changes nothing for these two grammemes).
    """
    plurals = _plural_forms(morph, parse)
    if not plurals:
        return None
    wanted = parse.tag.updated_grammemes(PLURAL_NOMINATIVE)
    return max(plurals, key=lambda form: _closeness(wanted, form.tag.grammemes)).word


def _plural_forms(morph, parse) -> list:
    key = _dictionary_lexeme(morph, parse)
    if key is None:
        return _build_plural_forms(morph, parse)
    plurals = _dictionary_plurals.get(key)
    if plurals is None:
        if len(_dictionary_plurals) >= LEXEME_CACHE_SIZE:
            _dictionary_plurals.clear()
        plurals = _dictionary_plurals[key] = _build_plural_forms(morph, parse)
    return plurals


def _build_plural_forms(morph, parse) -> list:
    return [form for form in morph.get_lexeme(parse) if PLURAL_NOMINATIVE <= form.tag.grammemes]


def _dictionary_lexeme(morph, parse) -> tuple | None:
    """What names a dictionary word's lexeme: its paradigm and normal form (which fix the stem); None for a
    word pymorphy3 guessed, whose lexeme is built from the word itself."""
    from pymorphy3.units import DictionaryAnalyzer

    stack = parse.methods_stack
    if len(stack) != 1 or not isinstance(stack[0][0], DictionaryAnalyzer):
        return None
    return morph, stack[0][2], parse.normal_form


def _closeness(wanted: frozenset[str], grammemes: frozenset[str]) -> float:
    return len(wanted & grammemes) - 0.1 * len(wanted ^ grammemes)
