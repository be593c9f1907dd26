"""Datasette plugin: lemmatized search functions for SQL, and highlighted snippets.

``hromada_match(q)`` turns a user query into the FTS5 expression over the
lemma index (the same translation `hromada search` uses); a malformed query
fails with the parser's message. ``hromada_place_prefix(name, level)`` is the
KATOTTG code prefix of a named unit (``UA05`` for Вінницька oblast), so a canned
query can keep articles about places inside it. ``hromada_snippet(text, q)`` returns a window
of the original text with matches wrapped in <mark>, which ``render_cell``
shows as highlights (everything else escaped).
"""

from __future__ import annotations

import functools

from datasette import hookimpl
from markupsafe import Markup, escape

from crawler.places import resolve_place, scope_prefix
from crawler.search import compile_query, over_text_columns, snippet

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
compiled = functools.lru_cache(maxsize=256)(compile_query)  # a query is compiled once, not once per row


def hromada_match(query):
    return over_text_columns(compiled(query or "").match)


@functools.lru_cache(maxsize=256)
def hromada_place_prefix(name, level):
    codes = resolve_place(name or "", level) if name else []
    if len(codes) != 1:
        raise ValueError(f"unknown or ambiguous {level} {name!r}: give its name as in the KATOTTG codifier, or its code")
    return scope_prefix(codes[0])


def hromada_snippet(text, query):
    if not text or not query:
        return None
    pieces = snippet(text, compiled(query).highlight)
    return "".join(f"{MARK_OPEN}{piece}{MARK_CLOSE}" if is_match else piece for piece, is_match in pieces)


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
