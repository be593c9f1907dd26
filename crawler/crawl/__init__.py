"""The crawl side: spider machinery, discovery, middlewares, run records, progress, lock, schedule, workers, health."""
