"""A frontier shared by several crawl processes on Redis (scrapy-redis), set by ``HROMADA_FRONTIER``.

scrapy-redis's scheduler and duplicate filter keep the fleet's request queue and seen fingerprints in
Redis, so a page is fetched once by the fleet. Our additions, through scrapy-redis's extension points:

* keys namespaced per registry (its text and base URLs): ``hromada:<digest>:requests`` and so on;
* the sources' start requests are enqueued once per fleet run, by the process that wins a ``SETNX``; when
  that process dies before it is done, another live one seeds again (what the first queued is seen already);
* settled URLs (archived or not worth fetching again) are a Redis set too, so a page one process
  archived is not fetched by another in a later run;
* :class:`FleetMember` keeps each process's heartbeat in Redis: an idle process stays up while another
  live process still has requests in flight (they may add to the queue), and the last one out ends the
  fleet run (clears the seeding flag and the duplicate filter, so the next run revisits discovery pages).
* what a crawl process must know of earlier runs lives here too, so it needs no archive file: settled URLs,
  ETag/Last-Modified validators, extraction backoff, and each source's archived URLs for ``--refresh``.
  The writer publishes them from the archive when it starts (and for each fleet run), the crawl processes
  add to them as they go, and the writer takes validators and backoff back into the archive when the fleet
  is done (crawler/crawl/ingest.py); a 404 on an archived article goes to the writer as a removal.

scrapy-redis 0.9.1's ``RFPDupeFilter.from_settings`` keys its set by a timestamp (one per process); its
scheduler uses ``from_spider`` instead, which reads ``SCHEDULER_DUPEFILTER_KEY``, the shared key we set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.backoff import ConstantBackoff
from redis.retry import Retry
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from twisted.internet import task

from crawler.registry import DEFAULT_REGISTRY

SCHEDULER = "crawler.crawl.leases.LeasedScheduler"
QUEUE = "crawler.crawl.leases.LeasedSourceQueue"
FINISHED_REQUESTS = "crawler.crawl.leases.FinishedRequests"
DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"
FLEET_EXTENSION = "crawler.crawl.frontier.FleetMember"
#: The stages the writer runs; the crawl processes run the others.
WRITER_PIPELINES = {
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.archive.ArchivePipeline": 600,
    "pipelines.places.PlacesPipeline": 700,
    "pipelines.stories.StoriesPipeline": 800,
    "pipelines.search.SearchIndexPipeline": 900,
}
TO_WRITER = "crawler.crawl.ingest.ToWriterPipeline"
#: The columns (of ``url_validators`` and ``crawl_urls``) each URL's record in the ``validators`` and ``backoff``
#: hashes holds, as a JSON array in this order; the writer publishes and takes them back (crawler/crawl/ingest.py).
VALIDATOR_FIELDS = ("source_id", "etag", "last_modified", "checked_at")
BACKOFF_FIELDS = ("source_id", "outcome", "seen_at", "failures", "retry_at")
#: The ``seeded`` key's value once every start request of the run is queued (before, the seeder's member id).
SEEDED = b"done"
# KEYS: seeded. ARGV: member, the seeder that stopped. Seeding taken over, unless another process took it first.
TAKE_SEEDING = """
if redis.call('get', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('set', KEYS[1], ARGV[1])
return 1
"""


def crawl_side_pipelines(pipelines: dict) -> dict:
    """A fleet crawl process's stages: ours without the writer's, ending by handing the item to the writer."""
    return {**{name: order for name, order in pipelines.items() if name not in WRITER_PIPELINES},
            TO_WRITER: max(WRITER_PIPELINES.values()) + 100}


logger = logging.getLogger(__name__)
RETRY_PAUSE_SECONDS = 0.5


class FrontierUnreachable(Exception):
    """The frontier's Redis does not answer; the message names its address."""


def namespace(settings) -> str:
    """The key prefix of a registry's fleet: the same registry file and base URLs share one frontier."""
    registry = Path(settings.get("HROMADA_REGISTRY") or DEFAULT_REGISTRY)
    digest = hashlib.sha1(registry.read_bytes())
    digest.update(json.dumps(settings.getdict("HROMADA_BASE_URLS"), sort_keys=True).encode())
    return f"hromada:{digest.hexdigest()[:12]}"


def keys(settings) -> dict[str, str]:
    prefix = namespace(settings)
    return {name: f"{prefix}:{name}" for name in ("requests", "sources", "lease", "inflight", "dupefilter", "seeded",
                                                  "settled", "members", "items", "processing", "counts",
                                                  "validators", "backoff", "archived", "removed", "removals", "published")}


def source_key(fleet_keys: dict[str, str], kind: str, source_id: str) -> str:
    return f"{fleet_keys[kind]}:{source_id}"


def work_per_source(client, fleet_keys: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(queued, unfinished) requests of each source that has any."""
    sources = sorted(member.decode() for member in client.smembers(fleet_keys["sources"]))
    pipe = client.pipeline()
    for source_id in sources:
        pipe.zcard(source_key(fleet_keys, "requests", source_id))
        pipe.hlen(source_key(fleet_keys, "inflight", source_id))
    counts = pipe.execute()
    work = {source_id: (counts[2 * n], counts[2 * n + 1]) for n, source_id in enumerate(sources)}
    return {source_id: pair for source_id, pair in work.items() if any(pair)}


def pending_requests(client, fleet_keys: dict[str, str]) -> int:
    """Requests of the fleet queued or taken and not finished (by a live process, or one that died)."""
    return sum(queued + unfinished for queued, unfinished in work_per_source(client, fleet_keys).values())


def lease_holders(client, fleet_keys: dict[str, str]) -> dict[str, str]:
    """Source id -> member id of the process holding its lease."""
    prefix = fleet_keys["lease"] + ":"
    names = [name.decode() for name in client.scan_iter(match=prefix + "*", count=1000)]
    holders = client.mget(names) if names else []
    return {name[len(prefix):]: holder.decode() for name, holder in zip(names, holders) if holder is not None}


def apply_settings(settings) -> None:
    """Route a crawl's scheduling through the frontier when ``HROMADA_FRONTIER`` names one."""
    url = settings.get("HROMADA_FRONTIER")
    if not url:
        return
    fleet_keys = keys(settings)
    priority = "cmdline"
    settings.set("SCHEDULER", SCHEDULER, priority=priority)
    settings.set("DUPEFILTER_CLASS", DUPEFILTER, priority=priority)
    settings.set("SCHEDULER_PERSIST", True, priority=priority)  # the fleet's queue outlives any one process
    settings.set("REDIS_URL", url, priority=priority)
    settings.set("REDIS_PARAMS", redis_params(url, settings.getfloat("HROMADA_FRONTIER_WAIT")), priority=priority)
    settings.set("SCHEDULER_QUEUE_KEY", fleet_keys["requests"], priority=priority)
    settings.set("SCHEDULER_QUEUE_CLASS", QUEUE, priority=priority)
    settings.set("SPIDER_MIDDLEWARES", {**settings.getdict("SPIDER_MIDDLEWARES"), FINISHED_REQUESTS: 1},
                 priority=priority)
    settings.set("SCHEDULER_DUPEFILTER_KEY", fleet_keys["dupefilter"], priority=priority)
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), FLEET_EXTENSION: 520}, priority=priority)
    settings.set("ITEM_PIPELINES", crawl_side_pipelines(settings.getwithbase("ITEM_PIPELINES")), priority=priority)


