"""Crawl speed and memory on a large generated news site served on loopback, politeness off.

    uv run python benchmarks/crawl_speed.py                          # 1,000 and 5,000 articles
    uv run python benchmarks/crawl_speed.py --sizes 2000 10000 --workers 0 1 auto

For each size and each ``HROMADA_WORKERS`` value (default: 0, everything in
the crawl's one thread, against auto, the pure CPU stages in worker
processes, crawler/crawl/workers.py): a fresh archive, one full crawl (sitemap +
paginated listings, the whole pipeline chain of crawler/settings.py), then a
second, incremental crawl of the same site into the now full archive. Each
crawl runs in its own child process. Prints side by side: articles archived
per second of wall time; CPU seconds of the crawl's thread and of its
workers, and articles per CPU-second of both together (which other processes
on a busy machine cannot inflate); CPU seconds of the site's server, which
shares the machine's cores; peak RSS of the crawl and of its largest
worker, so growth with site size and with the number of articles already
archived shows. Target: >= 150 articles/s.

Then, for each first crawl, where the crawl thread's time went: milliseconds
per archived article of each pipeline stage, of the spider's callbacks
(discovery pages, article pages, remembering settled URLs) and of everything
else (Scrapy, HTTP, start-up), wall and CPU, and the workers' CPU.

    uv run python benchmarks/crawl_speed.py --frontier               # the fleet, on 5,000 articles

``--frontier`` compares, on one generated site of ``--frontier-size`` articles split into
``--frontier-sources`` sources (a source is worked by one fleet process at a time), in one run: bare
Scrapy fetching every page with our settings and no pipelines; today's single-process crawl (workers 0
and auto); and a fleet on a redis-server started here (tests/redis_server.py) of 1 and 2 crawl
processes with one writer (``hromada ingest``). It prints articles/s, each as a ratio of bare Scrapy's
rate (absolute rates differ between machines), the 2:1 ratio of the fleet, the CPU of each process per
article (the writer's is the fleet's serial part) and what that predicts for more cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


PER_PAGE = 50
NOW = datetime(2025, 9, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
SYLLABLES = ("ра", "да", "гро", "ма", "бю", "джет", "ре", "монт", "шко", "ла", "лі", "кар", "ня", "до", "ро", "га",
             "во", "опа", "лен", "ве", "те", "ра", "ни", "про", "грам", "се", "сі", "я", "рі", "шен", "ко", "мі")
# distinct words, so generated articles are not near-duplicates of each other (the stories stage would see reposts)
WORDS = tuple(SYLLABLES[i % 32] + SYLLABLES[(i // 32) % 32] + SYLLABLES[(i // 1024) % 32] for i in range(4096))

CRAWL_SETTINGS = {
    "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0, "HROMADA_BACKFILL_LISTING_PAGES": 100_000,
}


def paragraph(article_id: int, number: int) -> str:
    chooser = random.Random(article_id * 10 + number)
    words = [chooser.choice(WORDS) for _ in range(40)]
    return f"Новина {article_id}, абзац {number}: " + " ".join(words).capitalize() + "."


def article_html(article_id: int) -> str:
    published = NOW - timedelta(hours=article_id)
    body = "".join(f"<p>{paragraph(article_id, n)}</p>" for n in range(6))
    return (f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Новина {article_id} — Громада</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{published.isoformat()}"></head><body>'
            f'<header><nav><a href="/">Головна</a> <a href="/news/">Новини</a></nav></header>'
            f'<article><h1>Рішення громади № {article_id}</h1><time datetime="{published.isoformat()}">'
            f'{published:%d.%m.%Y %H:%M}</time>{body}</article>'
            f'<footer>© Громада. Усі права захищено.</footer></body></html>')


class GeneratedSite:
    """``size`` articles at /news/<id>.html, listings /news/?page=N, one sitemap, served on loopback.

    Every response is rendered before the crawl and served by a bare asyncio protocol in a thread of this
    process, so the site costs the machine's two cores as little as a remote site would (a threaded
    ``http.server`` spent about 0.8 ms of CPU a page here, next to the crawl's own).
    """

    def __init__(self, size: int, offset: int = 0):
        self.size, self.offset = size, offset  # offset: its articles' text is that of ids offset+1..offset+size
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            self.loop.create_server(lambda: _ServeRendered(self), "127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        self.responses = {path: http_response(*self.page(path)) for path in self.paths()}
        self.not_found = http_response(404, "text/html", "<html><body>404</body></html>")
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def paths(self) -> list[str]:
        listings = [f"/news/?page={number}" for number in range(2, (self.size - 1) // PER_PAGE + 2)]
        articles = [f"/news/{article_id}.html" for article_id in range(1, self.size + 1)]
        return ["/robots.txt", "/sitemap.xml", "/", "/news/", *listings, *articles]

    def page(self, path: str) -> tuple[int, str, str]:
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nDisallow:\nSitemap: {self.base}/sitemap.xml\n"
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.base}/news/{i}.html</loc></url>" for i in range(1, self.size + 1))
            return 200, "application/xml", f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        if path in ("/", "/news/") or path.startswith("/news/?page="):
            number = int(path.rsplit("=", 1)[1]) if "=" in path else 1
            first = (number - 1) * PER_PAGE + 1
            links = "".join(f'<li><a href="/news/{i}.html">Рішення громади № {i}</a></li>'
                            for i in range(first, min(first + PER_PAGE, self.size + 1)))
            more = f'<a rel="next" href="/news/?page={number + 1}">Наступна</a>' if first + PER_PAGE <= self.size else ""
            return 200, html, f"<html><body><h1>Новини</h1><ul>{links}</ul>{more}</body></html>"
        article_id = int(path[len("/news/"):-len(".html")])
        return 200, html, article_html(self.offset + article_id)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.server.close()
        self.loop.close()


def http_response(status: int, content_type: str, text: str) -> bytes:
    body = text.encode("utf-8")
    reason = {200: "OK", 404: "Not Found"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"\r\n").encode("ascii") + body


class _ServeRendered(asyncio.Protocol):
    """HTTP/1.1 GETs on a keep-alive connection, answered from the site's rendered responses."""

    def __init__(self, site: GeneratedSite):
        self.site, self.pending = site, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.pending += data
        while b"\r\n\r\n" in self.pending:
            head, self.pending = self.pending.split(b"\r\n\r\n", 1)
            path = head.split(b" ", 2)[1].decode("ascii")
            self.transport.write(self.site.responses.get(path, self.site.not_found))


