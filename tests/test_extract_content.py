"""The main-content extractor on saved sample pages (tests/files/pages/, written for the tests)."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from crawler.analysis.extract import extract, extract_raw
from crawler.analysis.extract.body import (Page, direct_text, enclosing_article, lede_between, score_candidates,
                                           with_related_siblings)
from crawler.analysis.extract.domrules import load_dom_rules
from crawler.analysis.extract.html import parse_html
from crawler.analysis.extract.metadata import (MetaTags, declared_titles, find_headline_element, guess_language,
                                               jsonld_items, strip_site_name)
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


def _paragraphs(count: int) -> str:
    return "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари біля школи.</p>" for n in range(count))


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
    paragraphs = _paragraphs(4)
    html = _article_page(f"<div class='blogInner'><div class='content-nav-section'>{paragraphs}</div>"
                         "<p class='contextmenu'>Останній абзац новини про ремонт дороги біля школи.</p></div>")
    text = extract(html).text
    assert "Абзац 3" in text and "Останній абзац" in text


def test_the_cms_classes_of_the_post_are_not_furniture():
    post = lxml.html.fromstring("<article class='post-12 type-post hentry tag-social-media category-popular'><p>Текст.</p></article>")
    assert load_dom_rules().furniture_reason(post) is None
    assert load_dom_rules().furniture_reason(lxml.html.fromstring("<div class='tag-list'>Теги</div>")) is not None
    ghost_post = lxml.html.fromstring("<article class='post-full post tag-best-of-hromada'><p>Текст.</p></article>")
    assert load_dom_rules().furniture_reason(ghost_post) is None  # Ghost marks its posts so
    node = lxml.html.fromstring("<article class='node node--type-article node--promoted node--sticky'><p>Т.</p></article>")
    assert load_dom_rules().furniture_reason(node) is None  # Drupal's publishing states: promoted is no promo
    assert load_dom_rules().furniture_reason(lxml.html.fromstring("<div class='promoted-stories'>Р.</div>")) is not None


def test_a_headings_anchor_made_of_its_own_words_is_not_furniture():
    """A table of contents ids each heading with its words: "operating" holds no rating widget, "printed" no print
    link, "social" no share buttons (WCXB dev: h3#step-5-create-an-operating-agreement, h3#3d-printed-coral-reefs,
    h2#h-what-s-next-for-social-shopping)."""
    html = _article_page(f"<article>{_paragraphs(3)}<h3 id='step-5-create-an-operating-agreement'>Step 5: Create an Operating Agreement</h3>"
                         "<h3 id='3d-printed-coral-reefs'>3D-printed coral reefs</h3>"
                         "<h3 id='h-1-the-fatfs-stand-on-social-trading'>The FATF’s stand on social trading</h3>"
                         f"{_paragraphs(2)}</article>")
    text = extract(html).text
    assert "Step 5: Create an Operating Agreement" in text and "3D-printed coral reefs" in text
    assert "The FATF’s stand on social trading" in text  # a theme's "h-" prefix, a number, an apostrophe dropped
    rules = load_dom_rules()
    assert rules.furniture_reason(lxml.html.fromstring("<h3 id='share-this-story'>Новини партнерів</h3>")) is not None
    assert rules.furniture_reason(lxml.html.fromstring("<div id='share-this-story'>Share this story</div>")) is not None


def test_teasers_of_other_posts_in_a_section_under_the_article_are_not_part_of_it():
    teasers = "".join(
        f"<article class='post' id='post-{n}'><div class='meta'>Новини</div><div class='body'><p>Тизер {n}: у "
        "сусідній громаді відкрили центр надання адміністративних послуг, прийом ведуть щодня, крім неділі, "
        "а консультації юристів безоплатні для переселенців і ветеранів.</p></div></article>" for n in range(2, 6))
    html = ("<html><body><div class='content'>"
            f"<section class='widget posts'><div><article class='post' id='post-1'><h1>Ремонт ліцею</h1>"
            f"<div class='body'>{_paragraphs(3)}</div></article></div></section>"
            f"<section class='widget posts'><div>{teasers}</div></section></div></body></html>")
    text = extract(html).text
    assert "Абзац 2" in text and "Тизер" not in text


def _teaser_cards(count: int) -> str:
    return "".join(
        f"<div class='slide'><div class='card'><h3 class='card-title'><a href='/news/{n}'>Новина {n} рубріки</a></h3>"
        f"<div class='card-excerpt'>Картка {n}: у громаді відкрили пункт незламності, він працює цілодобово, "
        "там є генератор, інтернет, тепло, вода і зарядні станції, а чергові волонтери допоможуть літнім людям, "
        "родинам з дітьми та переселенцям, якщо світла не буде довше, ніж зазвичай.</div></div></div>"
        for n in range(count))


def test_a_listing_of_teaser_cards_under_the_article_is_not_part_of_it():
    html = ("<html><body><main><section class='article'><h1>Ремонт ліцею</h1>"
            f"<div class='article-content'>{_paragraphs(5)}</div></section>"
            f"<section class='carousel'><div class='wrapper'><div class='track'>{_teaser_cards(5)}</div></div>"
            "</section></main></body></html>")
    text = extract(html).text
    assert "Абзац 3" in text and "Картка" not in text


def test_teaser_cards_that_outweigh_the_best_block_are_the_page_itself():
    html = ("<html><body><main><section class='intro'><h1>Курси громади</h1>"
            "<div class='intro-text'><p>Оберіть курс: навчання безоплатне для всіх мешканців громади.</p></div>"
            f"</section><section class='courses'><div class='track'>{_teaser_cards(8)}</div></section>"
            "</main></body></html>")
    text = extract(html).text
    assert "Картка 0" in text and "Картка 7" in text


def test_a_code_block_keeps_its_highlighted_comments():
    code = ("<pre><code class='hljs bash'><span class='hljs-comment'># перелік змін у сховищі</span>\n"
            "git status\n<span class='hljs-comment'># зберегти зміни</span>\ngit commit -am 'зміни'</code></pre>")
    html = _article_page(f"<div class='entry'>{_paragraphs(3)}{code}<div class='comments'>Коментарі читачів</div></div>")
    text = extract(html).text
    assert "# перелік змін у сховищі" in text and "# зберегти зміни" in text and "git status" in text
    assert "Коментарі читачів" not in text


def test_posts_listing_beside_the_article_is_furniture():
    paragraphs = _paragraphs(6)
    listing = "".join(f"<article><p>Інша новина {n}: у громаді відкрили новий спортивний майданчик для дітей.</p></article>"
                      for n in range(2))
    html = _article_page(f"<div class='entry'>{paragraphs}</div><div class='side-posts'>{listing}</div>")
    text = extract(html).text
    assert "Абзац 5" in text and "Інша новина" not in text


def test_copyright_block_is_furniture():
    paragraphs = _paragraphs(3)
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


def test_markup_after_an_early_end_of_document_is_kept():
    paragraphs = _paragraphs(3)
    html = f"<html><body><header><a href='/'>Головна</a></header></body></html>\n<article>{paragraphs}</article>"
    assert "Абзац 2" in extract(html.encode()).text
    assert "Абзац 2" in extract(html).text


def test_style_sheets_inside_page_builder_wrappers_do_not_outscore_the_article():
    rules = ".block-1 { margin: 0, 0, 0, 0; padding: 1px, 2px, 3px, 4px; color: #212529, #fff, #000; } " * 40
    paragraphs = _paragraphs(4)
    html = _article_page(f"<div class='builder'><style>{rules}</style><span>Меню розділу</span></div>"
                         f"<div class='column'>{paragraphs}</div>")
    text = extract(html).text
    assert "Абзац 3" in text and "Меню розділу" not in text


def test_a_long_page_footer_does_not_outscore_a_short_article():
    article = "".join(f"<p>Абзац {n}: громада відкрила новий спортивний майданчик біля ліцею, гроші на нього "
                      "виділив бюджет участі.</p>" for n in range(4))
    about = "".join(f"<p>Про раду {n}: міська рада, виконавчий комітет, старостати, депутати, комісії, "
                    "архів рішень, звернення громадян, контакти, графік прийому.</p>" for n in range(6))
    html = _article_page(f"<main>{_deeply_wrapped(f'<div class=post>{article}</div>', 8)}</main>"
                         f"<footer><div><div>{about}</div></div></footer>")
    text = extract(html).text
    assert "Абзац 3" in text and "Про раду" not in text


def test_a_list_far_below_the_headline_keeps_the_sections_around_it():
    sections = "".join(_deeply_wrapped(f"<h2>Розділ {n}</h2><p>Розділ {n}: громада відремонтувала дорогу.</p>", 6)
                       for n in range(4))
    references = "".join(f"<li>Джерело {n}: Іваненко І., Петренко П., Сидоренко С. Звіт громади, 2024, т. 3, с. {n}.</li>"
                         for n in range(10))
    html = ("<html><body><main><div><h1>Що змінилося в громаді</h1></div>"
            f"<div><div>{sections}{_deeply_wrapped(f'<ul>{references}</ul>', 6)}</div></div></main>"
            "<footer><a href='/'>Головна</a></footer></body></html>")
    text = extract(html).text
    assert "Розділ 0: громада" in text and "Джерело 9" in text


def test_a_table_in_a_figure_is_content_and_a_picture_caption_is_not():
    paragraphs = _paragraphs(3)
    table = ("<figure class='wp-block-table'><table><tr><th>Вулиця</th><th>Кошторис, грн</th></tr>"
             "<tr><td>Шкільна</td><td>1 250 000</td></tr></table></figure>")
    picture = "<figure><img src='/a.jpg'><figcaption>Фото: пресслужба ради</figcaption></figure>"
    text = extract(_article_page(f"<article>{paragraphs}{table}{picture}</article>")).text
    assert "Шкільна" in text and "1 250 000" in text
    assert "пресслужба" not in text


def test_parts_streamed_by_react_are_content_and_other_hidden_blocks_are_not():
    parts = "".join(f"<div hidden id='S:{n}'><p>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари "
                    "біля школи.</p></div>" for n in range(4))
    html = _article_page(f"<article>{parts}<div hidden><p>Форма підписки на розсилку новин громади, "
                         "введіть вашу електронну адресу.</p></div></article>")
    text = extract(html).text
    assert "Абзац 3" in text and "Форма підписки" not in text


def test_a_table_row_of_short_cells_reads_as_one_line():
    paragraphs = _paragraphs(3)
    table = ("<table><tr><th>Дата</th><th>Зміна ціни</th></tr><tr><td>1/1/2013</td><td>+13.1%</td></tr>"
             "<tr><td><a href='/s/1'>Шкільна вулиця</a></td><td>1 250 000</td></tr>"
             "<tr><td><a href='/news/2'>Інша новина</a></td><td><a href='/news/3'>Ще новина</a></td></tr></table>")
    text = extract(_article_page(f"<article>{paragraphs}{table}</article>")).text
    assert "1/1/2013 +13.1%" in text.splitlines()  # a lone date line would be taken for a dateline
    assert "Шкільна вулиця 1 250 000" in text.splitlines()
    assert "Інша новина" not in text


def test_collapsed_accordion_answers_are_content_and_other_hidden_blocks_are_not():
    paragraphs = _paragraphs(3)
    accordion = ("<h2><button aria-controls='answer-1' aria-expanded='false'>Коли завершать ремонт?</button></h2>"
                 "<div id='answer-1' style='display:none'><p>Підрядник обіцяє завершити роботи до кінця травня.</p></div>")
    popup = "<div id='popup' style='display:none'><p>Підпишіться на розсилку новин громади щотижня.</p></div>"
    text = extract(_article_page(f"<article>{paragraphs}{accordion}{popup}</article>")).text
    assert "до кінця травня" in text and "Підпишіться" not in text


def test_a_copy_of_the_article_in_a_never_shown_webflow_block_is_not_read_twice():
    # Webflow publishes a block whose CMS condition failed with w-condition-invisible (display: none); sites keep a
    # whole gated copy of the post there, so it holds as much text as the article and no size guard spares it
    paragraphs = _paragraphs(4)
    html = _article_page(f"<div class='layout__normal'><div class='w-richtext'>{paragraphs}</div></div>"
                         f"<div class='layout__gated w-condition-invisible'><div class='w-richtext'>{paragraphs}"
                         "<p>Щоб читати далі, залиште свою електронну адресу.</p></div></div>")
    text = extract(html).text
    assert text.count("Абзац 3") == 1 and "залиште свою електронну адресу" not in text


def test_a_lede_in_the_block_the_headline_opens_is_kept():
    page = ("<html><body><div id='intro'><h1>Бюджет ухвалено</h1><p>Сесія міської ради ухвалила бюджет громади на "
            "наступний рік одноголосно.</p></div><div class='share'><a href='/s'>Поділитися</a></div>"
            f"<div id='content'>{_paragraphs(6)}</div></body></html>")
    text = extract(page).text
    assert text.startswith("Сесія міської ради ухвалила бюджет") and "Абзац 5" in text
    assert "Бюджет ухвалено" not in text and "Поділитися" not in text


def _page_of(html: str) -> Page:
    tree = parse_html(html)
    headline = find_headline_element(tree, declared_titles(tree, MetaTags(tree), [], None))
    return Page(root=tree.find("body"), rules=load_dom_rules(), headline=headline)


def test_of_two_ledes_before_the_body_the_one_with_more_text_is_kept():
    page = _page_of("<html><body><header><h1>Бюджет ухвалено</h1><div class='author-intro'>Олена Коваль, відділ "
                    "комунікацій міської ради</div><div class='post-intro'><p>Сесія міської ради ухвалила бюджет "
                    "громади на наступний рік одноголосно, а депутати погодили програму ремонту доріг.</p></div>"
                    f"</header><div class='text'>{_paragraphs(6)}</div></body></html>")
    body = page.root.find(".//div[@class='text']")
    assert [lede.get("class") for lede in lede_between(page, page.headline, body)] == ["post-intro"]


def test_a_sibling_with_the_same_id_as_the_body_is_another_part_of_it():
    # a theme prints the intro in its own div#wtr-content before the one that holds the rest of the post
    intro = "<p>Вступ: громада ухвалила програму ремонту доріг на три роки, перші роботи почнуться навесні.</p>"
    page = _page_of(f"<html><body><h1>Ремонт доріг</h1><div class='body'><div id='wtr-content'>{intro}</div>"
                    f"<div id='wtr-content'>{_paragraphs(60)}</div><div id='other'>{intro}</div></div></body></html>")
    scores = score_candidates(page)
    intro_part, best, other = page.root.find(".//div[@class='body']")
    assert with_related_siblings(page, best, scores) == [intro_part, best]


def test_an_faq_beside_the_body_in_a_field_of_its_own_is_part_of_the_article():
    # Drupal renders further sections (paragraphs) in their own field beside field--name-body; the answers sit in
    # accordion divs too deep to score that field
    answers = "".join(f"<div class='accordion-item'><h3>Питання {n}: коли завершать ремонт?</h3><div class='body'>"
                      f"<div class='answer'><p>Відповідь {n}: підрядник обіцяє завершити роботи до кінця травня.</p>"
                      "</div></div></div>" for n in range(4))
    html = _article_page(f"<div class='blog-body'><div class='field field--name-body'>{_paragraphs(30)}</div>"
                         "<div class='field field--name-field-additional-sections'><div class='row'>"
                         f"<div class='faq-container'>{answers}</div></div></div>"
                         "<div class='more'><a href='/1'>Інша новина громади</a> <a href='/2'>Ще одна новина</a></div>"
                         "</div>")
    text = extract(html).text
    assert "Абзац 29" in text and "Відповідь 3" in text and "Інша новина" not in text


def test_paragraphs_a_paywall_script_marks_are_text_and_the_paywall_box_is_not():
    paragraphs = "".join(f"<p class='paywall'>Абзац {n}: громада відремонтувала дорогу, освітлення і тротуари біля "
                         "школи.</p>" for n in range(6))
    box = "<div class='paywall'><p>Вже маєте передплату? Увійдіть, щоб читати далі.</p></div>"
    container = f"<div class='entry__content steady-paywall-container'>{_paragraphs(3)}</div>"
    text = extract(_article_page(f"<article>{_paragraphs(2)}{paragraphs}{box}</article>")).text
    assert "Абзац 5" in text and "Вже маєте передплату" not in text
    comments = "".join(f"<p>Коментар {n}: дякуємо громаді за новий тротуар біля школи, нарешті можна ходити.</p>"
                       for n in range(12))
    text = extract(_article_page(f"{container}<div class='comments'>{comments}</div>")).text
    assert "Абзац 2" in text


def test_a_page_that_scripts_render_is_read_from_its_noscript_text():
    page = (f"<html><body><div id='app'></div><noscript><article><h1>Ремонт ліцею</h1>{_paragraphs(8)}</article>"
            "</noscript><noscript><img src='/pixel.gif'></noscript></body></html>")
    assert "Абзац 7" in extract(page).text
    shown = f"<html><body><article>{_paragraphs(8)}</article><noscript><p>Увімкніть JavaScript.</p></noscript></body></html>"
    assert "JavaScript" not in extract(shown).text


def test_a_table_without_prose_that_outscores_the_text_around_it_does_not_replace_it():
    # an open letter and its table of signatories: the names' commas outscore the letter's paragraphs
    letter = "".join(f"<p>Лист {n}: ми, мешканці громади, просимо раду відремонтувати дорогу до школи цього року.</p>"
                     for n in range(10))
    names = ", ".join(f"О. Коваль {n}" for n in range(60))
    page = _page_of(f"<html><body><div class='letter'>{letter}<table><tr><td>{names}</td></tr></table></div>"
                    f"<div class='bio'><div><p>{names}</p></div></div></body></html>")
    row, table, letter_block = page.root.find(".//tr"), page.root.find(".//table"), page.root.find("./div")
    scores = {row: 200.0, table: 100.0, letter_block: 90.0, page.root: 30.0}
    assert enclosing_article(page, row, row, scores, []) is letter_block
    bio_text = page.root.find("./div[@class='bio']/div")
    assert enclosing_article(page, bio_text, bio_text, {bio_text: 200.0, bio_text.getparent(): 90.0}, []) is bio_text


def test_a_post_written_in_lines_broken_by_br_is_spared_inside_a_widget_class():
    # Blogger puts the posts in div.widget.Blog and many posts have no <p>: the text's lines are broken by <br>
    lines = "<br>".join(f"Рядок {n}: громада відремонтувала дорогу, освітлення і тротуари біля школи." for n in range(8))
    html = ("<html><body><div class='header'><h1>Блог громади</h1><p class='description'>Новини нашого села від "
            "мешканців, для мешканців.</p></div><div class='main'><div class='widget Blog' id='Blog1'>"
            "<div class='post hentry'><h3 class='post-title'>Ремонт дороги</h3>"
            f"<div class='post-body entry-content'>{lines}</div></div></div></div></body></html>")
    text = extract(html).text
    assert "Рядок 0" in text and "Рядок 7" in text and "Новини нашого села" not in text


@pytest.mark.parametrize("class_value, reason", [
    ("l-content-wrapper hide-for-print", None),  # print-visibility helpers mark what the screen shows
    ("no-print", None), ("noprint", None), ("d-print-none", None), ("hidden-print", None),
    ("frame frame-background-none", None),  # a TYPO3 text frame: the class only ends in "d-none"
    ("print-link", "strong"), ("d-none", "strong"),
])
def test_print_helpers_and_words_ending_in_d_none_are_not_furniture(class_value, reason):
    assert load_dom_rules().token_reason(class_value, None) == reason


def test_the_page_form_of_an_asp_net_site_is_not_read_as_inline_text_of_its_wrapper():
    # ASP.NET wraps the whole page in one <form>: its scripts and listings are not the wrapper's own prose
    script = "<script>if (theForm == null || theForm == undefined) { a, b, c, d, e, f, g, h, i, j, k, l }</script>"
    commas = ", ".join(f"пункт {n}" for n in range(80))
    html = (f"<html><body><div id='wrapper'><form id='aspnetForm'>{script}<div class='menu-list'>{commas}</div>"
            f"<h1>Ремонт ліцею</h1><div class='article-text'>{_paragraphs(6)}</div></form></div></body></html>")
    page = _page_of(html)
    wrapper = page.root.find("./div")
    assert direct_text(wrapper, page.furniture) == ""
    assert "Абзац 5" in extract(html).text


def test_cards_that_are_one_link_each_are_teasers_even_with_the_heading_inside_the_link():
    cards = "".join(f"<div class='material'><a href='/n/{n}'><img src='/i/{n}.jpg'><div class='text'><h3>Аналітика</h3>"
                    f"<p class='intro'><span class='date'>2{n} вересня 2021</span>Підсумки туру {n}: лідер, аутсайдер, "
                    "сюрпризи, голи, помилки суддів і нові рекорди</p></div></a></div>" for n in range(5))
    html = _article_page(f"<div class='col-top'><div class='article-text'>{_paragraphs(12)}</div>"
                         f"<div class='author-materials'><div class='slider'>{cards}</div></div></div>")
    text = extract(html).text
    assert "Абзац 11" in text and "Підсумки туру" not in text


def test_article_tiles_that_are_one_link_each_are_not_part_of_the_article_they_sit_in():
    tiles = "".join(f"<article class='article-tile'><a href='/n/{n}'><img src='/i/{n}.jpg'><span class='h3'><span>"
                    f"Інша новина {n}: у громаді відкрили новий сквер і бібліотеку</span></span></a></article>"
                    for n in range(4))
    html = _article_page(f"<section id='content'><div id='news'>{_paragraphs(6)}</div>{tiles}</section>")
    text = extract(html).text
    assert "Абзац 5" in text and "Інша новина" not in text
    page = _page_of(html)
    assert all(tile in page.furniture for tile in page.root.iter("article"))
    linked_card = _page_of(_article_page(f"<div class='grid'>{tiles.replace('article', 'div')}</div>"))
    assert not any(card in linked_card.furniture for card in linked_card.root.iter("div"))  # a landing page's cards


def test_text_inside_a_link_scores_nothing_and_a_span_of_inline_text_gets_no_bonus_for_its_class():
    teaser = ("<div class='teaser'><a href='/video/1'><p>Відео: сесія ради, бюджет, дороги, школи, лікарня, укриття, "
              "парк, бібліотека, вокзал і стадіон</p><span class='avLinkBody'><span>https://rada.example.gov.ua/video/"
              "sesiya-rady-biudzhet-dorohy-shkoly-likarnia-ukryttia-park-biblioteka-vokzal-stadion.html</span></span>"
              "</a></div>")
    page = _page_of(_article_page(f"{teaser}<div class='box'>{_paragraphs(3)}</div>"))
    scores = score_candidates(page)
    assert max(scores, key=scores.get).get("class") == "box"
    assert not any(element.get("class") in ("teaser", "avLinkBody") for element in scores)
    builder = _page_of(_article_page(f"<span class='hs_cos_wrapper_type_rich_text'>{_paragraphs(3)}</span>"))
    assert max(score_candidates(builder), key=score_candidates(builder).get).tag == "span"


def _article_and_other_block(article_class: str, other_class: str = "column") -> str:
    article = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення, тротуари і зупинку біля школи.</p>"
                      for n in range(6))
    other = "".join(f"<p>Інша новина {n}: у громаді відкрили новий спортивний майданчик, бібліотеку, укриття і сквер.</p>"
                    for n in range(4))
    return _article_page(_deeply_wrapped(f"<div class='{article_class}'>{article}</div>", 9)
                         + _deeply_wrapped(f"<div class='{other_class}'>{other}</div>", 9))


