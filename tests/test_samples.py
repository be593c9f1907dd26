"""The sample sites server: content, charsets, feeds, sitemaps, conditional requests, modes, ground truth."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime

import lxml.html
import pytest

from crawler.crawl.samples import BOILERPLATE_PHRASES, KYIV, SampleSites, expected_articles

NOW = datetime(2025, 9, 1, 18, 0, tzinfo=KYIV)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "atom": "http://www.w3.org/2005/Atom",
      "news": "http://www.google.com/schemas/sitemap-news/0.9"}


def fetch(url: str, headers: dict | None = None, method: str = "GET", timeout: float = 5):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page_text(body: bytes, content_type: str) -> str:
    charset = "cp1251" if "1251" in content_type or b"windows-1251" in body[:2048] else "utf-8"
    tree = lxml.html.document_fromstring(body.decode(charset))
    return " ".join(tree.text_content().split())


@pytest.fixture(scope="module")
def sites():
    with SampleSites(now=NOW) as running:
        yield running


@pytest.fixture
def fresh_sites():
    """A private server for tests that change modes or content."""
    with SampleSites(now=NOW, slow_delay=1.0) as running:
        yield running


def test_every_site_has_its_own_loopback_port(sites):
    bases = sites.base_urls
    assert len(bases) == 6
    assert all(base.startswith("http://127.0.0.1:") for base in bases.values())
    assert len(set(bases.values())) == len(bases)
    for site in sites._sites.values():
        assert site.server.server_address[0] == "127.0.0.1"


def test_registry_loads_with_base_urls(sites):
    sources = {source.id: source for source in sites.registry()}
    assert set(sources) == set(sites.base_urls)
    for source_id, source in sources.items():
        assert source.homepage.startswith(sites.base_urls[source_id])
    assert not sources["wp-hromada"].discovery.feeds and not sources["gromada-gov"].discovery.sitemaps


def test_ground_truth_covers_about_forty_articles(sites):
    truth = sites.expected_articles()
    assert 35 <= len(truth) <= 45
    assert len({article.url for article in truth}) == len(truth)
    assert {article.date_source for article in truth} >= {"jsonld", "meta", "time", "visible", "url"}
    assert {article.language for article in truth} == {"uk", "ru"}
    offsets = {article.published_at[-6:] for article in truth}
    assert offsets == {"+02:00", "+03:00"}  # winter and summer in Kyiv
    assert truth == expected_articles(NOW, sites.base_urls)


def test_every_expected_article_page_has_title_and_sentences(sites):
    for article in sites.expected_articles():
        status, headers, body = fetch(article.url)
        assert status == 200, article.url
        text = page_text(body, headers.get("Content-Type", ""))
        assert article.title in text, article.url
        assert len(article.sentences) >= 2
        for sentence in article.sentences:
            assert sentence in text, (article.url, sentence)


def test_boilerplate_phrases_really_are_on_the_article_pages(sites):
    seen: set[str] = set()
    for article in sites.expected_articles():
        status, headers, body = fetch(article.url)
        text = page_text(body, headers.get("Content-Type", ""))
        found = {phrase for phrase in BOILERPLATE_PHRASES if phrase in text}
        assert len(found) >= 4, article.url
        seen |= found
        for sentence in article.sentences:
            assert not any(phrase in sentence for phrase in BOILERPLATE_PHRASES), sentence
    assert seen == BOILERPLATE_PHRASES


def test_legacy_pages_declare_windows_1251_in_header_or_meta_only(sites):
    base = sites.base_urls["legacy-rada"]
    status, headers, body = fetch(base + "/news/view.php?id=412")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=windows-1251"
    assert b"charset" not in body.lower()
    assert "Визначення потреб населення" in body.decode("cp1251")
    status, headers, body = fetch(base + "/news/view.php?id=413")
    assert headers["Content-Type"] == "text/html"
    assert b'content="text/html; charset=windows-1251"' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert fetch(base + "/robots.txt")[0] == 404


def test_feeds_parse_and_link_to_article_pages(sites):
    known = {article.url for article in sites.expected_articles()}
    blocked = sites.url_of(next(a for a in sites.articles("drupal-oblast") if a.robots_blocked))
    rss_links = []
    for source_id, path in (("wp-hromada", "/feed/"), ("dle-portal", "/rss.xml")):
        status, headers, body = fetch(sites.base_urls[source_id] + path)
        assert status == 200 and "rss+xml" in headers["Content-Type"]
        rss_links += [item.findtext("link") for item in ET.fromstring(body).iter("item")]
    assert len(rss_links) == 6 + 5  # DLE's feed carries only the latest five
    status, headers, body = fetch(sites.base_urls["drupal-oblast"] + "/news/feed.atom")
    atom_links = [entry.find("atom:link", NS).get("href") for entry in ET.fromstring(body).iter(f"{{{NS['atom']}}}entry")]
    assert blocked in atom_links
    assert set(rss_links) | set(atom_links) - {blocked} <= known


def test_wordpress_feed_is_autodiscovered_from_the_homepage(sites):
    base = sites.base_urls["wp-hromada"]
    tree = lxml.html.document_fromstring(fetch(base + "/")[2])
    assert tree.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [base + "/feed/"]


def test_sitemap_indexes_from_robots_resolve(sites):
    known = {article.url for article in sites.expected_articles()}
    for source_id in ("gromada-gov", "dle-portal"):
        base = sites.base_urls[source_id]
        robots = fetch(base + "/robots.txt")[2].decode()
        index_url = next(line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Sitemap:"))
        index = ET.fromstring(fetch(index_url)[2])
        locs = []
        for sub_url in [loc.text for loc in index.iter(f"{{{NS['sm']}}}loc")]:
            status, _, body = fetch(sub_url)
            assert status == 200
            locs += [loc.text for loc in ET.fromstring(body).iter(f"{{{NS['sm']}}}loc")]
        own = {article.url for article in sites.expected_articles() if article.source_id == source_id}
        assert own <= set(locs) <= known
    news = ET.fromstring(fetch(sites.base_urls["dle-portal"] + "/uploads/google_news.xml")[2])
    assert len(news.findall(".//news:publication_date", NS)) == 3


def test_feeds_answer_conditional_requests_with_304(sites):
    url = sites.base_urls["wp-hromada"] + "/feed/"
    status, headers, _ = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})[0] == 200
    assert fetch(url, {"If-Modified-Since": "not a date"})[0] == 200
    sitemap = sites.base_urls["gromada-gov"] + "/sitemap/news-1.xml"
    assert fetch(sitemap, {"If-None-Match": fetch(sitemap)[1]["ETag"]})[0] == 304


def test_duplicate_urls_point_to_one_canonical(sites):
    article = next(a for a in sites.expected_articles() if a.source_id == "dle-portal")
    news_id = article.url.rsplit("/", 1)[1].split("-", 1)[0]
    status, _, body = fetch(sites.base_urls["dle-portal"] + f"/index.php?newsid={news_id}")
    assert status == 200
    assert lxml.html.document_fromstring(body).xpath("//link[@rel='canonical']/@href") == [article.url]
    home = fetch(sites.base_urls["wp-hromada"] + "/")[2].decode()
    tracked = next(href for href in lxml.html.document_fromstring(home).xpath("//a/@href") if "utm_source" in href)
    status, _, body = fetch(tracked)
    canonical = lxml.html.document_fromstring(body).xpath("//link[@rel='canonical']/@href")[0]
    assert status == 200 and tracked.startswith(canonical)


def test_traps_404_pdf_external_links_and_huge_page(sites):
    base = sites.base_urls["joomla-rada"]
    listing = lxml.html.document_fromstring(fetch(base + "/novyny")[2])
    hrefs = listing.xpath("//a/@href")
    assert any(fetch(base + href)[0] == 404 for href in hrefs if href.startswith("/novyny/item/"))
    pdf = next(href for href in hrefs if href.endswith(".pdf"))
    status, headers, body = fetch(base + pdf)
    assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert listing.xpath("//a[starts-with(@href, 'https://www.vin.gov.ua')]")  # external: never to be followed
    legacy = sites.base_urls["legacy-rada"]
    status, headers, _ = fetch(legacy + "/arhiv/novyny-2019-povnyi.html", method="HEAD")
    assert status == 200 and int(headers["Content-Length"]) > 20 * 1024 * 1024
    assert "/arhiv/novyny-2019-povnyi.html" in fetch(legacy + "/news/index.php?page=2")[2].decode("cp1251")


def test_category_pages_look_like_articles_but_are_not_expected(sites):
    expected = {article.url for article in sites.expected_articles()}
    for source_id, path in (("wp-hromada", "/category/sotsialnyi-zakhyst/"), ("drupal-oblast", "/taxonomy/term/12")):
        url = sites.base_urls[source_id] + path
        tree = lxml.html.document_fromstring(fetch(url)[2])
        assert tree.xpath("//h1") and len(tree.xpath("//p")) >= 3 and url not in expected


def test_robots_disallowed_article_is_linked_but_not_expected(sites):
    base = sites.base_urls["drupal-oblast"]
    assert "Disallow: /partners/" in fetch(base + "/robots.txt")[2].decode()
    blocked = next(a for a in sites.articles("drupal-oblast") if a.robots_blocked)
    assert "/partners/" in sites.url_of(blocked)
    assert sites.url_of(blocked) not in {article.url for article in sites.expected_articles()}
    assert "/partners/" in fetch(base + "/")[2].decode()


def test_dle_relative_dates_follow_the_fixed_clock(sites):
    truth = [a for a in sites.expected_articles() if a.source_id == "dle-portal"]
    today = [a for a in truth if a.published_at.startswith("2025-09-01")]
    yesterday = [a for a in truth if a.published_at.startswith("2025-08-31")]
    assert len(today) == 1 and len(yesterday) == 2
    assert "Сьогодні, 10:15" in fetch(today[0].url)[2].decode()
    later = expected_articles(datetime(2025, 10, 5, 9, 30, tzinfo=KYIV), sites.base_urls)
    moved = {a.url: a.published_at for a in later if a.source_id == "dle-portal"}
    assert sum(value.startswith("2025-10-05") for value in moved.values()) == 1


def test_press_release_reposts_share_a_story(sites):
    truth = sites.expected_articles()
    story = [a for a in truth if a.story == "khmilnyk-heating-plan-2025"]
    assert sorted(a.source_id for a in story) == ["drupal-oblast", "joomla-rada", "wp-hromada"]
    assert len({a.title for a in story}) == 3
    original = next(a for a in story if a.source_id == "joomla-rada")
    for repost in story:
        assert repost.published_at >= original.published_at
        assert set(original.sentences) <= set(repost.sentences)
    same_topic = [a for a in truth if "тепло" in a.title and a.story is None]
    assert same_topic


def test_request_log_records_paths_and_headers(sites):
    fetch(sites.base_urls["gromada-gov"] + "/news/?page=2", {"User-Agent": "hromada-test"})
    record = sites.request_log["gromada-gov"][-1]
    assert record.path == "/news/?page=2" and record.headers["User-Agent"] == "hromada-test"


def test_modes_down_forbidden_layout_changed_slow(fresh_sites):
    article = next(a for a in fresh_sites.expected_articles() if a.source_id == "joomla-rada")
    base = fresh_sites.base_urls["joomla-rada"]
    fresh_sites.set_mode("joomla-rada", "down")
    assert fetch(article.url)[0] == 500
    fresh_sites.set_mode("joomla-rada", "forbidden")
    assert fetch(base + "/robots.txt")[0] == 403
    fresh_sites.set_mode("joomla-rada", "layout_changed")
    status, headers, body = fetch(article.url)
    assert status == 200 and article.sentences[0] not in page_text(body, headers["Content-Type"])
    status, _, listing = fetch(base + "/novyny")
    assert status == 200 and b"/novyny/item/" in listing
    fresh_sites.set_mode("joomla-rada", "slow")
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        fetch(article.url, timeout=0.3)
    fresh_sites.set_mode("joomla-rada", "ok")
    assert fetch(article.url)[0] == 200
    with pytest.raises(ValueError):
        fresh_sites.set_mode("joomla-rada", "on fire")


def test_added_article_appears_in_listing_feed_and_ground_truth(fresh_sites):
    feed_url = fresh_sites.base_urls["wp-hromada"] + "/feed/"
    old_etag = fetch(feed_url)[1]["ETag"]
    added = fresh_sites.add_article(
        "wp-hromada", slug="novyi-skver", title="У центрі Хмільника відкрили новий сквер",
        body="Сьогодні в центрі міста відкрили новий сквер з лавками та дитячим майданчиком.\n\n"
             "Роботи тривали три місяці і фінансувалися з бюджету громади.",
    )
    assert added in fresh_sites.expected_articles()
    assert added.published_at == NOW.isoformat()
    status, headers, body = fetch(feed_url, {"If-None-Match": old_etag})
    assert status == 200 and added.url.encode() in body
    assert added.url.encode() in fetch(fresh_sites.base_urls["wp-hromada"] + "/category/novyny/")[2]
    assert fetch(added.url)[0] == 200


def test_server_stops_cleanly():
    with SampleSites(now=NOW) as running:
        port = int(running.base_urls["wp-hromada"].rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_naive_clock_is_refused():
    with pytest.raises(ValueError):
        SampleSites(now=datetime(2025, 9, 1, 18, 0))


def test_ground_truth_check_names_each_kind_of_fault():
    from crawler.crawl.samples import check_archive, expected_articles
    from tests.conftest import SAMPLE_NOW

    truth = expected_articles(SAMPLE_NOW, {sid: f"http://127.0.0.1:{9000 + i}" for i, sid in enumerate(
        ["wp-hromada", "joomla-rada", "gromada-gov", "dle-portal", "legacy-rada", "drupal-oblast"])})
    rows = [{"url": e.url, "title": e.title, "text": " ".join(e.sentences), "published_at": e.published_at} for e in truth]
    assert check_archive(rows, truth).perfect
    rows[0] = {**rows[0], "title": "Інший заголовок"}
    rows[1] = {**rows[1], "published_at": None}
    rows[2] = {**rows[2], "text": rows[2]["text"] + " Поділиться новиною"}
    report = check_archive(rows[:-1] + [{**rows[-1], "url": rows[-1]["url"] + "?print=1"}], truth)
    assert report.wrong_titles == (truth[0].url,) and report.wrong_dates == (truth[1].url,)
    assert report.boilerplate_left[0][0] == truth[2].url
    assert report.missing == (truth[-1].url,) and len(report.unexpected) == 1
    assert not report.perfect
