"""What the researcher's pages show, read from one SQLite connection of the archive.

Each function takes the connection Datasette gives a request (read-only) and returns plain data for a
template of ``templates/``; nothing here knows about HTTP. The search page asks
crawler/archive/search.py, exactly as ``hromada search`` does; its export is crawler/archive/export.py's.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import io
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from crawler.archive.search import Filters, Hit, compile_query, matching_sql, search

RESULTS_SHOWN = 50
FACET_VALUES_SHOWN = 12
LEAD_WORDS = 40  # words of an article's start shown in place of a snippet when nothing was searched
WEEKS_UP_TO_DAYS = 120  # a timeline spanning at most this many days counts per week, a longer one per month
SPARKLINE_WEEKS = 26


class FormError(ValueError):
    """A search form value that cannot be used; the message says which and why (keys of crawler/web/i18n.py)."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


# -- the search form ------------------------------------------------------------------
@dataclass(frozen=True)
class SearchForm:
    """The search page's parameters: the query, the facet filters (place codes, source ids) and dates."""

    q: str = ""
    oblast: str = ""
    hromada: str = ""
    source: str = ""
    language: str = ""
    since: str = ""
    until: str = ""
    sort: str = "rank"

    @classmethod
    def from_args(cls, args) -> "SearchForm":
        values = {name: (args.get(name) or "").strip() for name in cls.__dataclass_fields__}
        values["sort"] = values["sort"] if values["sort"] in ("rank", "newest") else "rank"
        return cls(**values)

    def filters(self) -> Filters:
        """The filters of ``hromada search``; raises FormError for bad dates (and UnknownPlace for bad places)."""
        since, until = _day(self.since), _day(self.until)
        if since and until and since > until:
            raise FormError("dates_reversed")
        filters = Filters(sources=(self.source,) if self.source else (), oblast=self.oblast or None,
                          hromada=self.hromada or None, since=since, until=until, language=self.language or None)
        filters.place_codes()
        return filters

    def link(self, **changes) -> str:
        """The query string of this form with ``changes`` (an empty value drops the parameter)."""
        values = {**self.__dict__, **changes}
        return "?" + urlencode({name: value for name, value in values.items()
                                if value and not (name == "sort" and value == "rank")})

    def toggled(self, name: str, value: str) -> str:
        """The link that sets facet ``name`` to ``value``, or clears it when it already is."""
        return self.link(**{name: "" if getattr(self, name) == value else value})


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormError("bad_date", value=value) from None


# -- search results, facets, timeline ------------------------------------------------------
@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    link: str


@dataclass
class SearchPage:
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    period: str = "month"
    timeline: list[tuple[str, int]] = field(default_factory=list)
    undated: int = 0


    def to_json(self) -> dict:
        return {"total": self.total, "hits": [hit.as_dict() for hit in self.hits],
                "facets": {name: [{"value": item.value, "label": item.label, "count": item.count} for item in values]
                           for name, values in self.facets.items()},
                "period": self.period, "timeline": [{"period": period, "articles": count} for period, count in self.timeline],
                "undated": self.undated}


MATCH_COLUMNS = "a.id, a.source_id, a.language, a.published_at"
MATCHES_TABLE = "temp.hromada_page_matches"  # one request's matches; the connection's own, dropped after


def search_page(conn: sqlite3.Connection, form: SearchForm) -> SearchPage:
    """Every match of the form counted by facet and period; the best (or newest) RESULTS_SHOWN of them.

    The matches go into a temporary table once, which SQL then counts by source, language, place and day.
    Raises FormError, or SearchQueryError (UnknownPlace included) whose message says what is wrong.
    """
    filters = form.filters()
    compiled = compile_query(form.q) if form.q else None
    sql, params = matching_sql(conn, MATCH_COLUMNS, filters, compiled, "newest")
    conn.execute(f"drop table if exists {MATCHES_TABLE}")
    conn.execute(f"create table {MATCHES_TABLE} as {sql}", params)  # rowid order: newest first
    try:
        total = conn.execute(f"select count(*) from {MATCHES_TABLE}").fetchone()[0]
        page = SearchPage(total=total, facets=_facets(conn, form))
        page.period, page.timeline, page.undated = _timeline(_day_counts(conn), total)
        newest = [row[0] for row in conn.execute(f"select id from {MATCHES_TABLE} order by rowid limit ?", [RESULTS_SHOWN])]
    finally:
        conn.execute(f"drop table {MATCHES_TABLE}")
    page.hits = search(conn, form.q, filters, sort=form.sort, limit=RESULTS_SHOWN) if compiled else _newest_hits(conn, newest)
    return page


