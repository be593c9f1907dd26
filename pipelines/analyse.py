"""Stage 5½: the places an article is about and its MinHash signature, computed in a worker process.

They are pure functions of the text, so a worker computes them while the crawl goes on; the stages
from ArchivePipeline on only write (places and stories store what this stage found). Those writing
stages run back to back without waiting on anything, so a batch commit never falls between an
article's writes and a killed crawl never leaves an article half stored.
"""

from crawler.analysis import analyse
from pipelines.base import SourcePipeline


class AnalysePipeline(SourcePipeline):
    async def process_item(self, item):
        try:
            item["places"], item["signature"] = await self.workers.run(
                analyse, item["title"], item["text"], self.source(item).katottg)
        except Exception as error:  # e.g. a worker that died: stored untagged, until `hromada reindex`
            self.count(item, "errors/analyse")
            self.crawler.spider.logger.error("places and signature of %s not found: %r", item.get("url"), error)
            item["places"] = item["signature"] = None
        return item
