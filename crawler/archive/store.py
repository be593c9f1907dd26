"""The SQLite archive: articles, their raw pages, sources and crawl runs.

One :class:`Archive` per database file. Writes happen in transactions; the
database runs in WAL mode so readers (search, Datasette) never block a crawl.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from crawler import PROJECT_DIR
from crawler.archive.search import PENDING_TABLE, index_articles
from crawler.archive.sqlite_utils_import import import_sqlite_utils

sqlite_utils = import_sqlite_utils()

DEFAULT_ARCHIVE = PROJECT_DIR / "data" / "archive.db"

ARTICLE_COLUMNS = {
    "id": int,
    "url": str,
    "source_id": str,
    "title": str,
    "text": str,
    "published_at": str,
    "published_raw": str,
    "date_source": str,
    "modified_at": str,
    "modified_raw": str,
    "modified_source": str,
    "author": str,
    "language": str,
    "fetched_at": str,
    "first_seen_at": str,
    "content_hash": str,
    "extractor_version": str,
}

#: What an article revision holds of the article row (besides its number and fetch time).
REVISION_TEXT_COLUMNS = ("title", "text", "published_at", "published_raw", "modified_at", "modified_raw", "content_hash")


def _migration_1(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {"id": str, "name": str, "homepage": str, "kind": str, "oblast": str, "hromada": str,
         "katottg": str, "language": str, "verified": int},
        pk="id",
    )
    db["articles"].create(ARTICLE_COLUMNS, pk="id", foreign_keys=[("source_id", "sources", "id")])
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["source_id", "published_at"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["published_at"])
    db["raw_pages"].create(
        {"article_id": int, "fetched_url": str, "fetched_at": str, "http_status": int,
         "content_type": str, "encoding": str, "html_gz": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["runs"].create(
        {"id": int, "started_at": str, "finished_at": str, "status": str, "sources": str, "args": str},
        pk="id",
    )
    db["run_sources"].create(
        {"run_id": int, "source_id": str, "pages": int, "articles_new": int, "articles_updated": int,
         "articles_unchanged": int, "dropped": str, "errors": str, "duration_s": float, "status": str},
        pk=("run_id", "source_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")


def _migration_2_search(db: sqlite_utils.Database) -> None:
    """Lemma search index (see crawler/archive/search.py), its queue and triggers, the articles_browse view."""
    from crawler.archive.search import PENDING_TABLE, create_search_schema

    create_search_schema(db.conn)
    db.execute(f"insert or ignore into {PENDING_TABLE}(article_id) select id from articles")  # indexed by migration 6


def _migration_3_places_stories(db: sqlite_utils.Database) -> None:
    """Places each article is about (crawler/analysis/places.py) and repost stories (crawler/archive/stories.py)."""
    db["article_places"].create(
        {"article_id": int, "katottg": str, "level": str, "name": str, "how": str},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_places"].create_index(["article_id", "katottg", "how"], unique=True)
    db["article_places"].create_index(["katottg"])
    db["articles"].add_column("story_id", int)
    db["articles"].add_column("is_original", int)
    db["articles"].create_index(["story_id"])
    db["article_minhash"].create({"article_id": int, "signature": bytes}, pk="article_id",
                                 foreign_keys=[("article_id", "articles", "id")])
    db["story_buckets"].create({"bucket": bytes, "article_id": int}, foreign_keys=[("article_id", "articles", "id")])
    db["story_buckets"].create_index(["bucket"])
    db["story_buckets"].create_index(["article_id"])


def _migration_4_incremental(db: sqlite_utils.Database) -> None:
    """Incremental crawls (crawler/crawl/spider_base.py, crawler/crawl/runlog.py): HTTP validators of discovery pages,
    fetched pages that need no refetch, and more per-run counts."""
    db["url_validators"].create(
        {"url": str, "source_id": str, "etag": str, "last_modified": str, "checked_at": str}, pk="url")
    db["crawl_urls"].create({"url": str, "source_id": str, "outcome": str, "seen_at": str}, pk="url")
    db["run_sources"].add_column("pages_unchanged", int)
    db["run_sources"].add_column("articles_skipped", int)
    db["run_sources"].add_column("article_pages", int)
    db["run_sources"].add_column("links_found", int)
    db["raw_pages"].create_index(["fetched_url"])


def _migration_5_fts_on_text_updates(db: sqlite_utils.Database) -> None:
    """Reindex an article's full text only when its title or text change, not on every update of the row
    (story ids, fetch times): the trigger cost about 1 ms per updated row, see benchmarks/pipeline_stages.py."""
    db.execute('drop trigger if exists "articles_au"')
    db.execute("""create trigger "articles_au" after update of "title", "text" on "articles" begin
        insert into "articles_fts" ("articles_fts", rowid, "title", "text") values ('delete', old.rowid, old."title", old."text");
        insert into "articles_fts" (rowid, "title", "text") values (new.rowid, new."title", new."text");
        end""")


def _migration_6_search_filters(db: sqlite_utils.Database) -> None:
    """Filter tokens (source, language, year, month, places) in the lemma index, so filtered searches
    narrow inside FTS5 (crawler/archive/search.py); then index whatever is still queued."""
    from crawler.archive.search import PENDING_TABLE, add_search_filters, index_articles

    add_search_filters(db.conn)
    index_articles(db, [row[0] for row in db.execute(f"select article_id from {PENDING_TABLE}")])


def _migration_7_place_scope_tokens(db: sqlite_utils.Database) -> None:
    """Place tokens for every scope of a place (UA05, UA0512, UA0512017), so a place filter is one token,
    not a prefix query (crawler/archive/search.py; nothing to do when migration 6 has just written them), and an
    (id, published_at) index to sort search matches by date without reading article rows."""
    from crawler.archive.search import DATES_INDEX, add_search_filters, filter_tokens_current

    if not filter_tokens_current(db.conn):
        add_search_filters(db.conn)
    db.execute(f"create index if not exists {DATES_INDEX} on articles(id, published_at)")


def _migration_source_templates(db: sqlite_utils.Database) -> None:
    """Each source's learned template (crawler/analysis/template.py), one row per version."""
    db.execute("""create table if not exists source_templates (
                      source_id text not null, version integer not null, learned_at text not null,
                      pages integer not null, template_json text not null, primary key (source_id, version))""")


