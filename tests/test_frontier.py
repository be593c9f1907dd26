"""A fleet of crawl processes sharing one frontier on a real redis-server (crawler/crawl/frontier.py)."""

from __future__ import annotations

import json
import os
import pickle
import re
import shlex
import signal
import socket
import sqlite3
import sys
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from click.testing import CliRunner

from crawler.cli import main
from crawler.crawl.ingest import IngestSpider, WriterQueue
from tests.conftest import ROOT, scrapy_crawl, scrapy_crawl_command, write_sample_registry
from tests.redis_server import free_port

pytestmark = pytest.mark.slow

# DOWNLOAD_TIMEOUT: four processes share two cores here; a robots.txt timing out would let its pages through
FLEET_SETTINGS = {"DOWNLOAD_TIMEOUT": "15", "HROMADA_WORKERS": "0", "HROMADA_FRONTIER_HEARTBEAT": "0.2",
                  "HROMADA_FRONTIER_MEMBER_TTL": "3"}


def start_fleet(sites, redis_server, db_paths, delays=None, **settings) -> list[subprocess.Popen]:
    """Crawl processes, each with a scratch archive of its own (its run records and settled URLs)."""
    registry = write_sample_registry(sites, db_paths[0].parent / "registry.toml", delays)
    processes = []
    for db_path in db_paths:
        command, env = scrapy_crawl_command(db_path, sites, HROMADA_FRONTIER=redis_server.url,
                                            HROMADA_REGISTRY=registry, HROMADA_BASE_URLS="{}",
                                            **FLEET_SETTINGS, **settings)
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    return processes


