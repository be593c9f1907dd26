"""Stories: one press release reposted across sites, found with MinHash/LSH.

Each article's text gets a MinHash signature (crawler/analysis/minhash.py: word
shingles, :data:`~crawler.analysis.minhash.NUM_PERM` values, LSH cut into
:data:`~crawler.analysis.minhash.BANDS` bands); articles sharing a band's values
become candidates. A candidate joins a story when the estimated similarity
reaches :data:`THRESHOLD` — a repost with a new first line, a trimmed
ending or a different title stays far above it; two different articles on
the same topic share few 4-word runs and stay far below.

Articles are taken in publication order (then fetch time, then id); each
joins the story of its most similar earlier article, or starts its own
story whose id is its article id. The story's earliest published copy is
its original. :func:`rebuild` does this over a whole archive in memory;
:func:`assign_story` does it for one new article against the signatures
and LSH buckets stored in SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from crawler.archive.store import atomic
from crawler.analysis.minhash import bucket_keys, from_blob, signature, signatures, similarity, to_blob

THRESHOLD = 0.5
SIGNATURE_BATCH = 1000
# An article is compared with at most this many of the latest articles of each bucket it falls in, so a
# press release reposted a thousand times costs no more to assign than one reposted twenty times.
BUCKET_CANDIDATES = 20

_LATEST = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class StoryArticle:
    """What clustering needs to know about an article."""

    id: int
    text: str
    published_at: str | None = None
    fetched_at: str | None = None

    @property
    def order(self) -> tuple:
        return (_parse_time(self.published_at), _parse_time(self.fetched_at), self.id)


class StoryIndex:
    """In-memory LSH over signatures: add articles in publication order, get their story."""

    def __init__(self):
        self.buckets: dict[bytes, list[int]] = {}
        self.signatures: dict[int, np.ndarray] = {}
        self.story_of: dict[int, int] = {}

    def add(self, article_id: int, values: np.ndarray | None) -> int:
        """Index one article and return its story id."""
        if values is None:
            self.story_of[article_id] = article_id
            return article_id
        keys = bucket_keys(values)
        buckets = self.buckets
        candidates = set()
        for key in keys:
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [article_id]
            else:
                candidates.update(bucket)
                bucket.append(article_id)
        best = best_match(values, candidates, self.signatures) if candidates else None
        story = self.story_of[best] if best is not None else article_id
        self.story_of[article_id] = story
        self.signatures[article_id] = values
        return story


def best_match(values: np.ndarray, candidates, signatures: dict[int, np.ndarray]) -> int | None:
    """The candidate most similar to ``values`` at or above THRESHOLD (lowest id on a tie)."""
    best, best_score = None, THRESHOLD
    for candidate in sorted(candidates):
        score = similarity(values, signatures[candidate])
        if score > best_score or (score == best_score and best is None):
            best, best_score = candidate, score
    return best


def cluster(articles: list[StoryArticle], load_texts=None) -> tuple[dict[int, int], dict[int, np.ndarray]]:
    """Story id of every article, and the signatures computed on the way.

    ``load_texts(ids)``, when given, supplies the texts batch by batch, so a
    large archive's texts need not all be in memory at once.
    """
    ordered = sorted(articles, key=lambda a: a.order)
    index = StoryIndex()
    for start in range(0, len(ordered), SIGNATURE_BATCH):
        batch = ordered[start:start + SIGNATURE_BATCH]
        texts = load_texts([a.id for a in batch]) if load_texts else [a.text for a in batch]
        for article, values in zip(batch, signatures(texts)):
            index.add(article.id, values)
    return index.story_of, index.signatures


def originals(articles: list[StoryArticle], story_of: dict[int, int]) -> set[int]:
    """The earliest published (then earliest fetched) article of every story."""
    first: dict[int, StoryArticle] = {}
    for article in articles:
        story = story_of[article.id]
        if story not in first or article.order < first[story].order:
            first[story] = article
    return {article.id for article in first.values()}


# -- the archive ---------------------------------------------------------
def rebuild(db) -> dict:
    """Recompute every story of an archive (a sqlite_utils Database). Returns counts."""
    articles = [StoryArticle(*row) for row in db.execute(
        "select id, null, published_at, fetched_at from articles").fetchall()]

    def load_texts(ids: list[int]) -> list[str]:
        placeholders = ", ".join("?" for _ in ids)
        text_of = dict(db.execute(f"select id, text from articles where id in ({placeholders})", ids).fetchall())
        return [text_of.get(article_id) for article_id in ids]

    story_of, signatures = cluster(articles, load_texts)
    first = originals(articles, story_of)
    with db.conn:
        db.execute("delete from story_buckets")
        db.execute("delete from article_minhash")
        db.conn.executemany("update articles set story_id = ?, is_original = ? where id = ?",
                            [(story_of[a.id], int(a.id in first), a.id) for a in articles])
        db.conn.executemany("insert into article_minhash (article_id, signature) values (?, ?)",
                            [(article_id, to_blob(values)) for article_id, values in signatures.items()])
        db.conn.executemany("insert into story_buckets (bucket, article_id) values (?, ?)",
                            [(key, article_id) for article_id, values in signatures.items()
                             for key in bucket_keys(values)])
    sizes: dict[int, int] = {}
    for story in story_of.values():
        sizes[story] = sizes.get(story, 0) + 1
    return {"articles": len(articles), "stories": len(sizes),
            "reposted_stories": sum(1 for size in sizes.values() if size > 1),
            "reposts": sum(size - 1 for size in sizes.values())}


def assign_story(db, article_id: int, signature: np.ndarray | None = None) -> int:
    """Put one saved article into a story against the stored LSH; returns its story id.

    ``signature`` is the article text's :func:`signature` when already computed (in a worker process, say);
    without it the text is read and hashed here. Its cost does not grow with the archive: only the
    articles sharing an LSH bucket with it are read (by the bucket index), and only the rows of its
    story whose ``is_original`` changes are written.
    """
    values = signature if signature is not None else _stored_text_signature(db, article_id)
    with atomic(db.conn):
        db.execute("delete from story_buckets where article_id = ?", [article_id])
        db.execute("delete from article_minhash where article_id = ?", [article_id])
        story = article_id
        if values is not None:
            keys = bucket_keys(values)
            story = _story_from_buckets(db, article_id, values, keys)
            db.execute("insert into article_minhash (article_id, signature) values (?, ?)",
                       [article_id, to_blob(values)])
            db.conn.executemany("insert into story_buckets (bucket, article_id) values (?, ?)",
                                [(key, article_id) for key in keys])
        db.execute("update articles set story_id = ? where id = ? and story_id is not ?", [story, article_id, story])
        _mark_original(db, story, article_id)
    return story


def _stored_text_signature(db, article_id: int) -> np.ndarray | None:
    row = db.execute("select text from articles where id = ?", [article_id]).fetchone()
    if row is None:
        raise KeyError(f"no article with id {article_id}")
    return signature(row[0])


def _story_from_buckets(db, article_id: int, values: np.ndarray, keys: list[bytes]) -> int:
    """The story of the stored article most similar to ``values`` among the latest ones sharing a bucket key."""
    latest_in_bucket = (f"select * from (select article_id from story_buckets where bucket = ? "
                        f"order by rowid desc limit {BUCKET_CANDIDATES})")
    rows = db.execute(
        f"""select m.article_id, m.signature, a.story_id from article_minhash m join articles a on a.id = m.article_id
            where m.article_id in ({" union all ".join(latest_in_bucket for _ in keys)}) and m.article_id != ?""",
        [*keys, article_id],
    ).fetchall()
    signatures = {row[0]: from_blob(row[1]) for row in rows}
    story_of = {row[0]: row[2] if row[2] is not None else row[0] for row in rows}
    best = best_match(values, signatures, signatures)
    return story_of[best] if best is not None else article_id


def _mark_original(db, story: int, article_id: int) -> None:
    """Mark the story's earliest copy as its original after ``article_id`` joined it; write only changed marks.

    A new copy is compared with the story's current original alone; the whole story is read only when it
    has no single original yet, or when the copy that changed is that original.
    """
    columns = "select id, published_at, fetched_at, is_original from articles"
    members = db.execute(f"{columns} where story_id = ? and is_original = 1 and id != ?", [story, article_id]).fetchall()
    if len(members) == 1:
        members += db.execute(f"{columns} where id = ?", [article_id]).fetchall()
    else:
        members = db.execute(f"{columns} where story_id = ?", [story]).fetchall()
    first = min(members, key=lambda m: StoryArticle(m[0], "", m[1], m[2]).order)[0]
    db.conn.executemany("update articles set is_original = ? where id = ?",
                        [(int(m[0] == first), m[0]) for m in members if m[3] != int(m[0] == first)])


def largest_stories(db, limit: int = 20) -> list[dict]:
    """The stories with the most copies: each copy's site, date, title and whether it is the original."""
    heads = db.execute(
        """select story_id, count(*) as copies, count(distinct source_id) as sites from articles
           where story_id is not null group by story_id having copies > 1
           order by copies desc, story_id limit ?""",
        [limit],
    ).fetchall()
    stories = []
    for story_id, copies, sites in heads:
        members = db.execute(
            """select id, source_id, url, title, published_at, fetched_at, is_original from articles
               where story_id = ? order by is_original desc, published_at, fetched_at, id""",
            [story_id],
        ).fetchall()
        stories.append({
            "story_id": story_id, "copies": copies, "sites": sites,
            "articles": [{"id": m[0], "source_id": m[1], "url": m[2], "title": m[3], "published_at": m[4],
                          "fetched_at": m[5], "is_original": bool(m[6])} for m in members],
        })
    return stories


def _parse_time(value: str | None) -> datetime:
    """A sortable aware datetime; unknown or malformed times sort last."""
    if not value:
        return _LATEST
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return _LATEST
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
