"""Bad input never stops a crawl: each failure ends as a clear message or a counted error."""

from __future__ import annotations

import json
import socket

import pytest
import sqlite_utils
from click.testing import CliRunner

from crawler.cli import main
from crawler.crawl.samples import SAMPLE_REGISTRY
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


EXTRA_SOURCES = """
[[source]]
id = "unreachable"
name = "Сайт, що не відповідає"
homepage = "http://127.0.0.1:{port}/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05020030000031457"

[[source]]
id = "oversized"
name = "Архів одним файлом"
homepage = "{{base}}/"
kind = "city_council"
oblast = "Вінницька"
katottg = "UA05020030000031457"

[source.discovery]
listings = ["{{base}}/arhiv/novyny-2019-povnyi.html"]
"""


@pytest.fixture(scope="module")
def failed_crawl(sample_sites, tmp_path_factory):
    folder = tmp_path_factory.mktemp("failures")
    registry = folder / "sources.toml"
    registry.write_text(SAMPLE_REGISTRY.read_text(encoding="utf-8") + EXTRA_SOURCES.format(port=closed_port()),
                        encoding="utf-8")
    sample_sites.set_mode("joomla-rada", "down")
    sample_sites.set_mode("gromada-gov", "slow")
    base_urls = {**sample_sites.base_urls, "oversized": sample_sites.base_urls["legacy-rada"]}
    db_path = folder / "archive.db"
    try:
        result = scrapy_crawl(db_path, sample_sites, HROMADA_REGISTRY=registry, HROMADA_BASE_URLS=json.dumps(base_urls),
                              DOWNLOAD_MAXSIZE=1_000_000, DOWNLOAD_TIMEOUT=2)
    finally:
        sample_sites.set_mode("joomla-rada", "ok")
        sample_sites.set_mode("gromada-gov", "ok")
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite_utils.Database(db_path)
    run_id = db.execute("select max(id) from runs").fetchone()[0]
    rows = {row["source_id"]: row for row in db.query("select * from run_sources where run_id = ?", [run_id])}
    for row in rows.values():
        row["errors"], row["dropped"] = json.loads(row["errors"]), json.loads(row["dropped"])
    return db, rows, result.stderr


def test_unreachable_source_is_a_counted_error(failed_crawl):
    _, rows, log = failed_crawl
    assert rows["unreachable"]["errors"].get("refused", 0) >= 1
    assert rows["unreachable"]["status"] != "ok"
    assert "unreachable: refused" in log


def test_server_errors_are_counted_per_status(failed_crawl):
    _, rows, _ = failed_crawl
    assert rows["joomla-rada"]["errors"].get("http_500", 0) >= 1
    assert rows["joomla-rada"]["articles_new"] == 0


def test_timeouts_are_counted(failed_crawl):
    _, rows, _ = failed_crawl
    assert rows["gromada-gov"]["errors"].get("timeout", 0) >= 1


def test_page_over_size_limit_is_skipped_with_a_reason(failed_crawl):
    _, rows, _ = failed_crawl
    assert rows["oversized"]["errors"].get("too_large", 0) == 1


def test_the_rest_of_the_crawl_goes_on(failed_crawl, sample_sites):
    db, rows, _ = failed_crawl
    for healthy in ("wp-hromada", "dle-portal", "legacy-rada", "drupal-oblast"):
        expected = [e for e in sample_sites.expected_articles() if e.source_id == healthy]
        assert rows[healthy]["articles_new"] == len(expected), healthy
        assert rows[healthy]["status"] == "ok"


def test_windows_1251_pages_archived_in_readable_cyrillic(failed_crawl, sample_sites):
    db, _, _ = failed_crawl
    expected = {e.url: e for e in sample_sites.expected_articles() if e.source_id == "legacy-rada"}
    archived = {row["url"]: row for row in db.query("select url, title, text from articles where source_id = 'legacy-rada'")}
    assert set(archived) == set(expected)
    for url, row in archived.items():
        assert row["title"] == expected[url].title
        assert "�" not in row["text"] and "Ð" not in row["text"]


def test_robots_txt_disallowed_article_is_never_fetched(failed_crawl, sample_sites):
    db, rows, _ = failed_crawl
    assert rows["drupal-oblast"]["dropped"].get("robots_txt", 0) >= 1
    assert not list(db.query("select url from articles where url like '%/partners/%'"))


def test_only_own_http_links_followed(sample_sites):
    for source_id, records in sample_sites.request_log.items():
        assert all(not record.path.lower().endswith(".pdf") for record in records), source_id


def test_broken_registry_entry_names_file_entry_and_field(tmp_path):
    registry = tmp_path / "sources.toml"
    registry.write_text('[[source]]\nid = "bad"\nname = "X"\nhomepage = "ftp://x.ua/"\nkind = "city_council"\n'
                        'oblast = "Вінницька"\nkatottg = "UA05020030000031457"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--registry", str(registry), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2  # bad input
    assert str(registry) in result.output and "'bad'" in result.output and "'homepage'" in result.output
    assert "Traceback" not in result.output


def test_a_crawl_whose_spider_never_opened_closes_without_a_run_or_a_second_error(tmp_path):
    """A spider that fails to open (its frontier gone, say) is still closed; recording its run raised AttributeError."""
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from crawler.crawl.runlog import RunRecorder

    recorder = RunRecorder.from_crawler(get_crawler(settings_dict={"HROMADA_ARCHIVE": str(tmp_path / "archive.db")}))
    recorder.spider_closed(SimpleNamespace(name="news"), "shutdown")
    recorder.engine_stopped()
    assert recorder.crawler.stats.get_value("hromada/run_id") is None
    assert not (tmp_path / "archive.db").exists()
