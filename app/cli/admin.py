"""`sohoa users …`: staff accounts (every change is written to the audit log)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
import redis
from elasticsearch import Elasticsearch

from app.audit import audit_cli
from app.auth.accounts import ROLES, AccountError, AccountStore
from app.auth.passwords import PasswordPolicyError
from app.auth.sessions import SessionStore
from app.cli.context import cli_client, cli_settings
from domain.settings import Settings

T = TypeVar("T")


@click.group()
def users() -> None:
    """Staff accounts (officers and managers)."""


def _open() -> tuple[AccountStore, Elasticsearch, Settings]:
    settings = cli_settings()
    client = cli_client(settings)
    return AccountStore(client, settings), client, settings


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except (AccountError, PasswordPolicyError) as exc:
        raise click.ClickException(str(exc)) from exc


def _end_sessions(settings: Settings, name: str) -> int:
    """Delete the account's web sessions from Redis (the account's `session_version` bump
    refuses them as well: two locks, so a Redis outage here leaves no session usable)."""
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=3)
    try:
        return SessionStore(client, settings.index_prefix).revoke_subject(f"staff:{name}")
    finally:
        client.close()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="officer: search and retrieve; manager: also coverage and audit.")
@click.option("--password-stdin", is_flag=True,
              help="Read a web sign-in password from the first line of stdin.")
def add_user(name: str, role: str, password_stdin: bool) -> None:
    """Create an account and print its API token (shown once; only a hash is kept)."""
    store, client, settings = _open()
    password = _read_password(True) if password_stdin else None
    token = _run(lambda: store.add(name, role, password))
    audit_cli(client, settings, "account.add", account=name, account_role=role,
              with_password=password is not None)
    click.echo(f"created {role} {name}; API token (shown once):", err=True)
    click.echo(token)


@users.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Disable an account: its token and web sessions stop working at once."""
    store, client, settings = _open()
    _run(lambda: store.disable(name))
    ended = _end_sessions(settings, name)
    audit_cli(client, settings, "account.disable", account=name, sessions_ended=ended)
    click.echo(f"disabled {name}")


@users.command("enable")
@click.argument("name")
def enable_user(name: str) -> None:
    """Re-enable a disabled account."""
    store, client, settings = _open()
    _run(lambda: store.enable(name))
    audit_cli(client, settings, "account.enable", account=name)
    click.echo(f"enabled {name}")


@users.command("rotate-token")
@click.argument("name")
def rotate_token(name: str) -> None:
    """Replace the API token (the old one stops working) and print the new one once."""
    store, client, settings = _open()
    token = _run(lambda: store.rotate_token(name))
    audit_cli(client, settings, "account.rotate-token", account=name)
    click.echo(f"new API token for {name} (shown once):", err=True)
    click.echo(token)


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def set_password(name: str, password_stdin: bool) -> None:
    """Set the web sign-in password (ends the account's open web sessions)."""
    store, client, settings = _open()
    password = _read_password(password_stdin)
    _run(lambda: store.set_password(name, password))
    ended = _end_sessions(settings, name)
    audit_cli(client, settings, "account.set-password", account=name, sessions_ended=ended)
    click.echo(f"password set for {name}")


@users.command("list")
def list_users() -> None:
    """List accounts: name, role, state, whether a web password is set."""
    store, _client, _settings = _open()
    accounts = store.list()
    if not accounts:
        click.echo("no accounts; create one with `sohoa users add NAME --role officer`")
        return
    click.echo(f"{'name':24} {'role':8} {'state':9} {'password':8} updated")
    for a in accounts:
        state = "disabled" if a.disabled else "active"
        password = "yes" if a.has_password else "no"
        click.echo(f"{a.username:24} {a.role:8} {state:9} {password:8} {a.updated_at or ''}")
