"""``hromada serve``: Datasette over the archive, checked in-process and in headless Chromium."""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from crawler.archive.search import SearchQueryError, UnknownPlace, compile_query, resolve_place_filter
from crawler.web import PLUGINS_DIR, datasette_metadata, free_port, search_url, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
HROMADA = Path(sys.executable).parent / "hromada"  # the console script of this environment
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def datasette_app(search_archive: Path):
    """An in-process Datasette configured exactly as `hromada serve` configures it."""
    from datasette.app import Datasette

    return Datasette(immutables=[str(search_archive)], metadata=datasette_metadata(search_archive), plugins_dir=str(PLUGINS_DIR))


def datasette_get(search_archive: Path, path: str):
    return asyncio.run(datasette_app(search_archive).client.get(path))


def datasette_get_in_turn(search_archive: Path, paths: list[str]) -> list:
    """Requests to one Datasette (so to the same SQL threads and connections), each after the last."""
    async def in_turn(app):
        return [await app.client.get(path) for path in paths]
    return asyncio.run(in_turn(datasette_app(search_archive)))


def datasette_get_at_once(search_archive: Path, paths: list[str]) -> list:
    """Requests to one Datasette, all in flight together."""
    async def at_once(app):
        return await asyncio.gather(*(app.client.get(path) for path in paths))
    return asyncio.run(at_once(datasette_app(search_archive)))


def test_canned_search_is_lemmatized_and_highlights_the_original_text(search_archive):
    response = datasette_get(search_archive, "/archive/search.json?_shape=array&q=" + quote("громада"))
    assert response.status_code == 200, response.text
    rows = response.json()
    assert {row["url"].rsplit("/", 1)[1] for row in rows} == {"session", "park", "ru-news", "idp"}
    park = next(row for row in rows if row["url"].endswith("/park"))
    assert park["source"] == "Бучанська міська рада" and "<mark>громадою</mark>" in park["snippet"]


def test_browse_view_has_facets_and_csv(search_archive):
    response = datasette_get(search_archive, "/archive/articles_browse.json?_facet=oblast&_facet=month")
    facets = response.json()["facet_results"]
    assert {item["value"] for item in facets["oblast"]["results"]} == {"Вінницька", "Київська", "Львівська"}
    assert "2025-03" in {item["value"] for item in facets["month"]["results"]}
    csv_text = datasette_get(search_archive, "/archive/articles_browse.csv?oblast=" + quote("Київська")).text
    assert csv_text.startswith("id,published_at,month,source") and "Бучанська міська рада" in csv_text


def test_canned_counts_and_oblast_search(search_archive):
    per_month = datasette_get(search_archive, "/archive/articles_per_month_per_source.json?_shape=array").json()
    assert {"month": "2025-03", "source": "Хмільницька міська рада", "oblast": "Вінницька", "articles": 2} in per_month
    found = search_in_oblast(search_archive, "громада", "Вінницька").json()
    assert [row["url"] for row in found] == ["https://example.test/session"]


def test_canned_oblast_search_keeps_articles_about_the_oblast(search_archive):
    about_volyn = search_in_oblast(search_archive, "генератор", "Волинська").json()
    assert [row["url"] for row in about_volyn] == ["https://example.test/volyn"]  # its source is in Вінницька


def test_canned_oblast_search_refuses_an_unknown_oblast(search_archive):
    response = search_in_oblast(search_archive, "громада", "Нетакої")
    assert response.status_code == 400 and response.json()["rows"] == []
    error = response.json()["error"]
    assert error == place_error("Нетакої")
    assert "'Нетакої'" in error and "no oblast of that name or code in the KATOTTG codifier" in error


def test_canned_oblast_search_page_names_the_unknown_oblast(search_archive):
    response = datasette_get(search_archive, search_in_oblast_path("громада", "Нетакої", extension=""))
    assert response.status_code == 400 and page_error(response) == place_error("Нетакої")


MALFORMED_QUERIES = ['"незакрита лапка', "AND", "громада NEAR(", "громада AND (школа"]


@pytest.mark.parametrize("query", MALFORMED_QUERIES)
def test_canned_search_json_names_what_is_wrong_with_a_malformed_query(search_archive, query):
    response = datasette_get(search_archive, "/archive/search.json?_shape=array&q=" + quote(query))
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["rows"] == []
    assert body["error"] == query_error(query)


@pytest.mark.parametrize("query", MALFORMED_QUERIES)
def test_canned_search_page_names_what_is_wrong_with_a_malformed_query(search_archive, query):
    response = datasette_get(search_archive, "/archive/search?q=" + quote(query))
    assert response.status_code == 400 and page_error(response) == query_error(query)


