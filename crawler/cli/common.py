"""Options and output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from crawler.archive.store import DEFAULT_ARCHIVE, Archive
from crawler.cli.errors import BadInput, remember_archive
from crawler.registry import DEFAULT_REGISTRY, RegistryError, load_registry, select_sources

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_ARCHIVE,
    show_default=True, help="Archive database file.", callback=remember_archive,
)
registry_option = click.option(
    "--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_REGISTRY,
    show_default=True, help="Source registry file.",
)


def print_json(data) -> None:
    """JSON on stdout with Cyrillic kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def load_sources_or_exit(path: Path, **kwargs):
    try:
        return load_registry(path, **kwargs)
    except RegistryError as error:
        raise BadInput(str(error)) from None


def selected_sources_or_exit(path: Path, source_ids, **kwargs):
    """The registry's sources named by ``source_ids`` (all when none); an unknown id is bad input."""
    try:
        return select_sources(load_sources_or_exit(path, **kwargs), source_ids)
    except KeyError as error:
        raise BadInput(error.args[0]) from None


def open_archive_or_exit(path: Path, *, read_only: bool = False) -> Archive:
    """The archive; one that cannot be used raises ArchiveError, which the CLI's error path (crawler/cli/errors.py)
    prints as one line with exit status 3."""
    return Archive(path, read_only=read_only)


def is_terminal() -> bool:
    return sys.stdout.isatty()
