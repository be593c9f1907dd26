"""``hromada status`` (source health) and ``hromada schedule`` (crawls at fixed times, in-process)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.common import db_option, load_sources_or_exit, open_archive_or_exit, print_json
from crawler.crawl.health import FAILED_VERDICTS, source_health, summary_line
from crawler.registry import DEFAULT_REGISTRY
from crawler.crawl.schedule import ChildCrawl, Schedule, ScheduleError, Scheduler, crawl_command, install_stop_handlers

VERDICT_STYLES = {"ok": "green", "quiet": "yellow", "degraded": "yellow", "never_crawled": "dim"}


@click.command()
@db_option
@click.option("--registry", "registry_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_REGISTRY,
              show_default=True, help="Source registry: names of the sources, and with --all those never crawled.")
@click.option("--all", "all_sources", is_flag=True, help="Also list the registry's sources this archive never crawled.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source, for machines.")
def status(db_path, registry_path, all_sources, as_json) -> None:
    """One line per source crawled into this archive, worst first: its verdict, last successful run,
    new articles last run vs the usual rate and why; then a one-line summary.

    Verdicts: unreachable, blocked (403/429), layout changed (pages fetched but nothing extracted), degraded
    (a large share of its fetches failed), quiet (reachable, nothing new), OK, never crawled (with --all).
    Exits with status 1 when any source's last run failed (unreachable, blocked, layout changed).

    \b
    Example:
        hromada status --db data/archive.db
        hromada status --all --json | jq '.[] | select(.verdict != "ok")'
    """
    sources = {source.id: source.name for source in load_sources_or_exit(registry_path)}
    with open_archive_or_exit(db_path, read_only=True) as archive:
        rows = source_health(archive.db, sources, crawled_only=not all_sources)
    if as_json:
        print_json([row.to_json() for row in rows])
    else:
        console = Console(width=160)
        console.print(health_table(rows))
        console.print(summary_line(rows), highlight=False)
    sys.exit(1 if any(row.verdict in FAILED_VERDICTS for row in rows) else 0)


def health_table(rows) -> Table:
    table = Table(title="Source health")
    for column in ("source", "verdict", "last success", "new last run", "usual per run", "archived", "why"):
        table.add_column(column, justify="right" if column in ("new last run", "usual per run", "archived") else "left")
    for row in rows:
        style = VERDICT_STYLES.get(row.verdict, "bold red")
        table.add_row(row.source_id, f"[{style}]{row.label}[/]", row.last_success_at or "-",
                      "-" if row.new_last_run is None else str(row.new_last_run),
                      "-" if row.usual_new_per_run is None else f"{row.usual_new_per_run:g}",
                      str(row.articles_total), row.detail or "")
    return table


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--every", default=None, help="Interval between crawl starts: 90s, 30m, 6h, 1d.")
@click.option("--cron", default=None, help='Cron expression for crawl starts, e.g. "0 */6 * * *".')
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Stop after this many crawls.")
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED)
def schedule(every, cron, max_runs, crawl_args) -> None:
    """Run `hromada crawl` on a schedule until stopped (SIGTERM/Ctrl-C stop after the crawl in progress).

    Everything after the options is passed to `hromada crawl` (source ids, --db, --registry, ...). Each crawl
    runs in a child process and takes the archive lock, so it never overlaps another crawl.

    \b
    Example:
        hromada schedule --every 6h -- --db data/archive.db
        hromada schedule --cron "15 */6 * * *" -- ekhmilnyk --db data/archive.db
    """
    try:
        plan = Schedule.from_options(every, cron)
    except ScheduleError as error:
        raise click.UsageError(str(error)) from None
    command = crawl_command(list(crawl_args))
    child = ChildCrawl(command)
    scheduler = Scheduler(plan, child, clock=lambda: datetime.now().astimezone(), log=log_line, max_runs=max_runs)
    install_stop_handlers(scheduler, child, log_line)
    log_line(f"scheduling `hromada crawl {' '.join(crawl_args)}` {plan.describe()}")
    statuses = scheduler.run()
    sys.exit(statuses[-1] if statuses else 0)


def log_line(text: str) -> None:
    click.echo(f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S} [schedule] {text}", err=True)
