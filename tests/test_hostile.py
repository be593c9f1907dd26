"""Hostile sites: each fault costs only its own page, is counted by kind in the run record, never stalls
the crawl, never leaks a file, never takes the crawler to another site (docs/faults.md)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from crawler.analysis.extract import extract
from crawler.analysis.text import MAX_TITLE_CHARS, cut_title, storable
from crawler.cli import main
from crawler.crawl.discovery import same_registered_site
from crawler.crawl.middlewares import RetryAfterMiddleware, retry_after_seconds
from crawler.crawl.run import CrawlArchive
from crawler.crawl.spider_base import PageMemory
from tests.conftest import LOCAL_CRAWL_SETTINGS, ROOT, SAMPLE_NOW
from tests.faults_server import DNS_LOG_ENV, FAULTS_HOST, SECRET_MARKER, TRAP_HOST, FaultsSite, article_html
from tests.peak_memory import read_peak_mb

pytestmark = pytest.mark.slow

MAX_SIZE = 2_000_000
DOWNLOAD_TIMEOUT = 4  # seconds: the trickling page would take 100; loopback pages take milliseconds, even under load
MAX_LISTING_PAGES = 5  # HROMADA_MAX_LISTING_PAGES
#: The crawl's peak memory bound: the gzip bomb inflates to 1 GB and the huge pages are 1 GB each.
PEAK_MEMORY_BOUND_MB = 400
DNS_FAILING_HOST = "hromada-unreachable.invalid"

REGISTRY = """
[[source]]
id = "hostile"
name = "Ворожий сайт"
homepage = "{base}/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"

[source.discovery]
feeds = ["{base}/feed.xml"]
listings = ["{base}/list/page/1/"]
article_pattern = "/news/"

[[source]]
id = "refusing"
name = "Сайт, що відмовляє у з'єднанні"
homepage = "http://127.0.0.1:{closed_port}/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"

[[source]]
id = "no-such-host"
name = "Сайт без DNS-запису"
homepage = "http://{dns_failing_host}/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def faults_site(tmp_path_factory):
    secret = tmp_path_factory.mktemp("secret") / "secret.txt"
    secret.write_text(SECRET_MARKER, encoding="utf-8")
    with FaultsSite(secret) as site:
        yield site


#: A source of one page whose layout broke (tests/faults_server.py, /news/broken-layout), for the backoff.
BROKEN_REGISTRY = """
[[source]]
id = "broken"
name = "Сайт зі зламаним шаблоном"
homepage = "{base}/broken/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"

[source.discovery]
article_pattern = "/news/"
"""


def write_registry(site: FaultsSite, folder: Path, registry_text: str) -> Path:
    registry = folder / "sources.toml"
    registry.write_text(registry_text.format(base=site.base, closed_port=closed_port(),
                                             dns_failing_host=DNS_FAILING_HOST), encoding="utf-8")
    return registry


def hostile_crawl(site: FaultsSite, folder: Path, *, registry_text: str = REGISTRY, now: datetime = SAMPLE_NOW,
                  refresh: bool = False) -> tuple[subprocess.CompletedProcess, int, list[str]]:
    """``scrapy crawl news`` of a registry of the faults site, as a user runs it: (result, peak RSS in MB,
    host names resolved)."""
    dns_log = folder / "dns.log"
    dns_log.unlink(missing_ok=True)
    values = {**LOCAL_CRAWL_SETTINGS, "HROMADA_ARCHIVE": str(folder / "archive.db"),
              "HROMADA_REGISTRY": str(write_registry(site, folder, registry_text)), "HROMADA_NOW": now.isoformat(),
              "HROMADA_WORKERS": "0", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
              "DOWNLOAD_MAXSIZE": str(MAX_SIZE), "HROMADA_MAX_LISTING_PAGES": str(MAX_LISTING_PAGES),
              "TWISTED_DNS_RESOLVER": "tests.faults_server.LoopbackResolver", "HROMADA_REFRESH": str(refresh)}
    peak_file = folder / "peak-memory-mb"
    peak_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tests.peak_memory", str(peak_file), "scrapy", "crawl", "news"]
    for key, value in values.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), DNS_LOG_ENV: str(dns_log)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        process.wait()
        out.seek(0), err.seek(0)
        result = subprocess.CompletedProcess(command, process.returncode, out.read().decode(), err.read().decode())
    names = dns_log.read_text(encoding="utf-8").split() if dns_log.exists() else []
    return result, read_peak_mb(peak_file), names


def last_run(db_path: Path) -> dict[str, dict]:
    db = sqlite_utils.Database(db_path)
    run_id = db.execute("select max(id) from runs").fetchone()[0]
    rows = {row["source_id"]: row for row in db.query("select * from run_sources where run_id = ?", [run_id])}
    for row in rows.values():
        row["errors"], row["dropped"] = json.loads(row["errors"]), json.loads(row["dropped"])
    return rows


