"""Fleet-wide politeness: each source is worked by one crawl process at a time, under a Redis lease.

Built on scrapy-redis's extension points: :class:`LeasedScheduler` (its scheduler) with
:class:`LeasedSourceQueue` (its queue class). Keys, under the fleet's namespace (crawler/crawl/frontier.py):

* ``requests:<source>``: the source's queued requests, a sorted set by priority (as scrapy-redis's
  PriorityQueue), and ``sources``: the sources that may have queued or unfinished requests;
* ``lease:<source>``: the member id of the process working the source, expiring after
  ``HROMADA_FRONTIER_MEMBER_TTL`` unless that process's heartbeat renews it;
* ``inflight:<source>``: requests its lease holder took and has not finished (token -> request).

A process takes requests only from sources it holds (at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` of one source
in its downloader at once) and leases a free source when its own have nothing to hand out, so a source's
``delay``, AutoThrottle and robots.txt work as in a single process. A request is finished once all it
gave is in the frontier: its callback's requests queued and its items through the pipelines (which hand them
to the writer), its errback run, or its retry or redirect queued. The heartbeat releases a source with
nothing queued or in flight, keeping the lease for the source's download delay, so the next process's first
request is that delay after this one's last. A killed process's leases expire; the next holder of each source
puts its unfinished requests back in the queue first, so nothing taken is lost (a page may be fetched twice).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from urllib.parse import urlparse

from scrapy import signals
from scrapy.http import Request
from scrapy_redis import picklecompat
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

from crawler.crawl import frontier
from crawler.crawl.frontier import pending_requests, source_key, work_per_source

logger = logging.getLogger(__name__)
TOKEN = "hromada_lease"  # request.meta: (source id, token) of a request taken from the frontier
#: After a failed attempt to lease a source, the next attempt waits this long (pops come once per response).
LEASE_RETRY_SECONDS = 0.2

# KEYS: dupefilter, requests of the source, sources. ARGV: fingerprint ('' to skip the filter), request, score,
# source. Seen and queued in one step: a process killed between the two would leave a request seen and never queued.
PUSH_UNSEEN = """
if ARGV[1] ~= '' and redis.call('sadd', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('zadd', KEYS[2], ARGV[3], ARGV[2])
redis.call('sadd', KEYS[3], ARGV[4])
return 1
"""
# KEYS: sources. ARGV: key prefix, member, lease ms. A free source with queued or unfinished requests, leased.
LEASE_ANY = """
for _, source in ipairs(redis.call('smembers', KEYS[1])) do
  if redis.call('zcard', ARGV[1] .. 'requests:' .. source) == 0
     and redis.call('hlen', ARGV[1] .. 'inflight:' .. source) == 0 then
    redis.call('srem', KEYS[1], source)
  elseif redis.call('set', ARGV[1] .. 'lease:' .. source, ARGV[2], 'NX', 'PX', ARGV[3]) then
    return source
  end
end
return false
"""
# KEYS: requests, inflight, lease of a source. ARGV: member, token. Its first request, moved to in flight.
# A token already in flight is a retry of a take whose reply was lost (a Redis restart): the same request again.
TAKE = """
local taken = redis.call('hget', KEYS[2], ARGV[2])
if taken then return taken end
if redis.call('get', KEYS[3]) ~= ARGV[1] then return false end
local first = redis.call('zrange', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('zrem', KEYS[1], first[1])
redis.call('hset', KEYS[2], ARGV[2], first[1])
return first[1]
"""
# KEYS: lease, requests, inflight of a source. ARGV: member, lease ms, hold ms, draining (1: release it once
# nothing is in flight, queued requests or not). -1: the lease is not ours (any more); 1: renewed; 0: released
# (kept for the hold, or deleted).
BEAT = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
if (ARGV[4] == '0' and redis.call('zcard', KEYS[2]) > 0) or redis.call('hlen', KEYS[3]) > 0 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if tonumber(ARGV[3]) > 0 then redis.call('pexpire', KEYS[1], ARGV[3]) else redis.call('del', KEYS[1]) end
return 0
"""
# KEYS: lease. ARGV: member, hold ms. Give a lease up, kept for the hold (the process is ending).
GIVE_UP = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return redis.call('del', KEYS[1])
"""


class SourceLeases:
    """This process's leases on sources and the requests it took from them, in the fleet's Redis."""

    def __init__(self, crawler, client, fleet_keys: dict[str, str], member: str, lease_seconds: float,
                 per_source: int, clock):
        self.crawler, self.client, self.keys, self.member = crawler, client, fleet_keys, member
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self.per_source, self.clock = per_source, clock
        self.prefix = fleet_keys["requests"][: -len("requests")]
        self.held: list[str] = []
        self.draining: set[str] = set()  # held beyond this process's share: taken from no more, released soon
        self.fleet_size = 1  # live crawl processes, as of the last heartbeat
        self.tokens = itertools.count(1)
        self.items_left: Counter = Counter()  # token -> items of its response still in the pipelines
        self.outputs_done: set[tuple[str, str]] = set()
        self.next_lease_attempt = 0.0
        self.lease_any, self.take_script = client.register_script(LEASE_ANY), client.register_script(TAKE)
        self.beat_script, self.give_up_script = client.register_script(BEAT), client.register_script(GIVE_UP)
        self.push_script = client.register_script(PUSH_UNSEEN)

    @classmethod
    def of(cls, crawler) -> "SourceLeases":
        """The crawler's one instance, shared by its scheduler, spider middleware and heartbeat."""
        leases = getattr(crawler, "hromada_leases", None)
        if leases is None:
            settings = crawler.settings
            leases = cls(crawler, frontier.fleet_client(settings), frontier.keys(settings), frontier.member_id(),
                         settings.getfloat("HROMADA_FRONTIER_MEMBER_TTL"),
                         settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), time.monotonic)
            crawler.hromada_leases = leases
            for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
                crawler.signals.connect(leases.item_finished, signal=signal)
        return leases

    def key(self, kind: str, source_id: str) -> str:
        return source_key(self.keys, kind, source_id)

    # -- the queue -----------------------------------------------------------
    def push(self, source_id: str, encoded: bytes, priority: int, fingerprint: str | None = None) -> bool:
        """Queue the request unless the fleet has seen its fingerprint (None: queue it regardless); True if queued."""
        return bool(self.push_script(keys=[self.keys["dupefilter"], self.key("requests", source_id),
                                           self.keys["sources"]],
                                     args=[fingerprint or "", encoded, -priority, source_id]))

    def take(self) -> tuple[str, str, bytes] | None:
        """(source id, token, encoded request): the next request of a held source, leasing one when needed."""
        in_downloader = self.in_downloader()
        for _ in range(len(self.held)):
            source_id = self.held.pop(0)
            self.held.append(source_id)  # round robin over the held sources
            if source_id in self.draining or in_downloader[source_id] >= self.per_source:
                continue
            taken = self.take_from(source_id)
            if taken is not None:
                return taken
        while self.clock() >= self.next_lease_attempt and len(self.held) < self.share():
            source_id = self.lease_any(keys=[self.keys["sources"]], args=[self.prefix, self.member, self.lease_ms])
            if not source_id:
                self.next_lease_attempt = self.clock() + LEASE_RETRY_SECONDS
                return None
            source_id = source_id.decode()
            self.held.append(source_id)
            self.requeue_unfinished(source_id)
            taken = self.take_from(source_id)
            if taken is not None:
                return taken
        return None

    def take_from(self, source_id: str) -> tuple[str, str, bytes] | None:
        token = f"{self.member}:{next(self.tokens)}"
        encoded = self.take_script(keys=[self.key("requests", source_id), self.key("inflight", source_id),
                                         self.key("lease", source_id)], args=[self.member, token])
        return None if encoded is None else (source_id, token, encoded)

    def share(self) -> int:
        """The most sources this process holds: the fleet's sources with work, shared by its live processes."""
        return max(1, -(-self.client.scard(self.keys["sources"]) // self.fleet_size))

    def in_downloader(self) -> Counter:
        engine = self.crawler.engine
        active = engine.downloader.active if engine is not None and engine.downloader is not None else ()
        return Counter(request.meta.get("source_id") for request in active)

    def requeue_unfinished(self, source_id: str) -> int:
        """A source taken over from a process that died: the requests it took and never finished, queued again."""
        unfinished = self.client.hgetall(self.key("inflight", source_id))
        self.requeue(source_id, unfinished)
        if unfinished:
            logger.warning("%s: took over from a process that stopped; %d unfinished requests queued again",
                           source_id, len(unfinished))
        return len(unfinished)

    def requeue(self, source_id: str, unfinished: dict[bytes, bytes]) -> None:
        """Move in-flight requests (token -> encoded request) of a source back to its queue, at their priority."""
        if not unfinished:
            return
        pipe = self.client.pipeline()
        for token, encoded in unfinished.items():
            pipe.zadd(self.key("requests", source_id), {encoded: -picklecompat.loads(encoded).get("priority", 0)})
            pipe.hdel(self.key("inflight", source_id), token)
        pipe.execute()

    # -- finishing requests --------------------------------------------------
    def finished(self, meta: dict) -> None:
        """The request of ``meta`` has given all it will: it leaves the in-flight set."""
        lease = meta.pop(TOKEN, None)
        if lease is not None:
            self.items_left.pop(lease[1], None)
            self.outputs_done.discard(lease)
            self.client.hdel(self.key("inflight", lease[0]), lease[1])

    def output_done(self, meta: dict, items: int) -> None:
        """A callback's output is all handed on; the request is finished when its items are too."""
        lease = meta.get(TOKEN)
        if lease is None:
            return
        self.items_left[lease[1]] += items
        self.outputs_done.add(tuple(lease))
        self.finish_if_done(meta)

    def item_finished(self, item, response=None, spider=None, **kwargs) -> None:
        meta = getattr(response, "meta", None) if response is not None else None
        lease = meta.get(TOKEN) if meta else None
        if lease is not None:
            self.items_left[lease[1]] -= 1
            self.finish_if_done(meta)

    def finish_if_done(self, meta: dict) -> None:
        lease = tuple(meta[TOKEN])
        if lease in self.outputs_done and self.items_left[lease[1]] <= 0:
            self.finished(meta)

    # -- heartbeat and release -----------------------------------------------
    def beat(self, fleet_size: int = 1) -> None:
        """Renew the leases of sources with work left; release the others, kept for their download delay.

        Sources held beyond this process's share (the fleet grew) are drained: released once nothing of
        theirs is in flight here, so another process takes them up with their queued requests.
        """
        self.fleet_size = max(1, fleet_size)
        working = [source_id for source_id in self.held if source_id not in self.draining]
        surplus = len(working) - self.share()
        self.draining.update(working[len(working) - surplus:] if surplus > 0 else ())
        for source_id in list(self.held):
            state = self.beat_script(keys=[self.key("lease", source_id), self.key("requests", source_id),
                                           self.key("inflight", source_id)],
                                     args=[self.member, self.lease_ms, int(self.hold_seconds(source_id) * 1000),
                                           int(source_id in self.draining)])
            if state == 1:
                continue
            self.held.remove(source_id)
            self.draining.discard(source_id)
            if state == -1:
                logger.warning("%s: the lease expired before this process renewed it (stalled longer than "
                               "HROMADA_FRONTIER_MEMBER_TTL); another process may work the source", source_id)

    def hold_seconds(self, source_id: str) -> float:
        """The download delay this process keeps for the source (its slot's, as AutoThrottle left it)."""
        spider = self.crawler.spider
        source = getattr(spider, "sources_by_id", {}).get(source_id)
        downloader = self.crawler.engine.downloader if self.crawler.engine is not None else None
        if source is not None and downloader is not None:
            slot = downloader.slots.get(urlparse(source.homepage).hostname or "")
            if slot is not None:
                return slot.delay
            slot_settings = downloader.per_slot_settings.get(source.domain, {})
            return slot_settings.get("delay", self.crawler.settings.getfloat("DOWNLOAD_DELAY"))
        return self.crawler.settings.getfloat("DOWNLOAD_DELAY")

    def close(self) -> None:
        """The process ends: what it took and did not finish goes back in the queue, and its leases go."""
        for source_id in self.held:
            self.requeue_unfinished_of_mine(source_id)
            self.give_up_script(keys=[self.key("lease", source_id)],
                                args=[self.member, int(self.hold_seconds(source_id) * 1000)])
        self.held.clear()
        self.draining.clear()

    def requeue_unfinished_of_mine(self, source_id: str) -> None:
        mine = {token: encoded for token, encoded in self.client.hgetall(self.key("inflight", source_id)).items()
                if token.decode().startswith(self.member + ":")}
        self.requeue(source_id, mine)


class LeasedSourceQueue(Base):
    """scrapy-redis queue class: one priority queue per source, handed out under the source's lease."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.leases = SourceLeases.of(spider.crawler)

    def __len__(self):
        """Requests of the whole fleet still to do (an idle process stays up while any source has some)."""
        return pending_requests(self.server, self.leases.keys)

    def push(self, request, fingerprint: str | None = None) -> bool:
        return self.leases.push(request.meta.get("source_id", "?"), self._encode_request(request), request.priority,
                                fingerprint)

    def pop(self, timeout=0):
        taken = self.leases.take()
        if taken is None:
            return None
        source_id, token, encoded = taken
        request = self._decode_request(encoded)
        request.meta[TOKEN] = (source_id, token)
        return request

    def clear(self):
        for source_id in work_per_source(self.server, self.leases.keys):
            self.server.delete(self.leases.key("requests", source_id), self.leases.key("inflight", source_id))


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler, its duplicate check and queueing made one step; a request queued again (a retry,
    a redirect) finishes the one it replaces."""

    def enqueue_request(self, request):
        replaced = request.meta.pop(TOKEN, None)
        queued = self.queue.push(request, None if request.dont_filter else self.df.request_fingerprint(request))
        if not queued:
            self.df.log(request, self.spider)
        elif self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        if replaced is not None:
            self.queue.leases.finished({TOKEN: replaced})
        return queued

    def close(self, reason):
        self.queue.leases.close()
        super().close(reason)


class FinishedRequests:
    """Spider middleware, outermost: a response's request is finished once its callback's output is handed on.

    It queues the callback's requests itself, as each comes: Scrapy's scraper reads a callback's output ahead
    into a buffer and schedules the requests from there, so the output could end (and the request be finished)
    before they were in the frontier, and a process killed in between lost them.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result, spider=None):
        items = 0
        try:
            async for output in result:
                if isinstance(output, Request):
                    self.crawler.engine.crawl(output)
                    continue
                items += 1
                yield output
        finally:
            if TOKEN in response.meta:
                SourceLeases.of(self.crawler).output_done(response.meta, items)
