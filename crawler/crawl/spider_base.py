"""The registry-driven news spider machinery; spiders/ subclasses it declaratively.

Per source it discovers article URLs from feeds (hinted, autodiscovered or at
the usual paths), sitemaps (hinted or from robots.txt, indexes followed) and
listing pages (homepage and hinted listings, with pagination), then yields one
:class:`~crawler.items.ArticleItem` per article page for the pipelines.

Incremental: discovery pages are revisited every run (conditionally, see
crawler/crawl/middlewares.py; a 304 counts as ``pages_unchanged``), article pages
already archived are skipped unless ``HROMADA_REFRESH``, and discovery is
bounded by a "since" date (``HROMADA_SINCE`` or ``HROMADA_SINCE_DAYS`` back)
unless ``HROMADA_BACKFILL``, which also walks listings further.

A page whose extraction failed (too short, no title, a parse error) backs off: it is fetched again at
the next run, then after 1, 3, 7, 14 and then every 30 days (``BACKOFF_DAYS``) while it keeps failing,
instead of every run; the skipped fetches count as the ``extraction_backoff`` drop, which keeps the
source's verdict where a refetch would have put it. ``HROMADA_REFRESH`` fetches it regardless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (ConnectError, ConnectionLost, ConnectionRefusedError, DNSLookupError,
                                    TCPTimedOutError, TimeoutError as TwistedTimeoutError)
from twisted.internet.defer import CancelledError
from twisted.web.client import ResponseFailed

from crawler.crawl import discovery, frontier
from crawler.crawl.leases import SourceLeases
from crawler.crawl.middlewares import PageFault
from crawler.crawl.run import CrawlArchive
from crawler.analysis.dates import find_date_strings, parse_date
from crawler.items import ArticleItem
from crawler.registry import DEFAULT_REGISTRY, Source, load_registry, select_sources

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Outcomes after which a fetched page need not be fetched again (a refresh still refetches it).
SETTLED_OUTCOMES = ("new", "updated", "unchanged", "duplicate_url", "duplicate_content", "not_article", "not_html",
                    "gone")
GONE_KINDS = ("http_404", "http_410")
#: Extraction failures: the page is fetched again only after a growing interval (``BACKOFF_DAYS``).
BACKOFF_OUTCOMES = ("too_short", "no_title", "parse_error")
#: Days from the n-th failure in a row of a page's extraction to its next fetch; the last one repeats.
BACKOFF_DAYS = (0, 1, 3, 7, 14, 30)
#: Errors of a whole site, not of one page: logged once per source and run (later ones at DEBUG level).
SITE_KINDS = ("refused", "dns")
WRITER_POLL_SECONDS = 0.1
#: How often a fleet process checks that the run's seeder is done or has stopped (to take over its seeding).
SEEDER_POLL_SECONDS = 0.2


def crawl_since(settings, now: datetime) -> datetime | None:
    """The oldest publication date discovery follows: None for a backfill (whole history)."""
    if settings.getbool("HROMADA_BACKFILL"):
        return None
    since = settings.get("HROMADA_SINCE")
    if since:
        moment = datetime.fromisoformat(since)
        return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo or timezone.utc)
    return now - timedelta(days=settings.getfloat("HROMADA_SINCE_DAYS"))


def parse_entry_date(raw: str | None) -> datetime | None:
    """A feed or sitemap entry date (RFC 822 or ISO 8601); None when absent or unreadable."""
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def source_delays(sources: list[Source]) -> dict[str, dict]:
    """DOWNLOAD_SLOTS entries for sources with their own delay (the largest one where a domain is shared)."""
    slots: dict[str, dict] = {}
    for source in sources:
        if source.delay is not None:
            delay = max(source.delay, slots.get(source.domain, {}).get("delay", 0.0))
            slots[source.domain] = {"delay": delay, "jitter": 0}  # the registry's delay is a floor, not an average
    return slots


class PageMemory:
    """What earlier runs settled: archived URLs and pages not worth fetching again (``crawl_urls``)."""

    def __init__(self, shared: CrawlArchive, fleet: frontier.FleetFrontier | None = None):
        self.shared = shared
        self.archive = shared.open()
        self.fleet = fleet  # with a shared frontier, what the other crawl processes settled too

    def known_state(self, url: str, now: datetime) -> str | None:
        """``settled`` (archived, or not worth fetching again), ``backoff`` (its extraction failed and its
        next attempt is later than ``now``) or None (fetch it)."""
        if self.fleet is not None:
            return self.fleet_state(url, now)
        row = self.archive.db.execute(  # one query: it runs for every link found
            """select 'new', null from articles where url = ?
               union all select outcome, retry_at from crawl_urls where url = ? limit 1""", [url, url]).fetchone()
        if row is None:
            return None
        outcome, retry_at = row
        return settled_or_backoff(outcome, retry_at, now)

    def fleet_state(self, url: str, now: datetime) -> str | None:
        """:meth:`known_state` from what the fleet's Redis holds (the writer published the archive's part)."""
        settled, backoff = self.fleet.settled_and_backoff(url)
        if settled:
            return "settled"
        return settled_or_backoff(backoff[0], backoff[2], now) if backoff else None

    def archived_urls(self, source_id: str, since: datetime | None) -> list[str]:
        if self.fleet is not None:
            return self.fleet.archived_urls(source_id, since)
        return self.archive.archived_urls(source_id, since.isoformat(timespec="seconds") if since else None)

    def mark_removed(self, url: str, source_id: str, seen_at: datetime) -> str | None:
        """Flag the archived article at ``url`` removed by its publisher (see Archive.mark_removed); in a fleet
        the writer flags it."""
        if self.fleet is not None:
            return self.fleet.report_removed(url, source_id, seen_at.isoformat(timespec="seconds"))
        if self.shared.failure is not None:
            return None
        with self.shared.writing() as archive:
            return archive.mark_removed(url, seen_at.isoformat(timespec="seconds"))

    def remember(self, url: str, source_id: str, outcome: str, seen_at: datetime) -> None:
        if self.fleet is None:
            self._write(url, source_id, outcome, seen_at, failures=None, retry_at=None)
        elif outcome in SETTLED_OUTCOMES:
            self.fleet.settle(url)

    def remember_failed_extraction(self, url: str, source_id: str, outcome: str, seen_at: datetime) -> int:
        """Record one more failure in a row of the page's extraction and when to try it next; returns the count."""
        failures = self.failures_in_a_row(url) + 1
        retry_at = _utc(next_attempt(failures, seen_at))
        if self.fleet is None:
            self._write(url, source_id, outcome, seen_at, failures=failures, retry_at=retry_at)
        else:
            self.fleet.save_backoff(url, source_id, outcome, seen_at.isoformat(timespec="seconds"), failures, retry_at)
        return failures

    def failures_in_a_row(self, url: str) -> int:
        if self.fleet is not None:
            backoff = self.fleet.backoff(url)
            return (backoff[1] or 0) if backoff and backoff[0] in BACKOFF_OUTCOMES else 0
        row = self.archive.db.execute("select outcome, failures from crawl_urls where url = ?", [url]).fetchone()
        return (row[1] or 0) if row is not None and row[0] in BACKOFF_OUTCOMES else 0

    def _write(self, url: str, source_id: str, outcome: str, seen_at: datetime, *, failures: int | None,
               retry_at: str | None) -> None:
        if self.shared.failure is not None:
            return  # the archive failed the run (crawler/crawl/run.py): the next run fetches the page again
        with self.shared.writing() as archive:
            archive.db.execute(
                """insert or replace into crawl_urls (url, source_id, outcome, seen_at, failures, retry_at)
                   values (?, ?, ?, ?, ?, ?)""",
                [url, source_id, outcome, seen_at.isoformat(timespec="seconds"), failures, retry_at])


