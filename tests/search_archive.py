"""A small archive of hand-written articles for the search, export, stats and web-view tests."""

from __future__ import annotations

from pathlib import Path

from crawler.archive.store import Archive, content_hash
from crawler.analysis.places import retag_archive
from crawler.archive.search import index_pending

FETCHED = "2025-09-01T15:00:00+00:00"
SOURCES = [
    {"id": "ekhmilnyk", "name": "Хмільницька міська рада", "kind": "city_council", "oblast": "Вінницька", "hromada": "Хмільницька",
     "katottg": "UA05120170000013778"},
    {"id": "bucha", "name": "Бучанська міська рада", "kind": "city_council", "oblast": "Київська", "hromada": "Бучанська",
     "katottg": "UA32080070000050759"},
    {"id": "lviv-portal", "name": "Львівський обласний портал", "kind": "regional_portal", "oblast": "Львівська", "hromada": None,
     "katottg": "UA46000000000026241"},
]
# url suffix -> (source, published_at, language, title, text). Each article says громада only in the form noted.
ARTICLES = {
    "session": ("ekhmilnyk", "2025-03-10T11:00:00+02:00", "uk", "Сесія міської ради",
                "Депутати громади ухвалили бюджет на 2025 рік.\nУ школах завершили ремонт укриттів."),
    "park": ("bucha", "2024-11-05T09:30:00+02:00", "uk", "Разом з громадою, \"як завжди\"",
             'Разом з громадою ми відновили парк.\nМешканці кажуть: "Дякуємо, друзі", — і це важливо,\nдуже.'),
    "osbb": ("lviv-portal", "2025-06-01T08:00:00+03:00", "uk", "Об’єднання співвласників отримало грант",
             "Об’єднання співвласників багатоквартирного будинку отримало грант на утеплення."),
    "ru-news": ("ekhmilnyk", "2023-01-15T10:00:00+02:00", "ru", "Новости",
                "Громада провела собрание жителей."),
    "idp": ("bucha", None, "uk", "Оголошення",
            "Соціальні послуги для переселенців у громадах області."),
    "veterans": ("ekhmilnyk", "2025-03-20T12:00:00+02:00", "uk", "Нове об'єднання",
                 "Створено об'єднання ветеранів. Сільська рада підтримала ініціативу."),
    # From a Vinnytsia source but about Volyn (the places tagger finds Волині and Луцьку).
    "volyn": ("ekhmilnyk", "2025-04-02T10:00:00+03:00", "uk", "Допомога Волині",
              "Хмільницькі волонтери передали генератори лікарні у Луцьку."),
}
GROMADA = {"session", "park", "ru-news", "idp"}


def article_row(key: str) -> dict:
    source_id, published_at, language, title, text = ARTICLES[key]
    return {"url": f"https://example.test/{key}", "source_id": source_id, "title": title, "text": text,
            "published_at": published_at, "date_source": "meta" if published_at else None, "language": language,
            "fetched_at": FETCHED, "content_hash": content_hash(title, text), "extractor_version": "test"}


def build_archive(path: Path) -> Path:
    """A small archive filled through Archive.save_article, places tagged and lemma-indexed as the pipelines do."""
    with Archive(path) as archive:
        with archive.db.conn:
            archive.db["sources"].insert_all(SOURCES, pk="id")
        for key in ARTICLES:
            archive.save_article(article_row(key))
        retag_archive(archive.db)
        index_pending(archive.db)
    return path
