"""Stage 7: tag the saved article with the places it is about (crawler/places.py).

Runs after ArchivePipeline, which sets ``item["article_id"]`` and ``item["outcome"]``.
"""

import sqlite3

from crawler.places import get_tagger, store_places
from pipelines.base import ArchiveStage


class PlacesPipeline(ArchiveStage):
    def open_spider(self):
        super().open_spider()
        self.tagger = get_tagger()

    def process_item(self, item):
        if item.get("outcome") == "unchanged":
            return item
        places = self.tagger.tag(item["title"], item["text"], self.source(item).katottg)
        try:
            with self.shared.writing() as archive:
                store_places(archive.db, item["article_id"], places)
        except sqlite3.Error as error:
            self.count(item, "errors/places")
            self.crawler.spider.logger.error("places of %s not stored: %r", item.get("url"), error)
            return item
        self.count(item, "places", len(places))
        return item
