"""`hromada status` tells apart sources that are fine, quiet, down, blocked, changed their layout, never crawled."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.cli.crawl import report_run
from crawler.crawl.health import run_verdict
from tests.conftest import scrapy_crawl, write_sample_registry

NEVER_CRAWLED = """
[[source]]
id = "new-hromada"
name = "Нова громада"
homepage = "https://new-hromada.example.gov.ua/"
kind = "hromada_site"
oblast = "Волинська"
katottg = "UA07020210000033081"
"""

NEW_BODY = ("Виконавчий комітет міської ради затвердив план ремонту доріг на осінь. "
            "Роботи почнуться з вулиць, де найбільше звернень мешканців.\n\n"
            "Фінансування передбачено з місцевого бюджету. Про хід робіт повідомлятимемо окремо, "
            "а мешканці можуть надсилати пропозиції до відділу благоустрою до кінця місяця.")


@pytest.mark.parametrize("counts, verdict", [
    ({"pages": 0, "errors": {"http_500": 3}}, "unreachable"),
    ({"pages": 0, "errors": {"dns": 1}}, "unreachable"),
    ({"pages": 0, "errors": {"http_403": 2}}, "blocked"),
    ({"pages": 2, "errors": {"http_429": 5}, "links_found": 4}, "blocked"),
    ({"pages": 5, "article_pages": 3, "links_found": 9, "dropped": {"too_short": 3}}, "layout_changed"),
    ({"pages": 4, "links_found": 0}, "layout_changed"),
    ({"pages": 2, "links_found": 9, "unchanged": 0}, "quiet"),
    ({"pages": 0, "pages_unchanged": 2}, "quiet"),
    ({"pages": 6, "links_found": 9, "new": 2, "errors": {"http_404": 1}}, "ok"),
    ({"pages": 3, "new": 2}, "ok"),
])
def test_run_verdict(counts, verdict):
    assert run_verdict(counts) == verdict


@pytest.fixture(scope="module")
def crawled_twice(sample_sites, tmp_path_factory):
    """A first crawl of every sample site, then a second one after each site took a different turn."""
    directory = tmp_path_factory.mktemp("health")
    db_path = directory / "archive.db"
    first = scrapy_crawl(db_path, sample_sites)
    assert first.returncode == 0, first.stderr[-3000:]
    sample_sites.set_mode("gromada-gov", "down")
    sample_sites.set_mode("dle-portal", "forbidden")
    sample_sites.set_mode("joomla-rada", "layout_changed")
    sample_sites.add_article("joomla-rada", title="План ремонту доріг на осінь", body=NEW_BODY, slug="plan-remontu-dorih")
    sample_sites.add_article("wp-hromada", title="Осінній ремонт доріг у громаді", body=NEW_BODY, slug="osinnii-remont")
    try:
        second = scrapy_crawl(db_path, sample_sites)
    finally:
        for source_id in ("gromada-gov", "dle-portal", "joomla-rada"):
            sample_sites.set_mode(source_id, "ok")
    assert second.returncode == 0, second.stderr[-3000:]
    registry = write_sample_registry(sample_sites, directory / "sources.toml")
    registry.write_text(registry.read_text(encoding="utf-8") + NEVER_CRAWLED, encoding="utf-8")
    return db_path, registry


def test_status_gives_each_source_its_verdict(crawled_twice):
    db_path, registry = crawled_twice
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), "--json"])
    assert result.exit_code == 1, result.output  # some sources failed
    verdicts = {row["source_id"]: row["verdict"] for row in json.loads(result.output)}
    assert verdicts == {
        "wp-hromada": "ok", "drupal-oblast": "quiet", "legacy-rada": "quiet", "gromada-gov": "unreachable",
        "dle-portal": "blocked", "joomla-rada": "layout_changed", "new-hromada": "never_crawled",
    }


def test_status_rows_carry_rates_last_success_and_reasons(crawled_twice):
    db_path, registry = crawled_twice
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), "--json"])
    rows = {row["source_id"]: row for row in json.loads(result.output)}
    assert rows["wp-hromada"]["new_last_run"] == 1 and rows["wp-hromada"]["usual_new_per_run"] == 6
    assert rows["gromada-gov"]["last_success_at"] is not None  # the first run went fine
    assert rows["gromada-gov"]["errors"] and all(kind == "http_500" for kind in rows["gromada-gov"]["errors"])
    assert "http_403" in rows["dle-portal"]["detail"]
    assert "none extracted" in rows["joomla-rada"]["detail"]
    assert rows["new-hromada"]["last_run_id"] is None and rows["new-hromada"]["label"] == "never crawled"


def test_status_table_for_people(crawled_twice):
    db_path, registry = crawled_twice
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry)])
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "layout changed" in lines["joomla-rada"]
    assert "blocked" in lines["dle-portal"] and "never crawled" in lines["new-hromada"]


def test_crawl_exit_status_is_non_zero_when_a_source_failed(crawled_twice, capsys):
    db_path, _ = crawled_twice
    assert report_run(db_path, 1) == 0
    assert report_run(db_path, 2) == 1
