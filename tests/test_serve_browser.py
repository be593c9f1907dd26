"""``hromada serve``: Datasette over the archive, checked in-process and in headless Chromium.

The Chromium tests drive Debian's /usr/bin/chromium with Playwright against `hromada serve` on a crawl of the
sample sites, and save a screenshot of each step (set HROMADA_SCREENSHOT_DIR=docs to refresh the README's).
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from crawler.archive.search import SearchQueryError, UnknownPlace, compile_query, resolve_place_filter
from tests.conftest import scrapy_crawl
from tests.test_health import NEW_BODY
from crawler.web import PLUGINS_DIR, TEMPLATES_DIR, datasette_metadata, free_port, search_url, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
HROMADA = Path(sys.executable).parent / "hromada"  # the console script of this environment
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def datasette_app(search_archive: Path):
    """An in-process Datasette configured exactly as `hromada serve` configures it."""
    from datasette.app import Datasette

    return Datasette(immutables=[str(search_archive)], metadata=datasette_metadata(search_archive), plugins_dir=str(PLUGINS_DIR),
                     template_dir=str(TEMPLATES_DIR))


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



# -- the researcher's pages in headless Chromium, against `hromada serve` on a crawl of the sample sites -----------
FAILING_SOURCE = "gromada-gov"  # its server is down for the second crawl
BLOCKING_SOURCE = "dle-portal"  # it answers 403 to the second crawl
SCRIPTED_SOURCE = "wp-hromada"  # its pages carry an inline script that retitles the page, and an analytics tag
CHROMIUM_ARGS = [*CHROMIUM_FLAGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # no name resolves but loopback
REVISED_ARTICLE_SLUG = "hromada-hotuietsia-do-zymy"
EARLIER_SENTENCE = "План затвердять наступного тижня."


def add_revisions(db_path: Path, slug: str) -> int:
    """Two revisions of one article as the archive stores them (the earlier text ended differently)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    with conn:
        article_id, title, text, published_at, fetched_at = conn.execute(
            "select id, title, text, published_at, fetched_at from articles where url like ?", [f"%{slug}%"]).fetchone()
        earlier = text.rsplit("\n", 1)[0] + "\n" + EARLIER_SENTENCE
        conn.executemany("insert into article_revisions (article_id, revision, fetched_at, title, text, published_at) "
                         "values (?, ?, ?, ?, ?, ?)", [(article_id, 1, "2025-08-20T06:00:00+00:00", title, earlier, published_at),
                                                       (article_id, 2, fetched_at, title, text, published_at)])
        conn.execute("update articles set revision = 2 where id = ?", [article_id])
    conn.close()
    return article_id


@pytest.fixture(scope="module")
def demo_archive(sample_sites, tmp_path_factory):
    """The sample sites crawled, then crawled again with one site's server down, one refusing us and one with a new
    article; one article given two revisions."""
    db_path = tmp_path_factory.mktemp("serve-demo") / "demo.db"
    first = scrapy_crawl(db_path, sample_sites)
    assert first.returncode == 0, first.stderr[-3000:]
    sample_sites.set_mode(FAILING_SOURCE, "down")
    sample_sites.set_mode(BLOCKING_SOURCE, "forbidden")
    sample_sites.add_article(SCRIPTED_SOURCE, title="Осінній ремонт доріг у громаді", slug="osinnii-remont", body=NEW_BODY)
    try:
        scrapy_crawl(db_path, sample_sites)
    finally:
        sample_sites.set_mode(FAILING_SOURCE, "ok")
        sample_sites.set_mode(BLOCKING_SOURCE, "ok")
    return db_path, add_revisions(db_path, REVISED_ARTICLE_SLUG)


