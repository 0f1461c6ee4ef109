"""`sohoa`: the command line (see ../shared/CONTRACT.md for the stable commands)."""

from __future__ import annotations

import click

from app.cli.admin import users
from app.cli.ingest import ingest
from app.cli.services import init, serve, worker
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