def write_registry(path: Path, *bases: str) -> Path:
    """One source per generated site: ``generated`` alone, ``generated-1``, ``generated-2``... for several."""
    entries = []
    for number, base in enumerate(bases, 1):
        source_id = "generated" if len(bases) == 1 else f"generated-{number}"
        entries.append(f"""[[source]]
id = "{source_id}"
name = "Згенерована громада {number}"
homepage = "{base}/"
kind = "hromada_site"
oblast = "Вінницька"
katottg = "UA05120170000013778"

[source.discovery]
listings = ["{base}/news/"]
article_pattern = "/news/\\\\d+\\\\.html$"
""")
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


class StageClock:
    """Wall and thread-CPU seconds spent in wrapped functions, by stage name."""

    def __init__(self):
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def add(self, stage: str, wall: float, cpu: float) -> None:
        self.wall[stage] += wall
        self.cpu[stage] += cpu

    def wrap(self, owner, attribute: str, stage: str, consume: bool = False) -> None:
        """Time ``owner.attribute``; ``consume`` runs a generator to its end inside the timing.

        A coroutine (a pipeline stage that awaits a worker) is timed only while it runs in this thread.
        """
        original = getattr(owner, attribute)
        clock = self

        @functools.wraps(original)
        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                result = original(*args, **kwargs)
                if inspect.iscoroutine(result):
                    return TimedSteps(result, stage, clock)
                return list(result or ()) if consume else result
            finally:
                clock.add(stage, time.perf_counter() - wall, time.thread_time() - cpu)

        setattr(owner, attribute, timed)

    def instrument_crawl(self) -> None:
        """Every item pipeline of crawler/settings.py, and the spider's own work per page."""
        from crawler import settings
        from crawler.crawl.spider_base import RegistryNewsSpider

        for dotted in settings.ITEM_PIPELINES:
            module, name = dotted.rsplit(".", 1)
            pipeline = getattr(importlib.import_module(module), name)
            self.wrap(pipeline, "process_item", name.removesuffix("Pipeline").lower())
            for hook in ("open_spider", "close_spider"):
                if hasattr(pipeline, hook):
                    self.wrap(pipeline, hook, "open/close pipelines")
        for callback in ("parse_listing", "parse_sitemap", "parse_feed"):
            self.wrap(RegistryNewsSpider, callback, "discovery pages", consume=True)
        self.wrap(RegistryNewsSpider, "parse_article", "article pages", consume=True)
        self.wrap(RegistryNewsSpider, "item_scraped", "remember urls")
        self.wrap(RegistryNewsSpider, "item_dropped", "remember urls")


