"""Publication dates: parse Ukrainian, Russian and English date strings and pick the trustworthy one.

:func:`parse_date` turns one raw string into a timezone-aware datetime. Common
shapes (ISO 8601, day-first numeric, month names, relative words) are parsed by
the fast rules below; dateparser is the fallback for whatever they miss.
Strings without an offset are Kyiv wall-clock time, with the Europe/Kyiv
offset in force on that day (+02:00 winter, +03:00 summer). A string with an
explicit offset keeps it: same instant, and the calendar day the publisher
wrote. Relative and year-less dates resolve against ``now``, the fetch time.
Implausible dates (before 1995, or after ``now`` + 1 day) are rejected.

:func:`resolve_dates` lets the sources vote on the publication day; ties go
to the most reliable source.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from crawler import PROJECT_DIR

KYIV = ZoneInfo("Europe/Kyiv")
DATE_SOURCES = ("jsonld", "meta", "time", "visible", "url", "text")
RULES_FILE = PROJECT_DIR / "data" / "date_rules.toml"
EARLIEST_YEAR = 1995
FUTURE_TOLERANCE = timedelta(days=1)
MAX_RAW_LENGTH = 300  # longer strings are text, not a date: parsed by the fast rules only


@dataclass(frozen=True)
class DateRules:
    months: dict[str, int]
    relative_days: dict[str, int]
    just_now: tuple[str, ...]
    ago_words: tuple[str, ...]
    ago_units: dict[str, int]
    ago_quantities: dict[str, int]
    votes: dict[str, int]


@lru_cache(maxsize=1)
def date_rules() -> DateRules:
    document = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    months = {form: int(number) for number, forms in document["months"].items() for form in forms}
    return DateRules(
        months=months,
        relative_days=dict(document["relative_days"]),
        just_now=tuple(document["just_now"]["words"]),
        ago_words=tuple(document["ago"]["words"]),
        ago_units=dict(document["ago"]["units"]),
        ago_quantities=dict(document["ago"]["quantities"]),
        votes=dict(document["votes"]),
    )


def _alternation(words) -> str:
    """Longest first; the leading lookahead (implied by the words) lets the regex engine skip most positions fast."""
    first_letters = "".join(sorted({re.escape(word[0]) for word in words}))
    return f"(?=[{first_letters}])(?:" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class _Patterns:
    iso: re.Pattern
    numeric: re.Pattern
    day_month_name: re.Pattern
    month_name_day: re.Pattern
    year_month_name: re.Pattern
    yearless_numeric: re.Pattern
    clock: re.Pattern
    relative_day: re.Pattern
    ago: re.Pattern
    just_now: re.Pattern
    unix: re.Pattern
    # what a shape cannot match without, found by a much cheaper search: texts without it skip the shape
    digitless_word: re.Pattern  # a word of the dates without digits: what just_now and ago need
    ago_word: re.Pattern  # the word every "N … тому" has
    # what a number starts ("2025", "30.", "5 березня"), tried where one starts: see _number_cues
    number_cues: dict[str, re.Pattern]
    month_at_end: re.Pattern  # a whole month word that ends the text: what month_name_day needs before a number
    longest_month: int


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    rules = date_rules()
    month = rf"(?P<month_name>{_alternation(rules.months)})\.?"
    letter = r"[^\W\d_]"
    return _Patterns(
        iso=re.compile(
            r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<sep>[-/.]?)(?P<month>[01]\d)(?P=sep)(?P<day>[0-3]\d)(?!\d)"
            r"(?:[T\s]+(?P<hour>[0-2]?\d):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:[.,]\d+)?)?"
            r"\s*(?P<offset>Z|UTC|GMT|[+-][01]\d(?::?[0-5]\d)?)?)?",
            re.I,
        ),
        numeric=re.compile(
            r"(?<![\d.])(?P<day>[0-3]?\d)\s?(?P<sep>[./-])\s?(?P<month>[0-3]?\d)\s?(?P=sep)\s?(?P<year>(?:19|20)?\d\d)(?![\d])"
        ),
        day_month_name=re.compile(
            rf"(?<!\d)(?P<day>[0-3]?\d)(?:st|nd|rd|th|-?го|-?е)?\.?\s*(?:(?:of|de)\s+)?{month}(?!{letter})"
            rf"(?:,?\s*(?:de\s+)?(?P<year>(?:19|20)\d\d)(?!\d))?",  # "3 de marzo de 2020"
            re.I,
        ),
        month_name_day=re.compile(
            rf"(?<!{letter}){month}\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)(?:,?\s*(?P<year>(?:19|20)\d\d)(?!\d))?",
            re.I,
        ),
        year_month_name=re.compile(rf"(?<!\d)(?P<year>(?:19|20)\d\d)\s*{month}\s*(?P<day>[0-3]?\d)(?!\d)", re.I),
        yearless_numeric=re.compile(r"(?<![\d.:])(?P<day>[0-3]?\d)\.(?P<month>[01]\d)(?![\d:]|\.\d)"),
        clock=re.compile(
            r"(?<![\d.:])(?P<hour>[0-2]?\d):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?(?!\d)\s*(?P<ampm>[ap]\.?m\.?)?",
            re.I,
        ),
        relative_day=re.compile(rf"(?<!{letter})(?P<word>{_alternation(rules.relative_days)})(?!{letter})", re.I),
        ago=re.compile(
            rf"(?:(?P<count>\d+)\s*|(?<!{letter})(?:(?P<quantity>{_alternation(rules.ago_quantities)})\s+)?)(?P<unit>{_alternation(rules.ago_units)})\.?\s+(?:{_alternation(rules.ago_words)})(?!{letter})",
            re.I,
        ),
        just_now=re.compile(rf"(?<!{letter})(?:{_alternation(rules.just_now)})(?!{letter})", re.I),
        unix=re.compile(r"^\s*(?P<seconds>1\d{9})\s*$"),
        digitless_word=re.compile(_alternation((*rules.just_now, *rules.ago_words)), re.I),
        ago_word=re.compile(_alternation(rules.ago_words), re.I),
        number_cues={
            "year": re.compile(r"(?:19|20)\d\d"),  # iso
            "separator": re.compile(r"\d+\s?[./-]"),  # numeric
            "day_dot_month": re.compile(r"\d+\.[01]\d"),  # yearless_numeric
            "clock": re.compile(r"\d+:[0-5]\d"),  # a time of day, which a relative day needs
            "month_after": re.compile(  # day_month_name, year_month_name
                rf"\d+(?:st|nd|rd|th|-?го|-?е)?\.?\s*(?:(?:of|de)\s+)?{_alternation(rules.months)}(?!{letter})", re.I
            ),
        },
        month_at_end=re.compile(rf"(?<!{letter}){_alternation(rules.months)}\Z", re.I),
        longest_month=max(map(len, rules.months)),
    )


def parse_date(raw: str, now: datetime | None = None, language: str | None = None) -> datetime | None:
    """Parse one date string into an aware datetime, or None.

    ``now`` is the fetch time; relative and year-less dates resolve against
    it and nothing later than it plus a day is accepted. Without it the
    current time is used. ``language`` is the page's detected language
    ("pl", "pt-BR"): dateparser reads month names and relative words in it
    first, besides Ukrainian, Russian and English; it never guesses one.
    """
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.replace("\u00a0", " ").split())
    if not text or not any(char.isalnum() for char in text):
        return None
    now = _kyiv_now(now)
    try:
        parsed = _parse_fast(text, now)
        if parsed is None and len(text) <= MAX_RAW_LENGTH:
            parsed = _parse_with_dateparser(text, now.replace(second=0, microsecond=0), _dateparser_languages(language))
    except (ValueError, OverflowError):
        return None
    return parsed if parsed is not None and _plausible(parsed, now) else None


def find_date_strings(text: str, *, yearless_numeric: bool = False) -> list[str]:
    """The date-like substrings of free text, in order, each with an adjacent time of day.

    A bare "30.07" is too often something else to count in running text;
    ``yearless_numeric`` admits it where a date is expected.
    """
    if len(text) > _CACHED_TEXT_LENGTH:
        return list(_date_strings(text, yearless_numeric))
    return list(_cached_date_strings(text, yearless_numeric))


def _date_strings(text: str, yearless_numeric: bool) -> tuple[str, ...]:
    patterns = _patterns()
    cues = _number_cues(text)
    shapes = _shapes_to_try(text, cues, yearless_numeric)
    # the order of shapes does not matter: their matches are sorted below
    spans = [match.span() for pattern in shapes for match in pattern.finditer(text)]
    # a bare "сьогодні"/"today" is a word, not a date; with a time of day it is one
    if "clock" in cues:
        spans.extend(
            (match.start(), clock.end())
            for match in patterns.relative_day.finditer(text)
            if (clock := _TRAILING_CLOCK.match(text, match.end()))
        )
    found = []
    last_end = -1
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < last_end:
            continue
        clock = _TRAILING_CLOCK.match(text, end)
        if clock:
            end = clock.end()
        found.append(text[start:end].strip())
        last_end = end
    return tuple(found)


def _shapes_to_try(text: str, cues: set[str], yearless_numeric: bool) -> list[re.Pattern]:
    """The date shapes that may match ``text``: most paragraphs lack what a shape needs, and a search for
    that is far cheaper than trying the shape at every position."""
    patterns = _patterns()
    shapes = []
    if patterns.digitless_word.search(text):
        shapes.append(patterns.just_now)
        if patterns.ago_word.search(text):
            shapes.append(patterns.ago)
    if "year" in cues:
        shapes.append(patterns.iso)
    if "separator" in cues:
        shapes.append(patterns.numeric)
    if "month_after" in cues:
        shapes += [patterns.year_month_name, patterns.day_month_name]
    if "month_before" in cues:
        shapes.append(patterns.month_name_day)
    if yearless_numeric and "day_dot_month" in cues:
        shapes.append(patterns.yearless_numeric)
    return shapes


def _number_cues(text: str) -> set[str]:
    """The number cues (see _patterns) that match where a number of the text starts, and "month_before" when
    a month word stands right before one. Every numeric shape starts its number where a run of digits starts;
    numbers are few, and matching at each is far cheaper than searching the whole text once per shape."""
    cues = set()
    for count, number in enumerate(_DIGITS.finditer(text)):
        if count == _MOST_NUMBERS_CUED:  # a table or a long text: every shape is worth trying
            return {*_patterns().number_cues, "month_before"}
        start = number.start()
        cues.update(
            cue for cue, pattern in _patterns().number_cues.items() if cue not in cues and pattern.match(text, start)
        )
        if "month_before" not in cues and _month_ends_before(text, start):
            cues.add("month_before")
    return cues


def _month_ends_before(text: str, number_start: int) -> bool:
    """A month word, an optional dot and spaces before the number ("March 5", "лют. 12")."""
    end = number_start
    while end and text[end - 1].isspace():
        end -= 1
    if end and text[end - 1] == ".":
        end -= 1
    patterns = _patterns()
    return patterns.month_at_end.search(text, max(0, end - patterns.longest_month), end) is not None


# datelines, labels and short paragraphs repeat across a site's pages; whole page texts are not kept
_CACHED_TEXT_LENGTH = 500
_cached_date_strings = lru_cache(maxsize=16384)(_date_strings)
_DIGITS = re.compile(r"\d+")
_MOST_NUMBERS_CUED = 16
_TRAILING_CLOCK = re.compile(
    r"(?:[\s,.|–—-]|р\.|року|г\.|года|о(?=\s)|в(?=\s)|at(?=\s)){0,8}?"
    r"[0-2]?\d:[0-5]\d(?::[0-5]\d)?(?!\d)(?:\s*[ap]\.?m\.?)?",
    re.I,
)


def _kyiv_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(KYIV)
    if now.tzinfo is None:
        return now.replace(tzinfo=KYIV)
    return now.astimezone(KYIV)


def _plausible(moment: datetime, now: datetime) -> bool:
    return moment.year >= EARLIEST_YEAR and moment <= now + FUTURE_TOLERANCE


def _parse_fast(text: str, now: datetime) -> datetime | None:
    """The first parser that reads the text; a date that states its year before one that does not
    ("Reparaturcafé am 31. Januar 27.01.2020" is 27 January 2020)."""
    parsers = (_parse_unix, _parse_iso, _parse_month_name_with_year, _parse_numeric, _parse_month_name,
               _parse_relative, _parse_yearless_numeric)
    for parser in parsers:
        parsed = parser(text, now)
        if parsed is not None:
            return parsed
    return None


def _parse_unix(text: str, now: datetime) -> datetime | None:
    match = _patterns().unix.match(text)
    if not match:
        return None
    return datetime.fromtimestamp(int(match["seconds"]), tz=timezone.utc).astimezone(KYIV)


def _parse_iso(text: str, now: datetime) -> datetime | None:
    match = _patterns().iso.search(text)
    if not match:
        return None
    day = _valid_day(int(match["year"]), int(match["month"]), int(match["day"]))
    if day is None:
        return None
    if match["hour"] is None:
        return _at(day, _clock_in(text, match.end()))
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    if hour > 23:
        return _at(day, None)
    offset = _offset(match["offset"])
    if offset is None:
        return _at(day, time(hour, minute, second))
    return datetime.combine(day, time(hour, minute, second), tzinfo=offset)


def _offset(token: str | None) -> timezone | None:
    if not token:
        return None
    if token.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    digits = token[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if token[0] == "-" else delta)


def _parse_month_name_with_year(text: str, now: datetime) -> datetime | None:
    return _parse_month_name(text, now, year_needed=True)


def _parse_month_name(text: str, now: datetime, year_needed: bool = False) -> datetime | None:
    patterns = _patterns()
    matches = [
        match
        for pattern in (patterns.year_month_name, patterns.day_month_name, patterns.month_name_day)
        if (match := pattern.search(text)) and not (year_needed and match["year"] is None)
    ]
    for match in sorted(matches, key=lambda found: (found["year"] is None, found.start())):
        month = date_rules().months[match["month_name"].lower()]
        day_number = int(match["day"])
        if match["year"] is not None:
            day = _valid_day(int(match["year"]), month, day_number)
        else:
            day = _yearless_day(month, day_number, now)
        if day is not None:
            return _at(day, _clock_in(text, 0, exclude=match.span()), now if match["year"] is None else None)
    return None


def _parse_numeric(text: str, now: datetime) -> datetime | None:
    for match in _patterns().numeric.finditer(text):
        year = int(match["year"])
        if year < 100:
            year += 2000 if year <= now.year % 100 + 1 else 1900
        first, second = int(match["day"]), int(match["month"])
        day = _valid_day(year, second, first)
        if day is None and match["sep"] == "/":
            day = _valid_day(year, first, second)  # US month-first, only when day-first is impossible
        if day is not None:
            return _at(day, _clock_in(text, 0, exclude=match.span()))
    return None


def _parse_yearless_numeric(text: str, now: datetime) -> datetime | None:
    match = _patterns().yearless_numeric.search(text)
    if not match:
        return None
    day = _yearless_day(int(match["month"]), int(match["day"]), now)
    if day is None:
        return None
    return _at(day, _clock_in(text, 0, exclude=match.span()), now)


def _parse_relative(text: str, now: datetime) -> datetime | None:
    patterns = _patterns()
    if patterns.just_now.search(text):
        return now
    match = patterns.ago.search(text)
    if match:
        rules = date_rules()
        count = int(match["count"]) if match["count"] else rules.ago_quantities.get((match["quantity"] or "").lower(), 1)
        return now - timedelta(seconds=count * rules.ago_units[match["unit"].lower()])
    match = patterns.relative_day.search(text)
    if not match:
        return None
    day = now.date() - timedelta(days=date_rules().relative_days[match["word"].lower()])
    rest = text[: match.start()] + " " + text[match.end():]
    dated = _parse_month_name(rest, now) or _parse_yearless_numeric(rest, now)
    if dated is not None:  # "Сьогодні, 30 липня": the explicit date wins
        return dated
    return _at(day, _clock_in(text, 0))


def _yearless_day(month: int, day_number: int, now: datetime) -> date | None:
    """A day without a year: this year's, or last year's if that would be in the future."""
    day = _valid_day(now.year, month, day_number)
    if day is None or day > now.date():
        day = _valid_day(now.year - 1, month, day_number)
    return day


def _valid_day(year: int, month: int, day_number: int) -> date | None:
    try:
        return date(year, month, day_number)
    except ValueError:
        return None


def _clock_in(text: str, start: int, exclude: tuple[int, int] | None = None) -> time | None:
    """The first hh:mm in text (after ``start``, outside ``exclude``), if any."""
    for match in _patterns().clock.finditer(text, start):
        if exclude and exclude[0] <= match.start() < exclude[1]:
            continue
        hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
        ampm = (match["ampm"] or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour <= 23:
            return time(hour, minute, second)
    return None


def _at(day: date, clock: time | None, now: datetime | None = None) -> datetime:
    """Kyiv wall-clock time on ``day``; a year-less date's clock must not pass ``now``."""
    moment = datetime.combine(day, clock or time(0, 0), tzinfo=KYIV)
    if now is not None and moment > now and day == now.date() and clock is not None:
        moment = datetime.combine(day, time(0, 0), tzinfo=KYIV)
    return moment


