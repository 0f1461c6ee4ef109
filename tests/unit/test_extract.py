"""Extraction against real files and real Tesseract: bad inputs, sample scans, legacy PDFs."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from indexer.evaluation.minimal_pdf import assemble_pdf
from indexer.evaluation.ocr_eval import word_recall
from indexer.extract import ExtractionError, PageText, extract_file, preprocess, sniff_media_type
from indexer.extract.legacy_encodings import (
    convert_legacy,
    detect_legacy_encoding,
    tcvn3_to_unicode,
    vni_to_unicode,
)
from indexer.extract.textcheck import is_usable_text
from tests.support.paths import SHARED

SAMPLE = SHARED / "corpus" / "sample"
BAD = SHARED / "corpus" / "bad" / "files"

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason="../shared/corpus is not present")


def _error(path: Path, **kwargs: int) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        extract_file(path, **kwargs)
    assert caught.value.message and path.name in caught.value.message
    return caught.value


# --- bad inputs: each one its own code --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.pdf", "empty-file"),
        ("truncated.png", "truncated-image"),
        ("html-named.pdf", "content-mismatch"),
        ("encrypted.pdf", "encrypted-pdf"),
        ("bomb.png", "decompression-bomb"),
    ],
)
def test_bad_file_gets_its_specific_error(name: str, code: str) -> None:
    assert _error(BAD / name).code == code


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    assert _error(tmp_path / "nothing.png").code == "missing-file"
    docx = tmp_path / "letter.docx"
    docx.write_bytes(b"PK\x03\x04 zip")
    assert _error(docx).code == "unsupported-type"


def test_damaged_copies_of_sample_files(tmp_path: Path) -> None:
    def cut(name: str, share: float, suffix: str) -> Path:
        data = (SAMPLE / "files" / name).read_bytes()
        path = tmp_path / f"cut{suffix}"
        path.write_bytes(data[: int(len(data) * share)])
        return path

    assert _error(cut("H26.CG-181212-00008.jpg", 0.3, ".jpg")).code == "truncated-image"
    assert _error(cut("H26.CG.QH-190512-00002.pdf", 0.5, ".pdf")).code == "corrupt-pdf"
    assert _error(cut("H26.CG.YH-110223-00003.png", 0.0001, ".png")).code == "truncated-image"
    garbled = tmp_path / "garbled.png"
    garbled.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert _error(garbled).code == "corrupt-image"


def test_own_pixel_limit_refuses_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (400, 300), 255).save(path)
    error = _error(path, max_pixels=100_000)
    assert error.code == "decompression-bomb" and "120,000" in error.message


def test_blank_page_is_flagged_not_failed() -> None:
    assert extract_file(BAD / "blank.png") == [
        PageText(number=1, text="", confidence=None, method="ocr", blank=True)
    ]


def test_specks_on_white_still_count_as_blank() -> None:
    page = Image.new("L", (1654, 2339), 250)
    draw = ImageDraw.Draw(page)
    for i in range(300):  # dust: isolated 2-pixel specks
        x, y = (i * 97) % 1650, (i * 211) % 2335
        draw.rectangle((x, y, x + 1, y + 1), fill=0)
    assert preprocess.is_blank(page)


def test_page_with_a_few_words_is_read_not_failed(tmp_path: Path) -> None:
    # Few words make the first pass look poor, and OSD then finds too little to orient by.
    path = tmp_path / "few.png"
    page = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(page).text((200, 200), "Trang 2", fill=0, font_size=120)
    page.save(path, dpi=(200, 200))
    [result] = extract_file(path)
    assert result.rotation == 0 and not result.blank and "Trang" in result.text


def test_sideways_scan_is_turned_and_read() -> None:
    holder = next(
        json.loads(line)["holder_name"]
        for line in (BAD.parent / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if '"HARD-sideways-scan"' in line
    )
    [page] = extract_file(BAD / "sideways.png")
    assert page.rotation in (90, 270) and page.method == "ocr" and not page.blank
    assert holder.casefold() in page.text.casefold()
    assert "Giấy chứng nhận kết hôn".casefold() in page.text.casefold()


def test_plain_text_file() -> None:
    [page] = extract_file(BAD / "note.txt")
    assert page.method == "txt" and page.confidence is None
    assert page.text.startswith("Giấy biên nhận hồ sơ số 000.00.45.H26-220315-0012")


def test_text_file_pages_split_on_form_feed(tmp_path: Path) -> None:
    path = tmp_path / "two.txt"
    path.write_bytes("Trang một\n\fTrang hai".encode("utf-8-sig"))
    assert [p.text for p in extract_file(path)] == ["Trang một", "Trang hai"]
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"caf\xe9 cr\xe8me")  # neither UTF-8 nor a Vietnamese legacy encoding
    assert _error(latin).code == "bad-encoding"


def test_whole_file_time_budget_is_enforced() -> None:
    assert _error(SAMPLE / "files" / "H26.CG.YH-110223-00003.png", timeout_s=0).code == (
        "ocr-timeout"
    )


def test_tesseract_runs_with_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    extract_file(BAD / "sideways.png")
    assert os.environ["OMP_THREAD_LIMIT"] == "1"  # the environment pytesseract hands on


def test_error_survives_pickling_for_celery() -> None:
    error = pickle.loads(pickle.dumps(ExtractionError("corrupt-pdf", "x.pdf is broken")))
    assert (error.code, error.message) == ("corrupt-pdf", "x.pdf is broken")


# --- media sniffing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("H26.CG.YH-110223-00003.png", "image/png"),
        ("H26.CG-181212-00008.jpg", "image/jpeg"),
        ("H26.LB-220607-00028.tif", "image/tiff"),
        ("H26.ST.DL-220828-00018.pdf", "application/pdf"),
    ],
)
def test_sniff_sample_files(name: str, media_type: str) -> None:
    assert sniff_media_type(SAMPLE / "files" / name) == media_type


def test_sniff_catches_contradicting_bytes(tmp_path: Path) -> None:
    fake = tmp_path / "scan.txt"
    fake.write_bytes((SAMPLE / "files" / "H26.CG.YH-110223-00003.png").read_bytes()[:100])
    with pytest.raises(ExtractionError) as caught:
        sniff_media_type(fake)
    assert caught.value.code == "content-mismatch" and "image/png" in caught.value.message
    assert sniff_media_type(BAD / "note.txt") == "text/plain"


# --- sample scans reach a word recall threshold -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pages", "threshold"),
    [
        ("H26.CG.YH-110223-00003.png", 1, 0.97),  # grey PNG, 200 dpi
        ("H26.CG-181212-00008.jpg", 1, 0.98),  # colour JPEG, noisy, red seal
        ("H26.LB-220607-00028.tif", 2, 0.97),  # Group 4 bilevel, two pages
        ("H26.ST.DL-220828-00018.pdf", 2, 0.97),  # image-only PDF, colour, 200 dpi
    ],
)
def test_sample_scan_recall(name: str, pages: int, threshold: float) -> None:
    result = extract_file(SAMPLE / "files" / name)
    truth = (SAMPLE / "truth" / f"{name.rsplit('.', 1)[0]}.txt").read_text(encoding="utf-8")
    assert [p.number for p in result] == list(range(1, pages + 1))
    assert all(p.method == "ocr" and p.confidence and p.confidence > 70 for p in result)
    assert word_recall(truth, "\f".join(p.text for p in result)) >= threshold


def test_born_digital_pdf_uses_its_text_layer() -> None:
    result = extract_file(SAMPLE / "files" / "H26.TH.QA-150202-00057.pdf")
    truth = (SAMPLE / "truth" / "H26.TH.QA-150202-00057.txt").read_text(encoding="utf-8")
    assert [(p.method, p.confidence) for p in result] == [("pdf-text", None)] * 2
    assert word_recall(truth, "\f".join(p.text for p in result)) >= 0.99


# --- legacy encodings ---------------------------------------------------------------------------

TCVN3_LINES = [
    "Céng hoµ x· héi chñ nghÜa ViÖt Nam",
    "§éc lËp - Tù do - H¹nh phóc",
    "GiÊy chøng nhËn kÕt h«n",
]
VNI_LINES = [
    "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam",
    "Ñoäc laäp - Töï do - Haïnh phuùc",
    "Giaáy chöùng nhaän keát hoân",
]
UNICODE_LINES = [
    "Cộng hoà xã hội chủ nghĩa Việt Nam",
    "Độc lập - Tự do - Hạnh phúc",
    "Giấy chứng nhận kết hôn",
]
VNI_UNICODE_LINES = ["Cộng hòa xã hội chủ nghĩa Việt Nam", *UNICODE_LINES[1:]]  # tone placement


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` as Latin-1 bytes in a WinAnsi font."""

    def literal(text: str) -> bytes:
        raw = text.encode("latin-1")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    content = b"BT /F1 16 Tf 72 760 Td 24 TL " + b" ".join(literal(t) + b" Tj T*" for t in lines)
    content += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    return assemble_pdf(objects)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [(TCVN3_LINES, UNICODE_LINES), (VNI_LINES, VNI_UNICODE_LINES)],
    ids=["tcvn3", "vni"],
)
def test_legacy_text_layer_is_converted(
    tmp_path: Path, lines: list[str], expected: list[str]
) -> None:
    path = tmp_path / "legacy.pdf"
    path.write_bytes(_pdf(lines))
    [page] = extract_file(path)
    assert page.method == "pdf-legacy-converted" and page.confidence is None
    assert page.text.split("\n") == expected


