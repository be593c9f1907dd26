"""One error path for the CLI (issue 15): every command, given each kind of bad archive, prints one line naming
the file and what to do, never a traceback, and exits with the documented status (crawler/cli/errors.py)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.archive.store import MIN_FREE_BYTES, SCHEMA_VERSION
from crawler.cli import main
from crawler.cli.errors import ARCHIVE_UNUSABLE, BAD_INPUT, INTERNAL_ERROR

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_FRONTIER = "redis://127.0.0.1:9/0"

#: label -> (arguments before --db, whether the command writes the archive). ``{out}`` is a scratch directory.
ARCHIVE_COMMANDS = {
    "search": (["search", "громада"], False),
    "search --reindex": (["search", "--reindex", "громада"], True),
    "status": (["status"], False),
    "stats": (["stats"], False),
    "stories": (["stories"], False),
    "export": (["export", "-o", "{out}/export.csv"], False),
    "serve": (["serve", "--no-open", "--port", "0"], False),
    "reindex": (["reindex"], True),
    "reextract": (["reextract"], True),
    "crawl": (["crawl"], True),
    "demo": (["demo"], True),
    "ingest": (["ingest", "--frontier", UNREACHABLE_FRONTIER], True),
}
#: Kinds that are no archive at all: every command exits 3 (a directory is refused by --db itself: usage, 2).
BROKEN_KINDS = {"text": ARCHIVE_UNUSABLE, "empty": ARCHIVE_UNUSABLE, "directory": BAD_INPUT,
                "truncated": ARCHIVE_UNUSABLE, "newer_schema": ARCHIVE_UNUSABLE}
#: Kinds of a sound archive that cannot be written: reading commands work as on a writable copy, writing ones exit 3.
UNWRITABLE_KINDS = ("read_only", "full_disk")


def copy_archive(source: Path, target: Path) -> Path:
    """A complete copy (the WAL folded in), through SQLite's backup API."""
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()
    return target


def mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True, capture_output=True, text=True)


class BadArchives:
    """Each kind of bad archive, made once per module in a directory of its own; mounts are undone at the end."""

    def __init__(self, good: Path, base: Path):
        self.good, self.base, self.mounts, self.paths, self.skips = good, base, [], {}, {}
        for kind in [*BROKEN_KINDS, *UNWRITABLE_KINDS]:
            folder = base / kind
            folder.mkdir()
            try:
                self.paths[kind] = getattr(self, f"make_{kind}")(folder)
            except (OSError, subprocess.CalledProcessError) as error:
                self.skips[kind] = f"cannot make a {kind} archive here: {error}"

    def path(self, kind: str) -> Path:
        if kind in self.skips:
            pytest.skip(self.skips[kind])
        return self.paths[kind]

    def make_text(self, folder: Path) -> Path:
        path = folder / "notes.txt"
        path.write_text("Нотатки, не архів.\n", encoding="utf-8")
        return path

    def make_empty(self, folder: Path) -> Path:
        path = folder / "archive.db"
        path.write_bytes(b"")
        return path

    def make_directory(self, folder: Path) -> Path:
        path = folder / "archive.db"
        path.mkdir()
        return path

    def make_truncated(self, folder: Path) -> Path:
        """Cut at a page boundary, so only the page count in the header tells."""
        whole = copy_archive(self.good, folder / "whole.db").read_bytes()
        path = folder / "archive.db"
        path.write_bytes(whole[: len(whole) // 2 // 4096 * 4096])
        return path

    def make_newer_schema(self, folder: Path) -> Path:
        path = copy_archive(self.good, folder / "archive.db")
        with sqlite3.connect(path) as connection:
            connection.execute(f"pragma user_version = {SCHEMA_VERSION + 1}")
        connection.close()
        return path

    def make_read_only(self, folder: Path) -> Path:
        """As root (whom chmod does not stop): a read-only bind mount; otherwise file and folder without write bits."""
        source = folder / "source"
        source.mkdir()
        copy_archive(self.good, source / "archive.db")
        if os.geteuid() != 0:
            (source / "archive.db").chmod(0o444)
            source.chmod(0o555)
            return source / "archive.db"
        view = folder / "view"
        view.mkdir()
        mount("--bind", str(source), str(view))
        self.mounts.append(view)
        mount("-o", "remount,ro,bind", str(view))
        return view / "archive.db"

    def make_full_disk(self, folder: Path) -> Path:
        """A small tmpfs holding the archive, then filled to the last byte."""
        if os.geteuid() != 0:
            raise OSError(errno.EPERM, "mounting a tmpfs needs root")
        mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder))
        self.mounts.append(folder)
        path = copy_archive(self.good, folder / "archive.db")
        with (folder / "filler").open("wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC
        assert shutil.disk_usage(folder).free < MIN_FREE_BYTES
        return path

    def close(self) -> None:
        for point in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(point)], check=False)
        if os.geteuid() != 0 and "read_only" in self.paths:
            self.paths["read_only"].parent.chmod(0o755)


