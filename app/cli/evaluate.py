"""`sohoa eval ocr CORPUS_DIR` and `sohoa eval search QUERIES.jsonl`: quality with a baseline."""

from __future__ import annotations

import uuid
from pathlib import Path

import click
from elasticsearch import Elasticsearch, helpers

from app.cli.context import cli_client, cli_settings
from domain.search import evaluation as search_eval
from domain.settings import Settings
from indexer.evaluation import capture_sets, ocr_eval


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
@click.argument(
    "corpus_dirs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--from-pipeline",
    is_flag=True,
    help="Run extraction directly instead of reading the indexed text.",
)
@click.option("--processes", default=2, show_default=True, type=click.IntRange(1, 64))
def eval_ocr(corpus_dirs: tuple[Path, ...], from_pipeline: bool, processes: int) -> None:
    """Word recall and CER of the indexed text against CORPUS_DIR/truth/, beside plain Tesseract.

    CORPUS_DIR holds manifest.jsonl, scan_info.jsonl and truth/<result_id>.txt. By default the
    text comes from the index (ingest the corpus first); plain Tesseract (default settings, no
    preprocessing) runs over the same files in the same run. Figures are given per capture kind
    (flatbed scan, photo, legacy PDF, born digital) and per file kind; several CORPUS_DIRs (the
    sample and the sets `sohoa eval captures` makes) get one table each.
    """
    for corpus_dir in corpus_dirs:
        if len(corpus_dirs) > 1:
            click.echo(f"== {corpus_dir}")
        ids = list(ocr_eval.load_scan_info(corpus_dir))
        if from_pipeline:
            ours_texts = ocr_eval.pipeline_texts(corpus_dir, processes=processes)
        else:
            settings = cli_settings()
            ours_texts = indexed_texts(cli_client(settings), settings, ids)
            if not ours_texts:
                raise click.ClickException(
                    f"none of the {len(ids)} records of {corpus_dir} is indexed under prefix "
                    f"{settings.index_prefix!r}; ingest the corpus first or pass --from-pipeline"
                )
        click.echo(f"plain Tesseract over {len(ids)} records ({processes} processes)…", err=True)
        baseline_texts = ocr_eval.plain_tesseract_texts(corpus_dir, processes)
        baseline = ocr_eval.evaluate(corpus_dir, baseline_texts)
        click.echo(ocr_eval.format_report(ocr_eval.evaluate(corpus_dir, ours_texts), baseline))


@evaluate.command("captures")
@click.argument("sample_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=capture_sets.DEFAULT_SEED, show_default=True, type=int)
@click.option("--limit", default=0, type=click.IntRange(0), help="Records per set (0: all).")
def eval_captures(sample_dir: Path, out_dir: Path, seed: int, limit: int) -> None:
    """Make evaluation sets from SAMPLE_DIR's scans, the same bytes for the same seed:
    OUT_DIR/photos (phone photos of every scanned page: desk, tilt, shadow, soft focus,
    150-225 dpi, JPEG) and OUT_DIR/legacy-pdfs (the true texts as TCVN3 and VNI PDFs)."""
    for name in ("photos", "legacy-pdfs"):
        if (out_dir / name).exists():
            raise click.ClickException(f"{out_dir / name} exists; remove it or pick another folder")
    photos = capture_sets.build_photo_set(sample_dir, out_dir / "photos", seed=seed, limit=limit)
    legacy = capture_sets.build_legacy_set(sample_dir, out_dir / "legacy-pdfs", limit=limit)
    click.echo(f"{photos} photo records in {out_dir / 'photos'}")
    click.echo(f"{legacy} legacy-encoded PDF records in {out_dir / 'legacy-pdfs'}")
    click.echo(
        f"measure: sohoa eval ocr {out_dir / 'photos'} {out_dir / 'legacy-pdfs'} --from-pipeline"
    )


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
def eval_search(queries: Path) -> None:
    """nDCG@10, MRR@10, Recall@10 per query kind on the indexed records, beside a baseline.

    The baseline is built in the same run from the same records and indexed text: Elasticsearch's
    standard analyzer over the raw fields and a plain multi_match.
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
    baseline_index = f"{settings.index_prefix}-eval-baseline-{uuid.uuid4().hex[:8]}"
    search_eval.create_baseline_index(client, baseline_index)
    try:
        search_eval.fill_baseline_index(client, baseline_index, pairs)
        ours = search_eval.run_eval(
            client,
            settings.index_name("results"),
            query_rows,
            search_eval.ours_search_fn(settings.effective_today()),
        )
        base = search_eval.run_eval(client, baseline_index, query_rows, search_eval.baseline_search)
    finally:
        client.indices.delete(index=baseline_index, ignore_unavailable=True)
    click.echo(
        f"{len(query_rows)} queries over {len(pairs)} records (prefix {settings.index_prefix!r})"
    )
    click.echo(search_eval.format_report(ours, base))