def test_canned_search_says_what_a_query_needs(search_archive):
    body = datasette_get(search_archive, "/archive/search.json?q=" + quote("«»")).json()
    assert body["error"].startswith("cannot search for '«»': the query has no letters or digits to search for")


def test_empty_search_forms_show_no_error(search_archive):
    for path in ("/archive/search", "/archive/search_in_oblast"):
        page = datasette_get(search_archive, path)
        assert page.status_code == 200 and page_error(page) is None
        for name in PARAMETERS_OF[path.rsplit("/", 1)[1]]:
            assert f'name="{name}"' in page.text


def test_a_good_query_after_a_bad_one_shows_no_stale_error(search_archive):
    bad_query, bad_oblast, good = search_path("AND"), search_in_oblast_path("громада", "Нетакої"), search_path("громада")
    good_in_oblast = search_in_oblast_path("громада", "Вінницька")
    responses = datasette_get_in_turn(search_archive, [bad_query, good, bad_oblast, good_in_oblast, good.replace(".json", "")])
    assert [response.status_code for response in responses] == [400, 200, 400, 200, 200]
    assert responses[1].json()["error"] is None and len(responses[1].json()["rows"]) == 4
    assert responses[3].json()["error"] is None and len(responses[3].json()["rows"]) == 1
    assert page_error(responses[4]) is None and "<mark>громадою</mark>" in responses[4].text


def test_errors_of_requests_in_flight_together_stay_their_own(search_archive):
    queries = ["AND", "громада", '"незакрита лапка', "генератор", "громада NEAR(", "громада"] * 3
    responses = datasette_get_at_once(search_archive, [search_path(query) for query in queries])
    for query, response in zip(queries, responses):
        if query in MALFORMED_QUERIES:
            assert response.status_code == 400 and response.json()["error"] == query_error(query)
        else:
            assert response.status_code == 200 and response.json()["error"] is None and response.json()["rows"]


PARAMETERS_OF = {"search": ["q"], "search_in_oblast": ["q", "oblast", "since", "until"]}


def query_error(query: str) -> str:
    """What `hromada search` says of a malformed query: the parser's own message."""
    with pytest.raises(SearchQueryError) as raised:
        compile_query(query)
    return f"cannot search for {query!r}: {raised.value}"


def place_error(oblast: str) -> str:
    with pytest.raises(UnknownPlace) as raised:
        resolve_place_filter("oblast", oblast, "oblast")
    return str(raised.value)


def page_error(response) -> str | None:
    return dom_error(response.text)


def dom_error(page_html: str) -> str | None:
    """The error message an HTML page shows, as text."""
    shown = re.findall(r'<p class="message-error">(.*?)</p>', page_html, re.S)
    assert len(shown) <= 1, shown
    return html.unescape(shown[0]) if shown else None


def search_path(query: str) -> str:
    return "/archive/search.json?q=" + quote(query)


def search_in_oblast_path(query: str, oblast: str, extension: str = ".json") -> str:
    parameters = {"q": query, "oblast": oblast, "since": "2025-01-01", "until": "2025-12-31"}
    return f"/archive/search_in_oblast{extension}?" + urlencode(parameters)


def search_in_oblast(search_archive: Path, query: str, oblast: str):
    return datasette_get(search_archive, search_in_oblast_path(query, oblast) + "&_shape=array")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
def test_cyrillic_search_in_headless_chromium(search_archive, tmp_path):
    port = free_port()
    serve = subprocess.Popen([str(HROMADA), "serve", "--db", str(search_archive), "--port", str(port), "--no-open"],
                             cwd=ROOT, start_new_session=True)
    try:
        wait_until_listening(port, serve, timeout=90)
        url = search_url(search_archive, port, "громада")
        page = chromium("--dump-dom", url, profile=tmp_path / "profile")
        assert page.returncode == 0, page.stderr[-2000:]
        assert "Разом з громадою" in page.stdout and "<mark>громадою</mark>" in page.stdout
        assert "Депутати <mark>громади</mark> ухвалили бюджет" in page.stdout
        screenshot = tmp_path / "serve-search.png"
        shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,1000", url, profile=tmp_path / "profile")
        assert shot.returncode == 0 and screenshot.stat().st_size > 10_000
        malformed = chromium("--dump-dom", search_url(search_archive, port, "громада NEAR("), profile=tmp_path / "profile")
        assert malformed.returncode == 0 and dom_error(malformed.stdout) == query_error("громада NEAR(")
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
