"""``scrapy crawl``: Scrapy's command with hromada's inputs checked first. A registry, source id or archive that
cannot be used ends it with the one line and exit status ``hromada crawl`` gives, not a traceback from inside
the crawler."""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.archive.store import DEFAULT_ARCHIVE
from crawler.cli.common import open_archive_or_exit, selected_sources_or_exit
from crawler.cli.errors import as_cli_error
from crawler.registry import DEFAULT_REGISTRY


class Command(ScrapyCrawl):
    def run(self, args, opts):
        problem = input_problem(self.settings, opts.spargs.get("source") or "")
        if problem is not None:
            message, self.exitcode = problem
            print(f"Error: {message}", file=sys.stderr)
            return
        super().run(args, opts)


def input_problem(settings, source_argument: str) -> tuple[str, int] | None:
    """(message, exit status) of the first input the crawl could not use, as the CLI's error path words it."""
    archive_path = Path(settings.get("HROMADA_ARCHIVE") or DEFAULT_ARCHIVE)
    try:
        selected_sources_or_exit(Path(settings.get("HROMADA_REGISTRY") or DEFAULT_REGISTRY),
                                 [source_id for source_id in source_argument.split(",") if source_id],
                                 base_urls=settings.getdict("HROMADA_BASE_URLS"))
        open_archive_or_exit(archive_path).close()  # creates or migrates it, as the crawl would
    except Exception as error:
        cli_error = as_cli_error(error, archive_path)
        return cli_error.message, cli_error.exit_code
    return None
