"""Stage 7: store the places the saved article is about (found by stage 5½, pipelines/analyse.py).

Runs after ArchivePipeline, which sets ``item["article_id"]`` and ``item["outcome"]``.
"""

import sqlite3

from crawler.places import store_places
from pipelines.base import ArchiveStage


class PlacesPipeline(ArchiveStage):
    def process_item(self, item):
        places = item.get("places")
        if item.get("outcome") == "unchanged" or places is None:
            return item
        try:
            with self.shared.writing() as archive:
                store_places(archive.db, item["article_id"], places)
        except sqlite3.Error as error:
            self.count(item, "errors/places")
            self.crawler.spider.logger.error("places of %s not stored: %r", item.get("url"), error)
            return item
        self.count(item, "places", len(places))
        return item
