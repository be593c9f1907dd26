"""Date parsing and resolution: real-shaped strings from Ukrainian, Russian and English pages."""

from datetime import datetime

import pytest

from crawler.analysis.dates import KYIV, find_date_strings, parse_date, resolve_dates
from crawler.analysis.extract import DateCandidate

# fetch time for every relative and year-less case: Friday 1 August 2025, 12:00 Kyiv (summer, +03:00)
NOW = datetime(2025, 8, 1, 12, 0, tzinfo=KYIV)

CASES = [
    # Ukrainian month names, as the issue lists them
    ("17 березня 2025 р. 17:11", "2025-03-17T17:11:00+02:00"),
    ("Опубліковано: Вівторок, 04 лютого 2025 11:20", "2025-02-04T11:20:00+02:00"),
    ("27 Серпня 2024, 16:02", "2024-08-27T16:02:00+03:00"),
    ("Дата: 15 червня 2021 14:53", "2021-06-15T14:53:00+03:00"),
    ("19 травня 2025 року", "2025-05-19T00:00:00+03:00"),
    ("1 січня 2025", "2025-01-01T00:00:00+02:00"),
    ("31 грудня 2024 р.", "2024-12-31T00:00:00+02:00"),
    ("12 квітня 2023 року, 09:05", "2023-04-12T09:05:00+03:00"),
    ("8 ЛИСТОПАДА 2022", "2022-11-08T00:00:00+02:00"),
    ("3 жовтня 2019 о 18:30", "2019-10-03T18:30:00+03:00"),
    ("23 вересня 2020", "2020-09-23T00:00:00+03:00"),
    ("11 липня 2018 р., 10:00", "2018-07-11T10:00:00+03:00"),
    ("14 лют. 2024", "2024-02-14T00:00:00+02:00"),
    ("Понеділок, 2 червня 2025", "2025-06-02T00:00:00+03:00"),
    ("06 березня 2025 | 12:40", "2025-03-06T12:40:00+02:00"),
    ("Квітень 5, 2024", "2024-04-05T00:00:00+03:00"),
    ("5 квітня 2024, п'ятниця", "2024-04-05T00:00:00+03:00"),
    ("Оновлено 20 січня 2025 р. о 8:15", "2025-01-20T08:15:00+02:00"),
    ("27 Серпня 2025, 16:02", None),  # after the fetch time: implausible
    # day-first numeric, never month-first
    ("23.01.2025 16:44", "2025-01-23T16:44:00+02:00"),
    ("14.01.2025, 17:30", "2025-01-14T17:30:00+02:00"),
    ("05.06.2025", "2025-06-05T00:00:00+03:00"),
    ("01.02.2024", "2024-02-01T00:00:00+02:00"),
    ("12.11.2023 08:00", "2023-11-12T08:00:00+02:00"),
    ("3.4.2022", "2022-04-03T00:00:00+03:00"),
    ("03/04/2022", "2022-04-03T00:00:00+03:00"),
    ("25/12/2021 23:59", "2021-12-25T23:59:00+02:00"),
    ("02-05-2020", "2020-05-02T00:00:00+03:00"),
    ("16:44 23.01.2025", "2025-01-23T16:44:00+02:00"),
    ("23.01.25", "2025-01-23T00:00:00+02:00"),
    ("Дата публікації: 10.10.2010", "2010-10-10T00:00:00+03:00"),
    ("Переглядів: 103 | 23.01.2025 16:44", "2025-01-23T16:44:00+02:00"),
    ("04.02.2025 о 11:20", "2025-02-04T11:20:00+02:00"),
    ("12/25/2024", "2024-12-25T00:00:00+02:00"),  # month-first only where day-first is impossible
    ("31.02.2024", None),
    ("14.01.2026, 17:30", None),  # after the fetch time
    # Russian
    ("3 декабря 2020, 18:47", "2020-12-03T18:47:00+02:00"),
    ("15 января 2021 г.", "2021-01-15T00:00:00+02:00"),
    ("7 марта 2019 года в 10:20", "2019-03-07T10:20:00+02:00"),
    ("Опубликовано: 22 мая 2024", "2024-05-22T00:00:00+03:00"),
    ("1 июня 2023", "2023-06-01T00:00:00+03:00"),
    ("30 июля 2022, 07:05", "2022-07-30T07:05:00+03:00"),
    ("9 августа 2021", "2021-08-09T00:00:00+03:00"),
    ("18 сентября 2020 г., 14:00", "2020-09-18T14:00:00+03:00"),
    ("2 октября 2017", "2017-10-02T00:00:00+03:00"),
    ("25 ноября 2016", "2016-11-25T00:00:00+02:00"),
    ("10 февраля 2015", "2015-02-10T00:00:00+02:00"),
    ("20 апреля 2014", "2014-04-20T00:00:00+03:00"),
    ("сегодня, 09:45", "2025-08-01T09:45:00+03:00"),
    ("вчера в 21:10", "2025-07-31T21:10:00+03:00"),
    ("3 часа назад", "2025-08-01T09:00:00+03:00"),
    ("15 минут назад", "2025-08-01T11:45:00+03:00"),
    ("2 дня назад", "2025-07-30T12:00:00+03:00"),
    ("12 июля", "2025-07-12T00:00:00+03:00"),
    # English
    ("March 17, 2025", "2025-03-17T00:00:00+02:00"),
    ("Mar 17, 2025", "2025-03-17T00:00:00+02:00"),
    ("Sept. 4, 2024", "2024-09-04T00:00:00+03:00"),
    ("September 4th, 2024 at 5:30 pm", "2024-09-04T17:30:00+03:00"),
    ("Published on July 18, 2025", "2025-07-18T00:00:00+03:00"),
    ("17 March 2025", "2025-03-17T00:00:00+02:00"),
    ("4th of July 2024", "2024-07-04T00:00:00+03:00"),
    ("Tuesday, December 19, 2023", "2023-12-19T00:00:00+02:00"),
    ("Dec 20, 2023 (BSS)", "2023-12-20T00:00:00+02:00"),
    ("Updated: January 02, 2024, 11:07 am", "2024-01-02T11:07:00+02:00"),
    ("May 5, 2020 12:00 AM", "2020-05-05T00:00:00+03:00"),
    ("30 Sep 2022, 11:07am", "2022-09-30T11:07:00+03:00"),
    ("today at 8:00", "2025-08-01T08:00:00+03:00"),
    ("yesterday, 23:30", "2025-07-31T23:30:00+03:00"),
    ("5 hours ago", "2025-08-01T07:00:00+03:00"),
    ("2 weeks ago", "2025-07-18T12:00:00+03:00"),
    ("just now", "2025-08-01T12:00:00+03:00"),
    # ISO 8601 and machine formats: an explicit offset is kept
    ("2025-03-17", "2025-03-17T00:00:00+02:00"),
    ("2025-03-17T10:00:00", "2025-03-17T10:00:00+02:00"),
    ("2025-03-17T10:00:00+02:00", "2025-03-17T10:00:00+02:00"),
    ("2025-03-17T10:00:00Z", "2025-03-17T10:00:00+00:00"),
    ("2025-03-17T10:00:00.123456Z", "2025-03-17T10:00:00+00:00"),
    ("2025-06-25T20:57:54.303966-0400", "2025-06-25T20:57:54-04:00"),
    ("2024-12-19T09:04:00+13:00", "2024-12-19T09:04:00+13:00"),
    ("2025-01-03T22:00+00:00", "2025-01-03T22:00:00+00:00"),
    ("2024-05-09 00:00:00 +0000", "2024-05-09T00:00:00+00:00"),
    ("2025-07-17 16:10", "2025-07-17T16:10:00+03:00"),
    ("2025/07/27", "2025-07-27T00:00:00+03:00"),
    ("20250317", "2025-03-17T00:00:00+02:00"),
    ("2025.03.17", "2025-03-17T00:00:00+02:00"),
    ("1623758022", "2021-06-15T14:53:42+03:00"),  # gromada.gov.ua news id: a unix timestamp
    ("1700000000", "2023-11-15T00:13:20+02:00"),
    ("2025-02-30", None),
    # relative and year-less against the fetch time
    ("Сьогодні, 30 липня", "2025-07-30T00:00:00+03:00"),
    ("Сьогодні, 10:15", "2025-08-01T10:15:00+03:00"),
    ("сьогодні о 11:59", "2025-08-01T11:59:00+03:00"),
    ("вчора о 14:30", "2025-07-31T14:30:00+03:00"),
    ("Учора, 08:00", "2025-07-31T08:00:00+03:00"),
    ("позавчора о 19:00", "2025-07-30T19:00:00+03:00"),
    ("2 години тому", "2025-08-01T10:00:00+03:00"),
    ("годину тому", "2025-08-01T11:00:00+03:00"),
    ("45 хвилин тому", "2025-08-01T11:15:00+03:00"),
    ("3 дні тому", "2025-07-29T12:00:00+03:00"),
    ("щойно", "2025-08-01T12:00:00+03:00"),
    ("30.07", "2025-07-30T00:00:00+03:00"),
    ("30.07 14:20", "2025-07-30T14:20:00+03:00"),
    ("1 серпня", "2025-08-01T00:00:00+03:00"),
    ("12 серпня", "2024-08-12T00:00:00+03:00"),  # never in the future: last year
    ("25 грудня, 10:00", "2024-12-25T10:00:00+02:00"),
    ("15.09", "2024-09-15T00:00:00+03:00"),
    # daylight saving edges (Kyiv: +02:00 until 30 March 2025 03:00, +03:00 until 26 October 2025 04:00)
    ("29.03.2025 12:00", "2025-03-29T12:00:00+02:00"),
    ("30.03.2025 12:00", "2025-03-30T12:00:00+03:00"),
    ("30.03.2025 01:30", "2025-03-30T01:30:00+02:00"),
    ("25.10.2024 12:00", "2024-10-25T12:00:00+03:00"),
    ("27.10.2024 12:00", "2024-10-27T12:00:00+02:00"),
    ("31 березня 2024 10:00", "2024-03-31T10:00:00+03:00"),
    # as real Ukrainian council, hromada and regional news pages print them (the site where the shape was seen)
    ("01.06.2023, 12:30", "2023-06-01T12:30:00+03:00"),  # topnews.cn.ua
    ("07.12.22", "2022-12-07T00:00:00+02:00"),  # bilkigr.gov.ua
    ("09:41 07.12.2022", "2022-12-07T09:41:00+02:00"),  # voloka-gromada.gov.ua: the gov.ua hromada portal
    ("Дата: 21.05.2025 15:19", "2025-05-21T15:19:00+03:00"),  # gosilrada.gov.ua
    ("Вівторок, 19.03.2024, 16:04", "2024-03-19T16:04:00+02:00"),  # vilcharada.at.ua (uCoz)
    ("8.04. 2010 р.", "2010-04-08T00:00:00+03:00"),  # a district council's news archive
    ("21 грудня  2017 року", "2017-12-21T00:00:00+02:00"),  # lotasheve.talnern.gov.ua
    ("7 Липня, 12:24", "2025-07-07T12:24:00+03:00"),  # vikka.ua
    ("13:00 14.11 1020", "2024-11-14T13:00:00+02:00"),  # poltava365.com: time, day.month, views
    ("19 квітня 2016, 11:22", "2016-04-19T11:22:00+03:00"),  # vk.kr.ua
    ("18 грудня 2015 09:03", "2015-12-18T09:03:00+02:00"),  # mv.org.ua
    ("17 липня 2022 – 00:55", "2022-07-17T00:55:00+03:00"),  # news.meta.ua
    ("5 лип. 2022 07:49", "2022-07-05T07:49:00+03:00"),  # ukraina.info
    ("ср, 15 січня", "2025-01-15T00:00:00+02:00"),  # ukraina.info
    ("4 Лис, 20:05", "2024-11-04T20:05:00+02:00"),  # svidok.info
    ("11 липня 2025, п'ятниця", "2025-07-11T00:00:00+03:00"),  # shpolyanochka.com.ua
    ("пʼятницю, 18 листопада 2011 р.", "2011-11-18T00:00:00+02:00"),  # grckua.blogspot.com
    ("10 Грудня 2003", "2003-12-10T00:00:00+02:00"),  # detector.media
    ("Вчора, 28 квітня, близько 15-ї години", "2025-04-28T00:00:00+03:00"),  # gazeta.te.ua
    ("КИЇВ. 25 серпня. УНН.", "2024-08-25T00:00:00+03:00"),  # news.betaproject.net, an agency dateline
    ("Кілька хвилин тому", "2025-08-01T11:57:00+03:00"),  # rivnepost.rv.ua: "a few" counts as three
    ("Несколько часов назад", "2025-08-01T09:00:00+03:00"),  # mv.org.ua
    ("20-09-2017, 13:00", "2017-09-20T13:00:00+03:00"),  # slovo.odessa.ua
    ("25.11.2019 20:43", "2019-11-25T20:43:00+02:00"),  # tenews.org.ua
    ("2020-07-17 13:30", "2020-07-17T13:30:00+03:00"),  # news.betaproject.net
    ("By VilneSlovo | 02/16/2023 | Повідомлення, Свобода слова", "2023-02-16T00:00:00+02:00"),  # vyborcha.com
    ("События в Украине - 15 февраля 2010, 20:09", "2010-02-15T20:09:00+02:00"),  # korrespondent.net
    ("Дата и время 07 апреля 2023 г., 14:43     Просмотров Просмотров: 3016", "2023-04-07T14:43:00+03:00"),  # antikor.info
    ("Вчера, 3 ноября, около 15:20", "2024-11-03T15:20:00+02:00"),  # svidok.info
    ("Сегодня, 23 апреля 2024", "2024-04-23T00:00:00+03:00"),  # ru.redtram.com
    # implausible and garbage
    ("12.05.1990", None),
    ("1 січня 1980", None),
    ("2099-01-01", None),
    ("", None),
    ("   ", None),
    ("—", None),
    ("RSS", None),
    ("Новини рубріки", None),
    ("99.99.9999", None),
    ("25:61", None),
    ("<script>alert(1)</script>", None),
    ("\x00\ufffd\ufffd", None),
    ("березень", None),
    ("2025", None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_parse_date(raw, expected):
    parsed = parse_date(raw, NOW)
    assert (parsed.isoformat() if parsed else None) == expected


# pages seen in 2025-26, dated after the table's fetch time: fetched on Friday 20 March 2026, 12:00 Kyiv (+02:00)
RECENT_CASES = [
    ("1 грудня 2025, 19:21", "2025-12-01T19:21:00+02:00"),  # lenta.te.ua
    ("понеділок, 8 грудень 2025, 11:22", "2025-12-08T11:22:00+02:00"),  # patrioty.org.ua: the month in the nominative
    ("19 December 2025", "2025-12-19T00:00:00+02:00"),  # decentralization.ua
    ("Вівторок, 17 Лютого, 2026", "2026-02-17T00:00:00+02:00"),  # yes-chernigiv.com.ua
    ("19:21 - 13.12.2025", "2025-12-13T19:21:00+02:00"),  # trueua.info
    ("11 лютого 2026", "2026-02-11T00:00:00+02:00"),  # decentralization.gov.ua
]


@pytest.mark.parametrize(("raw", "expected"), RECENT_CASES)
def test_parse_date_of_recent_pages(raw, expected):
    parsed = parse_date(raw, datetime(2026, 3, 20, 12, 0, tzinfo=KYIV))
    assert (parsed.isoformat() if parsed else None) == expected


# full month names of other European languages, with their connectors (htmldate-default pages)
OTHER_LANGUAGE_CASES = [
    ("Erstellt am Dienstag 6. Mai 2014 um 23:30", "2014-05-06T23:30:00+03:00"),  # disfunctions.de
    ("19. Oktober 2019 um 14:37", "2019-10-19T14:37:00+03:00"),  # jungefreiheit.de
    ("jeudi 13 juin 2019", "2019-06-13T00:00:00+03:00"),  # france.attac.org
    (", le  15 septembre 2009", "2009-09-15T00:00:00+03:00"),  # laviedesidees.fr
    ("3 de marzo de 2020", "2020-03-03T00:00:00+02:00"),
    ("12 dicembre 2021", "2021-12-12T00:00:00+02:00"),
]


@pytest.mark.parametrize(("raw", "expected"), OTHER_LANGUAGE_CASES)
def test_month_names_of_other_languages_are_found_and_parsed(raw, expected):
    [found] = find_date_strings(raw)
    parsed = parse_date(raw, NOW)
    assert (parsed.isoformat() if parsed else None) == expected
    assert parse_date(found, NOW).date() == parsed.date()


def test_a_date_that_states_its_year_wins_over_a_yearless_month_name_date():
    parsed = parse_date("Reparaturcafé am 31. Januar 27.01.2020 Soziales", NOW)  # ahlen.de
    assert parsed.isoformat() == "2020-01-27T00:00:00+02:00"


def test_table_is_large_enough():
    assert len(CASES) >= 100


def test_non_string_input_is_none():
    assert parse_date(None, NOW) is None
    assert parse_date(12345, NOW) is None


def test_naive_now_is_kyiv_time():
    naive = datetime(2025, 8, 1, 12, 0)
    assert parse_date("2 години тому", naive).isoformat() == "2025-08-01T10:00:00+03:00"


def test_yearless_date_resolves_against_fetch_time_not_clock():
    winter = datetime(2021, 1, 10, 9, 0, tzinfo=KYIV)
    assert parse_date("30 липня", winter).isoformat() == "2020-07-30T00:00:00+03:00"
    assert parse_date("вчора о 14:30", winter).isoformat() == "2021-01-09T14:30:00+02:00"


def test_very_long_garbage_is_rejected_quickly():
    assert parse_date("слово " * 5000, NOW) is None


def test_find_date_strings_in_running_text():
    text = "Сьогодні, 23 січня 2025 року, о 10:00 відбулося засідання; наступне — 30.01.2025 16:44."
    assert find_date_strings(text) == ["23 січня 2025 року, о 10:00", "30.01.2025 16:44"]


def test_bare_today_word_is_not_a_date_in_text():
    assert find_date_strings("Book a demo today!") == []
    assert find_date_strings("Сьогодні, 10:15") == ["Сьогодні, 10:15"]


def test_find_date_strings_without_digits_and_in_any_case():
    assert find_date_strings("Оновлено годину тому, автор: Іван") == ["годину тому"]
    assert find_date_strings("ЩОЙНО: вибухи в області") == ["ЩОЙНО"]
    assert find_date_strings("Posted 5 MINUTES AGO by the editor") == ["5 MINUTES AGO"]
    assert find_date_strings("Прогноз погоди на тиждень") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a month word before the number, through a dot and any spaces, or glued to it
        ("Published March.   5, 2024 in print", ["March.   5, 2024"]),
        ("лют.12 2025", ["лют.12 2025"]),
        ("березня5", ["березня5"]),
        ("листопад\u00a0\u00a012", ["листопад\u00a0\u00a012"]),
        # a month word after the number, through an ordinal suffix, "of" or a year
        ("5thMarch 2024", ["5thMarch 2024"]),
        ("on the 5th of March", ["5th of March"]),
        ("5-го березня 2025", ["5-го березня 2025"]),
        ("2025 березня 5", ["2025 березня 5"]),
        ("3 sept.", ["3 sept."]),
        # digits alone
        ("20240501", ["20240501"]),
        ("2024-05-01T10:00Z", ["2024-05-01T10:00Z"]),
        ("Вчора о 14:05", ["Вчора о 14:05"]),
        # month words inside other words, and numbers beside other words, are no dates
        ("grammar 5 and Omar 12", []),
        ("у листопаді 2024", []),
        ("12:30 Сьогодні", []),
    ],
)
def test_find_date_strings_where_a_month_word_or_a_number_touches_the_date(text, expected):
    assert find_date_strings(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # real page texts around their datelines (the site where the shape was seen)
        ("Дата: 21.05.2025 15:19\nКількість переглядів: 23", ["21.05.2025 15:19"]),  # gosilrada.gov.ua
        # mv.org.ua: its text opens with "a few hours ago", the quantity word included
        ("Переглядів: 1146\n18 грудня 2015 09:03\nНесколько часов назад на площади", ["18 грудня 2015 09:03", "Несколько часов назад"]),
        ("Понеділок, 8 грудень 2025, 11:22", ["8 грудень 2025, 11:22"]),  # patrioty.org.ua
        ("Останні новини\n\n19:21 - 13.12.2025", ["13.12.2025"]),  # trueua.info
        ("Суспільство\n11 липня 2025, п'ятниця\nБуде тобі, враже", ["11 липня 2025"]),  # shpolyanochka.com.ua
        ("Сьогодні о 17:28\nПісля чергової спроби провести 67 сесію", ["Сьогодні о 17:28"]),  # yuzhkanews.city
    ],
)
def test_find_date_strings_on_real_page_texts(text, expected):
    assert find_date_strings(text) == expected