class PatientRetry(Retry):
    """Redis commands wait for a frontier that went away (a restart, say) instead of failing the crawl, with
    one log line when it goes and one when it is back; after ``wait_seconds`` the error is raised.

    The wait is counted in time, once: redis-py nests its retries (a command's, then its connection's opening,
    then the socket's connect), and a retry inside one that already waits fails at once, or a frontier that
    stays down would be waited for ``wait_seconds`` times over at every level."""

    def __init__(self, url: str, wait_seconds: float):
        # OSError: a refused connection reaches the retry as the socket's own error
        super().__init__(ConstantBackoff(RETRY_PAUSE_SECONDS), -1,
                         supported_errors=(redis.ConnectionError, redis.TimeoutError, OSError))
        self.url, self.wait_seconds = url, wait_seconds
        self._waiting_threads: set[int] = set()  # (not a threading.local: Scrapy deep-copies its settings)

    def call_with_retry(self, do, fail, *args, **kwargs):
        thread = threading.get_ident()
        if thread in self._waiting_threads:
            return do()
        self._waiting_threads.add(thread)
        try:
            return self._wait_patiently(do, fail, *args, **kwargs)
        finally:
            self._waiting_threads.discard(thread)

    def _wait_patiently(self, do, fail, *args, **kwargs):
        deadline = time.monotonic() + self.wait_seconds

        def failed(error):
            if not failures:
                logger.warning("frontier %s is unreachable (%s): waiting up to %d s for it to come back",
                               self.url, error, self.wait_seconds)
            failures.append(error)
            fail(error)
            if time.monotonic() >= deadline:
                raise error

        failures = []
        try:
            result = super().call_with_retry(do, failed, *args, **kwargs)
        except redis.RedisError as error:
            # the server's own error answer (a script a restarted server no longer has, say) means it is back
            if failures and not isinstance(error, self._supported_errors):
                logger.warning("frontier %s is back; the crawl carries on", self.url)
            raise
        if failures:
            logger.warning("frontier %s is back; the crawl carries on", self.url)
        return result


