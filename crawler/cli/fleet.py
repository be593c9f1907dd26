"""``hromada ingest`` (the fleet's archive writer) and ``hromada fleet`` (its processes and queues)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from crawler.cli.common import db_option, load_sources_or_exit, open_archive_or_exit, print_json, registry_option

frontier_option = click.option(
    "--frontier", envvar="HROMADA_FRONTIER", required=True, metavar="redis://HOST:PORT/N",
    help="The fleet's Redis (as given to the crawl processes) [env: HROMADA_FRONTIER].")


def connect_or_exit(url: str):
    from crawler.crawl.frontier import FrontierUnreachable, connect

    try:
        return connect(url)
    except FrontierUnreachable as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)


@click.command()
@frontier_option
@db_option
@registry_option
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy log level.")
def ingest(frontier, db_path, registry_path, log_level) -> None:
    """Store the articles of a fleet of crawl processes (``hromada crawl --frontier``) in the archive.

    The one writer of a fleet: runs the archive stages (duplicates, archive, places, stories, search index)
    on each finished item from Redis, and ends when no crawl process is alive and nothing is waiting. An
    item is removed from Redis only once committed, so a killed writer loses nothing.

    \b
    Example:
        hromada ingest --frontier redis://10.0.0.5:6379/0 --db data/archive.db
    """
    from crawler.cli.crawl import LOCKED_EXIT_STATUS, report_run
    from crawler.crawl.ingest import run_ingest
    from crawler.crawl.lock import LockHeld
    from crawler.crawl.run import CrawlOptions

    load_sources_or_exit(registry_path)
    open_archive_or_exit(db_path).close()  # creates or migrates it; an unusable one stops here
    connect_or_exit(frontier).close()
    options = CrawlOptions(archive_path=db_path, registry_path=registry_path, log_level=log_level, progress="off")
    try:
        run_id = run_ingest(options, frontier)
    except LockHeld as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(LOCKED_EXIT_STATUS)
    sys.exit(report_run(db_path, run_id))


@click.command()
@frontier_option
@registry_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
def fleet(frontier, registry_path, as_json) -> None:
    """The crawl processes sharing a frontier (host, pid, heartbeat age, the sources they hold leases on),
    requests per source (queued, and taken but not finished) and the items waiting for the writer.

    \b
    Example:
        hromada fleet --frontier redis://10.0.0.5:6379/0
    """
    from crawler.crawl.frontier import fleet_state, keys
    from crawler.crawl.run import CrawlOptions, build_settings

    load_sources_or_exit(registry_path)
    settings = build_settings(CrawlOptions(archive_path=Path("-"), registry_path=registry_path))
    client = connect_or_exit(frontier)
    state = fleet_state(client, keys(settings), settings.getfloat("HROMADA_FRONTIER_MEMBER_TTL"))
    if as_json:
        print_json(state)
        return
    click.echo(f"{len(state['processes'])} processes:")
    for process in state["processes"]:
        click.echo(f"  {process['host']} pid {process['pid']}: heartbeat {process['heartbeat_age_s']} s ago"
                   f"{'' if process['alive'] else ' (dead)'}{', busy' if process['busy'] else ''}; "
                   f"sources: {', '.join(process['sources']) or 'none'}")
    for label, key in (("Pending requests", "pending_requests"), ("Taken, not finished", "unfinished_requests")):
        click.echo(f"{label}: " + (", ".join(f"{source} {count}" for source, count in state[key].items()) or "none"))
    click.echo(f"Items waiting for the writer: {state['items_waiting']} "
               f"(being stored: {state['items_being_stored']})")
