"""``scrapy crawl``: Scrapy's command with hromada's inputs checked first. A registry, source id or archive that
cannot be used ends it with the one line and exit status ``hromada crawl`` gives, not a traceback from inside
the crawler."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.archive.store import DEFAULT_ARCHIVE, Archive, ArchiveError
from crawler.cli.errors import BAD_INPUT, as_cli_error
from crawler.registry import DEFAULT_REGISTRY, RegistryError, load_registry, select_sources


class Command(ScrapyCrawl):
    def run(self, args, opts):
        problem = input_problem(self.settings, opts.spargs.get("source") or "")
        if problem is not None:
            message, self.exitcode = problem
            print(f"Error: {message}", file=sys.stderr)
            return
        super().run(args, opts)


def input_problem(settings, source_argument: str) -> tuple[str, int] | None:
    """(message, exit status) of the first input the crawl could not use, or None."""
    try:
        registry = load_registry(settings.get("HROMADA_REGISTRY") or DEFAULT_REGISTRY,
                                 base_urls=settings.getdict("HROMADA_BASE_URLS"))
        select_sources(registry, [source_id for source_id in source_argument.split(",") if source_id])
    except RegistryError as error:
        return str(error), BAD_INPUT
    except KeyError as error:
        return error.args[0], BAD_INPUT
    archive_path = Path(settings.get("HROMADA_ARCHIVE") or DEFAULT_ARCHIVE)
    try:
        Archive(archive_path).close()  # creates or migrates it, as the crawl would
    except (ArchiveError, sqlite3.Error, OSError) as error:
        cli_error = as_cli_error(error, archive_path)
        return cli_error.message, cli_error.exit_code
    return None