class TimedSteps:
    """Await a coroutine, adding to its stage only the time its steps run here, not the waits between."""

    def __init__(self, coroutine, stage: str, clock: StageClock):
        self.coroutine, self.stage, self.clock = coroutine, stage, clock

    def __await__(self):
        step, sent = self.coroutine.send, None
        while True:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                awaited = step(sent)
            except StopIteration as finished:
                return finished.value
            finally:
                self.clock.add(self.stage, time.perf_counter() - wall, time.thread_time() - cpu)
            try:
                sent, step = (yield awaited), self.coroutine.send
            except BaseException as error:  # noqa: B036 - handed on to the coroutine, as `await` would
                sent, step = error, self.coroutine.throw


def crawl_in_this_process(archive_path: str, registry_path: str, workers: str) -> dict:
    from crawler.archive.store import Archive
    from crawler.crawl.run import CrawlOptions, run_crawl
    from tests.peak_memory import own_peak_mb

    clock = StageClock()
    clock.instrument_crawl()
    options = CrawlOptions(archive_path=Path(archive_path), registry_path=Path(registry_path), now=NOW, local=True,
                           log_level="ERROR", backfill=True, progress="off",
                           overrides={**CRAWL_SETTINGS, "HROMADA_WORKERS": workers})
    started, started_cpu = time.perf_counter(), time.thread_time()
    run_id = run_crawl(options)
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    with Archive(archive_path) as archive:
        row = archive.db.execute("select sum(articles_new), sum(pages) from run_sources where run_id = ?",
                                 [run_id]).fetchone()
    clock.wall["other"] = elapsed - sum(clock.wall.values())
    clock.cpu["other"] = cpu - sum(clock.cpu.values())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker processes, stopped with the crawl
    return {"seconds": elapsed, "cpu_seconds": cpu, "new": row[0] or 0, "pages": row[1] or 0,
            "worker_cpu_seconds": children.ru_utime + children.ru_stime,
            "peak_rss_mb": own_peak_mb(),  # not ru_maxrss: that starts from the parent's peak (tests/peak_memory.py)
            "worker_peak_rss_mb": children.ru_maxrss / 1024,
            "stages_wall": clock.wall, "stages_cpu": clock.cpu}


def crawl(archive: Path, registry: Path, workers: str) -> dict:
    """One crawl in a child process (Twisted's reactor runs once per process; RSS is the crawl's own)."""
    server_cpu = time.process_time()  # this process only serves the site while the child crawls
    result = subprocess.run([sys.executable, __file__, "--child", str(archive), str(registry), workers],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stderr[-3000:]}")
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "server_cpu_seconds": time.process_time() - server_cpu}


def print_stages(first_crawls: dict[tuple[int, str], dict]) -> None:
    """Milliseconds per archived article of each stage in the crawl's thread, wall / CPU, a column per crawl."""
    runs = [run for run, figures in first_crawls.items() if figures["new"]]
    if not runs:
        return
    stages = sorted({stage for run in runs for stage in first_crawls[run]["stages_wall"]},
                    key=lambda stage: (stage == "other", -first_crawls[runs[0]]["stages_wall"].get(stage, 0.0)))
    print("\nms per archived article in the crawl's own thread, first crawl (wall / CPU);")
    print("with workers, a stage that awaits one counts only its own steps here, and the workers' CPU is a row")
    print(f"{'stage':<22}" + "".join(f"{f'{size} w={workers}':>16}" for size, workers in runs))
    for stage in [*stages, "total", "worker processes"]:
        cells = []
        for run in runs:
            figures = first_crawls[run]
            if stage == "worker processes":
                wall, cpu = 0.0, figures["worker_cpu_seconds"]
            elif stage == "total":
                wall, cpu = figures["seconds"], figures["cpu_seconds"]
            else:
                wall, cpu = figures["stages_wall"].get(stage, 0.0), figures["stages_cpu"].get(stage, 0.0)
            cells.append(f"{1000 * wall / figures['new']:>8.2f} /{1000 * cpu / figures['new']:>6.2f}")
        print(f"{stage:<22}" + "".join(cells))


