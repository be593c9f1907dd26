"""Worker processes for the pipelines' CPU work: results and errors come back, a dead worker is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crawler.crawl.workers import TASKS_IN_HAND, WorkerCrashed, WorkerError, Workers, usable_cores, worker_count

ROOT = Path(__file__).resolve().parent.parent


def run_tasks(workers: Workers, *calls):
    """Run (function, *args) calls concurrently; results or exceptions in order."""

    async def gather():
        try:
            return await asyncio.gather(*(workers.run(function, *args) for function, *args in calls),
                                        return_exceptions=True)
        finally:
            workers.close()

    return asyncio.run(gather())


def die(status: int) -> None:
    os._exit(status)


def unpicklable_result() -> object:
    return lambda: None


WARMED = []


def warm() -> None:
    WARMED.append(os.getpid())


def warmed() -> list[int]:
    return WARMED


def warm_slowly() -> None:
    time.sleep(60)


@pytest.mark.parametrize("setting, expected", [(None, 0), ("0", 0), (3, 3), ("auto", usable_cores() - 1)])
def test_worker_count(setting, expected):
    assert worker_count(setting) == expected


@pytest.mark.parametrize("setting", ["many", -1])
def test_a_bad_worker_count_is_named(setting):
    with pytest.raises(ValueError, match="HROMADA_WORKERS"):
        worker_count(setting)


def test_without_workers_a_function_runs_in_this_process():
    assert run_tasks(Workers(0), (os.getpid,)) == [os.getpid()]


def test_results_and_exceptions_come_back_from_the_worker():
    pid, length, error = run_tasks(Workers(1), (os.getpid,), (len, "громада"), (int, "не число"))
    assert pid != os.getpid()
    assert length == 7
    assert isinstance(error, ValueError) and "не число" in str(error)


def test_a_result_that_cannot_be_sent_back_is_a_named_error():
    [error] = run_tasks(Workers(1), (unpicklable_result,))
    assert isinstance(error, WorkerError) and "unpicklable_result" in str(error)


def test_a_dead_worker_fails_its_task_and_a_fresh_one_takes_the_next():
    workers = Workers(1)

    async def scenario():
        first_pid = await workers.run(os.getpid)
        with pytest.raises(WorkerCrashed, match="exit code 3"):
            await workers.run(die, 3)
        second_pid = await workers.run(os.getpid)
        workers.close()
        return first_pid, second_pid

    first_pid, second_pid = asyncio.run(scenario())
    assert first_pid != second_pid


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie whose parent has not reaped it yet has exited all the same


def test_a_worker_exits_when_its_crawl_is_killed(tmp_path):
    script = tmp_path / "crawl.py"
    script.write_text(textwrap.dedent(f"""
        import asyncio, os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from crawler.crawl.workers import Workers

        async def main():
            print(await Workers(1).run(os.getpid), flush=True)
            time.sleep(60)

        if __name__ == "__main__":
            asyncio.run(main())
    """))
    crawl = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker_pid = int(crawl.stdout.readline())
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    deadline = time.monotonic() + 10
    while not is_gone(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert is_gone(worker_pid)


def test_a_worker_warms_up_before_its_first_task():
    workers = Workers(1)

    async def scenario():
        workers.warm_up(warm)
        return await workers.run(warmed), await workers.run(os.getpid)

    warmed_in, worker_pid = asyncio.run(scenario())
    workers.close()
    assert warmed_in == [worker_pid]
    assert WARMED == []  # not in this process


def test_workers_without_an_asyncio_loop_say_what_to_set():
    with pytest.raises(RuntimeError, match="HROMADA_WORKERS = 0"):
        Workers(1).warm_up(warm)


def test_closing_does_not_wait_for_a_worker_still_warming_up():
    workers = Workers(1)

    async def scenario():
        workers.warm_up(warm_slowly)
        [worker] = workers.started
        started = time.monotonic()
        workers.close()
        return worker.process, time.monotonic() - started

    process, seconds = asyncio.run(scenario())
    assert not process.is_alive() and seconds < 5


def test_waiting_tasks_of_later_stages_go_first():
    workers = Workers(1)

    async def scenario():
        order = []

        async def task(stage, label):
            await workers.run_at(stage, os.getpid)
            order.append(label)

        blockers = [asyncio.create_task(task(0, f"in hand {n}")) for n in range(TASKS_IN_HAND)]
        await asyncio.sleep(0)
        queued = [asyncio.create_task(task(stage, label)) for stage, label in
                  [(100, "extract a"), (100, "extract b"), (550, "analyse a"), (200, "boilerplate a")]]
        await asyncio.gather(*blockers, *queued)
        workers.close()
        return order[TASKS_IN_HAND:]

    assert asyncio.run(scenario()) == ["analyse a", "boilerplate a", "extract a", "extract b"]
