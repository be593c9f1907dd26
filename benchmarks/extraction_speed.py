"""Extraction pages/s, ours and trafilatura's, on the same pages in one run; then our CPU ms/page per stage.

    uv run python benchmarks/extraction_speed.py [DATASET] [--limit N] [--rounds 1]

DATASET is a WCXB-layout folder (default ../shared/eval/wcxb-articles-dev). Pages
are decompressed before timing; only the extractor calls are timed, alternating
between the tools page by page so machine load hits both alike. Target (issue 3):
ours at least 3 x trafilatura's pages/s.

Then the three stages of our ``extract`` (``extract_raw``, ``strip_boilerplate``,
``resolve_dates``) in CPU ms/page, which other processes on a busy machine cannot
inflate, side by side for the WCXB pages and for GENERATED_PAGES pages of the crawl
benchmark (benchmarks/crawl_speed.py, issue 7). Each page keeps its fastest round;
the generated pages are new ones every round, as a crawl sees each article once.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawl_speed import NOW, article_html  # noqa: E402
from crawler.analysis.dates import resolve_dates  # noqa: E402
from crawler.analysis.evaluate import TOOLS, timed_call  # noqa: E402
from crawler.analysis.extract import extract_raw  # noqa: E402
from crawler.analysis.extract.boilerplate import strip_boilerplate  # noqa: E402
from wcxb_pages import pages_and_arguments  # noqa: E402

STAGES = ("extract_raw", "strip_boilerplate", "resolve_dates")
GENERATED_PAGES = 400


def compare_with_trafilatura(pages, rounds: int, dataset) -> None:
    seconds = {"hromada": 0.0, "trafilatura": 0.0}
    errors = dict.fromkeys(seconds, 0)
    for _ in range(rounds):
        for page in pages:
            for tool in seconds:
                result, spent = timed_call(TOOLS[tool], page)
                seconds[tool] += spent
                errors[tool] += result is None
    calls = len(pages) * rounds
    print(f"{len(pages)} pages x {rounds} round(s) from {dataset}")
    print(f"{'tool':<12}{'seconds':>10}{'pages/s':>10}{'errors':>8}")
    for tool, spent in seconds.items():
        print(f"{tool:<12}{spent:>10.2f}{calls / spent if spent else 0:>10.1f}{errors[tool]:>8}")
    if seconds["hromada"]:
        print(f"ratio (ours / trafilatura pages/s): {seconds['trafilatura'] / seconds['hromada']:.2f} (target >= 3)")


def stage_cpu_ms(html: bytes, url: str, now: datetime) -> dict[str, float]:
    """CPU milliseconds of each stage of ``extract`` on one page."""
    started = time.process_time()
    raw = extract_raw(html, url)
    extracted = time.process_time()
    strip_boilerplate(raw.text)
    stripped = time.process_time()
    resolve_dates(raw.date_candidates, now=now)
    resolved = time.process_time()
    return {"extract_raw": extracted - started, "strip_boilerplate": stripped - extracted,
            "resolve_dates": resolved - stripped}


def fastest_rounds(pages_of_round, rounds: int, now: datetime) -> dict[str, list[float]]:
    """Per stage, each page's fastest CPU ms over the rounds; ``pages_of_round(r)`` gives (html, url) pairs."""
    fastest: dict[str, list[float]] = {}
    for round_number in range(rounds):
        for index, (html, url) in enumerate(pages_of_round(round_number)):
            for stage, spent in stage_cpu_ms(html, url, now).items():
                samples = fastest.setdefault(stage, [])
                if index == len(samples):
                    samples.append(spent * 1000)
                samples[index] = min(samples[index], spent * 1000)
    return fastest


def generated_pages(count: int, round_number: int) -> list[tuple[bytes, str]]:
    first = round_number * count + 1
    return [(article_html(article_id).encode("utf-8"), f"http://127.0.0.1/news/{article_id}.html")
            for article_id in range(first, first + count)]


def print_stages(columns: dict[str, dict[str, list[float]]]) -> None:
    print("\nCPU ms/page of our stages, fastest round per page: mean / median")
    print(f"{'stage':<20}" + "".join(f"{name:>22}" for name in columns))
    for stage in (*STAGES, "total"):
        cells = []
        for fastest in columns.values():
            samples = [sum(page) for page in zip(*fastest.values())] if stage == "total" else fastest[stage]
            cells.append(f"{statistics.mean(samples):>13.3f} /{statistics.median(samples):>7.3f}")
        print(f"{stage:<20}" + "".join(cells))


def main() -> None:
    pages, args = pages_and_arguments(__doc__.splitlines()[0], "passes over the pages")
    compare_with_trafilatura(pages, args.rounds, args.dataset)
    wcxb = [(page.html, page.url) for page in pages]
    print_stages({
        f"WCXB ({len(pages)})": fastest_rounds(lambda _round: wcxb, args.rounds, NOW),
        f"generated ({GENERATED_PAGES})": fastest_rounds(
            lambda round_number: generated_pages(GENERATED_PAGES, round_number), args.rounds, NOW),
    })


if __name__ == "__main__":
    main()
