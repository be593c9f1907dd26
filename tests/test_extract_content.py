"""The main-content extractor on saved sample pages (tests/files/pages/, written for the tests)."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from crawler.extract import extract, extract_raw
from crawler.extract.domrules import load_dom_rules
from crawler.extract.html import parse_html
from crawler.extract.metadata import guess_language, strip_site_name
from crawler.registry import ExtractionHints

PAGES = Path(__file__).parent / "files" / "pages"
SAMPLES = ["hromada_portal", "council_news", "dom_furniture"]
BOILERPLATE = ["Гаряча лінія", "Додати свою новину", "Фільтри", "Скинути", "Увійти, щоб коментувати",
               "Пароль буде надіслано", "Поділиться новиною", "Share on Facebook", "Коментарі у Facebook",
               "Новини рубріки", "вологість", "Стара версія сайту", "порушенням зору", "Читайте також",
               "Telegram", "Переглядів", "Реклама", "Друк", "Попередня новина", "cookie", "Популярне",
               "Повітряна тривога", "Головна", "суд освіта", "Іван:"]


def _page(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_page_keeps_the_full_article_and_no_boilerplate(name):
    article = extract(_page(name), "https://hromada.example.ua/news/1")
    assert article.text == (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    for phrase in BOILERPLATE:
        assert phrase.lower() not in article.text.lower(), phrase


@pytest.mark.parametrize("name, title", [
    ("hromada_portal", "Робоча зустріч у Департаменті соціальної політики"),
    ("council_news", "Соцзахист - важливий компонент життя громади"),
    ("dom_furniture", "Суд визнав незаконним звільнення вчительки"),
])
def test_title_is_the_headline_without_site_name(name, title):
    assert extract_raw(_page(name)).title == title


def test_title_from_declared_title_when_no_h1():
    html = "<html><head><title>Нова школа відкрилась | Хмільницька міська рада</title></head><body><p>Текст.</p></body></html>"
    assert extract_raw(html).title == "Нова школа відкрилась"


def test_title_skips_an_h1_that_is_the_site_name():
    html = ("<html><head><meta property='og:site_name' content='Вісті Поділля'>"
            "<title>Нова школа відкрилась - Вісті Поділля</title></head><body><h1>Вісті Поділля</h1>"
            "<h1>Нова школа відкрилась</h1><p>Текст.</p></body></html>")
    assert extract_raw(html).title == "Нова школа відкрилась"


def test_title_skips_a_lone_h1_named_like_the_domain():
    html = ("<html><head><title>Нова школа відкрилась | Podilsk News</title></head>"
            "<body><h1>Podilsk News</h1><p>Текст.</p></body></html>")
    assert extract_raw(html, "https://podilsknews.com.ua/1").title == "Нова школа відкрилась"


def test_title_prefers_the_h2_that_is_the_declared_title_over_a_pull_quote_h1():
    html = ("<html><head><title>Громада отримала автобуси | Вісті</title></head><body>"
            "<h2>Громада отримала автобуси</h2><h1>Діти більше не ходять пішки</h1><p>Текст.</p></body></html>")
    assert extract_raw(html).title == "Громада отримала автобуси"


def test_h1_holding_the_declared_headline_with_extras_is_the_headline():
    html = ("<html><head><title>Громада отримала нові автобуси - Вісті</title></head><body>"
            "<h2>Громада отримала нові автобуси</h2><h1>Громада отримала нові автобуси (suspilne.media)</h1>"
            "<p>Текст.</p></body></html>")
    assert extract_raw(html).title == "Громада отримала нові автобуси (suspilne.media)"


def test_declared_title_entities_are_decoded():
    html = ("<html><head><script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
            "\"headline\": \"Ремонт доріг &#171;Київ&#187; &#038; карта\"}</script></head><body><p>Текст.</p></body></html>")
    assert extract_raw(html).title == "Ремонт доріг «Київ» & карта"


@pytest.mark.parametrize("title, site, expected", [
    ("Суд визнав незаконним звільнення - Праворуб", None, "Суд визнав незаконним звільнення"),
    ("Праворуб - Суд визнав незаконним звільнення", "Праворуб", "Суд визнав незаконним звільнення"),
    ("Без назви сайту", None, "Без назви сайту"),
])
def test_strip_site_name(title, site, expected):
    assert strip_site_name(title, site) == expected


def test_strip_site_name_by_the_domain_name():
    assert strip_site_name("Рішення сесії | Khmilnyk Rada", None, frozenset({"khmilnykrada"})) == "Рішення сесії"


def test_metadata_of_a_sample_page():
    raw = extract_raw(_page("hromada_portal"), "https://podilsk.example.ua/news/1")
    assert raw.language == "uk"
    assert raw.canonical_url == "https://podilsk.example.ua/news/robocha-zustrich"
    assert raw.page_type == "article"
    council = extract_raw(_page("council_news"))
    assert council.author == "Управління праці"
    assert council.page_type == "NewsArticle"
    assert extract_raw(_page("dom_furniture")).language == "uk"


def test_dates_are_found_on_the_full_page():
    article = extract(_page("council_news"), "https://hromada.example.ua/news/1")
    assert article.published is not None and article.published.date().isoformat() == "2025-01-23"


@pytest.mark.parametrize("text, language", [
    ("Громада отримала нові шкільні автобуси, які їздитимуть щодня", "uk"),
    ("Общество получило новые школьные автобусы, объявлено сегодня", "ru"),
    ("The community received new school buses this week, officials said", "en"),
    ("", None),
])
def test_guess_language(text, language):
    assert guess_language(text) == language


def test_registry_hints_choose_body_and_title():
    html = ("<html><body><h1>Меню сайту</h1><div class='x-story'><h2 class='x-head'>Справжній заголовок</h2>"
            "<p>Перший абзац новини про ремонт дороги.</p><p>Наш сайт у соцмережах</p></div>"
            "<div class='long'><p>" + "Довгий сторонній текст, який не є новиною. " * 20 + "</p></div></body></html>")
    hints = ExtractionHints(body_css="div.x-story", title_css="h2.x-head", boilerplate=("Наш сайт у соцмережах",))
    raw = extract_raw(html, hints=hints)
    assert raw.title == "Справжній заголовок"
    assert raw.text == "Перший абзац новини про ремонт дороги.\n\nНаш сайт у соцмережах"
    assert extract(html, hints=hints).text == "Перший абзац новини про ремонт дороги."


@pytest.mark.parametrize("html", [b"", b"\x00\xff\xfe garbage \x81", "<html><body></body></html>", "<p>unclosed <div>",
                                  b'<?xml version="1.0" encoding="utf-8"?><html><body><p>xml</p></body></html>'])
def test_broken_pages_give_an_empty_article_not_a_crash(html):
    article = extract(html)
    assert isinstance(article.text, str)


def test_cp1251_page_is_decoded():
    html = "<html><head><meta charset='windows-1251'></head><body><article><p>Громада відремонтувала дорогу до школи, яку чекали десять років.</p></article></body></html>"
    assert "відремонтувала дорогу" in extract(html.encode("cp1251")).text


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b'<?xml version="1.0" encoding="utf-8"?>\n',
                                    b"<meta charset='utf-8'>"])
def test_utf8_bytes_give_the_same_tree_as_the_decoded_text(prefix):
    html = prefix + "<html><body><p>Громада відремонтувала дорогу</p><!-- x --> хвіст</body></html>".encode()
    from_bytes = lxml.html.tostring(parse_html(html), encoding="unicode")
    from_text = lxml.html.tostring(parse_html(html.decode("utf-8")), encoding="unicode")
    assert from_bytes == from_text
    assert "Громада відремонтувала дорогу" in from_bytes


def _article_page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><h1>Ремонт ліцею</h1>{body}</body></html>"


def test_sentence_ending_with_a_link_is_kept_and_link_lists_are_dropped():
    html = _article_page(
        "<article><p>Виконавчий комітет погодив капітальний ремонт ліцею, роботи почнуться навесні.</p>"
        "<p>Текст рішення можна завантажити: <a href='/d/312.pdf'>рішення виконавчого комітету № 312 (PDF)</a>.</p>"
        "<p><a href='/'>Головна</a> | <a href='/news'>Новини</a> | <a href='/rada'>Міська рада</a></p></article>")
    text = extract(html).text
    assert "Текст рішення можна завантажити: рішення виконавчого комітету № 312 (PDF)." in text
    assert "Головна" not in text


def test_class_names_that_merely_contain_a_rule_word_are_not_furniture():
    paragraphs = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари біля школи.</p>" for n in range(4))
    html = _article_page(f"<div class='blogInner'><div class='content-nav-section'>{paragraphs}</div>"
                         "<p class='contextmenu'>Останній абзац новини про ремонт дороги біля школи.</p></div>")
    text = extract(html).text
    assert "Абзац 3" in text and "Останній абзац" in text


def test_wordpress_topic_classes_of_the_post_are_not_furniture():
    post = lxml.html.fromstring("<article class='post-12 type-post hentry tag-social-media category-popular'><p>Текст.</p></article>")
    assert load_dom_rules().furniture_reason(post) is None
    assert load_dom_rules().furniture_reason(lxml.html.fromstring("<div class='tag-list'>Теги</div>")) is not None


def test_posts_listing_beside_the_article_is_furniture():
    paragraphs = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари біля школи.</p>" for n in range(6))
    listing = "".join(f"<article><p>Інша новина {n}: у громаді відкрили новий спортивний майданчик для дітей.</p></article>"
                      for n in range(2))
    html = _article_page(f"<div class='entry'>{paragraphs}</div><div class='side-posts'>{listing}</div>")
    text = extract(html).text
    assert "Абзац 5" in text and "Інша новина" not in text


def test_copyright_block_is_furniture():
    paragraphs = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари біля школи.</p>" for n in range(3))
    html = _article_page(f"<table><tr><td class='newstext'>{paragraphs}</td></tr>"
                         "<tr><td class='bottom'><div class='copyright'>© 2016–2025 Міська рада. Усі права захищено, "
                         "при використанні матеріалів посилання обов'язкове.</div>"
                         "<p>57508, Миколаївська обл., м. Очаків, вул. Миколаївська, 37. Вебмайстер: web@rada.example</p>"
                         "</td></tr></table>")
    assert "Усі права захищено" not in extract(html).text


def test_article_text_rendered_from_scripts_falls_back_to_json_ld_article_body():
    body = "Перший абзац статті про нову амбулаторію в селі.\nДругий абзац: лікарі приймають щодня, " + "запис телефоном. " * 20
    jsonld = json.dumps({"@type": "NewsArticle", "headline": "Ремонт ліцею", "articleBody": body}, ensure_ascii=False)
    html = _article_page("<div id='app'><p>Завантаження…</p></div>", f"<script type='application/ld+json'>{jsonld}</script>")
    text = extract(html).text
    assert text.startswith("Перший абзац статті про нову амбулаторію в селі.\n\nДругий абзац")



def _deeply_wrapped(content: str, depth: int) -> str:
    return "<div class='row'>" * depth + content + "</div>" * depth


def test_article_sections_wrapped_in_deep_page_builder_grids_are_merged():
    sections = "".join(
        _deeply_wrapped("".join(f"<p>Розділ {section}, абзац {n}: громада відремонтувала дорогу, освітлення, тротуари "
                                "і зупинку біля школи, а також висадила дерева вздовж вулиці.</p>" for n in range(3)), 10)
        for section in range(3))
    text = extract(_article_page(f"<article>{sections}</article><footer><a href='/'>Головна</a></footer>")).text
    assert all(f"Розділ {section}, абзац 2" in text for section in range(3))


def test_a_second_copy_of_the_article_is_not_merged_in_as_a_section():
    paragraphs = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення, тротуари і зупинку біля школи.</p>"
                         for n in range(4))
    html = _article_page(f"<div class='page'><div class='column'><div class='entry'>{paragraphs}</div></div>"
                         f"<div class='version-b'><div><div>{paragraphs}</div></div></div></div>")
    assert extract(html).text.count("Абзац 3") == 1


def test_a_listicle_keeps_the_introduction_that_sits_with_the_headline():
    items = "".join(f"<li>Пункт {n}: громада відремонтувала дорогу, освітлення, тротуари, зупинку і сквер біля школи, "
                    "а також висадила дерева вздовж вулиці.</li>" for n in range(8))
    html = ("<html><body><div class='wrap'><h1>Вісім змін у громаді</h1>"
            "<div class='lead'><div>Що змінилося за рік у громаді.</div></div>"
            f"<div><ul>{items}</ul></div></div><footer><a href='/'>Головна</a></footer></body></html>")
    text = extract(html).text
    assert "Що змінилося за рік у громаді." in text and "Пункт 7" in text