def test_find_date_strings_results_are_not_shared_between_calls():
    text = "Опубліковано 23.01.2025"
    found = find_date_strings(text)
    found.append("changed by the caller")
    assert find_date_strings(text) == ["23.01.2025"]
    long_text = "слово " * 200 + "23 січня 2025"  # past the length whose results are remembered
    assert find_date_strings(long_text) == ["23 січня 2025"]


def _candidates(*items):
    return [DateCandidate(raw, source, kind) for raw, source, kind in items]


def test_resolve_prefers_more_reliable_source():
    candidates = _candidates(
        ("28 липня 2025 р. 09:30", "text", "published"),
        ("17 березня 2025 р. 17:11", "visible", "published"),
        ("2025-03-17T17:11:00+02:00", "jsonld", "published"),
    )
    result = resolve_dates(candidates, NOW)
    assert result["published"].isoformat() == "2025-03-17T17:11:00+02:00"
    assert result["published_source"] == "jsonld"
    assert result["published_raw"] == "2025-03-17T17:11:00+02:00"


def test_resolve_skips_unparseable_and_implausible_candidates():
    candidates = _candidates(
        ("not a date", "jsonld", "published"),
        ("2099-01-01", "meta", "published"),
        ("23.01.2025 16:44", "visible", "published"),
    )
    result = resolve_dates(candidates, NOW)
    assert (result["published_source"], result["published_raw"]) == ("visible", "23.01.2025 16:44")


