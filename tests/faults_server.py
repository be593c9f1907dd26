"""A hostile news site on loopback: one article URL per fault a real site throws at a crawler.

:class:`FaultsSite` serves the site (homepage, robots.txt, a feed and a sitemap with XXE and
billion-laughs entities, an endless listing, and the article pages of ``ARTICLES``) and logs every
request with its time. :class:`TrapSite` is "another site": it only records who came. The site's host
names (``FAULTS_HOST``, its www. and a subdomain) and the trap's are resolved to 127.0.0.1 by
:class:`LoopbackResolver`, which also logs every name looked up, so a test can tell a host was never
resolved. docs/faults.md lists what each fault must cost and how it is counted.
"""

from __future__ import annotations

import gzip
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver

FAULTS_HOST = "hromada-faults.com.ua"   # looked up only through LoopbackResolver
TRAP_HOST = "offsite-trap.example.org"  # "another site": a redirect there must never be followed
DNS_LOG_ENV = "HROMADA_TEST_DNS_LOG"
SECRET_MARKER = "SECRET-7f3a-NEVER-LEAK"
BOMB_INFLATED_BYTES = 1 << 30  # what the gzip bomb inflates to (its body is a few kilobytes)
HUGE_BYTES = 1 << 30           # the huge pages' length, announced or not

PARAGRAPH = ("Виконавчий комітет міської ради розглянув питання про ремонт доріг, благоустрій парків "
             "та підготовку закладів освіти до нового навчального року. ")


def article_html(title: str, *, date: str = "2025-08-20T10:00:00+03:00", body: str = PARAGRAPH * 4,
                 extra_head: str = "") -> bytes:
    return (f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{title[:80]} | Громада</title>'
            f'{extra_head}</head><body><header><a href="/">Громада</a></header><article><h1>{title}</h1>'
            f'<time datetime="{date}">{date[:10]}</time><p>{body}</p><p>{body}</p></article></body></html>'
            ).encode("utf-8")


