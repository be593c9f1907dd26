"""``hromada demo``, the README's first command: every sample article archived, again on a second run,
and never an archive that is not the demo's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from crawler.archive.store import Archive

HROMADA = Path(sys.executable).parent / "hromada"  # the console script of this environment
PERFECT = re.compile(r"Ground truth: (\d+)/\1 sample articles archived exactly once, 0 unexpected; "
                     r"titles right \1/\1, dates right \1/\1; boilerplate phrases left: 0")


def run_demo(db_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(HROMADA), "demo", "--db", str(db_path)], capture_output=True, text=True, timeout=300)


def test_the_demo_archives_every_sample_article_and_runs_again(tmp_path):
    db_path = tmp_path / "demo.db"
    first = run_demo(db_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert PERFECT.search(first.stdout)
    again = run_demo(db_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Replaced the previous demo archive {db_path}" in again.stdout
    assert PERFECT.search(again.stdout)


def test_the_demo_never_touches_an_archive_of_other_sources(tmp_path):
    db_path = tmp_path / "archive.db"
    with Archive(db_path) as archive:
        archive.finish_run(archive.start_run(["ekhmilnyk"]), "finished", {"ekhmilnyk": {}})
    before = db_path.read_bytes()
    result = run_demo(db_path)
    assert result.returncode == 2  # bad input: give --db a new file
    assert "holds articles of other sources (ekhmilnyk...)" in result.stderr
    assert db_path.read_bytes() == before


def test_the_demo_refuses_a_file_that_is_no_archive(tmp_path):
    db_path = tmp_path / "notes.db"
    db_path.write_text("not a database\n" * 100, encoding="utf-8")
    result = run_demo(db_path)
    assert result.returncode == 3  # the archive is unusable
    assert "is not a hromada archive" in result.stderr
    assert db_path.read_text(encoding="utf-8") == "not a database\n" * 100