def test_resolve_keeps_modified_separate():
    candidates = _candidates(
        ("2025-06-20T08:15:00+03:00", "jsonld", "modified"),
        ("2024-12-05T10:30:00+02:00", "meta", "published"),
    )
    result = resolve_dates(candidates, NOW)
    assert result["published"].isoformat() == "2024-12-05T10:30:00+02:00"
    assert result["published_source"] == "meta"
    assert result["modified"].isoformat() == "2025-06-20T08:15:00+03:00"
    assert result["modified_source"] == "jsonld"


def test_resolve_without_candidates_invents_nothing():
    assert resolve_dates([], NOW) == {
        "published": None, "published_raw": None, "published_source": None,
        "modified": None, "modified_raw": None, "modified_source": None,
    }


def test_resolve_shown_date_outvotes_a_lone_metadata_date():
    # the date by the headline and the same date opening the text outvote JSON-LD that disagrees
    candidates = _candidates(
        ("2025-06-24T00:00:00+03:00", "jsonld", "published"),
        ("25 серпня 2024 р.", "visible", "published"),
        ("25 серпня 2024 р.", "text", "published"),
    )
    result = resolve_dates(candidates, NOW)
    assert (result["published"].date().isoformat(), result["published_source"]) == ("2024-08-25", "visible")


