"""The registry-driven news spider machinery; spiders/ subclasses it declaratively.

Per source it discovers article URLs from feeds (hinted, autodiscovered or at
the usual paths), sitemaps (hinted or from robots.txt, indexes followed) and
listing pages (homepage and hinted listings, with pagination), then yields one
:class:`~crawler.items.ArticleItem` per article page for the pipelines.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urljoin

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (ConnectError, ConnectionRefusedError, DNSLookupError, TCPTimedOutError,
                                    TimeoutError as TwistedTimeoutError)
from twisted.internet.defer import CancelledError

from crawler import discovery
from crawler.items import ArticleItem
from crawler.registry import DEFAULT_REGISTRY, Source, load_registry, select_sources

HTML_TYPES = ("text/html", "application/xhtml+xml")


def classify_failure(failure) -> str:
    """A short error kind for a failed request: dns, timeout, refused, http_NNN, too_large, other."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TwistedTimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(ConnectionRefusedError, ConnectError):
        return "refused"
    if failure.check(CancelledError):
        return "too_large"
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
        spider.max_listing_pages = settings.getint("HROMADA_MAX_LISTING_PAGES")
        frozen_now = settings.get("HROMADA_NOW")
        spider.frozen_now = datetime.fromisoformat(frozen_now) if frozen_now else None
        return spider

    def now(self) -> datetime:
        """The crawl clock: frozen in tests and the demo, real time otherwise."""
        return self.frozen_now or datetime.now(timezone.utc)

    def count(self, source_id: str, key: str, amount: int = 1) -> None:
        self.crawler.stats.inc_value(f"hromada/{source_id}/{key}", amount)

    # -- requests ---------------------------------------------------------
    def request(self, url: str, callback, source: Source, *, probe: bool = False, **meta) -> scrapy.Request | None:
        url = discovery.clean_url(url)
        if url is None:
            return None
        meta.update(source_id=source.id, probe=probe)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    async def start(self):
        for source in self.sources:
            for request in self.start_requests_for(source):
                if request is not None:
                    yield request

    def start_requests_for(self, source: Source):
        hints = source.discovery
        yield self.request(source.homepage, self.parse_listing, source, listing_page=1, is_home=True)
        yield self.request(urljoin(source.homepage, "/robots.txt"), self.parse_robots, source, probe=True)
        for url in hints.feeds:
            yield self.request(url, self.parse_feed, source)
        for url in hints.sitemaps:
            yield self.request(url, self.parse_sitemap, source)
        for url in hints.listings:
            yield self.request(url, self.parse_listing, source, listing_page=1, listing_root=url)

    def on_error(self, failure):
        meta = failure.request.meta
        if meta.get("probe"):
            return
        kind = classify_failure(failure)
        self.count(meta["source_id"], f"errors/{kind}")
        self.logger.warning("%s: %s fetching %s", meta["source_id"], kind, failure.request.url)

    # -- discovery callbacks ---------------------------------------------
    def parse_robots(self, response):
        source = self.source_of(response)
        for url in discovery.robots_sitemaps(response.text, response.url):
            yield self.request(url, self.parse_sitemap, source)

    def parse_feed(self, response):
        source = self.source_of(response)
        if not discovery.is_feed(response.body):
            return
        self.count(source.id, "pages")
        for link in discovery.feed_links(response.body, response.url):
            yield self.article_request(link.url, source, "feed")

    def parse_sitemap(self, response):
        source = self.source_of(response)
        pages, children = discovery.sitemap_links(response.body, response.url)
        if not pages and not children:
            return
        self.count(source.id, "pages")
        for url in children:
            yield self.request(url, self.parse_sitemap, source)
        for link in pages:
            yield self.article_request(link.url, source, "sitemap")

    def parse_listing(self, response):
        source = self.source_of(response)
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
                yield self.request(url, self.parse_feed, source, probe=not advertised)

    def pagination_requests(self, response, source: Source, anchors):
        page = response.meta.get("listing_page", 1)
        if page >= self.max_listing_pages:
            return
        root = response.meta.get("listing_root")
        if root and source.discovery.pagination:
            next_urls = [urljoin(root, source.discovery.pagination.format(n=page + 1))]
        else:
            next_urls = discovery.next_page_links(anchors) or discovery.numbered_page_links(anchors, response.url)[:1]
        for url in next_urls:
            if discovery.same_site(url, source.homepage):
                yield self.request(url, self.parse_listing, source, listing_page=page + 1, listing_root=root)

    def article_request(self, url: str, source: Source, via: str):
        if not discovery.same_site(url, source.homepage) or discovery.NON_HTML_EXTENSIONS.search(url.split("?")[0]):
            return None
        pattern = source.discovery.article_pattern
        if pattern and not discovery.looks_like_article_url(url, source.homepage, pattern):
            return None
        return self.request(url, self.parse_article, source, via=via)

    # -- article pages ----------------------------------------------------
    def parse_article(self, response):
        source = self.source_of(response)
        self.count(source.id, "pages")
        if not self.is_html(response):
            self.count(source.id, "dropped/not_html")
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