_DATEPARSER_DEFAULT_LANGUAGES = ("uk", "ru", "en")


@lru_cache(maxsize=64)
def _dateparser_languages(language: str | None) -> tuple[str, ...]:
    """The page's language (its primary subtag, when dateparser knows it) before the default ones."""
    primary = (language or "").split("-")[0].split("_")[0].lower()
    if not primary or primary in _DATEPARSER_DEFAULT_LANGUAGES or primary not in _dateparser_known_languages():
        return _DATEPARSER_DEFAULT_LANGUAGES
    return (primary, *_DATEPARSER_DEFAULT_LANGUAGES)


@lru_cache(maxsize=1)
def _dateparser_known_languages() -> frozenset[str]:
    from dateparser.languages.loader import LocaleDataLoader

    return frozenset(LocaleDataLoader().get_locale_map())


@lru_cache(maxsize=4096)
def _parse_with_dateparser(text: str, now: datetime, languages: tuple[str, ...]) -> datetime | None:
    import dateparser  # slow import, needed only for strings the fast rules miss

    settings = {
        "TIMEZONE": "Europe/Kyiv",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "REQUIRE_PARTS": ["day", "month"],
    }
    try:
        parsed = dateparser.parse(text, languages=list(languages), settings=settings)
    except Exception:  # dateparser raises assorted internal errors on garbage
        return None
    return parsed.astimezone(KYIV) if parsed is not None else None