def test_resolve_tie_goes_to_the_time_markup_then_to_the_more_reliable_source():
    # head metadata against the dateline the article marks up as <time>: the article's own markup
    candidates = _candidates(
        ("2025-03-17T17:11:00+02:00", "jsonld", "published"),
        ("2025-03-17T17:11:00+02:00", "meta", "published"),
        ("2025-03-12T09:00:00+02:00", "time", "published"),
        ("12 березня 2025", "visible", "published"),
    )
    result = resolve_dates(candidates, NOW)
    assert (result["published"].isoformat(), result["published_source"]) == ("2025-03-12T09:00:00+02:00", "time")
    # without <time> markup the more reliable source wins the tie
    unmarked = _candidates(("2025-03-17T17:11:00+02:00", "meta", "published"), ("12 березня 2025", "visible", "published"))
    result = resolve_dates(unmarked, NOW)
    assert (result["published"].isoformat(), result["published_source"]) == ("2025-03-17T17:11:00+02:00", "meta")


def test_resolve_metadata_date_after_the_shown_update_is_not_the_publication_date():
    # the page says "Updated on July 9, 2025"; a published_time of September 17 is when the page was rebuilt
    candidates = _candidates(
        ("2025-09-17T16:39:28.447Z", "meta", "published"),
        ("Updated on July 9, 2025", "visible", "modified"),
        ("July 9, 2025", "text", "modified"),
    )
    result = resolve_dates(candidates, datetime(2026, 1, 1, tzinfo=KYIV))
    assert (result["published"].date().isoformat(), result["published_source"]) == ("2025-07-09", "visible")
    # a metadata date before the update stays the publication date
    earlier = _candidates(("2024-12-11T19:44:03+00:00", "meta", "published"), ("Updated on July 9, 2025", "visible", "modified"))
    assert resolve_dates(earlier, datetime(2026, 1, 1, tzinfo=KYIV))["published"].date().isoformat() == "2024-12-11"