def test_a_page_builder_widget_holding_the_article_is_not_taken_for_a_sidebar_widget():
    text = extract(_article_and_other_block("builder-widget-container")).text
    assert "Абзац 5" in text and "Інша новина" not in text
    text = extract(_article_and_other_block("widget")).text
    assert "Абзац 5" not in text


def test_excerpts_of_other_posts_do_not_outscore_the_article():
    paragraphs = "".join(f"<p>Абзац {n}: громада відремонтувала дорогу, освітлення, тротуари і зупинку біля школи.</p>"
                         for n in range(6))
    excerpts = "".join(f"<div class='post-excerpt'><p>Інша новина {n}: у громаді відкрили новий спортивний майданчик, "
                       "бібліотеку, укриття і сквер для дітей та дорослих.</p></div>" for n in range(3))
    html = _article_page(f"<div class='layout'><div class='text'>{paragraphs}</div></div>"
                         f"<div class='listing'><div><div><div>{excerpts}</div></div></div></div>")
    text = extract(html).text
    assert "Абзац 5" in text and "Інша новина" not in text


def test_a_headline_repeated_in_a_hidden_republish_dialog_is_not_the_headline():
    # the republication tracker plugin of nonprofit newsrooms keeps a hidden copy of the story in the sidebar;
    # taken for the headline, its h1 would spare that copy and the sidebar around it
    paragraphs = _paragraphs(6)
    copy = "".join(f"<p>Умови передруку {n}: зазначайте автора і посилання на першоджерело.</p>" for n in range(3))
    html = ("<html><head><title>Ремонт ліцею</title></head><body><h2 class='headline'>Ремонт ліцею</h2>"
            f"<article><div class='entry'>{paragraphs}</div><div class='sidebar'><div class='follow-us widget'>"
            f"<div id='republication-modal' style='display:none'><h1>Ремонт ліцею</h1>{copy}</div></div></div>"
            "</article></body></html>")
    tree = parse_html(html)
    metas, items = MetaTags(tree), jsonld_items(tree)
    headline = find_headline_element(tree, declared_titles(tree, metas, items, None))
    assert headline is not None and headline.get("class") == "headline"
    article = extract(html)
    assert "Абзац 5" in article.text and "Умови передруку" not in article.text
    assert article.title == "Ремонт ліцею"


