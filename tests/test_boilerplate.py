"""Every line rule in data/boilerplate.toml, tested on a saved sample page that keeps the phrase without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.analysis.extract import extract_raw
from crawler.analysis.extract.boilerplate import (RuleError, load_rules, matching_rule, normalize_line, parse_rules,
                                        strip_boilerplate)

PAGES = Path(__file__).parent / "files" / "pages"
SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

# rule name -> (sample page, a line of that page the rule must remove)
RULE_SAMPLES = {
    "hotline-banner": ("hromada_portal.html", "9-20 Гаряча лінія Олександра Поворознюка 068 802 3551"),
    "add-your-news": ("hromada_portal.html", "Додати свою новину Відкрити/Закрити ФільтриСкинути"),
    "filters": ("hromada_portal.html", "Додати свою новину Відкрити/Закрити ФільтриСкинути"),
    "login-to-comment": ("hromada_portal.html", "Увійти, щоб коментувати"),
    "password-by-email": ("hromada_portal.html", "Пароль буде надіслано вам на email."),
    "close-button": ("hromada_portal.html", "x"),
    "widget-labels": ("hromada_portal.html", "Помічник"),
    "site-search": ("council_news.html", "Пошук по сайту"),
    "old-site-version": ("council_news.html", "Стара версія сайту"),
    "accessibility-version": ("council_news.html", "Версія для людей з порушенням зору"),
    "weather-widget": ("council_news.html", "вологість: тиск: вітер:"),
    "advertisement": ("council_news.html", "Реклама"),
    "view-counter": ("council_news.html", "Переглядів: 103"),
    "share-widget": ("council_news.html", "Pin on Pinterest"),
    "read-also": ("council_news.html", "Читайте також: Як у громаді допомагають переселенцям"),
    "subscribe-telegram": ("council_news.html", "Підписуйтесь на наш Telegram-канал, щоб першими дізнаватися новини громади"),
    "back-to-section": ("council_news.html", "Назад до розділу"),
    "facebook-comments": ("council_news.html", "Коментарі у Facebook"),
    "rubric-news": ("council_news.html", "Як волинські сапери очищують деокуповані території"),
    "author-box": ("article_extras.html", "Про автора"),
    "account-links": ("article_extras.html", "Увійти"),
    "newsletter-call": ("article_extras.html", "Підписатися"),
    "affiliate-disclosure": ("article_extras.html", "As an Amazon Associate we earn from qualifying purchases."),
    "copyright": ("article_extras.html", "© 2025 Вісті Поділля. Усі права захищені."),
    "related-heading": ("article_extras.html", "Як громада ремонтує тротуари"),
    "reading-time": ("article_meta.html", "Редакція | 5 min read"),
    "dateline": ("article_meta.html", "Опубліковано 17 березня 2025 р. 17:11"),
    "byline": ("article_meta.html", "Written by Cassidy Horton"),
    "pagination-label": ("article_meta.html", "Page 1 of 8"),
    "loading-placeholder": ("article_meta.html", "Loading paragraph..."),
    "pin-for-later": ("article_meta.html", "Pin this for later!"),
    "members-only": ("article_meta.html", "Цей матеріал доступний лише передплатникам."),
    "more-reading-prompt": ("article_meta.html", "Ready for more?"),
    "sponsorship": ("article_meta.html", "У партнерстві з Фондом розвитку громад"),
    "shop-call": ("article_meta.html", "View on Amazon"),
    "contact-call": ("article_meta.html", "Замовити консультацію"),
    "site-labels": ("article_meta.html", "Теги"),
    "account-prompt": ("article_calls.html", "Вже маєте акаунт? Увійти"),
    "subscribe-to-site": ("article_calls.html", "Підпишіться на Вісті Поділля"),
    "referral-call": ("article_calls.html", "Сподобалася стаття? Поділіться з друзями!"),
    "newsroom-credit": ("article_calls.html", "This story was written by Olena Koval and produced by Visti Podillia, a "
                                              "nonprofit newsroom of the hromada. Sign up for our weekly newsletters."),
    "portal-header": ("ua_portal_lines.html", "Логотип Diia Герб України"),
    "language-switch": ("ua_portal_lines.html", "UA / RU"),
    "side-blocks": ("ua_portal_lines.html", "Онлайн всього: 1"),
    "print-version": ("ua_portal_lines.html", "Версія для друку"),
    "taxonomy-labels": ("ua_portal_lines.html", "Категорія: Події"),
    "link-copied": ("ua_portal_lines.html", "Посилання скопійовано"),
    "cookie-notice": ("ua_portal_lines.html", "Наш веб-сайт использует файлы cookie, чтобы предоставить вам возможность "
                                              "просматривать релевантную информацию."),
    "donate-call": ("ua_portal_lines.html", "Підтримати редакцію"),
    "read-more-link": ("ua_portal_lines.html", "Читати далі"),
    "comment-counter": ("ua_portal_lines.html", "2 коментаря"),
    "prev-next": ("ua_portal_lines.html", "Наступна новина"),
    "to-top": ("ua_portal_lines.html", "Нагору"),
    "comment-form": ("ua_portal_lines.html", "Залишити відповідь"),
    "more-news-heading": ("ua_portal_lines.html", "Як громада ремонтує тротуари"),
}


def _raw_text(page: str) -> str:
    return extract_raw((PAGES / page).read_bytes(), "https://hromada.example.ua/news/1").text


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_every_rule_has_a_sample():
    assert {rule.name for rule in load_rules()} == set(RULE_SAMPLES)


@pytest.mark.parametrize("rule_name", sorted(RULE_SAMPLES))
def test_rule_removes_its_sample_line_and_only_it_does(rule_name):
    page, line = RULE_SAMPLES[rule_name]
    raw = _raw_text(page)
    assert line in _lines(raw)
    assert line not in _lines(strip_boilerplate(raw))
    others = tuple(rule for rule in load_rules() if rule.name != rule_name)
    if rule_name in ("add-your-news", "filters"):  # the two rules clear that line only together
        return
    assert line in _lines(strip_boilerplate(raw, rules=others))


@pytest.mark.parametrize("sentence", [
    "Записатися на консультацію можна за телефоном гарячої лінії центру 068 802 3551 щодня з 9:00 до 18:00.",
    "Мешканці, які хочуть коментувати роботу служб, можуть залишити відгук у центрі.",
    "Гаряча лінія працюватиме цілодобово, повідомили в управлінні, номер 0800 500 111 безкоштовний для всіх абонентів.",
    "Жителі громади можуть увійти, щоб коментувати рішення сесії, на офіційному порталі.",
    "Читайте уважно інструкцію перед застосуванням препарату, наголошують медики.",
    "Copyright law changes worry local publishers",
    "Схожі статті закону обговорили на сесії ради.",
    "Підписатися на петицію можна до кінця місяця.",
    "Сесія ради 17 березня 2025 р. ухвалила бюджет.",
    "Written by hand, the letter reached the council in a week.",
    "Loading of the trucks starts at 9:00.",
    "Мешканці, які не хочуть пропустити жодної новини, можуть підписатися на розсилку в центрі.",
    "Ready for more snow, the road service has prepared 40 tonnes of salt.",
    "Buy now, pay later schemes worry consumer advocates in the region.",
    "This story is the first of three about the new hospital.",
    "Home care workers in the hromada got a pay rise.",
    "Get a quote from three contractors before the council votes on the school roof.",
    "Замовити консультацію юриста можна в центрі надання адмінпослуг щовівторка.",
    "Вже маєте акаунт у Дії? Увійти до застосунку можна через BankID, пояснили в ЦНАП.",
    "Підпишіться на петицію щодо ремонту дороги до кінця місяця, закликають активісти.",
    "Чи була ця стаття корисною для депутатів, вирішуватиме редакційна рада.",
    "Поділіться своєю історією з комісією, закликали переселенців у громаді.",
    "Поділіться з друзями теплим одягом, просять волонтери пункту незламності.",
    "Наші партнери з Польщі передали громаді дві пожежні машини.",
    "Кухарі спробували цей рецепт ще у вересні.",
    "June 17, 2025 by",
    "Follow the plant spacing rules on the back of seed packs.",
    "Join the protest organised on Facebook by residents, activists urged.",
    "You might also like the new park, the mayor told residents.",
    "Get more news from the council by coming to its open sessions.",
    "Tell your friends about the new bus route, the council urged residents.",
    "Sign up for our newsletter industry conference opened in Lviv.",
    "This story was written by a pupil and produced by the school's radio club, the head teacher said.",
    "Catch up on sleep, doctors advise, and follow the council's heat alerts.",
])
def test_real_sentences_are_kept(sentence):
    assert strip_boilerplate(sentence) == sentence


@pytest.mark.parametrize("rule_name, line", [
    ("read-also", "You might also like: Як громада ремонтує тротуари"),
    ("subscribe-telegram", "Follow me on Instagram: @hromada_news"),
    ("subscribe-telegram", "Join the Facebook group – https://facebook.com/groups/hromada"),
    ("subscribe-telegram", "Catch up on our coverage of the council, schools and roads, and follow us on Facebook and "
                           "Telegram to stay up to date."),
    ("newsletter-call", "Want more from our newsroom? Sign up for our newsletter, and read smarter."),
    ("dateline", "Last updated March 3, 2025 by"),
    ("more-reading-prompt", "Get more travel content"),
    ("referral-call", "Help me spread the word about this podcast!"),
    ("referral-call", "Love this newsletter? Tell your friends and get rewards."),
    ("account-prompt", "Already have an account? Log in"),
    ("subscribe-to-site", "Subscribe to Вісті Поділля, a free daily newsletter with the news of the hromada, its council "
                          "sessions, schools, roads and the people who make them work."),
])
def test_english_forms_of_reader_calls_are_dropped_by_their_rule(rule_name, line):
    assert matching_rule(line, load_rules()).name == rule_name
    assert strip_boilerplate(f"Новина дня.\n\n{line}") == "Новина дня."


# Furniture lines in the shapes real Ukrainian council, hromada and regional news pages print them; the comment
# names the site where the shape was seen.
@pytest.mark.parametrize("rule_name, line", [
    ("dateline", "09:41 07.12.2022"),  # voloka-gromada.gov.ua: the gov.ua hromada portal, time before the date
    ("dateline", "Дата: 21.05.2025 15:19"),  # gosilrada.gov.ua
    ("dateline", "19:21 - 13.12.2025"),  # trueua.info
    ("dateline", "14 вересня 2025, неділя"),  # provce.ck.ua
    ("dateline", "Вівторок, 2 Грудня, 2025"),  # mamakaje.news
    ("dateline", "Вівторок, 19.03.2024, 16:04"),  # vilcharada.at.ua (uCoz)
    ("dateline", "7 Липня, 12:24"),  # vikka.ua
    ("dateline", "4 Лис, 20:05"),  # svidok.info
    ("dateline", "понеділок, 8 грудень 2025, 11:22"),  # patrioty.org.ua
    ("dateline", "17 липня 2022 – 00:55"),  # news.meta.ua
    ("dateline", "Дата и время 07 апреля 2023 г., 14:43"),  # antikor.info
    ("dateline", "20-09-2017, 13:00"),  # slovo.odessa.ua
    ("dateline", "Сьогодні о 17:28"),  # yuzhkanews.city
    ("dateline", "- 19 квітня 2016, 11:22"),  # vk.kr.ua
    ("view-counter", "Кількість переглядів: 23"),  # gosilrada.gov.ua
    ("view-counter", "Просмотров Просмотров: 3016"),  # antikor.info
    ("filters", "Дата: від до Скинути"),  # matusivska-gromada.gov.ua
    ("portal-header", "gov.ua місцеве самоврядування України"),  # gosilrada.gov.ua
    ("subscribe-telegram", "- Читайте нас у Telegram"),  # yuzhkanews.city
    ("subscribe-telegram", "- Будьте в курсі всіх новин, долучайтеся до спільноти ЮжкаNews.City у Viber"),  # yuzhkanews.city
    ("subscribe-telegram", "- Ми також є в Instagram та TikTok."),  # yuzhkanews.city
    ("comment-form", "коментуйте повідомлення:"),  # insiderua.com
    ("comment-form", "Ваша e-mail адреса не оприлюднюватиметься. Обов’язкові поля позначені *"),  # vgolos.zt.ua
    ("comment-counter", "0 коментарів"),  # provce.ck.ua
    ("read-more-link", "Детальніше »"),  # cheline.com.ua
    ("read-more-link", "подробнее ›"),  # newsmir.info
    ("link-copied", "• Посилання скопійовано"),  # docs.dtkt.ua
    ("language-switch", "Читать новость на русском"),  # 24tv.ua
    ("language-switch", "Читати українською"),  # antikor.info
    ("language-switch", "Читати на сайт Topnews.cn.ua"),  # topnews.cn.ua (its encoding drops the "і")
    ("donate-call", "Підтримати ZN.ua"),  # zn.ua
    ("donate-call", "Пiдтримати"),  # shotam.info, with a Latin i
    ("side-blocks", "Вітаю Вас Гість | Реєстрація | Вхід"),  # vilcharada.at.ua
    ("side-blocks", "ПнВтСрЧтПтСбНд"),  # vilcharada.at.ua
    ("side-blocks", "«  Березень 2024  »"),  # vilcharada.at.ua
    ("side-blocks", "Подій не заплановано"),  # bgadmin.gov.ua
    ("taxonomy-labels", "Позначка: Тернопіль"),  # gazeta.te.ua
    ("taxonomy-labels", "Розділ: Новини"),  # kherson.tax.gov.ua
    ("site-labels", "Опубліковано"),  # shotam.info, its date on another line
    ("site-labels", "СПЕЦПРОЄКТ"),  # shotam.info
    ("site-labels", "Monthly Archives"),  # tgn.in.ua
    ("back-to-section", "Вернуться назад"),  # slovo.odessa.ua
    ("pagination-label", "Сторінки:"),  # zhitomirnews.com
    ("accessibility-version", "Доступність посилання"),  # radiosvoboda.org
    ("widget-labels", "e-max.it: your social media marketing partner"),  # pravda-kr.com.ua
    ("more-news-heading", "Больше новостей"),  # ru.redtram.com
    ("more-news-heading", "Важливі новини"),  # mamakaje.news
    ("weather-widget", "давление: 755 мм"),  # trassae95.com
    ("weather-widget", "ветер: 6 м/с,"),  # trassae95.com
    ("comment-form", "обговорювання новини:"),  # netpravdy.com
    ("read-more-link", "Продовжити читання “Скликається чергова тридцять шоста сесія міської ради сьомого скликання”"),  # koryukivka-rada.gov.ua
    ("dateline", "28 сентября 2020 г."),  # vo.od.ua
    # named by the issue; not among the stored pages
    ("accessibility-version", "Розмір шрифту"),
    ("accessibility-version", "Контрастність"),
    ("prev-next", "Попередня новина"),
    ("more-news-heading", "Вас також може зацікавити"),
    ("more-news-heading", "Новини по темі"),
    ("more-news-heading", "Пов’язані новини"),
    ("more-news-heading", "Вас может заинтересовать"),
])
def test_real_ukrainian_furniture_lines_are_dropped_by_their_rule(rule_name, line):
    assert matching_rule(line, load_rules()).name == rule_name
    assert strip_boilerplate(f"Новина дня.\n\n{line}") == "Новина дня."


@pytest.mark.parametrize("sentence", [
    "Детальніше про умови конкурсу читайте на сайті громади.",
    "Категорія: діти з інвалідністю, діти-сироти та діти, позбавлені батьківського піклування, харчуються безкоштовно.",
    "Наступна сесія міської ради відбудеться 25 березня.",
    "Підтримати захисників можна, передавши кошти на рахунок громади.",
    "Ми є партнерами проєкту, про що писали у Facebook.",
    "Сьогодні о 10:00 розпочалася сесія міської ради.",
    "5 травня",
    "Гостей свята зустрічали хлібом-сіллю.",
    "Розділ бюджету про освіту депутати переглянули двічі.",
    "Вітер зірвав дах школи, тиск у мережі впав.",
    "Продовжити читання книжки діти зможуть у новій бібліотеці.",
])
def test_real_sentences_near_the_ukrainian_rules_are_kept(sentence):
    assert strip_boilerplate(sentence) == sentence


def test_source_phrases_from_the_registry_are_removed():
    text = "Новина дня.\n\nНаш сайт у соцмережах\n\nКінець новини."
    assert strip_boilerplate(text, ["Наш сайт у соцмережах"]) == "Новина дня.\n\nКінець новини."


def test_cut_rest_drops_the_list_that_ends_the_article():
    text = "Текст новини.\n\nНовини рубріки\n\nІнша новина\n17 березня 2025 р. 17:11"
    assert strip_boilerplate(text) == "Текст новини."


def test_cut_tail_keeps_the_text_after_a_heading_near_the_top():
    text = "Схожі статті\n\nДорожники завершили ремонт вулиці Шкільної.\n\nРоботи тривали два тижні."
    assert strip_boilerplate(text) == "Дорожники завершили ремонт вулиці Шкільної.\n\nРоботи тривали два тижні."


def test_cut_tail_drops_the_list_after_a_heading_near_the_end():
    article = "Дорожники завершили ремонт вулиці Шкільної, якою щодня їздять шкільні автобуси."
    assert strip_boilerplate(f"{article}\n\nYou might also like\n\nЯк громада ремонтує тротуари") == article


@pytest.mark.parametrize("document, problem", [
    ({"rule": [{"name": "empty"}]}, "needs a phrase or a pattern"),
    ({"rule": [{"name": "bad", "pattern": "(unclosed"}]}, "bad pattern"),
    ({"rule": [{"name": "odd", "phrase": 5}]}, "phrase must be"),
])
def test_malformed_rules_are_reported(document, problem):
    with pytest.raises(RuleError, match=problem):
        parse_rules(document)


def test_editors_commission_note_is_dropped():
    note = "Products are chosen independently by our editors. Purchases made through our links may earn us a commission."
    assert note in _lines(_raw_text("article_meta.html"))
    assert note not in _lines(strip_boilerplate(_raw_text("article_meta.html")))


def test_related_heading_names_what_others_are_reading():
    raw = _raw_text("article_meta.html")
    assert "Як громада ремонтує тротуари" in _lines(raw)
    assert "Як громада ремонтує тротуари" not in strip_boilerplate(raw)


def test_a_pattern_is_tried_only_on_lines_holding_one_of_its_required_strings():
    pattern = "[^.]{0,80}(all rights reserved|усі права захищені)"
    text = "Вісті Поділля, Усі права захищені\n\nНовина дня."
    with_requires = parse_rules({"rule": [{"name": "rights", "pattern": pattern, "requires": ["права", "rights"]}]})
    assert strip_boilerplate(text, rules=with_requires) == "Новина дня."
    missing_word = parse_rules({"rule": [{"name": "rights", "pattern": pattern, "requires": ["rights"]}]})
    assert strip_boilerplate(text, rules=missing_word) == text


def test_every_line_a_required_pattern_drops_holds_one_of_its_strings():
    lines = [normalize_line(line) for page in PAGES.glob("*.html") for line in _raw_text(page.name).splitlines()]
    lines += [normalize_line(line) for seed in SEEDS.glob("*") for line in seed.read_text(encoding="utf-8").splitlines()]
    lines += ["© 2025 Вісті Поділля. Усі права захищені.", "Все права защищены", "5 min read", "Час читання: 3 хв",
              "As an Amazon Associate we earn from qualifying purchases.", "Продовжити читання “Сесія ради”"]
    for rule in (rule for rule in load_rules() if rule.requires):
        dropped = [line for line in map(normalize_line, lines) if rule.pattern.fullmatch(line)]
        assert dropped, rule.name
        assert all(any(needed in line for needed in rule.requires) for line in dropped), rule.name


def test_requires_without_a_pattern_is_refused():
    with pytest.raises(RuleError, match="requires is only for a pattern"):
        parse_rules({"rule": [{"name": "x", "phrase": "Читайте також", "requires": ["читайте"]}]})


def test_a_line_of_phrases_glued_together_is_dropped_and_a_sentence_starting_with_one_is_kept():
    assert strip_boilerplate("Новина дня.\n\nПошукСкинути") == "Новина дня."
    assert strip_boilerplate("Пошук зниклих триває.") == "Пошук зниклих триває."


@pytest.mark.parametrize("line", ["March 15, 2022 · 3 min read · By ASU Online", "Олена Коваль · 5 хв читання · 2 грудня"])
def test_a_meta_line_around_a_reading_time_is_dropped(line):
    assert strip_boilerplate(f"Новина дня.\n\n{line}") == "Новина дня."


def test_a_sentence_naming_a_reading_time_is_kept():
    sentence = "Звіт голови займає 5 хв читання · і варто його прочитати повністю, бо там цифри бюджету."
    assert strip_boilerplate(sentence) == sentence


@pytest.mark.parametrize("button", ["Запропонувати новину", "SHARE YOUR STORY", "Submit a news tip"])
def test_submit_news_buttons_are_dropped(button):
    assert strip_boilerplate(f"Новина дня.\n\n{button}") == "Новина дня."


def test_comment_form_lines_are_dropped_and_a_sentence_about_comments_is_kept():
    form = "\n\n".join(["Коментарі", "Ваш коментар", "Скасувати відповідь", "Коментарів немає"])
    assert strip_boilerplate(f"Новина дня.\n\n{form}") == "Новина дня."
    sentence = "Коментарі депутатів щодо бюджету були різкими."
    assert strip_boilerplate(sentence) == sentence
