"""Feed, sitemap and URL-shape discovery, including hostile XML."""

from crawler.crawl import discovery

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Sample</title>
<item><title>A</title><link>https://example.gov.ua/news/2025/03/17/sesiya-miskoyi-rady/</link>
<pubDate>Mon, 17 Mar 2025 17:11:00 +0200</pubDate></item>
<item><title>B</title><guid isPermaLink="true">https://example.gov.ua/news/1623758022/</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Sample</title>
<entry><title>A</title><link rel="alternate" href="/news/a-b-c-d/"/><link rel="edit" href="/edit/1"/>
<published>2025-03-17T17:11:00+02:00</published></entry></feed>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://example.gov.ua/news/x-y-z-w/&xxe;</link></item></channel></rss>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://example.gov.ua/sitemap-news.xml</loc></sitemap></sitemapindex>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://example.gov.ua/news/a-b-c-d/</loc><news:news><news:publication_date>2025-03-17T17:11:00+02:00</news:publication_date></news:news></url>
</urlset>"""


def test_rss_links_and_dates():
    links = discovery.feed_links(RSS, "https://example.gov.ua/feed/")
    assert [link.url for link in links] == [
        "https://example.gov.ua/news/2025/03/17/sesiya-miskoyi-rady/",
        "https://example.gov.ua/news/1623758022/",
    ]
    assert links[0].published_raw == "Mon, 17 Mar 2025 17:11:00 +0200"


def test_atom_alternate_link_resolved_against_feed_url():
    links = discovery.feed_links(ATOM, "https://example.gov.ua/atom.xml")
    assert [link.url for link in links] == ["https://example.gov.ua/news/a-b-c-d/"]


def test_external_entities_are_never_resolved():
    links = discovery.feed_links(XXE, "https://example.gov.ua/feed/")
    assert all("root:" not in link.url for link in links)
    assert discovery.is_feed(XXE)


def test_not_xml_is_no_feed():
    assert discovery.feed_links(b"<html><body>404</body></html>", "https://x.ua/") == []
    assert not discovery.is_feed(b"\x00\x01 binary")


def test_sitemap_index_and_news_sitemap():
    pages, children = discovery.sitemap_links(SITEMAP_INDEX, "https://example.gov.ua/sitemap.xml")
    assert pages == [] and children == ["https://example.gov.ua/sitemap-news.xml"]
    pages, children = discovery.sitemap_links(NEWS_SITEMAP, "https://example.gov.ua/sitemap-news.xml")
    assert children == []
    assert pages[0].url == "https://example.gov.ua/news/a-b-c-d/"
    assert pages[0].published_raw == "2025-03-17T17:11:00+02:00"


def test_robots_sitemaps():
    robots = "User-agent: *\nDisallow: /admin/\nSitemap: /sitemap.xml\nsitemap: https://example.gov.ua/news.xml\n"
    assert discovery.robots_sitemaps(robots, "https://example.gov.ua/robots.txt") == [
        "https://example.gov.ua/sitemap.xml", "https://example.gov.ua/news.xml"]


def test_only_http_links_are_kept():
    assert discovery.clean_url("javascript:alert(1)") is None
    assert discovery.clean_url("mailto:rada@example.gov.ua") is None
    assert discovery.clean_url("ftp://example.gov.ua/file") is None
    assert discovery.clean_url("https://example.gov.ua/news/a#comments") == "https://example.gov.ua/news/a"


def test_tracking_parameters_are_dropped_and_others_kept():
    assert discovery.clean_url("https://x.gov.ua/news/a/?utm_source=fb&utm_medium=social&fbclid=1") == "https://x.gov.ua/news/a/"
    assert discovery.clean_url("https://x.gov.ua/index.php?newsid=12&utm_campaign=z") == "https://x.gov.ua/index.php?newsid=12"


HOME = "https://rada.example.gov.ua/"


def test_article_url_shapes():
    article_urls = [
        "https://rada.example.gov.ua/news/1623758022/",
        "https://rada.example.gov.ua/2025/03/17/sesiya/",
        "https://rada.example.gov.ua/novyny/vidbulasya-sesiya-miskoyi-rady/",
        "https://rada.example.gov.ua/index.php?newsid=1234",
        "https://www.rada.example.gov.ua/news/12345-sesiya.html",
    ]
    other_urls = [
        "https://rada.example.gov.ua/",
        "https://rada.example.gov.ua/category/news/",
        "https://rada.example.gov.ua/news/?page=2",
        "https://rada.example.gov.ua/tag/sesiya-miskoyi-rady-2025/",
        "https://rada.example.gov.ua/files/rishennya-sesiyi-miskoyi-rady.pdf",
        "https://elsewhere.example.com/news/vidbulasya-sesiya-miskoyi-rady/",
    ]
    assert all(discovery.looks_like_article_url(url, HOME) for url in article_urls)
    assert not any(discovery.looks_like_article_url(url, HOME) for url in other_urls)


def test_article_pattern_from_registry_decides():
    assert discovery.looks_like_article_url("https://rada.example.gov.ua/news/1623758022/", HOME, r"/news/\d{10}/$")
    assert not discovery.looks_like_article_url("https://rada.example.gov.ua/news/a-b-c-d/", HOME, r"/news/\d{10}/$")


def test_pagination_links():
    anchors = [("https://x.ua/news/?page=2", "2", ""), ("https://x.ua/news/?page=2", "Наступна »", ""),
               ("https://x.ua/about/", "Про громаду", "")]
    assert discovery.next_page_links(anchors) == ["https://x.ua/news/?page=2"]
    assert discovery.numbered_page_links(anchors, "https://x.ua/news/") == ["https://x.ua/news/?page=2"]
