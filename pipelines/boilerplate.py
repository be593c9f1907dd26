"""Stage 2: strip site furniture (the rules in data/boilerplate.toml plus the source's own phrases)."""

from crawler.extract.boilerplate import strip_boilerplate
from pipelines.base import SourcePipeline


class BoilerplatePipeline(SourcePipeline):
    async def process_item(self, item):
        item["text"] = await self.in_worker(strip_boilerplate, item["text"] or "", self.source(item).extraction.boilerplate)
        return item
