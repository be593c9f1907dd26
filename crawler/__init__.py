"""hromada-news: crawler and archive of Ukrainian community news."""

__version__ = "0.1.0"
