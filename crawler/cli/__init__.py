"""The ``hromada`` command line: a thin click layer over the library.

``COMMANDS`` names each command and where it lives; a command's module is
imported only when that command runs, so ``hromada search`` never loads Scrapy.
"""

from __future__ import annotations

import importlib

import click

from crawler import __version__
from crawler.cli.errors import EXIT_STATUSES, handle_command_errors

#: name -> (where the command lives, its one-line help). ``hromada --help`` lists these lines without
#: importing any command module; tests/test_startup.py checks each line against its command's docstring.
COMMANDS = {
    "sources": ("crawler.cli.sources:sources", "Inspect the source registry (data/sources.toml)."),
    "crawl": ("crawler.cli.crawl:crawl",
              "Crawl sources from the registry into the archive (all sources when none are named)."),
    "demo": ("crawler.cli.crawl:demo", "Serve the bundled sample sites on 127.0.0.1 and crawl them all, offline."),
    "ingest": ("crawler.cli.fleet:ingest",
               "Store the articles of a fleet of crawl processes (``hromada crawl --frontier``) in the archive."),
    "fleet": ("crawler.cli.fleet:fleet",
              "The crawl processes sharing a frontier (host, pid, heartbeat age, the sources they hold leases "
              "on), requests per source (queued, and taken but not finished) and the items waiting for the "
              "writer."),
    "status": ("crawler.cli.health:status",
               "One line per source crawled into this archive, worst first: its verdict, last successful run, "
               "new articles last run vs the usual rate and why; then a one-line summary."),
    "schedule": ("crawler.cli.health:schedule",
                 "Run `hromada crawl` on a schedule until stopped (SIGTERM/Ctrl-C stop after the crawl in progress)."),
    "extract": ("crawler.cli.extract:extract_command", "Print the cleaned article of one saved HTML page as JSON."),
    "eval": ("crawler.cli.extract:eval_command",
             "Score extraction on a WCXB-layout folder (html/ID.html.gz, ground-truth/ID.json)."),
    "reextract": ("crawler.cli.extract:reextract_command",
                  "Re-run extraction over the raw pages stored in the archive; report rows changed."),
    "stories": ("crawler.cli.places:stories", "List the largest stories: one press release reposted across sites."),
    "reindex": ("crawler.cli.places:reindex", "Tag every article with its places and rebuild every repost story."),
    "search": ("crawler.cli.query:search", "Search the archive; inflected forms and apostrophe variants match."),
    "export": ("crawler.cli.query:export", "Export matching articles with a manifest and codebook beside the data file."),
    "serve": ("crawler.cli.query:serve",
              "Search and read the archive in the browser, on 127.0.0.1 (read-only, Datasette underneath)."),
    "stats": ("crawler.cli.query:stats",
              "Articles per source (with undated counts), per month, or about each oblast or hromada."),
}


def listed_help(name: str, limit: int) -> str:
    """The command's line of ``COMMANDS`` shortened the way click shortens a docstring."""
    return click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; its help lists them from ``COMMANDS`` alone."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, listed_help(name, limit)) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        return handle_command_errors(ctx, lambda: super(LazyGroup, self).invoke(ctx))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_STATUSES)
@click.version_option(__version__, prog_name="hromada")
@click.option("--debug", is_flag=True, envvar="HROMADA_DEBUG",
              help="Show the traceback of a failure (for bug reports) [env: HROMADA_DEBUG=1].")
def main(debug: bool) -> None:
    """hromada-news: crawl, archive, search and export Ukrainian community news.

    \b
    Example:
        hromada demo                 # offline crawl of the bundled sample sites
        hromada search "громада" --db data/demo.db
    """

