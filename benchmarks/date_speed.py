"""Milliseconds per page of date finding and date resolving, on real article pages.

    uv run python benchmarks/date_speed.py [DATASET] [--limit N] [--rounds 1]

DATASET is a WCXB-layout folder (default ../shared/eval/wcxb-articles-dev).
Each page is parsed and put through the content extractor once, which hands
``find_date_candidates`` its tree, headline and body; those calls are kept and
replayed, so only the two date stages are timed: ``find_date_candidates`` and
``resolve_dates`` (against a fixed fetch time). Prints mean, median and 95th
percentile CPU ms/page side by side for both stages, and their share of a
whole ``extract`` call on the same pages. With ``--rounds`` above 1 each page
keeps its fastest round, and later rounds find the parse caches warm. Part of the issue 3 target (ours >=
3 x trafilatura's pages/s, benchmarks/extraction_speed.py) and of issue 7's
crawl speed.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import crawler.analysis.extract.content as content  # noqa: E402
import dateparser  # noqa: E402

from crawler.analysis.dates import KYIV, resolve_dates  # noqa: E402
from crawler.analysis.extract import extract  # noqa: E402
from crawler.analysis.extract.datefind import find_date_candidates  # noqa: E402
from crawler.analysis.extract.html import parse_html  # noqa: E402
from wcxb_pages import pages_and_arguments  # noqa: E402

FIXED_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=KYIV)


def date_finder_calls(pages) -> list[tuple]:
    """(tree, url, headline, body) of every page, exactly as the content extractor passes them."""
    calls = []

    def record(tree, url, *, headline=None, body=None):
        calls.append((tree, url, headline, body))
        return []

    original = content.find_date_candidates
    content.find_date_candidates = record
    try:
        for page in pages:
            content.extract_content(parse_html(page.html), page.url)
    finally:
        content.find_date_candidates = original
    return calls


def cpu_ms(function, *args, **kwargs) -> tuple[object, float]:
    started = time.process_time()
    result = function(*args, **kwargs)
    return result, (time.process_time() - started) * 1000


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.mean(samples):>8.2f}{statistics.median(samples):>8.2f}{p95:>8.2f}"


def main() -> None:
    pages, args = pages_and_arguments(__doc__.splitlines()[0], "passes over the pages; each page keeps its fastest")
    dateparser.parse("1 січня 2020", languages=["uk", "ru", "en"])  # its one-off import and language load are not per page
    calls = date_finder_calls(pages)
    finding = [float("inf")] * len(calls)
    resolving = [float("inf")] * len(calls)
    whole = [float("inf")] * len(pages)
    for _ in range(args.rounds):
        for index, (tree, url, headline, body) in enumerate(calls):
            candidates, spent = cpu_ms(find_date_candidates, tree, url, headline=headline, body=body)
            finding[index] = min(finding[index], spent)
            _, spent = cpu_ms(resolve_dates, candidates, now=FIXED_NOW)
            resolving[index] = min(resolving[index], spent)
        for index, page in enumerate(pages):
            _, spent = cpu_ms(extract, page.html, page.url, now=FIXED_NOW)
            whole[index] = min(whole[index], spent)

    print(f"{len(pages)} pages x {args.rounds} round(s) from {args.dataset}; CPU ms/page, fastest round per page")
    print(f"{'stage':<22}{'mean':>8}{'median':>8}{'p95':>8}{'share':>8}")
    total = sum(whole)
    for name, samples in (("find_date_candidates", finding), ("resolve_dates", resolving), ("whole extract", whole)):
        print(f"{name:<22}{summary(samples)}{sum(samples) / total:>8.0%}")


if __name__ == "__main__":
    main()