def _add_missing_column(db: sqlite_utils.Database, table: str, column: str, declaration: str) -> None:
    if column not in {row[1] for row in db.execute(f"pragma table_info({table})")}:
        db.execute(f"alter table {table} add column {column} {declaration}")


def _migration_article_revisions(db: sqlite_utils.Database) -> None:
    """Every revision of an article the publisher changed (title or text), with its superseded raw page;
    the article's current revision number, when the publisher removed it (404/410), and removals per run."""
    db.execute("""create table if not exists article_revisions (
                      article_id integer not null references articles(id), revision integer not null,
                      fetched_at text, title text, text text, published_at text, published_raw text,
                      modified_at text, modified_raw text, content_hash text, fetched_url text, encoding text,
                      html_gz blob, primary key (article_id, revision))""")
    _add_missing_column(db, "articles", "revision", "integer not null default 1")
    _add_missing_column(db, "articles", "removed_at", "text")
    _add_missing_column(db, "run_sources", "articles_removed", "integer")


def _migration_run_failure(db: sqlite_utils.Database) -> None:
    """Why a run failed when the archive itself failed it (a full disk, an I/O error): ``runs.failure``."""
    _add_missing_column(db, "runs", "failure", "text")


def _migration_page_faults(db: sqlite_utils.Database) -> None:
    """Content faults of a run per source (``run_sources.faults``: title_truncated, date_impossible; see
    docs/faults.md), and per-URL extraction backoff (``crawl_urls.failures``, ``crawl_urls.retry_at``: see
    crawler/crawl/spider_base.py)."""
    _add_missing_column(db, "run_sources", "faults", "text")
    _add_missing_column(db, "crawl_urls", "failures", "integer")
    _add_missing_column(db, "crawl_urls", "retry_at", "text")


MIGRATIONS = [_migration_1, _migration_2_search, _migration_3_places_stories, _migration_4_incremental,
              _migration_5_fts_on_text_updates, _migration_6_search_filters, _migration_7_place_scope_tokens,
              _migration_source_templates, _migration_article_revisions, _migration_run_failure,
              _migration_page_faults]
