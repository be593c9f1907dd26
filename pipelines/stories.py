"""Stage 8: put the saved article into its repost story (crawler/archive/stories.py).

Runs after ArchivePipeline, which sets ``item["article_id"]`` and ``item["outcome"]``; the MinHash
signature comes from stage 5½ (pipelines/analyse.py), or is computed here when that stage had none.
"""

import sqlite3

from crawler.archive.stories import assign_story
from pipelines.base import ArchiveStage


class StoriesPipeline(ArchiveStage):
    def process_item(self, item):
        if item.get("outcome") == "unchanged":
            return item
        try:
            with self.shared.writing() as archive:
                story_id = assign_story(archive.db, item["article_id"], signature=item.get("signature"))
        except sqlite3.Error as error:
            self.count(item, "errors/stories")
            self.crawler.spider.logger.error("story of %s not assigned: %r", item.get("url"), error)
            return item
        if story_id != item["article_id"]:
            self.count(item, "reposts")
        return item
