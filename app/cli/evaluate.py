"""`sohoa eval ocr CORPUS_DIR` and `sohoa eval search QUERIES.jsonl`: quality with a baseline."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click
from elasticsearch import Elasticsearch, helpers

from app.cli.context import cli_client, cli_settings
from domain.search import evaluation as search_eval
from domain.search import query_kinds
from domain.settings import Settings
from indexer.evaluation import ocr_eval


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
