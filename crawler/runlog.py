"""Recording crawl runs: per-source counts from the Scrapy stats into the archive's runs tables."""

from __future__ import annotations

import logging
from collections import defaultdict

from scrapy import signals
from scrapy.logformatter import LogFormatter

from crawler.archive import DEFAULT_ARCHIVE, Archive

RUN_STATUS_BY_CLOSE_REASON = {"finished": "finished", "shutdown": "interrupted"}


def per_source_counts(stats: dict, source_ids: list[str]) -> dict[str, dict]:
    """Fold ``hromada/<source>/<key>[/<sub>]`` stats into one dict per source."""
    counts = {source_id: {"pages": 0, "new": 0, "updated": 0, "unchanged": 0, "undated": 0,
                          "dropped": defaultdict(int), "errors": defaultdict(int)} for source_id in source_ids}
    for key, value in stats.items():
        parts = key.split("/")
        if parts[0] != "hromada" or len(parts) < 3 or parts[1] not in counts:
            continue
        entry = counts[parts[1]]
        if len(parts) == 4 and parts[2] in ("dropped", "errors"):
            entry[parts[2]][parts[3]] += value
        else:
            entry[parts[2]] = entry.get(parts[2], 0) + value
    for entry in counts.values():
        entry["dropped"], entry["errors"] = dict(entry["dropped"]), dict(entry["errors"])
        entry["status"] = source_status(entry)
    return counts


def source_status(entry: dict) -> str:
    """``failed`` when a source yielded nothing but errors, ``ok`` otherwise."""
    archived = entry["new"] + entry["updated"] + entry["unchanged"]
    if entry["errors"] and entry["pages"] == 0:
        return "failed"
    if entry["pages"] and not archived and sum(entry["dropped"].values()):
        return "failed"
    return "ok"


class RunRecorder:
    """Extension: one ``runs`` row per crawl and one ``run_sources`` row per source."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.archive = Archive(self.crawler.settings.get("HROMADA_ARCHIVE") or DEFAULT_ARCHIVE)
        self.source_ids = [source.id for source in spider.sources]
        self.run_id = self.archive.start_run(self.source_ids, {"spider": spider.name}, started_at=spider.now())
        spider.run_id = self.run_id

    def spider_closed(self, spider, reason):
        counts = per_source_counts(self.crawler.stats.get_stats(), self.source_ids)
        elapsed = self.crawler.stats.get_value("elapsed_time_seconds") or 0.0
        for entry in counts.values():
            entry["duration_s"] = round(elapsed, 2)
        status = RUN_STATUS_BY_CLOSE_REASON.get(reason, reason)
        self.archive.finish_run(self.run_id, status, counts)
        self.archive.close()
        self.crawler.stats.set_value("hromada/run_id", self.run_id)


class QuietLogFormatter(LogFormatter):
    """Log dropped items by their message only, never the whole item with its page body."""

    def dropped(self, item, exception, response, spider):
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(self, item, exception, response, spider):
        return {"level": logging.ERROR, "msg": "Error processing %(item)r", "args": {"item": item}}
