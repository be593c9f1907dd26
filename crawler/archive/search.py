"""Ukrainian-aware full-text search over the archive.

The archive keeps a second FTS5 index, ``articles_lemma_fts``, whose rows hold
the *lemmas* of each article's title and text (pymorphy3 with the Ukrainian
dictionary), so громада / громади / громадою / громадах all index as ``громада``.
Apostrophe variants (' ’ ʼ `) and case fold together before lemmatizing.

SQLite triggers cannot lemmatize, so inserts and updates of ``articles`` only
queue the article id in ``search_pending``; :func:`index_pending` lemmatizes
the queue (the archive pipeline calls it after saving), :func:`rebuild_index`
redoes everything.

User queries never reach MATCH as typed: :func:`parse_query` reads words,
"phrases", AND / OR / NOT and parentheses into a small tree, and
:func:`match_expression` writes that tree back as an FTS5 expression made only
of quoted lemma strings. Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Iterable, Iterator, Mapping, Sequence

from crawler.analysis.morphology import analyzer, parses
from crawler.analysis.places import LEVEL_DIGITS
from crawler.analysis.text import APOSTROPHE, fold_apostrophes

LEMMA_TABLE = "articles_lemma_fts"
PENDING_TABLE = "search_pending"
TITLE_WEIGHT = 5.0
TEXT_WEIGHT = 1.0

WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 40
MAX_TERM_VARIANTS = 12
MAX_PHRASE_VARIANTS = 16
LEMMA_CACHE_SIZE = 300_000
VARIANT_CACHE_SIZE = 10_000
INDEX_BATCH_SIZE = 2_000

SORTS = ("rank", "newest")


class SearchQueryError(ValueError):
    """A query the search syntax cannot express; the message says what to change."""


class SearchIndexMissing(RuntimeError):
    """The archive predates the lemma index (schema version < 2)."""


# -- lemmas ------------------------------------------------------------------
normalize_apostrophes = fold_apostrophes


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``; hyphens and punctuation split words, apostrophes do not."""
    found: list[str] = []
    for chunk in normalize_apostrophes(text).lower().split():  # no word spans whitespace
        if chunk.isalnum():  # most chunks are one word, or one word and a mark: no need for the regex
            found.append(chunk)
        elif chunk[:-1].isalnum():
            found.append(chunk[:-1])
        else:
            found.extend(WORD_RE.findall(chunk))
    return found


def index_token(lemma: str) -> str:
    """A lemma as stored in FTS5: apostrophes dropped, since FTS5's tokenizer would split on them."""
    return lemma.replace(APOSTROPHE, "")


def _is_alphabetic(word: str) -> bool:
    return word.replace(APOSTROPHE, "").isalpha()


class Lemmatizer:
    """Word → index token, and word → every index token an inflected form of it can have."""

    def __init__(self, cache_size: int = LEMMA_CACHE_SIZE):
        self.morph = analyzer()
        self.token = functools.lru_cache(maxsize=cache_size)(self._token)
        self.variants = functools.lru_cache(maxsize=VARIANT_CACHE_SIZE)(self._variants)

    def _token(self, word: str) -> str:
        if not _is_alphabetic(word):
            return index_token(word)
        return index_token(parses(self.morph, word)[0].normal_form)

    def index_text(self, text: str | None) -> str:
        if not text:
            return ""
        return " ".join(map(self.token, words(text)))

    def _variants(self, word: str) -> list[str]:
        """Index tokens of every form of every reading of ``word``.

        The index stores one lemma per word (pymorphy3's first reading), and
        that reading can differ between forms of one word (ради → рад,
        радою → рада). Expanding the query word to its whole paradigm makes
        every inflection match. Capped at ``MAX_TERM_VARIANTS``.
        """
        own = self.token(word)
        if not _is_alphabetic(word):
            return [own]
        found = {own}
        for parse in self.morph.parse(word):
            for form in parse.lexeme:
                found.add(self.token(form.word))
        others = sorted(found - {own}, key=lambda t: (abs(len(t) - len(own)), t))
        return [own, *others][:MAX_TERM_VARIANTS]


@functools.cache
def get_lemmatizer() -> Lemmatizer:
    """The process-wide lemmatizer (loaded on first use; the dictionary takes ~0.2 s)."""
    return Lemmatizer()


# -- keeping the lemma index in sync ------------------------------------------
def connection(db) -> sqlite3.Connection:
    """Accept a sqlite_utils.Database or a plain sqlite3.Connection."""
    return getattr(db, "conn", db)


def has_search_index(db) -> bool:
    row = connection(db).execute("select 1 from sqlite_master where name = ?", [LEMMA_TABLE]).fetchone()
    return row is not None


