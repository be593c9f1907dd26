"""The disk fills up during a crawl (issue 15): the run is recorded as failed with the reason, the failed batch
counts in its errors, the archive stays sound and keeps what was committed before, and the next run on a disk with
room ends with the archive of an uninterrupted crawl. The archive sits on a small tmpfs the test mounts (as root;
CI runs as root), filled with a filler file before the crawl that overflows it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from crawler.archive.store import MIN_FREE_BYTES
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.slow

ARTICLE_ROWS = "select url, content_hash from articles order by url"
FIRST_SOURCE = "wp-hromada"
#: Free space left for the crawl that overflows: just over what a writing command needs to start.
ROOM_LEFT = MIN_FREE_BYTES + 128 * 1024


def rows(db_path, sql: str = ARTICLE_ROWS, parameters=()) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as connection:
        found = connection.execute(sql, parameters).fetchall()
    connection.close()
    return found


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs, unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk, leave: int):
    """A filler file taking all but ``leave`` bytes of the disk's free space."""
    filler = disk / "filler"
    with filler.open("wb") as file:
        remaining = shutil.disk_usage(disk).free - leave
        while remaining > 0:
            chunk = min(remaining, 1 << 20)
            file.write(b"\0" * chunk)
            remaining -= chunk
    return filler


def test_a_full_disk_fails_the_run_and_the_next_run_converges(sample_sites, small_disk, uninterrupted_archive):
    uninterrupted = rows(uninterrupted_archive)
    db_path = small_disk / "archive.db"
    first = scrapy_crawl(db_path, sample_sites, FIRST_SOURCE)
    assert first.returncode == 0, first.stderr[-3000:]
    committed_before = rows(db_path)
    assert committed_before, "the first source's articles are committed"

    filler = fill(small_disk, ROOM_LEFT)
    overflowing = scrapy_crawl(db_path, sample_sites, HROMADA_COMMIT_ITEMS=1)
    assert "Traceback" not in overflowing.stderr, overflowing.stderr[-3000:]
    assert "archive write failed, stopping the crawl" in overflowing.stderr
    status, failure = rows(db_path, "select status, failure from runs order by id desc limit 1")[0]
    assert status == "failed" and "is full" in failure and str(db_path) in failure
    errors = [json.loads(row[0]) for row in rows(
        db_path, "select errors from run_sources where run_id = (select max(id) from runs)")]
    assert sum(counts.get("archive", 0) for counts in errors) >= 1  # the failed batch
    assert rows(db_path, "pragma integrity_check") == [("ok",)]
    assert not (small_disk / "archive.db-reserve").exists()  # the room it kept took the run's record
    stored_after_failure = rows(db_path)
    assert set(committed_before) <= set(stored_after_failure)
    counted_new = rows(db_path, "select sum(articles_new) from run_sources where run_id = (select max(id) from runs)")
    assert counted_new == [(len(stored_after_failure) - len(committed_before),)], "the rolled-back batch counted new"
    assert len(stored_after_failure) < len(uninterrupted), "the disk filled before the crawl was done"

    filler.unlink()
    resumed = scrapy_crawl(db_path, sample_sites)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert rows(db_path, "select status, failure from runs order by id desc limit 1") == [("finished", None)]
    assert rows(db_path, "pragma integrity_check") == [("ok",)]
    assert rows(db_path) == uninterrupted
