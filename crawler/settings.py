"""Scrapy settings for hromada-news. Polite by default; tests and the demo override a few."""

BOT_NAME = "hromada-news"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.cli.scrapy_commands"  # `scrapy crawl` checks the registry, sources and archive first

USER_AGENT = "hromada-news/0.1 (+https://github.com/hromada-news/hromada-news; archive of Ukrainian community news)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
# Outputs of one response processed in parallel. Our pipelines are synchronous, so more buys nothing,
# and Scrapy starts this many asyncio tasks per response (the default 100 cost ~1 ms per page).
CONCURRENT_ITEMS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"  # the spider logs each failed page in one line (crawler/crawl/spider_base.py)
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port listening during crawls
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.crawl.runlog.QuietLogFormatter"
STATS_CLASS = "crawler.crawl.runlog.PlainStatsCollector"
DOWNLOADER_STATS = False  # per-page byte counts in Scrapy's own stats; nothing reads them, and they cost ~0.2 ms a page

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.boilerplate.BoilerplatePipeline": 200,
    "pipelines.dates.DatesPipeline": 300,
    "pipelines.validate.ValidatePipeline": 400,
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.analyse.AnalysePipeline": 550,
    "pipelines.archive.ArchivePipeline": 600,
    "pipelines.places.PlacesPipeline": 700,
    "pipelines.stories.StoriesPipeline": 800,
    "pipelines.search.SearchIndexPipeline": 900,
}

EXTENSIONS = {
    "crawler.crawl.runlog.RunRecorder": 500,
    "crawler.crawl.progress.CrawlProgress": 510,
}

DOWNLOADER_MIDDLEWARES = {
    "crawler.crawl.middlewares.ConditionalRequestMiddleware": 560,
    # Scrapy's own, each in its place with a fix or a guard against hostile sites (crawler/crawl/middlewares.py);
    # robots.txt: requests waiting for a site's robots.txt got "allow all", and a failed fetch a traceback.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.crawl.middlewares.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.crawl.middlewares.SiteMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.crawl.middlewares.BoundedDecompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.crawl.middlewares.SiteRedirectMiddleware": 600,
    # Off: the spider keeps to each source's own site itself (no allowed_domains), and no source needs HTTP auth.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
# Off: no depth limit (the depth stats cost an async generator layer per response), the spider copies no meta
# from responses to requests (the copy detector is a development aid), and no Referer header (sites need none
# from an archive; working out its policy cost ~0.25 ms a request).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
}

# hromada-news settings (one place each):
HROMADA_REGISTRY = None          # path of the source registry; None = data/sources.toml
HROMADA_ARCHIVE = None           # path of the archive database; None = data/archive.db
HROMADA_BASE_URLS = {}           # {source_id: base URL} filling {base} in a registry (sample sites)
HROMADA_NOW = None               # ISO datetime: freeze the crawl clock (tests, demo); None = real time
HROMADA_MAX_LISTING_PAGES = 5    # listing pages walked per listing per run
HROMADA_MIN_TEXT_CHARS = 200     # shorter extracted text is dropped as "too_short"
HROMADA_SINCE = None             # ISO date: discovery skips entries published before it; None = HROMADA_SINCE_DAYS back
HROMADA_SINCE_DAYS = 30          # how far back a crawl (the first one of a source included) reaches by default
HROMADA_BACKFILL = False         # True: no since bound, listings walked up to HROMADA_BACKFILL_LISTING_PAGES
HROMADA_BACKFILL_LISTING_PAGES = 500
HROMADA_COMMIT_ITEMS = 200         # the crawl commits its writes every this many finished items (crawler/crawl/run.py)
HROMADA_COMMIT_SECONDS = 1.0       # ... or when the uncommitted batch is this old; a kill loses at most one batch
HROMADA_WORKERS = "auto"         # processes for extraction, boilerplate, places, MinHash (crawler/crawl/workers.py):
                                 # a number; 0 = all in the crawl's thread; auto = usable cores - 1
HROMADA_SEARCH_INDEX_BATCH = 500  # saved articles lemma-indexed together (pipelines/search.py); all at the end
HROMADA_RETRY_AFTER_MAX = 120.0  # seconds: the longest Retry-After waited out; a longer one gives the page up this run
HROMADA_REFRESH = False          # True: fetch article pages again even when already archived
HROMADA_PROGRESS = "auto"        # live (rich display) | log (plain lines) | off | auto = live on a terminal, else log
HROMADA_PROGRESS_INTERVAL = 30.0 # seconds between progress lines in "log" mode
HROMADA_FRONTIER = None          # redis://HOST:PORT/N: a request queue shared by a fleet of crawl processes
                                 # (crawler/crawl/frontier.py); None = this process's own queue
HROMADA_FRONTIER_HEARTBEAT = 1.0 # seconds between a fleet member's heartbeats in Redis
HROMADA_FRONTIER_MEMBER_TTL = 10.0  # a member silent this long counts as dead (killed, host down)
HROMADA_FRONTIER_WAIT = 300.0    # seconds a fleet process waits for a frontier that went away (a Redis restart)
HROMADA_WRITER_WAIT = 120.0      # seconds a fleet's crawl processes wait for the writer to publish the archive's state
HROMADA_INGEST_FROM = None       # the frontier whose items `hromada ingest` stores (crawler/crawl/ingest.py)
