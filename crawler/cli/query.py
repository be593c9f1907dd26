"""``hromada search``, ``export``, ``serve`` and ``stats``: reading the archive."""

from __future__ import annotations

import signal
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from crawler.archive.store import Archive
from crawler.cli.common import db_option, is_terminal, open_archive_or_exit, print_json
from crawler.cli.errors import ArchiveUnusable, BadInput
from crawler.archive.search import (
    SORTS, Filters, SearchIndexMissing, SearchQueryError, UnknownPlace, has_search_index, index_pending, pending_count, search as run_search,
)

DATE = click.DateTime(formats=["%Y-%m-%d"])
KYIV = ZoneInfo("Europe/Kyiv")  # the months of the archive's dates: the sites' local time


def filter_options(command):
    """The filters shared by search and export (one definition, so they mean the same everywhere)."""
    options = [
        click.option("--source", "sources", multiple=True, metavar="ID", help="Only this source id (repeatable)."),
        click.option("--oblast", help="Only articles about places in this oblast (name or KATOTTG code), e.g. Волинська."),
        click.option("--hromada", help="Only articles about places in this hromada (name or code), e.g. Хмільницька."),
        click.option("--katottg", metavar="CODE", help="Only articles about this unit or places inside it (code or name)."),
        click.option("--since", type=DATE, metavar="YYYY-MM-DD", help="Published on or after this day."),
        click.option("--until", type=DATE, metavar="YYYY-MM-DD", help="Published on or before this day."),
        click.option("--lang", "language", metavar="CODE", help="Only articles in this language (uk, ru, en)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_filters(sources, oblast, hromada, katottg, since, until, language, one_per_story=False) -> Filters:
    if since and until and since > until:
        raise click.UsageError(f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}")
    filters = Filters(sources=tuple(sources), oblast=oblast or None, hromada=hromada or None, katottg=katottg or None,
                      since=since.date() if since else None, until=until.date() if until else None,
                      language=language or None, one_per_story=one_per_story)
    try:
        filters.place_codes()
    except UnknownPlace as error:
        raise click.UsageError(str(error)) from None
    return filters


def shown_query(query: str, limit: int = 80) -> str:
    """The query as an error message quotes it: cut to ``limit`` characters, so a huge one is not echoed back."""
    if len(query) <= limit:
        return repr(query)
    return f"{query[:limit]!r}... ({len(query)} characters)"


def open_searchable(db_path: Path) -> Archive:
    archive = open_archive_or_exit(db_path, read_only=True)
    if not has_search_index(archive.db):
        archive.close()
        raise ArchiveUnusable(str(SearchIndexMissing(
            "this archive has no lemma search index yet (schema version < 2); "
            "run `hromada search --reindex` once to upgrade and index it")))
    return archive


def warn_if_unindexed(archive: Archive) -> None:
    waiting = pending_count(archive.db)
    if waiting:
        click.echo(f"warning: {waiting} articles are not in the search index yet; run `hromada search --reindex`", err=True)


# -- search -----------------------------------------------------------------------
@click.command()
@click.argument("query", required=False)
@db_option
@filter_options
@click.option("--sort", type=click.Choice(SORTS), default="rank", show_default=True, help="Best match first, or newest first.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True, help="Most results to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--reindex", is_flag=True, help="First bring the search index up to date (opens the archive for writing).")
def search(query, db_path, sources, oblast, hromada, katottg, since, until, language, sort, limit, as_json, reindex) -> None:
    """Search the archive; inflected forms and apostrophe variants match.

    QUERY takes words, "exact phrases", AND, OR, NOT and parentheses;
    adjacent words must all appear.

    \b
    Example:
        hromada search "громада AND (школа OR садок)" --oblast Вінницька --since 2025-01-01
        hromada search "\\"соціальні послуги\\"" --sort newest --json
        hromada search бюджет --katottg UA05120170000013778
    """
    filters = build_filters(sources, oblast, hromada, katottg, since, until, language)
    if reindex:
        with open_archive_or_exit(db_path) as archive:
            click.echo(f"indexed {index_pending(archive.db)} articles", err=True)
    if not query:
        if reindex:
            return
        raise click.UsageError("give a QUERY to search for (or --reindex)")
    with open_searchable(db_path) as archive:
        warn_if_unindexed(archive)
        try:
            hits = run_search(archive.db, query, filters, sort=sort, limit=limit)
        except SearchQueryError as error:
            raise click.UsageError(f"cannot search for {shown_query(query)}: {error}") from None
    if as_json:
        print_json([hit.as_dict() for hit in hits])
        return
    print_hits(hits)


def print_hits(hits) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=not is_terminal())
    if not hits:
        console.print("no articles match")
        return
    for number, hit in enumerate(hits, 1):
        date = (hit.published_at or "no date")[:10]
        console.print(Text.assemble((f"{number:>3}. ", "dim"), (date, "cyan"), "  ", (hit.source_name or hit.source_id, "green"),
                                    "  ", (hit.title or "(untitled)", "bold")))
        snippet = Text("     ")
        for piece, is_match in hit.snippet:
            if is_match and console.is_terminal:
                snippet.append(piece, style="black on yellow")
            elif is_match:
                snippet.append(f"[{piece}]")
            else:
                snippet.append(piece)
        console.print(snippet)
        console.print(Text(f"     {hit.url}", style="dim"))


# -- export -----------------------------------------------------------------------
@click.command()
@click.argument("query", required=False)
@db_option
@filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Data file to write; .csv, .jsonl, .parquet, or .warc.gz for the raw pages.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet", "warc"]),
              help="Overrides the output file's extension.")
@click.option("--sort", type=click.Choice(SORTS), default="newest", show_default=True, help="Row order when there is a QUERY.")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 byte-order mark so Excel shows Cyrillic.")
@click.option("--one-per-story", is_flag=True, help="Keep one row per repost story: its original (earliest copy).")
def export(query, db_path, sources, oblast, hromada, katottg, since, until, language, output, fmt, sort, excel,
           one_per_story) -> None:
    """Export matching articles with a manifest and codebook beside the data file.

    Without QUERY every article passing the filters is exported. A .warc.gz output holds the stored raw
    pages as WARC 1.1 (request, response and a metadata record per article) for web-archive tools.

    \b
    Example:
        hromada export "соціальні послуги" --oblast Вінницька --since 2025-01-01 -o vinnytsia.csv --excel
        hromada export --source ekhmilnyk -o ekhmilnyk.parquet
        hromada export --oblast Волинська --one-per-story -o volyn.jsonl
        hromada export --source ekhmilnyk -o ekhmilnyk.warc.gz
    """
    from crawler.archive.export import (ExportError, ExportRequest, count_rows, export as run_export, format_for,
                                        sidecar_paths)

    filters = build_filters(sources, oblast, hromada, katottg, since, until, language, one_per_story)
    try:
        request = ExportRequest(output=output, format=format_for(output, fmt), query=query, filters=filters,
                                sort=sort, excel=excel)
    except ExportError as error:
        raise click.UsageError(str(error)) from None
    with open_searchable(db_path) as archive:
        warn_if_unindexed(archive)
        try:
            with ExportProgress(sys.stderr.isatty(), lambda: count_rows(archive.db, request)) as advance:
                manifest = run_export(archive.db, request, archive_path=db_path, schema_version=archive.schema_version,
                                      now=datetime.now(timezone.utc), on_rows=advance)
        except SearchQueryError as error:
            raise click.UsageError(f"cannot search for {shown_query(query)}: {error}") from None
        except ExportError as error:
            raise BadInput(str(error)) from None
    manifest_name = sidecar_paths(output)[0].name
    click.echo(f"{manifest['rows']} rows -> {output} (+ {manifest_name}, {manifest['codebook']})", err=True)


class ExportProgress:
    """A rich progress bar on stderr when it is a terminal; otherwise a no-op counter."""

    def __init__(self, on_terminal: bool, total):
        self.on_terminal, self.total, self.progress = on_terminal, total, None

    def __enter__(self):
        if not self.on_terminal:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=True)
        self.progress.start()
        task = self.progress.add_task("export", total=self.total())
        return lambda rows: self.progress.advance(task, rows)

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


