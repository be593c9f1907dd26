"""Running a crawl: Scrapy settings from our options, the news spider, and the run summary."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.archive.store import DEFAULT_ARCHIVE, Archive, atomic, describe_database_error
from crawler.crawl.lock import CrawlLock

logger = logging.getLogger(__name__)

# For loopback sample sites: no politeness delays, more parallelism, short timeouts.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_TIMEOUT": 5,
    "RETRY_TIMES": 1,
}


@dataclass
class CrawlOptions:
    archive_path: Path
    registry_path: Path
    source_ids: tuple[str, ...] = ()
    base_urls: dict | None = None
    now: datetime | None = None
    local: bool = False
    log_level: str = "WARNING"
    since: datetime | None = None      # None: HROMADA_SINCE_DAYS back from now
    backfill: bool = False
    refresh: bool = False
    progress: str = "auto"             # auto | live | log | off (crawler/crawl/progress.py)
    overrides: dict | None = None


CRAWL_CACHE_KIB = 32 * 1024
#: SQLite's primary result codes that mean the archive's storage failed (not one statement's data).
STORAGE_FAILURES = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CORRUPT,
                    sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB}
CLOSE_REASON_ARCHIVE_FAILED = "archive_failed"
#: A crawl keeps a file this large beside the archive (``<archive>-reserve``) and deletes it when the archive fails
#: the run, so that the run's end and its failure can still be recorded on a disk that has filled up.
RESERVE_BYTES = 256 * 1024


def is_storage_failure(error: sqlite3.Error) -> bool:
    """A full disk, an I/O error, a file gone read-only or damaged: no later write of the run can succeed."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in STORAGE_FAILURES
    return any(words in str(error) for words in ("disk is full", "disk I/O error", "readonly database", "malformed"))


class CrawlArchive:
    """The one archive connection of a crawl, shared by the spider, middleware, run recorder and pipelines.

    Writes of many items share one transaction, committed every ``HROMADA_COMMIT_ITEMS`` finished items or
    ``HROMADA_COMMIT_SECONDS`` seconds (checked as items finish) and when the last user releases it. A
    killed crawl loses at most the uncommitted items; their ``crawl_urls`` rows go with them, so the next
    run fetches them again. Each user calls :meth:`open` once and :meth:`release` once.

    A storage failure (a full disk, an I/O error) on a write or a commit fails the run (:meth:`fail`): the open
    batch is rolled back, its stored articles uncounted and its finished items counted as ``archive`` errors of
    their sources, the crawl is stopped, nothing more is written, and ``failure`` says why for the run record,
    written into the room freed by deleting the reserve file (``RESERVE_BYTES``). What earlier batches
    committed stays.
    """

    def __init__(self, path, commit_items: int, commit_seconds: float, clock=time.monotonic):
        self.archive = Archive(path)
        # One connection does all of a crawl's writes: a page cache bigger than the default 2 MB keeps the
        # index pages that every article touches (URL, LSH buckets, full-text segments) in memory.
        self.archive.db.execute(f"pragma cache_size = -{CRAWL_CACHE_KIB}")
        self.commit_items, self.commit_seconds, self.clock = commit_items, commit_seconds, clock
        self.crawler = None  # set by of(): the crawler whose connection this is
        self.users = 0
        self.batch_items: Counter[str] = Counter()  # finished items of the open batch, per source
        self.batch_counts: Counter[str] = Counter()  # stats counted for what the open batch stores
        self.batch_started = clock()
        self.failure: str | None = None
        self.reserve = Path(f"{path}-reserve")
        self.reserve.write_bytes(b"\0" * RESERVE_BYTES)

    @classmethod
    def of(cls, crawler) -> "CrawlArchive":
        """The crawler's shared archive, opened on first use (and again after its last user released it)."""
        shared = getattr(crawler, "hromada_archive", None)
        if shared is None:
            settings = crawler.settings
            shared = cls(settings.get("HROMADA_ARCHIVE") or DEFAULT_ARCHIVE, settings.getint("HROMADA_COMMIT_ITEMS"),
                         settings.getfloat("HROMADA_COMMIT_SECONDS"))
            shared.crawler = crawler
            crawler.hromada_archive = shared
        return shared

    def open(self) -> Archive:
        self.users += 1
        return self.archive

    def release(self) -> None:
        """The last user's release commits and closes the connection."""
        self.users -= 1
        if self.users <= 0:
            try:
                self.commit()
            except sqlite3.Error as error:
                self.fail(error)
            finally:
                self.archive.close()
                self.reserve.unlink(missing_ok=True)
                if self.crawler is not None and getattr(self.crawler, "hromada_archive", None) is self:
                    self.crawler.hromada_archive = None

    @contextmanager
    def writing(self):
        """All or none of one step's writes, inside the open batch (begun here when none is); none at all once
        the archive has failed the run."""
        if self.failure is not None:
            raise sqlite3.OperationalError(f"nothing is written after the archive failed the run: {self.failure}")
        conn = self.archive.db.conn
        if not conn.in_transaction:
            conn.execute("begin")
            self.batch_started = self.clock()
        try:
            with atomic(conn):
                yield self.archive
        except sqlite3.Error as error:
            self.fail_on_storage_error(error)
            raise

    def item_done(self, source_id: str) -> None:
        """An item of the source went through every stage: commit when the batch is big or old enough.
        A failed commit fails the run (:meth:`fail`); the next run fetches again what the batch held."""
        self.batch_items[source_id] += 1
        if sum(self.batch_items.values()) >= self.commit_items or self.clock() - self.batch_started >= self.commit_seconds:
            try:
                self.commit()
            except sqlite3.Error as error:
                self.fail(error)

    def count_stored(self, stat_key: str) -> None:
        """Count what the open batch stores (a ``new`` article): taken back if the batch is rolled back."""
        self.crawler.stats.inc_value(stat_key)
        self.batch_counts[stat_key] += 1

    def commit(self) -> None:
        if self.archive.db.conn.in_transaction:
            self.archive.db.conn.commit()
        self.batch_items.clear()
        self.batch_counts.clear()
        self.batch_started = self.clock()

    def fail_on_storage_error(self, error: sqlite3.Error) -> None:
        if is_storage_failure(error):
            self.fail(error)

    def fail(self, error: sqlite3.Error) -> None:
        """The archive cannot take the run's writes: roll the open batch back, count its finished items as
        ``archive`` errors, keep the first reason as the run's failure and stop the crawl."""
        conn = self.archive.db.conn
        if conn.in_transaction:
            conn.rollback()
        for source_id, items in self.batch_items.items():
            self.crawler.stats.inc_value(f"hromada/{source_id}/errors/archive", items)
        for stat_key, stored in self.batch_counts.items():
            self.crawler.stats.inc_value(stat_key, -stored)  # rolled back: not new, updated or unchanged after all
        lost = sum(self.batch_items.values())
        self.batch_items.clear()
        self.batch_counts.clear()
        self.batch_started = self.clock()
        if self.failure is None:
            self.reserve.unlink(missing_ok=True)
            self.failure = describe_database_error(self.archive.path, error)
            logger.error("archive write failed, stopping the crawl (%d finished items not stored; the next run "
                         "fetches them again): %s", lost, self.failure)
            self.stop_crawl()

    def stop_crawl(self) -> None:
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON_ARCHIVE_FAILED))


