"""``hromada extract``, ``hromada eval`` and ``hromada reextract``: the extractor on its own."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from crawler.cli.common import db_option, open_archive_or_exit, print_json, registry_option
from crawler.cli.errors import BadInput


@click.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (resolves relative links, feeds URL-based dates).")
@click.option("--encoding", help="The page's encoding when known (e.g. from the HTTP header).")
def extract_command(file: Path, url: str | None, encoding: str | None) -> None:
    """Print the cleaned article of one saved HTML page as JSON.

    \b
    Example:
        hromada extract page.html --url https://vmr.gov.ua/news/123
    """
    from crawler.analysis.extract import extract

    html = file.read_bytes()
    if file.suffix == ".gz":
        import gzip

        html = gzip.decompress(html)
    print_json(extract(html, url, encoding=encoding).to_json())


@click.command("eval")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--compare", "compare_tools", multiple=True, type=click.Choice(["trafilatura", "htmldate"]),
              help="Also score this tool on the same pages in the same run.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N pages.")
@click.option("--half", type=click.Choice(["tune", "check"]),
              help="Only one site-disjoint half of the pages (split by a hash of each page's registered domain).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def eval_command(dataset: Path, compare_tools: tuple[str, ...], limit: int | None, half: str | None,
                 as_json: bool) -> None:
    """Score extraction on a WCXB-layout folder (html/ID.html.gz, ground-truth/ID.json).

    \b
    Example:
        hromada eval ../shared/eval/wcxb-articles-dev --compare trafilatura
        hromada eval ../shared/eval/htmldate-default --compare htmldate --compare trafilatura
        hromada eval ../shared/eval/wcxb-articles-dev --compare trafilatura --half check

    A figure the set does not label (a dates-only set has no body or title) prints as n/a.
    """
    from crawler.analysis.evaluate import DatasetError, evaluate

    try:
        scores = evaluate(dataset, ["hromada", *compare_tools], limit=limit, half=half)
    except DatasetError as error:
        raise BadInput(str(error)) from None
    figures = [score.figures() for score in scores]
    if as_json:
        print_json(figures)
        return
    _print_side_by_side(figures)


def _print_side_by_side(figures: list[dict]) -> None:
    rows = [("pages", "pages"), ("errors", "errors"), ("body F1", "body_f1"), ("with kept", "with_kept"),
            ("without dropped", "without_dropped"), ("title match", "title_match"),
            ("date match", "date_match"), ("pages/s", "pages_per_s")]
    click.echo(f"{'':<16}" + "".join(f"{f['tool']:>14}" for f in figures))
    for label, key in rows:
        click.echo(f"{label:<16}" + "".join(f"{_shown(f[key]):>14}" for f in figures))
    if len(figures) > 1:  # how many times faster than each tool beside it
        ours = figures[0]["pages_per_s"]
        ratios = [round(ours / f["pages_per_s"], 1) if f["pages_per_s"] else None for f in figures]
        click.echo(f"{'speed ratio':<16}" + "".join(f"{_shown(ratio):>14}" for ratio in ratios))


def _shown(figure) -> str:
    return "n/a" if figure is None else str(figure)


@click.command("reextract")
@db_option
@registry_option
def reextract_command(db_path: Path, registry_path: Path) -> None:
    """Re-run extraction over the raw pages stored in the archive; report rows changed.

    A first pass learns each source's template from its stored pages (crawler/analysis/template.py)
    and stores it as the source's newest version; the second drops the learned furniture.

    \b
    Example:
        hromada reextract --db data/demo.db
    """
    from crawler.archive.store import content_hash
    from crawler.analysis.extract import EXTRACTOR_VERSION

    hints = _hints_by_source(registry_path)
    seen = changed = failed = 0
    with open_archive_or_exit(db_path) as archive:
        templates = _learn_templates(archive, hints)
        for row in archive.raw_pages():
            seen += 1
            try:
                article = _extract_row(row, hints)
            except Exception as error:  # one broken page is counted, never stops the run
                failed += 1
                click.echo(f"article {row['id']}: {error}", err=True)
                continue
            if row["source_id"] in templates:
                article.text = templates[row["source_id"]].strip(article.text)
            values = _article_values(article, content_hash(article.title, article.text), EXTRACTOR_VERSION)
            if values["content_hash"] != row["content_hash"] or values["published_at"] != row["published_at"]:
                changed += 1
            archive.update_article(row["id"], values)
    click.echo(f"{seen} raw pages re-extracted: {changed} articles changed, {failed} failed; "
               f"templates learned for {len(templates)} sources")


def _extract_row(row: dict, hints: dict):
    from crawler.analysis.extract import extract

    return extract(row["html"], row["fetched_url"] or row["url"], now=_parse_time(row["fetched_at"]),
                   hints=hints.get(row["source_id"]), encoding=row["encoding"])


def _learn_templates(archive, hints: dict) -> dict:
    """Each source's template learned from its stored pages and saved as a new version (sources with too few pages: none)."""
    from crawler.analysis.template import TemplateLearner, template_of_distinct

    learners: dict[str, TemplateLearner] = {}
    for row in archive.raw_pages():
        try:
            text = _extract_row(row, hints).text
        except Exception:  # counted and reported by the extraction pass
            continue
        learners.setdefault(row["source_id"], TemplateLearner(relearn=False)).add(text)
    learned_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    templates = {}
    for source_id, learner in learners.items():
        template = template_of_distinct(learner.texts)
        if template.furniture:
            archive.save_template(source_id, template.to_json(), template.pages, learned_at)
            templates[source_id] = template
    return templates


def _hints_by_source(registry_path: Path) -> dict:
    from crawler.registry import RegistryError, load_registry

    try:
        return {source.id: source.extraction for source in load_registry(registry_path)}
    except RegistryError as error:
        click.echo(f"registry not used ({error}); extracting without per-source hints", err=True)
        return {}


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _article_values(article, digest: str, version: str) -> dict:
    def iso(moment):
        return moment.isoformat() if moment is not None else None

    return {
        "title": article.title, "text": article.text, "author": article.author, "language": article.language,
        "published_at": iso(article.published), "published_raw": article.published_raw,
        "date_source": article.published_source, "modified_at": iso(article.modified),
        "modified_raw": article.modified_raw, "modified_source": article.modified_source,
        "content_hash": digest, "extractor_version": version,
    }