@pytest.fixture(scope="module")
def served_demo(demo_archive):
    db_path, revised_id = demo_archive
    port = free_port()
    serve = subprocess.Popen([str(HROMADA), "serve", "--db", str(db_path), "--port", str(port), "--no-open"],
                             cwd=ROOT, start_new_session=True)
    try:
        wait_until_listening(port, serve, timeout=90)
        yield f"http://127.0.0.1:{port}", revised_id
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class RecordedPage:
    """A browser tab that records every request it makes, how each failed, and every console message."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="uk-UA")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failures: dict[str, str] = {}
        self.console: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failures.setdefault(request.url, request.failure))
        self.page.on("console", lambda message: self.console.append(message.text))

    def left_loopback(self) -> list[str]:
        """Requests to anywhere but 127.0.0.1 that the browser did not stop itself (Chromium reports a request the
        Content-Security-Policy refused as a request that failed with "csp", before it reaches the network)."""
        self.page.wait_for_load_state("networkidle")
        return [url for url in self.requests
                if urlsplit(url).hostname != "127.0.0.1" and self.failures.get(url) != "csp"]

    def blocked_by_policy(self) -> list[str]:
        return [url for url, failure in self.failures.items() if failure == "csp"]

    def screenshot(self, name: str, directory: Path, full_page: bool = False) -> Path:
        path = directory / name
        self.page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 5_000
        return path


@pytest.fixture
def tab(browser):
    recorded = RecordedPage(browser)
    yield recorded
    recorded.context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    chosen = os.environ.get("HROMADA_SCREENSHOT_DIR")
    return (ROOT / chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def facet_counts(page, facet: str) -> dict[str, int]:
    items = page.locator(f'section[data-facet="{facet}"] li a')
    return {items.nth(i).locator("span").first.inner_text(): int(items.nth(i).locator(".count").inner_text())
            for i in range(items.count())}


@pytest.mark.browser
def test_search_shows_facet_counts_and_a_timeline_then_a_facet_narrows_it(served_demo, tab, screenshots):
    base, _ = served_demo
    tab.page.goto(base + "/")
    tab.page.fill('input[name="q"]', "громада")
    tab.page.press('input[name="q"]', "Enter")
    tab.page.wait_for_selector(".hit")
    total = int(tab.page.locator(".total").get_attribute("data-total"))
    sources = facet_counts(tab.page, "source")
    assert total >= 5 and sum(sources.values()) == total and len(sources) >= 3
    assert facet_counts(tab.page, "oblast") and facet_counts(tab.page, "language")
    bars = tab.page.locator("svg.chart rect")
    assert bars.count() >= 1 and sum(int(bars.nth(i).get_attribute("data-count")) for i in range(bars.count())) <= total
    assert tab.page.locator(".snippet mark").count() >= 1
    tab.screenshot("serve-search.png", screenshots)

    name, count = next(iter(sources.items()))
    tab.page.locator('section[data-facet="source"] li a', has_text=name).click()
    tab.page.wait_for_selector('section[data-facet="source"] a.selected')
    assert int(tab.page.locator(".total").get_attribute("data-total")) == count
    assert facet_counts(tab.page, "source") == {name: count}
    assert tab.page.locator(".hit").count() == min(count, 50)
    tab.screenshot("serve-facet.png", screenshots)
    assert tab.left_loopback() == [] and tab.blocked_by_policy() == []


@pytest.mark.browser
def test_article_page_shows_provenance_places_and_revisions(served_demo, tab, screenshots):
    base, revised_id = served_demo
    tab.page.goto(base + "/?" + urlencode({"q": "готується до зими"}))
    tab.page.locator(f'.hit a[href="/article/{revised_id}"]').click()
    tab.page.wait_for_selector("h1")
    assert tab.page.locator("h1").inner_text().startswith("Громада готується до зими")
    assert tab.page.locator("code.date-source").inner_text()
    assert re.search(r"UA\d{17}", tab.page.locator("ul.places").inner_text())
    assert REVISED_ARTICLE_SLUG in tab.page.locator("a.original-url").get_attribute("href")
    deleted = tab.page.locator(".revision .diff .del").all_inner_texts()
    assert any(EARLIER_SENTENCE in line for line in deleted)
    tab.screenshot("serve-article.png", screenshots, full_page=True)
    assert tab.left_loopback() == [] and tab.blocked_by_policy() == []


@pytest.mark.browser
def test_snapshot_runs_no_script_and_fetches_nothing_beyond_loopback(served_demo, tab, screenshots):
    base, revised_id = served_demo
    tab.page.goto(f"{base}/article/{revised_id}")
    with tab.page.expect_navigation():
        tab.page.click("a.snapshot-link")
    tab.page.wait_for_selector("#hromada-snapshot-banner")
    assert tab.page.title() != "SCRIPT RAN" and "Громада готується до зими" in tab.page.title()
    assert tab.page.locator("html").get_attribute("data-script-ran") is None
    assert "Громада готується до зими" in tab.page.locator("h1.entry-title").inner_text()  # the page as it was fetched
    banner = tab.page.locator("#hromada-snapshot-banner").inner_text()
    assert REVISED_ARTICLE_SLUG in banner and "Скрипти та зовнішні запити вимкнено" in banner
    assert tab.left_loopback() == [], tab.requests
    assert any(urlsplit(url).hostname == "mc.yandex.ru" for url in tab.blocked_by_policy())  # it did try
    assert any("sandboxed" in message and "allow-scripts" in message for message in tab.console), tab.console
    tab.screenshot("serve-snapshot.png", screenshots)


@pytest.mark.browser
def test_sources_page_gives_each_sample_source_its_verdict(served_demo, tab, screenshots, sample_sites):
    base, _ = served_demo
    tab.page.goto(base + "/sources?lang=en")
    rows = tab.page.locator("tr[data-source]")
    verdicts = {rows.nth(i).get_attribute("data-source"): rows.nth(i).get_attribute("data-verdict") for i in range(rows.count())}
    assert verdicts == {FAILING_SOURCE: "unreachable", BLOCKING_SOURCE: "blocked", "joomla-rada": "quiet",
                        "drupal-oblast": "quiet", "legacy-rada": "quiet", SCRIPTED_SOURCE: "ok"}
    assert list(verdicts)[:2] == [FAILING_SOURCE, BLOCKING_SOURCE]  # worst first
    assert tab.page.locator(".summary-line").inner_text() == "6 sources. 3 quiet, 1 unreachable, 1 blocked, 1 OK"
    assert tab.page.locator(f'tr[data-source="{FAILING_SOURCE}"] .verdict').inner_text() == "unreachable"
    assert tab.page.locator(f'tr[data-source="{SCRIPTED_SOURCE}"] svg.sparkline').get_attribute("data-total") != "0"
    tab.screenshot("serve-sources.png", screenshots)
    tab.page.goto(base + "/sources")  # the cookie keeps English
    assert tab.page.locator("html").get_attribute("lang") == "en"
    assert tab.left_loopback() == [] and tab.blocked_by_policy() == []
