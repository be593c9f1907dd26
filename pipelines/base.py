"""What every hromada pipeline shares: the crawler, per-source counters, counted drops."""

from __future__ import annotations

from scrapy.exceptions import DropItem


class SourcePipeline:
    """Base for the pipelines: ``drop`` counts the reason per source before dropping."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def count(self, item, key: str, amount: int = 1) -> None:
        self.stats.inc_value(f"hromada/{item['source_id']}/{key}", amount)

    def drop(self, item, reason: str, detail: str = "") -> DropItem:
        self.count(item, f"dropped/{reason}")
        return DropItem(f"{item['source_id']}: {reason} {item.get('url')} {detail}".rstrip())

    def source(self, item):
        return self.crawler.spider.sources_by_id[item["source_id"]]
