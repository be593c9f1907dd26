"""Every command explains itself with an example, and JSON keeps Cyrillic readable."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from crawler.cli import main


def all_commands(group: click.Group, prefix=()):
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None and command.name == name, name
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [path for path, _ in all_commands(main)], ids=" ".join)
def test_help_has_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_sources_json_is_readable_cyrillic():
    result = CliRunner().invoke(main, ["sources", "list", "--json"])
    assert result.exit_code == 0
    assert "Хмільницька" in result.output and "\\u04" not in result.output


def test_reading_commands_do_not_load_scrapy():
    code = ("import sys; from click.testing import CliRunner; from crawler.cli import main; "
            "result = CliRunner().invoke(main, ['search', '--help']); "
            "assert result.exit_code == 0, result.output; print('scrapy' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