def print_crawl(size: int, workers: str, label: str, figures: dict) -> None:
    all_cpu = figures["cpu_seconds"] + figures["worker_cpu_seconds"]
    rate = figures["new"] / figures["seconds"] if figures["seconds"] else 0.0
    cpu_rate = figures["new"] / all_cpu if all_cpu else 0.0
    # Without workers the crawl's only child is a short `uname` (Python's platform module), whose peak RSS
    # is the crawl's own at the fork: nothing to report.
    worker_cpu, worker_mb = ((f"{figures['worker_cpu_seconds']:.1f}", f"{figures['worker_peak_rss_mb']:.0f}")
                             if workers != "0" else ("-", "-"))
    print(f"{size:>9} {workers:>7} {label:>12} {figures['new']:>9} {figures['pages']:>7} {figures['seconds']:>8.1f} "
          f"{rate:>11.1f} {figures['cpu_seconds']:>7.1f} {worker_cpu:>9} {cpu_rate:>10.1f} "
          f"{figures['server_cpu_seconds']:>9.1f} {figures['peak_rss_mb']:>10.0f} {worker_mb:>10}", flush=True)


CHILDREN = {"--child": lambda *args: crawl_in_this_process(*args),
            "--fleet-child": lambda *args: fleet_crawl_in_this_process(*args),
            "--ingest-child": lambda *args: ingest_in_this_process(*args),
            "--bare-child": lambda *args: bare_fetch_in_this_process(*args)}


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000], help="articles per generated site")
    parser.add_argument("--workers", nargs="+", default=["0", "auto"],
                        help="HROMADA_WORKERS values to compare (crawler/crawl/workers.py)")
    parser.add_argument("--frontier", action="store_true",
                        help="compare bare Scrapy, one process and a fleet of 1 and 2 on Redis (see above)")
    parser.add_argument("--frontier-size", type=int, default=5000, help="articles of the --frontier site")
    parser.add_argument("--frontier-sources", type=int, default=8, help="sources the --frontier site is split into")
    args = parser.parse_args()
    if args.frontier:
        frontier_benchmark(args.frontier_size, args.frontier_sources)
        return
    print(f"{'articles':>9} {'workers':>7} {'crawl':>12} {'archived':>9} {'pages':>7} {'seconds':>8} {'articles/s':>11} "
          f"{'CPU s':>7} {'worker s':>9} {'art/CPU s':>10} {'server s':>9} {'RSS MB':>10} {'worker MB':>10}")
    first_crawls = {}
    for size in args.sizes:
        for workers in args.workers:
            with tempfile.TemporaryDirectory() as directory, GeneratedSite(size) as site:
                archive = Path(directory) / "archive.db"
                registry = write_registry(Path(directory) / "sources.toml", site.base)
                for label in ("first", "incremental"):
                    figures = crawl(archive, registry, workers)
                    print_crawl(size, workers, label, figures)
                    if label == "first":
                        first_crawls[size, workers] = figures
    print_stages(first_crawls)


# --------------------------------------------------------------------------- --frontier: the fleet

#: A fleet process's heartbeat and how soon a silent one counts as dead: the writer ends a member TTL after the
#: last crawl process, a wait the figures leave out (the fleet is timed until the writer has stored everything).
FLEET_SETTINGS = {"HROMADA_FRONTIER_HEARTBEAT": 0.5, "HROMADA_FRONTIER_MEMBER_TTL": 3}


def fleet_crawl_in_this_process(registry_path: str, frontier_url: str) -> dict:
    """A crawl process as ``hromada crawl --frontier`` runs it: no archive file."""
    from crawler.cli.crawl import crawl_for_fleet
    from crawler.crawl.run import CrawlOptions

    options = CrawlOptions(archive_path=None, registry_path=Path(registry_path), now=NOW, local=True,
                           log_level="ERROR", backfill=True, progress="off",
                           overrides={**CRAWL_SETTINGS, **FLEET_SETTINGS, "HROMADA_WORKERS": "0",
                                      "HROMADA_FRONTIER": frontier_url})
    crawl_for_fleet(options)
    return {}


