"""The researcher's pages of `hromada serve` (crawler/web/plugins/hromada_pages.py), requested in-process."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import re
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner
from markupsafe import escape

from crawler.archive.search import SearchQueryError, compile_query
from crawler.cli import main
from crawler.web import views
from tests.test_serve_browser import datasette_app

SNAPSHOT_HTML = """<html><head><meta charset="windows-1251"><title>Разом з громадою</title>
<meta http-equiv="refresh" content="0; url=https://elsewhere.example/">
<script>document.title = "SCRIPT RAN"</script></head>
<body class="post"><h1>Разом з громадою</h1><p>Ми відновили парк.</p></body></html>"""
SNAPSHOT_FETCHED = "2025-09-01T15:00:00+00:00"


def get(archive: Path, path: str, **kwargs):
    return asyncio.run(datasette_app(archive).client.get(path, **kwargs))


def article_id(archive: Path, slug: str) -> int:
    with sqlite3.connect(archive) as conn:
        return conn.execute("select id from articles where url = ?", [f"https://example.test/{slug}"]).fetchone()[0]


@pytest.fixture(scope="module")
def web_archive(search_archive, tmp_path_factory) -> Path:
    """The search archive with a stored raw page, two revisions, a removed article, a story and two crawl runs."""
    path = tmp_path_factory.mktemp("web") / "archive.db"
    shutil.copy(search_archive, path)
    conn = sqlite3.connect(path)
    ids = {slug: conn.execute("select id from articles where url = ?", [f"https://example.test/{slug}"]).fetchone()[0]
           for slug in ("park", "session", "veterans", "osbb")}
    with conn:
        conn.execute("insert or replace into raw_pages (article_id, fetched_url, fetched_at, http_status, content_type, "
                     "encoding, html_gz) values (?, ?, ?, 200, 'text/html', 'windows-1251', ?)",
                     [ids["park"], "https://example.test/park?utm_source=x", SNAPSHOT_FETCHED,
                      gzip.compress(SNAPSHOT_HTML.encode("windows-1251"))])
        text = conn.execute("select text from articles where id = ?", [ids["session"]]).fetchone()[0]
        conn.executemany("insert into article_revisions (article_id, revision, fetched_at, title, text) values (?, ?, ?, ?, ?)",
                         [(ids["session"], 1, "2025-03-10T12:00:00+00:00", "Сесія ради", text.replace("2025", "2024")),
                          (ids["session"], 2, "2025-03-11T12:00:00+00:00", "Сесія міської ради", text)])
        conn.execute("update articles set revision = 2 where id = ?", [ids["session"]])
        conn.execute("update articles set removed_at = '2025-10-01T06:00:00+00:00' where id = ?", [ids["osbb"]])
        conn.execute("update articles set story_id = ?, is_original = (id = ?) where id in (?, ?)",
                     [ids["session"], ids["session"], ids["session"], ids["veterans"]])
        for run_id, day in ((1, "2025-09-01"), (2, "2025-09-08")):
            conn.execute("insert into runs (id, started_at, finished_at, status) values (?, ?, ?, 'finished')",
                         [run_id, f"{day}T06:00:00+00:00", f"{day}T06:05:00+00:00"])
        conn.executemany("insert into run_sources (run_id, source_id, pages, articles_new, articles_updated, "
                         "articles_unchanged, dropped, errors, status) values (?, ?, ?, ?, 0, 0, '{}', ?, ?)",
                         [(1, "ekhmilnyk", 9, 4, "{}", "ok"), (1, "bucha", 5, 2, "{}", "ok"),
                          (2, "ekhmilnyk", 9, 1, '{"http_404": 1}', "ok"), (2, "bucha", 0, 0, '{"refused": 3}', "unreachable")])
    conn.close()
    return path


def facet(page_html: str, name: str) -> dict[str, int]:
    section = re.search(rf'<section class="facet" data-facet="{name}">(.*?)</section>', page_html, re.S).group(1)
    return {label: int(count) for label, count in
            re.findall(r'<span>([^<]*)</span><span class="count">(\d+)</span>', section)}


def total(page_html: str) -> int:
    return int(re.search(r'data-total="(\d+)"', page_html).group(1))


def search_page(archive: Path, **parameters):
    return get(archive, "/?" + urlencode(parameters))


# -- search ------------------------------------------------------------------------
def test_search_counts_every_match_by_oblast_hromada_source_and_language(web_archive):
    page = search_page(web_archive, q="громада").text
    assert total(page) == 4
    assert facet(page, "source") == {"Бучанська міська рада": 2, "Хмільницька міська рада": 2}
    assert facet(page, "language") == {"uk": 3, "ru": 1}
    assert facet(page, "oblast") == {"Вінницька": 2, "Київська": 2}
    assert facet(page, "hromada") == {"Бучанська": 2, "Хмільницька": 2}


def test_a_facet_link_narrows_the_search_and_clicked_again_clears_it(web_archive):
    page = search_page(web_archive, q="громада").text
    link = re.search(r'<a href="([^"]*)" class="" data-value="UA05\d+"', page).group(1).replace("&amp;", "&")
    narrowed = get(web_archive, "/" + link).text
    assert total(narrowed) == 2 and facet(narrowed, "oblast") == {"Вінницька": 2}
    cleared = re.search(r'<a href="([^"]*)" class="selected"', narrowed).group(1).replace("&amp;", "&")
    assert total(get(web_archive, "/" + cleared).text) == 4


def test_the_oblast_facet_counts_the_places_an_article_is_about(web_archive):
    page = search_page(web_archive, q="генератор").text  # a Vinnytsia source writing about Volyn
    assert facet(page, "oblast") == {"Вінницька": 1, "Волинська": 1}
    assert total(search_page(web_archive, q="генератор", oblast="UA07000000000024379").text) == 1


def test_a_date_range_keeps_articles_published_within_it(web_archive):
    page = search_page(web_archive, since="2025-03-01", until="2025-03-31").text
    assert total(page) == 2 and "Сесія міської ради" in page and "Нове об&#39;єднання" in page


def test_without_a_query_the_page_lists_the_newest_articles_with_facets(web_archive):
    page = search_page(web_archive).text
    assert total(page) == 7 and sum(facet(page, "source").values()) == 7
    titles = re.findall(r'<h2><a href="/article/\d+">([^<]*)</a></h2>', page)
    assert titles[0] == "Об’єднання співвласників отримало грант"  # published 2025-06-01, the newest


def test_the_timeline_shows_every_month_between_the_first_and_last_match(web_archive):
    page = search_page(web_archive, q="громада").text
    bars = re.findall(r'data-period="([^"]+)" data-count="(\d+)"', page)
    assert bars[0] == ("2023-01", "1") and bars[-1] == ("2025-03", "1") and len(bars) == 27
    assert sum(int(count) for _, count in bars) == 3 and "без дати: 1" in page  # the fourth match is undated


def test_a_short_timeline_counts_per_week():
    period, series, undated = views._timeline({date(2025, 3, 3): 1, date(2025, 3, 19): 1}, total=3)
    assert period == "week" and undated == 1
    assert series == [("2025-03-03", 1), ("2025-03-10", 0), ("2025-03-17", 1)]


def test_snippets_mark_the_matched_forms_and_escape_the_rest(web_archive):
    page = search_page(web_archive, q="громада").text
    assert "Разом з <mark>громадою</mark> ми відновили парк. Мешканці кажуть: &#34;Дякуємо" in page


@pytest.mark.parametrize("parameters", [{"q": "AND"}, {"q": "громада AND (школа"}])
def test_a_malformed_query_gets_the_message_of_hromada_search(web_archive, parameters):
    response = search_page(web_archive, **parameters)
    with pytest.raises(SearchQueryError) as raised:
        compile_query(parameters["q"])
    assert response.status_code == 400 and f'<p class="error" role="alert">{escape(str(raised.value))}</p>' in response.text


@pytest.mark.parametrize("parameters, message", [
    ({"since": "2025-13-01"}, "дата &#39;2025-13-01&#39; не у форматі РРРР-ММ-ДД"),
    ({"since": "2025-05-01", "until": "2025-04-01"}, "дата «від» пізніша за «до»"),
    ({"oblast": "Нетакої"}, "no oblast of that name or code in the KATOTTG codifier"),
])
def test_bad_filters_get_a_one_line_error(web_archive, parameters, message):
    response = search_page(web_archive, **parameters)
    assert response.status_code == 400 and message in response.text and "Traceback" not in response.text


def test_the_export_link_gives_what_hromada_export_writes(web_archive, tmp_path):
    page = search_page(web_archive, q="громада", sort="newest").text
    link = re.search(r'<a class="export" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = get(web_archive, link)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(bundle.namelist()) == ["hromada-export.codebook.csv", "hromada-export.csv", "hromada-export.manifest.json"]
    output = tmp_path / "hromada-export.csv"
    result = CliRunner().invoke(main, ["export", "громада", "--sort", "newest", "--db", str(web_archive), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert bundle.read("hromada-export.csv") == output.read_bytes()
    manifest = json.loads(bundle.read("hromada-export.manifest.json"))
    assert manifest["rows"] == 4 and manifest["query"] == "громада"
    assert manifest["sha256"] == json.loads((tmp_path / "hromada-export.manifest.json").read_text())["sha256"]
    assert len(list(csv.reader(io.StringIO(bundle.read("hromada-export.csv").decode())))) == 5


def test_the_export_of_a_facet_keeps_its_filter(web_archive):
    bundle = zipfile.ZipFile(io.BytesIO(get(web_archive, "/export.zip?" + urlencode({"source": "bucha"})).content))
    manifest = json.loads(bundle.read("hromada-export.manifest.json"))
    assert manifest["filters"]["source"] == ["bucha"] and manifest["rows"] == 2


def test_the_sql_stays_one_small_link_away(web_archive):
    page = search_page(web_archive, q="громада").text
    assert f'href="/{web_archive.stem}/search?q={quote("громада")}"' in page and 'class="sql-link"' in page


# -- language ----------------------------------------------------------------------
def test_pages_are_ukrainian_unless_english_is_chosen_and_the_choice_is_kept(web_archive):
    assert '<html lang="uk">' in search_page(web_archive).text and "Знайдено статей" in search_page(web_archive).text
    english = search_page(web_archive, q="громада", lang="en")
    assert '<html lang="en">' in english.text and "4 articles found" in english.text
    assert "hromada_lang=en" in english.headers["set-cookie"]
    again = get(web_archive, "/sources", cookies={"hromada_lang": "en"})
    assert "Last successful run" in again.text and 'href="?lang=uk"' in again.text


# -- one article ----------------------------------------------------------------------
def test_article_page_shows_date_provenance_source_places_and_url(web_archive):
    page = get(web_archive, f"/article/{article_id(web_archive, 'volyn')}").text
    assert "<h1>Допомога Волині</h1>" in page and "2025-04-02T10:00:00+03:00" in page
    assert '<code class="date-source">meta</code>' in page and "Хмільницька міська рада" in page
    assert "UA07000000000024379" in page and "Волинська" in page  # a place the text names, with its code
    assert 'href="https://example.test/volyn"' in page
    assert "Хмільницькі волонтери передали генератори лікарні у Луцьку." in page


def test_article_page_lists_the_story_original_first(web_archive):
    page = get(web_archive, f"/article/{article_id(web_archive, 'veterans')}").text
    story = re.search(r'<div class="card story">(.*?)</div>', page, re.S).group(1)
    assert story.index("Сесія міської ради") < story.index("Нове об&#39;єднання")
    assert "першоджерело" in story and "передрук" in story


def test_article_page_diffs_consecutive_revisions(web_archive):
    page = get(web_archive, f"/article/{article_id(web_archive, 'session')}").text
    assert 'data-revision="1"' in page and 'data-revision="2"' in page
    assert '<span class="del">- Сесія ради</span>' in page and '<span class="add">+ Сесія міської ради</span>' in page
    assert '<span class="del">- Депутати громади ухвалили бюджет на 2024 рік.</span>' in page


def test_an_archive_without_revisions_shows_none(search_archive):
    page = get(search_archive, f"/article/{article_id(search_archive, 'session')}").text
    assert page.count('class="card revisions"') == 0 and "<h1>Сесія міської ради</h1>" in page


def test_article_page_flags_an_article_the_publisher_removed(web_archive):
    page = get(web_archive, f"/article/{article_id(web_archive, 'osbb')}").text
    assert '<p class="removed" role="alert">Видалено видавцем: сторінка зникла 2025-10-01T06:00:00+00:00.</p>' in page
    assert 'class="removed"' not in get(web_archive, f"/article/{article_id(web_archive, 'park')}").text


def test_an_unknown_article_is_a_404_page(web_archive):
    response = get(web_archive, "/article/999999")
    assert response.status_code == 404 and "Статті 999999 немає в архіві." in response.text


# -- the archived page --------------------------------------------------------------------
def test_snapshot_is_the_stored_page_under_a_policy_that_runs_no_script_and_fetches_nothing(web_archive):
    park = article_id(web_archive, "park")
    assert f'href="/article/{park}/snapshot"' in get(web_archive, f"/article/{park}").text
    response = get(web_archive, f"/article/{park}/snapshot")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Разом з громадою</h1><p>Ми відновили парк.</p>" in response.text  # decoded from windows-1251
    assert "http-equiv" not in response.text  # no refresh to take the reader elsewhere


def test_snapshot_banner_says_when_and_from_where_it_was_archived(web_archive):
    text = get(web_archive, f"/article/{article_id(web_archive, 'park')}/snapshot").text
    banner = text[text.index('<body class="post">'):text.index("<h1>")]
    assert "https://example.test/park?utm_source=x" in banner and SNAPSHOT_FETCHED in banner


def test_an_article_without_a_stored_page_has_no_snapshot(web_archive):
    volyn = article_id(web_archive, "volyn")
    assert get(web_archive, f"/article/{volyn}/snapshot").status_code == 404
    assert "snapshot-link" not in get(web_archive, f"/article/{volyn}").text


# -- sources --------------------------------------------------------------------------
def test_sources_page_gives_each_source_its_verdict_worst_first(web_archive):
    page = get(web_archive, "/sources").text
    rows = re.findall(r'<tr data-source="([^"]+)" data-verdict="([^"]+)">', page)
    assert rows == [("bucha", "unreachable"), ("ekhmilnyk", "ok"), ("lviv-portal", "never_crawled")]
    assert "Джерел: 3. 1 недоступне, 1 OK, 1 ще не обходили" in page
    assert "refused ×3" in page and "http_404 ×1" in page
    assert re.search(r'1 <span class="muted small">\(зазвичай 4\)</span>', page)  # ekhmilnyk: 1 new, usually 4


def test_sources_page_draws_articles_per_week_up_to_the_last_crawl(web_archive):
    page = get(web_archive, "/sources").text
    lines = dict(re.findall(r'<tr data-source="([^"]+)".*?data-total="(\d+)"', page, re.S))
    assert lines == {"bucha": "0", "ekhmilnyk": "2", "lviv-portal": "1"}  # the 26 weeks from 2025-03-17 to 2025-09-08


def test_the_search_page_answers_in_json_too(web_archive):
    body = search_page(web_archive, q="громада", _format="json").json()
    assert body["ok"] is True and body["total"] == 4 and len(body["hits"]) == 4
    assert {"value": "bucha", "label": "Бучанська міська рада", "count": 2} in body["facets"]["source"]
    assert body["period"] == "month" and sum(point["articles"] for point in body["timeline"]) == 3
    assert any("<mark>громадою</mark>" in hit["snippet"] for hit in body["hits"])
    bad = search_page(web_archive, q="AND", _format="json")
    assert bad.status_code == 400 and bad.json()["ok"] is False and "AND" in bad.json()["error"]
    assert "Бучанська" in search_page(web_archive, q="громада", _format="json").text  # not \\u-escaped
