"""Extraction pages/s, ours and trafilatura's, on the same pages in one run.

    uv run python benchmarks/extraction_speed.py [DATASET] [--limit N] [--rounds 1]

DATASET is a WCXB-layout folder (default ../shared/eval/wcxb-articles-dev). Pages
are decompressed before timing; only the extractor calls are timed, alternating
between the tools page by page so machine load hits both alike. Target (issue 3):
ours at least 3 x trafilatura's pages/s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.evaluate import TOOLS, timed_call  # noqa: E402
from wcxb_pages import pages_and_arguments  # noqa: E402


def main() -> None:
    pages, args = pages_and_arguments(__doc__.splitlines()[0], "passes over the pages")
    seconds = {"hromada": 0.0, "trafilatura": 0.0}
    errors = dict.fromkeys(seconds, 0)
    for _ in range(args.rounds):
        for page in pages:
            for tool in seconds:
                result, spent = timed_call(TOOLS[tool], page)
                seconds[tool] += spent
                errors[tool] += result is None
    calls = len(pages) * args.rounds
    print(f"{len(pages)} pages x {args.rounds} round(s) from {args.dataset}")
    print(f"{'tool':<12}{'seconds':>10}{'pages/s':>10}{'errors':>8}")
    for tool, spent in seconds.items():
        print(f"{tool:<12}{spent:>10.2f}{calls / spent if spent else 0:>10.1f}{errors[tool]:>8}")
    if seconds["hromada"]:
        print(f"ratio (ours / trafilatura pages/s): {seconds['trafilatura'] / seconds['hromada']:.2f} (target >= 3)")


if __name__ == "__main__":
    main()
