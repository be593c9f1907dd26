"""Sample sites: realistic Ukrainian community news sites served on loopback.

The content lives in ``data/samples/sites/*.toml`` (one file per site) and is
rendered with the per-CMS Jinja2 templates in ``data/samples/templates`` when
the server starts. Each site gets its own port on 127.0.0.1, so each is its
own origin::

    with SampleSites(now=datetime(2025, 9, 1, 18, 0, tzinfo=KYIV)) as sites:
        sources = sites.registry()          # data/samples/sources.toml, {base} filled in
        truth = sites.expected_articles()   # what a correct crawl archives, once each

``now`` is the server's fixed clock: relative dates ("Сьогодні, 10:15") are
written against it and articles dated after it are not published yet.
"""

from __future__ import annotations

import hashlib
import json
import html
import re
import sys
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import jinja2
import markupsafe

from crawler import PROJECT_DIR
from crawler.registry import Source, load_registry

DATA_DIR = PROJECT_DIR / "data" / "samples"
SITES_DIR = DATA_DIR / "sites"
TEMPLATES_DIR = DATA_DIR / "templates"
# Saved sources for the template-learning tests (tests/test_templates.py); not served by SampleSites.
GUARD_SITES_DIR = DATA_DIR / "template-guard"
SAMPLE_REGISTRY = DATA_DIR / "sources.toml"
KYIV = ZoneInfo("Europe/Kyiv")
MODES = ("ok", "down", "forbidden", "layout_changed", "slow")
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid)$")
HUGE_PAGE_BYTES = 20 * 1024 * 1024


def _load_boilerplate_phrases() -> frozenset[str]:
    document = tomllib.loads((DATA_DIR / "boilerplate.toml").read_text(encoding="utf-8"))
    return frozenset(document["phrases"])


#: Site furniture printed on the sample pages that must never reach an archived text.
BOILERPLATE_PHRASES = _load_boilerplate_phrases()


# --------------------------------------------------------------------------- content model


@dataclass(frozen=True)
class SampleArticle:
    source_id: str
    id: int
    slug: str
    title: str
    published: datetime
    body: str  # blocks separated by blank lines; "## " heading, "> " quote, "- " / "1. " list lines
    language: str = "uk"
    modified: datetime | None = None
    keep: tuple[str, ...] = ()  # sentences that must survive extraction besides the automatic ones
    story: str | None = None  # same value on every copy of one press release
    repost_of: str | None = None  # "source_id:id" of the original
    lead_line: str | None = None  # the extra first line a repost adds
    date_display: str | None = None  # a DATE_STYLES name, or "url_only" / "meta_only" (no visible date)
    robots_blocked: bool = False  # lives under a path robots.txt disallows
    rubric: str = "Новини"

    @property
    def key(self) -> str:
        return f"{self.source_id}:{self.id}"


@dataclass(frozen=True)
class SiteConfig:
    id: str
    cms: str
    name: str
    language: str
    per_page: int
    date_style: str
    settings: dict = field(default_factory=dict)  # the rest of [site], passed to templates


@dataclass(frozen=True)
class ExpectedArticle:
    """One article a correct crawl archives exactly once."""

    source_id: str
    url: str
    title: str
    published_at: str  # ISO 8601 with the Kyiv offset
    date_source: str  # jsonld | meta | time | visible | url | text
    language: str
    sentences: tuple[str, ...]
    story: str | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__, sentences=list(self.sentences))


@dataclass(frozen=True)
class RequestRecord:
    source_id: str
    method: str
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


@dataclass
class Page:
    body: bytes
    content_type: str
    kind: str  # home, listing, article, category, feed, sitemap, robots, file, huge
    status: int = 200
    last_modified: datetime | None = None  # feeds and sitemaps answer conditional requests

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def load_site_files(now: datetime, sites_dir: Path = SITES_DIR) -> tuple[list[SiteConfig], list[SampleArticle]]:
    """Every site of ``sites_dir`` and every article already published at ``now``."""
    configs, articles = [], []
    for path in sorted(sites_dir.glob("*.toml")):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        site = dict(document["site"])
        config = SiteConfig(
            id=site.pop("id"), cms=site.pop("cms"), name=site.pop("name"), language=site.pop("language", "uk"),
            per_page=site.pop("per_page", 3), date_style=site.pop("date_style"), settings=site,
        )
        configs.append(config)
        articles.extend(_parse_article(config, entry, now) for entry in document.get("article", []))
    by_key = {article.key: article for article in articles}
    articles = [_fill_repost(article, by_key) for article in articles]
    return configs, [article for article in articles if article.published <= now]


