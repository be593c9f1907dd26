"""Datasette plugin: lemmatized search for SQL and canned queries, and highlighted snippets.

SQL functions, usable in any query: ``hromada_match(q)`` turns a user query into
the FTS5 expression over the lemma index (the same translation `hromada search`
uses); ``hromada_place_prefix(name, level)`` is the KATOTTG code prefix of a
named unit (``UA05`` for Вінницька oblast), so a query can keep articles about
places inside it; ``hromada_snippet(text, q)`` returns a window of the original
text with matches wrapped in <mark>, which ``render_cell`` shows as highlights
(everything else escaped).

SQLite reports anything a SQL function raises as "user-defined function raised
exception", so the canned queries take the same values as magic parameters
instead, computed while SQLite binds them: ``:_match_q`` is ``hromada_match``
of the request's ``q``, ``:_placeprefix_oblast`` is ``hromada_place_prefix`` of
its ``oblast`` at oblast level. Bad input there fails with :class:`BadParameter`,
whose message Datasette shows on the page and in the JSON, with status 400.
"""

from __future__ import annotations

import functools
import sqlite3

from datasette import hookimpl
from markupsafe import Markup, escape

from crawler.analysis.places import scope_prefix
from crawler.archive.search import SearchQueryError, UnknownPlace, compile_query, over_text_columns, resolve_place_filter, snippet

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
MATCHES_NOTHING = '""'  # an FTS5 phrase of no words: no row matches it
compiled = functools.lru_cache(maxsize=256)(compile_query)  # a query is compiled once, not once per row


class BadParameter(sqlite3.OperationalError):
    """A canned query's parameter that cannot be used; the message says what to change.

    An sqlite3 error because Datasette shows the message of one as the query's error
    (status 400); raised while SQLite binds the parameter, it leaves ``cursor.execute``
    unchanged, in the request's own worker thread.
    """


def match_expression(query: str) -> str:
    """The FTS5 expression over the lemma index for a user query; raises SearchQueryError."""
    return over_text_columns(compiled(query).match)


def place_prefix(name: str, level: str) -> str:
    """The KATOTTG code prefix of the one unit of ``level`` named ``name``; raises UnknownPlace."""
    codes = resolve_place_filter(level, name, level)
    if len(codes) > 1:
        raise UnknownPlace(f"{level} {name!r} names {len(codes)} units ({', '.join(codes)}): give one of their codes")
    return scope_prefix(codes[0])


# -- SQL functions --------------------------------------------------------------
def hromada_match(query):
    return match_expression(query or "")


def hromada_place_prefix(name, level):
    return place_prefix(name or "", level)


def hromada_snippet(text, query):
    if not text or not query:
        return None
    pieces = snippet(text, compiled(query).highlight)
    return "".join(f"{MARK_OPEN}{piece}{MARK_CLOSE}" if is_match else piece for piece, is_match in pieces)


# -- magic parameters of the canned queries -------------------------------------
def match_parameter(name, request):
    """``:_match_q``: the FTS5 expression for the request's ``q``; none given (an empty form) matches nothing."""
    if name not in request.args:
        return MATCHES_NOTHING
    query = request.args[name]
    try:
        return match_expression(query)
    except SearchQueryError as error:
        raise BadParameter(f"cannot search for {query!r}: {error}") from None


def place_prefix_parameter(level, request):
    """``:_placeprefix_oblast``: the code prefix of the request's ``oblast`` (the parameter names the level); none given, NULL."""
    if level not in request.args:
        return None
    try:
        return place_prefix(request.args[level], level)
    except UnknownPlace as error:
        raise BadParameter(str(error)) from None


@hookimpl
def register_magic_parameters(datasette):
    return [("match", match_parameter), ("placeprefix", place_prefix_parameter)]


@hookimpl
def prepare_connection(conn):
    conn.create_function("hromada_match", 1, hromada_match, deterministic=True)
    conn.create_function("hromada_place_prefix", 2, hromada_place_prefix, deterministic=True)
    conn.create_function("hromada_snippet", 2, hromada_snippet, deterministic=True)


@hookimpl
def render_cell(value, column):
    if column != "snippet" or not isinstance(value, str):
        return None
    escaped = str(escape(value))
    return Markup(escaped.replace(str(escape(MARK_OPEN)), MARK_OPEN).replace(str(escape(MARK_CLOSE)), MARK_CLOSE))
