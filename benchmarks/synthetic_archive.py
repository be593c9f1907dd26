"""Generate a synthetic archive of N Ukrainian-ish articles for the search/export benchmark.

    uv run python benchmarks/synthetic_archive.py 1000000 /tmp/synthetic.db

Text comes from benchmarks/synthetic_vocabulary.toml: dictionary words inflected
with pymorphy3 (so громада appears as громади, громадою, ...), Zipf-weighted,
one topic per article, dates spread over several years, ~30 sources across
oblasts (with KATOTTG codes; every article is about its source's unit and 10% also
about another hromada), ~2% of articles without a date. Rows go in with batched executemany;
the insert triggers queue every article for the lemma index, which is then
built in bulk (crawler.archive.search.index_pending) and both FTS indexes optimized.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.archive.store import Archive  # noqa: E402
from crawler.archive.search import FILTER_TRIGGERS, add_search_filters, get_lemmatizer, index_pending, optimize_index  # noqa: E402

VOCABULARY = Path(__file__).with_name("synthetic_vocabulary.toml")
INSERT_BATCH = 10_000
UNDATED_SHARE = 0.02
OTHER_PLACE_SHARE = 0.1
KYIV_OFFSETS = (timezone(timedelta(hours=2)), timezone(timedelta(hours=3)))


def zipf_weights(count: int, offset: int = 1) -> list[float]:
    """Zipf–Mandelbrot weights; a larger ``offset`` flattens the head."""
    return [1.0 / (rank + offset) for rank in range(count)]


def inflected_forms(lemma: str, morph) -> list[str]:
    """Every distinct form of the first reading of ``lemma``; the dictionary form stays first."""
    forms = [lemma]
    for form in morph.parse(lemma)[0].lexeme:
        if form.word not in forms and len(form.word) < 30:
            forms.append(form.word)
    return forms


class WordPool:
    """Draw words: pick a lemma Zipf-weighted, then one of its inflected forms."""

    def __init__(self, lemmas: list[str], morph, rng: random.Random, offset: int):
        self.forms = [inflected_forms(lemma, morph) for lemma in lemmas]
        self.cumulative = list(_accumulate(zipf_weights(len(lemmas), offset)))
        self.rng = rng

    def draw(self, count: int) -> list[str]:
        chosen = self.rng.choices(self.forms, cum_weights=self.cumulative, k=count)
        # Nominative forms dominate real text; give the dictionary form half the draws.
        return [forms[0] if self.rng.random() < 0.5 else self.rng.choice(forms) for forms in chosen]


def _accumulate(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


class ArticleFactory:
    def __init__(self, vocabulary: dict, rng: random.Random, first_year: int, last_year: int):
        morph = get_lemmatizer().morph
        self.rng = rng
        self.function_words = vocabulary["function_words"]
        self.general = WordPool(vocabulary["general"], morph, rng, offset=5)
        self.common = WordPool(vocabulary["common"], morph, rng, offset=50)
        self.topics = [WordPool(words, morph, rng, offset=3) for words in vocabulary["topics"].values()]
        self.start = datetime(first_year, 1, 1)
        self.span_seconds = int((datetime(last_year + 1, 1, 1) - self.start).total_seconds())

    def sentence(self, topic: WordPool) -> str:
        length = self.rng.randint(6, 14)
        topical = self.rng.randint(1, length // 3)
        general = self.rng.randint(1, length // 3)
        words = (topic.draw(topical) + self.general.draw(general) + self.common.draw(length - topical - general - 2)
                 + self.rng.sample(self.function_words, 2))
        self.rng.shuffle(words)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def published_at(self) -> str | None:
        if self.rng.random() < UNDATED_SHARE:
            return None
        moment = self.start + timedelta(seconds=self.rng.randrange(self.span_seconds))
        return moment.replace(tzinfo=KYIV_OFFSETS[moment.month in range(4, 11)]).isoformat()

    def article(self, number: int, source_id: str, fetched_at: str) -> tuple:
        topic = self.rng.choice(self.topics)
        title = self.sentence(topic).rstrip(".")
        paragraphs = ["\n".join(self.sentence(topic) for _ in range(self.rng.randint(1, 3)))
                      for _ in range(self.rng.randint(2, 4))]
        text = "\n\n".join(paragraphs)
        published = self.published_at()
        return (f"https://{source_id}.example/news/{number}", source_id, title, text, published,
                "meta" if published else None, "uk", fetched_at, fetched_at, f"synthetic-{number}", "synthetic")


def katottg_code(oblast: str, hromada: str | None) -> str:
    """The codifier code of a hromada (the one inside ``oblast`` when the name repeats) or of the oblast."""
    from crawler.analysis.places import resolve_place, scope_prefix

    oblast_code = resolve_place(oblast, level="oblast")[0]
    if hromada is None:
        return oblast_code
    inside = [code for code in resolve_place(hromada, level="hromada") if code.startswith(scope_prefix(oblast_code))]
    return inside[0]


def source_rows(places: dict) -> list[dict]:
    rows = []
    for oblast, hromadas in places.items():
        for hromada in hromadas:
            rows.append({"id": f"syn-{len(rows):02d}", "name": f"{hromada} міська рада", "homepage": f"https://syn-{len(rows):02d}.example/",
                         "kind": "city_council", "oblast": oblast, "hromada": hromada, "language": "uk", "verified": 0,
                         "katottg": katottg_code(oblast, hromada)})
    for oblast in list(places)[:2]:
        rows.append({"id": f"syn-{len(rows):02d}", "name": f"{oblast} обласна новинна служба", "homepage": f"https://syn-{len(rows):02d}.example/",
                     "kind": "regional_portal", "oblast": oblast, "hromada": None, "language": "uk", "verified": 0,
                     "katottg": katottg_code(oblast, None)})
    return rows


PLACES_SQL = "insert into article_places (article_id, katottg, level, name, how) values (?, ?, ?, ?, ?)"


def place_rows(articles: Iterable[tuple[int, str]], sources: dict[str, dict], rng: random.Random) -> list[tuple]:
    """Each article (id, source id) is about its source's unit; one in ``OTHER_PLACE_SHARE`` also names
    another source's hromada."""
    hromadas = [source for source in sources.values() if source["hromada"]]
    rows = []
    for article_id, source_id in articles:
        source = sources[source_id]
        level = "hromada" if source["hromada"] else "oblast"
        rows.append((article_id, source["katottg"], level, source["hromada"] or source["oblast"], "source"))
        if rng.random() < OTHER_PLACE_SHARE:
            other = rng.choice(hromadas)
            if other["katottg"] != source["katottg"]:
                rows.append((article_id, other["katottg"], "hromada", other["hromada"], "text"))
    return rows