def index_articles(db, ids: Iterable[int], lemmatizer: Lemmatizer | None = None,
                   index_texts: Mapping[int, tuple[str, str]] | None = None) -> int:
    """(Re)index the given article ids in the lemma index; runs in the caller's transaction.

    ``index_texts`` maps article ids to their title's and text's :meth:`Lemmatizer.index_text`, when
    already computed (by a crawl's worker process); the others are lemmatized here. Returns the number
    of articles indexed (ids no longer in ``articles`` are skipped).
    """
    ids = list(ids)
    if not ids:
        return 0
    index_texts = index_texts or {}
    conn = connection(db)
    indexed = 0
    for chunk in _chunks(ids, INDEX_BATCH_SIZE):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"select a.id, a.title, a.text, {FILTER_TOKENS_SQL} from articles a where a.id in ({marks})",
                            chunk).fetchall()
        conn.execute(f"delete from {LEMMA_TABLE} where rowid in ({marks})", chunk)
        conn.executemany(
            f"insert into {LEMMA_TABLE}(rowid, title, text, {FILTERS_COLUMN}) values (?, ?, ?, ?)",
            [(row[0], *(index_texts.get(row[0]) or _index_texts(row[1], row[2], lemmatizer)), row[3])
             for row in rows],
        )
        conn.execute(f"delete from {PENDING_TABLE} where article_id in ({marks})", chunk)
        indexed += len(rows)
    return indexed


def _index_texts(title: str | None, text: str | None, lemmatizer: Lemmatizer | None = None) -> tuple[str, str]:
    lemmatizer = lemmatizer or get_lemmatizer()
    return lemmatizer.index_text(title), lemmatizer.index_text(text)


def pending_count(db) -> int:
    return connection(db).execute(f"select count(*) from {PENDING_TABLE}").fetchone()[0]


def index_pending(db, batch_size: int = INDEX_BATCH_SIZE, lemmatizer: Lemmatizer | None = None,
                  on_batch=None, index_texts: Mapping[int, tuple[str, str]] | None = None) -> int:
    """Index every article queued by the insert/update triggers, one committed batch at a time.

    ``index_texts``: lemmatized titles and texts already at hand, as for :func:`index_articles`.
    """
    conn = connection(db)
    total = 0
    while True:
        ids = [row[0] for row in conn.execute(
            f"select article_id from {PENDING_TABLE} order by article_id limit ?", [batch_size])]
        if not ids:
            return total
        with conn:
            total += index_articles(conn, ids, lemmatizer, index_texts)
        if on_batch is not None:
            on_batch(len(ids))


def rebuild_index(db, lemmatizer: Lemmatizer | None = None, on_batch=None) -> int:
    """Drop and rebuild the whole lemma index (e.g. after a dictionary upgrade), then optimize it."""
    conn = connection(db)
    with conn:
        conn.execute(f"delete from {LEMMA_TABLE}")
        conn.execute(f"insert or ignore into {PENDING_TABLE}(article_id) select id from articles")
    total = index_pending(conn, lemmatizer=lemmatizer, on_batch=on_batch)
    optimize_index(conn)
    return total


def optimize_index(db) -> None:
    """Merge the FTS5 segments; worth it after a bulk load."""
    conn = connection(db)
    with conn:
        conn.execute(f"insert into {LEMMA_TABLE}({LEMMA_TABLE}) values ('optimize')")


BROWSE_VIEW = "articles_browse"


def _create_change_triggers(conn: sqlite3.Connection) -> None:
    """Edited articles go back to the queue; deleted ones leave the index and the queue."""
    conn.execute(f"""create trigger articles_search_au after update of title, text on articles begin
        delete from {LEMMA_TABLE} where rowid = old.id;
        insert or ignore into {PENDING_TABLE}(article_id) values (new.id); end""")
    conn.execute(f"""create trigger articles_search_ad after delete on articles begin
        delete from {LEMMA_TABLE} where rowid = old.id;
        delete from {PENDING_TABLE} where article_id = old.id; end""")


def create_search_schema(conn: sqlite3.Connection) -> None:
    """Migration 2: the lemma index, its queue, the triggers that fill the queue,
    and ``articles_browse`` (articles with their source's place and a month column) for the web view."""
    conn.execute(f"create virtual table {LEMMA_TABLE} using fts5(title, text, tokenize='unicode61 remove_diacritics 0')")
    conn.execute(f"create table {PENDING_TABLE} (article_id integer primary key)")
    conn.execute(f"""create trigger articles_search_ai after insert on articles begin
        insert or ignore into {PENDING_TABLE}(article_id) values (new.id); end""")
    _create_change_triggers(conn)
    conn.execute(f"""create view {BROWSE_VIEW} as
        select a.id, a.published_at, substr(a.published_at, 1, 7) as month, s.name as source, s.oblast, s.hromada,
               a.language, a.title, a.text, a.url, a.source_id, a.date_source, a.author
        from articles a left join sources s on s.id = a.source_id""")