def test_unicode_text_layer_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "latin.pdf"
    path.write_bytes(_pdf(["Le cafe est ouvert", "Thanh pho Ha Noi"]))
    [page] = extract_file(path)
    assert page.method == "pdf-text"


def test_garbage_text_layer_falls_back_to_ocr(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(_pdf(["Xqzt Bkvvw Hjjwr Pqxz Wvbnk", "Zrtq Mvvx Kqhpt Gvbw"]))
    [page] = extract_file(path)
    assert page.method == "ocr" and page.confidence is not None


def test_converters_and_detection() -> None:
    assert tcvn3_to_unicode("quyÕt ®Þnh cña Bé tr\u00adëng") == "quyết định của Bộ trưởng"
    assert vni_to_unicode("COÄNG HOØA XAÕ HOÄI") == "CỘNG HÒA XÃ HỘI"
    assert vni_to_unicode("ngöôøi ñöôïc caáp") == "người được cấp"
    assert detect_legacy_encoding(" ".join(TCVN3_LINES)) == "tcvn3"
    assert detect_legacy_encoding(" ".join(VNI_LINES)) == "vni"
    for text in (" ".join(UNICODE_LINES), "Le café élève ses enfants à Paris, ça été"):
        assert convert_legacy(text) == (text, None)
    assert not is_usable_text(" ".join(TCVN3_LINES)) and is_usable_text(" ".join(UNICODE_LINES))


# --- image modes --------------------------------------------------------------------------------


def test_colour_alpha_and_16_bit_pages_become_one_grey_channel() -> None:
    seal_red, ink = (220, 40, 40), (20, 20, 20)
    rgb = Image.new("RGB", (4, 1), (255, 255, 255))
    rgb.putpixel((1, 0), seal_red)
    rgb.putpixel((2, 0), ink)
    grey = preprocess.whiten_light(preprocess.to_ocr_grey(rgb))
    assert grey.tobytes() == bytes([255, 255, 20, 255])  # the seal goes, the ink stays
    transparent = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    assert preprocess.to_ocr_grey(transparent).tobytes() == bytes([255, 255])
    wide = Image.new("I;16", (1, 1), 0x8000)
    assert preprocess.to_ocr_grey(wide).tobytes() == bytes([0x80])
    bilevel = Image.new("1", (2, 2), 1)
    assert preprocess.to_ocr_grey(bilevel) is bilevel
