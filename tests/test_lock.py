"""One crawl per archive: the lock refuses a second crawl, takes over a dead one's, and is re-entrant."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from crawler.crawl.lock import CrawlLock, LockHeld, lock_path_for
from crawler.crawl.schedule import crawl_command
from tests.conftest import ROOT, write_sample_registry

HOLD_LOCK = "import sys, time; from crawler.crawl.lock import CrawlLock; CrawlLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)"


def hold_in_child(archive_path):
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(archive_path)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout.readline().strip() == "held"
    return child


def test_second_holder_is_refused_with_the_holders_pid(tmp_path):
    archive = tmp_path / "archive.db"
    child = hold_in_child(archive)
    try:
        with pytest.raises(LockHeld, match=f"another crawl \\(process {child.pid}\\) is already running on"):
            CrawlLock(archive).acquire()
    finally:
        child.kill()
        child.wait()


def test_lock_of_a_killed_process_is_taken_over_with_a_message(tmp_path, caplog):
    archive = tmp_path / "archive.db"
    child = hold_in_child(archive)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert lock_path_for(archive).read_text().strip() == str(child.pid)  # left behind by the dead process
    with caplog.at_level(logging.WARNING, logger="crawler.crawl.lock"):
        with CrawlLock(archive):
            assert lock_path_for(archive).read_text().strip() == str(os.getpid())
    assert f"stale crawl lock {lock_path_for(archive)} of process {child.pid}" in caplog.text
    assert not lock_path_for(archive).exists()


def test_lock_is_reentrant_within_one_process_and_released_by_the_outermost(tmp_path):
    archive = tmp_path / "archive.db"
    with CrawlLock(archive):
        with CrawlLock(archive):
            pass
        assert lock_path_for(archive).exists()
        child = subprocess.run([sys.executable, "-c", HOLD_LOCK.replace("time.sleep(60)", "pass"), str(archive)],
                               cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert child.returncode != 0 and "already running" in child.stderr
    assert not lock_path_for(archive).exists()


@pytest.mark.slow
def test_two_concurrent_hromada_crawls_the_second_refuses(sample_sites, tmp_path):
    registry = write_sample_registry(sample_sites, tmp_path / "sources.toml")
    archive = tmp_path / "archive.db"
    command = crawl_command(["wp-hromada", "--db", str(archive), "--registry", str(registry), "--progress", "off"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sample_sites.set_mode("wp-hromada", "slow")  # every request takes seconds: the first crawl stays busy
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock_path_for(archive).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert f"another crawl (process {first.pid}) is already running on {archive}" in second.stderr
        wait_for_running_run(archive, deadline=time.monotonic() + 60)  # SIGTERM must reach a started crawl
        first.send_signal(signal.SIGTERM)  # finish what is in flight, record the run as interrupted
        _, first_stderr = first.communicate(timeout=120)
    finally:
        sample_sites.set_mode("wp-hromada", "ok")
        if first.poll() is None:
            first.kill()
    assert first.returncode == 1, first_stderr[-2000:]
    runs = list(sqlite_utils.Database(archive).query("select status from runs"))
    assert runs == [{"status": "interrupted"}]
    assert not lock_path_for(archive).exists()


def wait_for_running_run(archive: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if list(sqlite_utils.Database(archive).query("select 1 from runs where status = 'running'")):
                return
        except sqlite3.OperationalError:  # the crawl has not created its tables yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"no crawl run started in {archive}")
