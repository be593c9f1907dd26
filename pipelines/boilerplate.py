"""Stage 2: strip site furniture (the rules in data/boilerplate.toml plus the source's own phrases)."""

from crawler.analysis.extract.boilerplate import strip_boilerplate
from pipelines.base import SourcePipeline


class BoilerplatePipeline(SourcePipeline):
    async def process_item(self, item):
        try:
            item["text"] = await self.in_worker(strip_boilerplate, item["text"] or "",
                                                self.source(item).extraction.boilerplate)
        except Exception as error:  # e.g. its worker died: the page is fetched again next run
            raise self.parse_error(item, error) from error
        return item
