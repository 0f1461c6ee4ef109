"""`sohoa jobs`: what is running where, since when, on which worker, and what is orphaned."""

from __future__ import annotations

import json
from typing import Any

import click
import redis

from app.cli.context import cli_client, cli_settings


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _print_view(view: dict[str, Any]) -> None:
    click.secho(f"workers ({len(view['workers'])} alive)", bold=True)
    for w in view["workers"]:
        click.echo(f"  {w['worker']}  host {w['host']} pid {w['pid']}  up since "
                   f"{w['started_at']}  last beat {w['beat_at']}  running {w['running']}, "
                   f"reserved {w['reserved']}")
    if not view["workers"]:
        click.secho("  none: start one with `sohoa worker`", fg="yellow")
    click.secho(f"jobs running or orphaned ({len(view['jobs'])})", bold=True)
    for j in view["jobs"]:
        where = f"{j['worker'] or '-'} pid {j['pid'] or '-'}"
        line = (f"  {j['job_id'][:12]}  {j['result_id']}  {j['state']:<7}  {where}  since "
                f"{j['since']} ({_duration(j['running_s'])}), attempt {j['attempts'] or 0}")
        if j["orphaned"]:
            click.secho(f"{line}  ORPHANED: {j['why']}", fg="red")
        else:
            click.echo(line)
    click.echo(f"queued {view['queued']} job(s); {view['waiting_in_redis']} message(s) waiting "
               "in Redis")
    if not view.get("heartbeats_trusted", True):
        click.secho("Redis restarted moments ago: orphans are not judged until every worker "
                    "has beaten again", fg="yellow")
    if view["orphaned"]:
        click.secho(f"{view['orphaned']} orphaned job(s): a running worker's sweeper re-queues "
                    "them within seconds (or run `sohoa sweep`)", fg="red", bold=True)


@click.command(name="jobs")
@click.option("--json", "as_json", is_flag=True, help="Print the view as JSON.")
def jobs_command(as_json: bool) -> None:
    """Live workers, the jobs they run (where, since when) and orphaned jobs.

    A job is orphaned when the worker holding it stopped beating (killed, host down).
    Exit status 1 when any job is orphaned.
    """
    from indexer.jobs_view import snapshot

    settings = cli_settings()
    broker = redis.Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=3)
    try:
        view = snapshot(settings, cli_client(settings), broker)
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis is not reachable at {settings.redis_url}: {exc}") \
            from exc
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        _print_view(view)
    if view["orphaned"]:
        raise SystemExit(1)
