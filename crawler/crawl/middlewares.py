"""Downloader middlewares: robots.txt for every request waiting on it, conditional requests, and the
guards against hostile sites.

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

The guards (each fault and how it is counted: docs/faults.md): redirects stay on
the source's own site and never loop, a compressed body inflating past
``DOWNLOAD_MAXSIZE`` is a page too large, a 429's ``Retry-After`` is waited
out (up to ``HROMADA_RETRY_AFTER_MAX`` seconds), and an unreachable robots.txt
is one debug line, not an error with a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.archive.store import Archive
from crawler.crawl import discovery
from crawler.crawl.run import CrawlArchive


class _OneLineRecords(logging.Filter):
    """Records without their traceback, at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware; every request that waits for a site's robots.txt gets its parser, and
    a failed robots.txt fetch (a site refusing connections, a name that does not resolve) is one DEBUG line,
    not an error with a chained traceback: the page's own request fails the same way, and the spider logs
    that in one line."""

    def __init__(self, crawler):
        super().__init__(crawler)
        robots_logger = logging.getLogger(ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(existing, _OneLineRecords) for existing in robots_logger.filters):
            robots_logger.addFilter(_OneLineRecords())

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
        """Written into the crawl's open batch (committed with it: all or none of the run's last writes)."""
        self.archive.db.conn.executemany(
            """insert or replace into url_validators (url, source_id, etag, last_modified, checked_at)
               values (:url, :source_id, :etag, :last_modified, :checked_at)""", rows)


class FleetValidatorStore:
    """Validators in the fleet's Redis (crawler/crawl/frontier.py): a fleet's crawl process keeps no archive."""

    def __init__(self, fleet):
        self.fleet = fleet

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self.fleet.validators(url)

    def save_all(self, rows: list[dict]) -> None:
        self.fleet.save_validators(rows)


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
        fleet = getattr(spider, "fleet", None)
        if fleet is not None:
            self.store = FleetValidatorStore(fleet)
            return
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
        if isinstance(self.store, FleetValidatorStore):
            if reason == "finished":
                self.store.save_all(list(self.fresh.values()))
            return
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


class PageFault(IgnoreRequest):
    """A page given up for a fault of its own, counted as the error ``kind`` of its source
    (``too_large``, ``redirect_loop``, ``offsite_redirect``)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class _SiteRedirects:
    """Redirects within the source's own site only (http→https, www., a subdomain of its registered
    domain), never to a URL already in the chain. Any other is a :class:`PageFault` before the target is
    scheduled, so another site is never resolved, asked for its robots.txt or fetched."""

    def _redirect(self, redirected, request, reason):
        home = self._home_of(request)
        if not discovery.same_registered_site(redirected.url, home):
            raise PageFault("offsite_redirect", f"{request.url} redirects off the site to {redirected.url}")
        if redirected.url in (*request.meta.get("redirect_urls", ()), request.url):
            raise PageFault("redirect_loop", f"{request.url} redirects back to {redirected.url}")
        try:
            return super()._redirect(redirected, request, reason)
        except IgnoreRequest as error:  # more than REDIRECT_MAX_TIMES redirects
            raise PageFault("redirect_loop", f"{request.url}: {error}") from error

    def _engine_started(self) -> None:
        """Nothing to look up: we send no Referer (RefererMiddleware is off in crawler/settings.py), so Scrapy's
        warning that redirects drop it says nothing."""

    def _home_of(self, request) -> str:
        """The homepage of the request's source; Scrapy's own requests (robots.txt) keep to their own site."""
        spider = self.crawler.spider
        source = getattr(spider, "sources_by_id", {}).get(request.meta.get("source_id"))
        return source.homepage if source is not None else request.meta.get("redirect_urls", [request.url])[0]


class SiteRedirectMiddleware(_SiteRedirects, RedirectMiddleware):
    """Scrapy's 3xx redirects, kept to the source's site (:class:`_SiteRedirects`)."""


class SiteMetaRefreshMiddleware(_SiteRedirects, MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv=refresh>`` redirects, kept to the source's site (:class:`_SiteRedirects`)."""


class BoundedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, which stops at ``DOWNLOAD_MAXSIZE`` (a gzip bomb inflates no further);
    such a page is counted ``too_large`` like one whose download was too big, not as "ignored"."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            if "DOWNLOAD_MAXSIZE" in str(error):
                raise PageFault("too_large", str(error)) from error
            raise


def retry_after_seconds(value: bytes | str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header as seconds to wait from ``now``: None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting first as long as a retried response's ``Retry-After`` asks. A wait over
    ``HROMADA_RETRY_AFTER_MAX`` seconds gives the page up for this run (counted ``http_429``), rather
    than asking again sooner than the site allowed. Other requests go on meanwhile."""

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("HROMADA_RETRY_AFTER_MAX")

    async def process_response(self, request, response, spider=None):
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"), datetime.now(timezone.utc))
            if wait is not None and self._will_retry(request):
                if wait > self.max_wait:
                    return response
                await asyncio.sleep(wait)
        return super().process_response(request, response)

    def _will_retry(self, request) -> bool:
        return request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)
