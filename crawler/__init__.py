"""hromada-news: crawler and archive of Ukrainian community news."""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_DIR = Path(__file__).resolve().parent.parent  # the checkout: data/, spiders/, pipelines/ beside crawler/