def resolve_dates(candidates, now: datetime | None = None, language: str | None = None) -> dict:
    """Pick the published and the modified date among the candidates.

    Published: each source votes once, for the day of its first parseable
    candidate that states a year (weights in ``[votes]`` of the rules file);
    the day with the most votes wins. A tie goes to the day of the article's
    ``<time>`` markup, else to the most reliable source (``DATE_SOURCES``
    order). A date the page shows by its headline and in its text so
    outvotes a metadata date that disagrees. A metadata date later than the
    day the page says it was updated is not the publication date. Without
    any vote the first parseable candidate is kept ("Сьогодні, 10:15").
    ``language`` is the page's detected language, passed to :func:`parse_date`.
    Modified: the first parseable candidate by source. Without a readable candidate the date is None
    and its ``_raw`` the most reliable unreadable string, if any (an impossible date, kept for analysts).

    A UTC timestamp does not say which calendar day the publisher saw; when
    a date in the URL falls on the neighbouring day, the URL date is kept.
    """
    ranked = sorted(candidates, key=lambda c: _source_rank(c.source))
    parsed = [(candidate, moment) for candidate in ranked if (moment := parse_date(candidate.raw, now, language)) is not None]
    parsed = _day_month_order_of_metadata(parsed)
    result = {}
    for kind in ("published", "modified"):
        of_kind = [(candidate, moment) for candidate, moment in parsed if candidate.kind == kind]
        if kind == "published":
            shown_modified = _shown_modified(parsed)
            of_kind = _not_after_shown_update(of_kind, shown_modified)
            chosen, moment = _by_vote(_without_lone_text_dates(of_kind) or shown_modified or of_kind)
        else:
            chosen, moment = of_kind[0] if of_kind else (None, None)
        chosen, moment = _local_day(chosen, moment, of_kind)
        result[kind] = moment
        result[f"{kind}_raw"] = chosen.raw if chosen else _rejected_raw(ranked, kind)
        result[f"{kind}_source"] = chosen.source if chosen else None
    return result


