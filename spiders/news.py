"""The one generic news spider: everything it does comes from the source registry."""

from crawler.crawl.spider_base import RegistryNewsSpider


class NewsSpider(RegistryNewsSpider):
    name = "news"
