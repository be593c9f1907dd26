"""End to end: crawl every sample site over loopback HTTP into a temporary archive."""

from __future__ import annotations


import pytest
import sqlite_utils

from crawler.crawl.samples import BOILERPLATE_PHRASES
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(sample_sites, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("e2e") / "archive.db"
    result = scrapy_crawl(db_path, sample_sites)
    assert result.returncode == 0, result.stderr[-3000:]
    return db_path, sample_sites.expected_articles(), result


def articles_by_url(db_path):
    return {row["url"]: row for row in sqlite_utils.Database(db_path).query("select * from articles")}


def test_every_sample_article_archived_exactly_once(crawled):
    db_path, expected, result = crawled
    archived = articles_by_url(db_path)
    missing = sorted({e.url for e in expected} - set(archived))
    extra = sorted(set(archived) - {e.url for e in expected})
    assert not missing, f"not archived: {missing}\n{result.stderr[-2000:]}"
    assert not extra, f"archived but not articles: {extra}"
    assert len(archived) == len(expected)


def test_titles_match(crawled):
    db_path, expected, _ = crawled
    archived = articles_by_url(db_path)
    wrong = [(e.url, e.title, archived[e.url]["title"]) for e in expected
             if e.url in archived and archived[e.url]["title"] != e.title]
    assert not wrong


def test_dates_normalized_with_source_and_offset(crawled):
    db_path, expected, _ = crawled
    archived = articles_by_url(db_path)
    wrong = [(e.url, e.published_at, e.date_source, archived[e.url]["published_at"], archived[e.url]["date_source"])
             for e in expected if e.url in archived
             and (archived[e.url]["published_at"], archived[e.url]["date_source"]) != (e.published_at, e.date_source)]
    assert not wrong


def test_article_text_kept_and_boilerplate_gone(crawled):
    db_path, expected, _ = crawled
    archived = articles_by_url(db_path)
    lost = [(e.url, s) for e in expected if e.url in archived for s in e.sentences if s not in archived[e.url]["text"]]
    assert not lost
    leftovers = [(url, phrase) for url, row in archived.items() for phrase in BOILERPLATE_PHRASES
                 if phrase.lower() in (row["text"] or "").lower() or phrase.lower() in (row["title"] or "").lower()]
    assert not leftovers


def test_raw_pages_stored_for_reextraction(crawled):
    db_path, expected, _ = crawled
    db = sqlite_utils.Database(db_path)
    assert db["raw_pages"].count == len(expected)


def test_run_recorded_with_per_source_counts(crawled, sample_sites):
    db_path, expected, _ = crawled
    db = sqlite_utils.Database(db_path)
    run = list(db.query("select * from runs"))[-1]
    assert run["status"] == "finished" and run["finished_at"]
    per_source = {row["source_id"]: row for row in db.query("select * from run_sources where run_id = ?", [run["id"]])}
    assert set(per_source) == set(sample_sites.base_urls)
    for source_id, row in per_source.items():
        assert row["articles_new"] == sum(1 for e in expected if e.source_id == source_id)
        assert row["pages"] > 0


def test_second_crawl_leaves_the_same_rows(crawled, sample_sites, tmp_path):
    db_path, _, _ = crawled
    before = list(sqlite_utils.Database(db_path).query("select url, title, text, published_at, content_hash from articles order by url"))
    result = scrapy_crawl(db_path, sample_sites)
    assert result.returncode == 0, result.stderr[-3000:]
    after = list(sqlite_utils.Database(db_path).query("select url, title, text, published_at, content_hash from articles order by url"))
    assert after == before
    last_run = list(sqlite_utils.Database(db_path).query("select * from run_sources order by run_id desc"))
    assert sum(row["articles_new"] for row in last_run if row["run_id"] == last_run[0]["run_id"]) == 0


def test_reposts_across_sites_share_one_story_with_the_earliest_as_original(crawled):
    db_path, expected, _ = crawled
    archived = articles_by_url(db_path)
    stories = {}
    for e in expected:
        stories.setdefault(e.story, []).append(e)
    reposted = [copies for story, copies in stories.items() if story and len(copies) > 1]
    assert reposted, "the sample sites carry at least one reposted press release"
    for copies in reposted:
        rows = [archived[e.url] for e in copies]
        assert len({row["story_id"] for row in rows}) == 1 and rows[0]["story_id"] is not None
        earliest = min(copies, key=lambda e: e.published_at)
        assert [e.url for e in copies if archived[e.url]["is_original"]] == [earliest.url]
    others = [archived[e.url]["story_id"] for e in expected if not e.story]
    assert len(others) == len(set(others)), "unrelated articles never share a story"


def test_every_article_is_placed_in_its_sources_unit(crawled):
    db_path, _, _ = crawled
    db = sqlite_utils.Database(db_path)
    unplaced = list(db.query("""select a.url from articles a where not exists
        (select 1 from article_places p where p.article_id = a.id and p.how = 'source')"""))
    assert unplaced == []


def test_crawled_articles_are_searchable_in_their_inflected_forms(crawled):
    from crawler.archive.search import pending_count, search

    db_path, _, _ = crawled
    db = sqlite_utils.Database(db_path)
    assert pending_count(db) == 0
    hits = search(db, "громада", limit=100)
    texts = [row["title"] + " " + row["text"] for row in
             db.query(f"select title, text from articles where id in ({','.join(str(h.id) for h in hits)})")]
    assert hits and any("громада" not in t.lower() for t in texts), "inflected forms match too"


def test_a_registry_delay_spaces_the_sources_requests_at_least_that_far(sample_sites, tmp_path):
    from tests.conftest import write_sample_registry

    registry = write_sample_registry(sample_sites, tmp_path / "registry.toml", {"drupal-oblast": 0.2})
    sample_sites.clear_request_log()
    result = scrapy_crawl(tmp_path / "archive.db", sample_sites, "drupal-oblast", HROMADA_REGISTRY=registry,
                          HROMADA_BASE_URLS="{}", HROMADA_WORKERS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    arrivals = sorted(record.at for record in sample_sites.request_log["drupal-oblast"])
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    # the delay is a floor (no jitter below it); 10 ms: the arrival is stamped by the server's thread
    assert len(arrivals) > 5 and min(gaps) >= 0.2 - 0.01, sorted(gaps)[:3]


def test_requests_waiting_together_for_robots_txt_all_obey_it(sample_sites, tmp_path):
    """The partners page (robots.txt disallows /partners/) as a start request: it waits for robots.txt beside
    the homepage and the robots.txt probe, as a fleet process's first requests to a source do."""
    from tests.conftest import write_sample_registry

    registry = write_sample_registry(sample_sites, tmp_path / "registry.toml")
    partners = next(sample_sites.url_of(article) for article in sample_sites.articles("drupal-oblast")
                    if article.robots_blocked)
    text = registry.read_text(encoding="utf-8")
    feed_hint = next(line for line in text.split("[[source]]")[-1].splitlines() if line.startswith("feeds ="))
    registry.write_text(text.replace(feed_hint, f'{feed_hint}\nlistings = ["{partners}"]'), encoding="utf-8")
    sample_sites.clear_request_log()
    result = scrapy_crawl(tmp_path / "archive.db", sample_sites, "drupal-oblast", HROMADA_REGISTRY=registry,
                          HROMADA_BASE_URLS="{}", HROMADA_WORKERS="0")
    assert result.returncode == 0, result.stderr[-3000:]
    paths = [record.path for record in sample_sites.request_log["drupal-oblast"]]
    assert "/robots.txt" in paths and not [path for path in paths if path.startswith("/partners/")], paths