def settled_or_backoff(outcome: str, retry_at: str | None, now: datetime) -> str | None:
    if outcome in SETTLED_OUTCOMES:
        return "settled"
    if outcome in BACKOFF_OUTCOMES and retry_at and retry_at > _utc(now):
        return "backoff"
    return None


def next_attempt(failures: int, failed_at: datetime) -> datetime:
    """When a page whose extraction failed ``failures`` times in a row is fetched again (``BACKOFF_DAYS``)."""
    return failed_at + timedelta(days=BACKOFF_DAYS[min(failures, len(BACKOFF_DAYS)) - 1])


def _utc(moment: datetime) -> str:
    """A moment as comparable text: ISO 8601 in UTC."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def classify_failure(failure) -> str:
    """A short error kind for a failed request: dns, timeout, refused, http_NNN, too_large, truncated,
    connection_reset, connection_lost, a :class:`PageFault`'s kind, else the exception's name (docs/faults.md)."""
    if failure.check(PageFault):
        return failure.value.kind
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "dns"
    if failure.check(TwistedTimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    if failure.check(ConnectionRefusedError, ConnectError, DownloadConnectionRefusedError):
        return "refused"
    if failure.check(CancelledError, DownloadCancelledError):
        return "too_large"
    if failure.check(ResponseDataLossError):  # the body ended before its Content-Length: a reset, or a close
        reasons = getattr(failure.value.__cause__, "reasons", ())
        return "connection_reset" if any(reason.check(ConnectionLost) for reason in reasons) else "truncated"
    if failure.check(DownloadFailedError, ResponseFailed, ConnectionLost):
        return "connection_lost"
    return type(failure.value).__name__.lower()


class RegistryNewsSpider(scrapy.Spider):
    """Crawl the registry sources named by ``-a source=ID[,ID...]`` (all when omitted)."""

    custom_settings: dict = {}

    def __init__(self, source: str | None = None, sources: list[Source] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.source_ids = [s for s in (source or "").split(",") if s]
        self._given_sources = sources

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        registry = load_registry(settings.get("HROMADA_REGISTRY") or DEFAULT_REGISTRY,
                                 base_urls=settings.getdict("HROMADA_BASE_URLS"))
        spider.sources = spider._given_sources or select_sources(registry, spider.source_ids)
        spider.sources_by_id = {s.id: s for s in spider.sources}
        spider.backfill = settings.getbool("HROMADA_BACKFILL")
        spider.refresh = settings.getbool("HROMADA_REFRESH")
        spider.max_listing_pages = settings.getint(
            "HROMADA_BACKFILL_LISTING_PAGES" if spider.backfill else "HROMADA_MAX_LISTING_PAGES")
        frozen_now = settings.get("HROMADA_NOW")
        spider.frozen_now = datetime.fromisoformat(frozen_now) if frozen_now else None
        spider.since = crawl_since(settings, spider.now())
        spider.fleet = frontier.FleetFrontier.from_settings(settings) if settings.get("HROMADA_FRONTIER") else None
        spider.memory = PageMemory(CrawlArchive.of(crawler), spider.fleet)
        spider.first_activity, spider.last_activity = {}, {}
        spider.site_errors_logged = set()
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.spider_closed, signal=signals.spider_closed)
        return spider

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        registry = load_registry(settings.get("HROMADA_REGISTRY") or DEFAULT_REGISTRY,
                                 base_urls=settings.getdict("HROMADA_BASE_URLS"))
        slots = {**source_delays(registry), **settings.getdict("DOWNLOAD_SLOTS")}
        # at least spider priority: `scrapy crawl` merges its runner's settings into the crawler's afterwards,
        # and the runner's empty default would replace one set at default priority
        priority = max(settings.getpriority("DOWNLOAD_SLOTS") or 0, SETTINGS_PRIORITIES["spider"])
        settings.set("DOWNLOAD_SLOTS", slots, priority=priority)
        frontier.apply_settings(settings)

    def spider_closed(self, spider, reason):
        self.memory.shared.release()

    def now(self) -> datetime:
        """The crawl clock: frozen in tests and the demo, real time otherwise."""
        return self.frozen_now or datetime.now(timezone.utc)

    def count(self, source_id: str, key: str, amount: int = 1) -> None:
        self.crawler.stats.inc_value(f"hromada/{source_id}/{key}", amount)

    def touch(self, source_id: str) -> None:
        """Note activity for the source's duration (first request to last response)."""
        moment = time.monotonic()
        self.first_activity.setdefault(source_id, moment)
        self.last_activity[source_id] = moment

    def source_duration(self, source_id: str) -> float:
        return self.last_activity.get(source_id, 0.0) - self.first_activity.get(source_id, 0.0)

    # -- what earlier runs settled ------------------------------------------
    def item_scraped(self, item, response, spider):
        self.memory.remember(item["url"], item["source_id"], item.get("outcome") or "new", item["fetched_at"])
        self.memory.shared.item_done(item["source_id"])

    def item_dropped(self, item, response, exception, spider):
        reason = getattr(exception, "reason", None)
        if reason in SETTLED_OUTCOMES:
            self.memory.remember(item["url"], item["source_id"], reason, item["fetched_at"])
        elif reason in BACKOFF_OUTCOMES:
            self.memory.remember_failed_extraction(item["url"], item["source_id"], reason, item["fetched_at"])
        self.memory.shared.item_done(item["source_id"])

    # -- requests ---------------------------------------------------------
    def request(self, url: str, callback, source: Source, *, probe: bool = False, **meta) -> scrapy.Request | None:
        url = discovery.clean_url(url)
        if url is None:
            return None
        meta.update(source_id=source.id, probe=probe)
        if source.delay is not None:
            meta["autothrottle_dont_adjust_delay"] = True  # AutoThrottle must not go below the source's delay
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    def discovery_request(self, url: str, callback, source: Source, **meta) -> scrapy.Request | None:
        """A feed, sitemap or listing page: revisited every run, conditionally unless backfilling."""
        if not self.backfill:
            meta.update(conditional=True, handle_httpstatus_list=[304])
        return self.request(url, callback, source, **meta)

    async def start(self):
        requests = (request for source in self.sources for request in self.start_requests_for(source)
                    if request is not None)
        if self.fleet is None:
            for request in requests:
                yield request
            return
        await self.wait_for_writer()
        while not self.fleet.claim_seeding():
            if self.fleet.seeding_finished():  # another process of the fleet seeded this run
                return
            await asyncio.sleep(SEEDER_POLL_SECONDS)
        # all at once into the frontier: Scrapy would take start requests as it goes, so a seeder that stopped
        # half-way would leave the other processes waiting for the rest
        for request in requests:
            self.crawler.engine.crawl(request)
        self.fleet.seeding_done()

    async def wait_for_writer(self) -> None:
        """Crawl once the writer has published what the archive knows (settled URLs, validators...), or without
        it after ``HROMADA_WRITER_WAIT`` seconds: archived pages may then be fetched again (stored once)."""
        wait = self.crawler.settings.getfloat("HROMADA_WRITER_WAIT")
        deadline = time.monotonic() + wait
        if not self.fleet.archive_published():
            self.logger.warning("the fleet's writer (hromada ingest --frontier ...) has not published the archive's "
                                "state yet: crawling when it has, or in %d s without it", wait)
        while not self.fleet.archive_published():
            if time.monotonic() >= deadline:
                self.logger.warning("no writer published the archive's state: crawling without it (archived pages "
                                    "may be fetched again; each is stored once)")
                return
            await asyncio.sleep(WRITER_POLL_SECONDS)

    def start_requests_for(self, source: Source):
        hints = source.discovery
        self.touch(source.id)
        yield self.request(source.homepage, self.parse_listing, source, listing_page=1, is_home=True)
        yield self.request(urljoin(source.homepage, "/robots.txt"), self.parse_robots, source, probe=True)
        for url in hints.feeds:
            yield self.discovery_request(url, self.parse_feed, source)
        for url in hints.sitemaps:
            yield self.discovery_request(url, self.parse_sitemap, source)
        for url in hints.listings:
            yield self.discovery_request(url, self.parse_listing, source, listing_page=1, listing_root=url)
        if self.refresh:
            yield from self.archived_article_requests(source)

    def archived_article_requests(self, source: Source):
        """A refresh visits every archived article of the source within ``since``, listed anywhere or not
        (discovery finding one again is a duplicate request Scrapy drops)."""
        for url in self.memory.archived_urls(source.id, self.since):
            yield self.request(url, self.parse_article, source, via="refresh")

    def on_error(self, failure):
        try:
            self.count_failure(failure)
        finally:
            if self.fleet is not None:
                SourceLeases.of(self.crawler).finished(failure.request.meta)

    def count_failure(self, failure):
        meta = failure.request.meta
        self.touch(meta["source_id"])
        if meta.get("probe"):
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError, PageFault):
            self.count(meta["source_id"], "dropped/robots_txt" if "robots.txt" in str(failure.value) else "dropped/ignored")
            return
        kind = classify_failure(failure)
        url = meta.get("redirect_urls", [failure.request.url])[0]  # the URL linked, before any redirect
        if meta.get("via") and kind in GONE_KINDS:
            removal = self.memory.mark_removed(url, meta["source_id"], self.now())
            if removal is not None:  # an archived article the publisher removed: no fetch error
                if removal == "removed":
                    self.count(meta["source_id"], "removed")
                    self.logger.info("%s: %s removed by the publisher (%s)", meta["source_id"], url, kind)
                return
        self.count(meta["source_id"], f"errors/{kind}")
        if meta.get("via"):  # an article page: its row says why it is missing (fetched again next run, unless gone)
            self.memory.remember(url, meta["source_id"], "gone" if kind in GONE_KINDS else kind, self.now())
        self.log_failure(meta["source_id"], kind, url)

    def log_failure(self, source_id: str, kind: str, url: str) -> None:
        """One line per failed page; a site-wide kind (refused, dns) once per source, later ones at DEBUG."""
        level = logging.WARNING
        if kind in SITE_KINDS:
            if (source_id, kind) in self.site_errors_logged:
                level = logging.DEBUG
            self.site_errors_logged.add((source_id, kind))
        self.logger.log(level, "%s: %s fetching %s", source_id, kind, url)

    # -- discovery callbacks ---------------------------------------------
    def parse_robots(self, response):
        source = self.source_of(response)
        self.touch(source.id)
        for url in discovery.robots_sitemaps(response.text, response.url):
            yield self.discovery_request(url, self.parse_sitemap, source)

    def not_modified(self, response, source: Source) -> bool:
        """Count a 304 (the page is as it was at the last finished run) and say so."""
        self.touch(source.id)
        if response.status != 304:
            return False
        self.count(source.id, "pages_unchanged")
        return True

    def parse_feed(self, response):
        source = self.source_of(response)
        if self.not_modified(response, source) or not discovery.is_feed(response.body):
            return
        self.count(source.id, "pages")
        for link in discovery.feed_links(response.body, response.url):
            yield self.dated_article_request(link, source, "feed")

    def parse_sitemap(self, response):
        source = self.source_of(response)
        if self.not_modified(response, source):
            return
        pages, children = discovery.sitemap_links(response.body, response.url)
        if not pages and not children:
            return
        self.count(source.id, "pages")
        for url in children:
            yield self.discovery_request(url, self.parse_sitemap, source)
        for link in pages:
            yield self.dated_article_request(link, source, "sitemap")

    def parse_listing(self, response):
        source = self.source_of(response)
        if self.not_modified(response, source):
            return
        self.count(source.id, "pages")
        if not self.is_html(response):
            return
        anchors = [
            (urljoin(response.url, a.attrib.get("href", "")), a.xpath("string()").get(""), a.attrib.get("rel", ""))
            for a in response.xpath("//a[@href]")
        ]
        if response.meta.get("is_home"):
            yield from self.feed_requests(response, source)
        for href, _text, _rel in anchors:
            if discovery.looks_like_article_url(href, source.homepage, source.discovery.article_pattern):
                yield self.article_request(href, source, "listing")
        yield from self.pagination_requests(response, source, anchors)

    def feed_requests(self, response, source: Source):
        if source.discovery.feeds:
            return
        advertised = [
            urljoin(response.url, href)
            for link_type in discovery.FEED_TYPES
            for href in response.xpath(f"//link[@rel='alternate'][@type='{link_type}']/@href").getall()
        ]
        candidates = advertised or [urljoin(source.homepage, path) for path in discovery.USUAL_FEED_PATHS]
        for url in candidates:
            if discovery.same_site(url, source.homepage):
                yield self.discovery_request(url, self.parse_feed, source, probe=not advertised)

    def pagination_requests(self, response, source: Source, anchors):
        page = response.meta.get("listing_page", 1)
        if page >= self.max_listing_pages or self.listing_older_than_since(response):
            return
        root = response.meta.get("listing_root")
        if root and source.discovery.pagination:
            next_urls = [urljoin(root, source.discovery.pagination.format(n=page + 1))]
        else:
            next_urls = discovery.next_page_links(anchors) or discovery.numbered_page_links(anchors, response.url)[:1]
        for url in next_urls:
            if discovery.same_site(url, source.homepage):
                yield self.discovery_request(url, self.parse_listing, source, listing_page=page + 1, listing_root=root)

    def listing_older_than_since(self, response) -> bool:
        """True when every date printed on the listing page is older than ``since`` (undated pages go on)."""
        if self.since is None:
            return False
        texts = response.xpath("//time/@datetime").getall()
        texts += find_date_strings(" ".join(response.xpath("//body//text()[normalize-space()]").getall()))
        fetched_at = self.now()
        dates = [moment for text in texts if (moment := parse_date(text, now=fetched_at)) is not None]
        return bool(dates) and max(dates) < self.since

    def dated_article_request(self, link: discovery.FoundLink, source: Source, via: str):
        published = parse_entry_date(link.published_raw)
        if self.since is not None and published is not None and published < self.since:
            self.count(source.id, "skipped_old")
            return None
        return self.article_request(link.url, source, via)

    def article_request(self, url: str, source: Source, via: str):
        if not discovery.same_site(url, source.homepage) or discovery.NON_HTML_EXTENSIONS.search(url.split("?")[0]):
            return None
        pattern = source.discovery.article_pattern
        if pattern and not discovery.looks_like_article_url(url, source.homepage, pattern):
            return None
        url = discovery.clean_url(url)
        if url is None:
            return None
        self.count(source.id, "links_found")
        state = None if self.refresh else self.memory.known_state(url, self.now())
        if state is not None:
            self.count(source.id, "skipped_known" if state == "settled" else "skipped_backoff")
            return None
        return self.request(url, self.parse_article, source, via=via)

    # -- article pages ----------------------------------------------------
    def parse_article(self, response):
        source = self.source_of(response)
        self.touch(source.id)
        self.count(source.id, "pages")
        self.count(source.id, "article_pages")
        if not self.is_html(response):
            self.count(source.id, "dropped/not_html")
            self.memory.remember(response.url, source.id, "not_html", self.now())
            return
        if not response.body.strip():
            self.count(source.id, "dropped/empty")
            self.memory.remember(response.url, source.id, "empty", self.now())
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        charset = content_type.split("charset=")[-1].strip() if "charset=" in content_type else None
        yield ArticleItem(
            source_id=source.id,
            url=response.url,
            discovered_via=response.meta.get("via"),
            fetched_at=self.now(),
            http_status=response.status,
            content_type=content_type,
            encoding=charset,
            body=response.body,
        )

    # -- helpers ------------------------------------------------------------
    def source_of(self, response) -> Source:
        return self.sources_by_id[response.meta["source_id"]]

    @staticmethod
    def is_html(response) -> bool:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if content_type:
            return any(t in content_type for t in HTML_TYPES)
        return response.body[:1024].lstrip().lower().startswith((b"<!doctype html", b"<html"))

