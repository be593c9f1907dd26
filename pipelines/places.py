"""Stage 7: store the places the saved article is about, as stage 5½ (pipelines/analyse.py) found them,
or found here when that stage had none (its worker died).

Runs after ArchivePipeline, which sets ``item["article_id"]`` and ``item["outcome"]``.
"""

from crawler.analysis.places import get_tagger, store_places
from pipelines.base import ArchiveStage


class PlacesPipeline(ArchiveStage):
    def process_item(self, item):
        if item.get("outcome") == "unchanged":
            return item
        try:
            places = item.get("places")
            if places is None:
                places = get_tagger().tag(item["title"], item["text"], self.source(item).katottg)
            with self.shared.writing() as archive:
                store_places(archive.db, item["article_id"], places)
        except Exception as error:  # a tagging bug or a write error leaves the article untagged, never lost
            self.count(item, "errors/places")
            self.crawler.spider.logger.error("places of %s not stored: %r", item.get("url"), error)
            return item
        self.count(item, "places", len(places))
        return item