def ingest_in_this_process(archive_path: str, registry_path: str, frontier_url: str) -> dict:
    from crawler.crawl.ingest import run_ingest
    from crawler.crawl.run import CrawlOptions

    run_ingest(CrawlOptions(archive_path=Path(archive_path), registry_path=Path(registry_path), now=NOW,
                            log_level="ERROR", backfill=True, progress="off",
                            overrides={**FLEET_SETTINGS, "HROMADA_WORKERS": "0"}), frontier_url)
    return {}


def bare_fetch_in_this_process(registry_path: str) -> dict:
    """Bare Scrapy with our settings and no pipelines: every site's sitemap, then every page it lists."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler import settings as our_settings
    from crawler.registry import load_registry

    homepages = [source.homepage for source in load_registry(registry_path)]

    class FetchOnly(scrapy.Spider):
        name = "fetch_only"

        async def start(self):
            for homepage in homepages:
                yield scrapy.Request(homepage + "sitemap.xml", self.parse_sitemap)

        def parse_sitemap(self, response):
            for url in response.xpath("//*[local-name()='loc']/text()").getall():
                yield scrapy.Request(url, self.parse_page)

        def parse_page(self, response):
            self.crawler.stats.inc_value("fetched_pages")

    settings = {name: getattr(our_settings, name) for name in dir(our_settings) if name.isupper()}
    settings.update(CRAWL_SETTINGS, ITEM_PIPELINES={}, EXTENSIONS={}, LOG_LEVEL="ERROR", DOWNLOADER_MIDDLEWARES={
        name: order for name, order in our_settings.DOWNLOADER_MIDDLEWARES.items() if not name.startswith("crawler.")})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(FetchOnly)
    started = time.perf_counter()
    process.crawl(crawler)
    process.start()
    return {"seconds": time.perf_counter() - started, "new": crawler.stats.get_value("fetched_pages", 0)}


def start_child(mode: str, log: Path, *args: str) -> subprocess.Popen:
    """A child process of this script; its output goes to ``log`` (a pipe could fill and stall it)."""
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, __file__, mode, *args], cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT)
    process.log = log
    return process


def wait_child(process: subprocess.Popen) -> float:
    """Wait for a child started by :func:`start_child`; its CPU seconds (user + system)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}):\n{process.log.read_text()[-3000:]}")
    return usage.ru_utime + usage.ru_stime


def fleet_run(sites, directory: Path, registry: Path, crawl_processes: int) -> dict:
    """One fleet crawl: a fresh Redis and archive, a writer and ``crawl_processes`` crawl processes."""
    import redis as redis_module

    from tests.redis_server import RedisServer

    redis_dir = directory / f"redis-{crawl_processes}"
    redis_dir.mkdir()
    archive = directory / f"fleet-{crawl_processes}.db"
    with RedisServer(redis_dir) as server:
        client = redis_module.Redis.from_url(server.url)
        server_cpu, started = time.process_time(), time.perf_counter()
        writer = start_child("--ingest-child", directory / f"writer-{crawl_processes}.log", str(archive),
                             str(registry), server.url)
        crawlers = [start_child("--fleet-child", directory / f"crawl-{crawl_processes}-{n}.log", str(registry),
                                server.url)
                    for n in range(crawl_processes)]
        crawl_cpu = [wait_child(process) for process in crawlers]
        items, processing = (next(iter(client.keys(f"*:{name}")), b"-") for name in ("items", "processing"))
        while client.llen(items) or client.llen(processing):
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        writer_cpu = wait_child(writer)
        server_cpu = time.process_time() - server_cpu
        redis_cpu = client.info("cpu")
        redis_cpu = redis_cpu["used_cpu_sys"] + redis_cpu["used_cpu_user"]
    from crawler.archive.store import Archive

    with Archive(archive) as stored:
        new = stored.db.execute("select count(*) from articles").fetchone()[0]
    return {"seconds": seconds, "new": new, "crawl_cpu": crawl_cpu, "writer_cpu": writer_cpu,
            "server_cpu": server_cpu, "redis_cpu": redis_cpu}