@pytest.fixture(scope="module")
def bad_archives(search_archive, tmp_path_factory):
    archives = BadArchives(search_archive, tmp_path_factory.mktemp("bad-archives"))
    yield archives
    archives.close()


@pytest.fixture(scope="module")
def good_exit_codes(search_archive, tmp_path_factory):
    """Each reading command's exit status on a writable copy of the sound archive, computed once."""
    folder = tmp_path_factory.mktemp("good")
    good = copy_archive(search_archive, folder / "archive.db")
    return {label: invoke(arguments, good, folder).exit_code
            for label, (arguments, writes) in ARCHIVE_COMMANDS.items() if not writes and label != "serve"}


def invoke(arguments: list[str], db_path: Path, out: Path, *extra: str):
    filled = [argument.format(out=out) for argument in arguments]
    return CliRunner().invoke(main, [*extra, *filled, "--db", str(db_path)])


def assert_one_line_error(result, expected_status: int, names: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == expected_status, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    assert names in errors[0], errors[0]


@pytest.mark.parametrize("label", list(ARCHIVE_COMMANDS))
@pytest.mark.parametrize("kind", list(BROKEN_KINDS))
def test_broken_archive_is_one_line_and_its_status(kind, label, bad_archives, tmp_path):
    db_path = bad_archives.path(kind)
    result = invoke(ARCHIVE_COMMANDS[label][0], db_path, tmp_path)
    assert_one_line_error(result, BROKEN_KINDS[kind], db_path.name)


@pytest.mark.parametrize("label", [label for label in ARCHIVE_COMMANDS if label != "serve"])  # serve would serve it
@pytest.mark.parametrize("kind", UNWRITABLE_KINDS)
def test_unwritable_archive_reads_but_refuses_writes(kind, label, bad_archives, good_exit_codes, tmp_path):
    db_path = bad_archives.path(kind)
    arguments, writes = ARCHIVE_COMMANDS[label]
    result = invoke(arguments, db_path, tmp_path)
    if writes:
        assert_one_line_error(result, ARCHIVE_UNUSABLE, str(db_path))
        assert ("read-only" if kind == "read_only" else "full") in result.output
    else:
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert result.exit_code == good_exit_codes[label], result.output


@pytest.mark.parametrize("kind", [*BROKEN_KINDS, *UNWRITABLE_KINDS])
def test_commands_without_an_archive_take_bad_files_calmly(kind, bad_archives):
    """extract and eval read a file or a folder given to them; fleet and sources need no archive."""
    path = bad_archives.path(kind)
    runs = {
        "extract": (["extract", str(path)], (0, BAD_INPUT)),
        "eval": (["eval", str(path)], (BAD_INPUT,)),
        "fleet": (["fleet", "--frontier", UNREACHABLE_FRONTIER], (BAD_INPUT,)),
        "sources validate": (["sources", "validate", "--registry", str(path)], (0, BAD_INPUT)),  # empty: no sources
    }
    for label, (arguments, statuses) in runs.items():
        result = CliRunner().invoke(main, arguments)
        assert result.exception is None or isinstance(result.exception, SystemExit), (label, result.exception)
        assert "Traceback" not in result.output, label
        assert result.exit_code in statuses, (label, result.output)


def run_hromada(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from crawler.cli import main; sys.exit(main())",
                           *arguments], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("arguments", [["search", "громада"], ["status"], ["crawl"], ["demo"]], ids=" ".join)
def test_real_processes_print_no_traceback(arguments, bad_archives):
    db_path = bad_archives.path("text")
    completed = run_hromada(*arguments, "--db", str(db_path))
    assert completed.returncode == ARCHIVE_UNUSABLE, completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert completed.stderr.strip().splitlines()[-1] == (
        f"Error: {db_path} is not a hromada archive (not an SQLite database); give --db an archive or a new file name")


SCRAPY_CRAWL_FAULTS = {  # label -> (spider arguments and settings, exit status, what the line names)
    "missing registry": (["-s", "HROMADA_REGISTRY={out}/missing.toml"], BAD_INPUT, "missing.toml: "),
    "unknown source": (["-a", "source=vmr,no-such-source"], BAD_INPUT, "unknown source id(s): no-such-source"),
    "not an archive": (["-a", "source=vmr", "-s", "HROMADA_ARCHIVE={text}"], ARCHIVE_UNUSABLE, "not a hromada archive"),
    "a directory": (["-a", "source=vmr", "-s", "HROMADA_ARCHIVE={out}"], ARCHIVE_UNUSABLE, "is a directory"),
}


@pytest.mark.parametrize("label", list(SCRAPY_CRAWL_FAULTS))
def test_scrapy_crawl_refuses_bad_input_in_one_line_before_it_crawls(label, bad_archives, tmp_path):
    """`scrapy crawl news`, the README's other way to crawl, says what `hromada crawl` would (crawler/cli/scrapy_commands)."""
    arguments, status, names = SCRAPY_CRAWL_FAULTS[label]
    filled = [argument.format(out=tmp_path, text=bad_archives.path("text")) for argument in arguments]
    completed = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "news", *filled], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == status, completed.stderr[-3000:]
    assert "Traceback" not in completed.stdout + completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and names in errors[0], completed.stderr[-3000:]
    assert "Spider opened" not in completed.stderr