class PatientOpening:
    """A connection whose opening waits for the frontier as its commands do. redis-py retries the socket's connect
    but not the commands a new connection sends (CLIENT SETINFO), which a restarting server may cut; and the pool
    opens a command's connection outside that command's retry."""

    def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True):
        open_connection = super().connect_check_health
        if not retry_socket_connect:
            return open_connection(check_health, False)
        return self.retry.call_with_retry(lambda: open_connection(check_health, False),
                                          lambda error: self.disconnect())


class PatientConnection(PatientOpening, redis.Connection):
    pass


class PatientSSLConnection(PatientOpening, redis.SSLConnection):
    pass


class PatientUnixConnection(PatientOpening, redis.UnixDomainSocketConnection):
    pass


#: the connection class of each URL scheme, as redis-py picks it (redis://, rediss://, unix://)
PATIENT_CONNECTIONS = {"redis": PatientConnection, "rediss": PatientSSLConnection, "unix": PatientUnixConnection}


def redis_params(url: str, wait_seconds: float) -> dict:
    """Client options of every connection to the frontier (ours and scrapy-redis's)."""
    return {"socket_connect_timeout": 3, "socket_timeout": 30, "retry": PatientRetry(url, wait_seconds),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
            "connection_class": PATIENT_CONNECTIONS.get(urlsplit(url).scheme, PatientConnection)}


def connect(url: str, wait_seconds: float = 0) -> redis.Redis:
    """A client of the frontier; :class:`FrontierUnreachable` when it does not answer a PING.

    ``wait_seconds``: how long its commands wait for the frontier when it goes away (0: they fail at once).
    """
    try:
        params = redis_params(url, wait_seconds) if wait_seconds else {"socket_connect_timeout": 3}
        client = redis.Redis.from_url(url, **params)
        client.ping()
    except ValueError as error:
        raise FrontierUnreachable(f"frontier {url} is not a Redis URL ({error}); use redis://HOST:PORT/N") from None
    except redis.RedisError as error:
        raise FrontierUnreachable(f"frontier {url} is unreachable: {error}") from None
    return client


def fleet_client(settings, url_setting: str = "HROMADA_FRONTIER") -> redis.Redis:
    """A running fleet process's client of the frontier named by the setting: patient with a restart."""
    return connect(settings.get(url_setting), settings.getfloat("HROMADA_FRONTIER_WAIT"))


