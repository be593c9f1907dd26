"""``hromada serve``: Datasette over the archive, checked in-process and in headless Chromium."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from crawler.web import PLUGINS_DIR, datasette_metadata, free_port, search_url, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
HROMADA = Path(sys.executable).parent / "hromada"  # the console script of this environment
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def datasette_get(search_archive: Path, path: str):
    """One request to an in-process Datasette configured exactly as `hromada serve` configures it."""
    from datasette.app import Datasette

    app = Datasette(immutables=[str(search_archive)], metadata=datasette_metadata(search_archive), plugins_dir=str(PLUGINS_DIR))
    return asyncio.run(app.client.get(path))


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


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_canned_oblast_search_refuses_an_unknown_oblast(search_archive):
    response = search_in_oblast(search_archive, "громада", "Нетакої")
    assert response.status_code == 400 and response.json()["rows"] == []


def search_in_oblast(search_archive: Path, query: str, oblast: str):
    parameters = {"q": query, "oblast": oblast, "since": "2025-01-01", "until": "2025-12-31"}
    return datasette_get(search_archive, "/archive/search_in_oblast.json?_shape=array&" + "&".join(
        f"{key}={quote(value)}" for key, value in parameters.items()))


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
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
