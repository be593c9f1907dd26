"""Per-source learned templates (crawler/analysis/template.py) on the sample CMS templates."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from crawler.analysis.extract import extract
from crawler.analysis.template import MIN_PAGES, SourceTemplate, TemplateLearner, learn_template
from crawler.crawl.samples import GUARD_SITES_DIR, LAYOUTS, _template_env, load_site_files, must_contain
from tests.conftest import SAMPLE_NOW

SYLLABLES = ("ка", "ро", "ві", "ни", "ла", "шко", "пре", "зу", "ме", "ти", "до", "ра", "ко", "ся", "ню", "ба")


def invented_words(rng: random.Random, count: int) -> str:
    """Ukrainian-looking words no rule file has ever seen."""
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count)).capitalize()


def furnished(articles, rng: random.Random):
    """The articles with the same invented furniture on every page: a line before the text, a block after its first paragraph."""
    banner = invented_words(rng, 5)
    block = [invented_words(rng, 3) for _ in range(3)]
    pages = []
    for article in articles:
        first, _, rest = article.body.partition("\n\n")
        body = "\n\n".join([banner, first, "\n".join("- " + item for item in block), rest])
        pages.append(replace(article, body=body))
    return pages, [banner, *block]


def page_texts(site_id: str, articles, sites_dir=None) -> tuple[list[str], list]:
    configs, _ = load_site_files(SAMPLE_NOW) if sites_dir is None else load_site_files(SAMPLE_NOW, sites_dir)
    config = next(config for config in configs if config.id == site_id)
    layout = LAYOUTS[config.cms](config, "http://127.0.0.1:1", SAMPLE_NOW, _template_env())
    pages = layout.build(articles)
    texts = [extract(pages[layout.article_path(article)].body, layout.article_url(article), now=SAMPLE_NOW).text
             for article in articles]
    return texts, articles


def site_articles(site_id: str, sites_dir=None):
    _, articles = load_site_files(SAMPLE_NOW) if sites_dir is None else load_site_files(SAMPLE_NOW, sites_dir)
    return [article for article in articles if article.source_id == site_id]


SAMPLE_SITES = ("wp-hromada", "joomla-rada", "gromada-gov", "dle-portal", "legacy-rada", "drupal-oblast")


@pytest.mark.parametrize("site_id", SAMPLE_SITES)
def test_learned_template_removes_invented_furniture_and_keeps_every_sentence(site_id):
    rng = random.Random(f"furniture-{site_id}")
    originals = site_articles(site_id)
    articles, furniture = furnished(originals, rng)
    texts, _ = page_texts(site_id, articles)
    assert all(line in text for text in texts for line in furniture), "the furniture must reach the extracted text"
    template = learn_template(texts)
    for text, article in zip(texts, originals):
        cleaned = template.strip(text)
        assert not [line for line in furniture if line in cleaned]
        assert not [sentence for sentence in must_contain(article) if sentence not in cleaned]


def test_guard_source_keeps_its_signature_and_its_reposted_story():
    rng = random.Random("guard")
    originals = site_articles("bucha-rada", GUARD_SITES_DIR)
    articles, furniture = furnished(originals, rng)
    texts, _ = page_texts("bucha-rada", articles, GUARD_SITES_DIR)
    template = learn_template(texts)
    assert template.pages == 5  # ten pages, six of them one story
    for text, article in zip(texts, originals):
        cleaned = template.strip(text)
        assert "Пресслужба Бучанської міської ради" in cleaned
        assert not [sentence for sentence in must_contain(article) if sentence not in cleaned]
        assert not [line for line in furniture if line in cleaned]


def test_a_template_needs_enough_distinct_pages():
    texts = [f"Додати свою новину\n\nНовина {n} про ремонт дороги номер {n * 13} у громаді цього тижня." for n in range(MIN_PAGES - 1)]
    assert learn_template(texts).furniture == frozenset()
    assert "додати свою новину" in learn_template([*texts, "Додати свою новину\n\nІнша новина про школу і дітей громади."]).furniture


def test_learner_grows_the_template_as_pages_arrive_and_ignores_reposts():
    learner = TemplateLearner()
    story = "Додати свою новину\n\nМіська рада ухвалила бюджет громади на наступний рік після довгого обговорення з депутатами."
    for _ in range(MIN_PAGES):
        learner.add(story)
    assert learner.template.furniture == frozenset()
    for n in range(MIN_PAGES - 1):
        learner.add(f"Додати свою новину\n\nНовина {n}: у селі {n * 7} відкрили бібліотеку для дітей і дорослих мешканців.")
    assert learner.template.furniture == {"додати свою новину"}


def test_template_round_trips_through_json():
    template = SourceTemplate(frozenset({"додати свою новину", "гаряча лінія"}), 7)
    assert SourceTemplate.from_json(template.to_json()) == template


def guard_pages():
    """The guard source's pages with invented furniture: (originals, furniture, [(url, html)])."""
    originals = site_articles("bucha-rada", GUARD_SITES_DIR)
    articles, furniture = furnished(originals, random.Random("guard-archive"))
    configs, _ = load_site_files(SAMPLE_NOW, GUARD_SITES_DIR)
    layout = LAYOUTS[configs[0].cms](configs[0], "https://bucha.example.ua", SAMPLE_NOW, _template_env())
    pages = layout.build(articles)
    return originals, furniture, [(layout.article_url(a), pages[layout.article_path(a)].body) for a in articles]


