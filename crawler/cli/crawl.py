"""``hromada crawl`` and ``hromada demo``."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.archive import Archive
from crawler.cli.common import db_option, load_sources_or_exit, registry_option
from crawler.crawl import CrawlOptions, run_crawl, run_summary
from crawler.registry import select_sources

DEMO_ARCHIVE = Path(__file__).resolve().parent.parent.parent / "data" / "demo.db"


@click.command()
@click.argument("source_ids", nargs=-1)
@db_option
@registry_option
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy log level.")
def crawl(source_ids, db_path, registry_path, log_level) -> None:
    """Crawl sources from the registry into the archive (all sources when none are named).

    Exits with status 1 when any source failed, so cron mail and systemd alerts work.

    \b
    Example:
        hromada crawl ekhmilnyk --db data/archive.db
    """
    sources = load_sources_or_exit(registry_path)
    try:
        select_sources(sources, source_ids)
    except KeyError as error:
        raise click.ClickException(error.args[0]) from None
    options = CrawlOptions(archive_path=db_path, registry_path=registry_path, source_ids=source_ids, log_level=log_level)
    run_id = run_crawl(options)
    sys.exit(report_run(db_path, run_id))


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEMO_ARCHIVE,
              show_default=True, help="Archive to crawl the sample sites into.")
@click.option("--log-level", default="ERROR", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy log level.")
def demo(db_path, log_level) -> None:
    """Serve the bundled sample sites on 127.0.0.1 and crawl them all, offline.

    \b
    Example:
        hromada demo --db /tmp/demo.db
    """
    from crawler.samples import SAMPLE_REGISTRY, SampleSites

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with SampleSites(now=now) as sites:
        click.echo(f"Serving {len(sites.base_urls)} sample sites on 127.0.0.1; crawling into {db_path}")
        options = CrawlOptions(archive_path=db_path, registry_path=SAMPLE_REGISTRY, base_urls=sites.base_urls,
                               now=now, local=True, log_level=log_level)
        run_id = run_crawl(options)
    status = report_run(db_path, run_id)
    show_some_titles(db_path)
    sys.exit(status)


def report_run(db_path: Path, run_id: int) -> int:
    """Print the run's per-source table; the exit status is 1 when any source failed."""
    with Archive(db_path) as archive:
        rows = run_summary(archive, run_id)
    table = Table(title=f"Crawl run {run_id}")
    for column in ("source", "status", "pages", "new", "updated", "unchanged", "dropped", "errors"):
        table.add_column(column, justify="right" if column in ("pages", "new", "updated", "unchanged") else "left")
    for row in rows:
        table.add_row(row["source_id"], row["status"], str(row["pages"]), str(row["articles_new"]),
                      str(row["articles_updated"]), str(row["articles_unchanged"]),
                      _reasons(row["dropped"]), _reasons(row["errors"]))
    Console(width=160).print(table)
    return 1 if any(row["status"] != "ok" for row in rows) else 0


def show_some_titles(db_path: Path, limit: int = 8) -> None:
    with Archive(db_path) as archive:
        rows = list(archive.db.query(
            "select source_id, published_at, date_source, title from articles order by published_at desc limit ?", [limit]))
    click.echo("\nNewest archived articles:")
    for row in rows:
        click.echo(f"  {row['published_at'] or 'no date':<25} [{row['date_source'] or '-':<7}] {row['source_id']}: {row['title']}")


def _reasons(counts: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "-"


COMMANDS = [crawl, demo]
