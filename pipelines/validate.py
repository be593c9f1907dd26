"""Stage 4: keep only real articles; every drop is counted with its reason."""

from pipelines.base import SourcePipeline

NON_ARTICLE_PAGE_TYPES = {"website", "webpage", "collectionpage", "itemlist", "profile", "searchresultspage"}


class ValidatePipeline(SourcePipeline):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.min_text_chars = self.settings.getint("HROMADA_MIN_TEXT_CHARS")

    def process_item(self, item):
        page_type = (item.get("page_type") or "").lower()
        if page_type in NON_ARTICLE_PAGE_TYPES:
            raise self.drop(item, "not_article", f"(page type {page_type})")
        if not item.get("title"):
            raise self.drop(item, "no_title")
        if len(item.get("text") or "") < self.min_text_chars:
            raise self.drop(item, "too_short")
        return item
