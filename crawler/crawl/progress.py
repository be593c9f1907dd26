"""Crawl progress: a live per-source table on a terminal, plain log lines otherwise, one summary line at the end.

``HROMADA_PROGRESS``: ``live`` (rich, on stderr), ``log`` (a line per source
every ``HROMADA_PROGRESS_INTERVAL`` seconds, for cron and systemd journals),
``off``, or ``auto`` (live when stderr is a terminal, log otherwise).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from twisted.internet import task

from crawler.crawl.health import FAILED_VERDICTS
from crawler.crawl.runlog import per_source_counts

LIVE_REFRESH_SECONDS = 0.5
PROGRESS_MODES = ("auto", "live", "log", "off")


def progress_mode(setting: str, is_terminal: bool) -> str:
    mode = (setting or "auto").lower()
    if mode not in PROGRESS_MODES:
        raise ValueError(f"HROMADA_PROGRESS must be one of {', '.join(PROGRESS_MODES)}, not {setting!r}")
    if mode == "auto":
        return "live" if is_terminal else "log"
    return mode


def source_line(source_id: str, entry: dict) -> str:
    errors = sum(entry["errors"].values())
    return (f"{source_id}: pages {entry['pages']} (unchanged {entry['pages_unchanged']}), new {entry['new']}, "
            f"updated {entry['updated']}, removed {entry['removed']}, skipped known {entry['skipped_known']}, "
            f"dropped {sum(entry['dropped'].values())}, errors {errors}")


def summary_line(counts: dict[str, dict], status: str, seconds: float) -> str:
    """One line for the whole run: totals and the sources that failed."""
    total = lambda key: sum(entry[key] for entry in counts.values())  # noqa: E731
    errors = sum(sum(entry["errors"].values()) for entry in counts.values())
    failed = sorted(source_id for source_id, entry in counts.items() if entry["status"] in FAILED_VERDICTS)
    failed_text = ", failed: " + ", ".join(f"{s} ({counts[s]['status']})" for s in failed) if failed else ""
    return (f"crawl {status} in {seconds:.1f}s: {len(counts)} sources, {total('pages')} pages "
            f"({total('pages_unchanged')} unchanged), {total('new')} new, {total('updated')} updated, "
            f"{total('removed')} removed, "
            f"{total('skipped_known')} known skipped, {errors} errors{failed_text}")


def progress_table(counts: dict[str, dict]) -> Table:
    table = Table(title="hromada crawl", expand=False)
    for column in ("source", "pages", "304", "new", "updated", "removed", "known", "dropped", "errors"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for source_id, entry in counts.items():
        table.add_row(source_id, str(entry["pages"]), str(entry["pages_unchanged"]), str(entry["new"]),
                      str(entry["updated"]), str(entry["removed"]), str(entry["skipped_known"]), str(sum(entry["dropped"].values())),
                      str(sum(entry["errors"].values())))
    return table


class CrawlProgress:
    """Extension showing per-source progress while the crawl runs."""

    def __init__(self, crawler, mode: str, interval: float):
        self.crawler, self.mode, self.interval = crawler, mode, interval
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None
        self.source_ids: list[str] = []
        self.started = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        mode = progress_mode(settings.get("HROMADA_PROGRESS"), sys.stderr.isatty())
        return cls(crawler, mode, settings.getfloat("HROMADA_PROGRESS_INTERVAL"))

    def counts(self) -> dict[str, dict]:
        return per_source_counts(self.crawler.stats.get_stats(), self.source_ids)

    def spider_opened(self, spider):
        self.source_ids = [source.id for source in spider.sources]
        self.started = time.monotonic()
        if self.mode == "live":
            self.live = Live(progress_table(self.counts()), console=Console(stderr=True), auto_refresh=False)
            self.live.start()
            self.loop = task.LoopingCall(self.refresh_live)
            self.loop.start(LIVE_REFRESH_SECONDS, now=False)
        elif self.mode == "log":
            self.loop = task.LoopingCall(self.log_lines)
            self.loop.start(self.interval, now=False)

    def refresh_live(self):
        self.live.update(progress_table(self.counts()), refresh=True)

    def log_lines(self):
        for source_id, entry in self.counts().items():
            plain_line(f"progress {source_line(source_id, entry)}")

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        counts = self.counts()
        if self.live is not None:
            self.live.update(progress_table(counts), refresh=True)
            self.live.stop()
        if self.mode == "off":
            return
        status = self.crawler.stats.get_value("hromada/run_status") or reason
        line = summary_line(counts, status, time.monotonic() - self.started)
        if self.mode == "live":
            Console(stderr=True).print(line, highlight=False)
        else:
            plain_line(line)


def plain_line(text: str) -> None:
    """One timestamped line on stderr (cron mail, the systemd journal), whatever Scrapy's log level."""
    print(f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S} [hromada] {text}", file=sys.stderr, flush=True)
