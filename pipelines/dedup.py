"""Stage 5: one row per article — the same canonical URL or the same content is kept once."""

from crawler.archive.store import content_hash
from pipelines.base import ArchiveStage


class DedupPipeline(ArchiveStage):
    def open_spider(self):
        super().open_spider()
        self.urls_seen: set[str] = set()
        self.url_of_hash: dict[str, str] = {}

    def process_item(self, item):
        url = item["canonical_url"]
        digest = content_hash(item["title"], item["text"])
        if url in self.urls_seen:
            raise self.drop(item, "duplicate_url", f"(canonical {url})")
        first_url = self.url_of_hash.get(digest) or self.archive.url_by_hash(digest)
        if first_url is not None and first_url != url:
            raise self.drop(item, "duplicate_content", f"(same text as {first_url})")
        self.urls_seen.add(url)
        self.url_of_hash[digest] = url
        item["content_hash"] = digest
        return item
