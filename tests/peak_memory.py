"""Run a module (as ``python -m`` does) or a Python script such as the ``hromada`` console script and, when it
exits, write its peak resident memory in MB to a file:

    python -m tests.peak_memory PEAK_FILE MODULE_OR_SCRIPT [ARGUMENTS...]

A child's ``ru_maxrss`` cannot say this: Linux carries the parent's high-water mark across fork and exec, so a
crawl started from a pytest process that has grown to 400 MB reports 400 MB however little it used. The high-water
mark of the process's own memory (``VmHWM``) starts afresh at exec.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def own_peak_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def read_peak_mb(peak_file: Path) -> int:
    """The figure a run under this module wrote; a run that died before its exit handlers wrote none."""
    if not peak_file.exists():
        raise AssertionError(f"{peak_file}: the process wrote no peak memory figure (killed?)")
    return int(peak_file.read_text())


def main(peak_file: str, target: str, *arguments: str) -> None:
    atexit.register(lambda: Path(peak_file).write_text(str(own_peak_mb())))
    sys.argv = [target, *arguments]
    if Path(target).is_file():
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