def test_resolve_yearless_dates_never_outvote():
    candidates = _candidates(
        ("2025-03-17T17:11:00+02:00", "meta", "published"),
        ("Сьогодні, 10:15", "visible", "published"),
        ("30.07", "text", "published"),
    )
    assert resolve_dates(candidates, NOW)["published_source"] == "meta"
    alone = resolve_dates(_candidates(("Сьогодні, 10:15", "visible", "published")), NOW)
    assert alone["published"].isoformat() == "2025-08-01T10:15:00+03:00"


def test_resolve_each_source_votes_once():
    # three dated items of one list do not outvote the metadata
    candidates = _candidates(
        ("2025-03-17T17:11:00+02:00", "jsonld", "published"),
        ("01.08.2025", "visible", "published"),
        ("01.08.2025 12:00", "visible", "published"),
        ("01.08.2025 09:00", "visible", "published"),
    )
    assert resolve_dates(candidates, NOW)["published_source"] == "jsonld"


def test_resolve_shown_update_date_is_the_last_resort_for_published():
    shown = resolve_dates(_candidates(("Оновлено: 04 лютого 2025 11:20", "visible", "modified")), NOW)
    assert (shown["published"].isoformat(), shown["published_source"]) == ("2025-02-04T11:20:00+02:00", "visible")
    assert shown["modified"] == shown["published"]
    # a metadata modification time is often the build time: never taken for the publication date
    built = resolve_dates(_candidates(("2025-07-31T21:00:00Z", "meta", "modified")), NOW)
    assert built["published"] is None and built["modified_source"] == "meta"


