"""``hromada sources``: list and validate the source registry."""

from __future__ import annotations

import click

from crawler.cli.common import load_sources_or_exit, print_json, registry_option


@click.group()
def sources() -> None:
    """Inspect the source registry (data/sources.toml).

    \b
    Example:
        hromada sources list --oblast Вінницька
        hromada sources validate
    """


@sources.command("list")
@registry_option
@click.option("--oblast", help="Only sources in this oblast.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_sources(registry_path, oblast, as_json) -> None:
    """List registered sources.

    \b
    Example:
        hromada sources list --json
    """
    entries = [s for s in load_sources_or_exit(registry_path) if not oblast or s.oblast == oblast]
    if as_json:
        print_json([{"id": s.id, "name": s.name, "homepage": s.homepage, "kind": s.kind, "oblast": s.oblast,
                     "hromada": s.hromada, "katottg": s.katottg, "verified": s.verified} for s in entries])
        return
    for s in entries:
        mark = "" if s.verified else "  (unverified)"
        click.echo(f"{s.id:<28} {s.kind:<16} {s.oblast:<18} {s.homepage}{mark}")


@sources.command("validate")
@registry_option
def validate_sources(registry_path) -> None:
    """Check the registry; exits non-zero naming the entry and field at fault.

    \b
    Example:
        hromada sources validate --registry data/sources.toml
    """
    entries = load_sources_or_exit(registry_path)
    click.echo(f"{registry_path}: {len(entries)} sources, all valid")