@pytest.fixture(scope="module")
def crawled(faults_site, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    started = time.monotonic()
    result, peak_mb, names = hostile_crawl(faults_site, folder)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-4000:]
    db = sqlite_utils.Database(folder / "archive.db")
    return {"db": db, "db_path": folder / "archive.db", "registry": folder / "sources.toml",
            "rows": last_run(folder / "archive.db"), "log": result.stderr, "peak_mb": peak_mb, "names": names,
            "elapsed": elapsed, "requests": list(faults_site.requests), "trap": list(faults_site.trap.requests),
            "port": faults_site.port}


def hostile_row(crawled) -> dict:
    return crawled["rows"]["hostile"]


def outcome_of(db, path: str) -> str | None:
    row = db.execute("select outcome from crawl_urls where url like ?", [f"%{path}"]).fetchone()
    return row[0] if row else None


def article(db, path: str) -> dict | None:
    rows = list(db.query("select * from articles where url like ?", [f"%{path}"]))
    return rows[0] if rows else None


def test_gzip_bomb_and_huge_pages_are_too_large_in_bounded_memory(crawled):
    row, db = hostile_row(crawled), crawled["db"]
    assert row["errors"]["too_large"] == 3
    assert "ignored" not in row["dropped"]
    for path in ("/news/gzip-bomb", "/news/huge-announced", "/news/huge-unannounced"):
        assert outcome_of(db, path) == "too_large", path
    assert crawled["peak_mb"] < PEAK_MEMORY_BOUND_MB, f"peak RSS {crawled['peak_mb']} MB"


def test_the_crawls_peak_memory_is_its_own_not_the_test_processes(tmp_path):
    """The bound above is on the crawl; a child's ru_maxrss would be this (grown) pytest process's."""
    ballast = bytearray(PEAK_MEMORY_BOUND_MB << 20)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # touched, so resident
    peak_file = tmp_path / "peak"
    subprocess.run([sys.executable, "-m", "tests.peak_memory", str(peak_file), "json.tool", "--help"], cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    del ballast
    assert 0 < read_peak_mb(peak_file) < PEAK_MEMORY_BOUND_MB / 4


def test_trickling_body_times_out_without_stalling_the_crawl(crawled):
    assert hostile_row(crawled)["errors"]["timeout"] >= 1
    assert outcome_of(crawled["db"], "/news/trickle") == "timeout"
    assert crawled["elapsed"] < 90  # the page alone would take 100 s, and twice that with its retry


def test_reset_and_truncated_bodies_are_counted_and_not_stored(crawled):
    db, errors = crawled["db"], hostile_row(crawled)["errors"]
    assert errors["connection_reset"] == 1 and errors["truncated"] == 1
    assert outcome_of(db, "/news/reset") == "connection_reset" and outcome_of(db, "/news/truncated") == "truncated"
    assert article(db, "/news/reset") is None and article(db, "/news/truncated") is None


def test_redirect_loop_is_recorded_under_the_linked_url(crawled):
    assert hostile_row(crawled)["errors"]["redirect_loop"] == 1
    assert outcome_of(crawled["db"], "/news/loop-a") == "redirect_loop"


def test_redirect_to_another_site_is_never_followed_nor_resolved(crawled):
    assert hostile_row(crawled)["errors"]["offsite_redirect"] == 1
    assert outcome_of(crawled["db"], "/news/offsite") == "offsite_redirect"
    assert TRAP_HOST not in crawled["names"]
    assert crawled["trap"] == []


def test_redirects_within_the_site_are_followed(crawled):
    db = crawled["db"]
    assert article(db, f"://{FAULTS_HOST}:{crawled['port']}/news/moved-here")
    assert article(db, f"://www.{FAULTS_HOST}:{crawled['port']}/news/moved-www-here")
    assert article(db, f"://novyny.{FAULTS_HOST}:{crawled['port']}/news/moved-subdomain-here")


def test_503_then_200_is_retried_and_stored_once(crawled):
    assert len([r for r in crawled["requests"] if r.path == "/news/flaky"]) == 2
    assert crawled["db"].execute("select count(*) from articles where url like '%/news/flaky'").fetchone()[0] == 1


def test_429_retry_after_is_waited_out(crawled):
    first, second = [r.at for r in crawled["requests"] if r.path == "/news/rate-limited"]
    assert second - first >= 1.0
    assert article(crawled["db"], "/news/rate-limited")


def test_pdf_image_and_empty_page_cost_only_themselves(crawled):
    row, db = hostile_row(crawled), crawled["db"]
    assert row["dropped"]["not_html"] == 2 and row["dropped"]["empty"] == 1
    assert [outcome_of(db, path) for path in ("/news/document", "/news/picture", "/news/empty")] == [
        "not_html", "not_html", "empty"]
    assert article(db, "/news/normal-article")


def test_deleted_article_is_remembered_as_gone(crawled):
    assert hostile_row(crawled)["errors"]["http_404"] >= 1
    assert outcome_of(crawled["db"], "/news/deleted") == "gone"  # settled: not fetched again


def test_hostile_feed_and_sitemap_leak_no_file_content(crawled):
    db = crawled["db"]
    assert any(r.path == "/feed.xml" for r in crawled["requests"])
    assert any(r.path == "/sitemap.xml" for r in crawled["requests"])
    assert not any(SECRET_MARKER in r.path for r in crawled["requests"])
    for table in ("articles", "crawl_urls", "url_validators"):
        for row in db.query(f"select * from {table}"):
            assert SECRET_MARKER not in json.dumps(row, ensure_ascii=False, default=str), table
    assert SECRET_MARKER not in crawled["log"]


def test_endless_pagination_is_bounded(crawled):
    listing_pages = [r.path for r in crawled["requests"] if r.path.startswith("/list/")]
    assert 1 < len(listing_pages) <= MAX_LISTING_PAGES


def test_same_article_under_many_urls_is_stored_once(crawled):
    (count,) = crawled["db"].execute(
        "select count(*) from articles where title = 'Одна новина під багатьма адресами'").fetchone()
    assert count == 1


def test_unreachable_sites_log_one_line_without_traceback(crawled):
    rows, log = crawled["rows"], crawled["log"]
    assert rows["refusing"]["errors"].get("refused", 0) >= 1 and rows["refusing"]["status"] == "unreachable"
    assert rows["no-such-host"]["errors"].get("dns", 0) >= 1 and rows["no-such-host"]["status"] == "unreachable"
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "refusing:" in line or "127.0.0.1:" in line]) == 1
    assert len([line for line in log.splitlines() if DNS_FAILING_HOST in line]) == 1


