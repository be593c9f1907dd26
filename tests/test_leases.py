"""Source leases on a real redis-server (crawler/crawl/leases.py): one process works a source at a time."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from types import SimpleNamespace

from scrapy import Request
from scrapy.settings import Settings
from scrapy_redis import picklecompat

from crawler.crawl.frontier import lease_holders, pending_requests, source_key, work_per_source
from crawler.crawl.leases import TOKEN, FinishedRequests, SourceLeases

FLEET_KEYS = {name: f"hromada:test:{name}" for name in ("requests", "sources", "lease", "inflight", "dupefilter")}


def process_leases(redis_server, member: str, lease_seconds: float = 5.0, delay: float = 0.0,
                   per_source: int = 8) -> SourceLeases:
    """The leases of one crawl process, outside a crawl: no engine yet, so nothing is in its downloader."""
    crawler = SimpleNamespace(engine=None, spider=None, settings=Settings({"DOWNLOAD_DELAY": delay}))
    return SourceLeases(crawler, redis_server.client(), FLEET_KEYS, member, lease_seconds, per_source, time.monotonic)


def queue(leases: SourceLeases, source_id: str, *paths: str) -> None:
    for path in paths:
        leases.push(source_id, picklecompat.dumps({"url": f"http://127.0.0.1{path}", "priority": 0}), 0)


def take_all(leases: SourceLeases) -> list[tuple[str, str, str]]:
    taken = []
    while (request := leases.take()) is not None:
        source_id, token, encoded = request
        taken.append((source_id, token, picklecompat.loads(encoded)["url"]))
    return taken


def test_each_source_is_handed_to_one_process_only(redis_server):
    first, second = process_leases(redis_server, "host:1"), process_leases(redis_server, "host:2")
    queue(first, "a", "/a1", "/a2")
    queue(first, "b", "/b1")
    taken_by_first = take_all(first)
    assert {source for source, _, _ in taken_by_first} == {"a", "b"}
    queue(first, "a", "/a3")  # discovered later: still the first process's source
    assert take_all(second) == []
    assert [url for _, _, url in take_all(first)] == ["http://127.0.0.1/a3"]
    assert lease_holders(redis_server.client(), FLEET_KEYS) == {"a": "host:1", "b": "host:1"}


def test_a_process_takes_at_most_its_per_source_limit_and_leases_another_source_for_more(redis_server):
    leases = process_leases(redis_server, "host:1", per_source=1)
    queue(leases, "a", "/a1", "/a2")
    queue(leases, "b", "/b1")
    leases.in_downloader = lambda: Counter(a=1)  # one request of "a" already downloading here
    leases.held.append("a")
    redis_server.client().set(source_key(FLEET_KEYS, "lease", "a"), "host:1")
    assert [source for source, _, _ in take_all(leases)] == ["b"]


def test_finished_requests_leave_the_inflight_set_and_a_drained_source_is_released_after_its_delay(redis_server):
    leases = process_leases(redis_server, "host:1", delay=0.3)
    other = process_leases(redis_server, "host:2")
    queue(leases, "a", "/a1", "/a2")
    (_, first_token, _), (_, second_token, _) = take_all(leases)
    assert work_per_source(redis_server.client(), FLEET_KEYS) == {"a": (0, 2)}
    leases.finished({TOKEN: ("a", first_token)})
    meta = {TOKEN: ("a", second_token)}
    leases.output_done(meta, items=1)  # its one item is still in the pipelines
    leases.beat()
    assert leases.held == ["a"], "a source with a request unfinished keeps its lease"
    leases.item_finished({}, response=SimpleNamespace(meta=meta))
    assert pending_requests(redis_server.client(), FLEET_KEYS) == 0 and TOKEN not in meta
    leases.beat()
    assert leases.held == []
    queue(other, "a", "/a3")
    assert take_all(other) == [], "the released lease is kept for the source's delay"
    time.sleep(0.35)
    assert [url for _, _, url in take_all(other)] == ["http://127.0.0.1/a3"]


def test_a_page_is_finished_only_once_the_requests_it_found_are_queued(redis_server):
    """Scrapy reads a callback's output ahead into a buffer: were the requests found still only there when
    the page left the in-flight set, a process killed then would lose them."""
    leases = process_leases(redis_server, "host:1")
    queue(leases, "a", "/listing")
    [(_, token, _)] = take_all(leases)
    engine = SimpleNamespace(crawl=lambda request: leases.push("a", picklecompat.dumps({"url": request.url}), 0))
    middleware = FinishedRequests(SimpleNamespace(engine=engine, hromada_leases=leases))

    async def found_on_the_page():
        for path in ("/a1", "/a2"):
            yield Request(f"http://127.0.0.1{path}")

    async def read_without_scheduling():
        return [output async for output in middleware.process_spider_output(
            SimpleNamespace(meta={TOKEN: ("a", token)}), found_on_the_page())]

    asyncio.run(read_without_scheduling())
    assert work_per_source(redis_server.client(), FLEET_KEYS) == {"a": (2, 0)}


def test_a_dead_process_leases_expire_and_the_next_holder_queues_its_unfinished_requests_again(redis_server):
    dead = process_leases(redis_server, "host:1", lease_seconds=0.3)
    survivor = process_leases(redis_server, "host:2")
    queue(dead, "a", "/a1", "/a2", "/a3")
    dead.take(), dead.take()  # taken, never finished: the process is killed
    assert take_all(survivor) == []
    time.sleep(0.4)
    assert sorted(url for _, _, url in take_all(survivor)) == [f"http://127.0.0.1/a{n}" for n in (1, 2, 3)]
    assert work_per_source(redis_server.client(), FLEET_KEYS) == {"a": (0, 3)}


def test_a_closing_process_queues_what_it_did_not_finish_and_gives_its_leases_up(redis_server):
    closing, other = process_leases(redis_server, "host:1"), process_leases(redis_server, "host:2")
    queue(closing, "a", "/a1", "/a2")
    closing.take()
    closing.close()
    assert sorted(url for _, _, url in take_all(other)) == ["http://127.0.0.1/a1", "http://127.0.0.1/a2"]


def test_a_lease_lost_while_stalled_is_dropped_with_a_warning(redis_server, caplog):
    stalled = process_leases(redis_server, "host:1", lease_seconds=0.2)
    queue(stalled, "a", "/a1", "/a2")
    stalled.take()
    time.sleep(0.3)
    taker = process_leases(redis_server, "host:2")
    assert take_all(taker)
    stalled.beat()
    assert stalled.held == [] and "lease expired" in caplog.text
    assert take_all(stalled) == []


def test_sources_held_beyond_a_process_share_are_released_for_a_process_that_joined(redis_server):
    early = process_leases(redis_server, "host:1")
    for source_id in "abcd":
        queue(early, source_id, f"/{source_id}1", f"/{source_id}2")
    taken = []
    early.in_downloader = lambda: Counter(source for source, _, _ in taken)  # one at a time per source
    early.per_source = 1
    while (request := early.take()) is not None:  # alone in the fleet: it leases every source
        taken.append(request)
    assert sorted(early.held) == ["a", "b", "c", "d"] and len(taken) == 4
    early.beat(fleet_size=2)  # another process joined: two sources each
    drained = set(early.draining)
    assert len(drained) == 2 and len(early.held) == 4, "in flight here: drained, not yet released"
    for source_id, token, _ in taken:
        early.finished({TOKEN: (source_id, token)})
    early.beat(fleet_size=2)
    assert sorted(early.held) == sorted(set("abcd") - drained)
    joined = process_leases(redis_server, "host:2")
    joined.fleet_size = 2
    assert {source for source, _, _ in take_all(joined)} == drained, "their queued requests go with them"


def test_a_take_retried_after_a_lost_reply_returns_the_same_request_and_loses_none(redis_server):
    leases = process_leases(redis_server, "host:1")
    queue(leases, "a", "/a1", "/a2")
    source_id, token, encoded = leases.take()
    leases.tokens = itertools.chain([int(token.rpartition(":")[2])], itertools.count(100))  # a retry: the same call
    assert leases.take_from(source_id) == (source_id, token, encoded)
    assert [url for _, _, url in take_all(leases)] == ["http://127.0.0.1/a2"]


def test_a_request_is_queued_once_and_seen_only_when_queued(redis_server):
    leases, client = process_leases(redis_server, "host:1"), redis_server.client()
    encoded = picklecompat.dumps({"url": "http://127.0.0.1/a1", "priority": 0})
    assert leases.push("a", encoded, 0, fingerprint="fp-a1")
    assert not leases.push("a", encoded, 0, fingerprint="fp-a1")
    assert client.zcard(source_key(FLEET_KEYS, "requests", "a")) == 1
    assert client.smembers(FLEET_KEYS["dupefilter"]) == {b"fp-a1"}
    assert leases.push("a", picklecompat.dumps({"url": "http://127.0.0.1/a1", "priority": 5}), 5)  # no filter
    assert client.zcard(source_key(FLEET_KEYS, "requests", "a")) == 2 and client.sismember(FLEET_KEYS["sources"], "a")
