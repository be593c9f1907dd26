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

from crawler import stories  # noqa: E402
from crawler.archive import Archive  # noqa: E402
from crawler.places import get_tagger, store_places  # noqa: E402

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


def measure(size: int, new: int, tagger) -> dict[str, list[float]]:
    """Seconds per new article for each stage, against an archive of ``size`` articles."""
    rows = article_rows(size + new, seed=size)
    timings: dict[str, list[float]] = {"places": [], "stories": []}
    with tempfile.TemporaryDirectory() as directory, Archive(Path(directory) / "bench.db") as archive:
        archive.sync_sources([SOURCE])
        fill(archive, rows[:size])
        stories.rebuild(archive.db)
        for row in rows[size:]:
            fill(archive, [row])
            started = time.perf_counter()
            places = tagger.tag(row["title"], row["text"], SOURCE.katottg)
            with archive.db.conn:
                store_places(archive.db, row["id"], places)
            timings["places"].append(time.perf_counter() - started)
            started = time.perf_counter()
            stories.assign_story(archive.db, row["id"])
            timings["stories"].append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000], help="articles already archived")
    parser.add_argument("--new", type=int, default=300, help="articles put through the stages at each size")
    args = parser.parse_args()

    started = time.perf_counter()
    tagger = get_tagger()
    print(f"place tagger built in {time.perf_counter() - started:.1f} s (once per crawl)")
    print(f"{'archived':>9} {'stage':>8} {'mean ms':>8} {'p95 ms':>7}  target <= {TARGET_MS} ms")
    met = True
    for size in args.sizes:
        for stage, seconds in measure(size, args.new, tagger).items():
            mean = statistics.fmean(seconds) * 1000
            p95 = sorted(seconds)[int(len(seconds) * 0.95)] * 1000
            met &= mean <= TARGET_MS
            print(f"{size:>9} {stage:>8} {mean:>8.2f} {p95:>7.2f}  {'met' if mean <= TARGET_MS else 'MISSED'}",
                  flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