def start_writer(sites, redis_server, archive: Path, delays=None) -> subprocess.Popen:
    registry = write_sample_registry(sites, archive.parent / "registry.toml", delays)
    command = [sys.executable, "-c", "from crawler.cli import main; main()", "ingest", "--frontier",
               redis_server.url, "--db", str(archive), "--registry", str(registry)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HROMADA_WORKERS": "0"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(processes, timeout: float = 120, allowed=(0, -signal.SIGKILL)) -> list[str]:
    """Wait for every process; the stderr of each, asserting each ended with an allowed status."""
    logs = []
    for process in processes:
        _, stderr = process.communicate(timeout=timeout)
        assert process.returncode in allowed, stderr[-3000:]
        logs.append(stderr)
    return logs


def archived_rows(db_paths) -> list[tuple]:
    rows = []
    for db_path in db_paths:
        if db_path.exists():
            rows += sqlite_utils.Database(db_path).execute(
                "select url, title, content_hash from articles").fetchall()
    return sorted(rows)


def stored_any(archive: Path) -> bool:
    """True once the writer has committed an article (its archive may exist before its schema does)."""
    try:
        return bool(archive.exists() and archived_rows([archive]))
    except sqlite3.OperationalError:
        return False


def article_fetches(sites) -> Counter:
    article_paths = {urlsplit(article.url).path for article in sites.expected_articles()}
    return Counter((source_id, record.path) for source_id, records in sites.request_log.items()
                   for record in records if record.path in article_paths)


@pytest.fixture(scope="module")
def single_process_rows(sample_sites, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("single") / "archive.db"
    result = scrapy_crawl(db_path, sample_sites, HROMADA_WORKERS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    return archived_rows([db_path])


def test_three_processes_archive_the_single_crawl_rows_fetching_each_article_once(
        sample_sites, redis_server, single_process_rows, tmp_path):
    db_paths = [tmp_path / f"crawler{n}.db" for n in range(3)]
    archive = tmp_path / "archive.db"
    sample_sites.clear_request_log()
    logs = finish([start_writer(sample_sites, redis_server, archive), *start_fleet(sample_sites, redis_server, db_paths)])
    fetched = article_fetches(sample_sites)
    assert archived_rows([archive]) == single_process_rows, logs[0][-2000:]
    assert fetched and max(fetched.values()) == 1, [key for key, count in fetched.items() if count > 1]
    assert archived_rows(db_paths) == [], "crawl processes of a fleet store no articles themselves"

    sample_sites.clear_request_log()
    finish([start_writer(sample_sites, redis_server, archive), *start_fleet(sample_sites, redis_server, db_paths)])
    assert not article_fetches(sample_sites), "a second fleet run fetched article pages again"
    assert sample_sites.request_log and any(sample_sites.request_log.values()), "the second run revisited nothing"


def test_a_killed_process_leases_expire_and_the_others_finish_its_sources(
        sample_sites, redis_server, single_process_rows, tmp_path):
    db_paths = [tmp_path / f"crawler{n}.db" for n in range(3)]
    archive = tmp_path / "archive.db"
    sample_sites.clear_request_log()
    writer = start_writer(sample_sites, redis_server, archive)
    processes = start_fleet(sample_sites, redis_server, db_paths)
    deadline = time.monotonic() + 30
    while sum(len(records) for records in sample_sites.request_log.values()) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    processes[0].send_signal(signal.SIGKILL)
    # the killed process's counts die with it: its sources may look unreachable in this run's record (status 1)
    logs = finish([writer, *processes], allowed=(0, 1, -signal.SIGKILL))
    rows = archived_rows([archive])
    missing = sorted(url for url, *_ in set(single_process_rows) - set(rows))
    fetches = Counter(sample_sites.base_urls[source_id].rstrip("/") + record.path
                      for source_id, records in sample_sites.request_log.items() for record in records)
    # a message string, which pytest shows whole: what went missing and what each process logged about it
    assert rows == single_process_rows, "\n".join([
        f"extra: {sorted(url for url, *_ in set(rows) - set(single_process_rows))}", f"missing: {missing}",
        *(f"{url} was fetched {fetches[url]} times" for url in missing),
        *(f"process {number}: {line}" for number, log in enumerate(logs) for line in log.splitlines()
          if "took over" in line or "ERROR" in line or "seed" in line
          or any(urlsplit(url).path in line for url in missing))])
    # pages the killed process had passed on were fetched again: the writer acknowledged both copies
    client = redis_server.client()
    assert client.llen(next(iter(client.keys("*:processing")), b"none")) == 0


def test_a_seeder_that_stopped_before_it_was_done_is_taken_over(
        sample_sites, redis_server, single_process_rows, tmp_path):
    archive = tmp_path / "archive.db"
    writer = start_writer(sample_sites, redis_server, archive)
    client = redis_server.client()
    deadline = time.monotonic() + 30
    while not client.keys("*:published") and time.monotonic() < deadline:
        time.sleep(0.05)
    prefix = client.keys("*:published")[0].decode().rpartition(":")[0]
    # the run's seeder claimed the seeding, then stopped: its heartbeat is a minute old
    client.set(f"{prefix}:seeded", "stopped-host:1")
    client.hset(f"{prefix}:members", "stopped-host:1", json.dumps({"beat": time.time() - 60, "busy": True}))
    # one crawl process: a second one that found nothing queued would end the run as it left, clearing the claim
    logs = finish([writer, *start_fleet(sample_sites, redis_server, [tmp_path / "crawler.db"])])
    assert archived_rows([archive]) == single_process_rows, logs[1][-2000:]


#: A few sample sources with a registry delay; the sample sites log each request's arrival time.
POLITE_DELAYS = {"drupal-oblast": 0.3, "dle-portal": 0.3, "wp-hromada": 0.3}
#: Arrival times are stamped by the sample server's threads, which share two cores with four crawl processes:
#: a process's first request to a site (a new connection, a new server thread) was seen stamped 0.09 s late,
#: so two requests sent a delay apart may be stamped up to this much closer. Processes working one source
#: without leases send requests well under a millisecond apart.
ARRIVAL_JITTER_SECONDS = 0.1


def test_three_processes_keep_each_source_delay_fleet_wide(sample_sites, redis_server, tmp_path):
    db_paths = [tmp_path / f"crawler{n}.db" for n in range(3)]
    sample_sites.clear_request_log()
    logs = finish([start_writer(sample_sites, redis_server, tmp_path / "archive.db", POLITE_DELAYS),
                   *start_fleet(sample_sites, redis_server, db_paths, POLITE_DELAYS)])
    log = sample_sites.request_log
    for source_id, delay in POLITE_DELAYS.items():
        arrivals = sorted((record.at, record.path) for record in log[source_id])
        gaps = sorted((later[0] - earlier[0], earlier[1], later[1]) for earlier, later in zip(arrivals, arrivals[1:]))
        assert len(arrivals) > 5, (source_id, len(arrivals))
        assert gaps[0][0] >= delay - ARRIVAL_JITTER_SECONDS, (source_id, gaps[:3], [
            line for text in logs for line in text.splitlines() if "lease" in line or "took over" in line])


def test_a_killed_writer_loses_nothing_and_stores_nothing_twice(
        sample_sites, redis_server, single_process_rows, tmp_path):
    db_paths = [tmp_path / f"crawler{n}.db" for n in range(2)]
    archive = tmp_path / "archive.db"
    writer = start_writer(sample_sites, redis_server, archive)
    processes = start_fleet(sample_sites, redis_server, db_paths)
    deadline = time.monotonic() + 30
    while not stored_any(archive) and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    finish([writer, *processes])
    assert redis_server.client().llen(next(k for k in redis_server.client().keys("*:items")))
    finish([start_writer(sample_sites, redis_server, archive)])
    rows = archived_rows([archive])
    assert rows == single_process_rows, (set(rows) - set(single_process_rows), set(single_process_rows) - set(rows))


def test_the_writer_acknowledges_both_copies_of_a_page_fetched_twice(redis_server):
    # after a takeover a page may be fetched again: its two items wait for the writer side by side
    client = redis_server.client()
    writer = IngestSpider.__new__(IngestSpider)
    writer.queue = WriterQueue(SimpleNamespace(client=client, keys={"items": "t:items", "processing": "t:processing"}))
    writer.taken = {}
    for fetched_by in ("killed process", "next holder"):
        client.lpush("t:items", pickle.dumps({"url": "http://127.0.0.1/a", "source_id": "a", "by": fetched_by}))
    first, second = writer.take_item(), writer.take_item()
    writer.acknowledge(first)
    writer.acknowledge(second)
    assert client.llen("t:processing") == 0 and writer.taken == {}


def test_a_redis_restart_mid_crawl_is_waited_out(sample_sites, redis_server, single_process_rows, tmp_path):
    db_paths = [tmp_path / f"crawler{n}.db" for n in range(2)]
    archive = tmp_path / "archive.db"
    sample_sites.clear_request_log()
    processes = [start_writer(sample_sites, redis_server, archive), *start_fleet(sample_sites, redis_server, db_paths)]
    deadline = time.monotonic() + 30
    while sum(len(records) for records in sample_sites.request_log.values()) < 15 and time.monotonic() < deadline:
        time.sleep(0.02)
    redis_server.process.terminate()  # SIGTERM: redis-server writes its append-only file and exits
    redis_server.process.wait(timeout=10)
    time.sleep(1.5)
    redis_server.start()
    logs = finish(processes)
    assert archived_rows([archive]) == single_process_rows
    waited = [log for log in logs if "is unreachable" in log]
    assert waited and all(log.count("waiting up to") == log.count("is back") for log in waited)
    tracebacks = [log[max(0, log.index("Traceback") - 2000):][:5000] for log in logs if "Traceback" in log]
    assert not tracebacks, tracebacks[0]


def test_redis_keys_are_namespaced_per_registry(sample_sites, redis_server, tmp_path):
    finish([start_writer(sample_sites, redis_server, tmp_path / "archive.db"),
            *start_fleet(sample_sites, redis_server, [tmp_path / "one.db"], HROMADA_SINCE="2099-01-01")])
    names = {key.decode() for key in redis_server.client().keys("*")}
    assert names and all(name.startswith("hromada:") for name in names)
    assert len({name.split(":")[1] for name in names}) == 1


class ClosingServer:
    """A listener on a loopback port that closes every connection it accepts at once, as a redis-server going down
    or coming up may: the socket connects, then the commands a new connection sends (CLIENT SETINFO) are cut."""

    def __init__(self, port: int):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


def test_a_connection_cut_while_it_opens_is_waited_out_too(tmp_path, caplog):
    """redis-py retries a refused socket, but a connection the pool opens for a command is opened outside that
    command's retry: a fleet process starting while the frontier restarted failed at its first PING."""
    from crawler.crawl.frontier import connect
    from tests.redis_server import RedisServer

    port = free_port()
    closing = ClosingServer(port)
    server = RedisServer(tmp_path, port)

    def restart_later():
        time.sleep(1.2)
        closing.close()
        server.start()

    restarter = threading.Thread(target=restart_later)
    restarter.start()
    try:
        with caplog.at_level("WARNING", logger="crawler.crawl.frontier"):
            client = connect(server.url, wait_seconds=30)
            assert client.ping() and closing.accepted >= 1
        restarter.join()
        assert "waiting up to 30 s" in caplog.text and "is back" in caplog.text
    finally:
        restarter.join()
        server.stop()


def test_a_frontier_that_stays_down_is_waited_for_once_not_at_every_retry_level(caplog):
    """A command's retry, its connection's opening and the socket's connect each retry: nested, a frontier that stayed
    down was waited for the wait times over at every level (HROMADA_FRONTIER_WAIT 300 s: days)."""
    from crawler.crawl.frontier import FrontierUnreachable, connect

    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="crawler.crawl.frontier"), pytest.raises(FrontierUnreachable):
        connect(url, wait_seconds=3)
    assert time.monotonic() - started < 12  # nested: 7 openings of 3 s each at the least
    assert caplog.text.count("waiting up to 3 s") == 1 and "is back" not in caplog.text


@pytest.mark.parametrize("url, transport", [("redis://127.0.0.1:6379/0", "Connection"),
                                            ("rediss://127.0.0.1:6380/0", "SSLConnection"),
                                            ("unix:///tmp/redis.sock", "UnixDomainSocketConnection")])
def test_a_patient_connection_keeps_the_transport_its_url_names(url, transport):
    import redis

    from crawler.crawl.frontier import PatientOpening, redis_params

    connection = redis.Redis.from_url(url, **redis_params(url, 1)).connection_pool.make_connection()
    assert type(connection).__mro__[1:3] == (PatientOpening, getattr(redis, transport))


def test_unreachable_frontier_exits_2_naming_the_address(tmp_path):
    address = f"redis://127.0.0.1:{free_port()}/0"
    result = CliRunner().invoke(main, ["crawl", "--frontier", address, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert address in result.stderr and "unreachable" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "a.db").exists()


def test_readme_fleet_units_are_the_shipped_ones_and_their_commands_parse():
    from tests.test_schedule import parse_unit

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Running on several machines", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = [block.strip() for block in re.findall(r"```ini\n(.*?)```", section, re.S)]
    units = [(ROOT / "docs" / "fleet" / name).read_text(encoding="utf-8").strip()
             for name in ("hromada-ingest.service", "hromada-fleet-crawl.service")]
    assert blocks == units
    for unit, command in zip(units, ("ingest", "crawl")):
        words = shlex.split(parse_unit(unit)["Service"]["ExecStart"])
        assert words[0].endswith("/hromada") and words[1] == command and "--frontier" in words
        main.get_command(None, command).make_context(command, words[2:])  # an unknown option or bad value raises
    inline = [shlex.split(text) for text in re.findall(r"`(hromada [^`]+)`", section)]
    assert {words[1] for words in inline} >= {"ingest", "crawl", "fleet"}
    for words in inline:
        main.get_command(None, words[1]).make_context(words[1], words[2:])


def test_fleet_command_shows_processes_their_sources_pending_requests_per_source_and_waiting_items(redis_server):
    import json as json_module

    from crawler.crawl.frontier import FleetFrontier, keys, source_key
    from crawler.crawl.run import CrawlOptions, build_settings
    from crawler.registry import DEFAULT_REGISTRY

    settings = build_settings(CrawlOptions(archive_path=Path("-"), registry_path=DEFAULT_REGISTRY))
    fleet_keys = keys(settings)
    client = redis_server.client()
    member = FleetFrontier(client, fleet_keys, member_ttl=10)
    member.beat(busy=True, now=time.time() - 2)
    for source_id, count in (("ekhmilnyk", 2), ("other", 1)):
        client.sadd(fleet_keys["sources"], source_id)
        client.zadd(source_key(fleet_keys, "requests", source_id), {f"request {n}": 0 for n in range(count)})
    client.hset(source_key(fleet_keys, "inflight", "other"), "token", "request")
    client.set(source_key(fleet_keys, "lease", "other"), member.member, px=10_000)
    client.lpush(fleet_keys["items"], b"x")
    result = CliRunner().invoke(main, ["fleet", "--frontier", redis_server.url, "--json"])
    assert result.exit_code == 0, result.output
    state = json_module.loads(result.output)
    (process,) = state["processes"]
    assert process["alive"] and process["busy"] and 1.5 < process["heartbeat_age_s"] < 5
    assert process["sources"] == ["other"]
    assert state["pending_requests"] == {"ekhmilnyk": 2, "other": 1}
    assert state["unfinished_requests"] == {"other": 1}
    assert state["items_waiting"] == 1 and state["items_being_stored"] == 0
    text = CliRunner().invoke(main, ["fleet", "--frontier", redis_server.url]).output
    assert "sources: other" in text and "Taken, not finished: other 1" in text