# -- filter tokens ----------------------------------------------------------------
#: Third column of the lemma index: tokens for an article's source, language, year, month and places,
#: so filters narrow the match inside the FTS index instead of testing every match against the tables.
FILTERS_COLUMN = "filters"
FILTER_TOKEN_PREFIX = "zz"  # no filter token shares a query word's index token unless that word starts so
SOURCE_TOKEN, LANGUAGE_TOKEN, YEAR_TOKEN, MONTH_TOKEN, PLACE_TOKEN = (
    FILTER_TOKEN_PREFIX + kind for kind in ("s", "l", "y", "m", "p"))


def _place_scopes_sql() -> str:
    """Every scope prefix (crawler.analysis.places.scope_prefix) of the places article ``a`` is about: UA05,
    UA0512 and UA0512017 for a hromada in UA05, so a place filter is one token, never a prefix query."""
    selects, nonzero, end = [], [], 2
    for width in LEVEL_DIGITS:
        nonzero.append(f"substr(p.katottg, {end + 1}, {width}) != '{'0' * width}'")
        end += width
        selects.append(f"select substr(p.katottg, 1, {end}) as scope from article_places p "
                       f"where p.article_id = a.id and {' and '.join(nonzero)}")
    return " union ".join(selects)


#: Lengths of the codes' scope prefixes that have a place token.
PLACE_SCOPE_LENGTHS = frozenset(2 + sum(LEVEL_DIGITS[:level]) for level in range(1, len(LEVEL_DIGITS) + 1))
ISO_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"
#: The filter tokens of article ``a`` (values hex-encoded or digits, so the tokenizer keeps each whole).
FILTER_TOKENS_SQL = f"""('{SOURCE_TOKEN}' || hex(a.source_id)
    || case when a.language is null then '' else ' {LANGUAGE_TOKEN}' || hex(a.language) end
    || case when a.published_at glob '{ISO_DATE_GLOB}'
            then ' {YEAR_TOKEN}' || substr(a.published_at, 1, 4)
                 || ' {MONTH_TOKEN}' || substr(a.published_at, 1, 4) || substr(a.published_at, 6, 2) else '' end
    || coalesce((select ' ' || group_concat('{PLACE_TOKEN}' || scope, ' ') from ({_place_scopes_sql()})), ''))"""


def _refresh_filters_sql(article_id: str) -> str:
    return (f"update {LEMMA_TABLE} set {FILTERS_COLUMN} = (select {FILTER_TOKENS_SQL} from articles a "
            f"where a.id = {article_id}) where rowid = {article_id};")


#: The triggers that keep the filter tokens current; their stored SQL tells whether an archive's tokens
#: are the ones FILTER_TOKENS_SQL writes (see filter_tokens_current). SQLite keeps a CREATE statement as
#: written except for upper-casing its first words, hence the capitals.
FILTER_TRIGGERS = {
    "articles_filters_au": f"""CREATE TRIGGER articles_filters_au after update of source_id, language, published_at
        on articles begin {_refresh_filters_sql("new.id")} end""",
    "article_places_filters_ai": f"""CREATE TRIGGER article_places_filters_ai after insert on article_places
        begin {_refresh_filters_sql("new.article_id")} end""",
    "article_places_filters_au": f"""CREATE TRIGGER article_places_filters_au after update on article_places
        begin {_refresh_filters_sql("old.article_id")} {_refresh_filters_sql("new.article_id")} end""",
    "article_places_filters_ad": f"""CREATE TRIGGER article_places_filters_ad after delete on article_places
        begin {_refresh_filters_sql("old.article_id")} end""",
}


def add_search_filters(conn: sqlite3.Connection) -> None:
    """Migrations 6 and 7: rebuild the lemma index with the current filter tokens (copying the stored lemmas,
    so nothing is lemmatized again) and keep the tokens current when places, dates or languages change."""
    for trigger in ("articles_search_au", "articles_search_ad", *FILTER_TRIGGERS):
        conn.execute(f"drop trigger if exists {trigger}")  # they name the index, which is replaced
    conn.execute(f"create virtual table {LEMMA_TABLE}_new using fts5(title, text, {FILTERS_COLUMN}, "
                 f"tokenize='unicode61 remove_diacritics 0')")
    conn.execute(f"""insert into {LEMMA_TABLE}_new(rowid, title, text, {FILTERS_COLUMN})
                     select f.rowid, f.title, f.text, {FILTER_TOKENS_SQL}
                     from {LEMMA_TABLE} f join articles a on a.id = f.rowid""")
    conn.execute(f"drop table {LEMMA_TABLE}")
    conn.execute(f"alter table {LEMMA_TABLE}_new rename to {LEMMA_TABLE}")
    _create_change_triggers(conn)
    for sql in FILTER_TRIGGERS.values():
        conn.execute(sql)
    conn.execute(f"insert into {LEMMA_TABLE}({LEMMA_TABLE}) values ('optimize')")