def test_resolve_utc_timestamp_yields_to_the_local_day_in_the_url():
    candidates = _candidates(
        ("2025-12-19T02:41:41+00:00", "meta", "published"),
        ("2025/12/18", "url", "published"),
    )
    result = resolve_dates(candidates, NOW.replace(year=2026))
    assert (result["published"].date().isoformat(), result["published_source"]) == ("2025-12-18", "url")


def test_day_and_month_that_could_swap_follow_the_metadata_order():
    # a US page: "09.10.2024" is 10 September, as its JSON-LD says
    candidates = [
        DateCandidate("2024-09-10T16:07:00.000Z", "jsonld"),
        DateCandidate("09.10.2024", "visible"),
        DateCandidate("09.10.2024", "text"),
    ]
    assert resolve_dates(candidates, NOW)["published"].date().isoformat() == "2024-09-10"


def test_day_first_stays_when_metadata_agrees_or_cannot_swap():
    agrees = [DateCandidate("2024-10-09T10:00:00+03:00", "meta"), DateCandidate("09.10.2024 10:00", "visible")]
    assert resolve_dates(agrees, NOW)["published"].isoformat() == "2024-10-09T10:00:00+03:00"
    unswappable = [DateCandidate("2024-09-10", "meta"), DateCandidate("23.01.2025", "visible"), DateCandidate("23.01.2025", "text")]
    assert resolve_dates(unswappable, NOW)["published"].date().isoformat() == "2025-01-23"
    alone = [DateCandidate("09.10.2024", "visible")]
    assert resolve_dates(alone, NOW)["published"].date().isoformat() == "2024-10-09"


