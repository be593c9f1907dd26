"""Stage 9: make saved articles searchable (crawler/archive/search.py), a batch at a time.

ArchivePipeline leaves each new or changed article queued in ``search_pending``
(in the transaction that saves it, so a killed crawl loses nothing); this stage
lemmatizes the queue every ``HROMADA_SEARCH_INDEX_BATCH`` saved articles and
at the end of the crawl, so every article is searchable when the crawl ends.
Indexing after places (stage 7) also spares the filter-token triggers an FTS
row rewrite per stored place. Anything a killed crawl left queued is indexed
by the next crawl's batches.
"""

import sqlite3

from crawler.archive.search import index_pending
from pipelines.base import ArchiveStage


class SearchIndexPipeline(ArchiveStage):
    def open_spider(self):
        super().open_spider()
        self.batch = self.settings.getint("HROMADA_SEARCH_INDEX_BATCH")
        self.queued = 0
        self.index_texts: dict[int, tuple[str, str]] = {}  # article id -> lemmatized by stage 5½

    def close_spider(self):
        try:
            self.index_queued()
        finally:
            super().close_spider()

    def process_item(self, item):
        if item.get("outcome") in ("new", "updated"):
            self.queued += 1
            if item.get("index_texts"):
                self.index_texts[item["article_id"]] = item["index_texts"]
        if self.queued >= self.batch:
            self.index_queued()
        return item

    def index_queued(self) -> None:
        if self.shared.failure is not None:
            return  # the archive failed the run: what is queued stays queued for the next crawl
        try:  # commits each indexed batch, and with it the crawl's open batch of writes
            index_pending(self.archive.db, batch_size=self.batch, index_texts=self.index_texts)
            self.shared.commit()
        except sqlite3.Error as error:  # the articles stay queued; `hromada search --reindex` or the next crawl
            self.crawler.stats.inc_value("hromada/errors/search_index")
            self.crawler.spider.logger.error("search index not updated: %r", error)
            self.shared.fail_on_storage_error(error)
        self.queued = 0
        self.index_texts.clear()
