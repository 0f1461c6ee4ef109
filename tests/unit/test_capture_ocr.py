"""Capture clean-up end to end with real Tesseract: photos are never blank, dark halves keep
their lines, photo and legacy sets are reproducible, legacy text layers convert exactly."""

from __future__ import annotations

import dataclasses
import io
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer.evaluation import capture_sets, legacy_pdfs
from indexer.evaluation.ocr_eval import word_recall
from indexer.evaluation.photos import draw_params, photograph
from indexer.extract import extract_file
from indexer.extract.legacy_encodings import font_encoding
from indexer.extract.model import Deadline
from indexer.extract.preprocess import as_taken
from indexer.extract.scan import ocr_page
from tests.support.paths import SHARED

SAMPLE = SHARED / "corpus" / "sample"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
LINES = [
    "Ủy ban nhân dân phường Yên Hòa",
    "Giấy chứng nhận đăng ký kết hôn",
    "Họ và tên người được cấp giấy",
    "Nơi cư trú tại thành phố Hà Nội",
    "Ngày tháng năm sinh của người đó",
    "Quyết định này có hiệu lực từ ngày ký",
    "Chủ tịch ủy ban nhân dân quận",
    "Nơi nhận lưu văn thư cơ quan",
    "Xác nhận tình trạng hôn nhân",
    "Độc lập tự do hạnh phúc",
]


def _page(lines: list[str], ink: int = 0) -> Image.Image:
    """An A4 page at 200 dpi with `lines` in a 14-point serif."""
    page = Image.new("L", (1654, 2339), 250)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 40)
    for k, line in enumerate(lines):
        draw.text((170, 200 + k * 190), line, fill=ink, font=font)
    return page


def _read(image: Image.Image, dpi: int | None) -> tuple[str, bool]:
    page = ocr_page(image, 1, dpi=dpi, deadline=Deadline(300, "test"), what="test page")
    return page.text, page.blank


@pytest.mark.skipif(not FONT.exists(), reason="needs the DejaVu fonts")
def test_dim_soft_photo_with_text_is_never_flagged_blank() -> None:
    params = dataclasses.replace(
        draw_params(random.Random(4)), light_low=0.5, shadow=0.55, blur=1.2, desk=30
    )
    jpeg = photograph(_page(LINES, ink=90), 200, params, seed=4)
    text, blank = _read(Image.open(io.BytesIO(jpeg)), dpi=72)
    assert not blank and text
    assert word_recall("\n".join(LINES), text) >= 0.9


@pytest.mark.skipif(not FONT.exists(), reason="needs the DejaVu fonts")
def test_scan_with_a_dark_gradient_keeps_all_its_lines() -> None:
    page = np.asarray(_page(LINES), np.float32)
    shade = np.linspace(1.0, 0.3, page.shape[0], dtype=np.float32)[:, None]
    dark = Image.fromarray((page * shade).astype(np.uint8), mode="L")
    text, blank = _read(dark, dpi=200)
    assert not blank
    for line in LINES:  # the darkest, last lines too
        assert word_recall(line, text) >= 0.8, line


def test_photo_set_is_reproducible(tmp_path: Path) -> None:
    first = capture_sets.build_photo_set(SAMPLE, tmp_path / "a", seed=5, limit=1)
    capture_sets.build_photo_set(SAMPLE, tmp_path / "b", seed=5, limit=1)
    capture_sets.build_photo_set(SAMPLE, tmp_path / "c", seed=6, limit=1)
    names = sorted(p.name for p in (tmp_path / "a" / "files").iterdir())
    assert first == 1 and names
    for name in names:
        a = (tmp_path / "a" / "files" / name).read_bytes()
        assert a == (tmp_path / "b" / "files" / name).read_bytes()
        assert a != (tmp_path / "c" / "files" / name).read_bytes()
    assert '"capture": "photo"' in (tmp_path / "a" / "scan_info.jsonl").read_text()


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_pdf_of_a_whole_document_converts_exactly(tmp_path: Path, encoding: str) -> None:
    truth = next(iter(sorted((SAMPLE / "truth").glob("*.txt")))).read_text(encoding="utf-8")
    path = tmp_path / "legacy.pdf"
    path.write_bytes(legacy_pdfs.legacy_pdf(truth.split("\f"), encoding))
    pages = extract_file(path)
    assert {p.method for p in pages} == {"pdf-legacy-converted"}
    assert word_recall(truth, "\f".join(p.text for p in pages)) >= 0.99


def test_legacy_bytes_that_win_ansi_remaps_are_recovered(tmp_path: Path) -> None:
    # 0xAD is TCVN3's "ư"; WinAnsi maps it to a hyphen, so only the glyph code tells.
    line = "Người được cấp: Lưu trữ tại phường Trưng Nhị, thường trú"
    path = tmp_path / "tcvn3.pdf"
    path.write_bytes(legacy_pdfs.legacy_pdf([line], "tcvn3"))
    [page] = extract_file(path)
    assert page.text.casefold() == line.casefold()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (".VnTime", ("tcvn3", False)),
        ("ABCDEF+.VnTimeH,Bold", ("tcvn3", True)),
        (".VnArialH", ("tcvn3", True)),
        ("VNI-Times", ("vni", False)),
        ("XYZABC+VNI-Helve-Bold", ("vni", False)),
        ("TimesNewRomanPSMT", (None, False)),
        ("Vntime", (None, False)),
        (None, (None, False)),
    ],
)
def test_font_names_declare_legacy_encodings(name: str | None, expected: tuple) -> None:
    assert font_encoding(name) == expected


@pytest.mark.skipif(not FONT.exists(), reason="needs the DejaVu fonts")
def test_photo_reads_at_least_what_bare_tesseract_reads(tmp_path: Path) -> None:
    params = dataclasses.replace(draw_params(random.Random(9)), light_low=0.6, blur=1.0)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photograph(_page(LINES), 170, params, seed=9))
    bare = subprocess.run(["tesseract", str(photo), "stdout", "-l", "vie"], check=True,
                          capture_output=True, timeout=300).stdout.decode("utf-8")
    ours, _ = _read(Image.open(photo), dpi=72)
    truth = "\n".join(LINES)
    assert word_recall(truth, ours) >= word_recall(truth, bare)


@pytest.mark.parametrize("mode", ["RGBA", "P", "CMYK", "I;16", "LA"])
def test_as_taken_gives_tesseract_a_mode_it_reads(mode: str) -> None:
    image = Image.new("RGB", (8, 8), (200, 30, 30)).convert(mode)
    assert as_taken(image).mode in ("1", "L", "RGB")
