"""`sohoa eval ocr CORPUS_DIR`, `sohoa eval search QUERIES.jsonl` (quality with a baseline) and
`sohoa eval extract CORPUS_DIR` (field extraction against the manifest)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import click
from elasticsearch import Elasticsearch, helpers

from app.cli.context import cli_client, cli_settings
from app.cli.ingest import wait_for_jobs
from domain.agencies import AgencyStore, parse_register
from domain.records import parse_manifest_lines, read_manifest
from domain.search import evaluation as search_eval
from domain.search import query_kinds
from domain.settings import Settings
from indexer.celery_app import make_celery
from indexer.evaluation import extract_eval, ocr_eval
from indexer.intake import new_batch_id, queue_records
from indexer.jobs import JobStore


@click.group("eval")
def evaluate() -> None:
    """Measure OCR and search quality, each beside its baseline in the same run."""


def indexed_texts(
    client: Elasticsearch, settings: Settings, result_ids: list[str]
) -> dict[str, str]:
    """The text the index holds for these records (what search really sees)."""
    texts: dict[str, str] = {}
    for hit in helpers.scan(
        client,
        index=settings.index_name("results"),
        query={"query": {"ids": {"values": result_ids}}},
        _source=["text"],
    ):
        texts[hit["_id"]] = hit["_source"].get("text") or ""
    return texts


@evaluate.command("ocr")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--from-pipeline",
    is_flag=True,
    help="Run extraction directly instead of reading the indexed text.",
)
@click.option("--processes", default=2, show_default=True, type=click.IntRange(1, 64))
def eval_ocr(corpus_dir: Path, from_pipeline: bool, processes: int) -> None:
    """Word recall and CER of the indexed text against CORPUS_DIR/truth/, beside plain Tesseract.

    CORPUS_DIR holds manifest.jsonl, scan_info.jsonl and truth/<result_id>.txt. By default the
    text comes from the index (ingest the corpus first); plain Tesseract (default settings, no
    preprocessing) runs over the same files in the same run.
    """
    ids = list(ocr_eval.load_scan_info(corpus_dir))
    if from_pipeline:
        ours_texts = ocr_eval.pipeline_texts(corpus_dir, processes=processes)
    else:
        settings = cli_settings()
        ours_texts = indexed_texts(cli_client(settings), settings, ids)
        if not ours_texts:
            raise click.ClickException(
                f"none of the {len(ids)} records is indexed under prefix "
                f"{settings.index_prefix!r}; "
                "ingest the corpus first or pass --from-pipeline"
            )
    click.echo(f"plain Tesseract over {len(ids)} records ({processes} processes)…", err=True)
    baseline = ocr_eval.evaluate(corpus_dir, ocr_eval.plain_tesseract_texts(corpus_dir, processes))
    click.echo(ocr_eval.format_report(ocr_eval.evaluate(corpus_dir, ours_texts), baseline))


def _baseline_pairs(client: Elasticsearch, settings: Settings) -> list[search_eval.Pair]:
    pairs: list[search_eval.Pair] = []
    for hit in helpers.scan(
        client,
        index=settings.index_name("results"),
        query={"query": {"match_all": {}}},
        _source={"excludes": ["search", "pages", "codes"]},
    ):
        source = hit["_source"]
        pairs.append((source, source.get("text") or ""))
    return pairs


@evaluate.command("search")
@click.argument("queries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--generate", is_flag=True,
              help="Also the generated kinds (typo, i/y, partial diacritics, unmatched word, "
                   "OCR-damaged text) made from the indexed records, on copies of them.")
def eval_search(queries: Path, generate: bool) -> None:
    """nDCG@10, MRR@10, Recall@10 per query kind on the indexed records, beside a baseline.

    The baseline is built in the same run from the same records and indexed text: Elasticsearch's
    standard analyzer over the raw fields and a plain multi_match. With --generate, queries of
    the forgiving kinds are made from the indexed records (domain.search.query_kinds, fixed
    seed) and run on a copy of them in which the OCR-damaged records' text is misread, ours and
    baseline alike.
    """
    settings = cli_settings()
    client = cli_client(settings)
    query_rows = search_eval.load_queries(queries)
    pairs = _baseline_pairs(client, settings)
    if not pairs:
        raise click.ClickException(f"no records indexed under prefix {settings.index_prefix!r}")
    indexed = {record["result_id"] for record, _ in pairs}
    unknown = sorted({rid for q in query_rows for rid in q["relevant"]} - indexed)
    if unknown:
        click.secho(
            f"warning: {len(unknown)} expected result(s) are not indexed: "
            f"{', '.join(unknown[:10])}",
            fg="yellow",
            err=True,
        )
    ours, base = _side_by_side(client, settings, settings.index_name("results"), None, pairs,
                               query_rows)
    click.echo(
        f"{len(query_rows)} queries over {len(pairs)} records (prefix {settings.index_prefix!r})"
    )
    click.echo(search_eval.format_report(ours, base))
    if generate:
        made = query_kinds.generate(pairs)
        copy = f"{settings.index_prefix}-eval-ours-{uuid.uuid4().hex[:8]}"
        ours, base = _side_by_side(client, settings, copy, made.damaged_pairs,
                                   made.damaged_pairs, made.queries)
        damaged = sum(1 for q in made.queries if q["kind"] == "ocr-damaged")
        click.echo(f"\ngenerated: {len(made.queries)} queries over a copy of the same records "
                   f"({damaged} with one letter of a name in their text misread)")
        click.echo(search_eval.format_report(ours, base))


def _side_by_side(client: Elasticsearch, settings: Settings, ours_index: str,
                  ours_pairs: list[search_eval.Pair] | None, base_pairs: list[search_eval.Pair],
                  query_rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ours (on `ours_index`, first built from `ours_pairs` when given) and the baseline (built
    from `base_pairs`), both dropped again when made here."""
    baseline_index = f"{settings.index_prefix}-eval-baseline-{uuid.uuid4().hex[:8]}"
    made = [baseline_index] + ([ours_index] if ours_pairs is not None else [])
    try:
        if ours_pairs is not None:
            search_eval.index_corpus(client, ours_index, ours_pairs)
        search_eval.create_baseline_index(client, baseline_index)
        search_eval.fill_baseline_index(client, baseline_index, base_pairs)
        ours = search_eval.run_eval(client, ours_index, query_rows,
                                    search_eval.ours_search_fn(settings.effective_today()))
        base = search_eval.run_eval(client, baseline_index, query_rows,
                                    search_eval.baseline_search)
    finally:
        client.indices.delete(index=made, ignore_unavailable=True)
    return ours, base


