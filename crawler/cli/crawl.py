"""``hromada crawl`` and ``hromada demo``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from click.core import ParameterSource
from rich.console import Console
from rich.table import Table

from crawler.archive.store import Archive, check_archive_file, check_free_space
from crawler.cli.common import db_option, open_archive_or_exit, registry_option, selected_sources_or_exit
from crawler.cli.errors import ARCHIVE_UNUSABLE, BAD_INPUT, BadInput, remember_archive
from crawler.crawl.run import CrawlOptions, run_crawl, run_summary
from crawler.crawl.health import FAILED_VERDICTS
from crawler.crawl.lock import CrawlLock, LockHeld, pid_is_alive
from crawler.crawl.progress import PROGRESS_MODES

DEMO_ARCHIVE = Path(__file__).resolve().parent.parent.parent / "data" / "demo.db"
KYIV = ZoneInfo("Europe/Kyiv")
LOCKED_EXIT_STATUS = BAD_INPUT


@click.command()
@click.argument("source_ids", nargs=-1)
@db_option
@registry_option
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy log level.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Skip feed/sitemap entries published before this date and stop listings at it "
                   "[default: HROMADA_SINCE_DAYS (30) days back].")
@click.option("--backfill", is_flag=True, help="Walk the whole history: no --since bound, listings paginated further.")
@click.option("--refresh", is_flag=True,
              help="Visit every archived article published within --since again: a changed title or text is kept as "
                   "a new revision, a page gone (404/410) flags its article removed.")
@click.option("--progress", type=click.Choice(PROGRESS_MODES), default="auto", show_default=True,
              help="auto: a live table on a terminal, plain lines otherwise (cron).")
@click.option("--workers", default=None, callback=lambda _context, _option, value: checked_workers(value),
              help="Processes for extraction and place tagging: a number, 0 for none (all in the crawl's "
                   "thread), or auto: one per core beyond the crawl's own [default: HROMADA_WORKERS, auto].")
@click.option("--frontier", envvar="HROMADA_FRONTIER", default=None, metavar="redis://HOST:PORT/N",
              help="Share the request queue with other crawl processes of the registry through this Redis "
                   "(see README, Running on several machines) [env: HROMADA_FRONTIER].")
def crawl(source_ids, db_path, registry_path, log_level, since, backfill, refresh, progress, workers,
          frontier) -> None:
    """Crawl sources from the registry into the archive (all sources when none are named).

    Incremental: feeds, sitemaps and listings are revisited (conditionally), article pages already archived
    are not fetched again. Only one crawl runs on an archive at a time. Exits with status 1 when any source
    failed (unreachable, blocked, layout changed) or the crawl was interrupted, so cron mail and systemd
    alerts work.

    \b
    Example:
        hromada crawl ekhmilnyk --db data/archive.db
        hromada crawl --since 2025-06-01
        hromada crawl gromada-gov --backfill    # the whole history of one source
        hromada crawl --refresh --since 2025-06-01   # revisit archived articles for revisions and removals
        hromada crawl --workers 0               # a one-core machine: no worker processes
        hromada crawl --frontier redis://10.0.0.5:6379/0   # one of a fleet of crawl processes (no --db)
    """
    selected_sources_or_exit(registry_path, source_ids)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=KYIV)
    overrides = {"HROMADA_WORKERS": workers} if workers is not None else {}
    options = CrawlOptions(archive_path=db_path, registry_path=registry_path, source_ids=source_ids,
                           log_level=log_level, since=since, backfill=backfill, refresh=refresh, progress=progress,
                           overrides=overrides)
    if not frontier:
        sys.exit(crawl_and_report(options))
    if click.get_current_context().get_parameter_source("db_path") is not ParameterSource.DEFAULT:
        raise BadInput(f"--db {db_path} with --frontier: a fleet's crawl process keeps no archive; its articles go "
                       f"to the writer, `hromada ingest --frontier {frontier} --db ARCHIVE` on the archive's host")
    checked_frontier(frontier)
    overrides["HROMADA_FRONTIER"] = frontier
    sys.exit(crawl_for_fleet(options))


SCRATCH_PREFIX = "hromada-crawl-"


def crawl_for_fleet(options: CrawlOptions) -> int:
    """A fleet's crawl process: what outlives the run is in Redis; the run's own bookkeeping (the counts its table
    prints, the lock) goes into a scratch file in a temporary directory, removed when the crawl ends (or, for a
    process that was killed, by the next one on the host)."""
    remove_scratch_of_ended_processes(Path(tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
        options.archive_path = Path(scratch) / "run.db"
        open_archive_or_exit(options.archive_path).close()
        return report_run(options.archive_path, run_crawl(options), judge_sources=False)


def remove_scratch_of_ended_processes(temp_dir: Path) -> None:
    """Scratch directories whose crawl process is no longer running (it was killed before it could remove them)."""
    for scratch in temp_dir.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = scratch.name[len(SCRATCH_PREFIX):].partition("-")[0]
        if pid.isdigit() and not pid_is_alive(int(pid)):
            shutil.rmtree(scratch, ignore_errors=True)


def checked_frontier(url: str) -> None:
    """Exit 2 with a line naming the address when the frontier's Redis does not answer."""
    from crawler.crawl.frontier import FrontierUnreachable, connect

    try:
        connect(url).close()
    except FrontierUnreachable as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(LOCKED_EXIT_STATUS)


