"""The command line both WCXB page benchmarks share: DATASET [--limit N] [--rounds R], and the pages it names."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.analysis.evaluate import Page, load_pages

DEFAULT_DATASET = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "wcxb-articles-dev"


def pages_and_arguments(description: str, rounds_help: str) -> tuple[list[Page], argparse.Namespace]:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--rounds", type=int, default=1, help=rounds_help)
    args = parser.parse_args()
    return list(load_pages(args.dataset, args.limit)), args
