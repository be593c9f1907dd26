"""The CLI's one error path: an expected failure becomes one line naming the file, source or value and what to
do, and one of the documented exit statuses (``EXIT_STATUSES``, shown by ``hromada --help``)."""

from __future__ import annotations

import errno
import sqlite3
import traceback
from pathlib import Path

import click

SOURCES_FAILED = 1
BAD_INPUT = 2
ARCHIVE_UNUSABLE = 3
INTERNAL_ERROR = 4

EXIT_STATUSES = f"""\b
Exit status:
  0  done
  {SOURCES_FAILED}  some sources failed (unreachable, blocked, layout changed) or the crawl was interrupted
  {BAD_INPUT}  bad input or usage: an option, query, registry entry or file that cannot be used
  {ARCHIVE_UNUSABLE}  the archive is unusable: not an archive, empty, damaged, newer than this tool,
     read-only for a command that writes, or on a full disk
  {INTERNAL_ERROR}  an internal error (a bug): run again with --debug and report the traceback
Every failure prints one line; --debug (or HROMADA_DEBUG=1) adds its traceback."""

#: ``ctx.meta`` key (shared by a command's context and the group's) of the archive path the command was given.
ARCHIVE_META_KEY = "hromada.archive"


class BadInput(click.ClickException):
    exit_code = BAD_INPUT


class ArchiveUnusable(click.ClickException):
    exit_code = ARCHIVE_UNUSABLE


class InternalError(click.ClickException):
    exit_code = INTERNAL_ERROR


def remember_archive(ctx: click.Context, _param, value):
    """Option callback of every --db: the error path names this archive in SQLite's errors."""
    ctx.meta[ARCHIVE_META_KEY] = value
    return value


def describe_os_error(error: OSError) -> str:
    """One line for a file error: the file, what went wrong, and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        return f"{where}the disk is full; free space and run again"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}{reason}; check the file's permissions or use another path"
    return f"{where}{reason}"


def as_cli_error(error: BaseException, archive_path: Path | None) -> click.ClickException:
    """The one-line error, with its exit status, for an exception a command let through."""
    from crawler.archive.store import ArchiveError, describe_database_error

    if isinstance(error, click.ClickException):
        if type(error) in (click.ClickException, click.FileError) and error.exit_code == SOURCES_FAILED:
            error.exit_code = BAD_INPUT  # status 1 is kept for failed sources
        return error
    if isinstance(error, ArchiveError):
        return ArchiveUnusable(str(error))
    if isinstance(error, sqlite3.Error):
        return ArchiveUnusable(describe_database_error(archive_path or Path("the archive"), error))
    if isinstance(error, OSError):
        on_archive = archive_path is not None and str(error.filename or "").startswith(str(archive_path))
        unusable = on_archive or (error.errno == errno.ENOSPC and error.filename is None)
        return (ArchiveUnusable if unusable else BadInput)(describe_os_error(error))
    return InternalError(f"internal error: {type(error).__name__}: {error}; run again with --debug and report the traceback")


def handle_command_errors(ctx: click.Context, run):
    """Run the invoked command; what it raises leaves as a ClickException (click prints one line and exits
    with its status). Exits, aborts and Ctrl-C pass through; --debug prints the traceback first."""
    try:
        return run()
    except (click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
        raise
    except Exception as error:
        cli_error = as_cli_error(error, ctx.meta.get(ARCHIVE_META_KEY))
        if ctx.params.get("debug") and not isinstance(error, click.UsageError):  # --debug or HROMADA_DEBUG=1
            traceback.print_exc()
        raise cli_error from None