def _facets(conn, form: SearchForm) -> dict[str, list[FacetValue]]:
    sources = Counter({(source_id, name or source_id): count for source_id, name, count in conn.execute(
        f"select m.source_id, s.name, count(*) from {MATCHES_TABLE} m left join sources s on s.id = m.source_id "
        f"group by m.source_id")})
    languages = Counter({(language, language): count for language, count in conn.execute(
        f"select language, count(*) from {MATCHES_TABLE} where language <> '' group by language")})
    counted = {"oblast": _place_counts(conn, "oblast"), "hromada": _place_counts(conn, "hromada"),
               "source": sources, "language": languages}
    return {name: _facet_values(form, name, counts) for name, counts in counted.items()}


def _facet_values(form: SearchForm, name: str, counts: Counter) -> list[FacetValue]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][1]))[:FACET_VALUES_SHOWN]
    return [FacetValue(value, label, count, getattr(form, name) == value, form.toggled(name, value))
            for (value, label), count in ranked]


def _place_counts(conn, level: str) -> Counter:
    """Matches about each unit of the level (an article counts once however many of the unit's places it names):
    a unit's code prefix is shared by every place inside it (crawler/analysis/places.py scope_prefix)."""
    from crawler.analysis.places import PREFIX_WIDTH

    counts = Counter()
    for prefix, articles in conn.execute(
            f"select substr(katottg, 1, {PREFIX_WIDTH[level]}) as prefix, count(distinct article_id) from article_places "
            f"where article_id in (select id from {MATCHES_TABLE}) group by prefix"):
        unit = _enclosing(prefix, level)
        if unit is not None:
            counts[unit] += articles
    return counts


@functools.lru_cache(maxsize=4096)
def _enclosing(code: str, level: str) -> tuple[str, str] | None:
    from crawler.analysis.places import enclosing_unit

    unit = enclosing_unit(code, level)
    return (unit.code, unit.name) if unit is not None else None


def _day_counts(conn) -> dict[date, int]:
    return {date.fromisoformat(day): count for day, count in conn.execute(
        f"select substr(published_at, 1, 10) as day, count(*) from {MATCHES_TABLE} where published_at <> '' "
        f"group by day")}


def _timeline(day_counts: dict[date, int], total: int) -> tuple[str, list[tuple[str, int]], int]:
    """("week" or "month", [(period, articles)] with every period between the first and last shown, undated count)
    of ``total`` matches, ``day_counts`` of them dated."""
    from crawler.web.charts import month_starts, week_start, week_starts

    undated = total - sum(day_counts.values())
    if not day_counts:
        return "month", [], undated
    first, last = min(day_counts), max(day_counts)
    counts = Counter()
    if (last - first).days <= WEEKS_UP_TO_DAYS:
        for day, count in day_counts.items():
            counts[week_start(day)] += count
        return "week", [(start.isoformat(), counts[start]) for start in week_starts(first, last)], undated
    for day, count in day_counts.items():
        counts[day.replace(day=1)] += count
    return "month", [(start.isoformat()[:7], counts[start]) for start in month_starts(first, last)], undated


HIT_SQL = """select a.id, a.url, a.source_id, s.name, s.oblast, s.hromada, a.title, a.published_at, a.language, a.text
             from articles a left join sources s on s.id = a.source_id where a.id = ?"""


def _newest_hits(conn, article_ids: list[int]) -> list[Hit]:
    hits = []
    for article_id in article_ids:
        row = conn.execute(HIT_SQL, [article_id]).fetchone()
        lead = " ".join((row[9] or "").split()[:LEAD_WORDS])
        hits.append(Hit(*row[:9], score=None, snippet=[(lead + " …", False)] if lead else []))
    return hits


