"""Running a crawl: Scrapy settings from our options, the news spider, and the run summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.archive import Archive
from crawler.lock import CrawlLock

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
    progress: str = "auto"             # auto | live | log | off (crawler/progress.py)
    overrides: dict | None = None


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

    Raises :class:`crawler.lock.LockHeld` when another crawl is running on the archive.
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
