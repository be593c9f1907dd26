"""Scheduling: intervals and cron times, the scheduler loop, and the README's cron/systemd snippets."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from croniter import croniter

from crawler.cli import main
from crawler.crawl.schedule import Schedule, ScheduleError, Scheduler, crawl_command, parse_every

ROOT = Path(__file__).resolve().parent.parent
SCHEDULING = ROOT / "docs" / "scheduling"
START = datetime(2025, 9, 1, 10, 7, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, interval", [
    ("6h", timedelta(hours=6)), ("30m", timedelta(minutes=30)), ("90s", timedelta(seconds=90)),
    ("1d", timedelta(days=1)), ("1.5H", timedelta(minutes=90)),
])
def test_parse_every(text, interval):
    assert parse_every(text) == interval


@pytest.mark.parametrize("text", ["", "6", "six hours", "0s", "-1h", "6w"])
def test_parse_every_rejects_with_a_message(text):
    with pytest.raises(ScheduleError, match="--every"):
        parse_every(text)


def test_schedule_needs_exactly_one_of_every_and_cron():
    with pytest.raises(ScheduleError, match="exactly one"):
        Schedule.from_options(None, None)
    with pytest.raises(ScheduleError, match="exactly one"):
        Schedule.from_options("6h", "0 * * * *")
    with pytest.raises(ScheduleError, match="not a valid cron"):
        Schedule.from_options(None, "every six hours")


def test_next_times():
    every = Schedule.from_options("6h", None)
    assert every.next_after(START, None) == START  # the first crawl starts at once
    assert every.next_after(START + timedelta(hours=1), START) == START + timedelta(hours=6)
    assert every.next_after(START + timedelta(hours=7), START) == START + timedelta(hours=7)  # a long crawl
    cron = Schedule.from_options(None, "15 */6 * * *")
    assert cron.next_after(START, None) == datetime(2025, 9, 1, 12, 15, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_scheduler_runs_crawls_at_the_planned_times_and_stops():
    clock = FakeClock(START)
    started = []

    def crawl_once() -> int:
        started.append(clock.now)
        clock.now += timedelta(minutes=20)  # the crawl takes a while
        return 1 if len(started) == 2 else 0

    scheduler = Scheduler(Schedule.from_options(None, "0 * * * *"), crawl_once, clock=clock, log=lambda _: None,
                          max_runs=3)
    scheduler.stopping.wait = lambda seconds: setattr(clock, "now", clock.now + timedelta(seconds=seconds)) or False
    assert scheduler.run() == [0, 1, 0]
    assert started == [START.replace(hour=11, minute=0), START.replace(hour=12, minute=0),
                       START.replace(hour=13, minute=0)]


def test_scheduler_stop_ends_the_wait():
    log = []
    scheduler = Scheduler(Schedule.from_options("1h", None), lambda: 0, clock=lambda: START, log=log.append)
    scheduler.stop()
    assert scheduler.run() == []
    assert log[-1] == "schedule stopped"


def test_child_command_runs_the_crawl_command():
    command = crawl_command(["--db", "x.db"])
    assert command[-3:] == ["crawl", "--db", "x.db"] and "from crawler.cli import main" in command[2]


# -- the README's cron line and systemd units ------------------------------------------------------------


def readme_blocks(language: str) -> list[str]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Scheduled crawls", 1)[1]
    return [block.strip() for block in re.findall(rf"```{language}\n(.*?)```", section, re.S)]


def assert_runs_hromada_crawl(command_line: str) -> None:
    words = shlex.split(command_line)
    program = next(i for i, word in enumerate(words) if word.endswith("/hromada") or word == "hromada")
    assert words[program + 1] == "crawl"
    arguments = []
    for word in words[program + 2:]:
        if word in (">>", ">", "||", "&&", "|", "2>&1"):
            break
        arguments.append(word)
    main.get_command(None, "crawl").make_context("crawl", arguments)  # raises on an unknown option or a bad value


def test_readme_cron_line_is_valid_and_runs_the_crawl():
    (block,) = readme_blocks("cron")
    assert block == (SCHEDULING / "crontab").read_text(encoding="utf-8").strip()
    (line,) = [line for line in block.splitlines() if line and not line.startswith("#")]
    fields = line.split(maxsplit=5)
    assert croniter.is_valid(" ".join(fields[:5]))
    assert_runs_hromada_crawl(fields[5].split("&&", 1)[1])


def test_readme_systemd_units_are_the_shipped_ones_and_run_the_crawl():
    service, timer = readme_blocks("ini")
    assert service == (SCHEDULING / "hromada-crawl.service").read_text(encoding="utf-8").strip()
    assert timer == (SCHEDULING / "hromada-crawl.timer").read_text(encoding="utf-8").strip()
    sections = parse_unit(service)
    assert sections["Service"]["Type"] == "oneshot"
    assert_runs_hromada_crawl(sections["Service"]["ExecStart"])
    timer_sections = parse_unit(timer)
    assert re.fullmatch(r"\*-\*-\* 00/6:15:00", timer_sections["Timer"]["OnCalendar"])
    assert timer_sections["Install"]["WantedBy"] == "timers.target"


def parse_unit(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, value = line.split("=", 1)
            current[key] = value
    return sections
