"""`hromada` starts at once: the CLI module and `--help` import no heavy library, `search` no Scrapy
(issue 16; the timings themselves are in benchmarks/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from crawler.cli import COMMANDS, listed_help, main

HEAVY_MODULES = ("scrapy", "pandas", "pyarrow", "matplotlib", "datasette")


def loaded_after(arguments: list[str]) -> dict:
    """Which heavy modules a fresh interpreter holds after importing crawler.cli and running `hromada ARGUMENTS`."""
    code = ("import json, sys; from click.testing import CliRunner; import crawler.cli; "
            f"result = CliRunner().invoke(crawler.cli.main, {arguments!r}); "
            f"print(json.dumps({{'exit_code': result.exit_code, 'output': result.output, "
            f"'loaded': [name for name in {HEAVY_MODULES!r} if name in sys.modules]}}))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(completed.stdout)


def test_help_imports_no_heavy_module():
    state = loaded_after(["--help"])
    assert state["exit_code"] == 0, state["output"]
    assert "search" in state["output"] and "crawl" in state["output"]
    assert state["loaded"] == []


def test_search_imports_neither_scrapy_nor_pandas(search_archive):
    state = loaded_after(["search", "громада", "--db", str(search_archive)])
    assert state["exit_code"] == 0, state["output"]
    assert "Сесія міської ради" in state["output"]
    assert "scrapy" not in state["loaded"] and "pandas" not in state["loaded"]


def test_sqlite_utils_import_leaves_pandas_importable():
    code = ("import sys; from crawler.archive.sqlite_utils_import import import_sqlite_utils; "
            "import_sqlite_utils(); print('pandas' in sys.modules); import numpy; print(bool(numpy.zeros(2).size))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert completed.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_line_is_the_commands_own(name):
    """`hromada --help` lists COMMANDS' lines without importing the commands: each must be its command's."""
    command = main.get_command(click.Context(main), name)
    assert listed_help(name, 1000) == command.get_short_help_str(1000)
