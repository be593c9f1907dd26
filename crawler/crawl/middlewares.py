"""Downloader middlewares: robots.txt for every request waiting on it, and conditional requests.

:class:`RobotsTxtMiddleware` is Scrapy's with one race fixed. Scrapy 2.19 parks the requests that reach a
site while its robots.txt is being fetched on one Deferred and awaits it as an asyncio future per request;
Twisted hands each callback's return value to the next, and the future adapter returns None, so only the
first waiting request got the parser: the others got None, which means "allow everything". A single process
rarely has a disallowed page among its first requests to a site; a fleet process does (its first requests to
a source are whatever the shared queue holds), and fetched pages robots.txt disallows.

Conditional requests for discovery pages (feeds, sitemaps, listings):

Requests marked ``meta["conditional"]`` carry the ETag / Last-Modified the
server gave at the last *finished* run (``If-None-Match`` /
``If-Modified-Since``); the spider counts a 304 as an unchanged page. New
validators are kept in memory and written to the archive only when the run
finishes normally: after a kill or an interruption the next run fetches the
discovery pages in full again, so no article linked from them is lost.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.archive.store import Archive
from crawler.crawl.run import CrawlArchive


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware; every request that waits for a site's robots.txt gets its parser."""

    async def robot_parser(self, request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            return await maybe_deferred_to_future(branch(pending))
        return await super().robot_parser(request)


def branch(deferred: Deferred) -> Deferred:
    """A Deferred of its own firing with ``deferred``'s result, which goes on unchanged to later callbacks."""
    own = Deferred()

    def hand_on(result):
        own.callback(result)
        return result

    deferred.addCallback(hand_on)
    return own


class ValidatorStore:
    """The ``url_validators`` table: one (ETag, Last-Modified) pair per discovery URL."""

    def __init__(self, archive: Archive):
        self.archive = archive

    def get(self, url: str) -> tuple[str | None, str | None]:
        row = self.archive.db.execute("select etag, last_modified from url_validators where url = ?", [url]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_all(self, rows: list[dict]) -> None:
        with self.archive.db.conn:
            self.archive.db["url_validators"].upsert_all(rows, pk="url")


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
            if reason == "finished" and self.fresh:
                self.store.save_all(list(self.fresh.values()))
        finally:
            self.shared.release()


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