def _parse_article(config: SiteConfig, entry: dict, now: datetime) -> SampleArticle:
    entry = dict(entry)
    if "published_minutes_ago" in entry:
        published = (now - timedelta(minutes=entry.pop("published_minutes_ago"))).astimezone(KYIV)
        published = published.replace(second=0, microsecond=0)
    else:
        published = _kyiv(entry.pop("published"))
    modified = _kyiv(entry.pop("modified")) if "modified" in entry else None
    return SampleArticle(
        source_id=config.id, published=published, modified=modified,
        language=entry.pop("language", config.language), keep=tuple(entry.pop("keep", ())),
        body=entry.pop("body", "").strip(), **entry,
    )


def _kyiv(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=KYIV) if value.tzinfo is None else value.astimezone(KYIV)


def _fill_repost(article: SampleArticle, by_key: dict[str, SampleArticle]) -> SampleArticle:
    if not article.repost_of:
        return article
    original = by_key[article.repost_of]
    body = f"{article.lead_line}\n\n{original.body}" if article.lead_line else original.body
    keep = article.keep + tuple(s for s in must_contain(original) if s not in article.keep)
    return replace(article, body=body, story=original.story, keep=keep)


# --------------------------------------------------------------------------- dates as sites print them

UK_MONTHS = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
             "жовтня", "листопада", "грудня")
RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
             "октября", "ноября", "декабря")
DATE_STYLES = ("wordpress", "gromada", "joomla", "dle", "numeric", "long", "drupal", "russian")
UK_WEEKDAYS = ("Понеділок", "Вівторок", "Середа", "Четвер", "П'ятниця", "Субота", "Неділя")


def visible_date(style: str, when: datetime, now: datetime) -> str:
    """A date written the way one CMS prints it."""
    month = UK_MONTHS[when.month - 1]
    clock = f"{when:%H:%M}"
    if style == "wordpress":  # 27 Серпня 2025, 16:02
        return f"{when.day} {month.capitalize()} {when.year}, {clock}"
    if style == "gromada":  # 17 березня 2025 р. 17:11
        return f"{when.day} {month} {when.year} р. {clock}"
    if style == "joomla":  # Вівторок, 04 лютого 2025 11:20
        return f"{UK_WEEKDAYS[when.weekday()]}, {when.day:02d} {month} {when.year} {clock}"
    if style == "dle":  # Сьогодні, 10:15 / Вчора, 14:30 / 17-03-2025, 12:00
        days = (now.astimezone(KYIV).date() - when.date()).days
        return {0: f"Сьогодні, {clock}", 1: f"Вчора, {clock}"}.get(days, f"{when:%d-%m-%Y}, {clock}")
    if style == "numeric":  # 23.01.2025 16:44
        return f"{when:%d.%m.%Y} {clock}"
    if style == "long":  # 15 червня 2021 14:53
        return f"{when.day} {month} {when.year} {clock}"
    if style == "drupal":  # 17 березня 2025 - 09:15
        return f"{when.day} {month} {when.year} - {clock}"
    if style == "russian":  # 3 декабря 2020, 18:47
        return f"{when.day} {RU_MONTHS[when.month - 1]} {when.year}, {clock}"
    raise ValueError(f"unknown date style {style!r}")


# --------------------------------------------------------------------------- article bodies

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZА-ЯІЇЄҐ0-9])")


