"""Stage 1: find title, text, author, language, canonical URL and raw dates in the page.

A title longer than ``MAX_TITLE_CHARS`` is cut at a word boundary (crawler/analysis/text.py; counted ``title_truncated``).
"""

from urllib.parse import urljoin

from crawler.analysis.article import warm_up
from crawler.analysis.extract import extract_raw
from crawler.analysis.text import cut_title
from pipelines.base import SourcePipeline


class ExtractPipeline(SourcePipeline):
    def open_spider(self):
        self.workers.warm_up(warm_up)

    async def process_item(self, item):
        try:
            raw = await self.in_worker(extract_raw, item["body"], item["url"], hints=self.source(item).extraction,
                                       encoding=item.get("encoding"))
        except Exception as error:  # a broken page, even one that kills its worker, must never stop the crawl
            raise self.parse_error(item, error) from error
        item["title"], cut = cut_title(raw.title)
        if cut:
            self.count(item, "faults/title_truncated")
        item["text"] = raw.text
        item["author"] = raw.author
        item["language"] = raw.language
        item["page_type"] = raw.page_type
        item["canonical_url"] = urljoin(item["url"], raw.canonical_url) if raw.canonical_url else item["url"]
        item["date_candidates"] = raw.date_candidates
        return item
