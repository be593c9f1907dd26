"""Stage 9 (pipelines/search.py): saved articles become searchable in batches and at the end of the crawl."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.utils.test import get_crawler

from crawler.archive.store import Archive
from crawler.archive.search import pending_count, search
from pipelines.search import SearchIndexPipeline

SOURCE = SimpleNamespace(id="rada", name="Рада", homepage="https://rada.example.gov.ua/", kind="city_council",
                         oblast="Вінницька", hromada=None, katottg=None, language="uk", verified=False)


def save_unindexed(archive: Archive, number: int) -> int:
    article = {"url": f"https://rada.example.gov.ua/news/{number}/", "source_id": SOURCE.id,
               "title": f"Засідання громади {number}", "text": "Депутати громади ухвалили бюджет. " * 10,
               "fetched_at": "2025-09-01T12:00:00", "content_hash": f"hash{number}", "extractor_version": "test"}
    outcome, article_id = archive.store_article(article, index=False)
    assert outcome == "new"
    return article_id


def open_pipeline(archive_path, batch: int) -> SearchIndexPipeline:
    crawler = get_crawler(settings_dict={"HROMADA_ARCHIVE": str(archive_path), "HROMADA_SEARCH_INDEX_BATCH": batch})
    crawler.spider = SimpleNamespace(logger=None)
    pipeline = SearchIndexPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def test_articles_saved_unindexed_wait_in_the_queue(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        archive.sync_sources([SOURCE])
        save_unindexed(archive, 1)
        assert pending_count(archive.db) == 1
        assert search(archive.db, "громада") == []


def test_a_full_batch_is_indexed_at_once_and_the_rest_at_close(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.sync_sources([SOURCE])
        ids = [save_unindexed(archive, number) for number in range(3)]
    pipeline = open_pipeline(path, batch=2)
    for article_id in ids[:2]:
        pipeline.process_item({"source_id": SOURCE.id, "outcome": "new", "article_id": article_id})
    with Archive(path) as archive:
        assert pending_count(archive.db) == 0  # the batch indexes the whole queue
    with Archive(path) as archive:
        save_unindexed(archive, 3)
    pipeline.process_item({"source_id": SOURCE.id, "outcome": "new", "article_id": 4})
    pipeline.close_spider()
    with Archive(path) as archive:
        assert pending_count(archive.db) == 0
        assert len(search(archive.db, "громада", limit=10)) == 4


def test_articles_left_queued_by_a_killed_crawl_are_indexed_by_the_next_one(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.sync_sources([SOURCE])
        save_unindexed(archive, 1)  # saved, then the crawl died before indexing
    pipeline = open_pipeline(path, batch=500)
    pipeline.process_item({"source_id": SOURCE.id, "outcome": "unchanged", "article_id": 1})
    pipeline.close_spider()
    with Archive(path) as archive:
        assert [hit.id for hit in search(archive.db, "бюджету")] == [1]


def test_an_article_lemmatized_by_a_worker_is_indexed_with_those_lemmas(tmp_path):
    from crawler.analysis.article import analyse
    from crawler.archive.search import LEMMA_TABLE, get_lemmatizer

    path = tmp_path / "a.db"
    with Archive(path) as archive:
        archive.sync_sources([SOURCE])
        given, lemmatized_here = save_unindexed(archive, 1), save_unindexed(archive, 2)
    stored = {"source_id": SOURCE.id, "outcome": "new", "article_id": given}
    pipeline = open_pipeline(path, batch=500)
    pipeline.process_item({**stored, "index_texts": ("засідання", "бюджет")})  # as a worker would hand them over
    pipeline.process_item({"source_id": SOURCE.id, "outcome": "new", "article_id": lemmatized_here})
    pipeline.close_spider()
    with Archive(path) as archive:
        rows = dict(archive.db.execute(f"select rowid, text from {LEMMA_TABLE}").fetchall())
        article = archive.db.execute("select title, text from articles where id = ?", [lemmatized_here]).fetchone()
    assert rows[given] == "бюджет"
    assert rows[lemmatized_here] == get_lemmatizer().index_text(article[1])
    assert analyse(*article, None).index_texts == (get_lemmatizer().index_text(article[0]), rows[lemmatized_here])