def has_filter_tokens(conn: sqlite3.Connection) -> bool:
    """False for an archive opened read-only before migration 6; its searches filter in SQL alone."""
    return any(row[1] == FILTERS_COLUMN for row in conn.execute(f"pragma table_info({LEMMA_TABLE})"))


def filter_tokens_current(conn: sqlite3.Connection) -> bool:
    """Whether the index holds the filter tokens FILTER_TOKENS_SQL writes (migration 7 on: place scopes)."""
    stored = dict(conn.execute("select name, sql from sqlite_master where type = 'trigger' and name in "
                               f"({','.join('?' * len(FILTER_TRIGGERS))})", list(FILTER_TRIGGERS)).fetchall())
    return stored == FILTER_TRIGGERS


def _any_of(tokens: Iterable[str]) -> str:
    return "(" + " OR ".join(tokens) + ")"


def _hex(value: str) -> str:
    return value.encode("utf-8").hex()


MONTHS_TOKENS_MAX = 120  # a date range longer than ten years is filtered in SQL alone


def _date_tokens(conn: sqlite3.Connection, since: date | None, until: date | None) -> list[str]:
    """Year and month tokens covering [since, until] (open ends bounded by the archive's dates)."""
    # Two subqueries: SQLite answers a lone min() or max() from the index, but scans it for both together.
    first, last = conn.execute("select (select min(published_at) from articles), "
                               "(select max(published_at) from articles)").fetchone()
    try:
        first, last = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    except (TypeError, ValueError):  # no dates, or malformed ones: the dates are filtered in SQL alone
        return []
    start = max(since, first) if since else first
    end = min(until, last) if until else last
    months = [(year, month) for year in range(start.year, end.year + 1) for month in range(1, 13)
              if (start.year, start.month) <= (year, month) <= (end.year, end.month)]
    if not months or len(months) > MONTHS_TOKENS_MAX:
        return [] if months else [f"{YEAR_TOKEN}0000"]  # an empty range matches nothing
    tokens = []
    for year in sorted({year for year, _ in months}):
        in_year = [month for y, month in months if y == year]
        tokens += [f"{YEAR_TOKEN}{year}"] if len(in_year) == 12 else [f"{MONTH_TOKEN}{year}{m:02d}" for m in in_year]
    return tokens


@dataclass(frozen=True)
class SplitFilters:
    """Filters divided between the index and SQL: ``match`` (an FTS5 expression over the filter tokens, or
    None) decides exactly the filters it covers; ``rest`` holds the others, for :func:`filter_clause`."""

    match: str | None
    rest: Filters


def split_filters(conn: sqlite3.Connection, filters: Filters) -> SplitFilters:
    """Decide in the index every filter its tokens express exactly: sources, language, places (in an index
    with current tokens), dates from the first of a month to the end of a month. The rest stays in SQL."""
    from crawler.analysis.places import scope_prefix

    if not has_filter_tokens(conn):
        return SplitFilters(None, filters)
    parts, decided = [], {}
    if filters.sources:
        parts.append(_any_of(f"{SOURCE_TOKEN}{_hex(source)}" for source in filters.sources))
        decided["sources"] = ()
    if filters.language:
        parts.append(f"{LANGUAGE_TOKEN}{_hex(filters.language.strip())}")
        decided["language"] = None
    place_scopes = {name: [scope_prefix(code) for code in codes] for name, codes in filters.place_codes().items()}
    if place_scopes and filter_tokens_current(conn):
        for name, scopes in place_scopes.items():
            if all(len(scope) in PLACE_SCOPE_LENGTHS for scope in scopes):
                parts.append(_any_of(f"{PLACE_TOKEN}{scope.lower()}" for scope in scopes))
                decided[name] = None
    if filters.since or filters.until:
        dates = _date_tokens(conn, filters.since, filters.until)
        if dates:
            parts.append(_any_of(dates))
            if _whole_months(filters.since, filters.until):
                decided.update(since=None, until=None)
    match = "{" + FILTERS_COLUMN + "} : (" + " AND ".join(parts) + ")" if parts else None
    return SplitFilters(match, replace(filters, **decided))


def _whole_months(since: date | None, until: date | None) -> bool:
    """Whether [since, until] starts on the first of a month and ends on the last day of one (or is open)."""
    return (since is None or since.day == 1) and (until is None or (until + timedelta(days=1)).day == 1)


def over_text_columns(match: str) -> str:
    """A query's MATCH string kept off the filter tokens. Only a word that could be one (starting with
    ``zz``) needs the column filter: it makes FTS5 read every match's columns, a third of a query's time."""
    tokens = " ".join(re.findall(r'"([^"]*)"', match)).split()
    if any(token.startswith(FILTER_TOKEN_PREFIX) for token in tokens):
        return "{title text} : (" + match + ")"
    return match


def searched_match(conn: sqlite3.Connection, query: "CompiledQuery") -> str:
    """The user's query over title and text only, so a query word never matches a filter token."""
    return over_text_columns(query.match) if has_filter_tokens(conn) else query.match