def test_schedule_passes_on_the_crawls_status(bad_archives):
    db_path = bad_archives.path("empty")
    completed = run_hromada("schedule", "--every", "1s", "--max-runs", "1", "--", "--db", str(db_path))
    assert completed.returncode == ARCHIVE_UNUSABLE, completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "is an empty file, not an archive" in completed.stderr


@pytest.mark.parametrize("how", ["--debug", "HROMADA_DEBUG=1"])
def test_debug_shows_the_traceback(how, bad_archives):
    db_path = bad_archives.path("truncated")
    flags, env = (["--debug"], None) if how == "--debug" else ([], {"HROMADA_DEBUG": "1"})
    completed = run_hromada(*flags, "status", "--db", str(db_path), env=env)
    assert completed.returncode == ARCHIVE_UNUSABLE
    assert "Traceback" in completed.stderr and "crawler/archive/store.py" in completed.stderr
    assert completed.stderr.strip().splitlines()[-1].startswith(f"Error: {db_path} is damaged")


def test_missing_archive_for_reading_says_how_to_make_one(tmp_path):
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(tmp_path / "none.db")])
    assert_one_line_error(result, ARCHIVE_UNUSABLE, "none.db")
    assert "hromada crawl" in result.output and not (tmp_path / "none.db").exists()


def test_a_foreign_sqlite_database_is_never_migrated(tmp_path):
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table notes (text)")
    connection.close()
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["reindex", "--db", str(path)])
    assert_one_line_error(result, ARCHIVE_UNUSABLE, "not a hromada archive")
    assert path.read_bytes() == before


def test_a_huge_query_is_not_echoed_back(search_archive):
    query = "громада " * 100
    result = CliRunner().invoke(main, ["search", query, "--db", str(search_archive)])
    assert_one_line_error(result, BAD_INPUT, "longer than 500 characters")
    assert query not in result.output and f"({len(query)} characters)" in result.output


def test_an_unexpected_error_is_one_line_asking_for_a_report(search_archive, monkeypatch):
    import crawler.cli.query

    def broken_search(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(crawler.cli.query, "run_search", broken_search)
    result = CliRunner().invoke(main, ["search", "громада", "--db", str(search_archive)])
    assert_one_line_error(result, INTERNAL_ERROR, "internal error: ZeroDivisionError: a bug; run again with --debug")


def test_help_documents_the_exit_statuses():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for status, meaning in [(1, "some sources failed"), (2, "bad input or usage"), (3, "the archive is unusable")]:
        assert f"{status}  {meaning}" in result.output
    assert "--debug" in result.output and "HROMADA_DEBUG=1" in result.output


def test_a_crawl_the_archive_failed_is_reported_in_one_line_with_status_3(tmp_path, capsys):
    from crawler.archive.store import Archive
    from crawler.cli.crawl import report_run

    path = tmp_path / "archive.db"
    reason = f"the disk holding {path} is full (database or disk is full); free space and run again"
    with Archive(path) as archive:
        run_id = archive.start_run(["ekhmilnyk"])
        archive.finish_run(run_id, "failed", {"ekhmilnyk": {"new": 3, "errors": {"archive": 2}}}, failure=reason)
    assert report_run(path, run_id) == ARCHIVE_UNUSABLE
    captured = capsys.readouterr()
    assert "archive 2" in captured.out and "(failed)" in captured.out
    assert captured.err.strip() == f"Error: the crawl stopped: {reason}"


def test_an_export_to_a_place_it_cannot_write_is_bad_input(bad_archives, search_archive):
    target = bad_archives.path("read_only").parent / "export.csv"
    result = CliRunner().invoke(main, ["export", "-o", str(target), "--db", str(search_archive)])
    assert_one_line_error(result, BAD_INPUT, "export.csv")
    assert not target.exists()
