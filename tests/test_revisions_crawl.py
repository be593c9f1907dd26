"""Revisions end to end: crawl a sample site, the publisher edits one article and takes two down, a refresh crawl
keeps both versions of the edited one (the diff on /article/ID), adds none for the rest, and flags the two removed."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from crawler.archive.store import Archive
from crawler.crawl.progress import summary_line
from tests.conftest import scrapy_crawl
from tests.test_web_pages import get

SOURCE = "wp-hromada"
REVISED = "koly-dadut-teplo-vidpovidi"
GONE_404 = "vidkliuchennia-vody-lypen"
GONE_410 = "ukryttia-hymnazii-zaversheno"
ADDED_SENTENCE = "Оновлено: графік подачі тепла оприлюднять до першого жовтня на сайті міської ради."


@pytest.fixture(scope="module")
def refreshed(sample_sites, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("revisions") / "archive.db"
    first = scrapy_crawl(db_path, sample_sites, SOURCE)
    assert first.returncode == 0, first.stderr[-3000:]
    original = next(a for a in sample_sites.articles(SOURCE) if a.slug == REVISED)
    revised = sample_sites.revise_article(SOURCE, REVISED, title="Коли дадуть тепло: відповіді на запитання читачів",
                                          body=original.body + "\n\n" + ADDED_SENTENCE)
    gone = [sample_sites.remove_article(SOURCE, GONE_404), sample_sites.remove_article(SOURCE, GONE_410, status=410)]
    second = scrapy_crawl(db_path, sample_sites, SOURCE, HROMADA_REFRESH=True, HROMADA_PROGRESS="log")
    assert second.returncode == 0, second.stderr[-3000:]
    return db_path, revised, gone, second.stderr


def article_row(db_path, url: str) -> dict:
    return next(sqlite_utils.Database(db_path).query("select * from articles where url = ?", [url]))


def test_a_refresh_keeps_both_revisions_of_an_edited_article(refreshed):
    db_path, revised, _, _ = refreshed
    row = article_row(db_path, revised.url)
    assert row["revision"] == 2 and ADDED_SENTENCE in row["text"] and row["title"] == revised.title
    with Archive(db_path) as archive:
        revisions = archive.revisions(row["id"])
        assert [r["revision"] for r in revisions] == [1, 2]
        assert ADDED_SENTENCE not in revisions[0]["text"] and revisions[0]["title"].startswith("Коли у Хмільнику")
        earlier_page, current_page = archive.revision_page(row["id"], 1), archive.revision_page(row["id"], 2)
    assert "Коли у Хмільнику дадуть тепло".encode() in earlier_page and ADDED_SENTENCE.encode() not in earlier_page
    assert ADDED_SENTENCE.encode() in current_page


def test_an_unchanged_refetch_adds_no_revision(refreshed):
    db_path, revised, _, _ = refreshed
    db = sqlite_utils.Database(db_path)
    assert {row["url"] for row in db.query("select distinct a.url from article_revisions r join articles a on a.id = r.article_id")} \
        == {revised.url}
    run = next(db.query("select * from run_sources where run_id = 2"))
    assert run["articles_updated"] == 1 and run["articles_unchanged"] >= 3 and run["articles_new"] == 0


def test_the_article_page_shows_the_diff(refreshed):
    db_path, revised, _, _ = refreshed
    page = get(db_path, f"/article/{article_row(db_path, revised.url)['id']}").text
    assert 'data-revision="1"' in page and 'data-revision="2"' in page
    assert f'<span class="add">+ {ADDED_SENTENCE}</span>' in page
    assert '<span class="del">- Коли у Хмільнику дадуть тепло: відповідаємо на запитання читачів</span>' in page


def test_gone_pages_flag_their_articles_removed_and_count_as_removed_not_errors(refreshed):
    db_path, _, gone, stderr = refreshed
    assert all(article_row(db_path, url)["removed_at"] == "2025-09-01T18:00:00+03:00" for url in gone)
    run = next(sqlite_utils.Database(db_path).query("select * from run_sources where run_id = 2"))
    assert run["articles_removed"] == 2
    assert not {"http_404", "http_410"} & set(json.loads(run["errors"])) and run["status"] in ("ok", "quiet")
    assert "2 removed" in stderr  # the crawl's summary line
    page = get(db_path, f"/article/{article_row(db_path, gone[0])['id']}").text
    assert 'class="removed"' in page


def test_summary_line_counts_removed():
    entry = {"pages": 4, "pages_unchanged": 1, "new": 0, "updated": 1, "removed": 3, "skipped_known": 0,
             "errors": {}, "status": "quiet"}
    assert "0 new, 1 updated, 3 removed," in summary_line({"s": entry}, "finished", 1.0)


def test_each_revision_opens_its_own_archived_page(refreshed):
    db_path, revised, _, _ = refreshed
    article_id = article_row(db_path, revised.url)["id"]
    page = get(db_path, f"/article/{article_id}").text
    assert f'href="/article/{article_id}/snapshot?revision=1"' in page and f'href="/article/{article_id}/snapshot?revision=2"' in page
    earlier = get(db_path, f"/article/{article_id}/snapshot?revision=1")
    assert earlier.status_code == 200 and "sandbox" in earlier.headers["content-security-policy"]
    assert "Коли у Хмільнику дадуть тепло" in earlier.text and ADDED_SENTENCE not in earlier.text
    assert "Редакція 1." in earlier.text
    assert ADDED_SENTENCE in get(db_path, f"/article/{article_id}/snapshot?revision=2").text
    assert get(db_path, f"/article/{article_id}/snapshot?revision=9").status_code == 404


def test_the_crawl_table_has_a_removed_column(refreshed, capsys):
    from crawler.cli.crawl import report_run

    db_path, _, _, _ = refreshed
    assert report_run(db_path, 2) == 0
    header, row = [line for line in capsys.readouterr().out.splitlines() if "source" in line or SOURCE in line][:2]
    cells = [cell.strip() for cell in row.split("│")]
    assert "removed" in header and cells[[cell.strip() for cell in header.split("┃")].index("removed")] == "2"


def test_a_bad_revision_number_is_a_missing_page(refreshed):
    db_path, revised, _, _ = refreshed
    article_id = article_row(db_path, revised.url)["id"]
    for asked in ("abc", "-1", "0"):
        assert get(db_path, f"/article/{article_id}/snapshot?revision={asked}").status_code == 404


def test_sample_sites_answer_removed_pages_with_their_status(refreshed, sample_sites):
    from urllib.error import HTTPError
    from urllib.request import urlopen

    _, _, (gone_404, gone_410), _ = refreshed
    for url, status in ((gone_404, 404), (gone_410, 410)):
        with pytest.raises(HTTPError) as answer:
            urlopen(url, timeout=5)
        assert answer.value.code == status
    with pytest.raises(ValueError, match="404 or 410"):
        sample_sites.remove_article(SOURCE, REVISED, status=500)
    with pytest.raises(KeyError, match="no article 'nonexistent'"):
        sample_sites.revise_article(SOURCE, "nonexistent", title="X")
