"""`sohoa`: the command line (reference: docs/interfaces.md)."""

from __future__ import annotations

import click

from app.cli.admin import users
from app.cli.agencies import agencies
from app.cli.evaluate import evaluate
from app.cli.ingest import ingest
from app.cli.jobs import jobs_command
from app.cli.ops import backup_command, restore_command, sweep_command, verify
from app.cli.records import records
from app.cli.services import init, reset, serve, worker
from app.cli.stack import stack


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main() -> None:
    """sohoa — search over Hanoi's digitised results of administrative procedures.

    \b
    Typical first run:
      sohoa stack up          # local Elasticsearch + Redis (no Docker needed)
      sohoa init              # create indices and aliases from mappings/
      sohoa worker &          # Celery worker(s) that OCR and index
      sohoa ingest ../shared/corpus/sample/manifest.jsonl --wait
      sohoa serve             # web app on http://127.0.0.1:5000

    Configuration comes from SOHOA_* environment variables (see README).
    """


main.add_command(stack)
main.add_command(init)
main.add_command(ingest)
main.add_command(worker)
main.add_command(serve)
main.add_command(users)
main.add_command(evaluate)
main.add_command(reset)
main.add_command(verify)
main.add_command(sweep_command)
main.add_command(jobs_command)
main.add_command(backup_command)
main.add_command(restore_command)
main.add_command(agencies)
main.add_command(records)
