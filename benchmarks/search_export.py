"""Search latency and full CSV export on a (synthetic) archive; prints figures beside the targets.

    uv run python benchmarks/synthetic_archive.py 1000000 /tmp/synthetic.db
    uv run python benchmarks/search_export.py /tmp/synthetic.db [--skip-search | --skip-export]

Search: each common query runs once to warm up, then ``--repeat`` times through
crawler.archive.search.search (parse, lemmatize, MATCH + bm25 + filters, snippets);
figures are per-call wall times. The web search page (crawler/web/views.py search_page: every match
counted by source, language, place and period, and 50 hits) is timed beside search() of the same query.
Export: ``hromada export`` of every row to CSV
in a child process, timed, with the child's CPU time (on a busy machine wall time
exceeds it) and peak resident memory; then what the place columns (places,
places_katottg: a lookup of article_places per row) cost: the same export in this
process with and without them, alternately, best of ``--place-rounds`` each, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive.store import Archive  # noqa: E402
from crawler.archive.search import Filters, compile_query, get_lemmatizer, matching_sql, search  # noqa: E402
from tests.peak_memory import read_peak_mb  # noqa: E402

SEARCH_P95_TARGET_MS = 100
EXPORT_SECONDS_TARGET = 60
EXPORT_MEMORY_TARGET_MB = 300

# (label, query, filters, sort): what researchers ask most, from one common word to filtered phrases.
COMMON_QUERIES = [
    ("common word", "громада", Filters(), "rank"),
    ("common word, newest", "громада", Filters(), "newest"),
    ("topic word", "бюджет", Filters(), "rank"),
    ("phrase", '"соціальна послуга"', Filters(), "rank"),
    ("OR", "школа OR садок", Filters(), "rank"),
    ("AND", "ремонт дороги", Filters(), "rank"),
    ("NOT", "лікарня NOT вакцинація", Filters(), "rank"),
    ("oblast + year", "бюджет", Filters(oblast="Вінницька", since=date(2024, 1, 1), until=date(2024, 12, 31)), "rank"),
    ("source, newest", "фестиваль", Filters(sources=("syn-05",)), "newest"),
    ("apostrophe", "об’єднання", Filters(), "rank"),
    ("phrase + oblast", '"сільська рада"', Filters(oblast="Київська"), "newest"),
    ("rare AND", "генератор AND укриття", Filters(), "rank"),
    ("hromada, newest", "школа", Filters(hromada="Хмільницька"), "newest"),
    ("katottg + month", "бюджет", Filters(katottg="UA46000000000026241", since=date(2024, 3, 1), until=date(2024, 3, 31)), "rank"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def match_count(db, query: str, filters: Filters, sort: str) -> int:
    sql, params = matching_sql(db, "a.id", filters, compile_query(query), sort)
    return db.execute(f"select count(*) from ({sql})", params).fetchone()[0]


def bench_search(path: Path, repeat: int) -> list[float]:
    get_lemmatizer()  # load the dictionary outside the timings
    every = []
    print(f"{'query':<22} {'text':<26} {'matches':>9} {'median ms':>10} {'p95 ms':>8}")
    with Archive(path, read_only=True) as archive:
        for label, query, filters, sort in COMMON_QUERIES:
            search(archive.db, query, filters, sort=sort)
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                search(archive.db, query, filters, sort=sort, limit=20)
                timings.append((time.perf_counter() - started) * 1000)
            every += timings
            print(f"{label:<22} {query:<26} {match_count(archive.db, query, filters, sort):>9,} "
                  f"{statistics.median(timings):>10.1f} {percentile(timings, 0.95):>8.1f}")
    return every


# the web search page (crawler/web/views.py): every match counted by source, language, place and period, 50 hits
PAGE_FORMS = [("common word", {"q": "громада"}), ("no query (browse)", {}),
              ("common word + oblast", {"q": "громада", "oblast": "UA05000000000010236"})]


def bench_search_page(path: Path, repeat: int) -> None:
    from crawler.web.views import SearchForm, search_page

    print(f"\n{'search page':<22} {'matches':>9} {'median ms':>10} {'search() ms':>12} {'page/search':>12}")
    with Archive(path, read_only=True) as archive:
        for label, values in PAGE_FORMS:
            form = SearchForm(**values)
            page_ms = median_ms(lambda: search_page(archive.db.conn, form), repeat)
            total = search_page(archive.db.conn, form).total
            if not form.q:  # the page lists the newest; there is no search() to compare with
                print(f"{label:<22} {total:>9,} {page_ms:>10.1f} {'-':>12} {'-':>12}")
                continue
            search_ms = median_ms(lambda: search(archive.db, form.q, form.filters(), limit=50), repeat)
            print(f"{label:<22} {total:>9,} {page_ms:>10.1f} {search_ms:>12.1f} {page_ms / search_ms:>11.1f}x")


def median_ms(call, repeat: int) -> float:
    call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bench_export(path: Path, workdir: Path) -> tuple[float, float, float, int]:
    output = workdir / "all.csv"
    hromada = Path(sys.executable).parent / "hromada"
    peak_file = workdir / "export-peak-mb"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tests.peak_memory", str(peak_file), str(hromada), "export", "--db",
                    str(path), "-o", str(output)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, child.ru_utime + child.ru_stime, read_peak_mb(peak_file), output.stat().st_size


PLACE_COLUMNS = ("places", "places_katottg")


def export_seconds(path: Path, output: Path) -> float:
    from crawler.archive.export import ExportRequest, export

    with Archive(path, read_only=True) as archive:
        started = time.perf_counter()
        export(archive.db, ExportRequest(output, "csv"), archive_path=path, schema_version=archive.schema_version,
               now=datetime.now(timezone.utc))
        return time.perf_counter() - started


def bench_place_columns(path: Path, workdir: Path, rounds: int) -> tuple[float, float]:
    """(best seconds without the place columns, best seconds with them), exports run alternately."""
    from crawler.archive import export as exporting

    full_codebook = exporting.load_codebook

    def codebook_without_places(*args, **kwargs):
        columns, query_columns = full_codebook(*args, **kwargs)
        return [column for column in columns if column.name not in PLACE_COLUMNS], query_columns

    best = {"without": float("inf"), "with": float("inf")}
    for _ in range(rounds):
        for label, codebook in (("without", codebook_without_places), ("with", full_codebook)):
            exporting.load_codebook = codebook
            try:
                best[label] = min(best[label], export_seconds(path, workdir / f"{label}.csv"))
            finally:
                exporting.load_codebook = full_codebook
    return best["without"], best["with"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="archive built by benchmarks/synthetic_archive.py")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--workdir", type=Path, help="where the CSV goes (default: a temporary directory, removed)")
    parser.add_argument("--place-rounds", type=int, default=2, help="exports with and without place columns, each")
    args = parser.parse_args()
    with Archive(args.path, read_only=True) as archive:
        articles = archive.count_articles()
    print(f"archive {args.path}: {articles:,} articles, {args.path.stat().st_size / 1e9:.1f} GB, {os.cpu_count()} CPUs\n")
    timings = [] if args.skip_search else bench_search(args.path, args.repeat)
    if not args.skip_search:
        bench_search_page(args.path, max(1, args.repeat // 4))
    print(f"\n{'figure':<34} {'measured':>12} {'target':>10}")
    if timings:
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        print(f"{'search latency, median (ms)':<34} {median:>12.1f} {'':>10}")
        print(f"{'search latency, p95 (ms)':<34} {p95:>12.1f} {'< ' + str(SEARCH_P95_TARGET_MS):>10}")
    if args.skip_export:
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        seconds, cpu_seconds, peak_mb, size = bench_export(args.path, Path(workdir))
        without_places, with_places = bench_place_columns(args.path, Path(workdir), args.place_rounds)
    print(f"{'export all rows to CSV (s)':<34} {seconds:>12.1f} {'< ' + str(EXPORT_SECONDS_TARGET):>10}")
    print(f"{'export CPU time, user + sys (s)':<34} {cpu_seconds:>12.1f} {'':>10}")
    print(f"{'export peak memory, RSS (MB)':<34} {peak_mb:>12.0f} {'< ' + str(EXPORT_MEMORY_TARGET_MB):>10}")
    print(f"{'export CSV size (MB)':<34} {size / 1e6:>12,.0f} {'':>10}")
    print(f"{'export without place columns (s)':<34} {without_places:>12.2f} {'':>10}")
    print(f"{'export with place columns (s)':<34} {with_places:>12.2f} {'':>10}")
    print(f"{'place columns cost, with/without':<34} {with_places / without_places:>12.2f}x {'':>9}")


if __name__ == "__main__":
    main()
