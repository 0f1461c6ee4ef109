"""Unit tests of the OCR metrics: fast, no Tesseract."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from indexer.evaluation.ocr_eval import (
    OcrReport,
    Score,
    char_error_rate,
    evaluate,
    format_report,
    levenshtein,
    normalise,
    word_recall,
    words,
)


def _reference_levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_levenshtein_matches_the_textbook_definition() -> None:
    rng = random.Random(7)
    for _ in range(300):
        a = "".join(rng.choice("aăâđ ệ") for _ in range(rng.randint(0, 25)))
        b = "".join(rng.choice("aăâđ ệ") for _ in range(rng.randint(0, 25)))
        assert levenshtein(a, b) == _reference_levenshtein(a, b), (a, b)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "", 3), ("", "abc", 3), ("kitten", "sitting", 3), ("Hòa", "Hoà", 2)],
)
def test_levenshtein_known_values(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance


def test_normalise_is_nfc_lowercase_with_single_spaces() -> None:
    decomposed = "Vie\u0323\u0302t  Nam\n\fHA\u0300 NO\u0323\u0302I"
    assert normalise(decomposed) == "việt nam hà nội"


def test_words_drop_punctuation_and_split_codes() -> None:
    assert words("Số: 21/GPXD-UBND, (Đã ký).") == ["số", "21", "gpxd", "ubnd", "đã", "ký"]


def test_word_recall_is_an_order_free_bag_of_words() -> None:
    assert word_recall("Hà Nội Hà Nội", "nội hà") == 0.5  # each occurrence counts once
    assert word_recall("Cộng hòa", "HÒA CỘNG") == 1.0  # order and case do not matter
    assert word_recall("Cộng hòa", "Cộng hoà") == 0.5  # tone placement differs: another word
    assert word_recall("", "anything") == 1.0
    assert word_recall("một hai ba bốn", "") == 0.0


def test_char_error_rate() -> None:
    assert char_error_rate("Hà Nội", "hà  nội") == 0.0  # case and spacing are normalised
    assert char_error_rate("abcd", "abxd") == 0.25
    assert char_error_rate("", "") == 0.0
    assert char_error_rate("", "x") == 1.0


def _corpus(tmp_path: Path) -> Path:
    (tmp_path / "truth").mkdir()
    rows = [
        {"result_id": "a", "kind": "png"},
        {"result_id": "b", "kind": "jpg"},
        {"result_id": "c", "kind": "born-digital-pdf"},
    ]
    (tmp_path / "scan_info.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "truth" / "a.txt").write_text("một hai\fba bốn", encoding="utf-8")
    (tmp_path / "truth" / "b.txt").write_text("năm sáu", encoding="utf-8")
    (tmp_path / "truth" / "c.txt").write_text("bảy", encoding="utf-8")
    return tmp_path


def test_evaluate_micro_averages_per_kind_and_reports_missing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    report = evaluate(corpus, {"a": "một hai\fba", "c": "bảy"})
    assert report.scans.truth_words == 6 and report.scans.matched_words == 3
    assert report.scans.word_recall == pytest.approx(0.5)
    assert report.by_kind["png"].word_recall == pytest.approx(0.75)
    assert report.by_kind["jpg"].word_recall == 0.0
    assert report.born_digital.word_recall == 1.0 and report.born_digital.cer == 0.0
    assert report.missing == ["b"]
    assert report.per_record["a"][0] == pytest.approx(0.75)


def test_format_report_puts_ours_beside_the_baseline(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    ours = evaluate(corpus, {"a": "một hai ba bốn", "b": "năm sáu", "c": "bảy"})
    baseline = evaluate(corpus, {"a": "một hai", "b": "năm", "c": "bảy"})
    table = format_report(ours, baseline)
    assert "scans (all but born-digital)" in table
    scans_row = next(line for line in table.splitlines() if line.startswith("scans"))
    assert scans_row.split()[-6:-3] == ["1.0000", "0.5000", "+0.5000"]
    assert "born-digital-pdf" in table and "png" in table and "jpg" in table
    assert "no text" not in table


def test_empty_score_is_defined() -> None:
    assert Score().word_recall == 1.0 and Score().cer == 0.0
    assert format_report(OcrReport(), OcrReport())