def checked_workers(value: str | None) -> str | None:
    from crawler.crawl.workers import worker_count

    if value is not None:
        try:
            worker_count(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


def crawl_and_report(options: CrawlOptions) -> int:
    """Run the crawl and print its table; the exit status (0 ok, 1 failed or interrupted, 2 locked, 3 the archive
    unusable: checked before the crawl starts, or failing during it)."""
    open_archive_or_exit(options.archive_path).close()  # creates or migrates it; an unusable one stops here
    try:
        run_id = run_crawl(options)
    except LockHeld as error:
        click.echo(f"Error: {error}", err=True)
        return LOCKED_EXIT_STATUS
    return report_run(options.archive_path, run_id)


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEMO_ARCHIVE,
              show_default=True, help="Archive to crawl the sample sites into.", callback=remember_archive)
@click.option("--log-level", default="ERROR", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy log level.")
def demo(db_path, log_level) -> None:
    """Serve the bundled sample sites on 127.0.0.1 and crawl them all, offline.

    \b
    Example:
        hromada demo --db /tmp/demo.db
    """
    from crawler.crawl.samples import SAMPLE_REGISTRY, SampleSites, check_archive

    now = datetime.now(timezone.utc).replace(microsecond=0)
    with SampleSites(now=now) as sites:
        start_demo_archive(db_path, set(sites.base_urls))
        click.echo(f"Serving {len(sites.base_urls)} sample sites on 127.0.0.1; crawling into {db_path}")
        options = CrawlOptions(archive_path=db_path, registry_path=SAMPLE_REGISTRY, base_urls=sites.base_urls,
                               now=now, local=True, log_level=log_level, backfill=True)
        status = crawl_and_report(options)
        expected = sites.expected_articles()
    show_some_titles(db_path)
    with Archive(db_path, read_only=True) as archive:
        report = check_archive(list(archive.db.query("select url, title, text, published_at from articles")), expected)
    click.echo(f"\nGround truth: {report.summary()}")
    click.echo(f"\nTry: hromada search \"громада\" --db {db_path}    hromada stories --db {db_path}    "
               f"hromada serve --db {db_path}")
    sys.exit(status or (0 if report.perfect else 1))


def start_demo_archive(db_path: Path, sample_ids: set[str]) -> None:
    """The demo crawls into an archive of its own, replacing a previous demo's: the sample sites get new
    loopback ports each run, so their articles' URLs change. An archive of other sources is never touched."""
    if not db_path.exists():
        return
    other_sources = archived_sources(db_path) - sample_ids
    check_archive_file(db_path, for_writing=True)  # a read-only file: say so before deleting
    check_free_space(db_path)
    if other_sources:
        raise BadInput(f"{db_path} holds articles of other sources ({', '.join(sorted(other_sources)[:3])}...); "
                       f"the demo needs an archive of its own: give --db a new file")
    try:
        with CrawlLock(db_path):
            for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), Path(f"{db_path}-reserve")):
                path.unlink(missing_ok=True)
    except LockHeld as error:
        raise BadInput(str(error)) from None
    click.echo(f"Replaced the previous demo archive {db_path}")


def archived_sources(db_path: Path) -> set[str]:
    """The source ids of an archive's articles and runs; a file that is no archive is a clear error."""
    with open_archive_or_exit(db_path, read_only=True) as archive:
        return {row[0] for row in archive.db.execute(
            "select source_id from articles union select source_id from run_sources")}


def report_run(db_path: Path, run_id: int, judge_sources: bool = True) -> int:
    """Print the run's per-source table; the exit status is 1 when any source failed or the run was interrupted.

    ``judge_sources=False``: a fleet's crawl process, which stores nothing and works some of the sources; it shows
    the sources it worked, and their verdicts are the writer's run's (``hromada status`` on the archive)."""
    with Archive(db_path, read_only=True) as archive:
        rows = run_summary(archive, run_id)
        run_status, failure = archive.db.execute("select status, failure from runs where id = ?", [run_id]).fetchone()
    if not judge_sources:
        rows = [dict(row, status="(writer)") for row in rows if row["pages"] or row["errors"]]
    table = Table(title=f"Crawl run {run_id} ({run_status})")
    counted = ("pages", "new", "updated", "unchanged", "removed")
    for column in ("source", "status", *counted, "dropped", "errors"):
        table.add_column(column, justify="right" if column in counted else "left")
    for row in rows:
        table.add_row(row["source_id"], row["status"], str(row["pages"]), str(row["articles_new"]),
                      str(row["articles_updated"]), str(row["articles_unchanged"]), str(row["articles_removed"] or 0),
                      _reasons(row["dropped"]), _reasons(row["errors"]))
    Console(width=160).print(table)
    if failure:
        click.echo(f"Error: the crawl stopped: {failure}", err=True)
        return ARCHIVE_UNUSABLE
    if not judge_sources:
        click.echo("The sources' verdicts are the writer's: hromada status --db ARCHIVE on the archive's host",
                   err=True)
    failed = run_status != "finished" or any(row["status"] in FAILED_VERDICTS for row in rows)
    return 1 if failed else 0


def show_some_titles(db_path: Path, limit: int = 8) -> None:
    with Archive(db_path, read_only=True) as archive:
        rows = list(archive.db.query(
            "select source_id, published_at, date_source, title from articles order by published_at desc limit ?", [limit]))
    click.echo("\nNewest archived articles:")
    for row in rows:
        click.echo(f"  {row['published_at'] or 'no date':<25} [{row['date_source'] or '-':<7}] {row['source_id']}: {row['title']}")


def _reasons(counts: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "-"