def frontier_benchmark(size: int, source_count: int) -> None:
    per_site = size // source_count
    with contextlib.ExitStack() as stack:
        # distinct texts: the same articles on several sites would be stored once, as reposts
        sites = [stack.enter_context(GeneratedSite(per_site, number * per_site)) for number in range(source_count)]
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        registry = write_registry(directory / "sources.toml", *(site.base for site in sites))
        print(f"{per_site * source_count} articles in {source_count} sources on loopback, politeness off; "
              f"{os.cpu_count()} cores", flush=True)
        server_cpu = time.process_time()
        bare = json.loads(subprocess.run([sys.executable, __file__, "--bare-child", str(registry)], cwd=ROOT,
                                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        bare_rate = bare["new"] / bare["seconds"]
        print(f"bare Scrapy, fetch only (our settings, no pipelines): {bare['new']} pages in {bare['seconds']:.1f} s, "
              f"{bare_rate:.1f} pages/s (server CPU {time.process_time() - server_cpu:.1f} s)", flush=True)
        print(f"\n{'crawl':<34} {'articles':>8} {'seconds':>8} {'articles/s':>10} {'of bare':>8} "
              f"{'crawl CPU s':>12} {'writer CPU s':>12} {'server CPU s':>12} {'CPU ms/article':>15}")

        def row(label: str, new: int, seconds: float, crawl_cpu: float, writer_cpu: float | None, server_cpu: float):
            rate = new / seconds
            total_cpu = crawl_cpu + (writer_cpu or 0.0)
            print(f"{label:<34} {new:>8} {seconds:>8.1f} {rate:>10.1f} {rate / bare_rate:>8.2f} {crawl_cpu:>12.1f} "
                  f"{'-' if writer_cpu is None else f'{writer_cpu:.1f}':>12} {server_cpu:>12.1f} "
                  f"{1000 * total_cpu / new:>15.2f}", flush=True)
            return rate

        for workers in ("0", "auto"):
            archive = directory / f"single-{workers}.db"
            figures = crawl(archive, registry, workers)
            row(f"one process, workers {workers} (today)", figures["new"], figures["seconds"],
                figures["cpu_seconds"] + figures["worker_cpu_seconds"], None, figures["server_cpu_seconds"])
        fleet = {}
        for processes in (1, 2):
            figures = fleet_run(sites, directory, registry, processes)
            fleet[processes] = figures
            fleet[processes]["rate"] = row(f"fleet: {processes} crawl + 1 writer", figures["new"], figures["seconds"],
                                           sum(figures["crawl_cpu"]), figures["writer_cpu"], figures["server_cpu"])
        print_fleet_summary(fleet, os.cpu_count() or 1)


def print_fleet_summary(fleet: dict[int, dict], cores: int) -> None:
    one, two = fleet[1], fleet[2]
    print(f"\nfleet 2:1 = {two['rate'] / one['rate']:.2f}")
    crawl_ms = 1000 * sum(two["crawl_cpu"]) / two["new"]
    writer_ms = 1000 * two["writer_cpu"] / two["new"]
    server_ms = 1000 * two["server_cpu"] / two["new"]
    redis_ms = 1000 * two["redis_cpu"] / two["new"]
    busy = (sum(two["crawl_cpu"]) + two["writer_cpu"] + two["server_cpu"] + two["redis_cpu"]) / (two["seconds"] * cores)
    print(f"per article (2 crawl processes): crawl {crawl_ms:.2f} ms CPU, writer {writer_ms:.2f} ms CPU, "
          f"redis-server {redis_ms:.2f} ms CPU, site server {server_ms:.2f} ms CPU; "
          f"the {cores} cores were {100 * busy:.0f}% busy")
    print("estimate on more cores (crawl processes scale out; the writer is one process, so it caps the fleet):")
    for more in (4, 8, 16):
        crawl_bound = (more - 1) / (crawl_ms / 1000)  # a core kept for the writer
        writer_bound = 1000 / writer_ms
        print(f"  {more:>2} cores: about {min(crawl_bound, writer_bound):.0f} articles/s "
              f"(crawl processes alone {crawl_bound:.0f}/s, the writer alone {writer_bound:.0f}/s)")


if __name__ == "__main__":
    main()
