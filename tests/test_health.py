"""`hromada status` tells apart sources that are fine, quiet, down, blocked, changed their layout, never crawled."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.cli.crawl import report_run
from crawler.archive.store import Archive
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
    ({"pages": 12, "article_pages": 10, "links_found": 30, "new": 4, "errors": {"http_404": 6}}, "degraded"),
    ({"pages": 12, "article_pages": 10, "links_found": 30, "errors": {"http_404": 3, "timeout": 2}}, "degraded"),
    ({"pages": 12, "article_pages": 10, "links_found": 30, "new": 4, "errors": {"http_404": 2}}, "ok"),
    ({"pages": 12, "article_pages": 10, "links_found": 30, "new": 4, "errors": {"archive": 9}}, "ok"),
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
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), "--all", "--json"])
    assert result.exit_code == 1, result.output  # some sources failed
    verdicts = {row["source_id"]: row["verdict"] for row in json.loads(result.output)}
    assert verdicts == {
        "wp-hromada": "ok", "drupal-oblast": "quiet", "legacy-rada": "quiet", "gromada-gov": "unreachable",
        "dle-portal": "blocked", "joomla-rada": "layout_changed", "new-hromada": "never_crawled",
    }


def test_status_rows_carry_rates_last_success_and_reasons(crawled_twice):
    db_path, registry = crawled_twice
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), "--all", "--json"])
    rows = {row["source_id"]: row for row in json.loads(result.output)}
    assert rows["wp-hromada"]["new_last_run"] == 1 and rows["wp-hromada"]["usual_new_per_run"] == 6
    assert rows["gromada-gov"]["last_success_at"] is not None  # the first run went fine
    assert rows["gromada-gov"]["errors"] and all(kind == "http_500" for kind in rows["gromada-gov"]["errors"])
    assert "http_403" in rows["dle-portal"]["detail"]
    assert "none extracted" in rows["joomla-rada"]["detail"]
    assert rows["new-hromada"]["last_run_id"] is None and rows["new-hromada"]["label"] == "never crawled"


def test_status_table_for_people(crawled_twice):
    db_path, registry = crawled_twice
    result = CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), "--all"])
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert "layout changed" in lines["joomla-rada"]
    assert "blocked" in lines["dle-portal"] and "never crawled" in lines["new-hromada"]


def test_crawl_exit_status_is_non_zero_when_a_source_failed(crawled_twice, capsys):
    db_path, _ = crawled_twice
    assert report_run(db_path, 1) == 0
    assert report_run(db_path, 2) == 1


# -- the status CLI over runs written straight into an archive ---------------------------------------------
REGISTRY_OF_FOUR = "".join(f"""
[[source]]
id = "{source_id}"
name = "{name}"
homepage = "https://{source_id}.example.gov.ua/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05120170000013778"
""" for source_id, name in [("fine", "Гарна громада"), ("decaying", "Громада, що згасає"), ("gone", "Зникла громада"),
                            ("unvisited", "Невідвідана громада")])

#: source id -> counts of its runs, oldest first
RUNS = {
    "fine": [{"pages": 9, "article_pages": 6, "links_found": 20, "articles_new": 6},
             {"pages": 9, "article_pages": 4, "links_found": 20, "articles_new": 4, "errors": {"http_404": 1}}],
    "decaying": [{"pages": 9, "article_pages": 6, "links_found": 20, "articles_new": 6},
                 {"pages": 14, "article_pages": 5, "links_found": 20, "articles_new": 1, "errors": {"http_404": 7, "http_410": 2}}],
    "gone": [{"pages": 9, "article_pages": 6, "links_found": 20, "articles_new": 6},
             {"pages": 0, "errors": {"refused": 3}}],
}


def write_runs(db_path, runs: dict[str, list[dict]]) -> None:
    from crawler.crawl.health import run_verdict

    with Archive(db_path) as archive:
        for number in range(max(len(counts) for counts in runs.values())):
            run_id = archive.db["runs"].insert({"started_at": f"2025-03-0{number + 1}T06:00:00+00:00",
                                                "finished_at": f"2025-03-0{number + 1}T06:05:00+00:00",
                                                "status": "finished", "sources": "[]", "args": "{}"}).last_pk
            for source_id, counts in runs.items():
                row = {"articles_updated": 0, "articles_unchanged": 0, "pages_unchanged": 0, **counts[number]}
                verdict = run_verdict({**row, "new": row["articles_new"] if "articles_new" in row else 0})
                archive.db["run_sources"].insert({
                    "run_id": run_id, "source_id": source_id, "status": verdict, "articles_new": 0, **row,
                    "errors": json.dumps(row.get("errors", {})), "dropped": json.dumps(row.get("dropped", {}))})


@pytest.fixture(scope="module")
def four_sources(tmp_path_factory):
    directory = tmp_path_factory.mktemp("status")
    registry = directory / "sources.toml"
    registry.write_text(REGISTRY_OF_FOUR, encoding="utf-8")
    write_runs(directory / "archive.db", RUNS)
    return directory / "archive.db", registry


def status_of(four_sources, *options):
    db_path, registry = four_sources
    return CliRunner().invoke(main, ["status", "--db", str(db_path), "--registry", str(registry), *options])


def test_status_lists_worst_first_and_ends_with_a_summary(four_sources):
    result = status_of(four_sources)
    assert result.exit_code == 1  # "gone" is unreachable
    rows = [line.split("│")[1].strip() for line in result.output.splitlines() if line.count("│") > 3]
    assert rows == ["gone", "decaying", "fine"]
    assert result.output.strip().splitlines()[-1] == "1 unreachable, 1 degraded, 1 OK"


def test_status_lists_only_crawled_sources_unless_asked_for_all(four_sources):
    crawled = [row["source_id"] for row in json.loads(status_of(four_sources, "--json").output)]
    everything = [row["source_id"] for row in json.loads(status_of(four_sources, "--all", "--json").output)]
    assert crawled == ["gone", "decaying", "fine"]
    assert everything == ["gone", "decaying", "fine", "unvisited"]
    assert "1 never crawled" in status_of(four_sources, "--all").output


def test_status_why_names_the_errors_of_the_last_run(four_sources):
    rows = {row["source_id"]: row for row in json.loads(status_of(four_sources, "--json").output)}
    assert rows["gone"]["detail"] == "refused ×3"
    assert rows["fine"]["verdict"] == "ok" and rows["fine"]["detail"] == "http_404 ×1"
    assert rows["fine"]["name"] == "Гарна громада"


def test_status_flags_a_source_whose_article_pages_increasingly_fail(four_sources):
    decaying = next(row for row in json.loads(status_of(four_sources, "--json").output) if row["source_id"] == "decaying")
    assert decaying["verdict"] == "degraded" and decaying["label"] == "degraded"
    assert decaying["detail"] == "9 of 14 article fetches failed (http_404 ×7, http_410 ×2)"
    assert decaying["last_success_at"] == "2025-03-02T06:05:00+00:00"  # degraded still fetched something new


def test_a_degraded_source_alone_does_not_fail_the_status(tmp_path):
    db_path, registry = tmp_path / "archive.db", tmp_path / "sources.toml"
    registry.write_text(REGISTRY_OF_FOUR, encoding="utf-8")
    write_runs(db_path, {"decaying": RUNS["decaying"]})
    result = status_of((db_path, registry))
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1] == "1 degraded"