def test_a_source_whose_article_urls_fail_is_degraded(crawled):
    result = CliRunner().invoke(main, ["status", "--db", str(crawled["db_path"]), "--registry",
                                       str(crawled["registry"]), "--json"])
    assert result.exit_code == 1, result.output  # the two unreachable sources fail the status
    verdicts = {row["source_id"]: row for row in json.loads(result.output)}
    assert verdicts["hostile"]["verdict"] == "degraded"
    assert "article fetches failed" in verdicts["hostile"]["detail"]


def test_ten_thousand_character_title_is_cut_and_counted(crawled):
    stored = article(crawled["db"], "/news/long-title")
    assert len(stored["title"]) <= MAX_TITLE_CHARS and stored["title"].endswith("…")
    assert stored["title"].startswith("Дуже довгий заголовок новини")
    assert json.loads(hostile_row(crawled)["faults"])["title_truncated"] == 1


def test_impossible_dates_leave_the_article_undated_with_the_raw_string(crawled):
    db = crawled["db"]
    impossible, future = article(db, "/news/impossible-date"), article(db, "/news/future-date")
    assert (impossible["published_at"], impossible["published_raw"]) == (None, "31.02.2025")
    assert (future["published_at"], future["published_raw"]) == (None, "2099-05-01T10:00:00+03:00")
    assert json.loads(hostile_row(crawled)["faults"])["date_impossible"] == 2


def test_nul_bytes_and_lone_surrogates_are_removed_before_storage(crawled):
    stored = article(crawled["db"], "/news/control-characters")
    assert stored is not None
    for value in (stored["title"], stored["text"], stored["author"] or ""):
        assert "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
    assert stored["title"] == "Заголовок з нулем"
    assert "Нульбайт" in stored["text"]
    assert "errors/archive" not in crawled["log"] and "parse" not in hostile_row(crawled)["errors"]


