"""`sohoa verify`, `sohoa sweep`, `sohoa backup`, `sohoa restore`: keeping the archive whole."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click
import redis

from app.cli.context import cli_client, cli_settings
from domain.settings import Settings, without_credentials
from indexer.backup import BackupError, backup, list_catalogs, restore
from indexer.broker import broker_job_ids
from indexer.celery_app import make_celery
from indexer.sweeper import SweeperConfig, sweep, sweep_orphans, sweeper_config
from indexer.verify import KINDS, Report, reconcile


def _sweeper_config(stuck_after: int | None) -> SweeperConfig:
    config = sweeper_config(cli_settings())
    if stuck_after is not None:
        config = replace(config, stuck_after_s=stuck_after)
    return config


def _broker(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=3)


def _print_report(report: Report) -> None:
    if report.issues:
        width = max(len(i.result_id or "-") for i in report.issues)
        click.echo(f"{'KIND':<13} {'RESULT_ID':<{width}}  {'WHERE':<24} DETAIL")
        for issue in report.issues:
            colour = "yellow" if issue.kind == "pending" else "red"
            click.secho(f"{issue.kind:<13} {issue.result_id or '-':<{width}}  "
                        f"{issue.origin:<24} {issue.detail}", fg=colour)
        click.echo("")
    counts = report.counts()
    click.echo(f"expected {report.expected}, indexed {report.indexed}; "
               + ", ".join(f"{kind} {counts[kind]}" for kind in KINDS))
    if not report.broker_checked:
        click.secho("Redis was not reachable: 'stuck' judged by age alone", fg="yellow")
    click.secho("nothing is off" if report.ok else "something is off (see above)",
                fg="green" if report.ok else "red", bold=True)


@click.command()
@click.argument("manifests", nargs=-1, type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--stuck-after", type=click.IntRange(1), default=None,
              help="Seconds in queued/running before a job counts as stuck "
                   "[default: SOHOA_STUCK_AFTER or 900].")
def verify(manifests: tuple[Path, ...], as_json: bool, stuck_after: int | None) -> None:
    """Reconcile MANIFESTs (or, without any, every job) with the index.

    Lists what is refused, missing, failed, stuck, pending, differing (file SHA-256 or
    metadata) or whose stored original is gone. Exit status 0 only when nothing is off.
    """
    settings = cli_settings()
    # A diagnosis must also run when indices are missing: it then reports everything missing.
    client = cli_client(settings, require_current=False)
    config = _sweeper_config(stuck_after)
    try:
        in_broker: set[str] | None = broker_job_ids(_broker(settings), settings.celery_queue)
    except redis.RedisError:
        in_broker = None
    report = reconcile(settings, client, list(manifests), stuck_after_s=config.stuck_after_s,
                       in_broker=in_broker)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    if not report.ok:
        raise SystemExit(1)


@click.command(name="sweep")
@click.option("--stuck-after", type=click.IntRange(1), default=None,
              help="Seconds in queued/running before a job counts as stuck.")
def sweep_command(stuck_after: int | None) -> None:
    """Re-queue orphaned and stuck jobs now (workers also do this on a timer)."""
    settings = cli_settings()
    client = cli_client(settings)
    celery, broker, config = make_celery(settings), _broker(settings), _sweeper_config(stuck_after)
    try:
        orphans = sweep_orphans(settings, client, celery, broker, config, lock=False)
        stuck = sweep(settings, client, celery, broker, config, lock=False)
    except redis.RedisError as exc:
        raise click.ClickException("Redis is not reachable at "
                                 f"{without_credentials(settings.redis_url)}: {exc}") \
            from exc
    if orphans.skipped_reason:
        click.secho(f"orphans not judged: {orphans.skipped_reason}", fg="yellow")
    for item in [*orphans.requeued, *stuck.requeued]:
        click.echo(f"re-queued {item['result_id']} (job {item['job_id']}, was {item['was']}; "
                   f"{item['why']})")
    for item in orphans.failed:
        click.echo(f"failed {item['result_id']} (job {item['job_id']}): orphaned too often")
    click.echo(f"{len(orphans.requeued)} orphaned and {len(stuck.requeued)} stuck job(s) "
               "re-queued")


def _backup_dir(value: Path | None, settings: Settings) -> Path:
    return value if value is not None else settings.backups_dir


_DIR_HELP = ("Where the originals' copy and the catalog go [default: SOHOA_BACKUP_DIR, else "
             "SOHOA_DATA_DIR/backups — put it on another disk].")


@click.command(name="backup")
@click.option("--dir", "backup_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=_DIR_HELP)
@click.option("--list", "list_only", is_flag=True, help="List the backups in the folder.")
def backup_command(backup_dir: Path | None, list_only: bool) -> None:
    """Snapshot the indices (filesystem repository) and copy the stored originals."""
    settings = cli_settings()
    folder = _backup_dir(backup_dir, settings)
    if list_only:
        for catalog in list_catalogs(folder):
            docs = catalog["documents"].get(settings.index_name("results"), "?")
            click.echo(f"{catalog['snapshot']}  {catalog['created_at']}  results {docs}  "
                       f"originals {catalog['originals']['files']}")
        return
    try:
        catalog = backup(settings, cli_client(settings), folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(catalog, indent=2))


@click.command(name="restore")
@click.argument("snapshot", required=False)
@click.option("--dir", "backup_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=_DIR_HELP)
@click.option("--force", is_flag=True, help="Replace indices that still hold documents.")
def restore_command(snapshot: str | None, backup_dir: Path | None, force: bool) -> None:
    """Restore SNAPSHOT (default: the newest of this prefix) and the missing originals."""
    settings = cli_settings()
    try:
        summary = restore(settings, cli_client(settings, require_current=False),
                          _backup_dir(backup_dir, settings),
                          snapshot, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(summary, indent=2))