def _rejected_raw(ranked: list, kind: str) -> str | None:
    """The raw string of the most reliable candidate of ``kind`` when none could be read ("31.02.2025", a
    date in 2099): the article stays undated, and an analyst sees what the page said."""
    return next((candidate.raw for candidate in ranked if candidate.kind == kind), None)


def _not_after_shown_update(published: list, shown_modified: list) -> list:
    """Without the metadata publication dates later than the day the page says it was updated ("Updated on
    July 9, 2025"): an article is published before it is updated, so such a date is the page's build time."""
    if not shown_modified:
        return published
    updated = max(moment.date() for _candidate, moment in shown_modified)
    return [
        (candidate, moment) for candidate, moment in published
        if candidate.source not in _METADATA_SOURCES or moment.date() <= updated
    ]


_METADATA_SOURCES = ("jsonld", "meta")


def _without_lone_text_dates(parsed: list) -> list:
    """No candidates when all there is are year-less dates of running text ("… 16 may …"): a dated
    "Updated …" line the page shows is then the better guess, and they stay the last resort."""
    if all(candidate.source == "text" and not _states_year(candidate) for candidate, _moment in parsed):
        return []
    return parsed


def _day_month_order_of_metadata(parsed: list) -> list:
    """Read "09.10.2024" as 10 September when the page's metadata says 2024-09-10 and nothing says 9 October.

    Day-first is the default; a numeric date whose day and month could swap follows the metadata's order.
    """
    stated = {moment.date() for candidate, moment in parsed if candidate.source in _ALWAYS_DATED_SOURCES}
    if not stated:
        return parsed
    return [(candidate, _in_stated_order(candidate, moment, stated)) for candidate, moment in parsed]


