"""Conditional requests for discovery pages (feeds, sitemaps, listings).

Requests marked ``meta["conditional"]`` carry the ETag / Last-Modified the
server gave at the last *finished* run (``If-None-Match`` /
``If-Modified-Since``); the spider counts a 304 as an unchanged page. New
validators are kept in memory and written to the archive only when the run
finishes normally: after a kill or an interruption the next run fetches the
discovery pages in full again, so no article linked from them is lost.
"""

from __future__ import annotations

import sqlite3

from scrapy import signals

from crawler.archive.store import Archive
from crawler.crawl.run import CrawlArchive


class ValidatorStore:
    """The ``url_validators`` table: one (ETag, Last-Modified) pair per discovery URL."""

    def __init__(self, archive: Archive):
        self.archive = archive

    def get(self, url: str) -> tuple[str | None, str | None]:
        row = self.archive.db.execute("select etag, last_modified from url_validators where url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_all(self, rows: list[dict]) -> None:
        """Written into the crawl's open batch (committed with it: all or none of the run's last writes)."""
        self.archive.db.conn.executemany(
            """insert or replace into url_validators (url, source_id, etag, last_modified, checked_at)
               values (:url, :source_id, :etag, :last_modified, :checked_at)""", rows)


class ConditionalRequestMiddleware:
    """Downloader middleware: add stored validators to conditional requests, collect fresh ones."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.store: ValidatorStore | None = None
        self.fresh: dict[str, dict] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.shared = CrawlArchive.of(self.crawler)
        self.store = ValidatorStore(self.shared.open())

    def process_request(self, request, spider=None):
        if not request.meta.get("conditional") or self.store is None:
            return None
        etag, last_modified = self.store.get(request.url)
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        return None

    def process_response(self, request, response, spider=None):
        if request.meta.get("conditional") and response.status == 200:
            etag = _header(response, b"ETag")
            last_modified = _header(response, b"Last-Modified")
            if etag or last_modified:
                self.fresh[request.url] = {
                    "url": request.url, "source_id": request.meta.get("source_id"), "etag": etag,
                    "last_modified": last_modified,
                    "checked_at": self.crawler.spider.now().isoformat(timespec="seconds"),
                }
        return response

    def spider_closed(self, spider, reason):
        if self.store is None:
            return
        try:
            if reason == "finished" and self.fresh and self.shared.failure is None:
                with self.shared.writing():
                    self.store.save_all(list(self.fresh.values()))
        except sqlite3.Error:
            pass  # the archive failed the run (CrawlArchive.fail); the next run fetches discovery pages in full
        finally:
            self.shared.release()


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