def build_settings(options: CrawlOptions):
    settings = get_project_settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("HROMADA_ARCHIVE", str(options.archive_path), priority="cmdline")
    settings.set("HROMADA_REGISTRY", str(options.registry_path), priority="cmdline")
    settings.set("HROMADA_BASE_URLS", options.base_urls or {}, priority="cmdline")
    settings.set("HROMADA_NOW", options.now.isoformat() if options.now else None, priority="cmdline")
    settings.set("LOG_LEVEL", options.log_level, priority="cmdline")
    settings.set("HROMADA_SINCE", options.since.isoformat() if options.since else None, priority="cmdline")
    settings.set("HROMADA_BACKFILL", options.backfill, priority="cmdline")
    settings.set("HROMADA_REFRESH", options.refresh, priority="cmdline")
    settings.set("HROMADA_PROGRESS", options.progress, priority="cmdline")
    for key, value in {**(LOCAL_SETTINGS if options.local else {}), **(options.overrides or {})}.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> int:
    """Crawl in this process (once per process: Twisted's reactor cannot restart). Returns the run id.

    Raises :class:`crawler.crawl.lock.LockHeld` when another crawl is running on the archive.
    """
    process = CrawlerProcess(build_settings(options))
    crawler = process.create_crawler("news")
    with CrawlLock(options.archive_path):
        process.crawl(crawler, source=",".join(options.source_ids))
        process.start()
    run_id = crawler.stats.get_value("hromada/run_id")
    if run_id is None:
        raise RuntimeError("the crawl ended before it recorded a run; see the log above")
    return run_id


def run_summary(archive: Archive, run_id: int) -> list[dict]:
    """One row per source of a run: pages, new/updated/unchanged, dropped and errors by reason."""
    rows = list(archive.db.query(
        "select * from run_sources where run_id = ? order by source_id", [run_id]))
    for row in rows:
        row["dropped"] = json.loads(row["dropped"] or "{}")
        row["errors"] = json.loads(row["errors"] or "{}")
    return rows
