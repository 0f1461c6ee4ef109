"""`sohoa users …`: staff accounts."""

from __future__ import annotations

import click

from app.auth.accounts import ROLES, AccountError, AccountStore
from app.cli.context import cli_client, cli_settings
from indexer.indices import ensure_indices


@click.group()
def users() -> None:
    """Staff accounts (officers and managers)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="officer: search and retrieve; manager: also coverage and audit.")
def add_user(name: str, role: str) -> None:
    """Create an account and print its API token (shown once; only a hash is kept)."""
    settings = cli_settings()
    client = cli_client(settings)
    ensure_indices(client, settings, log=lambda _m: None)
    try:
        token = AccountStore(client, settings).add(name, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {name}; API token (shown once):", err=True)
    click.echo(token)