def test_call_to_action_boxes_are_furniture():
    paragraphs = _paragraphs(4)
    html = _article_page(f"<article>{paragraphs}<div class='article-cta-box'><p>Сподобався матеріал? Підтримайте "
                         "редакцію щомісячним внеском, щоб ми писали далі.</p></div>"
                         "<div class='post-cta-wrapper'><p>Спробуйте наш сервіс безкоштовно 14 днів.</p></div></article>")
    text = extract(html).text
    assert "Абзац 3" in text and "Сподобався матеріал" not in text and "Спробуйте" not in text


def test_author_bio_boxes_are_furniture_whatever_their_class_spelling():
    paragraphs = _paragraphs(4)
    bios = ("<div class='hero-author--bio'><p>Олена Коваль — журналістка, понад десять років пише про місцеве "
            "самоврядування.</p></div><div class='c-author-section__bio'><p>Іван Петренко — фотограф редакції, "
            "знімає події громади з 2015 року.</p></div>")
    text = extract(_article_page(f"<article>{paragraphs}{bios}</article>")).text
    assert "Абзац 3" in text and "журналістка" not in text and "фотограф" not in text
    hcard = ("<section class='vcard author about_tab'><div class='name'>Олена Коваль</div><div class='note'>Олена "
             "пише про громаду з 2014 року, веде рубрику про ветеранів.</div></section>")
    text = extract(_article_page(f"<article>{paragraphs}{hcard}</article>")).text
    assert "Абзац 3" in text and "веде рубрику" not in text


