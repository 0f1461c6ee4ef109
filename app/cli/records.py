"""`sohoa records update FILE.csv`: bulk status changes (revocations, replacements,
extensions) from an agency's list; bad rows reported with their line numbers, good rows applied,
each one a version in the record's history and an entry in the audit log."""

from __future__ import annotations

from pathlib import Path

import click
from elasticsearch import Elasticsearch

from app.audit import audit_cli, os_user
from app.cli.context import cli_client, cli_settings
from domain.bulk_updates import RowError, UpdateFileError, UpdateRow, parse_updates
from domain.edits import ChangeRejected, RecordMissing, edit
from domain.settings import Settings


@click.group()
def records() -> None:
    """Change indexed records (every change is a version in the record's history)."""


def _apply(client: Elasticsearch, settings: Settings, row: UpdateRow, by: str
           ) -> RowError | int | None:
    """The row's new version number, None when it changed nothing, or why it was refused."""
    try:
        done = edit(client, settings, row.result_id, row.changes, row.reason, by,
                    expected_version=None, refresh=False)
    except RecordMissing:
        return RowError(row.line, row.result_id, "no such record in the index")
    except ChangeRejected as exc:
        detail = "; ".join(f"{field}: {why}" for field, why in exc.errors.items())
        return RowError(row.line, row.result_id, detail)
    entry = done.entry or {}
    audit_cli(client, settings, "result.edit", outcome="ok" if done.entry else "unchanged",
              result_id=row.result_id, version=done.doc.get("version"),
              fields=sorted(entry.get("changes", {})), reason=row.reason, line=row.line)
    return done.doc.get("version") if done.entry else None


@records.command("update")
@click.argument("csv_path", metavar="FILE.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def update(csv_path: Path) -> None:
    """Apply FILE.csv: columns result_id,status,valid_until,replaced_by,reason.

    An empty cell leaves that field as it is; `null` clears it. A change of status or
    valid_until needs a reason; status `replaced` needs replaced_by naming an existing record.
    Bad rows are listed with their line numbers and skipped; the good rows are applied.
    Exit status 1 if any row was bad.
    """
    settings = cli_settings()
    client = cli_client(settings)
    try:
        rows, errors = parse_updates(csv_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_path.name} is not UTF-8 text ({exc.reason})") from exc
    except UpdateFileError as exc:
        raise click.ClickException(f"{csv_path.name}: {exc}") from exc
    applied = unchanged = 0
    by = f"cli:{os_user()}"
    for row in rows:
        outcome = _apply(client, settings, row, by)
        if isinstance(outcome, RowError):
            errors.append(outcome)
        elif outcome is None:
            unchanged += 1
        else:
            applied += 1
    # Rows are written without waiting for search; one refresh makes them all visible.
    client.indices.refresh(index=[settings.index_name("results"), settings.index_name("history")])
    for error in sorted(errors, key=lambda e: e.line):
        click.secho(f"✗ {csv_path.name} {error}", fg="red", err=True)
    click.echo(f"{applied} record(s) changed, {unchanged} already so, "
               f"{len(errors)} bad row(s)")
    if errors:
        raise SystemExit(1)
