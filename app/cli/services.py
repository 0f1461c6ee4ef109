"""`sohoa init`, `sohoa worker`, `sohoa serve`."""

from __future__ import annotations

import os

import click

from app.cli.context import cli_client, cli_settings
from domain.indices import IndicesNotReady, ensure_indices
from domain.settings import signing_key


@click.command()
def init() -> None:
    """Create or upgrade the indices and aliases from mappings/."""
    settings = cli_settings()
    try:
        ensure_indices(cli_client(settings, require_current=False), settings, log=click.echo)
    except IndicesNotReady as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per CPU core).")
@click.option("--loglevel", default="info", show_default=True)
def worker(concurrency: int | None, loglevel: str) -> None:
    """Run a Celery worker that OCRs and indexes queued records."""
    from app.security import install_log_redaction
    from indexer.worker import make_worker_app

    install_log_redaction()  # task errors and tracebacks may quote a manifest's ID numbers
    settings = cli_settings()
    celery = make_worker_app(settings)
    argv = ["worker", f"--loglevel={loglevel}", "-Q", settings.celery_queue,
            f"--hostname={settings.index_prefix}-worker-%h-{os.getpid()}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    celery.worker_main(argv)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes.")
@click.option("--dev", is_flag=True, help="Flask's development server with reload.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Run the web app and the JSON API."""
    settings = cli_settings()  # fail fast on bad configuration before forking anything
    signing_key(settings)  # made once here, before gunicorn forks its workers
    if dev:
        from app import create_app

        create_app().run(host=host, port=port, debug=True)
        return
    os.execvp("gunicorn", gunicorn_argv(host, port, workers))


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    # The request line may be as long as gunicorn allows (8190 bytes), above the app's 4 KiB
    # query-string bound, so the app answers its JSON 414; beyond that the worker class does.
    return ["gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
            "--threads", "4", "--worker-class", "app.gunicorn_worker.JsonErrorsWorker",
            "--limit-request-line", "8190", "--limit-request-fields", "100",
            "--limit-request-field_size", "8190", "--access-logfile", "-", "app.wsgi:app"]


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Delete every index of this deployment's prefix (originals on disk are kept)."""
    from domain.indices import drop_all

    settings = cli_settings()
    if not yes:
        click.confirm(f"Delete all indices with prefix {settings.index_prefix!r} at "
                      f"{settings.es_url}?", abort=True)
    drop_all(cli_client(settings, require_current=False), settings)
    click.echo(f"deleted the {settings.index_prefix!r} indices")
