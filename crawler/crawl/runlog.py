"""Recording crawl runs: per-source counts from the Scrapy stats into the archive's runs tables.

The recorder also holds the archive's crawl lock (crawler/crawl/lock.py) from the
start of the crawl until the engine stops, and marks runs left "running" by a
killed crawl as "killed" (only the lock holder can see such leftovers).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict

from scrapy import signals
from scrapy.logformatter import LogFormatter
from scrapy.statscollectors import MemoryStatsCollector

from crawler.archive.store import DEFAULT_ARCHIVE
from crawler.crawl.run import CrawlArchive
from crawler.crawl.health import run_verdict
from crawler.crawl.lock import CrawlLock

RUN_STATUS_BY_CLOSE_REASON = {"finished": "finished", "shutdown": "interrupted"}
#: The status of a run the archive failed (crawler/crawl/run.py, CrawlArchive.fail), whatever the close reason.
FAILED_RUN_STATUS = "failed"
#: Spider stats folded into the ``dropped`` reasons of a source.
SKIP_REASONS = {"skipped_old": "older_than_since", "skipped_backoff": "extraction_backoff"}


def per_source_counts(stats: dict, source_ids: list[str]) -> dict[str, dict]:
    """Fold ``hromada/<source>/<key>[/<sub>]`` stats into one dict per source."""
    counts = {source_id: {"pages": 0, "new": 0, "updated": 0, "unchanged": 0, "undated": 0, "pages_unchanged": 0,
                          "skipped_known": 0, "article_pages": 0, "links_found": 0, "removed": 0,
                          "dropped": defaultdict(int), "errors": defaultdict(int), "faults": defaultdict(int)}
              for source_id in source_ids}
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] != "hromada" or len(parts) < 3 or parts[1] not in counts:
            continue
        entry = counts[parts[1]]
        if len(parts) == 4 and parts[2] in ("dropped", "errors", "faults"):
            entry[parts[2]][parts[3]] += value
        elif parts[2] in SKIP_REASONS:
            entry["dropped"][SKIP_REASONS[parts[2]]] += value
        else:
            entry[parts[2]] = entry.get(parts[2], 0) + value
    for entry in counts.values():
        entry["dropped"], entry["errors"], entry["faults"] = (dict(entry["dropped"]), dict(entry["errors"]),
                                                              dict(entry["faults"]))
        entry["status"] = run_verdict(entry)
    return counts


class RunRecorder:
    """Extension: one ``runs`` row per crawl and one ``run_sources`` row per source."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.archive_path = crawler.settings.get("HROMADA_ARCHIVE") or DEFAULT_ARCHIVE
        self.lock = CrawlLock(self.archive_path).acquire()  # raises LockHeld: the crawl does not start
        self.shared: CrawlArchive | None = None  # the archive, once the spider has opened
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.shared = CrawlArchive.of(self.crawler)
        self.archive = self.shared.open()
        self.mark_killed_runs()
        self.source_ids = [source.id for source in spider.sources]
        self.run_id = self.archive.start_run(self.source_ids, {"spider": spider.name}, started_at=spider.now())
        spider.run_id = self.run_id

    def spider_closed(self, spider, reason):
        if self.shared is None:
            return  # the spider failed to open (its error is logged): no run was started
        try:
            self.shared.commit()
        except sqlite3.Error as error:
            self.shared.fail(error)  # counted before the counts are read
        counts = per_source_counts(self.crawler.stats.get_stats(), self.source_ids)
        for source_id, entry in counts.items():
            entry["duration_s"] = round(spider.source_duration(source_id), 2)
        status = FAILED_RUN_STATUS if self.shared.failure else RUN_STATUS_BY_CLOSE_REASON.get(reason, reason)
        try:
            self.archive.finish_run(self.run_id, status, counts, finished_at=spider.now(), failure=self.shared.failure)
            self.record_incremental_counts(counts)
        except sqlite3.Error as error:  # the run stays "running"; the next crawl marks it killed
            logging.getLogger(__name__).error("could not record the end of run %s in the archive: %s", self.run_id,
                                              error)
        self.shared.release()
        self.crawler.stats.set_value("hromada/run_id", self.run_id)
        self.crawler.stats.set_value("hromada/run_status", status)

    def engine_stopped(self):
        self.lock.release()

    def mark_killed_runs(self) -> None:
        """Runs still "running" belong to crawls that died without closing (we hold the lock)."""
        with self.archive.db.conn:
            self.archive.db.execute("update runs set status = 'killed' where status = 'running'")

    def record_incremental_counts(self, counts: dict[str, dict]) -> None:
        with self.archive.db.conn:
            for source_id, entry in counts.items():
                self.archive.db.execute(
                    """update run_sources set pages_unchanged = ?, articles_skipped = ?, article_pages = ?,
                       links_found = ? where run_id = ? and source_id = ?""",
                    [entry["pages_unchanged"], entry["skipped_known"], entry["article_pages"], entry["links_found"],
                     self.run_id, source_id])


class PlainStatsCollector(MemoryStatsCollector):
    """Scrapy's stats without its per-attribute-access wrapper (a deprecation shim for a ``spider`` argument
    nobody here passes), which cost more than the counting itself: pipelines count several stats per item."""

    __getattribute__ = object.__getattribute__


class QuietLogFormatter(LogFormatter):
    """Log dropped items by their message only, never the whole item with its page body; "Crawled" and
    "Scraped" lines only at LOG_LEVEL DEBUG (below it Scrapy still built two log records per article)."""

    def __init__(self, debug: bool = False):
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler):
        return cls(debug=crawler.settings.get("LOG_LEVEL", "").upper() == "DEBUG")

    def crawled(self, request, response, spider):
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item, response, spider):
        if not self.debug:
            return None
        return {"level": logging.DEBUG, "msg": "Scraped %(url)s", "args": {"url": item.get("url")}}

    def dropped(self, item, exception, response, spider):
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(self, item, exception, response, spider):
        return {"level": logging.ERROR, "msg": "Error processing %(item)r", "args": {"item": item}}
