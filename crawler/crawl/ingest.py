"""The fleet's one archive writer: finished items come through a Redis list and go through the archive stages.

A crawl process of a fleet (``HROMADA_FRONTIER``) runs the CPU stages (extract, boilerplate, dates, validate,
analyse) and hands each item to :class:`ToWriterPipeline`, which pushes it on the fleet's ``items`` list.
``hromada ingest`` runs :class:`IngestSpider`: it moves each item to a ``processing`` list (LMOVE), sends it
through the archive stages (dedup, archive, places, stories, search index) with the commit after every item,
and only then removes it from ``processing``. A killed writer leaves its item in ``processing``; the next
writer puts it back first. Storing is by canonical URL, so an item stored but not yet acknowledged is
``unchanged`` the second time, never a second row.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import time

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.archive.store import Archive, utc_moment
from crawler.crawl.frontier import (BACKOFF_FIELDS, VALIDATOR_FIELDS, WRITER_PIPELINES, FleetFrontier, fleet_client,
                                    keys, source_key)
from crawler.crawl.run import CrawlOptions, build_settings
from crawler.crawl.lock import CrawlLock
from crawler.crawl.spider_base import BACKOFF_OUTCOMES, SETTLED_OUTCOMES, RegistryNewsSpider
from crawler.items import ArticleItem

IDLE_POLL_SECONDS = 0.1
# KEYS: a hash of JSON arrays. ARGV: field, array, the position of its ISO moment (1-based). The array is set
# unless the hash holds one seen later (a local crawl's newer validators replace the fleet's older ones).
SET_IF_NEWER = """
local stored = redis.call('hget', KEYS[1], ARGV[1])
if stored then
  local position = tonumber(ARGV[3])
  local stored_at, offered_at = cjson.decode(stored)[position], cjson.decode(ARGV[2])[position]
  if type(stored_at) == 'string' and (type(offered_at) ~= 'string' or offered_at <= stored_at) then return 0 end
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class ToWriterPipeline:
    """The last stage of a fleet crawl process: the item, pickled, onto the fleet's ``items`` list."""

    def __init__(self, crawler):
        self.client = fleet_client(crawler.settings)
        self.key = keys(crawler.settings)["items"]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        self.client.lpush(self.key, pickle.dumps(dict(item), protocol=pickle.HIGHEST_PROTOCOL))
        return item


class WriterQueue:
    """The fleet's items list and the writer's processing list, moved between reliably."""

    def __init__(self, frontier: FleetFrontier):
        self.client = frontier.client
        self.items_key, self.processing_key = frontier.keys["items"], frontier.keys["processing"]

    def requeue_unacknowledged(self) -> int:
        """Items a killed writer took but never acknowledged go back on the list (processed first)."""
        moved = 0
        while self.client.lmove(self.processing_key, self.items_key, "RIGHT", "RIGHT") is not None:
            moved += 1
        return moved

    def take(self) -> bytes | None:
        return self.client.lmove(self.items_key, self.processing_key, "RIGHT", "LEFT")

    def acknowledge(self, raw: bytes) -> None:
        self.client.lrem(self.processing_key, 1, raw)

    def waiting(self) -> int:
        return self.client.llen(self.items_key)


def publish_archive_state(archive: Archive, fleet: FleetFrontier) -> int:
    """What the fleet's crawl processes must know of earlier runs, from the archive into Redis: settled URLs,
    each source's archived URLs by date (for ``--refresh``) and those removed, and the validators and backoff
    the fleet holds none fresher of (a local crawl's newer ones replace older ones in Redis). Marks the fleet
    run published; returns the archived articles published."""
    client, fleet_keys = fleet.client, fleet.keys
    articles = archive.db.execute(
        "select url, source_id, coalesce(published_at, first_seen_at, fetched_at), removed_at from articles")

    def add_article(pipe, row) -> None:
        url, source_id, moment, removed_at = row
        pipe.sadd(fleet_keys["settled"], url)
        pipe.zadd(source_key(fleet_keys, "archived", source_id), {url: epoch_seconds(moment)})
        if removed_at:
            pipe.sadd(fleet_keys["removed"], url)

    published = batched_into(client, articles, add_article)
    marks = ", ".join("?" * len(SETTLED_OUTCOMES))
    batched_into(client, archive.db.execute(f"select url from crawl_urls where outcome in ({marks})", SETTLED_OUTCOMES),
                 lambda pipe, row: pipe.sadd(fleet_keys["settled"], row[0]))
    set_if_newer = client.register_script(SET_IF_NEWER)

    def newer_into(key: str, fields: tuple[str, ...], moment: str):
        position = fields.index(moment) + 1  # Lua counts from 1
        return lambda pipe, row: set_if_newer(keys=[key], args=[row[0], json.dumps(row[1:]), position], client=pipe)

    marks = ", ".join("?" * len(BACKOFF_OUTCOMES))
    batched_into(client, archive.db.execute(
        f"select url, {', '.join(BACKOFF_FIELDS)} from crawl_urls where outcome in ({marks})", BACKOFF_OUTCOMES),
        newer_into(fleet_keys["backoff"], BACKOFF_FIELDS, "seen_at"))
    batched_into(client, archive.db.execute(f"select url, {', '.join(VALIDATOR_FIELDS)} from url_validators"),
                 newer_into(fleet_keys["validators"], VALIDATOR_FIELDS, "checked_at"))
    client.set(fleet_keys["published"], json.dumps({"writer": fleet.member, "at": time.time()}))
    return published


