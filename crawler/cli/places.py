"""``hromada stories`` and ``hromada reindex``: repost stories and places over the archive."""

from __future__ import annotations

import sqlite3
import time

import click

from crawler.cli.common import db_option, open_archive_or_exit, print_json
from crawler.cli.errors import ArchiveUnusable


@click.command()
@db_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="How many stories.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stories(db_path, limit, as_json) -> None:
    """List the largest stories: one press release reposted across sites.

    The original (earliest published copy) is marked with *.

    \b
    Example:
        hromada stories --db data/demo.db --limit 5
        hromada stories --json
    """
    from crawler.archive.stories import largest_stories

    archive = open_archive_or_exit(db_path, read_only=True)
    with archive:
        try:
            found = largest_stories(archive.db, limit)
        except sqlite3.OperationalError as error:
            raise ArchiveUnusable(f"{db_path} has no stories yet ({error}); run `hromada reindex --db {db_path}`")
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no story has more than one copy; run `hromada reindex` after a crawl")
        return
    for story in found:
        click.echo(f"story {story['story_id']}: {story['copies']} copies on {story['sites']} site(s)")
        for copy in story["articles"]:
            mark = "*" if copy["is_original"] else " "
            date = (copy["published_at"] or "no date")[:16]
            click.echo(f"  {mark} {date:<16} {copy['source_id']:<20} {copy['title'] or ''}  {copy['url']}")


@click.command()
@db_option
def reindex(db_path) -> None:
    """Tag every article with its places and rebuild every repost story.

    \b
    Example:
        hromada reindex --db data/demo.db
    """
    from crawler.analysis.places import retag_archive
    from crawler.archive.stories import rebuild

    archive = open_archive_or_exit(db_path)
    with archive:
        started = time.perf_counter()
        placed = retag_archive(archive.db)
        tagged_in = time.perf_counter() - started
        started = time.perf_counter()
        grouped = rebuild(archive.db)
        grouped_in = time.perf_counter() - started
    how = ", ".join(f"{key} {value}" for key, value in sorted(placed["by_how"].items()))
    click.echo(f"places: {placed['articles']} articles, {placed['places']} places ({how or 'none'}) in {tagged_in:.1f} s")
    click.echo(f"stories: {grouped['stories']} stories, {grouped['reposted_stories']} with reposts, "
               f"{grouped['reposts']} reposts in {grouped_in:.1f} s")
