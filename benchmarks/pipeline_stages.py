"""Milliseconds per article of the places and stories stages, at two archive sizes.

    uv run python benchmarks/pipeline_stages.py [--sizes 1000 20000] [--new 300]

For each size: a fresh archive holding that many synthetic articles (Zipf
words as in benchmarks/cluster_speed.py, a fifth of them reposts, each with
a real place sentence from tests/files/places_sentences.toml), its stories
built with ``stories.rebuild``. Then ``--new`` further articles (reposts
among them) are saved one by one and put through exactly what
PlacesPipeline and StoriesPipeline do per article: tag and store the
places, assign the story. Prints mean and 95th percentile ms/article per
stage side by side, so a cost that grows with the archive shows. Target:
places <= 2 ms and stories <= 2 ms per article, the same at both sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cluster_speed import make_articles  # noqa: E402

from crawler.archive import stories  # noqa: E402
from crawler.archive.store import Archive  # noqa: E402
from crawler.analysis.places import get_tagger, store_places  # noqa: E402

SENTENCES = ROOT / "tests" / "files" / "places_sentences.toml"
SOURCE = SimpleNamespace(id="bench", name="Бенчмарк", homepage="http://127.0.0.1/", kind="hromada_site",
                         oblast="Вінницька", hromada="Хмільницька", katottg="UA05120170000013778",
                         language="uk", verified=False)
INSERT_BATCH = 5000
TARGET_MS = 2.0


def place_sentences() -> list[str]:
    return [row["text"] for row in tomllib.loads(SENTENCES.read_text(encoding="utf-8"))["sentence"]]


def article_rows(count: int, seed: int) -> list[dict]:
    """Synthetic articles with two place sentences each, in the archive's column names."""
    sentences = place_sentences()
    articles, _ = make_articles(count, repost_share=0.2, seed=seed)
    rows = []
    for article in articles:
        lead = sentences[article.id % len(sentences)] + " " + sentences[(article.id * 7) % len(sentences)]
        text = lead + "\n" + article.text
        rows.append({"id": article.id, "url": f"http://127.0.0.1/news/{article.id}.html", "source_id": SOURCE.id,
                     "title": f"Новина {article.id}", "text": text, "published_at": article.published_at,
                     "fetched_at": article.fetched_at, "extractor_version": "bench",
                     "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    return rows


def fill(archive: Archive, rows: list[dict]) -> None:
    columns = list(rows[0])
    sql = f"insert into articles ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
    for start in range(0, len(rows), INSERT_BATCH):
        with archive.db.conn:
            archive.db.conn.executemany(sql, [[row[c] for c in columns] for row in rows[start:start + INSERT_BATCH]])


class Stopwatch:
    """Wall and CPU seconds of each timed call; CPU time is what other processes on a busy machine cannot inflate."""

    def __init__(self):
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self):
        self.started = (time.perf_counter(), time.process_time())

    def __exit__(self, *exc):
        self.wall.append(time.perf_counter() - self.started[0])
        self.cpu.append(time.process_time() - self.started[1])


def measure(size: int, new: int, tagger) -> dict[str, Stopwatch]:
    """Seconds per new article for each stage, against an archive of ``size`` articles."""
    rows = article_rows(size + new, seed=size)
    timings = {"places": Stopwatch(), "stories": Stopwatch()}
    with tempfile.TemporaryDirectory() as directory, Archive(Path(directory) / "bench.db") as archive:
        archive.sync_sources([SOURCE])
        fill(archive, rows[:size])
        stories.rebuild(archive.db)
        for row in rows[size:]:
            fill(archive, [row])
            with timings["places"]:
                places = tagger.tag(row["title"], row["text"], SOURCE.katottg)
                with archive.db.conn:
                    store_places(archive.db, row["id"], places)
            with timings["stories"]:
                stories.assign_story(archive.db, row["id"])
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000], help="articles already archived")
    parser.add_argument("--new", type=int, default=300, help="articles put through the stages at each size")
    args = parser.parse_args()

    started = time.perf_counter()
    tagger = get_tagger()
    print(f"place tagger built in {time.perf_counter() - started:.1f} s (once per crawl)")
    print("ms per article; the first articles of a run pay for pymorphy3 parses of words not seen before")
    print(f"{'archived':>9} {'stage':>8} {'mean':>6} {'median':>7} {'p95':>6} {'CPU mean':>9}  target mean <= {TARGET_MS}")
    met = True
    for size in args.sizes:
        for stage, watch in measure(size, args.new, tagger).items():
            mean = statistics.fmean(watch.wall) * 1000
            median = statistics.median(watch.wall) * 1000
            p95 = sorted(watch.wall)[int(len(watch.wall) * 0.95)] * 1000
            cpu = statistics.fmean(watch.cpu) * 1000
            met &= mean <= TARGET_MS
            print(f"{size:>9} {stage:>8} {mean:>6.2f} {median:>7.2f} {p95:>6.2f} {cpu:>9.2f}  "
                  f"{'met' if mean <= TARGET_MS else 'MISSED'}", flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