def batched_into(client, rows, add, batch: int = 5000) -> int:
    """Each row's commands (``add(pipe, row)``) sent to Redis in pipelines of ``batch`` rows; returns the rows."""
    pipe, count = client.pipeline(transaction=False), 0
    for count, row in enumerate(rows, start=1):
        add(pipe, row)
        if count % batch == 0:
            pipe.execute()
    pipe.execute()
    return count


def epoch_seconds(moment: str | None) -> float:
    """An archived ISO 8601 moment as seconds since the epoch (a naive one is UTC, an unreadable one 0)."""
    parsed = utc_moment(moment)
    return parsed.timestamp() if parsed else 0.0


def take_back_state(archive: Archive, fleet: FleetFrontier) -> None:
    """The validators and extraction backoff the fleet's crawl processes recorded, into the archive."""
    for table, key, fields in (("url_validators", "validators", VALIDATOR_FIELDS), ("crawl_urls", "backoff", BACKOFF_FIELDS)):
        rows = [[url.decode(), *json.loads(record)] for url, record in fleet.client.hgetall(fleet.keys[key]).items()]
        archive.db.conn.executemany(f"insert or replace into {table} (url, {', '.join(fields)}) "
                                    f"values ({', '.join('?' * (len(fields) + 1))})", rows)


class IngestSpider(RegistryNewsSpider):
    """Fetches nothing: its items come from the fleet's Redis list, until the fleet is gone and the list empty."""

    name = "ingest"
    custom_settings = {"ITEM_PIPELINES": WRITER_PIPELINES, "HROMADA_COMMIT_ITEMS": 1, "CONCURRENT_ITEMS": 1}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.writer_fleet = FleetFrontier(fleet_client(settings, "HROMADA_INGEST_FROM"), keys(settings),
                                            settings.getfloat("HROMADA_FRONTIER_MEMBER_TTL"))
        spider.queue = WriterQueue(spider.writer_fleet)
        spider.taken: dict[str, list[bytes]] = {}  # URL -> its items taken, in order (a page fetched twice: two)
        # connected after the spider's own handlers, which commit the item: acknowledge only what is committed
        crawler.signals.connect(spider.acknowledge, signal=signals.item_scraped)
        crawler.signals.connect(spider.acknowledge, signal=signals.item_dropped)
        return spider

    async def start(self):
        requeued = self.queue.requeue_unacknowledged()
        if requeued:
            self.logger.info("%d items a previous writer took without storing them are queued again", requeued)
        self.keep_fleet_in_step()
        idle_since = time.monotonic()
        while True:
            fields = self.take_item()
            if fields is None:
                self.keep_fleet_in_step()
                if self.fleet_done(idle_since):
                    self.add_fleet_counts()
                    self.store(take_back_state)
                    return
                await asyncio.sleep(IDLE_POLL_SECONDS)
                continue
            idle_since = time.monotonic()
            self.touch(fields["source_id"])
            yield ArticleItem(fields)

    def take_item(self) -> dict | None:
        """The next item's fields off the fleet's list, held until :meth:`acknowledge`; None when none waits."""
        raw = self.queue.take()
        if raw is None:
            return None
        fields = pickle.loads(raw)
        self.taken.setdefault(fields["url"], []).append(raw)
        return fields

    def keep_fleet_in_step(self) -> None:
        """Publish the archive's state for a fleet run that has none yet, and flag what the fleet found removed."""
        if not self.writer_fleet.archive_published():
            published = publish_archive_state(self.memory.archive, self.writer_fleet)
            self.logger.info("published the state of %d archived articles for the fleet's crawl processes", published)
        while (removal := self.writer_fleet.client.rpop(self.writer_fleet.keys["removals"])) is not None:
            url, seen_at = json.loads(removal)
            self.store(lambda archive, _fleet: archive.mark_removed(url, seen_at))

    def store(self, write) -> None:
        """``write(archive, fleet)`` committed at once, outside the items' stages."""
        with self.memory.shared.writing() as archive:
            write(archive, self.writer_fleet)
        self.memory.shared.commit()

    def fleet_done(self, idle_since: float) -> bool:
        """No live crawl process, nothing queued, and quiet for a member TTL (crawl processes still starting)."""
        quiet = time.monotonic() - idle_since >= self.writer_fleet.member_ttl
        return quiet and not self.writer_fleet.live_members() and not self.queue.waiting()

    def add_fleet_counts(self) -> None:
        """The crawl processes' counts (pages, links, errors...) join the writer's own in its run record."""
        for key, value in self.writer_fleet.take_counts().items():
            self.crawler.stats.inc_value(key, value)

    def acknowledge(self, item, response=None, spider=None, exception=None):
        taken = self.taken.get(item["url"])
        if taken:
            self.queue.acknowledge(taken.pop(0))
        if not taken:
            self.taken.pop(item["url"], None)



def run_ingest(options: CrawlOptions, frontier_url: str) -> int:
    """Store the fleet's items until it is done (see :meth:`IngestSpider.fleet_done`). Returns the run id."""
    settings = build_settings(options)
    settings.set("HROMADA_INGEST_FROM", frontier_url, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(IngestSpider)
    with CrawlLock(options.archive_path):
        process.crawl(crawler)
        process.start()
    run_id = crawler.stats.get_value("hromada/run_id")
    if run_id is None:
        raise RuntimeError("the writer ended before it recorded a run; see the log above")
    return run_id
