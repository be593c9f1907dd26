"""Revisions in the archive: a changed title or text keeps the stored version with its raw page; a refetch of the
same content adds none; a page gone (404/410) flags its article removed until it answers again."""

from __future__ import annotations

import sqlite3

import pytest

from crawler.archive import store
from crawler.archive.store import Archive, content_hash

URL = "https://example.test/news/1"
FIRST_TEXT = "Рада громади ухвалила бюджет на наступний рік. Засідання тривало три години."
SECOND_TEXT = "Рада громади ухвалила бюджет на наступний рік. Засідання тривало чотири години."


def article(text: str, fetched_at: str, *, title: str = "Сесія ради", published_at: str = "2025-08-20T10:00:00+03:00",
            extractor: str = "1") -> dict:
    return {"url": URL, "source_id": "s", "title": title, "text": text, "published_at": published_at,
            "published_raw": "20 серпня 2025, 10:00", "fetched_at": fetched_at, "content_hash": content_hash(title, text),
            "extractor_version": extractor}


def page(html: str, fetched_at: str) -> dict:
    return {"fetched_url": URL, "fetched_at": fetched_at, "http_status": 200, "content_type": "text/html; charset=utf-8",
            "encoding": "utf-8", "body": html.encode("utf-8")}


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "archive.db") as opened:
        with opened.db.conn:
            opened.db.execute("insert into sources (id, name) values ('s', 'Сільська рада')")
        yield opened


def test_a_changed_text_keeps_the_earlier_revision_with_its_page(archive):
    _, article_id = archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"),
                                          page("<p>три години</p>", "2025-08-20T08:00:00+00:00"))
    assert archive.revisions(article_id) == []
    outcome, _ = archive.store_article(article(SECOND_TEXT, "2025-08-22T08:00:00+00:00"),
                                       page("<p>чотири години</p>", "2025-08-22T08:00:00+00:00"))
    assert outcome == "updated"
    revisions = archive.revisions(article_id)
    assert [(r["revision"], r["fetched_at"], r["text"], r["has_page"]) for r in revisions] == [
        (1, "2025-08-20T08:00:00+00:00", FIRST_TEXT, 1), (2, "2025-08-22T08:00:00+00:00", SECOND_TEXT, 0)]
    assert revisions[0]["published_raw"] == "20 серпня 2025, 10:00"
    assert revisions[0]["content_hash"] == content_hash("Сесія ради", FIRST_TEXT)
    assert archive.revision_page(article_id, 1) == "<p>три години</p>".encode()
    assert archive.revision_page(article_id, 2) == "<p>чотири години</p>".encode()  # the current one, from raw_pages
    assert archive.revision_page(article_id, 3) is None
    row = archive.db.execute("select revision, text from articles where id = ?", [article_id]).fetchone()
    assert row == (2, SECOND_TEXT)


def test_a_third_revision_moves_the_second_page_into_its_row(archive):
    texts = [FIRST_TEXT, SECOND_TEXT, SECOND_TEXT + " Наступна сесія у вересні."]
    for day, text in enumerate(texts, start=1):
        fetched = f"2025-08-2{day}T08:00:00+00:00"
        _, article_id = archive.store_article(article(text, fetched), page(f"<p>{day}</p>", fetched))
    assert [(r["revision"], r["text"], r["has_page"]) for r in archive.revisions(article_id)] == [
        (1, texts[0], 1), (2, texts[1], 1), (3, texts[2], 0)]
    assert [archive.revision_page(article_id, number) for number in (1, 2, 3)] == [b"<p>1</p>", b"<p>2</p>", b"<p>3</p>"]


def test_an_unchanged_refetch_adds_no_revision(archive):
    archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"), page("<p>a</p>", "2025-08-20T08:00:00+00:00"))
    outcome, article_id = archive.store_article(article(FIRST_TEXT, "2025-08-21T08:00:00+00:00"),
                                                page("<p>a, 12 views</p>", "2025-08-21T08:00:00+00:00"))
    assert outcome == "unchanged" and archive.revisions(article_id) == []
    assert archive.db.execute("select count(*) from article_revisions").fetchone()[0] == 0


def test_a_new_date_alone_is_no_revision_but_the_current_revision_follows_it(archive):
    archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"))
    _, article_id = archive.store_article(article(SECOND_TEXT, "2025-08-21T08:00:00+00:00"))
    outcome, _ = archive.store_article(article(SECOND_TEXT, "2025-08-22T08:00:00+00:00",
                                               published_at="2025-08-20T11:00:00+03:00"))
    assert outcome == "updated"
    revisions = archive.revisions(article_id)
    assert len(revisions) == 2 and revisions[-1]["published_at"] == "2025-08-20T11:00:00+03:00"
    assert revisions[0]["published_at"] == "2025-08-20T10:00:00+03:00"