def test_paywall_boxes_inside_the_article_are_furniture():
    paragraphs = _paragraphs(4)
    boxes = ("<div class='restricted-content-breaker'><h3>Ексклюзив для передплатників</h3><p>Відкрийте статтю та "
             "аналітику: щомісяця 99 грн.</p></div><div class='paywall'><p>Вже передплатили? Увійдіть.</p></div>")
    text = extract(_article_page(f"<article>{paragraphs}{boxes}</article>")).text
    assert "Абзац 3" in text and "щомісяця" not in text and "Вже передплатили" not in text


def test_product_boxes_that_each_outscore_the_article_stay_inside_it():
    # a review's product boxes: short, comma-rich descriptions each score above the article's own paragraphs
    intro = ("<p>Вступ: цього року громада обрала нові світильники для вулиць та скверів біля школи і ліцею, а старі лампи "
             "передали комунальному підприємству для ремонту та встановлення у дворах багатоквартирних будинків на "
             "околицях міста.</p>") * 2
    features = ("<p>Переваги {box}: яскравий, економний, надійний, тихий, легкий, недорогий, з датчиком, з таймером, "
                "з гарантією, з доставкою, з пультом.</p>") * 4
    boxes = "".join(f"<div class='product-box'><h3>Світильник {box}</h3><div class='product-description'>"
                    f"{features.format(box=box)}</div></div>" for box in range(3))
    html = _article_page(f"<div class='post'><div class='entry-content'>{intro}<div class='product-grid'>"
                         f"<div class='product-row'>{boxes}</div></div></div></div>")
    text = extract(html).text
    assert "Вступ" in text and "Світильник 2" in text


def test_the_lede_between_the_headline_and_the_body_is_kept_once():
    lede = "<div class='news-lead'>Сесія міської ради ухвалила бюджет громади на наступний рік одноголосно.</div>"
    page = ("<html><body><header class='top'><h1 class='header__title'>Бюджет ухвалено</h1>{lede}</header>"
            "<div class='layout'><div class='sidebar-promo'><a href='/a'>Афіша</a></div><div class='text'>{body}</div></div>"
            "</body></html>")
    text = extract(page.format(lede=lede, body=_paragraphs(4))).text
    assert text.startswith("Сесія міської ради ухвалила бюджет") and "Абзац 3" in text
    repeated = extract(page.format(lede=lede, body="<p>Сесія міської ради ухвалила бюджет громади на наступний рік "
                                               "одноголосно.</p>" + _paragraphs(4))).text
    assert repeated.count("Сесія міської ради") == 1
