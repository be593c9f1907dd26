"""The item that travels from the spider through the pipelines."""

import scrapy


class ArticleItem(scrapy.Item):
    # set by the spider
    source_id = scrapy.Field()
    url = scrapy.Field()             # the URL fetched
    discovered_via = scrapy.Field()  # feed | sitemap | listing
    fetched_at = scrapy.Field()      # timezone-aware datetime of the fetch (the crawl clock)
    http_status = scrapy.Field()
    content_type = scrapy.Field()
    encoding = scrapy.Field()        # charset from the HTTP header, if any
    body = scrapy.Field()            # raw page bytes
    # set by ExtractPipeline
    canonical_url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    author = scrapy.Field()
    language = scrapy.Field()
    page_type = scrapy.Field()
    date_candidates = scrapy.Field()
    # set by DatesPipeline
    published_at = scrapy.Field()
    published_raw = scrapy.Field()
    date_source = scrapy.Field()
    modified_at = scrapy.Field()
    modified_raw = scrapy.Field()
    modified_source = scrapy.Field()
    # set by AnalysePipeline (None when its worker failed)
    places = scrapy.Field()          # list of crawler.analysis.places.Place
    signature = scrapy.Field()       # MinHash values (crawler.analysis.minhash.signature), None for a short text
    index_texts = scrapy.Field()     # (title, text) lemmatized for the search index
    # set by ArchivePipeline
    content_hash = scrapy.Field()
    article_id = scrapy.Field()
    outcome = scrapy.Field()         # new | updated | unchanged

    def __repr__(self) -> str:
        return f"<ArticleItem {self.get('source_id')} {self.get('url')}>"
