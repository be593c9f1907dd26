"""Stage 5½: the places an article is about, its MinHash signature and its lemmatized title and text,
computed in a worker process (crawler/analysis/article.py).

They are pure functions of the title and text, so a worker computes them while the crawl goes on;
the stages from ArchivePipeline on only write what this stage found. Those writing
stages run back to back without waiting on anything, so a batch commit never falls between an
article's writes and a killed crawl never leaves an article half stored.
"""

from crawler.analysis.article import analyse
from pipelines.base import SourcePipeline


class AnalysePipeline(SourcePipeline):
    async def process_item(self, item):
        try:
            analysis = await self.in_worker(analyse, item["title"], item["text"], self.source(item).katottg)
        except Exception as error:  # e.g. a worker that died: the later stages do without (see each)
            self.count(item, "errors/analyse")
            self.crawler.spider.logger.error("analysis of %s failed: %r", item.get("url"), error)
            return item
        item["places"], item["signature"], item["index_texts"] = (analysis.places, analysis.signature,
                                                                  analysis.index_texts)
        return item
