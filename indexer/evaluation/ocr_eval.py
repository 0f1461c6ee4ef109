"""OCR quality against the corpus's ground truth: word recall and CER, ours beside a baseline.

The metric functions are pure; `evaluate` only reads `scan_info.jsonl` and `truth/`, so the texts
can come from Elasticsearch, from `pipeline_texts` or from `plain_tesseract_texts` alike.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BORN_DIGITAL = "born-digital-pdf"
# How a page came to be, for slicing: a set's scan_info may say so (`capture`), else the
# sample's file kinds tell: its images and image-only PDFs came off a flatbed scanner.
_CAPTURE_BY_KIND = {
    "png": "flatbed-scan",
    "jpg": "flatbed-scan",
    "tif": "flatbed-scan",
    "pdf": "flatbed-scan",
    BORN_DIGITAL: "born-digital-pdf",
}
# Same resolution as the extraction pipeline renders PDFs at, so the baseline is comparable.
BASELINE_PDF_DPI = 300
_WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC, lower case, every run of whitespace (incl. newlines and form feeds) one space."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text).lower()).strip()


def words(text: str) -> list[str]:
    """Word tokens: runs of letters/digits, so punctuation glued to a word does not count."""
    return _WORD_RE.findall(normalise(text))


def _matched_words(truth: str, hypothesis: str) -> tuple[int, int]:
    want, got = Counter(words(truth)), Counter(words(hypothesis))
    return sum((want & got).values()), sum(want.values())


def word_recall(truth: str, hypothesis: str) -> float:
    """Share of the truth's words found in the hypothesis (bag of words, order-free)."""
    matched, total = _matched_words(truth, hypothesis)
    return matched / total if total else 1.0


def levenshtein(a: str, b: str) -> int:
    """Edit distance; one numpy pass per character of `a` (O(len(a)) vector ops)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    row = offsets.copy()
    for i, char in enumerate(a, start=1):
        cost = (codes_b != ord(char)).astype(np.int64)
        tmp = np.empty_like(row)
        tmp[0] = i
        # deletion (row[1:] + 1) vs substitution (row[:-1] + cost)
        np.minimum(row[1:] + 1, row[:-1] + cost, out=tmp[1:])
        # insertions chain left to right: new[j] = min_k<=j tmp[k] + (j - k)
        row = np.minimum.accumulate(tmp - offsets) + offsets
    return int(row[-1])


def char_error_rate(truth: str, hypothesis: str) -> float:
    """Levenshtein distance over normalised text divided by the truth's length."""
    t, h = normalise(truth), normalise(hypothesis)
    if not t:
        return 0.0 if not h else 1.0
    return levenshtein(t, h) / len(t)


@dataclass
class Score:
    """Micro-averaged counts, so long documents weigh by their size."""

    records: int = 0
    truth_words: int = 0
    matched_words: int = 0
    truth_chars: int = 0
    char_edits: int = 0

    def add(self, truth: str, hypothesis: str) -> None:
        matched, total = _matched_words(truth, hypothesis)
        t, h = normalise(truth), normalise(hypothesis)
        self.records += 1
        self.truth_words += total
        self.matched_words += matched
        self.truth_chars += len(t)
        self.char_edits += levenshtein(t, h)

    @property
    def word_recall(self) -> float:
        return self.matched_words / self.truth_words if self.truth_words else 1.0

    @property
    def cer(self) -> float:
        return self.char_edits / self.truth_chars if self.truth_chars else 0.0


@dataclass
class OcrReport:
    scans: Score = field(default_factory=Score)  # every record whose kind is not born-digital
    born_digital: Score = field(default_factory=Score)
    by_kind: dict[str, Score] = field(default_factory=dict)
    by_capture: dict[str, Score] = field(default_factory=dict)  # flatbed-scan, photo, legacy-pdf…
    per_record: dict[str, tuple[float, float]] = field(default_factory=dict)  # recall, CER
    missing: list[str] = field(default_factory=list)  # result_ids without any text


def capture_kind(info: Mapping[str, object]) -> str:
    """flatbed-scan, photo, legacy-pdf, born-digital-pdf…: how the record's pages were made."""
    kind = str(info.get("kind", "unknown"))
    return str(info.get("capture") or _CAPTURE_BY_KIND.get(kind, kind))


def load_scan_info(corpus_dir: Path) -> dict[str, dict[str, object]]:
    rows = (json.loads(line) for line in _lines(corpus_dir / "scan_info.jsonl"))
    return {str(row["result_id"]): row for row in rows}


