"""`sohoa ingest MANIFEST.jsonl|FOLDER [--agency CODE] [--wait]` and `--retry-failed`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from tqdm import tqdm

from app.cli.context import cli_client, cli_settings
from domain.records import LineError, Record, folder_records, read_manifest
from indexer.celery_app import make_celery
from indexer.intake import new_batch_id, queue_records, requeue_job
from indexer.jobs import JobStore


@click.command()
@click.argument("manifest", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--wait", is_flag=True, help="Block with a progress bar until every record is done.")
@click.option("--retry-failed", is_flag=True,
              help="Re-queue failed jobs (of MANIFEST's records if given, else all).")
@click.option("--timeout", default=3600, show_default=True, type=click.IntRange(1),
              help="With --wait: give up waiting after this many seconds.")
@click.option("--agency", "agency_code", default=None, metavar="CODE",
              help="With a FOLDER: the agency that issued every scan in it.")
def ingest(manifest: Path | None, wait: bool, retry_failed: bool, timeout: int,
           agency_code: str | None) -> None:
    """Queue every record of MANIFEST (paths relative to its folder) for OCR and indexing.

    Given a FOLDER instead, every supported file under it is one record whose fields are
    extracted from its text and wait in the review queue for an officer.

    Bad lines are reported with their line number and reason; the other lines go on.
    Exit status 0 only if nothing failed (with --wait, including the processing).
    """
    if manifest is None and not retry_failed:
        raise click.UsageError("give a MANIFEST.jsonl or a FOLDER, or --retry-failed")
    if agency_code is not None and (manifest is None or not manifest.is_dir()):
        raise click.UsageError("--agency goes with a FOLDER of scans")
    settings = cli_settings()
    client = cli_client(settings)
    celery = make_celery(settings)
    jobs = JobStore(client, settings)
    batch_id = new_batch_id()
    line_errors: list[LineError] = []
    if retry_failed:
        query: dict = {"term": {"state": "failed"}}
        if manifest is not None:
            records, _ = _read(manifest, settings.max_file_bytes, None)
            ids = [r.result_id for r in records]
            query = {"bool": {"filter": [query, {"terms": {"result_id": ids}}]}}
        failed = list(jobs.search(query))
        for job in failed:
            requeue_job(job, settings=settings, client=client, celery=celery,
                        why="retry of a failed job (sohoa ingest --retry-failed)", judged=job)
        click.echo(f"re-queued {len(failed)} failed job(s)")
        job_ids = [job["job_id"] for job in failed]
    else:
        assert manifest is not None
        records, line_errors = _read(manifest, settings.max_file_bytes, agency_code)
        if manifest.is_dir() and not records and not line_errors:
            raise click.ClickException(f"no supported file under {manifest}")
        for error in line_errors:
            click.secho(f"✗ {manifest.name} {error}", fg="red", err=True)
        queued = queue_records(records, settings=settings, client=client, celery=celery,
                               batch_id=batch_id, source=str(manifest.resolve()))
        job_ids = [q.job_id for q in queued]
        click.echo(f"batch {batch_id}: queued {len(queued)} record(s), "
                   f"{len(line_errors)} line(s) refused")
    if not wait:
        if line_errors:
            raise SystemExit(1)
        return
    failures = wait_for_jobs(jobs, job_ids, timeout)
    _summary(jobs, job_ids, line_errors, failures)
    if failures or line_errors:
        raise SystemExit(1)


def _read(path: Path, max_bytes: int, agency_code: str | None
          ) -> tuple[list[Record], list[LineError]]:
    if path.is_dir():
        return folder_records(path, max_bytes, agency_code)
    return read_manifest(path, max_bytes)


def wait_for_jobs(jobs: JobStore, job_ids: list[str], timeout: int) -> list[dict]:
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    finished: dict[str, dict] = {}
    with tqdm(total=len(job_ids), unit="record", desc="indexing", dynamic_ncols=True) as bar:
        while pending and time.monotonic() < deadline:
            jobs.client.indices.refresh(index=jobs.index)
            for job in jobs.search({"ids": {"values": sorted(pending)}},
                                   fields=["job_id", "state", "pages_total", "result_id",
                                           "error", "error_code"]):
                if job["state"] in ("done", "failed"):
                    pending.discard(job["job_id"])
                    finished[job["job_id"]] = job
                    bar.update(1)
            pages = sum(j.get("pages_total") or 0 for j in finished.values())
            failed = sum(j["state"] == "failed" for j in finished.values())
            bar.set_postfix(pages=pages, failed=failed)
            if pending:
                time.sleep(1.0)
    if pending:
        click.secho(f"gave up waiting after {timeout}s: {len(pending)} record(s) still queued "
                    "or running (is a worker running? `sohoa worker`)", fg="yellow", err=True)
    return [j for j in finished.values() if j["state"] == "failed"] + [
        {"job_id": job_id, "state": "unfinished", "result_id": "?", "error": "not finished in time"}
        for job_id in pending
    ]


def _summary(jobs: JobStore, job_ids: list[str], line_errors: list[LineError],
             failures: list[dict]) -> None:
    done = len(job_ids) - len(failures)
    click.echo("")
    click.echo(f"{'indexed':<10} {done}")
    click.echo(f"{'failed':<10} {len(failures)}")
    click.echo(f"{'refused':<10} {len(line_errors)}  (manifest lines)")
    if failures:
        click.echo("\nfailed records:")
        for job in sorted(failures, key=lambda j: j.get("result_id") or ""):
            code = job.get("error_code") or job["state"]
            click.echo(f"  {job.get('result_id')}: [{code}] {job.get('error')}")