SCHEMA_VERSION = len(MIGRATIONS)


class ArchiveError(RuntimeError):
    """The archive file cannot be used as asked; the message names the file and what to do."""


SQLITE_HEADER = b"SQLite format 3\x00"
#: Below this much free space on its disk, an archive is not opened for writing (a crawl would fail on its
#: first batch); reading needs none.
MIN_FREE_BYTES = 1024 * 1024


def check_archive_file(path: Path, *, for_writing: bool) -> None:
    """Raise :class:`ArchiveError` when ``path`` cannot be an archive, before SQLite touches it: a directory,
    an empty or non-SQLite file, a truncated one; for writing also a read-only file (a full disk is checked
    once the archive is open, :func:`check_free_space`). A path that does not exist yet is fine for writing."""
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive file; give --db a file")
    if not path.exists():
        if not for_writing:
            raise ArchiveError(f"no archive at {path}; run `hromada crawl` or `hromada demo` first")
        return
    check_sqlite_header(path)
    if for_writing and not writable(path):
        raise ArchiveError(f"{path} is read-only: commands that write (crawl, demo, ingest, reindex, reextract, "
                           f"search --reindex) cannot use it, reading commands can; make it writable or copy it")


def check_sqlite_header(path: Path) -> None:
    """An SQLite file starts with its magic string, and is as long as its header says (a whole number of pages).
    Beside a WAL with frames in it the file may be shorter (a checkpoint the disk had no room for): SQLite replays
    the WAL, and reports real damage itself."""
    with path.open("rb") as file:
        header = file.read(100)
    size = path.stat().st_size
    if size == 0:
        raise ArchiveError(f"{path} is an empty file, not an archive; delete it, or give --db an archive or a new file name")
    if not header.startswith(SQLITE_HEADER):
        raise ArchiveError(f"{path} is not a hromada archive (not an SQLite database); "
                           f"give --db an archive or a new file name")
    page_size = int.from_bytes(header[16:18], "big") if len(header) >= 18 else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if len(header) >= 100 else 0
    header_count_valid = len(header) >= 100 and header[92:96] == header[24:28]
    wal = Path(f"{path}-wal")
    shorter_than_header = size % page_size or (header_count_valid and size < pages * page_size) if page_size else True
    wal_replays = wal.exists() and wal.stat().st_size > 0
    if len(header) < 100 or page_size < 512 or (shorter_than_header and not wal_replays):
        raise ArchiveError(f"{path} is damaged: a truncated SQLite file ({size} bytes); "
                           f"restore it from a backup, or give --db another file")


def writable(path: Path) -> bool:
    """Whether this process may write the file and the directory beside it (SQLite adds -wal and -shm files);
    a read-only mount says no even to root."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def check_free_space(path: Path) -> None:
    nearest_existing = next(folder for folder in (path.parent, *path.parent.parents) if folder.exists())
    free = shutil.disk_usage(nearest_existing).free
    if free < MIN_FREE_BYTES:
        raise ArchiveError(f"the disk holding {path} is full ({free // 1024} KiB free); free space and run again")


def describe_database_error(path: Path, error: sqlite3.Error) -> str:
    """One line for an SQLite error on the archive at ``path``: what is wrong and what to do."""
    message = str(error)
    if "file is not a database" in message:
        return f"{path} is not a hromada archive (not an SQLite database); give --db an archive or a new file name"
    if "malformed" in message or "corrupt" in message:
        return f"{path} is damaged ({message}); restore it from a backup, or give --db another file"
    if "full" in message or getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return f"the disk holding {path} is full ({message}); free space and run again"
    if "readonly" in message or "read-only" in message:
        return f"{path} is read-only ({message}); make it writable, or use a reading command"
    if "locked" in message or "busy" in message:
        return f"{path} is in use by another process ({message}); try again when it is done"
    if "no such table" in message or "no such column" in message:
        return f"{path} is not a hromada archive, or an incomplete one ({message}); give --db an archive"
    return f"cannot use the archive {path} ({message}); check the file and the disk it is on"


def content_hash(title: str | None, text: str) -> str:
    normalized = " ".join(f"{title or ''}\n{text}".lower().split())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def utc_moment(value: str | None) -> datetime | None:
    """An archived ISO 8601 time as an aware datetime (a time without offset is UTC); None when empty or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@contextmanager