# -- export ------------------------------------------------------------------------
def export_zip(conn, form: SearchForm, *, archive_path: Path, now: datetime) -> bytes:
    """A zip of what ``hromada export -o hromada-export.csv`` writes for this search: the CSV, its manifest, its codebook."""
    from crawler.archive.export import ExportRequest, export, sidecar_paths

    with tempfile.TemporaryDirectory(prefix="hromada-web-export-") as directory:
        output = Path(directory) / "hromada-export.csv"
        request = ExportRequest(output=output, format="csv", query=form.q or None, filters=form.filters(),
                                sort=form.sort if form.q else "newest")
        schema_version = conn.execute("pragma user_version").fetchone()[0]
        export(conn, request, archive_path=archive_path, schema_version=schema_version, now=now)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in (output, *sidecar_paths(output)):
                archive.write(path, path.name)
    return buffer.getvalue()


# -- one article --------------------------------------------------------------------
@dataclass
class Revision:
    number: int
    fetched_at: str | None
    title: str | None
    published_at: str | None
    modified_at: str | None
    has_page: bool = False  # its raw page is kept: /article/ID/snapshot?revision=N
    diff: list[tuple[str, str]] = field(default_factory=list)  # (" ", "+", "-" or "@", line) against the one before


def _columns(conn, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"pragma table_info({table})")}


def article(conn, article_id: int) -> dict | None:
    """Everything the article page shows, or None when the archive has no such article."""
    conn_rows = conn.execute("""select a.*, s.name as source_name, s.homepage as source_homepage
                                from articles a left join sources s on s.id = a.source_id where a.id = ?""", [article_id])
    names = [column[0] for column in conn_rows.description]
    row = conn_rows.fetchone()
    if row is None:
        return None
    found = dict(zip(names, row))
    found["places"] = [dict(zip(("katottg", "level", "name", "how"), place)) for place in conn.execute(
        "select katottg, level, name, how from article_places where article_id = ? order by how, level, name", [article_id])]
    found["story"] = _story(conn, found.get("story_id"))
    raw = conn.execute("select fetched_url, fetched_at, http_status from raw_pages where article_id = ?", [article_id]).fetchone()
    found["snapshot"] = dict(zip(("fetched_url", "fetched_at", "http_status"), raw)) if raw else None
    found["revisions"] = revisions(conn, article_id, current_page=raw is not None)
    found.setdefault("removed_at", None)
    return found


def _story(conn, story_id: int | None) -> list[dict]:
    """The articles of a story (reposts of one text), original first; none when it has only the one article."""
    if story_id is None:
        return []
    rows = conn.execute("""select a.id, a.title, a.published_at, a.is_original, s.name from articles a
                           left join sources s on s.id = a.source_id where a.story_id = ?
                           order by a.is_original desc, a.published_at, a.id""", [story_id]).fetchall()
    story = [dict(zip(("id", "title", "published_at", "is_original", "source_name"), row)) for row in rows]
    return story if len(story) > 1 else []


REVISION_COLUMNS = ("revision", "fetched_at", "title", "text", "published_at", "modified_at", "html_gz")


def revisions(conn, article_id: int, current_page: bool = False) -> list[Revision]:
    """The article's revisions, first to current, each with its diff from the one before; none in an archive
    that keeps no revisions (no ``article_revisions`` table) or when it was never changed. The current
    revision's page is the article's stored page (``current_page``: there is one)."""
    if not _keeps_revisions(conn):
        return []
    rows = conn.execute(f"select {', '.join(REVISION_COLUMNS[:-1])}, html_gz is not null from article_revisions "
                        "where article_id = ? order by revision", [article_id]).fetchall()
    if len(rows) < 2:
        return []
    found, previous = [], None
    for position, (number, fetched_at, title, text, published_at, modified_at, kept) in enumerate(rows, start=1):
        revision = Revision(number, fetched_at, title, published_at, modified_at,
                            has_page=bool(kept) or (position == len(rows) and current_page))
        if previous is not None:
            revision.diff = text_diff(f"{previous[0] or ''}\n\n{previous[1] or ''}", f"{title or ''}\n\n{text or ''}")
        found.append(revision)
        previous = (title, text)
    return found


def _keeps_revisions(conn) -> bool:
    return set(REVISION_COLUMNS) <= _columns(conn, "article_revisions")


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Changed paragraphs of two texts, with one paragraph of context: (" ", "+", "-" or "@" for a gap, line)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
    changed = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        changed.append(("@", "…") if line.startswith("@@") else (line[:1], line[1:]))
    return changed


