"""A crawl killed with SIGKILL mid-run, then run again, ends with exactly the archive of an uninterrupted crawl."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlite_utils

from tests.conftest import LOCAL_CRAWL_SETTINGS, ROOT, SAMPLE_NOW, scrapy_crawl

pytestmark = pytest.mark.slow

ARTICLE_ROWS = "select url, source_id, title, text, published_at, content_hash from articles order by url"
# fetched_url is left out: where an article has two addresses (a canonical link), which one was fetched
# first depends on the order responses arrive in, in any crawl.
RAW_ROWS = "select a.url, r.html_gz from raw_pages r join articles a on a.id = r.article_id order by a.url"
KILL_AFTER_ARTICLES = 8


def archive_rows(db_path):
    db = sqlite_utils.Database(db_path)
    raw_pages = [{**row, "html_gz": gzip.decompress(row["html_gz"])} for row in db.query(RAW_ROWS)]
    return list(db.query(ARTICLE_ROWS)), raw_pages  # gzip headers carry a timestamp: compare the pages


def count_articles(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_slowed_crawl(db_path, sites) -> subprocess.Popen:
    """``scrapy crawl news`` one request at a time, so that it can be killed half-way."""
    from crawler.crawl.samples import SAMPLE_REGISTRY

    values = {**LOCAL_CRAWL_SETTINGS, "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.15",
              "HROMADA_ARCHIVE": str(db_path), "HROMADA_REGISTRY": str(SAMPLE_REGISTRY),
              "HROMADA_BASE_URLS": json.dumps(sites.base_urls), "HROMADA_NOW": SAMPLE_NOW.isoformat()}
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    for key, value in values.items():
        command += ["-s", f"{key}={value}"]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def uninterrupted(uninterrupted_archive):
    return archive_rows(uninterrupted_archive)


@pytest.fixture(scope="module")
def killed_then_resumed(sample_sites, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("killed") / "archive.db"
    crawl = start_slowed_crawl(db_path, sample_sites)
    deadline = time.monotonic() + 240
    while count_articles(db_path) < KILL_AFTER_ARTICLES and crawl.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    archived_when_killed = count_articles(db_path)
    resumed = scrapy_crawl(db_path, sample_sites)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return db_path, archived_when_killed, resumed


def test_the_crawl_was_killed_half_way(killed_then_resumed, uninterrupted):
    _, archived_when_killed, _ = killed_then_resumed
    articles, _ = uninterrupted
    assert KILL_AFTER_ARTICLES <= archived_when_killed < len(articles)


def test_resumed_archive_equals_the_uninterrupted_one(killed_then_resumed, uninterrupted):
    db_path, _, _ = killed_then_resumed
    assert archive_rows(db_path) == uninterrupted


def test_the_killed_run_is_marked_and_its_lock_taken_over(killed_then_resumed):
    db_path, _, resumed = killed_then_resumed
    runs = list(sqlite_utils.Database(db_path).query("select id, status from runs order by id"))
    assert [run["status"] for run in runs] == ["killed", "finished"]
    assert "taking over the stale crawl lock" in resumed.stderr
    integrity = sqlite_utils.Database(db_path).execute("pragma integrity_check").fetchone()[0]
    assert integrity == "ok"