def full_match(conn: sqlite3.Connection, query: "CompiledQuery", filters: Filters) -> tuple[str, Filters]:
    """The user's query over title and text, AND the filter tokens; and the filters SQL must still apply."""
    split = split_filters(conn, filters)
    searched = searched_match(conn, query)
    return (searched if split.match is None else f"{searched} AND {split.match}"), split.rest


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- query language -----------------------------------------------------------
@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or several for a "phrase" / hyphenated word


@dataclass(frozen=True)
class Not:
    left: object
    right: object


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


OPERATORS = ("AND", "OR", "NOT")
_TOKEN_RE = re.compile(r'\s*(?:(?P<phrase>"[^"]*")|(?P<open>\()|(?P<close>\))|(?P<quote>")|(?P<bare>[^\s()"]+))')
_UNSUPPORTED = [
    (re.compile(r"\bNEAR\s*\("), "NEAR(...) is not supported; use a \"phrase\" or AND"),
    (re.compile(r"[^\W\d_]\w*:\S"), "column filters like title:word are not supported; search words, \"phrases\", AND, OR, NOT"),
    (re.compile(r"[*^{}]"), "the characters * ^ { } are FTS syntax and are not supported; inflected forms already match"),
]
SYNTAX_HELP = 'use words, "exact phrases", AND, OR, NOT and parentheses, e.g. громада AND (школа OR садок) NOT ремонт'


