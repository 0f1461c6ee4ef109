"""Evaluation sets made from the sample, reproducibly: phone photos of its scans, and PDFs whose
text layer is in a legacy encoding (TCVN3, VNI). Each set is a corpus folder like the sample
(manifest.jsonl, scan_info.jsonl with `kind` and `capture`, truth/, files/), so `sohoa eval ocr`
reads it as it reads the sample."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from indexer.evaluation.legacy_pdfs import legacy_pdf
from indexer.evaluation.photos import draw_params, photograph

SCANNED_KINDS = ("png", "jpg", "tif", "pdf")
PDF_RENDER_DPI = 200
DEFAULT_SEED = 13


def _seed(result_id: str, page: int, seed: int) -> int:
    digest = hashlib.sha256(f"{seed}:{result_id}:{page}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _records(sample: Path) -> Iterator[tuple[dict, dict]]:
    info = {
        row["result_id"]: row
        for row in map(json.loads, (sample / "scan_info.jsonl").read_text().splitlines())
    }
    for line in (sample / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            yield record, info.get(record["result_id"], {})


def _scan_pages(path: Path) -> Iterator[tuple[Image.Image, float]]:
    """Each page of a scan file with its resolution (PDFs rendered by pdftoppm)."""
    if path.suffix.lower() == ".pdf":
        with tempfile.TemporaryDirectory(prefix="sohoa-photos-") as tmp:
            subprocess.run(
                ["pdftoppm", "-r", str(PDF_RENDER_DPI), "-png", str(path), f"{tmp}/p"],
                check=True,
                capture_output=True,
            )
            for page in sorted(Path(tmp).glob("p-*.png")):
                with Image.open(page) as image:
                    yield image.copy(), float(PDF_RENDER_DPI)
        return
    with Image.open(path) as image:
        dpi = float((image.info.get("dpi") or (300, 300))[0])
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            yield image.convert("L" if image.mode in ("1", "L") else "RGB"), dpi


def _write_set(out: Path, rows: list[tuple[dict, dict]], truth_from: Path) -> int:
    (out / "truth").mkdir(parents=True, exist_ok=True)
    with (
        (out / "manifest.jsonl").open("w", encoding="utf-8") as manifest,
        (out / "scan_info.jsonl").open("w", encoding="utf-8") as info,
    ):
        for record, row in rows:
            manifest.write(json.dumps(record, ensure_ascii=False) + "\n")
            info.write(json.dumps(row, ensure_ascii=False) + "\n")
            shutil.copy(truth_from / f"{record['result_id']}.txt", out / "truth")
    return len(rows)


def build_photo_set(sample: Path, out: Path, seed: int = DEFAULT_SEED, limit: int = 0) -> int:
    """One JPEG photo per page of every scanned record of `sample` (`limit` records, 0 = all)."""
    (out / "files").mkdir(parents=True, exist_ok=True)
    rows = []
    for record, info in _records(sample):
        if info.get("kind") not in SCANNED_KINDS:
            continue
        names = []
        for source in record["files"]:
            for number, (page, dpi) in enumerate(_scan_pages(sample / source), start=1):
                page_seed = _seed(record["result_id"], number, seed)
                params = draw_params(random.Random(page_seed))
                name = f"files/{Path(source).stem}-p{number}.jpg"
                (out / name).write_bytes(photograph(page, dpi, params, page_seed))
                names.append(name)
        photo_info = {
            "result_id": record["result_id"],
            "kind": "photo",
            "capture": "photo",
            "source_kind": info.get("kind"),
            "seed": seed,
        }
        rows.append((dict(record, files=names), photo_info))
        if limit and len(rows) >= limit:
            break
    return _write_set(out, rows, sample / "truth")


def build_legacy_set(sample: Path, out: Path, limit: int = 0) -> int:
    """Every record's true text as a PDF in a legacy font encoding, TCVN3 and VNI alternately."""
    (out / "files").mkdir(parents=True, exist_ok=True)
    rows = []
    for index, (record, _) in enumerate(_records(sample)):
        encoding = ("tcvn3", "vni")[index % 2]
        truth = (sample / "truth" / f"{record['result_id']}.txt").read_text(encoding="utf-8")
        name = f"files/{record['result_id']}-{encoding}.pdf"
        (out / name).write_bytes(legacy_pdf(truth.split("\f"), encoding))
        info = {
            "result_id": record["result_id"],
            "kind": f"legacy-pdf-{encoding}",
            "capture": "legacy-pdf",
        }
        rows.append((dict(record, files=[name]), info))
        if limit and len(rows) >= limit:
            break
    return _write_set(out, rows, sample / "truth")
