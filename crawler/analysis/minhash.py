"""MinHash signatures of article texts and their LSH bucket keys: the pure part of crawler/archive/stories.py.

An article's text (never its title, which reposts often change) becomes a
set of word shingles: lowercase words stripped of punctuation,
:data:`SHINGLE_WORDS` at a time, each shingle hashed from its words' hashes.
A MinHash signature of :data:`NUM_PERM` values (rensa's RMinHash: the same
estimate as datasketch's MinHash, about 20 times faster here, see
benchmarks/cluster_speed.py) estimates the Jaccard similarity of two such
sets; LSH cuts the signature into :data:`BANDS` bands, and articles sharing
a band's values become candidates.

Kept apart from the archive (no sqlite_utils, no pandas) so a worker process
(crawler/crawl/workers.py) that only computes signatures starts quickly.
"""

from __future__ import annotations

import string

import numpy as np
from rensa import RMinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 4
MIN_SHINGLES = 5  # shorter texts are too small to call reposts; each stays its own story
SEED = 1

PUNCTUATION = string.punctuation + "«»„“”‘’ʼ—–…•·"
# Polynomial combination of word hashes into a shingle hash (uint64 arithmetic wraps).
SHINGLE_BASE = np.uint64(0x9E3779B97F4A7C15)


def words(text: str | None) -> list[str]:
    """Lowercase words with the punctuation around them stripped."""
    return [word for token in (text or "").lower().split() if (word := token.strip(PUNCTUATION))]


def shingles(text: str | None) -> list[str]:
    """Every run of SHINGLE_WORDS consecutive words, as text (for reading; signatures hash them directly)."""
    found = words(text)
    return [" ".join(run) for run in zip(*(found[i:] for i in range(SHINGLE_WORDS)))]


def shingle_hashes(word_hashes: np.ndarray) -> np.ndarray:
    """One uint64 per run of SHINGLE_WORDS consecutive word hashes."""
    count = len(word_hashes) - SHINGLE_WORDS + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(SHINGLE_WORDS):
        combined = combined * SHINGLE_BASE + word_hashes[offset:offset + count]
    return combined


def signatures(texts: list[str | None]) -> list[np.ndarray | None]:
    """MinHash values of many texts at once (None for a text too short to compare)."""
    hashed_words = RMinHash.hash_token_sets([words(text) for text in texts])
    rows = [shingle_hashes(np.array(hashes, dtype=np.uint64)) for hashes in hashed_words]
    usable = [index for index, row in enumerate(rows) if len(row) >= MIN_SHINGLES]
    result: list[np.ndarray | None] = [None] * len(texts)
    if not usable:
        return result
    offsets = np.cumsum([0] + [len(rows[index]) for index in usable], dtype=np.uint64)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(
        np.concatenate([rows[index] for index in usable]), offsets, NUM_PERM, SEED)
    for index, digest in zip(usable, matrix.to_rows()):
        result[index] = np.array(digest, dtype=np.uint32)
    return result


def signature(text: str | None) -> np.ndarray | None:
    """The MinHash values of one text, or None when it is too short to compare."""
    return signatures([text])[0]


def bucket_keys(values: np.ndarray) -> list[bytes]:
    """One LSH key per band: the band number and its values, as bytes."""
    raw = to_blob(values)
    width = ROWS * 4
    return [_BAND_PREFIXES[band] + raw[band * width:(band + 1) * width] for band in range(BANDS)]


_BAND_PREFIXES = [bytes([band]) for band in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def to_blob(values: np.ndarray) -> bytes:
    return values.astype("<u4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)
