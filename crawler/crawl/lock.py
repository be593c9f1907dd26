"""One crawl per archive: a lock file beside the archive holding the crawling process's pid.

The lock is an ``flock`` on ``<archive>.lock``, so the kernel releases it when
the holder dies, even by SIGKILL; the pid written inside names the holder in
the refusal message, and a file left behind by a dead process is taken over
with a message. Re-entrant within one process (the CLI takes the lock before
starting Scrapy, whose run recorder takes it again).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

_held: dict[Path, list[int]] = {}  # lock path -> [file descriptor, depth] in this process


class LockHeld(RuntimeError):
    """Another live process is crawling into the same archive."""


def lock_path_for(archive_path: Path | str) -> Path:
    archive_path = Path(archive_path).resolve()
    return archive_path.with_name(archive_path.name + ".lock")


def pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip() or "x")
    except (OSError, ValueError):
        return None


class CrawlLock:
    """``with CrawlLock(archive_path):`` — raises :class:`LockHeld` when another crawl holds it."""

    def __init__(self, archive_path: Path | str):
        self.path = lock_path_for(archive_path)
        self.archive_path = Path(archive_path)

    def acquire(self) -> "CrawlLock":
        if self.path in _held:
            _held[self.path][1] += 1
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise LockHeld(self._refusal()) from None
            if self._still_our_file(fd):
                break
            os.close(fd)  # the holder removed the file between our open and our lock; try again
        stale_pid = _read_pid(self.path)
        if stale_pid is not None and stale_pid != os.getpid():
            logger.warning("taking over the stale crawl lock %s of process %d, which is no longer running",
                           self.path, stale_pid)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _held[self.path] = [fd, 1]
        return self

    def release(self) -> None:
        entry = _held.get(self.path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[self.path]
        try:
            self.path.unlink(missing_ok=True)
        finally:
            fcntl.flock(entry[0], fcntl.LOCK_UN)
            os.close(entry[0])

    def _still_our_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _refusal(self) -> str:
        pid = _read_pid(self.path)
        holder = f"process {pid}" if pid is not None else "another process"
        return (f"another crawl ({holder}) is already running on {self.archive_path}; "
                f"wait for it to finish or stop it (lock file {self.path})")

    def __enter__(self) -> "CrawlLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
