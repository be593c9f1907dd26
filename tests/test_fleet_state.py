"""A fleet's crawl processes keep no archive file: what they must know of earlier runs (settled URLs, validators,
backoff, archived URLs for --refresh, removals) lives in Redis, published and taken back by the writer
(crawler/crawl/frontier.py, crawler/crawl/ingest.py). Against a real redis-server and the sample sites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import ROOT, SAMPLE_NOW, scrapy_crawl, write_sample_registry
from tests.test_frontier import FLEET_SETTINGS, archived_rows, article_fetches, finish, start_writer

pytestmark = pytest.mark.slow

SOURCE = "wp-hromada"
REVISED = "koly-dadut-teplo-vidpovidi"
GONE = "vidkliuchennia-vody-lypen"


def start_crawl_hosts(sites, redis_server, directory: Path, count: int = 3, refresh: bool = False):
    """Crawl processes as ``hromada crawl --frontier URL`` (no --db) runs them, each in a directory of its own
    that is its working directory and its TMPDIR."""
    registry = write_sample_registry(sites, directory / "registry.toml")
    overrides = {**FLEET_SETTINGS, "HROMADA_FRONTIER": redis_server.url}
    code = ("import json, sys; from datetime import datetime; from pathlib import Path\n"
            "from crawler.cli.crawl import crawl_for_fleet; from crawler.crawl.run import CrawlOptions\n"
            f"sys.exit(crawl_for_fleet(CrawlOptions(archive_path=None, registry_path=Path({str(registry)!r}), "
            f"now=datetime.fromisoformat({SAMPLE_NOW.isoformat()!r}), since=datetime(2020, 1, 1), local=True, "
            f"refresh={refresh}, "
            f"progress='off', overrides=json.loads({json.dumps(overrides)!r}))))")
    processes, homes = [], []
    for n in range(count):
        home = directory / f"crawl-host-{n}"
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(home / "tmp")}
        processes.append(subprocess.Popen([sys.executable, "-c", code], cwd=home, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        homes.append(home)
    return processes, homes


def fleet_run(sites, redis_server, archive: Path, directory: Path, **options) -> tuple[list[str], list[Path]]:
    sites.clear_request_log()
    writer = start_writer(sites, redis_server, archive)
    processes, homes = start_crawl_hosts(sites, redis_server, directory, **options)
    return finish([writer, *processes]), homes


def conditional_requests(sites) -> int:
    return sum(1 for records in sites.request_log.values() for record in records
               if {"if-none-match", "if-modified-since"} & {name.lower() for name in record.headers})


def archive_files_under(home: Path) -> list[Path]:
    """SQLite files left in a crawl host's working directory or TMPDIR (a library's cache there is no archive)."""
    return [path for path in home.rglob("*") if path.is_file() and path.read_bytes()[:16] == b"SQLite format 3\0"]


def test_crawl_processes_keep_no_file_and_a_second_fleet_run_fetches_no_article_again(
        sample_sites, redis_server, tmp_path):
    single = tmp_path / "single.db"
    assert scrapy_crawl(single, sample_sites, HROMADA_WORKERS="0").returncode == 0
    archive = tmp_path / "archive.db"
    logs, homes = fleet_run(sample_sites, redis_server, archive, tmp_path)
    fetched = article_fetches(sample_sites)
    assert archived_rows([archive]) == archived_rows([single]), logs[0][-2000:]
    assert fetched and max(fetched.values()) == 1
    assert all(archive_files_under(home) == [] for home in homes), [archive_files_under(home) for home in homes]
    assert all(sorted(path.name for path in home.iterdir()) == ["tmp"] for home in homes)

    logs, homes = fleet_run(sample_sites, redis_server, archive, tmp_path)
    assert not article_fetches(sample_sites), "a second fleet run fetched article pages again"
    assert conditional_requests(sample_sites) > 0, "discovery pages were not revisited with the fleet's validators"
    validators = sqlite_utils.Database(archive)["url_validators"].count
    assert validators > 0, "the writer took no validators back into the archive"
    assert all(archive_files_under(home) == [] for home in homes)


def test_a_fleet_on_an_archive_one_process_built_fetches_none_of_its_articles(sample_sites, redis_server, tmp_path):
    archive = tmp_path / "archive.db"
    assert scrapy_crawl(archive, sample_sites, HROMADA_WORKERS="0").returncode == 0
    before = archived_rows([archive])
    logs, _ = fleet_run(sample_sites, redis_server, archive, tmp_path)
    assert not article_fetches(sample_sites), logs[0][-2000:]
    assert conditional_requests(sample_sites) > 0, "the archive's validators did not reach the crawl processes"
    assert archived_rows([archive]) == before


def test_a_fleet_refresh_keeps_a_revision_and_flags_a_removed_article(sample_sites, redis_server, tmp_path):
    archive = tmp_path / "archive.db"
    assert scrapy_crawl(archive, sample_sites, HROMADA_WORKERS="0").returncode == 0
    original = next(article for article in sample_sites.articles(SOURCE) if article.slug == REVISED)
    revised = sample_sites.revise_article(SOURCE, REVISED, title="Коли дадуть тепло: відповіді читачам",
                                          body=original.body + "\n\nОновлено: графік оприлюднять до жовтня.")
    gone = sample_sites.remove_article(SOURCE, GONE)
    logs, _ = fleet_run(sample_sites, redis_server, archive, tmp_path, refresh=True)
    db = sqlite_utils.Database(archive)
    row = next(db.query("select title, revision from articles where url = ?", [revised.url]))
    assert row == {"title": revised.title, "revision": 2}, logs[0][-2000:]
    assert next(db.query("select removed_at from articles where url = ?", [gone]))["removed_at"]
    run = next(db.query("select * from run_sources where source_id = ? order by run_id desc limit 1", [SOURCE]))
    assert run["articles_removed"] == 1 and "http_404" not in json.loads(run["errors"] or "{}")


def test_db_with_frontier_is_refused_naming_the_writer(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "--frontier", "redis://127.0.0.1:1/0", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "hromada ingest --frontier redis://127.0.0.1:1/0" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.db").exists()


def test_scratch_of_a_killed_crawl_process_is_removed_by_the_next_one(tmp_path):
    from crawler.cli.crawl import SCRATCH_PREFIX, remove_scratch_of_ended_processes

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    left_behind = tmp_path / f"{SCRATCH_PREFIX}{ended.pid}-k1ll3d"
    running = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-l1v3ly"
    other = tmp_path / f"{SCRATCH_PREFIX}abc_1234"
    for scratch in (left_behind, running, other):
        scratch.mkdir()
        (scratch / "run.db").write_bytes(b"SQLite format 3\0")
    remove_scratch_of_ended_processes(tmp_path)
    assert not left_behind.exists() and running.exists() and other.exists()


def test_the_writer_publishes_validators_newer_than_the_fleets_and_keeps_older_ones_back(redis_server, tmp_path):
    from crawler.archive.store import Archive
    from crawler.crawl.frontier import FleetFrontier
    from crawler.crawl.ingest import publish_archive_state

    fleet_keys = {name: f"hromada:test:{name}" for name in
                  ("settled", "archived", "removed", "backoff", "validators", "published")}
    fleet = FleetFrontier(redis_server.client(), fleet_keys, member_ttl=3)
    stale = json.dumps(["wp", '"v1"', None, "2026-12-01T08:00:00+00:00"])
    fresh = json.dumps(["wp", '"v3"', None, "2026-12-06T08:00:00+00:00"])
    fleet.client.hset(fleet_keys["validators"], mapping={"https://a.example/feed": stale, "https://b.example/feed": fresh})
    archive = Archive(tmp_path / "archive.db")
    archive.db["url_validators"].insert_all([  # a local crawl in between saw a.example later, b.example earlier
        {"url": "https://a.example/feed", "source_id": "wp", "etag": '"v2"', "last_modified": None,
         "checked_at": "2026-12-05T08:00:00+00:00"},
        {"url": "https://b.example/feed", "source_id": "wp", "etag": '"v2"', "last_modified": None,
         "checked_at": "2026-12-05T08:00:00+00:00"},
        {"url": "https://c.example/feed", "source_id": "wp", "etag": '"v1"', "last_modified": None,
         "checked_at": "2026-12-05T08:00:00+00:00"}])
    publish_archive_state(archive, fleet)
    assert [fleet.validators(f"https://{host}/feed")[0] for host in ("a.example", "b.example", "c.example")] == [
        '"v2"', '"v3"', '"v1"']
