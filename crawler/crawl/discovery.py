"""Finding article URLs: feeds, sitemaps, listing pages, and telling article URLs from others.

XML is parsed without DTDs, entity expansion or network access, so a hostile
feed cannot read local files or reach other hosts (XXE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlparse, urlunparse

import tldextract
from lxml import etree

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
USUAL_FEED_PATHS = ("/feed/", "/rss.xml", "/rss/", "/feed.xml", "/atom.xml", "/index.php?format=feed&type=rss")
NON_HTML_EXTENSIONS = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|gz|jpe?g|png|gif|webp|svg|bmp|mp3|mp4|avi|mov|wmv|exe|apk|xml|txt|csv)$",
    re.I,
)
NOT_ARTICLE_SEGMENTS = re.compile(
    r"/(tag|tags|category|categories|rubric|author|authors|page|search|feed|rss|wp-admin|wp-login\.php|wp-content|"
    r"login|register|user|users|contacts?|kontakty|about|archive|calendar|print|sitemap)(/|$)",
    re.I,
)
TRACKING_PARAMETER = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|mc_cid|mc_eid|_ga)$", re.I)
NEXT_PAGE_TEXTS = ("наступна", "далі", "вперед", "next", "следующая", "»", "›", ">", ">>")

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                            huge_tree=False, recover=True)


@dataclass(frozen=True)
class FoundLink:
    url: str
    published_raw: str | None = None


def parse_xml(body: bytes):
    """Parse feed/sitemap XML safely; None when it is not XML at all."""
    try:
        root = etree.fromstring(body.lstrip(), parser=_SAFE_XML)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _local(tag) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def feed_links(body: bytes, base_url: str) -> list[FoundLink]:
    """Article links of an RSS 1/2 or Atom feed."""
    root = parse_xml(body)
    if root is None:
        return []
    links = []
    for entry in root.iter():
        name = _local(entry.tag)
        if name not in ("item", "entry"):
            continue
        href, published = None, None
        for child in entry:
            child_name = _local(child.tag)
            if child_name == "link":
                rel = child.get("rel", "alternate")
                candidate = child.get("href") or (child.text or "").strip()
                if candidate and rel == "alternate":
                    href = href or candidate
            elif child_name in ("pubdate", "published", "date", "updated") and published is None:
                published = (child.text or "").strip() or None
            elif child_name == "guid" and href is None and child.get("isPermaLink", "true") == "true":
                href = (child.text or "").strip() or None
        if href:
            links.append(FoundLink(urljoin(base_url, href), published))
    return links


def is_feed(body: bytes) -> bool:
    root = parse_xml(body)
    return root is not None and _local(root.tag) in ("rss", "feed", "rdf")


def sitemap_links(body: bytes, base_url: str) -> tuple[list[FoundLink], list[str]]:
    """(page links, child sitemap URLs) of a sitemap or sitemap index."""
    root = parse_xml(body)
    if root is None:
        return [], []
    kind = _local(root.tag)
    pages, children = [], []
    for entry in root:
        name = _local(entry.tag)
        loc, published = None, None
        for element in entry.iter():
            element_name = _local(element.tag)
            if element_name == "loc" and loc is None:
                loc = (element.text or "").strip()
            elif element_name in ("publication_date", "lastmod") and published is None:
                published = (element.text or "").strip() or None
        if not loc:
            continue
        if kind == "sitemapindex" and name == "sitemap":
            children.append(urljoin(base_url, loc))
        elif name == "url":
            pages.append(FoundLink(urljoin(base_url, loc), published))
    return pages, children


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    return [
        urljoin(base_url, line.split(":", 1)[1].strip())
        for line in robots_txt.splitlines()
        if line.lower().startswith("sitemap:") and line.split(":", 1)[1].strip()
    ]


def clean_url(url: str) -> str | None:
    """Absolute http(s) URL without fragment and tracking parameters, or None for anything else."""
    url = urldefrag(url.strip())[0]
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    if parsed.query:
        kept = [(key, value) for key, value in parse_qsl(parsed.query, keep_blank_values=True)
                if not TRACKING_PARAMETER.match(key)]
        url = urlunparse(parsed._replace(query=urlencode(kept)))
    return url


def same_site(url: str, homepage: str) -> bool:
    """Same host (and port), ignoring a leading www."""
    def host(u: str) -> str:
        netloc = urlparse(u).netloc.lower()
        return netloc[4:] if netloc.startswith("www.") else netloc
    return host(url) == host(homepage)


@lru_cache(maxsize=1)
def _public_suffixes() -> tldextract.TLDExtract:
    """The public suffix list snapshot bundled with tldextract: never fetched, never cached on disk."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def site_of_host(host: str) -> str:
    """The registered domain of a host name (``rada.ekhmilnyk.gov.ua`` → ``ekhmilnyk.gov.ua``, under the
    public suffix list, so ``a.vn.ua`` and ``b.vn.ua`` are two sites); an IP address or a bare name is its own."""
    host = host.lower().rstrip(".")
    return _public_suffixes()(host).top_domain_under_public_suffix or host


def same_registered_site(url: str, homepage: str) -> bool:
    """Whether ``url`` is on the homepage's site in the wide sense a redirect may go: any scheme and port,
    www. or not, any subdomain of its registered domain."""
    return site_of_host(urlparse(url).hostname or "") == site_of_host(urlparse(homepage).hostname or "")


def looks_like_article_url(url: str, homepage: str, pattern: str | None = None) -> bool:
    """Guess from the URL alone whether it is an article page of this site."""
    if not same_site(url, homepage):
        return False
    parsed = urlparse(url)
    if pattern:
        return re.search(pattern, url) is not None
    path, query = parsed.path, "?" + parsed.query
    if NON_HTML_EXTENSIONS.search(path) or NOT_ARTICLE_SEGMENTS.search(path):
        return False
    if re.search(r"[?&](page|start|limitstart|cstart)=\d+", query) and "newsid" not in query:
        return False
    if re.search(r"[?&](newsid|id|news_id|nid|p)=\d+", query):
        return True
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1])
    if re.fullmatch(r"\d{4,}", last) or re.match(r"^\d{3,}[-_]", last) or re.search(r"[-_]\d{3,}$", last):
        return True
    if re.search(r"/(19|20)\d\d/\d\d?/", path):
        return True
    return last.count("-") >= 3 or last.count("_") >= 3


def next_page_links(anchors: list[tuple[str, str, str]]) -> list[str]:
    """Pagination links among (href, text, rel) anchors of a listing page."""
    found = []
    for href, text, rel in anchors:
        label = " ".join(text.split()).lower()
        if "next" in rel.lower().split() or label in NEXT_PAGE_TEXTS or re.fullmatch(r"(наступна|далі|next)\b.*", label):
            found.append(href)
    return found


def numbered_page_links(anchors: list[tuple[str, str, str]], current_url: str) -> list[str]:
    """Links whose text is a page number and whose URL looks like a paginated listing."""
    found = []
    for href, text, _rel in anchors:
        if text.strip().isdigit() and re.search(r"(page|start|cstart|limitstart|p)[=/]\d+|/page/\d+", href, re.I):
            found.append(href)
    return found