def _lex(query: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN_RE.finditer(query):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "quote":
            raise SearchQueryError(f'unbalanced double quote in the query; close the "phrase" ({SYNTAX_HELP})')
        value = match.group(kind)
        if kind == "bare" and value in OPERATORS:
            kind = value
        elif kind == "bare" and not WORD_RE.search(normalize_apostrophes(value)):
            continue  # stray punctuation such as "-" or "!!!" between words
        tokens.append((kind, value))
    return tokens


class _Parser:
    """Recursive descent: or := and (OR and)* ; and := not ([AND] not)* ; not := primary (NOT primary)*."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self):
        if not self.tokens:
            raise SearchQueryError(f"the query has no letters or digits to search for; {SYNTAX_HELP}")
        node = self.or_expr()
        if self.peek() is not None:
            raise SearchQueryError(f"unexpected {self.tokens[self.position][1]!r}; {SYNTAX_HELP}")
        return node

    def or_expr(self):
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self):
        parts = [self.not_expr()]
        while self.peek() in ("AND", "phrase", "bare", "open"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self):
        node = self.primary()
        while self.peek() == "NOT":
            self.take()
            node = Not(node, self.primary())
        return node

    def primary(self):
        kind = self.peek()
        if kind is None:
            raise SearchQueryError(f"the query ends where a word was expected; {SYNTAX_HELP}")
        if kind in OPERATORS:
            where = "starts with" if self.position == 0 else "has"
            raise SearchQueryError(f"the query {where} {kind} without a word before it; {SYNTAX_HELP}")
        if kind == "close":
            raise SearchQueryError(f"unbalanced ')' or empty parentheses; {SYNTAX_HELP}")
        _, value = self.take()
        if kind == "open":
            node = self.or_expr()
            if self.peek() != "close":
                raise SearchQueryError(f"unbalanced '(' in the query; {SYNTAX_HELP}")
            self.take()
            return node
        found = tuple(words(value.strip('"') if kind == "phrase" else value))
        if not found:
            raise SearchQueryError(f"{value!r} has no letters or digits to search for; {SYNTAX_HELP}")
        return Term(found)


def parse_query(query: str):
    """Parse a user query into a tree of Term / And / Or / Not, or raise SearchQueryError."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"query longer than {MAX_QUERY_CHARS} characters")
    for pattern, message in _UNSUPPORTED:
        if pattern.search(query):
            raise SearchQueryError(message)
    tree = _Parser(_lex(query)).parse()
    if sum(len(term.words) for term in _terms(tree)) > MAX_QUERY_TERMS:
        raise SearchQueryError(f"more than {MAX_QUERY_TERMS} words in the query")
    return tree


def _terms(node, positive_only: bool = False) -> Iterator[Term]:
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        yield from _terms(node.left, positive_only)
        if not positive_only:
            yield from _terms(node.right, positive_only)
    else:
        for part in node.parts:
            yield from _terms(part, positive_only)


def _quoted(tokens: Iterable[str]) -> str:
    # Index tokens are letters and digits only, so they never contain a double quote.
    return '"' + " ".join(tokens) + '"'


def _term_expression(term: Term, lemmatizer: Lemmatizer) -> str:
    variants = [lemmatizer.variants(word) for word in term.words]
    combinations = 1
    for options in variants:
        combinations *= len(options)
    if combinations > MAX_PHRASE_VARIANTS:
        variants = [options[:1] for options in variants]
    phrases = [_quoted(choice) for choice in itertools.product(*variants)]
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


def match_expression(tree, lemmatizer: Lemmatizer | None = None) -> str:
    """The FTS5 MATCH string for a parsed query: quoted lemma strings joined by AND/OR/NOT."""
    lemmatizer = lemmatizer or get_lemmatizer()
    if isinstance(tree, Term):
        return _term_expression(tree, lemmatizer)
    if isinstance(tree, Not):
        return f"({match_expression(tree.left, lemmatizer)} NOT {match_expression(tree.right, lemmatizer)})"
    joiner = " AND " if isinstance(tree, And) else " OR "
    return "(" + joiner.join(match_expression(part, lemmatizer) for part in tree.parts) + ")"


def highlight_tokens(tree, lemmatizer: Lemmatizer | None = None) -> frozenset[str]:
    """Index tokens worth highlighting in a snippet: those of every word not under NOT."""
    lemmatizer = lemmatizer or get_lemmatizer()
    return frozenset(
        variant for term in _terms(tree, positive_only=True) for word in term.words for variant in lemmatizer.variants(word)
    )


# -- filters --------------------------------------------------------------------
class UnknownPlace(SearchQueryError):
    """A --oblast / --hromada / --katottg value the KATOTTG codifier does not know."""


#: Place filters: (Filters field, CLI option, level passed to crawler.analysis.places.resolve_place).
PLACE_FILTERS = (("oblast", "--oblast", "oblast"), ("hromada", "--hromada", "hromada"), ("katottg", "--katottg", None))


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    oblast: str | None = None  # name or KATOTTG code; matches the places an article is about
    hromada: str | None = None
    katottg: str | None = None  # any unit's code or name
    since: date | None = None
    until: date | None = None  # inclusive
    language: str | None = None
    one_per_story: bool = False  # only each story's original (and articles in no story)

    def as_dict(self) -> dict:
        return {
            "source": list(self.sources), "oblast": self.oblast, "hromada": self.hromada, "katottg": self.katottg,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None, "lang": self.language,
            "one_per_story": self.one_per_story,
        }

    def place_codes(self) -> dict[str, list[str]]:
        """KATOTTG codes of each place filter given, by field name (all must hold); raises UnknownPlace."""
        return {name: resolve_place_filter(option, value, level)
                for name, option, level in PLACE_FILTERS if (value := getattr(self, name))}


@functools.lru_cache(maxsize=256)
def _resolve_place(value: str, level: str | None) -> tuple[str, ...]:
    from crawler.analysis.places import resolve_place

    codes = resolve_place(value, level=level)
    if not codes and value[:1].islower():  # "вінницька область" as typed
        codes = resolve_place(value[:1].upper() + value[1:], level=level)
    return tuple(codes)


def resolve_place_filter(option: str, value: str, level: str | None) -> list[str]:
    codes = list(_resolve_place(value.strip(), level))
    if not codes:
        what = f"{level} " if level else "unit "
        raise UnknownPlace(f"{option} {value!r}: no {what}of that name or code in the KATOTTG codifier "
                           f"(give a name such as Вінницька or a code such as UA05000000000010236)")
    return codes


ONE_PER_STORY = "({article}.is_original = 1 or {article}.story_id is null)"


def filter_clause(filters: Filters, article: str = "a") -> tuple[str, list]:
    """The WHERE conditions (joined by AND, or ``1`` when none) and their bound parameters.

    The one place that defines what a filter means (:func:`split_filters` lets the index decide the
    filters its tokens express exactly; tests hold both to the same results). Place filters match the
    places an article is about (``article_places``, including its source's
    own unit), anything inside the named unit included.
    """
    from crawler.analysis.places import place_filter_sql

    conditions, params = [], []
    if filters.sources:
        conditions.append(f"{article}.source_id in ({','.join('?' * len(filters.sources))})")
        params.extend(filters.sources)
    for codes in filters.place_codes().values():
        sql, place_params = place_filter_sql(codes, f"{article}.id")
        conditions.append(sql)
        params.extend(place_params)
    if filters.since:
        conditions.append(f"{article}.published_at >= ?")
        params.append(filters.since.isoformat())
    if filters.until:
        # published_at is local ISO time with offset; everything before the next day is "on or before".
        conditions.append(f"{article}.published_at < ?")
        params.append((filters.until + timedelta(days=1)).isoformat())
    if filters.language:
        conditions.append(f"{article}.language = ?")
        params.append(filters.language.strip())
    if filters.one_per_story:
        conditions.append(ONE_PER_STORY.format(article=article))
    return (" and ".join(conditions) or "1"), params


# -- searching --------------------------------------------------------------------
@dataclass
class Hit:
    id: int
    url: str
    source_id: str
    source_name: str | None
    oblast: str | None
    hromada: str | None
    title: str | None
    published_at: str | None
    language: str | None
    score: float | None  # bm25 relevance, higher is better; None when sorted by date
    snippet: list[tuple[str, bool]] = field(default_factory=list)  # (text, is_match) pieces

    def snippet_text(self, before: str = "<mark>", after: str = "</mark>") -> str:
        return "".join(f"{before}{piece}{after}" if is_match else piece for piece, is_match in self.snippet)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "url": self.url, "source_id": self.source_id, "source": self.source_name,
            "oblast": self.oblast, "hromada": self.hromada, "title": self.title,
            "published_at": self.published_at, "language": self.language,
            "score": None if self.score is None else round(self.score, 4),
            "snippet": self.snippet_text(),
        }