INSERT_SQL = """insert into articles (url, source_id, title, text, published_at, date_source, language,
                fetched_at, first_seen_at, content_hash, extractor_version) values (?,?,?,?,?,?,?,?,?,?,?)"""


def generate(count: int, path: Path, seed: int, first_year: int, last_year: int, now: datetime) -> None:
    vocabulary = tomllib.loads(VOCABULARY.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    factory = ArticleFactory(vocabulary, rng, first_year, last_year)
    with Archive(path) as archive:
        conn = archive.db.conn
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        sources = source_rows(vocabulary["places"])
        with conn:
            archive.db["sources"].upsert_all(sources, pk="id")
        source_ids = [row["id"] for row in sources]
        source_by_id = {row["id"]: row for row in sources}
        source_weights = zipf_weights(len(source_ids))
        fetched_at = now.isoformat(timespec="seconds")
        started = time.perf_counter()
        for first in range(0, count, INSERT_BATCH):
            numbers = range(first, min(count, first + INSERT_BATCH))
            chosen_sources = rng.choices(source_ids, weights=source_weights, k=len(numbers))
            with conn:
                conn.executemany(INSERT_SQL, [factory.article(n, s, fetched_at) for n, s in zip(numbers, chosen_sources)])
                conn.executemany(PLACES_SQL, place_rows(zip(range(numbers.start + 1, numbers.stop + 1), chosen_sources),
                                                        source_by_id, rng))
            _progress("inserted", numbers.stop, count, started)
        started = time.perf_counter()
        indexed = [0]

        def report(batch: int) -> None:
            indexed[0] += batch
            if indexed[0] % 100_000 < batch:
                _progress("lemma-indexed", indexed[0], count, started)

        index_pending(conn, batch_size=INSERT_BATCH, on_batch=report)
        _progress("lemma-indexed", indexed[0], count, started)
        started = time.perf_counter()
        optimize_index(conn)
        with conn:
            conn.execute("insert into articles_fts(articles_fts) values ('optimize')")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"optimized FTS indexes in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def add_places(path: Path, seed: int) -> None:
    """Give an archive generated before this script wrote places (and source codes) the places it writes now, then rewrite
    the filter tokens once (with the place triggers on, every insert would rewrite the article's index row)."""
    rng = random.Random(seed)
    with Archive(path) as archive:
        conn = archive.db.conn
        if conn.execute("select 1 from article_places limit 1").fetchone():
            raise SystemExit(f"{path} already has places")
        started = time.perf_counter()
        with conn:
            for source in list(archive.db["sources"].rows):
                if not source["katottg"]:
                    conn.execute("update sources set katottg = ? where id = ?",
                                 [katottg_code(source["oblast"], source["hromada"]), source["id"]])
            sources = {row["id"]: row for row in archive.db["sources"].rows}
            for trigger in FILTER_TRIGGERS:
                conn.execute(f"drop trigger if exists {trigger}")
            cursor = conn.execute("select id, source_id from articles order by id")
            while articles := cursor.fetchmany(INSERT_BATCH):
                conn.executemany(PLACES_SQL, place_rows(articles, sources, rng))
            print(f"places inserted in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            add_search_filters(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"places and filter tokens in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _progress(what: str, done: int, total: int, started: float) -> None:
    if done % 100_000 < INSERT_BATCH or done == total:
        elapsed = time.perf_counter() - started
        print(f"{what} {done:,}/{total:,} in {elapsed:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of articles")
    parser.add_argument("path", type=Path, help="archive file to create (must not exist)")
    parser.add_argument("--add-places", action="store_true",
                        help="instead, add places to PATH, an archive generated before this script wrote them")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--first-year", type=int, default=2019)
    parser.add_argument("--last-year", type=int, default=2025)
    args = parser.parse_args()
    if args.add_places:
        return add_places(args.path, args.seed)
    if args.path.exists():
        parser.error(f"{args.path} exists; pick a new path")
    started = time.perf_counter()
    generate(args.count, args.path, args.seed, args.first_year, args.last_year, datetime.now(timezone.utc))
    size_mb = args.path.stat().st_size / 1e6
    print(f"{args.count:,} articles -> {args.path} ({size_mb:,.0f} MB) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