def member_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FleetFrontier:
    """One crawl process's view of the fleet's Redis: seeding, settled URLs and members' heartbeats."""

    def __init__(self, client: redis.Redis, fleet_keys: dict[str, str], member_ttl: float):
        self.client, self.keys, self.member_ttl = client, fleet_keys, member_ttl
        self.member = member_id()
        self.take_seeding = client.register_script(TAKE_SEEDING)

    @classmethod
    def from_settings(cls, settings) -> "FleetFrontier":
        return cls(fleet_client(settings), keys(settings),
                   settings.getfloat("HROMADA_FRONTIER_MEMBER_TTL"))

    def claim_seeding(self) -> bool:
        """True for the process of a fleet run that is to enqueue the sources' start requests: the first one, or
        one taking over from a seeder that stopped before it was done."""
        if self.client.set(self.keys["seeded"], self.member, nx=True):
            return True
        seeder = self.client.get(self.keys["seeded"])
        if seeder is None or seeder == SEEDED or seeder.decode() in self.live_members():
            return False
        return bool(self.take_seeding(keys=[self.keys["seeded"]], args=[self.member, seeder]))

    def seeding_done(self) -> None:
        self.client.set(self.keys["seeded"], SEEDED)

    def seeding_finished(self) -> bool:
        """The run's start requests are all queued (or the run is over and the next one not begun)."""
        return self.client.get(self.keys["seeded"]) in (SEEDED, None)

    def settled_and_backoff(self, url: str) -> tuple[bool, tuple[str, int, str] | None]:
        """Whether the fleet settled ``url``, and its :meth:`backoff`, in one round trip (asked for every link)."""
        settled, record = self.client.pipeline(transaction=False).sismember(self.keys["settled"], url).hget(
            self.keys["backoff"], url).execute()
        return bool(settled), _backoff(record)

    def settle(self, url: str) -> None:
        self.client.pipeline().sadd(self.keys["settled"], url).hdel(self.keys["backoff"], url).execute()

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The (ETag, Last-Modified) pair the fleet last saw for a discovery URL."""
        record = self.client.hget(self.keys["validators"], url)
        if not record:
            return None, None
        fields = dict(zip(VALIDATOR_FIELDS, json.loads(record)))
        return fields["etag"], fields["last_modified"]

    def save_validators(self, rows: list[dict]) -> None:
        if rows:
            self.client.hset(self.keys["validators"], mapping={
                row["url"]: json.dumps([row[name] for name in VALIDATOR_FIELDS]) for row in rows})

    def backoff(self, url: str) -> tuple[str, int, str] | None:
        """(outcome, failures in a row, retry_at) of a page whose extraction failed, None for any other."""
        return _backoff(self.client.hget(self.keys["backoff"], url))

    def save_backoff(self, url: str, source_id: str, outcome: str, seen_at: str, failures: int, retry_at: str) -> None:
        record = {"source_id": source_id, "outcome": outcome, "seen_at": seen_at, "failures": failures,
                  "retry_at": retry_at}
        self.client.hset(self.keys["backoff"], url, json.dumps([record[name] for name in BACKOFF_FIELDS]))

    def archived_urls(self, source_id: str, since: datetime | None) -> list[str]:
        """The source's archived article URLs (published or first seen on or after ``since``), as the writer
        published them (:func:`crawler.crawl.ingest.publish_archive_state`)."""
        low = since.timestamp() if since else "-inf"
        key = source_key(self.keys, "archived", source_id)
        return [url.decode() for url in self.client.zrangebyscore(key, low, "+inf")]

    def report_removed(self, url: str, source_id: str, seen_at: str) -> str | None:
        """An archived article answered 404/410: the writer flags it (``removed``); None when ``url`` is none."""
        if self.client.zscore(source_key(self.keys, "archived", source_id), url) is None:
            return None
        if not self.client.sadd(self.keys["removed"], url):
            return "still_removed"
        self.client.lpush(self.keys["removals"], json.dumps([url, seen_at]))
        return "removed"

    def archive_published(self) -> bool:
        """True once the writer has published the archive's state for this fleet run."""
        return bool(self.client.exists(self.keys["published"]))

    def beat(self, busy: bool, now: float | None = None) -> None:
        record = json.dumps({"beat": now or time.time(), "busy": busy})
        self.client.hset(self.keys["members"], self.member, record)

    def live_members(self, now: float | None = None) -> dict[str, dict]:
        """Members whose heartbeat is younger than the TTL (a killed process drops out after it)."""
        moment = now or time.time()
        members = {}
        for member, record in self.client.hgetall(self.keys["members"]).items():
            state = json.loads(record)
            if moment - state["beat"] < self.member_ttl:
                members[member.decode()] = state
        return members

    def others_busy(self) -> bool:
        return any(state["busy"] for member, state in self.live_members().items() if member != self.member)

    def leave(self) -> None:
        """Drop out of the fleet; the last member out ends the run (the next run seeds and revisits again)."""
        self.client.hdel(self.keys["members"], self.member)
        if not self.live_members() and not self.queue_length():
            self.client.delete(self.keys["seeded"], self.keys["dupefilter"], self.keys["published"])

    def hand_over_counts(self, stats: dict) -> None:
        """This process's per-source counts (``hromada/<source>/...``), added up in Redis for the writer's run."""
        counts = {key: value for key, value in stats.items() if key.startswith("hromada/") and key.count("/") >= 2
                  and isinstance(value, int) and not isinstance(value, bool)}
        if counts:
            pipe = self.client.pipeline()
            for key, value in counts.items():
                pipe.hincrby(self.keys["counts"], key, value)
            pipe.execute()

    def take_counts(self) -> dict[str, int]:
        """The counts handed over by the fleet's processes since the last take (they are removed)."""
        pipe = self.client.pipeline()
        pipe.hgetall(self.keys["counts"]).delete(self.keys["counts"])
        counts, _ = pipe.execute()
        return {key.decode(): int(value) for key, value in counts.items()}

    def queue_length(self) -> int:
        """Requests of the fleet queued, or taken and not yet finished."""
        return pending_requests(self.client, self.keys)