@dataclass(frozen=True)
class CompiledQuery:
    """A user query turned into what SQL needs: the MATCH string and the tokens to highlight."""

    text: str
    match: str
    highlight: frozenset[str]


def compile_query(query: str, lemmatizer: Lemmatizer | None = None) -> CompiledQuery:
    lemmatizer = lemmatizer or get_lemmatizer()
    tree = parse_query(query)
    return CompiledQuery(query, match_expression(tree, lemmatizer), highlight_tokens(tree, lemmatizer))


def require_search_index(db) -> None:
    if not has_search_index(db):
        raise SearchIndexMissing(
            "this archive has no lemma search index yet (schema version < 2); "
            "run `hromada search --reindex` once to upgrade and index it"
        )


NEWEST = "a.published_at desc, a.id desc"  # SQLite sorts NULL lowest, so undated articles come last
SCORE = f"bm25({LEMMA_TABLE}, {TITLE_WEIGHT}, {TEXT_WEIGHT}, 0.0)"  # filter tokens do not score
MATCHED = f"{LEMMA_TABLE} join articles a on a.id = {LEMMA_TABLE}.rowid left join sources s on s.id = a.source_id"
#: Ranked search scores at most this many matches (the most recently archived ones);
#: bm25 over every match of a common word in a large archive takes seconds. Exports rank all matches.
RANK_CANDIDATES = 2_000
#: From this many matches on, newest-first search walks articles by date and tests each against the
#: index instead of sorting every match.
NEWEST_WALK_FROM = 5_000
#: Article ids with their dates (migration 7), so sorting matches by date reads no article rows.
DATES_INDEX = "articles_id_published_at"


def matching_sql(conn, columns: str, filters: Filters, query: CompiledQuery | None, sort: str) -> tuple[str, list]:
    """SELECT ``columns`` of every article ``a`` (joined to sources ``s``) matching the query and filters, in order.

    Exact over all matches (exports use it); with a query, a trailing ``score`` column holds bm25.
    """
    _check_sort(sort)
    if query is None:
        where, params = filter_clause(filters)
        sql = f"select {columns} from articles a left join sources s on s.id = a.source_id where {where} order by {NEWEST}"
        return sql, params
    match, rest = full_match(connection(conn), query, filters)
    where, params = filter_clause(rest)
    order = "score, a.id" if sort == "rank" else NEWEST
    sql = f"select {columns}, {SCORE} as score from {MATCHED} where {LEMMA_TABLE} match ? and {where} order by {order}"
    return sql, [match, *params]


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise SearchQueryError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")


def _ranked_ids(conn, query: CompiledQuery, filters: Filters, limit: int) -> list[tuple[int, float | None]]:
    match, rest = full_match(conn, query, filters)
    where, params = filter_clause(rest)
    # Without SQL filters the index alone answers; joining articles would cost a row lookup per match.
    source = MATCHED if where != "1" else LEMMA_TABLE
    searched = searched_match(conn, query)
    if match != searched:
        candidates = [row[0] for row in conn.execute(
            f"select {LEMMA_TABLE}.rowid from {source} where {LEMMA_TABLE} match ? and {where} "
            f"order by {LEMMA_TABLE}.rowid desc limit ?", [match, *params, RANK_CANDIDATES])]
        if len(candidates) == RANK_CANDIDATES:
            return _scores(conn, searched, candidates, limit)
    sql = (f"select id, score from (select {LEMMA_TABLE}.rowid as id, {SCORE} as score from {source} "
           f"where {LEMMA_TABLE} match ? and {where} order by {LEMMA_TABLE}.rowid desc limit ?) "
           f"order by score, id limit ?")
    return conn.execute(sql, [match, *params, RANK_CANDIDATES, limit]).fetchall()


def _scores(conn, searched: str, candidates: list[int], limit: int) -> list[tuple[int, float]]:
    """The best ``limit`` of ``candidates`` (the newest matches of a filtered query) by bm25 of the query alone.

    bm25 first counts the rows holding each phrase of its MATCH, filter tokens included: most of the archive
    for an oblast. Scored without them, over the rowid span of the candidates only, the numbers are the same
    (filter tokens sit in a column of weight 0) at a fraction of the cost.
    """
    sql = (f"select rowid, {SCORE} as score from {LEMMA_TABLE} where {LEMMA_TABLE} match ? and rowid between ? and ? "
           f"and +rowid in (select value from json_each(?)) order by score, rowid limit ?")
    return conn.execute(sql, [searched, min(candidates), max(candidates), json.dumps(candidates), limit]).fetchall()


