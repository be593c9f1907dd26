"""CLI start-up time, wall clock, beside a bare Python start in the same run (issue 16).

    uv run python benchmarks/startup.py                     # builds a demo archive in a temporary directory
    uv run python benchmarks/startup.py --db data/demo.db   # or searches this one

Median of 5 (--runs) of: `python -c pass`, `hromada --help` and `hromada search WORD --db ARCHIVE`, each a
fresh process of this interpreter, printed side by side with their ratio to `python -c pass`.
Targets: --help under 0.5 s, search under 1 s (measured in the .venv that `make` builds, with bytecode compiled).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HROMADA = [sys.executable, "-c", "import sys; from crawler.cli import main; sys.exit(main())"]


def wall_seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_seconds(command: list[str], runs: int) -> float:
    wall_seconds(command)  # warms the page cache; not counted
    return statistics.median(wall_seconds(command) for _ in range(runs))


def demo_archive(directory: Path) -> Path:
    path = directory / "demo.db"
    subprocess.run([*HROMADA, "demo", "--db", str(path)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="Archive to search (default: a fresh demo archive).")
    parser.add_argument("--word", default="громада", help="The search word.")
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hromada-startup-") as directory:
        archive = arguments.db or demo_archive(Path(directory))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "hromada --help": [*HROMADA, "--help"],
            f"hromada search {arguments.word} --db ...": [*HROMADA, "search", arguments.word, "--db", str(archive)],
        }
        medians = {label: median_seconds(command, arguments.runs) for label, command in commands.items()}
    baseline = medians["python -c pass"]
    print(f"{'command':<36}{'median s':>10}{'x python':>10}   (median of {arguments.runs}, {sys.executable})")
    for label, seconds in medians.items():
        print(f"{label:<36}{seconds:>10.3f}{seconds / baseline:>10.1f}")


if __name__ == "__main__":
    main()