def test_a_shown_update_date_beats_a_year_less_date_in_running_text():
    # "… 16 may …" in the text is a weaker guess than the "Updated March 13, 2024" line the page shows
    candidates = [DateCandidate("Updated March 13, 2024", "visible", "modified"), DateCandidate("16 may", "text")]
    assert resolve_dates(candidates, NOW)["published"].date().isoformat() == "2024-03-13"
    headline_only = [DateCandidate("Сьогодні, 10:15", "visible"), DateCandidate("Оновлено: 23.01.2025", "visible", "modified")]
    assert resolve_dates(headline_only, NOW)["published_raw"] == "Сьогодні, 10:15"


def test_dateparser_reads_month_names_in_the_page_language_only_when_told():
    raw = "12 października 2021"  # Polish: no month form of the rules table
    assert parse_date(raw, NOW) is None
    assert parse_date(raw, NOW, language="pl-PL").date().isoformat() == "2021-10-12"
    assert parse_date(raw, NOW, language="xx") is None  # a language dateparser does not know: the defaults only


def test_resolve_dates_passes_the_page_language_to_the_parser():
    candidates = [DateCandidate("12 października 2021", "time")]
    assert resolve_dates(candidates, NOW)["published"] is None
    assert resolve_dates(candidates, NOW, language="pl")["published"].date().isoformat() == "2021-10-12"
