"""Stage 6: write the article and its raw page to the archive, in one transaction.

The article is left queued for the search index; stage 9 (pipelines/search.py) indexes in batches.
"""

import sqlite3

from crawler.analysis.extract import EXTRACTOR_VERSION
from pipelines.base import ArchiveStage


class ArchivePipeline(ArchiveStage):
    def open_spider(self):
        super().open_spider()
        self.archive.sync_sources(self.crawler.spider.sources)

    def process_item(self, item):
        article = {
            "url": item["canonical_url"],
            "source_id": item["source_id"],
            "title": item["title"],
            "text": item["text"],
            "published_at": item["published_at"],
            "published_raw": item["published_raw"],
            "date_source": item["date_source"],
            "modified_at": item["modified_at"],
            "modified_raw": item["modified_raw"],
            "modified_source": item["modified_source"],
            "author": item["author"],
            "language": item["language"],
            "fetched_at": item["fetched_at"].isoformat(timespec="seconds"),
            "content_hash": item["content_hash"],
            "extractor_version": EXTRACTOR_VERSION,
        }
        raw_page = {
            "fetched_url": item["url"],
            "fetched_at": article["fetched_at"],
            "http_status": item["http_status"],
            "content_type": item["content_type"],
            "encoding": item["encoding"],
            "body": item["body"],
        }
        try:
            with self.shared.writing() as archive:
                item["outcome"], item["article_id"] = archive.store_article(article, raw_page, index=False)
        except sqlite3.Error as error:
            self.count(item, "errors/archive")
            raise self.drop(item, "archive_error", repr(error)) from error
        self.shared.count_stored(self.stat_key(item, item["outcome"]))
        return item
