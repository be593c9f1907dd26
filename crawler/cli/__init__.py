"""The ``hromada`` command line: a thin click layer over the library.

Each module in ``COMMAND_MODULES`` defines click commands and lists them in
``COMMANDS``; this group registers them.
"""

from __future__ import annotations

import importlib

import click

from crawler import __version__

COMMAND_MODULES = [
    "crawler.cli.sources",
    "crawler.cli.crawl",
    "crawler.cli.health",
    "crawler.cli.extract",
    "crawler.cli.places",
    "crawler.cli.query",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="hromada")
def main() -> None:
    """hromada-news: crawl, archive, search and export Ukrainian community news.

    \b
    Example:
        hromada demo                 # offline crawl of the bundled sample sites
        hromada search "громада" --db data/demo.db
    """


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).COMMANDS:
        main.add_command(_command)