def gzip_bomb() -> bytes:
    """Gzip of a multi-member gzip stream of zeros: a few kilobytes inflating to BOMB_INFLATED_BYTES."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    return gzip.compress(member * (BOMB_INFLATED_BYTES >> 20), compresslevel=9)


@dataclass
class Logged:
    path: str
    host: str
    at: float


#: Article paths the homepage links to, and what each one does (see FaultsHandler.article).
ARTICLES = {
    "/news/normal-article": "a plain article",
    "/news/gzip-bomb": "Content-Encoding: gzip, gzip; inflates to 1 GB",
    "/news/huge-announced": "Content-Length of 1 GB",
    "/news/huge-unannounced": "1 GB without a Content-Length",
    "/news/trickle": "one byte a second",
    "/news/reset": "half the body, then a TCP reset",
    "/news/truncated": "Content-Length 5000, 1000 bytes sent",
    "/news/loop-a": "302 to /news/loop-b, which redirects back",
    "/news/offsite": "302 to the trap site",
    "/news/moved": "301 to /news/moved-here on the same host",
    "/news/moved-www": "302 to the www. host",
    "/news/moved-subdomain": "302 to a subdomain of the site's registered domain",
    "/news/flaky": "503 first, then the article",
    "/news/rate-limited": "429 with Retry-After: 1 first, then the article",
    "/news/document": "a PDF",
    "/news/picture": "a PNG",
    "/news/empty": "an empty 200",
    "/news/same-story": "one article under many URLs",
    "/news/same-story/": "… with a trailing slash",
    "/news/same-story?utm_source=facebook&utm_medium=social": "… with tracking parameters",
    "/news/same-story#comments": "… with a fragment",
    "/news/long-title": "a 10,000-character <h1>",
    "/news/impossible-date": "dated 31.02.2025",
    "/news/future-date": "dated 2099",
    "/news/control-characters": "NUL bytes and a lone surrogate in the text",
    "/news/broken-layout": "no article text (fails extraction) until the site is fixed",
    "/news/deleted": "404",
}


class FaultsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):  # the request log is ours
        pass

    def do_GET(self):
        site = self.server.site
        path = self.path
        site.log(path, self.headers.get("Host", ""))
        try:
            if path == "/":
                self.send(200, site.homepage())
            elif path == "/robots.txt":
                sitemap = f"Sitemap: {site.base}/sitemap.xml\n" if site.hostile_discovery else ""
                self.send(200, f"User-agent: *\nAllow: /\n{sitemap}".encode(), "text/plain")
            elif path == "/feed.xml" and site.hostile_discovery:
                self.send(200, site.hostile_xml("rss"), "application/rss+xml")
            elif path == "/sitemap.xml" and site.hostile_discovery:
                self.send(200, site.hostile_xml("urlset"), "application/xml")
            elif path.startswith("/list/"):
                self.send(200, site.endless_listing(path))
            elif path == "/broken/":  # the homepage of a second source: one page whose layout broke
                self.send(200, b'<html><body><a href="/news/broken-layout">broken</a></body></html>')
            else:
                self.article(path.split("#")[0])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (a page too large, a timeout): exactly what it should do

    def article(self, path: str):
        site = self.server.site
        bare = path.split("?")[0].rstrip("/")
        if bare == "/news/normal-article":
            self.send(200, article_html("Ремонт доріг у громаді"))
        elif bare == "/news/gzip-bomb":
            self.send(200, site.bomb, headers={"Content-Encoding": "gzip, gzip"})
        elif bare == "/news/huge-announced":
            self.stream(HUGE_BYTES, announce=True)
        elif bare == "/news/huge-unannounced":
            self.stream(HUGE_BYTES, announce=False)
        elif bare == "/news/trickle":
            self.send_head(200, 100)
            for _ in range(100):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(1)
        elif bare == "/news/reset":
            self.send_head(200, 5000)
            self.wfile.write(b"<html>" + b" " * 994)
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        elif bare == "/news/truncated":
            self.send_head(200, 5000)
            self.wfile.write(b"<html>" + b" " * 994)
            self.wfile.flush()
            self.close_connection = True
        elif bare == "/news/loop-a":
            self.redirect("/news/loop-b")
        elif bare == "/news/loop-b":
            self.redirect("/news/loop-a")
        elif bare == "/news/offsite":
            self.redirect(f"http://{TRAP_HOST}:{site.trap_port}/stolen")
        elif bare == "/news/moved":
            self.redirect("/news/moved-here", status=301)
        elif bare == "/news/moved-here":
            self.send(200, article_html("Перенесена новина про бюджет громади"))
        elif bare == "/news/moved-www":
            self.redirect(f"http://www.{FAULTS_HOST}:{site.port}/news/moved-www-here")
        elif bare == "/news/moved-www-here":
            self.send(200, article_html("Новина на www-адресі про школу"))
        elif bare == "/news/moved-subdomain":
            self.redirect(f"http://novyny.{FAULTS_HOST}:{site.port}/news/moved-subdomain-here")
        elif bare == "/news/moved-subdomain-here":
            self.send(200, article_html("Новина на піддомені про лікарню"))
        elif bare == "/news/flaky":
            if site.hits(bare) == 1:
                self.send(503, b"busy")
            else:
                self.send(200, article_html("Сесія міської ради після збою"))
        elif bare == "/news/rate-limited":
            if site.hits(bare) == 1:
                self.send(429, b"slow down", headers={"Retry-After": "1"})
            else:
                self.send(200, article_html("Новина після Retry-After про вибори старости"))
        elif bare == "/news/document":
            self.send(200, b"%PDF-1.4\n" + b"0" * 2000, "application/pdf")
        elif bare == "/news/picture":
            self.send(200, b"\x89PNG\r\n\x1a\n" + b"0" * 2000, "image/png")
        elif bare == "/news/empty":
            self.send(200, b"")
        elif bare == "/news/same-story":
            self.send(200, article_html("Одна новина під багатьма адресами"))
        elif bare == "/news/long-title":
            self.send(200, article_html(("Дуже довгий заголовок новини " * 400).strip()))
        elif bare == "/news/impossible-date":
            self.send(200, article_html("Новина з неможливою датою", date="31.02.2025"))
        elif bare == "/news/future-date":
            self.send(200, article_html("Новина з датою з майбутнього", date="2099-05-01T10:00:00+03:00"))
        elif bare == "/news/control-characters":
            body = PARAGRAPH * 3 + "Нуль\x00байт і &#0; та &#xD800; surrogate. " + PARAGRAPH
            head = '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"name": "Ав\\ud800тор"}}</script>'
            self.send(200, article_html("Заголовок\x00 з нулем", body=body, extra_head=head))
        elif bare == "/news/broken-layout":
            self.send(200, article_html("Новина зламаного шаблону", body=PARAGRAPH * 2) if site.fixed
                      else b"<html><body><div>menu</div></body></html>")
        else:
            self.send(404, b"not found")

    # -- writing -----------------------------------------------------------
    def send_head(self, status: int, length: int | None, content_type: str = "text/html; charset=utf-8",
                  headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
             headers: dict | None = None):
        self.send_head(status, len(body), content_type, headers)
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302):
        self.send(status, b"", headers={"Location": location})

    def stream(self, length: int, *, announce: bool):
        self.send_head(200, length if announce else None)
        chunk = b"<p>" + b"x" * 65533
        for _ in range(length // len(chunk)):
            self.wfile.write(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultsSite:
    """The hostile site on 127.0.0.1 (a free port), with its trap site beside it, as a context manager."""

    def __init__(self, secret_file: Path, *, hostile_discovery: bool = True):
        self.secret_file = secret_file
        self.hostile_discovery = hostile_discovery  # False: no feed, no sitemap (a site of its links alone)
        self.bomb = gzip_bomb()
        self.requests: list[Logged] = []
        self.fixed = False  # /news/broken-layout extracts once True
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}

    def __enter__(self) -> "FaultsSite":
        self.server = _Server(("127.0.0.1", 0), FaultsHandler)
        self.server.site = self
        self.port = self.server.server_address[1]
        self.trap = TrapSite().__enter__()
        self.trap_port = self.trap.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.trap.__exit__(*exc)

    @property
    def base(self) -> str:
        return f"http://{FAULTS_HOST}:{self.port}"

    def log(self, path: str, host: str) -> None:
        with self._lock:
            self.requests.append(Logged(path, host, time.monotonic()))

    def hits(self, path: str) -> int:
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            return self._hits[path]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self._hits.clear()

    def times_of(self, path: str) -> list[float]:
        return [logged.at for logged in self.requests if logged.path.split("?")[0].split("#")[0] == path]

    def homepage(self) -> bytes:
        links = "".join(f'<li><a href="{path}">{what}</a></li>' for path, what in ARTICLES.items())
        return (f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Громада</title></head>'
                f'<body><ul>{links}</ul><a href="/list/page/1/">Архів</a></body></html>').encode("utf-8")

    def endless_listing(self, path: str) -> bytes:
        """Every listing page links to the next one, for ever."""
        number = int("".join(ch for ch in path if ch.isdigit()) or 1)
        return (f'<html><body><p>Сторінка {number}</p><a href="/list/page/{number + 1}/">Наступна</a>'
                f'</body></html>').encode("utf-8")

    def hostile_xml(self, root: str) -> bytes:
        """A feed or sitemap declaring an external entity (a local file) and a billion-laughs entity."""
        laughs = '<!ENTITY lol0 "lol">' + "".join(
            f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
        doctype = f'<!DOCTYPE {root} [<!ENTITY secret SYSTEM "file://{self.secret_file}">{laughs}]>'
        if root == "rss":
            body = (f'<rss version="2.0"><channel><title>&lol9;</title>'
                    f'<item><title>&secret;</title><link>{self.base}/news/feed-&secret;</link></item>'
                    f'<item><title>&lol9;</title><description>&secret;</description>'
                    f'<link>{self.base}/news/normal-article</link></item></channel></rss>')
        else:
            body = (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f'<url><loc>{self.base}/news/sitemap-&secret;</loc></url>'
                    f'<url><loc>{self.base}/news/same-story</loc><lastmod>&lol9;</lastmod></url></urlset>')
        return f'<?xml version="1.0"?>{doctype}{body}'.encode("utf-8")


class _TrapHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class TrapSite:
    """Another site: any request reaching it is a crawler that wandered off."""

    def __enter__(self) -> "TrapSite":
        self.server = _Server(("127.0.0.1", 0), _TrapHandler)
        self.server.requests = []
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def requests(self) -> list[str]:
        return self.server.requests


class LoopbackResolver(CachingThreadedResolver):
    """Scrapy's resolver (``-s TWISTED_DNS_RESOLVER=tests.faults_server.LoopbackResolver``) answering 127.0.0.1
    for the faults site's and the trap's host names, and writing every name asked to ``$HROMADA_TEST_DNS_LOG``."""

    def getHostByName(self, name: str, timeout=()):
        log = os.environ.get(DNS_LOG_ENV)
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(name + "\n")
        if name == FAULTS_HOST or name.endswith("." + FAULTS_HOST) or name == TRAP_HOST:
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)