def body_blocks(body: str) -> list[tuple[str, object]]:
    """Split an article body into (kind, content) blocks: p, h2, quote, ul, ol."""
    blocks = []
    for chunk in (c.strip() for c in body.split("\n\n")):
        if not chunk:
            continue
        lines = [line.strip() for line in chunk.splitlines()]
        if chunk.startswith("## "):
            blocks.append(("h2", chunk[3:]))
        elif chunk.startswith("> "):
            blocks.append(("quote", " ".join(line.removeprefix("> ") for line in lines)))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(("ul", [line[2:] for line in lines]))
        elif all(re.match(r"\d+\. ", line) for line in lines):
            blocks.append(("ol", [line.split(" ", 1)[1] for line in lines]))
        else:
            blocks.append(("p", " ".join(lines)))
    return blocks


def _inline_html(text: str) -> str:
    parts, last = [], 0
    for match in _LINK.finditer(text):
        parts.append(html.escape(text[last:match.start()], quote=False))
        parts.append(f'<a href="{html.escape(match.group(2))}">{html.escape(match.group(1), quote=False)}</a>')
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def body_html(body: str) -> str:
    out = []
    for kind, content in body_blocks(body):
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{_inline_html(item)}</li>" for item in content)
            out.append(f"<{kind}>{items}</{kind}>")
        elif kind == "quote":
            out.append(f"<blockquote><p>{_inline_html(content)}</p></blockquote>")
        else:
            out.append(f"<{kind}>{_inline_html(content)}</{kind}>")
    return "\n".join(out)


def plain_text(text: str) -> str:
    return _LINK.sub(r"\1", text)


def excerpt(article: SampleArticle, limit: int = 180) -> str:
    first = next((c for kind, c in body_blocks(article.body) if kind == "p"), "")
    first = plain_text(first)
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def must_contain(article: SampleArticle) -> tuple[str, ...]:
    """The first sentence of the first and last paragraphs, and the article's own ``keep`` list."""
    paragraphs = [plain_text(c) for kind, c in body_blocks(article.body) if kind == "p"]
    chosen = []
    for paragraph in (paragraphs[:1] + paragraphs[-1:]) if paragraphs else []:
        sentence = _SENTENCE_END.split(paragraph)[0]
        if sentence not in chosen:
            chosen.append(sentence)
    return tuple(chosen) + tuple(s for s in article.keep if s not in chosen)


# --------------------------------------------------------------------------- per-CMS layout


