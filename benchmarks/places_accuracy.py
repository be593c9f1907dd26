"""Precision and recall of place tagging on the sentence table, per level.

    uv run python benchmarks/places_accuracy.py [--table tests/files/places_sentences.toml] [--errors]

Targets (issue 6): precision >= 0.95 and recall >= 0.90 at hromada and oblast level.
Only places found in the text count; the source's own unit is left out.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.analysis.places import get_tagger  # noqa: E402

DEFAULT_TABLE = ROOT / "tests" / "files" / "places_sentences.toml"
LEVELS = ("oblast", "raion", "hromada", "settlement")
TARGETS = {"oblast": (0.95, 0.90), "hromada": (0.95, 0.90)}


def load_table(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["sentence"]


def score(table: list[dict], tagger) -> tuple[dict, list[str]]:
    """Per level: true positives, predicted and expected counts; plus a line per mistake."""
    counts = {level: {"tp": 0, "predicted": 0, "expected": 0} for level in LEVELS}
    mistakes = []
    for row in table:
        places = tagger.tag(None, row["text"], row.get("source_katottg"))
        predicted = {(p.katottg, p.level, p.name) for p in places if p.how != "source"}
        expected = {(e["katottg"], e["level"], e["name"]) for e in row["expected"]}
        for level in LEVELS:
            got = {p for p in predicted if p[1] == level}
            want = {e for e in expected if e[1] == level}
            counts[level]["tp"] += len(got & want)
            counts[level]["predicted"] += len(got)
            counts[level]["expected"] += len(want)
        for wrong in sorted(predicted - expected):
            mistakes.append(f"false {wrong[1]} {wrong[2]} {wrong[0]}: {row['text'][:90]}")
        for missed in sorted(expected - predicted):
            mistakes.append(f"missed {missed[1]} {missed[2]} {missed[0]}: {row['text'][:90]}")
    return counts, mistakes


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--errors", action="store_true", help="list every false and missed place")
    args = parser.parse_args()

    table = load_table(args.table)
    started = time.perf_counter()
    tagger = get_tagger()
    built = time.perf_counter() - started
    started = time.perf_counter()
    counts, mistakes = score(table, tagger)
    tagged = time.perf_counter() - started

    print(f"{len(table)} sentences; tagger built in {built:.1f} s, tagged in {tagged:.2f} s")
    print(f"{'level':<11} {'precision':>9} {'recall':>7} {'tp':>4} {'pred':>5} {'exp':>5}  target")
    met = True
    for level in LEVELS:
        c = counts[level]
        precision, recall = ratio(c["tp"], c["predicted"]), ratio(c["tp"], c["expected"])
        target = TARGETS.get(level)
        verdict = ""
        if target:
            ok = precision >= target[0] and recall >= target[1]
            met &= ok
            verdict = f"P>={target[0]} R>={target[1]} {'met' if ok else 'MISSED'}"
        print(f"{level:<11} {precision:>9.3f} {recall:>7.3f} {c['tp']:>4} {c['predicted']:>5} {c['expected']:>5}  {verdict}")
    if args.errors:
        print("\n".join(mistakes) or "no mistakes")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
