"""Stage 2: strip site furniture: the rules in data/boilerplate.toml, the source's own phrases, then the
source's learned template (crawler/analysis/template.py).

Each source's newest stored template applies from its first page; the pages of this run teach it again
as they come in, and the template learned from them is stored as the source's next version at the end.
"""

from crawler.analysis.extract.boilerplate import strip_boilerplate
from crawler.analysis.template import MIN_PAGES, SourceTemplate, TemplateLearner
from pipelines.base import ArchiveStage


class BoilerplatePipeline(ArchiveStage):
    def open_spider(self):
        super().open_spider()
        self.learners: dict[str, TemplateLearner] = {}
        self.last_fetched: dict[str, str] = {}

    async def process_item(self, item):
        try:
            text = await self.in_worker(strip_boilerplate, item["text"] or "", self.source(item).extraction.boilerplate)
        except Exception as error:  # e.g. its worker died: the page is fetched again next run
            raise self.parse_error(item, error) from error
        template = self.learner(item["source_id"]).add(text)
        self.last_fetched[item["source_id"]] = item["fetched_at"].isoformat()
        item["text"] = template.strip(text)
        return item

    def learner(self, source_id: str) -> TemplateLearner:
        if source_id not in self.learners:
            stored = self.archive.latest_template(source_id)
            self.learners[source_id] = TemplateLearner(template=SourceTemplate.from_json(stored) if stored else SourceTemplate())
        return self.learners[source_id]

    def close_spider(self):
        for source_id, learner in self.learners.items():
            if len(learner.texts) >= MIN_PAGES and learner.template.furniture:  # relearned in this run
                template = learner.template
                self.archive.save_template(source_id, template.to_json(), template.pages, self.last_fetched[source_id])
        super().close_spider()