def _backoff(record: bytes | None) -> tuple[str, int, str] | None:
    if record is None:
        return None
    fields = dict(zip(BACKOFF_FIELDS, json.loads(record)))
    return fields["outcome"], fields["failures"], fields["retry_at"]


class FleetMember:
    """Heartbeats of this process in the fleet; keeps an idle process up while others may add requests."""

    def __init__(self, crawler, frontier: FleetFrontier, interval: float):
        self.crawler, self.frontier, self.interval = crawler, frontier, interval
        self.loop = task.LoopingCall(self.beat)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        member = cls(crawler, FleetFrontier.from_settings(settings), settings.getfloat("HROMADA_FRONTIER_HEARTBEAT"))
        crawler.signals.connect(member.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(member.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(member.spider_closed, signal=signals.spider_closed)
        return member

    def busy(self) -> bool:
        engine = self.crawler.engine
        return bool(engine is not None and engine.downloader.active) or self.frontier.queue_length() > 0

    def beat(self) -> None:
        from crawler.crawl.leases import SourceLeases

        SourceLeases.of(self.crawler).beat(len(self.frontier.live_members()))
        self.frontier.beat(self.busy())
        self.wake_engine()

    def wake_engine(self) -> None:
        """Have the engine ask the scheduler again: work may have come free (a lease released or expired).

        Scrapy asks after each response and every 5 s; a process with nothing in flight would wait those 5 s.
        Its engine's slot is private API, stable through Scrapy 2.x; without it, the 5 s wait stays.
        """
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and not engine.downloader.needs_backout():
            slot.nextcall.schedule()

    def spider_opened(self, spider):
        from crawler.crawl.leases import SourceLeases

        self.frontier.beat(busy=True)
        SourceLeases.of(self.crawler).fleet_size = max(1, len(self.frontier.live_members()))
        self.loop.start(self.interval, now=False)

    def spider_idle(self, spider):
        self.frontier.beat(busy=False)
        if self.frontier.queue_length() or self.frontier.others_busy():
            raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.loop.running:
            self.loop.stop()
        self.frontier.hand_over_counts(self.crawler.stats.get_stats())
        self.frontier.leave()


def fleet_state(client: redis.Redis, fleet_keys: dict[str, str], member_ttl: float,
                now: float | None = None) -> dict:
    """The fleet's processes (heartbeat age, busy, the sources they hold), and its queues: requests per source
    (queued, and taken but not finished), items waiting for the writer."""
    moment = now or time.time()
    holders = lease_holders(client, fleet_keys)
    processes = []
    for member, record in sorted(client.hgetall(fleet_keys["members"]).items()):
        state = json.loads(record)
        host, _, pid = member.decode().rpartition(":")
        age = moment - state["beat"]
        processes.append({"host": host, "pid": int(pid), "heartbeat_age_s": round(age, 1), "busy": state["busy"],
                          "alive": age < member_ttl,
                          "sources": sorted(source for source, holder in holders.items() if holder == member.decode())})
    work = work_per_source(client, fleet_keys)
    return {"processes": processes,
            "pending_requests": {source_id: queued for source_id, (queued, _) in work.items() if queued},
            "unfinished_requests": {source_id: unfinished for source_id, (_, unfinished) in work.items() if unfinished},
            "items_waiting": client.llen(fleet_keys["items"]),
            "items_being_stored": client.llen(fleet_keys["processing"])}
