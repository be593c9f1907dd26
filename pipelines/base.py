"""What every hromada pipeline shares: the crawler, per-source counters, counted drops."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.crawl.run import CrawlArchive
from crawler.crawl.workers import Workers


class CountedDrop(DropItem):
    """A drop whose reason (``too_short``, ``duplicate_url``...) has been counted for its source."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class SourcePipeline:
    """Base for the pipelines: ``drop`` counts the reason per source before dropping.

    Pure CPU work goes through ``await self.in_worker(function, ...)`` (crawler/crawl/workers.py).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.workers = Workers.of(crawler)
        # The pipeline's number in ITEM_PIPELINES: its place in the chain.
        self.stage = self.settings.getwithbase("ITEM_PIPELINES").get(f"{type(self).__module__}.{type(self).__name__}", 0)

    async def in_worker(self, function, *args, **kwargs):
        """``function(*args, **kwargs)`` in a worker process, ahead of the waiting tasks of earlier stages."""
        return await self.workers.run_at(self.stage, function, *args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def count(self, item, key: str, amount: int = 1) -> None:
        self.stats.inc_value(self.stat_key(item, key), amount)

    @staticmethod
    def stat_key(item, key: str) -> str:
        return f"hromada/{item['source_id']}/{key}"

    def drop(self, item, reason: str, detail: str = "") -> CountedDrop:
        self.count(item, f"dropped/{reason}")
        return CountedDrop(f"{item['source_id']}: {reason} {item.get('url')} {detail}".rstrip(), reason)

    def parse_error(self, item, error: Exception) -> CountedDrop:
        """A page whose extraction failed (or whose worker died): counted as a parse error, then dropped."""
        self.count(item, "errors/parse")
        return self.drop(item, "parse_error", repr(error))

    def source(self, item):
        return self.crawler.spider.sources_by_id[item["source_id"]]


class ArchiveStage(SourcePipeline):
    """A pipeline that reads or writes the archive, through the crawl's one shared connection."""

    def open_spider(self):
        self.shared = CrawlArchive.of(self.crawler)
        self.archive = self.shared.open()

    def close_spider(self):
        self.shared.release()