# -- the archived page ----------------------------------------------------------------
#: Served with the archived page: no script runs, nothing is fetched from anywhere but inline styles and data: images.
SNAPSHOT_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
                   "form-action 'none'; frame-ancestors 'self'; sandbox")
BODY_TAG = re.compile(rb"<body\b[^>]*>", re.I)
META_REFRESH = re.compile(rb"<meta[^>]+http-equiv\s*=\s*[\"']?refresh[^>]*>", re.I)


def snapshot(conn, article_id: int, revision: int | None = None) -> dict | None:
    """The stored raw page of an article (``html`` as bytes, ``encoding``, where and when it was fetched), or None;
    with ``revision``, the page of that revision (crawler/archive/store.py keeps superseded ones)."""
    if revision is not None:
        return _revision_snapshot(conn, article_id, revision)
    row = conn.execute("""select r.fetched_url, r.fetched_at, r.encoding, r.html_gz, a.url from raw_pages r
                          join articles a on a.id = r.article_id where r.article_id = ?""", [article_id]).fetchone()
    if row is None or row[3] is None:
        return None
    fetched_url, fetched_at, encoding, html_gz, url = row
    return {"fetched_url": fetched_url or url, "fetched_at": fetched_at, "encoding": encoding or "utf-8",
            "html": gzip.decompress(html_gz)}


def _revision_snapshot(conn, article_id: int, revision: int) -> dict | None:
    from crawler.archive.store import revision_snapshot

    if not _keeps_revisions(conn):
        return None
    found = revision_snapshot(conn, article_id, revision)
    if found is None:
        return None
    url = conn.execute("select url from articles where id = ?", [article_id]).fetchone()[0]
    return {**found, "fetched_url": found["fetched_url"] or url, "encoding": found["encoding"] or "utf-8"}


def with_banner(html: bytes, banner: str, encoding: str) -> str:
    """The archived page as text, with ``banner`` (HTML) first in its body and any meta refresh removed."""
    html = META_REFRESH.sub(b"", html)
    body = BODY_TAG.search(html)
    at = body.end() if body else 0
    try:
        before, after = html[:at].decode(encoding, "replace"), html[at:].decode(encoding, "replace")
    except LookupError:  # an encoding name Python does not know
        before, after = html[:at].decode("utf-8", "replace"), html[at:].decode("utf-8", "replace")
    return before + banner + after


# -- sources ---------------------------------------------------------------------------
def sources(conn) -> tuple[list, dict[str, list[int]], list[date]]:
    """Health of every source of the archive, crawled or not (crawler/crawl/health.py, worst first), its articles per week
    over the SPARKLINE_WEEKS weeks up to the last crawl, and those weeks' first days."""
    from crawler.archive.sqlite_utils_import import import_sqlite_utils
    from crawler.crawl.health import source_health
    from crawler.web.charts import week_start

    rows = source_health(import_sqlite_utils().Database(conn), dict(conn.execute("select id, coalesce(name, id) from sources")))
    weeks = _sparkline_weeks(conn)
    index = {start: position for position, start in enumerate(weeks)}
    per_week = {row.source_id: [0] * len(weeks) for row in rows}
    published = conn.execute("select source_id, substr(published_at, 1, 10) from articles where published_at >= ?",
                             [weeks[0].isoformat()])
    for source_id, day in published:
        position = index.get(week_start(date.fromisoformat(day)))
        if position is not None and source_id in per_week:
            per_week[source_id][position] += 1
    return rows, per_week, weeks


def _sparkline_weeks(conn) -> list[date]:
    """The week of the archive's last crawl (its newest article when it records no run) and the weeks before."""
    from crawler.web.charts import week_start

    last = conn.execute("select max(coalesce(finished_at, started_at)) from runs").fetchone()[0]
    last = last or conn.execute("select max(published_at) from articles").fetchone()[0]
    end = week_start(date.fromisoformat(last[:10])) if last else week_start(date(1970, 1, 1))
    return [end - timedelta(weeks=SPARKLINE_WEEKS - 1 - offset) for offset in range(SPARKLINE_WEEKS)]