def test_retry_after_header_values():
    now = datetime(2025, 9, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"1", now) == 1.0
    assert retry_after_seconds("Mon, 01 Sep 2025 12:02:00 GMT", now) == 120.0
    assert retry_after_seconds("Mon, 01 Sep 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds(b"soon", now) is None and retry_after_seconds(None, now) is None


def test_retry_after_over_the_cap_gives_the_page_up_at_once():
    from scrapy.http import Request, Response
    from scrapy.settings import Settings

    settings = Settings({"RETRY_ENABLED": True, "RETRY_TIMES": 2, "RETRY_HTTP_CODES": [429],
                         "HROMADA_RETRY_AFTER_MAX": 120})
    middleware = RetryAfterMiddleware(settings)
    request = Request("http://example.gov.ua/news/1")
    response = Response(request.url, status=429, headers={"Retry-After": "3600"}, request=request)
    started = time.monotonic()
    assert asyncio.run(middleware.process_response(request, response)) is response
    assert time.monotonic() - started < 1


def test_same_registered_site():
    assert same_registered_site("https://www.vmr.gov.ua/news/1", "http://vmr.gov.ua/")
    assert same_registered_site("http://novyny.vmr.gov.ua/1", "https://vmr.gov.ua/")
    assert not same_registered_site("http://a.vn.ua/1", "http://b.vn.ua/")  # vn.ua is a public suffix
    assert not same_registered_site("http://other.example/x", "http://vmr.gov.ua/")
    assert same_registered_site("http://127.0.0.1:9000/x", "http://127.0.0.1:8000/")
    assert not same_registered_site("http://127.0.0.2/x", "http://127.0.0.1/")


def test_failed_extraction_backs_off_with_growing_intervals(tmp_path):
    memory = PageMemory(CrawlArchive(tmp_path / "archive.db", commit_items=1, commit_seconds=0.0))
    url, moment, waits = "http://rada.example.gov.ua/news/1", SAMPLE_NOW, []
    for failures in range(1, 8):
        assert memory.known_state(url, moment) is None  # due: fetched
        assert memory.remember_failed_extraction(url, "rada", "too_short", moment) == failures
        (retry_at,) = memory.archive.db.execute("select retry_at from crawl_urls where url = ?", [url]).fetchone()
        due = datetime.fromisoformat(retry_at)
        waits.append((due - moment).days)
        if due > moment:
            assert memory.known_state(url, due - timedelta(seconds=1)) == "backoff"
        moment = due
    assert waits == [0, 1, 3, 7, 14, 30, 30]
    memory.remember(url, "rada", "new", moment)  # it extracted at last: no backoff left
    assert memory.known_state(url, moment) == "settled"
    assert memory.archive.db.execute("select failures, retry_at from crawl_urls").fetchone() == (None, None)


def test_broken_page_is_refetched_next_run_then_after_a_day_and_status_stays_layout_changed(tmp_path):
    def crawl(now, refresh=False):
        before = len(site.times_of("/news/broken-layout"))
        result, _, _ = hostile_crawl(site, tmp_path, registry_text=BROKEN_REGISTRY, now=now, refresh=refresh)
        status = CliRunner().invoke(main, ["status", "--db", str(tmp_path / "archive.db"), "--registry",
                                           str(tmp_path / "sources.toml"), "--json"])
        (health,) = json.loads(status.output)
        return len(site.times_of("/news/broken-layout")) - before, last_run(tmp_path / "archive.db")["broken"], health

    with FaultsSite(tmp_path / "no-secret.txt", hostile_discovery=False) as site:
        fetched, row, health = crawl(SAMPLE_NOW)
        assert fetched == 1 and row["dropped"] == {"no_title": 1} and health["verdict"] == "layout_changed"
        fetched, row, health = crawl(SAMPLE_NOW + timedelta(hours=1))  # the next run tries again
        assert fetched == 1 and health["verdict"] == "layout_changed"
        fetched, row, health = crawl(SAMPLE_NOW + timedelta(hours=2))  # a day has not passed: not fetched
        assert fetched == 0 and row["dropped"] == {"extraction_backoff": 1}
        assert health["verdict"] == "layout_changed" and "extraction_backoff ×1" in health["detail"]
        site.fixed = True
        fetched, row, health = crawl(SAMPLE_NOW + timedelta(hours=2), refresh=True)  # --refresh forces it
        assert fetched == 1 and row["articles_new"] == 1 and health["verdict"] == "ok"


def test_titles_are_cut_at_a_word_boundary_within_the_limit():
    headline = "Дуже довгий заголовок новини " * 400
    title, cut = cut_title(headline)
    assert cut and len(title) <= MAX_TITLE_CHARS and title.endswith("…")
    assert headline.startswith(title[:-1]) and headline[len(title) - 1] == " "  # whole words only
    assert cut_title("x" * 400)[0] == "x" * (MAX_TITLE_CHARS - 1) + "…"  # no word boundary: cut mid-word
    assert cut_title("Рада ухвалила бюджет") == ("Рада ухвалила бюджет", False)
    assert extract(article_html(headline), "http://rada.example.gov.ua/news/1").title == title  # CLI and reextract


def test_storable_text_keeps_tabs_and_line_breaks_only():
    assert storable("a\x00b\ud800c\td\ne\x07f\r\n") == "abc\td\nef\r\n"
    assert storable(None) is None and storable("") == ""


def test_page_faults_migration_runs_again_harmlessly(tmp_path):
    from crawler.archive.store import MIGRATIONS, Archive

    with Archive(tmp_path / "archive.db") as archive:
        migration = next(step for step in MIGRATIONS if step.__name__ == "_migration_page_faults")
        migration(archive.db)  # a merge may run it again: columns already there
        assert {"failures", "retry_at"} <= set(archive.db["crawl_urls"].columns_dict)
        assert "faults" in archive.db["run_sources"].columns_dict