@evaluate.command("extract")
@click.argument("corpus_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--timeout", default=3600, show_default=True, type=click.IntRange(1),
              help="Give up waiting for the worker after this many seconds.")
def eval_extract(corpus_dir: Path, timeout: int) -> None:
    """Field extraction on the real ingest path, scored against CORPUS_DIR/manifest.jsonl.

    Every record of the manifest is queued with `files` only (its result_id then comes from
    the content), processed by the running worker (`sohoa worker`, same SOHOA_INDEX_PREFIX; use
    a scratch prefix), and each extracted field compared with the manifest's: accuracy,
    coverage, and accuracy among values extracted with confidence >= 0.9. The agency register
    CORPUS_DIR/agencies.csv is loaded first when present. Run `sohoa init` for the prefix first.
    """
    settings = cli_settings()
    client = cli_client(settings)
    register = corpus_dir / "agencies.csv"
    if register.is_file():
        agencies, _ = parse_register(register.read_text(encoding="utf-8"))
        AgencyStore(client, settings).load(agencies)
    truth, errors = read_manifest(corpus_dir / "manifest.jsonl", settings.max_file_bytes)
    if errors:
        raise click.ClickException(f"{len(errors)} bad manifest line(s), first: {errors[0]}")
    stripped = [json.dumps({"files": [f.name for f in r.files]}) for r in truth]
    records, errors = parse_manifest_lines(stripped, corpus_dir, settings.max_file_bytes)
    by_id = {r.result_id: t for r, t in zip(records, truth, strict=False)}
    if errors or len(records) != len(truth):
        click.secho(f"{len(errors)} stripped line(s) refused (same files twice?)", fg="yellow",
                    err=True)
    jobs = JobStore(client, settings)
    queued = queue_records(records, settings=settings, client=client, celery=make_celery(settings),
                           batch_id=new_batch_id(), source=f"eval extract {corpus_dir}")
    click.echo(f"queued {len(queued)} files-only record(s); waiting for the worker…", err=True)
    wait_for_jobs(jobs, [q.job_id for q in queued], timeout)
    client.indices.refresh(index=settings.index_name("results"))
    pairs = []
    for hit in helpers.scan(client, index=settings.index_name("results"),
                            query={"query": {"ids": {"values": sorted(by_id)}}},
                            _source=["review"]):
        fields = (hit["_source"].get("review") or {}).get("fields", {})
        source = by_id[hit["_id"]]
        pairs.append((source.result_id, {**source.metadata, "result_id": source.result_id},
                      {k: v["value"] for k, v in fields.items()},
                      {k: v["confidence"] for k, v in fields.items()}))
    scores = extract_eval.score(pairs)
    click.echo(extract_eval.format_report(scores, len(pairs)))
    if len(pairs) < len(truth):
        click.secho(f"{len(truth) - len(pairs)} record(s) were not indexed", fg="yellow", err=True)