def _newest_ids(conn, query: CompiledQuery, filters: Filters, limit: int) -> list[tuple[int, float | None]]:
    match, rest = full_match(conn, query, filters)
    where, params = filter_clause(rest)
    matched = [row[0] for row in conn.execute(
        f"select rowid from {LEMMA_TABLE} where {LEMMA_TABLE} match ? limit ?", [match, NEWEST_WALK_FROM])]
    if len(matched) < NEWEST_WALK_FROM:
        # Dates of the matches from the narrow (id, published_at) index, not from the wide article rows.
        hint = f"indexed by {DATES_INDEX}" if _has_index(conn, DATES_INDEX) else ""
        sql = (f"select a.id, null from articles a {hint} where a.id in (select value from json_each(?)) and {where} "
               f"order by {NEWEST} limit ?")
        return conn.execute(sql, [json.dumps(matched), *params, limit]).fetchall()
    sql = (f"select a.id, null from articles a left join sources s on s.id = a.source_id where {where} and exists "
           f"(select 1 from {LEMMA_TABLE} where {LEMMA_TABLE} match ? and {LEMMA_TABLE}.rowid = a.id) "
           f"order by {NEWEST} limit ?")
    return conn.execute(sql, [*params, match, limit]).fetchall()


def _has_index(conn, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where type = 'index' and name = ?", [name]).fetchone() is not None


_HIT_COLUMNS = "a.id, a.url, a.source_id, s.name, s.oblast, s.hromada, a.title, a.published_at, a.language, a.text"


def _hits(conn, ranked: list[tuple[int, float | None]], query: CompiledQuery, lemmatizer: Lemmatizer) -> list[Hit]:
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    rows = {row[0]: row for row in conn.execute(
        f"select {_HIT_COLUMNS} from articles a left join sources s on s.id = a.source_id where a.id in ({marks})",
        [article_id for article_id, _ in ranked])}
    hits = []
    for article_id, score in ranked:
        row = rows[article_id]
        hit = Hit(*row[:9], score=None if score is None else -score)
        hit.snippet = snippet(row[9] or "", query.highlight, lemmatizer)
        hits.append(hit)
    return hits


def search(db, query: str, filters: Filters = Filters(), *, sort: str = "rank", limit: int = 20,
           lemmatizer: Lemmatizer | None = None) -> list[Hit]:
    """Best (or newest) ``limit`` articles matching ``query`` and ``filters``.

    Ranking is exact up to ``RANK_CANDIDATES`` matches; beyond that it ranks
    the most recently archived ``RANK_CANDIDATES`` matches (use filters or an
    export for exhaustive ranking). Raises SearchQueryError for a query the
    syntax cannot express.
    """
    _check_sort(sort)
    lemmatizer = lemmatizer or get_lemmatizer()
    require_search_index(db)
    compiled = compile_query(query, lemmatizer)
    conn = connection(db)
    try:
        find = _ranked_ids if sort == "rank" else _newest_ids
        return _hits(conn, find(conn, compiled, filters, int(limit)), compiled, lemmatizer)
    except sqlite3.OperationalError as error:
        raise SearchQueryError(f"the search index rejected the query ({error}); {SYNTAX_HELP}") from None


SNIPPET_WORDS = 32
SNIPPET_LEAD_WORDS = 8


def snippet(text: str, highlight: frozenset[str], lemmatizer: Lemmatizer | None = None,
            length: int = SNIPPET_WORDS) -> list[tuple[str, bool]]:
    """A window of the ORIGINAL text around the first match, as (piece, is_match) segments."""
    lemmatizer = lemmatizer or get_lemmatizer()
    normalized = normalize_apostrophes(text)
    spans = [m.span() for m in WORD_RE.finditer(normalized)]
    if not spans:
        return []
    matches = [i for i, (start, end) in enumerate(spans) if lemmatizer.token(normalized[start:end].lower()) in highlight]
    first = max(0, matches[0] - SNIPPET_LEAD_WORDS) if matches else 0
    last = min(len(spans), first + length) - 1
    window_start, window_end = spans[first][0], spans[last][1]
    pieces: list[tuple[str, bool]] = [("… ", False)] if first > 0 else []
    cursor = window_start
    for i in (i for i in matches if first <= i <= last):
        start, end = spans[i]
        if start > cursor:
            pieces.append((_collapse(text[cursor:start]), False))
        pieces.append((text[start:end], True))
        cursor = end
    if window_end > cursor:
        pieces.append((_collapse(text[cursor:window_end]), False))
    if last < len(spans) - 1:
        pieces.append((" …", False))
    return pieces


def _collapse(piece: str) -> str:
    return re.sub(r"\s+", " ", piece)