# -- serve ------------------------------------------------------------------------
@click.command()
@db_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Loopback port; 0 picks a free one.")
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
def serve(db_path, port, no_open) -> None:
    """Search and read the archive in the browser, on 127.0.0.1 (read-only, Datasette underneath).

    In Ukrainian (English with ?lang=en): search with facets by oblast, hromada,
    source and language, a timeline and an export zip (CSV + manifest); each
    article with its places, story, revisions and archived snapshot; the health
    of every source at /sources. SQL, tables and JSON/CSV stay under /DATABASE.

    \b
    Example:
        hromada serve --db data/demo.db --port 8001
    """
    from crawler.web import free_port, home_url, start_datasette

    with open_searchable(db_path) as archive:
        warn_if_unindexed(archive)
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="hromada-serve-") as workdir:
        try:
            process = start_datasette(db_path, port, Path(workdir) / "metadata.json")
        except RuntimeError as error:
            raise BadInput(str(error)) from None
        url = home_url(port)
        click.echo(f"serving {db_path} read-only at {url} (Ctrl-C stops)", err=True)
        if not no_open:
            click.launch(url)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` stops Datasette on SIGTERM too
        try:
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- stats ------------------------------------------------------------------------
@click.command()
@db_option
@click.option("--by", "groupings", type=click.Choice(["source", "month", "oblast", "hromada"]), multiple=True,
              help="Which counts to print (repeatable); default: source and month.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw articles per month per oblast into this PNG (the current month shaded as partial) "
                   "and write the plotted numbers beside it as NAME.csv.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(db_path, groupings, plot, as_json) -> None:
    """Articles per source (with undated counts), per month, or about each oblast or hromada.

    --by oblast / --by hromada count distinct articles by the places they are
    about (the source's own unit and places named in the text).

    \b
    Example:
        hromada stats --db data/demo.db --by source --by oblast
        hromada stats --by hromada --json
        hromada stats --plot docs/per-oblast.png
    """
    from crawler.archive import stats as counts

    tables = {"source": counts.per_source, "month": counts.per_month, "oblast": counts.per_oblast,
              "hromada": counts.per_hromada}
    with open_archive_or_exit(db_path, read_only=True) as archive:
        result = {name: tables[name](archive.db) for name in (groupings or ("source", "month"))}
        if plot:
            series = counts.plot_per_month_per_oblast(archive.db, plot, now=datetime.now(KYIV))
            click.echo(f"plotted {len(series.counts)} oblasts over {len(series.months)} months -> {plot} "
                       f"(numbers: {counts.series_csv_path(plot)})", err=True)
    if as_json:
        print_json(result)
        return
    for name, rows in result.items():
        print_table(f"articles per {name}", rows)


def print_table(title: str, rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in (rows[0] if rows else {"none": None}):
        table.add_column(column, justify="right" if column in ("articles", "undated") else "left")
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row.values()))
    Console(width=200 if not is_terminal() else None).print(table)
