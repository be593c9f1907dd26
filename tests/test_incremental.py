"""Incremental crawls: a second run fetches no archived article again, adds only what is new, counts 304s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import sqlite_utils
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from crawler.crawl.spider_base import RegistryNewsSpider, crawl_since, parse_entry_date
from tests.conftest import SAMPLE_NOW, scrapy_crawl

BODY = ("Рада громади ухвалила програму підтримки ветеранів на наступний рік. "
        "Програма передбачає компенсацію за реабілітацію та психологічну допомогу.\n\n"
        "Заяви приймає центр надання адміністративних послуг щодня, крім неділі, з дев'ятої до шістнадцятої години, "
        "а консультації надають телефоном гарячої лінії.")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def two_runs(sample_sites, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("incremental") / "archive.db"
    first = scrapy_crawl(db_path, sample_sites)
    assert first.returncode == 0, first.stderr[-3000:]
    first_archived = {row["url"] for row in sqlite_utils.Database(db_path).query("select url from articles")}
    first_requests = sample_sites.request_log
    sample_sites.clear_request_log()
    added = [
        sample_sites.add_article("gromada-gov", title="Програма підтримки ветеранів на 2026 рік", body=BODY,
                                 slug="unused"),
        sample_sites.add_article("joomla-rada", title="Рада ухвалила програму підтримки ветеранів", body=BODY,
                                 slug="prohrama-pidtrymky-veteraniv"),
    ]
    second = scrapy_crawl(db_path, sample_sites)
    assert second.returncode == 0, second.stderr[-3000:]
    return db_path, first_archived, first_requests, sample_sites.request_log, added


def test_second_run_fetches_no_archived_article_again(two_runs):
    _, first_archived, _, second_requests, _ = two_runs
    archived_paths = {(url.split("/")[2], path_of(url)) for url in first_archived}
    refetched = [(record.source_id, record.path) for records in second_requests.values() for record in records
                 if any(path == record.path for _, path in archived_paths)]
    assert not refetched


def test_second_run_adds_only_the_new_articles(two_runs):
    db_path, first_archived, _, _, added = two_runs
    db = sqlite_utils.Database(db_path)
    archived = {row["url"] for row in db.query("select url from articles")}
    assert archived - first_archived == {article.url for article in added}
    last_run = list(db.query("select * from run_sources where run_id = 2"))
    assert {row["source_id"]: row["articles_new"] for row in last_run if row["articles_new"]} == {
        "gromada-gov": 1, "joomla-rada": 1}
    assert all(row["articles_updated"] == 0 for row in last_run)


def test_a_304_on_an_unchanged_feed_counts_as_unchanged(two_runs):
    db_path, _, first_requests, second_requests, _ = two_runs
    feed_first = [r for r in first_requests["dle-portal"] if r.path == "/rss.xml"]
    feed_second = [r for r in second_requests["dle-portal"] if r.path == "/rss.xml"]
    assert "If-None-Match" not in feed_first[0].headers
    assert feed_second[0].headers["If-None-Match"].startswith('"')
    row = next(sqlite_utils.Database(db_path).query(
        "select pages_unchanged, status from run_sources where run_id = 2 and source_id = 'dle-portal'"))
    assert row["pages_unchanged"] >= 1 and row["status"] == "quiet"


def test_validators_stored_only_for_discovery_pages(two_runs):
    db_path, first_archived, _, _, _ = two_runs
    stored = {row["url"] for row in sqlite_utils.Database(db_path).query("select url from url_validators")}
    assert stored and not stored & first_archived
    assert all(path_of(url).endswith((".xml", ".atom", "/feed/")) for url in stored)


# -- the "since" bound, without a crawl ---------------------------------------------------------------------


def test_since_comes_from_the_date_or_the_days_setting_and_backfill_lifts_it():
    now = datetime(2025, 9, 1, 15, 0, tzinfo=timezone.utc)
    assert crawl_since(Settings({"HROMADA_SINCE_DAYS": 30}), now) == now - timedelta(days=30)
    assert crawl_since(Settings({"HROMADA_SINCE": "2025-06-01", "HROMADA_SINCE_DAYS": 30}), now) == datetime(
        2025, 6, 1, tzinfo=timezone.utc)
    assert crawl_since(Settings({"HROMADA_SINCE": "2025-06-01", "HROMADA_BACKFILL": True}), now) is None


@pytest.mark.parametrize("raw, expected", [
    ("Mon, 25 Aug 2025 09:30:00 +0300", datetime(2025, 8, 25, 6, 30, tzinfo=timezone.utc)),
    ("2025-08-25T09:30:00+03:00", datetime(2025, 8, 25, 6, 30, tzinfo=timezone.utc)),
    ("2025-08-25", datetime(2025, 8, 25, tzinfo=timezone.utc)),
    ("вчора", None),
    (None, None),
])
def test_feed_and_sitemap_entry_dates(raw, expected):
    assert parse_entry_date(raw) == expected


def listing(html: str) -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/news/?page=2", body=html.encode("utf-8"), encoding="utf-8")


@pytest.mark.parametrize("html, older", [
    ('<body><time datetime="2021-06-15T14:53:00+03:00">15 червня 2021</time> <p>12.03.2021 10:00</p></body>', True),
    ('<body><p>15 червня 2021 14:53</p><p>30 серпня 2025 10:00</p></body>', False),
    ("<body><p>Новини громади без дат</p></body>", False),
])
def test_listing_pagination_stops_at_a_page_older_than_since(html, older):
    spider = RegistryNewsSpider.__new__(RegistryNewsSpider)
    spider.since = SAMPLE_NOW - timedelta(days=30)
    spider.frozen_now = SAMPLE_NOW
    assert spider.listing_older_than_since(listing(html)) is older
