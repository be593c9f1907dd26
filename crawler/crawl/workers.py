"""Worker processes for the pipelines' pure CPU work (extraction, boilerplate, place tagging, MinHash).

Scrapy runs a crawl in one thread, so fetching, extracting and archiving all share one core. A pipeline
hands a pure function of picklable arguments to a worker (:meth:`Workers.run_at`) and awaits its result;
meanwhile the crawl goes on fetching and archiving other items. The archive is only ever written by the
crawl itself, so a worker that crashes or is killed never touches it.

No threads: each worker is a spawned process at the other end of a pipe, which the crawl's event loop
watches. Threads in the crawl's process would fight its one thread for the GIL at every SQLite call and
socket write. ``HROMADA_WORKERS`` sets the number of processes: ``0`` runs the functions in the crawl's
own thread, ``"auto"`` starts one per usable core but the crawl's own. They start when the spider opens
and stop with it; a worker ignores SIGINT and SIGTERM (the crawl finishes its items in flight) and exits
when its crawl closes the pipe or dies.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import multiprocessing
import os
import signal

TASKS_IN_HAND = 8  # per worker: enough waiting in its pipe to keep it busy through the crawl thread's long stretches


class WorkerCrashed(RuntimeError):
    """A worker process died in the middle of a task (a page that crashed the parser, the OOM killer...)."""


class WorkerError(RuntimeError):
    """A task's result or exception could not be sent back from its worker."""


def worker_count(setting) -> int:
    """``HROMADA_WORKERS`` as a number: ``"auto"`` is one process per usable core beyond the crawl's own
    (none on a single core, where a worker would only add copying); unset is 0."""
    if setting is None:
        return 0
    if str(setting).strip().lower() == "auto":
        return usable_cores() - 1
    try:
        count = int(setting)
    except (TypeError, ValueError):
        raise ValueError(f"HROMADA_WORKERS must be a number of processes or 'auto', not {setting!r}") from None
    if count < 0:
        raise ValueError(f"HROMADA_WORKERS must not be negative, not {count}")
    return count


def usable_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Workers:
    """The worker processes of one crawl, shared by its pipelines."""

    def __init__(self, count: int):
        self.count = count
        self.started: list[_Worker] = []
        self.waiting: list = []  # heap of (-stage, task id, future, task) not yet sent to a worker
        self.task_ids = itertools.count()

    @classmethod
    def of(cls, crawler) -> "Workers":
        """The crawler's workers, created on first use and stopped when its spider closes."""
        from scrapy import signals

        workers = getattr(crawler, "hromada_workers", None)
        if workers is None:
            workers = cls(worker_count(crawler.settings.get("HROMADA_WORKERS")))
            crawler.hromada_workers = workers
            crawler.signals.connect(workers.close, signal=signals.spider_closed)
        return workers

    def warm_up(self, function) -> None:
        """Start the workers now, each running ``function`` first (loading rules and dictionaries, say),
        so the first articles do not wait for it. Its failure shows again in the first tasks."""
        for worker in self._workers():
            future = asyncio.get_running_loop().create_future()
            future.add_done_callback(lambda done: done.exception())
            worker.send(next(self.task_ids), future, (function, (), {}))

    async def run(self, function, *args, **kwargs):
        """``function(*args, **kwargs)``, in a worker process when there are any: :meth:`run_at` stage 0."""
        return await self.run_at(0, function, *args, **kwargs)

    async def run_at(self, stage: int, function, *args, **kwargs):
        """``function(*args, **kwargs)`` for a pipeline ``stage``, in a worker process when there are any.

        Waiting tasks of later stages go first (in order of arrival among equals): articles already far
        along finish, and the crawl's thread archives them, before new pages are started. The function's
        exceptions are raised here; a worker that died raises :class:`WorkerCrashed` for its tasks in
        hand, and a fresh worker takes the next ones.
        """
        if self.count == 0:
            return function(*args, **kwargs)
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (-stage, next(self.task_ids), future, (function, args, kwargs)))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self.waiting:
            worker = min(self._workers(), key=lambda candidate: len(candidate.in_hand))
            if len(worker.in_hand) >= TASKS_IN_HAND:
                return
            _, _, future, task = heapq.heappop(self.waiting)
            if not future.done():
                worker.send(next(self.task_ids), future, task)

    def _workers(self) -> list[_Worker]:
        if len(self.started) < self.count:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError("worker processes need an asyncio event loop, as Scrapy's default "
                                   "TWISTED_REACTOR runs; with another reactor set HROMADA_WORKERS = 0") from None
        while len(self.started) < self.count:
            self.started.append(_Worker(self._received))
        return self.started

    def _received(self, worker: _Worker) -> None:
        if not worker.receive():
            self.started.remove(worker)
            worker.stop()
            worker.fail_in_hand(WorkerCrashed(f"worker process {worker.process.pid} died "
                                              f"(exit code {worker.process.exitcode})"))
        self._dispatch()

    def close(self) -> None:
        for worker in self.started:
            worker.stop()
            worker.fail_in_hand(WorkerCrashed("the crawl stopped its workers"))
        self.started = []


class _Worker:
    """One worker process, the crawl's end of its pipe, and the tasks sent to it and not yet answered."""

    def __init__(self, on_readable):
        context = multiprocessing.get_context("spawn")
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=serve, args=(child_end,), name="hromada-worker", daemon=True)
        self.process.start()
        child_end.close()
        self.in_hand: dict[int, asyncio.Future] = {}
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.conn.fileno(), on_readable, self)

    def send(self, task_id: int, future: asyncio.Future, task: tuple) -> None:
        try:
            self.conn.send((task_id, *task))
        except (OSError, ValueError) as error:  # a dead worker's pipe: its reader sees the end next
            future.set_exception(WorkerCrashed(f"worker process {self.process.pid} is gone: {error!r}"))
        except Exception as error:  # the task itself cannot be pickled
            future.set_exception(error)
        else:
            self.in_hand[task_id] = future

    def receive(self) -> bool:
        """Settle one answered task (the loop calls again while more wait); False once the worker is gone."""
        try:
            task_id, succeeded, value = self.conn.recv()
        except (EOFError, OSError):
            return False
        future = self.in_hand.pop(task_id)
        if not future.done():
            future.set_result(value) if succeeded else future.set_exception(value)
        return True

    def fail_in_hand(self, error: Exception) -> None:
        for future in self.in_hand.values():
            if not future.done():
                future.set_exception(error)
        self.in_hand.clear()

    def stop(self) -> None:
        """An idle worker reads the end of its pipe and exits; one still busy (warming up for a crawl that
        found nothing new, say) has nothing left worth waiting for."""
        self.loop.remove_reader(self.conn.fileno())
        self.conn.close()
        self.process.join(timeout=0 if self.in_hand else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def serve(conn) -> None:
    """A worker's loop: run each task received, send back its result or exception, until the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            task_id, function, args, kwargs = conn.recv()
        except EOFError:
            return
        try:
            reply = (task_id, True, function(*args, **kwargs))
        except Exception as error:
            reply = (task_id, False, error)
        try:
            conn.send(reply)
        except Exception as error:  # an unpicklable result or exception
            conn.send((task_id, False, WorkerError(f"{function.__qualname__}: {type(error).__name__}: {error}")))
