"""`sohoa stack up|down|status`."""

from __future__ import annotations

import subprocess

import click

from app.devstack import stack as devstack
from app.devstack.tools import MissingTool


@click.group()
def stack() -> None:
    """Local Elasticsearch and Redis for development and tests (no Docker needed)."""


def _print(rows: list[devstack.ComponentStatus]) -> None:
    for row in rows:
        click.echo(row.line())


@stack.command()
@click.option("--nodes", default=1, show_default=True, type=click.IntRange(1, 5),
              help="Elasticsearch nodes: 1 serves on port 9200; N > 1 on 9201…920N.")
def up(nodes: int) -> None:
    """Start (or keep) the local stack and wait until it is healthy. Idempotent."""
    try:
        rows = devstack.up(devstack.default_stack_dir(), nodes, log=click.echo)
    except (MissingTool, subprocess.CalledProcessError, TimeoutError) as exc:
        raise click.ClickException(str(exc)) from exc
    _print(rows)


@stack.command()
@click.option("--nodes", type=click.IntRange(1, 5), default=None,
              help="Stop only the Elasticsearch cluster of this size (Redis keeps running).")
def down(nodes: int | None) -> None:
    """Stop exactly what `stack up` started (found by PID)."""
    if nodes:
        devstack.stop_cluster(devstack.default_stack_dir(), nodes, log=click.echo)
    else:
        devstack.down(devstack.default_stack_dir(), log=click.echo)


@stack.command()
def status() -> None:
    """Tell what runs where."""
    _print(devstack.status(devstack.default_stack_dir()))