def test_reextract_learns_and_stores_the_source_template(tmp_path):
    from click.testing import CliRunner

    from crawler.archive.store import Archive
    from crawler.cli import main

    originals, furniture, pages = guard_pages()
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.db["sources"].insert({"id": "bucha-rada", "name": "Бучанська міська рада"})
        for url, html in pages:
            fetched = {"fetched_url": url, "fetched_at": SAMPLE_NOW.isoformat(), "body": html, "encoding": "utf-8"}
            archive.save_article({"url": url, "source_id": "bucha-rada", "title": "", "text": "",
                                  "fetched_at": SAMPLE_NOW.isoformat(), "content_hash": "old"}, fetched)
    registry = tmp_path / "sources.toml"
    registry.write_text("")
    result = CliRunner().invoke(main, ["reextract", "--db", str(db), "--registry", str(registry)])
    assert result.exit_code == 0, result.output
    assert "templates learned for 1 sources" in result.output
    with Archive(db) as archive:
        stored = SourceTemplate.from_json(archive.latest_template("bucha-rada"))
        texts = [archive.article_by_url(url)["text"] for url, _ in pages]
    assert {line.lower() for line in furniture} <= stored.furniture
    for text, article in zip(texts, originals):
        assert not [line for line in furniture if line in text]
        assert not [sentence for sentence in must_contain(article) if sentence not in text]
        assert text.endswith("Пресслужба Бучанської міської ради")


def test_the_running_template_is_the_one_learned_from_the_pages_it_holds_at_once():
    """The learner counts lines in and out as pages come and go (max_pages); it must agree with learning afresh."""
    rng = random.Random(7)
    banner, hotline, sometimes = invented_words(rng, 4), invented_words(rng, 3), invented_words(rng, 3)
    learner = TemplateLearner(max_pages=12)
    for page in range(60):
        body = "\n\n".join(invented_words(rng, 25) for _ in range(4))
        furniture = [banner, hotline] if page < 30 else [banner]  # the hotline banner goes half way
        if rng.random() < 0.4:
            furniture.append(sometimes)
        running = learner.add("\n\n".join([furniture[0], body, *furniture[1:]]))
        if len(learner.texts) >= MIN_PAGES:
            assert running == learn_template(learner.texts)
    assert {banner.lower()} <= running.furniture and hotline.lower() not in running.furniture
