"""Scheduled crawls in one long-running process: ``hromada schedule --every 6h`` or ``--cron "0 */6 * * *"``.

Each crawl runs in a child process (``hromada crawl ...``): Twisted's reactor
cannot restart inside one process, and a crashed crawl must not end the
schedule. The child takes the archive lock, so a scheduled crawl never
overlaps a manual one; a crawl refused by the lock is logged and the schedule
goes on. SIGTERM/SIGINT stop the schedule after the crawl in progress has
finished (its child gets the same signal and records the run as interrupted).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from croniter import croniter

EVERY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$", re.I)
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = timedelta(seconds=1)


class ScheduleError(ValueError):
    pass


def parse_every(text: str) -> timedelta:
    """``90s``, ``15m``, ``6h``, ``1d`` → a timedelta (at least one second)."""
    match = EVERY_PATTERN.match(text or "")
    if not match:
        raise ScheduleError(f"--every {text!r}: use a number and a unit s, m, h or d, e.g. 6h or 30m")
    interval = timedelta(seconds=float(match.group(1)) * UNIT_SECONDS[match.group(2).lower()])
    if interval < MIN_INTERVAL:
        raise ScheduleError(f"--every {text!r}: the interval must be at least one second")
    return interval


@dataclass(frozen=True)
class Schedule:
    """When crawls run: a fixed interval or a cron expression."""

    every: timedelta | None = None
    cron: str | None = None

    @classmethod
    def from_options(cls, every: str | None, cron: str | None) -> "Schedule":
        if bool(every) == bool(cron):
            raise ScheduleError("give exactly one of --every or --cron")
        if cron:
            if not croniter.is_valid(cron):
                raise ScheduleError(f"--cron {cron!r} is not a valid cron expression (e.g. \"0 */6 * * *\")")
            return cls(cron=cron)
        return cls(every=parse_every(every))

    def next_after(self, moment: datetime, last_start: datetime | None) -> datetime:
        """The next crawl time: cron times after ``moment``; intervals counted from the last start."""
        if self.cron:
            return croniter(self.cron, moment).get_next(datetime)
        if last_start is None:
            return moment
        return max(moment, last_start + self.every)

    def describe(self) -> str:
        return f"cron {self.cron!r}" if self.cron else f"every {self.every}"


class Scheduler:
    """Run ``run_once()`` at the schedule's times until ``stop()`` (or ``max_runs`` crawls)."""

    def __init__(self, schedule: Schedule, run_once: Callable[[], int], *, clock: Callable[[], datetime],
                 log: Callable[[str], None], max_runs: int | None = None):
        self.schedule, self.run_once, self.clock, self.log = schedule, run_once, clock, log
        self.max_runs = max_runs
        self.stopping = threading.Event()
        self.exit_statuses: list[int] = []

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> list[int]:
        last_start = None
        while not self.stopping.is_set():
            if self.max_runs is not None and len(self.exit_statuses) >= self.max_runs:
                break
            next_time = self.schedule.next_after(self.clock(), last_start)
            wait = (next_time - self.clock()).total_seconds()
            if wait > 0:
                self.log(f"next crawl at {next_time:%Y-%m-%d %H:%M:%S %Z}".rstrip())
                if self.stopping.wait(wait):
                    break
            last_start = self.clock()
            status = self.run_once()
            self.exit_statuses.append(status)
            self.log(f"crawl ended with exit status {status} ({describe_status(status)})")
        self.log("schedule stopped")
        return self.exit_statuses


def describe_status(status: int) -> str:
    return {0: "all sources fine", 1: "some source failed or the crawl was interrupted",
            2: "refused: another crawl holds the archive lock"}.get(status, "the crawl process failed")


def crawl_command(crawl_args: list[str]) -> list[str]:
    """The child command: this Python running the ``hromada`` CLI's ``crawl``."""
    launcher = "import sys; from crawler.cli import main; sys.exit(main(prog_name='hromada'))"
    return [sys.executable, "-c", launcher, "crawl", *crawl_args]


class ChildCrawl:
    """Run one crawl in a child process; forward SIGTERM/SIGINT to it while it runs.

    The child gets its own session, so a Ctrl-C on the terminal reaches it once, through us (Scrapy reads
    a second signal as "kill now").
    """

    def __init__(self, command: list[str]):
        self.command = command
        self.child: subprocess.Popen | None = None

    def __call__(self) -> int:
        self.child = subprocess.Popen(self.command, start_new_session=True)
        try:
            return self.child.wait()
        finally:
            self.child = None

    def forward(self, signum: int) -> None:
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signum)


def install_stop_handlers(scheduler: Scheduler, child: ChildCrawl, log: Callable[[str], None]) -> None:
    def handle(signum, _frame):
        log(f"received {signal.Signals(signum).name}: stopping after the crawl in progress")
        scheduler.stop()
        child.forward(signum)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
