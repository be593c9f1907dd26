"""The web view's words in Ukrainian (the default) and English, and which one a request asked for.

``?lang=en`` (or ``uk``) picks the language and a cookie keeps it for the next pages.
"""

from __future__ import annotations

LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"
COOKIE = "hromada_lang"

WORDS = {
    "site_title": ("Архів новин громад", "Community news archive"),
    "search": ("Пошук", "Search"),
    "sources": ("Джерела", "Sources"),
    "query_placeholder": ("громада, \"бюджет громади\", школа AND укриття, NOT …",
                          "громада, \"бюджет громади\", школа AND укриття, NOT …"),
    "query_help": ("Слова в будь-якій формі, \"точні фрази\", AND, OR, NOT і дужки.",
                   "Words in any inflected form, \"exact phrases\", AND, OR, NOT and parentheses."),
    "since": ("від", "from"),
    "until": ("до", "to"),
    "sort": ("порядок", "order"),
    "sort_rank": ("найвідповідніші", "best match"),
    "sort_newest": ("найновіші", "newest"),
    "find": ("Шукати", "Search"),
    "facet_oblast": ("Область", "Oblast"),
    "facet_hromada": ("Громада", "Hromada"),
    "facet_source": ("Джерело", "Source"),
    "facet_language": ("Мова", "Language"),
    "remove_filter": ("прибрати фільтр", "remove filter"),
    "results": ("Знайдено статей: {count}", "{count} articles found"),
    "showing": ("показано перші {shown}", "showing the first {shown}"),
    "no_results": ("Нічого не знайдено.", "Nothing found."),
    "over_time": ("Статті за {period}", "Articles per {period}"),
    "period_month": ("місяцями", "month"),
    "period_week": ("тижнями", "week"),
    "undated": ("без дати: {count}", "undated: {count}"),
    "export": ("Експорт CSV + маніфест (zip)", "Export CSV + manifest (zip)"),
    "sql": ("SQL і таблиці", "SQL and tables"),
    "newest_articles": ("Найновіші статті", "Newest articles"),
    "published": ("Опубліковано", "Published"),
    "date_source": ("джерело дати", "date from"),
    "no_date": ("дата невідома", "date unknown"),
    "source": ("Джерело", "Source"),
    "places": ("Місця", "Places"),
    "original_url": ("Оригінал", "Original"),
    "snapshot": ("Архівна копія сторінки", "Archived page"),
    "no_snapshot": ("Сторінку не збережено.", "No page was stored."),
    "story": ("Історія (передруки)", "Story (reposts)"),
    "original": ("першоджерело", "original"),
    "repost": ("передрук", "repost"),
    "this_article": ("ця стаття", "this article"),
    "revisions": ("Редакції", "Revisions"),
    "modified": ("змінено", "modified"),
    "revision": ("редакція {number}", "revision {number}"),
    "fetched": ("завантажено", "fetched"),
    "removed": ("Видалено видавцем: сторінка зникла {when}.", "Removed by the publisher: the page was gone on {when}."),
    "text": ("Текст", "Text"),
    "not_found": ("Статті {id} немає в архіві.", "There is no article {id} in this archive."),
    "snapshot_banner": ("Архівна копія {url}, збережена {when}. Скрипти та зовнішні запити вимкнено.",
                        "Archived copy of {url}, saved {when}. Scripts and external requests are disabled."),
    "back_to_article": ("до статті", "back to the article"),
    "verdict": ("Стан", "Verdict"),
    "last_success": ("Останній вдалий обхід", "Last successful run"),
    "new_last_run": ("Нових за останній обхід", "New in the last run"),
    "usual_rate": ("зазвичай", "usually"),
    "per_week": ("Статей на тиждень", "Articles per week"),
    "why": ("Чому", "Why"),
    "archived": ("В архіві", "Archived"),
    "never": ("ніколи", "never"),
    "sources_summary": ("Джерел: {count}. {summary}", "{count} sources. {summary}"),
    "bad_date": ("дата {value!r} не у форматі РРРР-ММ-ДД", "date {value!r} is not YYYY-MM-DD"),
    "dates_reversed": ("дата «від» пізніша за «до»", "the 'from' date is after the 'to' date"),
}

VERDICTS = {
    "unreachable": ("недоступне", "unreachable"), "blocked": ("блокує", "blocked"),
    "layout_changed": ("змінилась верстка", "layout changed"), "degraded": ("погіршується", "degraded"),
    "quiet": ("без нового", "quiet"), "ok": ("OK", "OK"), "never_crawled": ("ще не обходили", "never crawled"),
}


def language_of(args: dict, cookies: dict) -> str:
    """The language a request asked for: ``?lang=``, else the cookie, else Ukrainian."""
    for chosen in (args.get("lang"), cookies.get(COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return DEFAULT_LANGUAGE


def translator(language: str):
    """``t(key, **values)``: the word in ``language``, with values filled in."""
    index = LANGUAGES.index(language)

    def t(key: str, **values) -> str:
        return WORDS[key][index].format(**values)
    return t


def verdict_label(verdict: str, language: str) -> str:
    return VERDICTS[verdict][LANGUAGES.index(language)]
