"""Tesseract calls (through pytesseract): text with confidence, and orientation detection."""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image
from pytesseract.pytesseract import run_tesseract

from indexer.extract.model import Deadline, ExtractionError

LANG = "vie"
# psm 3 (automatic layout) kept. On the sample, psm 4: recall +0.0008, CER 0.0962 vs 0.0958;
# psm 6: recall +0.0007, CER 0.0941, 11 % less CPU, but worse on the TIFF and PDF slices, and a
# single uniform block gives up the column, table and orientation analysis real dossiers need.
PSM = 3
OSD_MIN_CONFIDENCE = 2.0  # Tesseract's own "orientation confidence"; below, keep the page as is
_OSD_MAX_SIDE = 1800  # OSD reads glyph shapes; half of a 300-dpi A4 page is plenty and 4x cheaper
_SHM = "/dev/shm"
_SHM_RESERVE = 256 * 2**20  # leave room for everyone else using it
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_OSD_CONF_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)


@dataclass(frozen=True)
class OcrResult:
    text: str
    confidence: float | None  # mean word confidence 0..100, None when no word was found
    words: int
    # Sum of word confidences (0..1) over words with a letter or digit: how much text Tesseract
    # vouches for. Compares readings of one page (variants, turns) better than the mean alone.
    trusted: float = 0.0


def _one_thread() -> None:
    # pytesseract passes os.environ to its subprocess; several workers share the cores, and
    # Tesseract's OpenMP threads only fight each other there. Set per call, never at import.
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _scratch_root(image: Image.Image) -> str | None:
    """RAM-backed /dev/shm when it has room: writing a page there is ~3x cheaper than to disk."""
    try:
        roomy = shutil.disk_usage(_SHM).free > 4 * image.width * image.height + _SHM_RESERVE
    except OSError:
        return None
    return _SHM if roomy and os.access(_SHM, os.W_OK) else None


def _save(image: Image.Image, folder: str, dpi: int | None) -> str:
    # Uncompressed TIFF: cheapest to write and for Tesseract to read (measured: PNM reads ~10 %
    # slower than PNG, TIFF ~5 % faster), and it carries the resolution.
    path = f"{folder}/page.tif"
    image.save(path, format="TIFF", **({"dpi": (dpi, dpi)} if dpi else {}))
    return path


def _run(
    input_path: str,
    out_base: str,
    extensions: str,
    config: str,
    lang: str,
    deadline: Deadline,
    what: str,
) -> None:
    _one_thread()
    timeout = max(1, int(deadline.remaining()))
    try:
        run_tesseract(input_path, out_base, extensions, lang, config, timeout=timeout)
    except pytesseract.TesseractNotFoundError as exc:
        raise ExtractionError(
            "ocr-unavailable", f"{what}: the tesseract program is not installed"
        ) from exc
    except pytesseract.TesseractError as exc:  # a RuntimeError too: must come first
        raise ExtractionError("ocr-failed", f"{what}: Tesseract failed: {exc.message}") from exc
    except RuntimeError as exc:  # pytesseract's way of saying the timeout killed the process
        raise ExtractionError("ocr-timeout", f"{what}: Tesseract took over {timeout} s") from exc


def _confidences(tsv_path: Path) -> tuple[float | None, int, float]:
    """(mean word confidence, word count, trusted score) from Tesseract's TSV output."""
    with tsv_path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        found = [
            (float(r["conf"]), text)
            for r in rows
            if r["level"] == "5"
            and (text := (r.get("text") or "").strip())
            and float(r["conf"]) >= 0
        ]
    confs = [conf for conf, _ in found]
    trusted = sum(conf for conf, text in found if any(map(str.isalnum, text))) / 100
    return (sum(confs) / len(confs) if confs else None), len(confs), trusted


def recognise(image: Image.Image, *, dpi: int | None, deadline: Deadline, what: str) -> OcrResult:
    """Text of one page image (txt and tsv from a single Tesseract run)."""
    config = f"--psm {PSM} -c tessedit_create_tsv=1"
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-", dir=_scratch_root(image)) as folder:
        source = _save(image, folder, dpi)
        _run(source, f"{folder}/out", "txt tsv", config, LANG, deadline, what)
        text = Path(f"{folder}/out.txt").read_text(encoding="utf-8")
        confidence, words, trusted = _confidences(Path(f"{folder}/out.tsv"))
    return OcrResult(
        text=text.replace("\f", "").strip(), confidence=confidence, words=words, trusted=trusted
    )


def detect_rotation(image: Image.Image, *, dpi: int | None, deadline: Deadline, what: str) -> int:
    """Degrees to rotate the page clockwise so its text stands upright (0 if unsure)."""
    small = image.convert("L") if image.mode == "1" else image
    scale = max(small.size) / _OSD_MAX_SIDE
    if scale > 1:
        small = small.resize(
            (round(small.width / scale), round(small.height / scale)), Image.Resampling.BILINEAR
        )
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-", dir=_scratch_root(small)) as folder:
        source = _save(small, folder, round(dpi / max(scale, 1)) if dpi else None)
        try:
            _run(source, f"{folder}/out", "osd", "--psm 0", "osd", deadline, what)
        except ExtractionError as exc:
            if exc.code == "ocr-failed":  # "Too few characters": nothing to orient by
                return 0
            raise
        report = Path(f"{folder}/out.osd").read_text(encoding="utf-8")
    rotate, confidence = _ROTATE_RE.search(report), _OSD_CONF_RE.search(report)
    if not rotate or not confidence or float(confidence.group(1)) < OSD_MIN_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360
