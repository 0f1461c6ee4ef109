"""`sohoa agencies load|list|orphans`: the agency register with its inventory counts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli.context import cli_client, cli_settings
from app.coverage.queries import unregistered_agencies
from domain.agencies import AgencyStore, RegisterError, parse_register


@click.group()
def agencies() -> None:
    """The agency register: codes, names, levels, parents and inventory counts."""


@agencies.command("load")
@click.argument("csv_path", metavar="AGENCIES.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prune", is_flag=True,
              help="Also delete registered agencies that are not in this file.")
def load(csv_path: Path, prune: bool) -> None:
    """Load (or update) the register from AGENCIES.csv; `_id` is the agency code.

    Columns: agency_code, agency_name, level (city|district|commune), parent_code,
    inventory_count, reviewed_on. Bad rows are reported with their line numbers and skipped;
    the good rows load. Exit status 1 if any row was bad.
    """
    settings = cli_settings()
    client = cli_client(settings)
    store = AgencyStore(client, settings)
    try:
        text = csv_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_path.name} is not UTF-8 text ({exc.reason})") from exc
    known = set() if prune else set(store.all())
    try:
        good, errors = parse_register(text, known_codes=known)
    except RegisterError as exc:
        raise click.ClickException(f"{csv_path.name}: {exc}") from exc
    for error in errors:
        click.secho(f"✗ {csv_path.name} {error}", fg="red", err=True)
    if prune and errors:
        # Pruning against a file with bad rows would delete agencies the file meant to keep.
        raise click.ClickException("--prune needs a file without bad rows; nothing was loaded")
    summary = store.load(good, prune=prune)
    click.echo(f"loaded {len(good)} agencies ({summary.created} new, {summary.updated} updated"
               + (f", {summary.pruned} removed" if prune else "") + f"); {len(errors)} bad row(s)")
    if errors:
        raise SystemExit(1)


@agencies.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_agencies(as_json: bool) -> None:
    """The register, then any agency that has records but is not registered."""
    settings = cli_settings()
    client = cli_client(settings)
    register = AgencyStore(client, settings).all()
    orphans = unregistered_agencies(client, settings.index_name("results"), register)
    for code in sorted(register):
        a = register[code]
        if as_json:
            click.echo(json.dumps({"agency_code": a.agency_code, "agency_name": a.agency_name,
                                   "level": a.level, "parent_code": a.parent_code,
                                   "inventory_count": a.inventory_count,
                                   "reviewed_on": a.reviewed_on, "registered": True},
                                  ensure_ascii=False))
        else:
            click.echo(f"{a.agency_code:<16} {a.level:<9} {a.parent_code or '-':<12} "
                       f"{a.inventory_count:>9}  {a.agency_name}")
    _echo_orphans(orphans, as_json)
    if not as_json:
        click.echo(f"{len(register)} registered agencies, {len(orphans)} not in the register",
                   err=True)


@agencies.command("orphans")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def orphans(as_json: bool) -> None:
    """Agencies that appear in indexed records but not in the register."""
    settings = cli_settings()
    client = cli_client(settings)
    found = unregistered_agencies(client, settings.index_name("results"),
                                  AgencyStore(client, settings).all())
    _echo_orphans(found, as_json)
    if not as_json:
        click.echo(f"{len(found)} agency code(s) in records but not in the register", err=True)


def _echo_orphans(found: dict[str, dict], as_json: bool) -> None:
    for code in sorted(found):
        item = found[code]
        if as_json:
            click.echo(json.dumps({"agency_code": code, "agency_name": item["agency_name"],
                                   "level": item["agency_level"], "records": item["records"],
                                   "registered": False}, ensure_ascii=False))
        else:
            click.echo(f"{code:<16} {item['agency_level'] or '?':<9} NOT IN REGISTER  "
                       f"{item['records']:>6} record(s)  {item['agency_name'] or ''}")