def _lines(path: Path) -> Iterable[str]:
    return (line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def evaluate(corpus_dir: Path, texts: Mapping[str, str]) -> OcrReport:
    """Score `texts` (result_id -> text, pages split by form feed) against `truth/`."""
    report = OcrReport()
    for result_id, info in sorted(load_scan_info(corpus_dir).items()):
        truth = (corpus_dir / "truth" / f"{result_id}.txt").read_text(encoding="utf-8")
        hypothesis = texts.get(result_id)
        if hypothesis is None:
            report.missing.append(result_id)
            hypothesis = ""
        kind = str(info.get("kind", "unknown"))
        total = report.born_digital if kind == BORN_DIGITAL else report.scans
        slices = (
            report.by_kind.setdefault(kind, Score()),
            report.by_capture.setdefault(capture_kind(info), Score()),
        )
        for score in (total, *slices):
            score.add(truth, hypothesis)
        report.per_record[result_id] = (
            word_recall(truth, hypothesis),
            char_error_rate(truth, hypothesis),
        )
    return report


def _row(name: str, a: Score, b: Score) -> str:
    ratio = f"{a.cer / b.cer:6.2f}" if b.cer else "     -"
    return (
        f"{name:<30}{a.records:>5}  {a.word_recall:7.4f} {b.word_recall:7.4f} "
        f"{a.word_recall - b.word_recall:+8.4f}  {a.cer:7.4f} {b.cer:7.4f} {ratio}"
    )


def worse_records(ours: OcrReport, baseline: OcrReport) -> list[tuple[str, float, float]]:
    """(result_id, our recall, baseline recall) wherever ours reads fewer words, worst first."""
    rows = [
        (rid, recall, baseline.per_record[rid][0])
        for rid, (recall, _) in ours.per_record.items()
        if rid in baseline.per_record and recall < baseline.per_record[rid][0]
    ]
    return sorted(rows, key=lambda row: row[1] - row[2])


def format_report(ours: OcrReport, baseline: OcrReport) -> str:
    """Side-by-side table: word recall and CER of ours vs the baseline, with the differences:
    per capture kind (flatbed scan, photo, legacy PDF, born digital), then per file kind."""
    header = (
        f"{'slice':<30}{'docs':>5}  {'recall':>7} {'base':>7} {'diff':>8}"
        f"  {'CER':>7} {'base':>7} {'ratio':>6}"
    )
    lines = [header, "-" * len(header)]
    lines += [
        _row(f"capture: {name}", score, baseline.by_capture.get(name, Score()))
        for name, score in sorted(ours.by_capture.items())
    ]
    lines.append(_row("scans (all but born-digital)", ours.scans, baseline.scans))
    lines += [
        _row(f"  {kind}", score, baseline.by_kind.get(kind, Score()))
        for kind, score in sorted(ours.by_kind.items())
        if kind != BORN_DIGITAL
    ]
    lines.append(_row(BORN_DIGITAL, ours.born_digital, baseline.born_digital))
    lines.append(
        "recall: bag-of-words word recall; CER: edit distance / truth length; "
        "ratio: CER ours / baseline"
    )
    worse = worse_records(ours, baseline)
    compared = sum(rid in baseline.per_record for rid in ours.per_record)
    lines.append(
        f"records where ours reads fewer words than the baseline: {len(worse)} of {compared}"
    )
    lines += [f"  {rid}: {a:.4f} vs {b:.4f}" for rid, a, b in worse[:20]]
    minimum = min((recall for recall, _ in ours.per_record.values()), default=1.0)
    lines.append(f"lowest recall of one record: {minimum:.4f}")
    for label, report in (("ours", ours), ("baseline", baseline)):
        if report.missing:
            lines.append(f"{label}: no text for {len(report.missing)}: {', '.join(report.missing)}")
    return "\n".join(lines)


def manifest_files(corpus_dir: Path) -> dict[str, list[Path]]:
    """result_id -> its files, resolved against the manifest's folder."""
    out: dict[str, list[Path]] = {}
    for line in _lines(corpus_dir / "manifest.jsonl"):
        row = json.loads(line)
        out[str(row["result_id"])] = [corpus_dir / str(f) for f in row.get("files", [])]
    return out


def _tesseract_stdout(image: Path) -> str:
    run = subprocess.run(
        ["tesseract", str(image), "stdout", "-l", "vie"],
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # one thread per process, as ours
        capture_output=True,
        check=True,
        timeout=600,
    )
    return run.stdout.decode("utf-8")


def _plain_tesseract_file(path: Path) -> str:
    """`tesseract FILE stdout -l vie` with no options; PDFs rendered by pdftoppm first."""
    if path.suffix.lower() != ".pdf":
        return _tesseract_stdout(path)
    with tempfile.TemporaryDirectory(prefix="sohoa-base-") as tmp:
        # PNG (not PPM): it records the resolution, which Tesseract otherwise has to guess.
        subprocess.run(
            ["pdftoppm", "-r", str(BASELINE_PDF_DPI), "-png", str(path), f"{tmp}/p"],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return "\f".join(_tesseract_stdout(page) for page in sorted(Path(tmp).glob("p-*.png")))


def _plain_record(files: list[Path]) -> str | None:
    try:
        return "\f".join(_plain_tesseract_file(f) for f in files)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"plain Tesseract failed on {[f.name for f in files]}: {exc}", file=sys.stderr)
        return None


def _pipeline_record(files: list[Path]) -> str | None:
    from indexer.extract import ExtractionError, extract_file  # OCR code only when used

    try:
        return "\f".join(page.text for f in files for page in extract_file(f))
    except ExtractionError as exc:
        print(f"extraction failed: {exc}", file=sys.stderr)
        return None


def _run_over_manifest(
    corpus_dir: Path, worker: Callable[[list[Path]], str | None], processes: int
) -> dict[str, str]:
    """worker(files) per record in `processes` processes; failed records are left out, so the
    report lists them as having no text."""
    files = manifest_files(corpus_dir)
    ids = sorted(files)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        texts = pool.map(worker, [files[i] for i in ids])
        return {i: text for i, text in zip(ids, texts, strict=True) if text is not None}


def plain_tesseract_texts(corpus_dir: Path, processes: int = 2) -> dict[str, str]:
    """Baseline: default Tesseract (`-l vie`, no preprocessing) over every record's files."""
    return _run_over_manifest(corpus_dir, _plain_record, processes)


def pipeline_texts(corpus_dir: Path, processes: int = 2) -> dict[str, str]:
    """Our extraction (`indexer.extract.extract_file`) over every record, without Elasticsearch."""
    return _run_over_manifest(corpus_dir, _pipeline_record, processes)