def atomic(conn: sqlite3.Connection):
    """All or none of the writes inside: committed at the end when no transaction was open, else
    merged into the open one (a crawl's batch, see :class:`crawler.crawl.run.CrawlArchive`)."""
    conn.execute("savepoint hromada_atomic")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite rolls a whole transaction back itself on some errors (a full disk)
            conn.execute("rollback to hromada_atomic")
            conn.execute("release hromada_atomic")
        raise
    conn.execute("release hromada_atomic")


def revision_snapshot(conn: sqlite3.Connection, article_id: int, revision: int) -> dict | None:
    """The raw page of one revision of an article, decompressed, with ``fetched_url``, ``fetched_at`` and
    ``encoding``: a superseded revision's from its ``article_revisions`` row, the current one's from ``raw_pages``;
    None when that page was not kept."""
    row = conn.execute("""select html_gz, fetched_url, fetched_at, encoding from article_revisions
                          where article_id = ? and revision = ? and html_gz is not null""", [article_id, revision]).fetchone()
    if row is None:
        row = conn.execute("""select r.html_gz, r.fetched_url, r.fetched_at, r.encoding from raw_pages r
                              join articles a on a.id = r.article_id where a.id = ? and a.revision = ?""",
                           [article_id, revision]).fetchone()
    if row is None or row[0] is None:
        return None
    return {"html": gzip.decompress(row[0]), "fetched_url": row[1], "fetched_at": row[2], "encoding": row[3]}


