"""Each pipeline on its own: one job, and every drop counted with its reason."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.analysis.extract import DateCandidate
from crawler.items import ArticleItem
from crawler.registry import Source
from crawler.crawl.workers import WorkerCrashed
from pipelines.archive import ArchivePipeline
from pipelines.boilerplate import BoilerplatePipeline
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.extract import ExtractPipeline
from pipelines.validate import ValidatePipeline

FETCHED = datetime(2025, 9, 1, 15, 0, tzinfo=timezone.utc)
SOURCE = Source(id="rada", name="Рада", homepage="https://rada.example.gov.ua/", kind="city_council", oblast="Вінницька")
TEXT = "Виконавчий комітет міської ради ухвалив рішення про ремонт даху ліцею. " * 5


class FakeSpider:
    sources = [SOURCE]
    sources_by_id = {SOURCE.id: SOURCE}
    logger = logging.getLogger("test-spider")


def make(pipeline_class, tmp_path=None):
    settings = {"HROMADA_ARCHIVE": str(tmp_path / "a.db")} if tmp_path else {}
    crawler = get_crawler(settings_dict={**settings, "HROMADA_MIN_TEXT_CHARS": 200})
    crawler.spider = FakeSpider()
    pipeline = pipeline_class.from_crawler(crawler)
    if hasattr(pipeline, "open_spider"):
        pipeline.open_spider()
    return pipeline, crawler.stats


def item(**fields):
    base = dict(source_id="rada", url="https://rada.example.gov.ua/news/1/", fetched_at=FETCHED, http_status=200,
                content_type="text/html; charset=utf-8", encoding="utf-8", title="Ремонт даху ліцею", text=TEXT,
                canonical_url="https://rada.example.gov.ua/news/1/", page_type="article", author=None, language="uk",
                date_candidates=[], body=b"<html></html>")
    base.update(fields)
    return ArticleItem(**base)


def test_extract_counts_a_parse_error_and_drops(monkeypatch):
    pipeline, stats = make(ExtractPipeline)

    def broken(*args, **kwargs):
        raise ValueError("lxml gave up")

    monkeypatch.setattr("pipelines.extract.extract_raw", broken)
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(item()))
    assert stats.get_value("hromada/rada/errors/parse") == 1
    assert stats.get_value("hromada/rada/dropped/parse_error") == 1


def test_extract_makes_canonical_url_absolute():
    pipeline, _ = make(ExtractPipeline)
    page = ('<html><head><link rel="canonical" href="/news/1/"></head><body><article><h1>Ремонт даху ліцею</h1>'
            f'<p>{TEXT}</p></article></body></html>').encode()
    result = asyncio.run(pipeline.process_item(item(url="https://rada.example.gov.ua/news/1/?utm_source=fb", body=page)))
    assert result["canonical_url"] == "https://rada.example.gov.ua/news/1/"


def test_dates_are_stored_in_kyiv_time_with_the_days_offset():
    pipeline, _ = make(DatesPipeline)
    winter = pipeline.process_item(item(date_candidates=[DateCandidate("2025-01-23T14:44:00Z", "meta")]))
    summer = pipeline.process_item(item(date_candidates=[DateCandidate("2025-07-23T14:44:00Z", "meta")]))
    assert winter["published_at"] == "2025-01-23T16:44:00+02:00"
    assert summer["published_at"] == "2025-07-23T17:44:00+03:00"
    assert summer["date_source"] == "meta"


def test_undated_article_is_kept_and_counted():
    pipeline, stats = make(DatesPipeline)
    result = pipeline.process_item(item(date_candidates=[DateCandidate("не дата", "visible")]))
    assert result["published_at"] is None
    assert stats.get_value("hromada/rada/undated") == 1


@pytest.mark.parametrize("fields, reason", [
    ({"page_type": "website"}, "not_article"),
    ({"title": None}, "no_title"),
    ({"text": "Коротко."}, "too_short"),
])
def test_validate_drops_with_a_counted_reason(fields, reason):
    pipeline, stats = make(ValidatePipeline)
    with pytest.raises(DropItem):
        pipeline.process_item(item(**fields))
    assert stats.get_value(f"hromada/rada/dropped/{reason}") == 1


def test_validate_keeps_a_real_article():
    pipeline, _ = make(ValidatePipeline)
    assert pipeline.process_item(item())["title"] == "Ремонт даху ліцею"


def test_dedup_same_canonical_url_and_same_content(tmp_path):
    pipeline, stats = make(DedupPipeline, tmp_path)
    pipeline.process_item(item())
    with pytest.raises(DropItem):
        pipeline.process_item(item(url="https://rada.example.gov.ua/news/1/?print=1"))
    with pytest.raises(DropItem):
        pipeline.process_item(item(url="https://rada.example.gov.ua/novyny/1", canonical_url="https://rada.example.gov.ua/novyny/1"))
    assert stats.get_value("hromada/rada/dropped/duplicate_url") == 1
    assert stats.get_value("hromada/rada/dropped/duplicate_content") == 1


def test_archive_counts_new_then_unchanged(tmp_path):
    dedup, _ = make(DedupPipeline, tmp_path)
    archive, stats = make(ArchivePipeline, tmp_path)
    dates, _ = make(DatesPipeline)
    for _ in range(2):
        archive.process_item(dedup.process_item(dates.process_item(item())))
        dedup.urls_seen.clear()
    assert stats.get_value("hromada/rada/new") == 1
    assert stats.get_value("hromada/rada/unchanged") == 1
    assert archive.archive.count_articles() == 1


class CrashingWorkers:
    """Stands in for crawler.crawl.workers.Workers whose worker process dies on every task."""

    async def run_at(self, stage, function, *args, **kwargs):
        raise WorkerCrashed(f"worker process 4242 died running {function.__qualname__} (exit code -11)")


@pytest.mark.parametrize("pipeline_class", [ExtractPipeline, BoilerplatePipeline])
def test_a_page_whose_worker_dies_is_a_counted_parse_error(pipeline_class, tmp_path):
    pipeline, stats = make(pipeline_class, tmp_path)
    pipeline.workers = CrashingWorkers()
    with pytest.raises(DropItem, match="exit code -11"):
        asyncio.run(pipeline.process_item(item()))
    assert stats.get_value("hromada/rada/errors/parse") == 1
    assert stats.get_value("hromada/rada/dropped/parse_error") == 1


def test_boilerplate_learns_the_source_template_during_the_run_and_stores_it(tmp_path):
    from crawler.analysis.template import MIN_PAGES

    pipeline, _ = make(BoilerplatePipeline, tmp_path)
    topics = ["ремонт даху ліцею", "нову амбулаторію", "освітлення вулиці", "шкільний автобус", "сквер біля ради",
              "водогін у селі"]
    texts = [asyncio.run(pipeline.process_item(item(text=f"Гаряча лінія громади 0800\n\nРада обговорила {topic} і "
                                                         f"ухвалила рішення {n} після довгого обговорення з мешканцями.")))["text"]
             for n, topic in enumerate(topics)]
    assert texts[0].startswith("Гаряча лінія") and not texts[-1].startswith("Гаряча лінія")
    pipeline.close_spider()
    assert len(topics) > MIN_PAGES
    again, _ = make(BoilerplatePipeline, tmp_path)  # the next run applies the stored template from its first page
    first = asyncio.run(again.process_item(item(text="Гаряча лінія громади 0800\n\nРада відкрила бібліотеку.")))
    assert first["text"] == "Рада відкрила бібліотеку."
    again.close_spider()


def test_an_article_whose_analysis_worker_died_is_kept_and_counted():
    from pipelines.analyse import AnalysePipeline

    pipeline, stats = make(AnalysePipeline)
    pipeline.workers = CrashingWorkers()
    result = asyncio.run(pipeline.process_item(item()))
    assert result["title"] == "Ремонт даху ліцею" and "places" not in result
    assert stats.get_value("hromada/rada/errors/analyse") == 1
