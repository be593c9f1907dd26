"""The crawl's one shared archive connection (crawler/crawl/run.py): batched commits, per-step rollback."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler.archive.store import Archive
from crawler.crawl.run import CrawlArchive


def crawler_for(path, commit_items=3, commit_seconds=60.0):
    crawler = SimpleNamespace(settings=Settings({"HROMADA_ARCHIVE": str(path), "HROMADA_COMMIT_ITEMS": commit_items,
                                                 "HROMADA_COMMIT_SECONDS": commit_seconds}))
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def remember(shared: CrawlArchive, url: str) -> None:
    with shared.writing() as archive:
        archive.db.execute("insert into crawl_urls (url, source_id, outcome, seen_at) values (?, 's', 'new', 'x')",
                           [url])


def committed_urls(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("select url from crawl_urls order by url")]


def test_one_connection_per_crawler_until_its_last_user_releases_it(tmp_path):
    crawler = crawler_for(tmp_path / "a.db")
    shared = CrawlArchive.of(crawler)
    assert CrawlArchive.of(crawler) is shared
    shared.open()
    shared.open()
    shared.release()
    assert CrawlArchive.of(crawler) is shared
    shared.release()
    assert CrawlArchive.of(crawler) is not shared  # closed with its last user; a new crawl opens a new one


def test_writes_are_committed_every_n_finished_items(tmp_path):
    path = tmp_path / "a.db"
    shared = CrawlArchive.of(crawler_for(path, commit_items=3))
    shared.open()
    for number in range(2):
        remember(shared, f"u{number}")
        shared.item_done("s")
    assert committed_urls(path) == []  # a kill now loses these two; the next run fetches them again
    remember(shared, "u2")
    shared.item_done("s")
    assert committed_urls(path) == ["u0", "u1", "u2"]
    remember(shared, "u3")
    shared.release()
    assert committed_urls(path) == ["u0", "u1", "u2", "u3"]


def test_an_old_batch_is_committed_at_the_next_finished_item(tmp_path):
    path = tmp_path / "a.db"
    now = [0.0]
    shared = CrawlArchive(path, commit_items=1000, commit_seconds=1.0, clock=lambda: now[0])
    remember(shared, "u0")
    shared.item_done("s")
    assert committed_urls(path) == []
    now[0] = 1.5
    remember(shared, "u1")
    shared.item_done("s")
    assert committed_urls(path) == ["u0", "u1"]
    shared.release()


def test_a_failed_step_rolls_back_alone(tmp_path):
    path = tmp_path / "a.db"
    shared = CrawlArchive.of(crawler_for(path))
    shared.open()
    remember(shared, "kept")
    with pytest.raises(sqlite3.IntegrityError):
        with shared.writing() as archive:
            archive.db.execute("insert into crawl_urls (url, source_id, outcome, seen_at) values ('lost', 's', 'new', 'x')")
            remember(shared, "kept")  # the same primary key again
    shared.release()
    assert committed_urls(path) == ["kept"]


def test_store_article_outside_a_crawl_commits_at_once(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.db.execute("insert into sources (id) values ('s')")
        archive.db.conn.commit()
        archive.store_article({"url": "https://s.example/1", "source_id": "s", "title": "T", "text": "текст",
                               "fetched_at": "2025-09-01T00:00:00", "content_hash": "h"}, index=False)
        with sqlite3.connect(path) as other:
            assert other.execute("select count(*) from articles").fetchone()[0] == 1


def test_a_failed_commit_fails_the_run_and_counts_the_batch(tmp_path, monkeypatch, caplog):
    path = tmp_path / "a.db"
    crawler = crawler_for(path, commit_items=3)
    shared = CrawlArchive.of(crawler)
    shared.open()
    for number in range(3):
        remember(shared, f"kept{number}")
        shared.item_done("s")
    class FullDisk:
        """The connection, whose commit fails as on a full disk."""

        def __getattr__(self, name):
            return getattr(real_conn, name)

        def commit(self):
            raise sqlite3.OperationalError("database or disk is full")

    real_conn = shared.archive.db.conn
    monkeypatch.setattr(shared.archive.db, "conn", FullDisk())
    remember(shared, "lost0")
    shared.item_done("s")
    remember(shared, "lost1")
    shared.item_done("t")
    remember(shared, "lost2")
    shared.item_done("t")  # the third finished item: the batch's commit fails
    assert crawler.stats.get_value("hromada/s/errors/archive") == 1
    assert crawler.stats.get_value("hromada/t/errors/archive") == 2
    assert "is full" in shared.failure and str(path) in shared.failure
    assert "stopping the crawl (3 finished items not stored" in caplog.text
    assert not real_conn.in_transaction  # rolled back
    monkeypatch.setattr(shared.archive.db, "conn", real_conn)
    shared.release()
    assert committed_urls(path) == ["kept0", "kept1", "kept2"]


def test_a_write_failing_on_storage_fails_the_run_but_a_data_error_does_not(tmp_path):
    crawler = crawler_for(tmp_path / "a.db")
    shared = CrawlArchive.of(crawler)
    shared.open()
    remember(shared, "u0")
    with pytest.raises(sqlite3.IntegrityError):
        remember(shared, "u0")  # the same primary key: this item's data, not the archive's storage
    assert shared.failure is None
    with pytest.raises(sqlite3.OperationalError):
        with shared.writing():
            raise sqlite3.OperationalError("disk I/O error")
    assert "disk I/O error" in shared.failure
    shared.release()



def test_the_run_failure_migration_runs_again_harmlessly(tmp_path):
    from crawler.archive.store import _migration_run_failure

    with Archive(tmp_path / "a.db") as archive:
        _migration_run_failure(archive.db)  # opening applied it already
        columns = [row[1] for row in archive.db.execute("pragma table_info(runs)")]
    assert columns.count("failure") == 1
