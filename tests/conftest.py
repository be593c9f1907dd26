"""Shared fixtures: the sample sites on loopback, crawls run the way users run them, and a small searchable archive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
KYIV = ZoneInfo("Europe/Kyiv")
#: The frozen clock of every sample-site crawl in the tests.
SAMPLE_NOW = datetime(2025, 9, 1, 18, 0, tzinfo=KYIV)
LOCAL_CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "3",
    "RETRY_TIMES": "0",
    "LOG_LEVEL": "WARNING",
    "HROMADA_SINCE": "2020-01-01",  # the sample sites' articles go back to 2020; the default reach is 30 days
}


def pytest_configure(config):
    """The tests and the crawls they start cache the place gazetteer in a directory of their own, never the
    user's (crawler/analysis/places.py); a developer's own HROMADA_CACHE_DIR is kept."""
    if "HROMADA_CACHE_DIR" not in os.environ:
        config.hromada_cache_dir = tempfile.mkdtemp(prefix="hromada-test-cache-")
        os.environ["HROMADA_CACHE_DIR"] = config.hromada_cache_dir


def pytest_unconfigure(config):
    if getattr(config, "hromada_cache_dir", None):
        shutil.rmtree(config.hromada_cache_dir, ignore_errors=True)
        del os.environ["HROMADA_CACHE_DIR"]


@pytest.fixture(scope="module")
def sample_sites():
    from crawler.crawl.samples import SampleSites

    with SampleSites(now=SAMPLE_NOW, slow_delay=6.0) as sites:
        yield sites


def scrapy_crawl(db_path: Path, sites, *source_ids: str, now: datetime = SAMPLE_NOW, **settings) -> subprocess.CompletedProcess:
    """Run ``scrapy crawl news`` from the repo root against the sample sites, as a user would."""
    command, env = scrapy_crawl_command(db_path, sites, *source_ids, now=now, **settings)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def scrapy_crawl_command(db_path: Path, sites, *source_ids: str, now: datetime = SAMPLE_NOW,
                         **settings) -> tuple[list[str], dict]:
    """The command line and environment of :func:`scrapy_crawl` (run from ROOT), for crawls run side by side."""
    from crawler.crawl.samples import SAMPLE_REGISTRY

    values = {**LOCAL_CRAWL_SETTINGS, "HROMADA_ARCHIVE": str(db_path), "HROMADA_REGISTRY": str(SAMPLE_REGISTRY),
              "HROMADA_BASE_URLS": json.dumps(sites.base_urls), "HROMADA_NOW": now.isoformat(),
              **{key: str(value) for key, value in settings.items()}}
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    if source_ids:
        command += ["-a", "source=" + ",".join(source_ids)]
    for key, value in values.items():
        command += ["-s", f"{key}={value}"]
    return command, {**os.environ, "PYTHONPATH": str(ROOT)}


def write_sample_registry(sites, path: Path, delays: dict[str, float] | None = None) -> Path:
    """The sample registry with each source's {base} filled in, for commands run without HROMADA_BASE_URLS;
    ``delays`` gives sources a registry ``delay``."""
    from crawler.crawl.samples import SAMPLE_REGISTRY

    head, *entries = SAMPLE_REGISTRY.read_text(encoding="utf-8").split("[[source]]")
    filled = []
    for entry in entries:
        id_line = next(line for line in entry.splitlines() if line.strip().startswith("id ="))
        source_id = id_line.split("=", 1)[1].strip().strip('"')
        if delays and source_id in delays:
            entry = entry.replace(id_line, f"{id_line}\ndelay = {delays[source_id]}", 1)
        filled.append(entry.replace("{base}", sites.base_urls[source_id]))
    path.write_text(head + "".join("[[source]]" + entry for entry in filled), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uninterrupted_archive(sample_sites, tmp_path_factory) -> Path:
    """The archive of one uninterrupted crawl of the sample sites, which interrupted crawls must converge to."""
    db_path = tmp_path_factory.mktemp("whole") / "archive.db"
    result = scrapy_crawl(db_path, sample_sites)
    assert result.returncode == 0, result.stderr[-3000:]
    return db_path


@pytest.fixture(scope="module")
def search_archive(tmp_path_factory) -> Path:
    """The hand-written archive of tests/search_archive.py, built once per test module (tests only read it)."""
    from tests.search_archive import build_archive

    return build_archive(tmp_path_factory.mktemp("search") / "archive.db")


@pytest.fixture
def search_db(search_archive):
    from crawler.archive.store import Archive

    with Archive(search_archive, read_only=True) as archive:
        yield archive.db


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, persistence on, killed after the test."""
    from tests.redis_server import RedisServer

    with RedisServer(tmp_path) as server:
        yield server