def test_a_new_extractor_on_the_same_page_is_no_revision(archive):
    html = "<p>три години</p>"
    archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"), page(html, "2025-08-20T08:00:00+00:00"))
    outcome, article_id = archive.store_article(article(SECOND_TEXT, "2025-08-21T08:00:00+00:00", extractor="2"),
                                                page(html, "2025-08-21T08:00:00+00:00"))
    assert outcome == "updated" and archive.revisions(article_id) == []
    outcome, _ = archive.store_article(article(FIRST_TEXT, "2025-08-22T08:00:00+00:00", extractor="3"),
                                       page("<p>інша сторінка</p>", "2025-08-22T08:00:00+00:00"))
    assert len(archive.revisions(article_id)) == 2  # the page itself changed too: the publisher's revision


def test_a_gone_page_flags_its_article_until_it_answers_again(archive):
    _, article_id = archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"),
                                          page("<p>a</p>", "2025-08-20T08:00:00+00:00"))
    assert archive.mark_removed("https://example.test/news/unknown", "2025-08-25T08:00:00+00:00") is None
    assert archive.mark_removed(URL, "2025-08-25T08:00:00+00:00") == "removed"
    assert archive.mark_removed(URL, "2025-08-26T08:00:00+00:00") == "still_removed"
    removed_at = lambda: archive.db.execute("select removed_at from articles where id = ?", [article_id]).fetchone()[0]  # noqa: E731
    assert removed_at() == "2025-08-25T08:00:00+00:00"  # when it was first found gone
    archive.store_article(article(FIRST_TEXT, "2025-08-27T08:00:00+00:00"), page("<p>a</p>", "2025-08-27T08:00:00+00:00"))
    assert removed_at() is None


def test_archived_urls_within_since(archive):
    archive.store_article(article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"))
    old = {**article("Старий текст про громаду, якому вже кілька років.", "2025-08-20T08:00:00+00:00"),
           "url": "https://example.test/news/old", "published_at": "2021-03-01T10:00:00+02:00"}
    undated = {**article("Текст без дати про громаду.", "2025-08-20T08:00:00+00:00"),
               "url": "https://example.test/news/undated", "published_at": None}
    archive.store_article(old)
    archive.store_article(undated)
    assert archive.archived_urls("s", "2025-08-01T00:00:00+03:00") == [URL, "https://example.test/news/undated"]
    assert len(archive.archived_urls("s", None)) == 3 and archive.archived_urls("other", None) == []


def test_an_archive_from_before_revisions_migrates(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    earlier = store.MIGRATIONS[:store.MIGRATIONS.index(store._migration_article_revisions)]  # the code of then
    monkeypatch.setattr(store, "MIGRATIONS", earlier)
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(earlier))
    with Archive(path) as old:
        with old.db.conn:
            old.db.execute("insert into sources (id) values ('s')")
        with old.db.conn:  # the writes of the code of the time: the article columns of then
            article_id = old._insert_article({**article(FIRST_TEXT, "2025-08-20T08:00:00+00:00"),
                                              "first_seen_at": "2025-08-20T08:00:00+00:00"})
            old._save_raw_page(article_id, page("<p>a</p>", "2025-08-20T08:00:00+00:00"))
        old.db.execute("insert into runs (id, started_at, status) values (1, '2025-08-20T08:00:00+00:00', 'finished')")
        old.db.conn.commit()
    with sqlite3.connect(path) as conn:
        assert "revision" not in {row[1] for row in conn.execute("pragma table_info(articles)")}
    monkeypatch.undo()

    with Archive(path) as migrated:
        assert migrated.db.execute("select revision, removed_at from articles").fetchone() == (1, None)
        assert "articles_removed" in {row[1] for row in migrated.db.execute("pragma table_info(run_sources)")}
        store._migration_article_revisions(migrated.db)  # re-runnable
        _, article_id = migrated.store_article(article(SECOND_TEXT, "2025-08-22T08:00:00+00:00"),
                                               page("<p>b</p>", "2025-08-22T08:00:00+00:00"))
        assert [r["revision"] for r in migrated.revisions(article_id)] == [1, 2]
        assert migrated.revision_page(article_id, 1) == b"<p>a</p>"