class Layout:
    """URL scheme and page set of one CMS. Subclasses name their templates directory in ``cms``."""

    cms = ""
    date_source = "visible"
    encoding = "utf-8"

    def __init__(self, site: SiteConfig, base: str, now: datetime, env: jinja2.Environment):
        self.site, self.base, self.now, self.env = site, base, now, env

    # URL scheme -------------------------------------------------------
    def article_path(self, article: SampleArticle) -> str:
        raise NotImplementedError

    def listing_path(self, page: int) -> str:
        raise NotImplementedError

    def article_url(self, article: SampleArticle) -> str:
        return self.base + self.article_path(article)

    def date_style(self, article: SampleArticle) -> str:
        if article.date_display in DATE_STYLES:
            return article.date_display
        return "russian" if article.language == "ru" else self.site.date_style

    def article_date_source(self, article: SampleArticle) -> str:
        return self.date_source

    # rendering --------------------------------------------------------
    def build(self, articles: list[SampleArticle]) -> dict[str, Page]:
        """Every page of the site keyed by path (plus query string)."""
        articles = sorted(articles, key=lambda a: a.published, reverse=True)
        listed = [a for a in articles if not a.robots_blocked]
        pages = {"/": self.html_page("home", self.render("home.html", articles=articles[:5], page=1, pages=1))}
        page_count = max(1, -(-len(listed) // self.site.per_page))
        for number in range(1, page_count + 1):
            chunk = listed[(number - 1) * self.site.per_page: number * self.site.per_page]
            body = self.render("listing.html", articles=chunk, page=number, pages=page_count)
            pages[self.listing_path(number)] = self.html_page("listing", body)
        for article in articles:
            pages[self.article_path(article)] = self.article_page(article, articles)
        robots = self.robots_txt()
        if robots is not None:
            pages["/robots.txt"] = Page(robots.encode(), "text/plain; charset=utf-8", "robots")
        pages.update(self.extra_pages(articles))
        return pages

    def article_page(self, article: SampleArticle, articles: list[SampleArticle]) -> Page:
        related = [a for a in articles if a.id != article.id and a.language == article.language][:3]
        body = self.render("article.html", article=article, related=related, canonical=self.article_url(article))
        return self.html_page("article", body, article=article)

    def layout_changed_page(self, path: str) -> Page:
        return self.html_page("article", self.render_common("layout_changed.html", path=path))

    def extra_pages(self, articles: list[SampleArticle]) -> dict[str, Page]:
        return {}

    def robots_txt(self) -> str | None:
        return self.site.settings.get("robots", "User-agent: *\nDisallow:\n").replace("{base}", self.base)

    def context(self) -> dict:
        return {"site": self.site, "s": self.site.settings, "base": self.base, "now": self.now, "layout": self,
                "year": self.now.year}

    def render(self, name: str, **values) -> str:
        return self.env.get_template(f"{self.cms}/{name}").render(**self.context(), **values)

    def render_common(self, name: str, **values) -> str:
        return self.env.get_template(f"common/{name}").render(**self.context(), **values)

    def html_page(self, kind: str, text: str, article: SampleArticle | None = None) -> Page:
        return Page(text.encode(self.encoding, "xmlcharrefreplace"), f"text/html; charset={self.encoding}", kind)

    def feed_page(self, template: str, articles: list[SampleArticle], content_type: str, kind: str = "feed") -> Page:
        text = self.env.get_template(f"feeds/{template}").render(**self.context(), articles=articles)
        newest = max((a.modified or a.published for a in articles), default=self.now)
        return Page(text.encode("utf-8"), content_type, kind, last_modified=newest)

    # helpers for templates -------------------------------------------
    def date_text(self, article: SampleArticle) -> str:
        return visible_date(self.date_style(article), article.published, self.now)

    def views(self, article: SampleArticle) -> int:
        return 40 + (article.id * 137) % 900

    def body_html(self, article: SampleArticle) -> str:
        return body_html(article.body)

    def excerpt(self, article: SampleArticle) -> str:
        return excerpt(article)


class WordPress(Layout):
    cms = "wordpress"
    date_source = "jsonld"

    def article_path(self, article):
        return f"/{article.published:%Y/%m/%d}/{article.slug}/"

    def listing_path(self, page):
        return "/category/novyny/" if page == 1 else f"/category/novyny/page/{page}/"

    def extra_pages(self, articles):
        listed = [a for a in articles if not a.robots_blocked]
        category = self.render("category.html", articles=listed[:4])
        return {
            "/feed/": self.feed_page("rss.xml", listed[:10], "application/rss+xml; charset=UTF-8"),
            "/category/sotsialnyi-zakhyst/": self.html_page("category", category),
        }


class GromadaGovUa(Layout):
    cms = "gromada"

    def article_path(self, article):
        return f"/news/{int(article.published.timestamp())}/"

    def listing_path(self, page):
        return "/news/" if page == 1 else f"/news/?page={page}"

    def article_date_source(self, article):
        return "url" if article.date_display == "url_only" else "visible"

    def extra_pages(self, articles):
        halves = {"/sitemap/news-1.xml": articles[::2], "/sitemap/news-2.xml": articles[1::2]}
        pages = {path: self.feed_page("sitemap.xml", chunk, "application/xml; charset=utf-8", "sitemap")
                 for path, chunk in halves.items()}
        index = self.env.get_template("feeds/sitemap_index.xml").render(
            **self.context(), sitemaps=[self.base + path for path in halves])
        pages["/sitemap.xml"] = Page(index.encode(), "application/xml; charset=utf-8", "sitemap",
                                     last_modified=max(a.published for a in articles))
        return pages


class JoomlaK2(Layout):
    cms = "joomla"

    def article_path(self, article):
        return f"/novyny/item/{article.id}-{article.slug}"

    def listing_path(self, page):
        return "/novyny" if page == 1 else f"/novyny?start={(page - 1) * self.site.per_page}"

    def extra_pages(self, articles):
        return {path: Page(_minimal_pdf(title), "application/pdf", "file")
                for path, title in self.site.settings.get("attachments", {}).items()}


class DataLifeEngine(Layout):
    cms = "dle"

    def article_path(self, article):
        return f"/{article.published:%Y/%m/%d}/{article.id}-{article.slug}.html"

    def listing_path(self, page):
        return "/lastnews/" if page == 1 else f"/lastnews/page/{page}/"

    def extra_pages(self, articles):
        pages = {f"/index.php?newsid={a.id}": self.article_page(a, articles) for a in articles}
        pages["/rss.xml"] = self.feed_page("rss.xml", articles[:5], "application/rss+xml; charset=utf-8")
        pages["/uploads/sitemap_news.xml"] = self.feed_page(
            "sitemap.xml", articles, "application/xml; charset=utf-8", "sitemap")
        recent = [a for a in articles if self.now - a.published <= timedelta(days=2)]
        pages["/uploads/google_news.xml"] = self.feed_page(
            "news_sitemap.xml", recent, "application/xml; charset=utf-8", "sitemap")
        index = self.env.get_template("feeds/sitemap_index.xml").render(
            **self.context(), sitemaps=[self.base + "/uploads/sitemap_news.xml", self.base + "/uploads/google_news.xml"])
        pages["/sitemap.xml"] = Page(index.encode(), "application/xml; charset=utf-8", "sitemap",
                                     last_modified=max(a.published for a in articles))
        return pages


class LegacyTable(Layout):
    """A hand-made table layout in windows-1251; every other page names the charset only in <meta>."""

    cms = "legacy"
    encoding = "cp1251"

    def article_path(self, article):
        return f"/news/view.php?id={article.id}"

    def listing_path(self, page):
        return "/news/index.php" if page == 1 else f"/news/index.php?page={page}"

    def date_style(self, article):
        if article.date_display in DATE_STYLES:
            return article.date_display
        return "long" if article.published.year < 2023 else "numeric"

    def charset_in_header(self, article: SampleArticle | None) -> bool:
        return article is None or article.id % 2 == 0

    def html_page(self, kind, text, article=None):
        body = text.encode(self.encoding, "xmlcharrefreplace")
        header = self.charset_in_header(article) if kind == "article" else kind != "home"
        return Page(body, "text/html; charset=windows-1251" if header else "text/html", kind)

    def robots_txt(self):
        return None  # the old server has no robots.txt at all

    def extra_pages(self, articles):
        return {self.site.settings["huge_page"]: Page(b"", "text/html; charset=windows-1251", "huge")}


class Drupal(Layout):
    cms = "drupal"
    date_source = "time"

    def article_path(self, article):
        if article.robots_blocked:
            return f"/partners/{article.slug}"
        return f"/ru/news/{article.slug}" if article.language == "ru" else f"/news/{article.slug}"

    def listing_path(self, page):
        return "/news" if page == 1 else f"/news?page={page - 1}"

    def article_date_source(self, article):
        if article.language == "ru":
            return "visible"
        return "meta" if article.date_display == "meta_only" else "time"

    def extra_pages(self, articles):
        listed = [a for a in articles if a.language == "uk"]
        category = self.render("category.html", articles=listed[:4])
        return {
            "/news/feed.atom": self.feed_page("atom.xml", articles, "application/atom+xml; charset=utf-8"),
            "/taxonomy/term/12": self.html_page("category", category),
        }


LAYOUTS = {layout.cms: layout for layout in (WordPress, GromadaGovUa, JoomlaK2, DataLifeEngine, LegacyTable, Drupal)}


def _minimal_pdf(title: str) -> bytes:
    """A small valid one-page PDF (ASCII title only)."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rfc822"] = lambda when: format_datetime(when)
    env.filters["iso"] = lambda when: when.isoformat()
    env.filters["jsonld"] = lambda data: markupsafe.Markup(json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))
    return env


# --------------------------------------------------------------------------- the server


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server that stays quiet when a client drops a keep-alive connection."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Site:
    """One running sample site: its content, pages, mode and port."""

    def __init__(self, config: SiteConfig, articles: list[SampleArticle], now: datetime, env, owner: "SampleSites"):
        self.config, self.articles, self.now, self.owner = config, list(articles), now, owner
        self.mode = "ok"
        self.lock = threading.Lock()
        self.server = LoopbackServer(("127.0.0.1", 0), _Handler)
        self.server.site = self
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.layout = LAYOUTS[config.cms](config, self.base_url, now, env)
        self.pages = self.layout.build(self.articles)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name=f"sample-{config.id}", daemon=True)

    def add(self, article: SampleArticle) -> None:
        with self.lock:
            self.articles.append(article)
            self.pages = self.layout.build(self.articles)

    def find(self, slug: str) -> SampleArticle:
        with self.lock:
            found = [article for article in self.articles if article.slug == slug]
        if not found:
            raise KeyError(f"no article {slug!r} on sample site {self.config.id!r}")
        return found[0]

    def replace_article(self, old: SampleArticle, new: SampleArticle | None, gone_status: int = 404) -> None:
        """``new`` in place of ``old``; with None, ``old`` is unpublished and its page answers ``gone_status``."""
        with self.lock:
            position = next(index for index, article in enumerate(self.articles) if article is old)
            self.articles[position:position + 1] = [new] if new is not None else []
            self.pages = self.layout.build(self.articles)
            if new is None and gone_status != 404:
                self.pages[self.layout.article_path(old)] = Page(
                    f"<html><body><h1>{gone_status}</h1></body></html>".encode(), "text/html; charset=utf-8",
                    "gone", status=gone_status)

    def lookup(self, raw_path: str) -> Page | None:
        parts = urlsplit(raw_path)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
        key = parts.path + ("?" + urlencode(query) if query else "")
        with self.lock:
            page = self.pages.get(key)
            if page is not None and page.kind == "article" and self.mode == "layout_changed":
                return self.layout.layout_changed_page(parts.path)
            return page


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleSite/1.0"
    server: LoopbackServer

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    def _respond(self, send_body: bool) -> None:
        site: _Site = self.server.site
        site.owner._log(site.config.id, self.command, self.path, dict(self.headers.items()))
        mode = site.mode
        if mode == "slow" and site.owner._stopping.wait(site.owner.slow_delay):
            return
        if mode == "down":
            return self._send_status(500, "Internal Server Error")
        if mode == "forbidden":
            return self._send_status(403, "Forbidden")
        page = site.lookup(self.path)
        if page is None:
            return self._send_status(404, "Not Found")
        if page.kind == "huge":
            return self._send_huge(send_body)
        if page.last_modified is not None and self._not_modified(page):
            self.send_response(304)
            self.send_header("ETag", page.etag)
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        if page.last_modified is not None:
            self.send_header("ETag", page.etag)
            self.send_header("Last-Modified", format_datetime(page.last_modified.astimezone(timezone.utc), usegmt=True))
        self.end_headers()
        if send_body:
            self.wfile.write(page.body)

    def _not_modified(self, page: Page) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return page.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            return since is not None and since.tzinfo is not None and page.last_modified.replace(microsecond=0) <= since
        return False

    def _send_status(self, status: int, text: str) -> None:
        body = f"<html><body><h1>{status} {text}</h1><!-- SAMPLE for hromada-news tests --></body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_huge(self, send_body: bool) -> None:
        head = ("<!-- SAMPLE for hromada-news tests: a page over any sane size limit -->\n"
                "<html><head><meta charset=\"windows-1251\"><title>Архів новин 2019 року</title></head><body>"
                "<h1>Архів новин 2019 року</h1>").encode("cp1251")
        chunk = "<p>Архівний запис без змісту. Сторінку згенеровано для перевірки обмеження розміру.</p>\n".encode("cp1251")
        tail = b"</body></html>"
        repeats = (HUGE_PAGE_BYTES - len(head) - len(tail)) // len(chunk) + 1
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=windows-1251")
        self.send_header("Content-Length", str(len(head) + repeats * len(chunk) + len(tail)))
        self.end_headers()
        if not send_body:
            return
        try:
            self.wfile.write(head)
            block = chunk * 1000
            for _ in range(repeats // 1000):
                self.wfile.write(block)
            self.wfile.write(chunk * (repeats % 1000) + tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on the oversized page, as it should


class SampleSites:
    """The sample sites served on 127.0.0.1, one port per site; use as a context manager."""

    def __init__(self, now: datetime, *, slow_delay: float = 5.0):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware, e.g. datetime(2025, 9, 1, 18, 0, tzinfo=KYIV)")
        self.now = now.astimezone(KYIV)
        self.slow_delay = slow_delay
        self._stopping = threading.Event()
        self._log_lock = threading.Lock()
        self._requests: dict[str, list[RequestRecord]] = {}
        self._sites: dict[str, _Site] = {}
        self._started = False

    # lifecycle ------------------------------------------------------------
    def start(self) -> "SampleSites":
        configs, articles = load_site_files(self.now)
        env = _template_env()
        try:
            for config in configs:
                own = [a for a in articles if a.source_id == config.id]
                self._sites[config.id] = _Site(config, own, self.now, env, self)
                self._requests[config.id] = []
        except BaseException:
            self.stop()
            raise
        for site in self._sites.values():
            site.thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        self._stopping.set()
        for site in self._sites.values():
            if site.thread.is_alive():
                site.server.shutdown()
                site.thread.join(timeout=5)
            site.server.server_close()
        self._started = False

    def __enter__(self) -> "SampleSites":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # what the crawler sees --------------------------------------------------
    @property
    def base_urls(self) -> dict[str, str]:
        return {source_id: site.base_url for source_id, site in self._sites.items()}

    def registry(self) -> list[Source]:
        return load_registry(SAMPLE_REGISTRY, base_urls=self.base_urls)

    @property
    def request_log(self) -> dict[str, list[RequestRecord]]:
        """A snapshot of every request so far, per site."""
        with self._log_lock:
            return {source_id: list(records) for source_id, records in self._requests.items()}

    def clear_request_log(self) -> None:
        with self._log_lock:
            for records in self._requests.values():
                records.clear()

    def _log(self, source_id: str, method: str, path: str, headers: dict[str, str]) -> None:
        with self._log_lock:
            self._requests[source_id].append(RequestRecord(source_id, method, path, headers, time.monotonic()))

    # crawl-health controls ------------------------------------------------
    def set_mode(self, source_id: str, mode: str) -> None:
        """ok | down (HTTP 500 everywhere) | forbidden (403) | layout_changed (articles lose their body) | slow."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        self._site(source_id).mode = mode

    def add_article(self, source_id: str, *, title: str, body: str, slug: str,
                    published: datetime | None = None) -> ExpectedArticle:
        """Publish a new article: it appears on the listings, feeds and sitemaps of the site."""
        site = self._site(source_id)
        with site.lock:
            next_id = max((a.id for a in site.articles), default=0) + 1
        published = _kyiv(published or self.now).replace(microsecond=0)
        article = SampleArticle(source_id=source_id, id=next_id, slug=slug, title=title, published=published,
                                body=body.strip(), language=site.config.language)
        site.add(article)
        return self._expected(site, article)

    def revise_article(self, source_id: str, slug: str, *, title: str | None = None, body: str | None = None,
                       modified: datetime | None = None) -> ExpectedArticle:
        """The publisher edits an article: same URL, a new title and/or body (and modification time)."""
        site = self._site(source_id)
        old = site.find(slug)
        new = replace(old, title=old.title if title is None else title, body=old.body if body is None else body.strip(),
                      modified=_kyiv(modified or self.now).replace(microsecond=0))
        site.replace_article(old, new)
        return self._expected(site, new)

    def remove_article(self, source_id: str, slug: str, *, status: int = 404) -> str:
        """The publisher takes an article down: off the listings, feeds and sitemaps, its page answers ``status``
        (404 or 410). Returns its URL."""
        if status not in (404, 410):
            raise ValueError(f"a removed page answers 404 or 410, not {status}")
        site = self._site(source_id)
        old = site.find(slug)
        site.replace_article(old, None, gone_status=status)
        return site.layout.article_url(old)

    # ground truth ----------------------------------------------------------
    def expected_articles(self) -> list[ExpectedArticle]:
        return [self._expected(site, article) for site in self._sites.values()
                for article in sorted(site.articles, key=lambda a: a.id) if not article.robots_blocked]

    def articles(self, source_id: str) -> list[SampleArticle]:
        return list(self._site(source_id).articles)

    def url_of(self, article: SampleArticle) -> str:
        return self._site(article.source_id).layout.article_url(article)

    def _expected(self, site: _Site, article: SampleArticle) -> ExpectedArticle:
        return _expected_for(site.layout, article)

    def _site(self, source_id: str) -> _Site:
        if source_id not in self._sites:
            raise KeyError(f"unknown sample site {source_id!r}; known: {', '.join(self._sites)}")
        return self._sites[source_id]


def sample_layouts(now: datetime, base_urls: Mapping[str, str]) -> Iterator[tuple[Layout, list[SampleArticle]]]:
    """Each sample site's layout at its base URL, with its articles in id order, without a running server."""
    now = now.astimezone(KYIV)
    configs, articles = load_site_files(now)
    env = _template_env()
    for config in configs:
        own = sorted((a for a in articles if a.source_id == config.id), key=lambda a: a.id)
        yield LAYOUTS[config.cms](config, base_urls[config.id].rstrip("/"), now, env), own


def expected_articles(now: datetime, base_urls: dict[str, str]) -> list[ExpectedArticle]:
    """Ground truth without a running server: what a crawl of sites at ``base_urls`` must archive."""
    return [_expected_for(layout, article) for layout, own in sample_layouts(now, base_urls)
            for article in own if not article.robots_blocked]


def _expected_for(layout: Layout, article: SampleArticle) -> ExpectedArticle:
    return ExpectedArticle(
        source_id=article.source_id,
        url=layout.article_url(article),
        title=article.title,
        published_at=article.published.isoformat(),
        date_source=layout.article_date_source(article),
        language=article.language,
        sentences=must_contain(article),
        story=article.story,
    )


# --------------------------------------------------------------------------- checking an archive


@dataclass(frozen=True)
class GroundTruthReport:
    """How an archive of the sample sites compares with their ground truth."""

    expected: int
    archived_once: int
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    wrong_titles: tuple[str, ...]
    wrong_dates: tuple[str, ...]
    boilerplate_left: tuple[tuple[str, str], ...]  # (url, phrase)

    @property
    def perfect(self) -> bool:
        return not (self.missing or self.unexpected or self.wrong_titles or self.wrong_dates or self.boilerplate_left)

    def summary(self) -> str:
        return (f"{self.archived_once}/{self.expected} sample articles archived exactly once, "
                f"{len(self.unexpected)} unexpected; titles right {self.expected - len(self.wrong_titles)}/{self.expected}, "
                f"dates right {self.expected - len(self.wrong_dates)}/{self.expected}; "
                f"boilerplate phrases left: {len(self.boilerplate_left)}")


def check_archive(rows: list[dict], expected: list[ExpectedArticle]) -> GroundTruthReport:
    """Compare archived article rows (url, title, text, published_at) with the ground truth.

    ``url`` is unique in the archive, so an expected URL that is found was archived exactly once.
    """
    by_url = {row["url"]: row for row in rows}
    truth = {e.url: e for e in expected}
    found = [url for url in truth if url in by_url]
    return GroundTruthReport(
        expected=len(truth),
        archived_once=len(found),
        missing=tuple(sorted(set(truth) - set(by_url))),
        unexpected=tuple(sorted(set(by_url) - set(truth))),
        wrong_titles=tuple(url for url in found if by_url[url]["title"] != truth[url].title),
        wrong_dates=tuple(url for url in found if by_url[url]["published_at"] != truth[url].published_at),
        boilerplate_left=tuple((url, phrase) for url, row in by_url.items() for phrase in sorted(BOILERPLATE_PHRASES)
                               if phrase.lower() in f"{row['title']}\n{row['text']}".lower()),
    )
