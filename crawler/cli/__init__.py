"""The ``hromada`` command line: a thin click layer over the library.

``COMMANDS`` names each command and where it lives; a command's module is
imported only when that command runs, so ``hromada search`` never loads Scrapy.
"""

from __future__ import annotations

import importlib

import click

from crawler import __version__

COMMANDS = {
    "sources": "crawler.cli.sources:sources",
    "crawl": "crawler.cli.crawl:crawl",
    "demo": "crawler.cli.crawl:demo",
    "ingest": "crawler.cli.fleet:ingest",
    "fleet": "crawler.cli.fleet:fleet",
    "status": "crawler.cli.health:status",
    "schedule": "crawler.cli.health:schedule",
    "extract": "crawler.cli.extract:extract_command",
    "eval": "crawler.cli.extract:eval_command",
    "reextract": "crawler.cli.extract:reextract_command",
    "stories": "crawler.cli.places:stories",
    "reindex": "crawler.cli.places:reindex",
    "search": "crawler.cli.query:search",
    "export": "crawler.cli.query:export",
    "serve": "crawler.cli.query:serve",
    "stats": "crawler.cli.query:stats",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="hromada")
def main() -> None:
    """hromada-news: crawl, archive, search and export Ukrainian community news.

    \b
    Example:
        hromada demo                 # offline crawl of the bundled sample sites
        hromada search "громада" --db data/demo.db
    """