class Archive:
    """An archive file opened for reading (``read_only``) or writing; a file that cannot be one, or an SQLite
    error while opening it, raises :class:`ArchiveError` with a one-line message."""

    def __init__(self, path: Path | str = DEFAULT_ARCHIVE, *, read_only: bool = False):
        self.path = Path(path)
        check_archive_file(self.path, for_writing=not read_only)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open_for_reading() if read_only else sqlite_utils.Database(self.path)
            self.check_schema(read_only)
            if not read_only:
                self._prepare_for_writing()
                self.migrate()
                check_free_space(self.path)  # after migrations, so every opening for writing sees the same room
            self.db.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as error:
            self._close_if_open()
            raise ArchiveError(describe_database_error(self.path, error)) from error
        except ArchiveError:
            self._close_if_open()
            raise

    def _close_if_open(self) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()

    def _open_for_reading(self) -> sqlite_utils.Database:
        """Read-only; where SQLite cannot create the WAL index beside a WAL archive (a read-only or a full disk),
        as an immutable file: nothing can change it there, though changes not yet checkpointed are not seen."""
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            connection.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError:
            connection.close()
            if writable(self.path) and shutil.disk_usage(self.path.parent).free >= MIN_FREE_BYTES:
                raise
            connection = sqlite3.connect(f"file:{self.path}?immutable=1", uri=True)
        return sqlite_utils.Database(connection)

    def _prepare_for_writing(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint (and fsync) every ~40 MB of WAL instead of 4 MB: per-article commits of a crawl
        # touch many scattered index pages, and frequent checkpoints tripled their cost.
        self.db.execute("PRAGMA wal_autocheckpoint=10000")
        self.db.execute("PRAGMA foreign_keys=ON")

    # -- schema -----------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def check_schema(self, read_only: bool) -> None:
        """A schema newer than this code knows is never read or migrated; an SQLite file with tables but no
        schema version is someone else's database, and one without tables is no archive to read yet."""
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise ArchiveError(f"{self.path} has schema version {current}, newer than this hromada-news "
                               f"({SCHEMA_VERSION}); upgrade hromada-news to use it")
        if current == 0:
            tables = self.db.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0]
            if tables:
                raise ArchiveError(f"{self.path} is an SQLite database but not a hromada archive; "
                                   f"give --db an archive or a new file name")
            if read_only:
                raise ArchiveError(f"{self.path} holds no archive yet; run `hromada crawl --db {self.path}` first")

    def migrate(self) -> None:
        current = self.schema_version
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.db.conn:
                MIGRATIONS[version - 1](self.db)
                self.db.execute(f"PRAGMA user_version={version}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sources ----------------------------------------------------------
    def sync_sources(self, sources: Iterable) -> None:
        rows = [
            {"id": s.id, "name": s.name, "homepage": s.homepage, "kind": s.kind, "oblast": s.oblast,
             "hromada": s.hromada, "katottg": s.katottg, "language": s.language, "verified": int(s.verified)}
            for s in sources
        ]
        with self.db.conn:
            self.db["sources"].upsert_all(rows, pk="id")

    # -- articles ---------------------------------------------------------
    def article_by_url(self, url: str) -> dict | None:
        rows = list(self.db.query("select * from articles where url = ?", [url]))
        return rows[0] if rows else None

    def url_by_hash(self, digest: str) -> str | None:
        row = self.db.execute("select url from articles where content_hash = ? limit 1", [digest]).fetchone()
        return row[0] if row else None

    def save_article(self, article: dict, raw_page: dict | None = None) -> str:
        """Insert or update one article (keyed by canonical ``url``) with its raw page, and index it for search.

        Returns ``new``, ``updated`` or ``unchanged``.
        """
        return self.store_article(article, raw_page)[0]

    def store_article(self, article: dict, raw_page: dict | None = None, *, index: bool = True) -> tuple[str, int]:
        """:meth:`save_article` returning ``(outcome, article id)``.

        ``index=False`` leaves a new or changed article queued in the search index's
        ``search_pending`` table, for :func:`crawler.archive.search.index_pending` to index
        in a batch (the crawl does, see pipelines/search.py).
        """
        row = {key: article.get(key) for key in ARTICLE_COLUMNS if key != "id"}
        with atomic(self.db.conn):
            existing = self.db.execute(
                "select id, content_hash, published_at, extractor_version, removed_at from articles where url = ?",
                [row["url"]]).fetchone()
            if existing is None:
                row["first_seen_at"] = row.get("first_seen_at") or row["fetched_at"]
                article_id = self._insert_article(row)
                outcome = "new"
            else:
                article_id = existing[0]
                if (existing[1], existing[2], existing[3]) == (row["content_hash"], row["published_at"], row["extractor_version"]):
                    self.db.execute("update articles set fetched_at = ? where id = ?", [row["fetched_at"], article_id])
                    outcome = "unchanged"
                else:
                    row.pop("first_seen_at", None)
                    if existing[1] != row["content_hash"] and self._publisher_changed(article_id, existing[3], row, raw_page):
                        row["revision"] = self._keep_revision(article_id, row)
                    else:
                        self._sync_current_revision(article_id, row)
                    self._update_article(article_id, row)
                    outcome = "updated"
                if existing[4] is not None:  # the page answers again: no longer removed
                    self.db.execute("update articles set removed_at = null where id = ?", [article_id])
            if raw_page is not None:
                self._save_raw_page(article_id, raw_page)
            if outcome != "unchanged":
                if index:
                    index_articles(self.db, [article_id])
                else:
                    self.db.execute(f"insert or ignore into {PENDING_TABLE}(article_id) values (?)", [article_id])
        return outcome, article_id

    # Plain SQL on the write path: sqlite_utils' insert/update/upsert introspect the table on every call.
    def _insert_article(self, row: dict) -> int:
        columns = list(row)
        cursor = self.db.execute(
            f"insert into articles ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
            [row[column] for column in columns])
        return cursor.lastrowid

    def _update_article(self, article_id: int, row: dict) -> None:
        columns = list(row)
        self.db.execute(f"update articles set {', '.join(f'{column} = ?' for column in columns)} where id = ?",
                        [*(row[column] for column in columns), article_id])

    # -- revisions ----------------------------------------------------------
    def _publisher_changed(self, article_id: int, stored_extractor: str | None, row: dict, raw_page: dict | None) -> bool:
        """Whether a changed title or text is the publisher's doing: not when only our extractor changed
        and the page itself came back byte for byte as stored."""
        if stored_extractor == row["extractor_version"] or raw_page is None:
            return True
        stored = self.db.execute("select html_gz from raw_pages where article_id = ?", [article_id]).fetchone()
        return stored is None or stored[0] is None or gzip.decompress(stored[0]) != raw_page["body"]

    def _keep_revision(self, article_id: int, row: dict) -> int:
        """Keep the stored version (its raw page moving into its revision row) and open the next revision
        with ``row``; returns the new revision's number."""
        stored = self.db.execute(
            f"select revision, coalesce(first_seen_at, fetched_at), {', '.join(REVISION_TEXT_COLUMNS)} "
            "from articles where id = ?", [article_id]).fetchone()
        page = self.db.execute("select fetched_url, encoding, html_gz from raw_pages where article_id = ?",
                               [article_id]).fetchone() or (None, None, None)
        current = stored[0] or 1
        columns = ("article_id", "revision", "fetched_at", *REVISION_TEXT_COLUMNS, "fetched_url", "encoding", "html_gz")
        updates = ", ".join(f"{column} = excluded.{column}" for column in columns[3:])
        self.db.execute(f"""insert into article_revisions ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})
                            on conflict (article_id, revision) do update set {updates}""",
                        [article_id, current, stored[1], *stored[2:], *page])
        self.db.execute(f"""insert into article_revisions (article_id, revision, fetched_at, {', '.join(REVISION_TEXT_COLUMNS)})
                            values (?, ?, ?, {', '.join('?' for _ in REVISION_TEXT_COLUMNS)})""",
                        [article_id, current + 1, row["fetched_at"], *(row[column] for column in REVISION_TEXT_COLUMNS)])
        return current + 1

    def _sync_current_revision(self, article_id: int, values: dict) -> None:
        """The current revision's row (when the article has revisions) follows a change that is no new revision:
        a date read anew, a re-extraction."""
        columns = [column for column in REVISION_TEXT_COLUMNS if column in values]
        if columns:
            self.db.execute(f"""update article_revisions set {', '.join(f'{column} = ?' for column in columns)}
                                where article_id = ? and revision = (select revision from articles where id = ?)""",
                            [*(values[column] for column in columns), article_id, article_id])

    def revisions(self, article_id: int) -> list[dict]:
        """The article's revisions, first to current, without their pages; empty when it never changed."""
        return list(self.db.query(
            f"""select revision, fetched_at, {', '.join(REVISION_TEXT_COLUMNS)}, fetched_url, encoding,
                       html_gz is not null as has_page
                from article_revisions where article_id = ? order by revision""", [article_id]))

    def revision_page(self, article_id: int, revision: int) -> bytes | None:
        """The raw page of one revision as fetched (see :func:`revision_snapshot`); None when not kept."""
        found = revision_snapshot(self.db.conn, article_id, revision)
        return found["html"] if found else None

    def mark_removed(self, url: str, at: str) -> str | None:
        """A later visit of ``url`` found it gone (404/410): flag its archived article as removed at ``at``.

        Returns ``removed`` when newly flagged, ``still_removed`` when it already was, None when ``url`` is no
        archived article (by canonical or fetched URL).
        """
        row = self.db.execute("""select id, removed_at from articles where url = ?
                                 union all select a.id, a.removed_at from raw_pages r join articles a on a.id = r.article_id
                                 where r.fetched_url = ? limit 1""", [url, url]).fetchone()
        if row is None:
            return None
        if row[1] is not None:
            return "still_removed"
        self.db.execute("update articles set removed_at = ? where id = ?", [at, row[0]])
        return "removed"

    def archived_urls(self, source_id: str, since: str | None) -> list[str]:
        """The source's archived article URLs published (or, undated, first seen) on or after ``since`` (ISO 8601;
        None: all of them)."""
        if since is None:
            return [url for (url,) in self.db.execute("select url from articles where source_id = ? order by id", [source_id])]
        return [url for (url,) in self.db.execute(
            """select url from articles where source_id = ?
               and datetime(coalesce(published_at, first_seen_at, fetched_at)) >= datetime(?) order by id""",
            [source_id, since])]

    def _save_raw_page(self, article_id: int, raw_page: dict) -> None:
        # Level 1: a third of the CPU time of level 6 for pages about 10% larger.
        self.db.execute(
            """insert into raw_pages (article_id, fetched_url, fetched_at, http_status, content_type, encoding, html_gz)
               values (?, ?, ?, ?, ?, ?, ?)
               on conflict (article_id) do update set fetched_url = excluded.fetched_url,
                  fetched_at = excluded.fetched_at, http_status = excluded.http_status,
                  content_type = excluded.content_type, encoding = excluded.encoding, html_gz = excluded.html_gz""",
            [article_id, raw_page["fetched_url"], raw_page["fetched_at"], raw_page.get("http_status"),
             raw_page.get("content_type"), raw_page.get("encoding"), gzip.compress(raw_page["body"], compresslevel=1)])

    def raw_pages(self) -> Iterator[dict]:
        """Every stored raw page with its article, decompressed, one at a time."""
        sql = """select a.id, a.url, a.source_id, a.fetched_at, a.published_at, a.title, a.text,
                        a.content_hash, r.fetched_url, r.encoding, r.html_gz
                 from articles a join raw_pages r on r.article_id = a.id order by a.id"""
        for row in self.db.query(sql):
            row["html"] = gzip.decompress(row.pop("html_gz"))
            yield row

    def save_template(self, source_id: str, template_json: str, pages: int, learned_at: str) -> int:
        """Store a new version of a source's learned template; returns its version."""
        with self.db.conn:
            (latest,) = self.db.execute("select coalesce(max(version), 0) from source_templates where source_id = ?",
                                        [source_id]).fetchone()
            self.db.execute("insert into source_templates values (?, ?, ?, ?, ?)",
                            [source_id, latest + 1, learned_at, pages, template_json])
        return latest + 1

    def latest_template(self, source_id: str) -> str | None:
        """The template_json of a source's newest learned template, or None."""
        row = self.db.execute("select template_json from source_templates where source_id = ? order by version desc limit 1",
                              [source_id]).fetchone()
        return row[0] if row else None

    def update_article(self, article_id: int, values: dict) -> None:
        with self.db.conn:
            self.db["articles"].update(article_id, values)
            self._sync_current_revision(article_id, values)

    def count_articles(self, source_id: str | None = None) -> int:
        if source_id is None:
            return self.db.execute("select count(*) from articles").fetchone()[0]
        return self.db.execute("select count(*) from articles where source_id = ?", [source_id]).fetchone()[0]

    # -- runs -------------------------------------------------------------
    def start_run(self, source_ids: list[str], args: dict | None = None, started_at: datetime | None = None) -> int:
        with self.db.conn:
            return self.db["runs"].insert(
                {"started_at": (started_at or now_utc()).isoformat(timespec="seconds"), "status": "running",
                 "sources": json.dumps(source_ids), "args": json.dumps(args or {}, ensure_ascii=False)}
            ).last_pk

    def finish_run(self, run_id: int, status: str, per_source: dict[str, dict], finished_at: datetime | None = None,
                   failure: str | None = None) -> None:
        """The run's end: its status, per-source counts, and ``failure``, why the archive failed it (if it did)."""
        rows = []
        for source_id, counts in per_source.items():
            rows.append({
                "run_id": run_id, "source_id": source_id,
                "pages": counts.get("pages", 0),
                "articles_new": counts.get("new", 0),
                "articles_updated": counts.get("updated", 0),
                "articles_unchanged": counts.get("unchanged", 0),
                "articles_removed": counts.get("removed", 0),
                "dropped": json.dumps(counts.get("dropped", {}), ensure_ascii=False),
                "errors": json.dumps(counts.get("errors", {}), ensure_ascii=False),
                "faults": json.dumps(counts.get("faults", {}), ensure_ascii=False),
                "duration_s": counts.get("duration_s"),
                "status": counts.get("status", "ok"),
            })
        with self.db.conn:
            self.db["run_sources"].upsert_all(rows, pk=("run_id", "source_id"))
            self.db.execute("update runs set finished_at = ?, status = ?, failure = ? where id = ?",
                            [(finished_at or now_utc()).isoformat(timespec="seconds"), status, failure, run_id])