def _in_stated_order(candidate, moment: datetime, stated: set) -> datetime:
    if candidate.source in _ALWAYS_DATED_SOURCES or moment.date() in stated:
        return moment
    match = _patterns().numeric.search(candidate.raw)
    if match is None or int(match["month"]) != moment.month or not 1 <= int(match["day"]) <= 12:
        return moment
    swapped = _valid_day(moment.year, moment.day, moment.month)
    if swapped is None or swapped not in stated:
        return moment
    return moment.replace(month=swapped.month, day=swapped.day)


def _shown_modified(parsed: list) -> list:
    """The "Оновлено: …" dates a page shows: its last resort for the publication date.

    Metadata modification times are not: they are often the time the page was built.
    """
    return [
        (candidate, moment) for candidate, moment in parsed
        if candidate.kind == "modified" and candidate.source in _SHOWN_SOURCES
    ]


def _by_vote(parsed: list) -> tuple:
    if not parsed:
        return None, None
    weights = date_rules().votes
    votes: dict[date, int] = {}
    voted: dict[str, date] = {}  # source -> the day it voted for
    for candidate, moment in parsed:
        if candidate.source in voted or not _states_year(candidate):
            continue
        voted[candidate.source] = moment.date()
        votes[moment.date()] = votes.get(moment.date(), 0) + weights.get(candidate.source, 0)
    if not votes:
        return parsed[0]
    most = max(votes.values())
    day = voted.get(_TIE_BREAKER)
    if votes.get(day) != most:
        day = next(moment.date() for _candidate, moment in parsed if votes.get(moment.date()) == most)
    return next((candidate, moment) for candidate, moment in parsed if moment.date() == day)


# A tie between the head metadata (JSON-LD and meta, often one plugin's copy of one field) and the dateline
# that the article shows and marks up as <time datetime> goes to the article's own markup.
_TIE_BREAKER = "time"


def _states_year(candidate) -> bool:
    """A year-less or relative date ("30.07", "вчора") is kept when nothing else exists, but never outvotes."""
    return candidate.source in _ALWAYS_DATED_SOURCES or _YEAR.search(candidate.raw) is not None


_ALWAYS_DATED_SOURCES = ("jsonld", "meta", "url")
_SHOWN_SOURCES = ("time", "visible", "text")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _local_day(chosen, moment, parsed: list) -> tuple:
    if moment is None or moment.utcoffset() != timedelta(0):
        return chosen, moment
    for candidate, local in parsed:
        if candidate.source in _LOCAL_DAY_SOURCES and abs((local.date() - moment.date()).days) == 1:
            return candidate, local
    return chosen, moment


_LOCAL_DAY_SOURCES = ("url",)


def _source_rank(source: str) -> int:
    return DATE_SOURCES.index(source) if source in DATE_SOURCES else len(DATE_SOURCES)
