"""domain.text.vietnamese: one spelling per word for index and query alike."""

from __future__ import annotations

import unicodedata

import pytest

from domain.text.vietnamese import (
    capitalized_runs,
    fold_diacritics,
    fold_spelling,
    has_diacritics,
    normalize,
    normalize_text,
    segment_words,
    syllables,
)


@pytest.mark.parametrize(
    ("new_style", "old_style"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("Thuỳ", "Thùy"), ("tuỳ", "tùy"),
     ("Uỷ ban", "Ủy ban"), ("HOÀ BÌNH", "HÒA BÌNH"), ("oà", "òa")],
)  # fmt: skip
def test_tone_placement_styles_meet(new_style: str, old_style: str) -> None:
    assert normalize_text(new_style) == normalize_text(old_style) == old_style


@pytest.mark.parametrize(
    "word",
    ["quý", "Quý", "quả", "quyển", "Huỳnh", "giữa", "già", "gìn", "ngoài", "khuỷu", "người",
     "thuyền", "hoàng", "mùa", "của", "giếng", "quốc"],
)  # fmt: skip
def test_correct_words_are_left_alone(word: str) -> None:
    assert normalize_text(word) == word


def test_decomposed_input_and_misplaced_marks_are_repaired() -> None:
    assert normalize_text(unicodedata.normalize("NFD", "Nguyễn Thị Hòa")) == "Nguyễn Thị Hòa"
    assert normalize_text("lựơng") == "lượng"  # mark on the wrong vowel of ươ


def test_d_lookalikes_become_d_with_stroke() -> None:
    assert normalize_text("Ðường ðồng") == "Đường đồng"
    assert normalize("ĐƯỜNG") == "đường"


def test_layout_and_non_vietnamese_words_survive() -> None:
    text = "Số: 125/GPXD-UBND\nCông ty ABC, email test@example.com"
    assert normalize_text(text) == text


def test_fold_diacritics_keeps_length_and_folds_d() -> None:
    accented = normalize_text("Đặng Công Quân, ĐƯỜNG Lê Lợi")
    folded = fold_diacritics(accented)
    assert folded == "Dang Cong Quan, DUONG Le Loi"
    assert len(folded) == len(accented)  # offsets line up for highlights


def test_has_diacritics() -> None:
    assert has_diacritics("giấy phép")
    assert has_diacritics("Dang Đ")
    assert not has_diacritics("giay phep xay dung 125/GPXD")


def test_syllables_lowercase_and_drop_punctuation() -> None:
    assert syllables("Số: 125/GPXD-UBND, THỬA ĐẤT số 179; Hoà") == [
        "số", "125", "gpxd", "ubnd", "thửa", "đất", "số", "179", "hòa",
    ]  # fmt: skip


def test_segment_words_joins_syllables_of_a_word() -> None:
    words = segment_words("Giấy phép xây dựng cho bà Nguyễn Thị Hoà")
    assert "giấy_phép" in words
    assert "xây_dựng" in words
    assert all(w == w.lower() for w in words)
    assert any("hòa" in w for w in words)  # normalised, whatever underthesea did to the token


def test_capitalized_runs_find_proper_names() -> None:
    text = "Họ, chữ đệm, tên: VÕ KHÁNH HIỀN\nĐăng ký khai sinh cho Ông Đặng Công Quân, sinh ngày"
    runs = capitalized_runs(text)
    assert "võ khánh hiền" in runs
    assert "đặng công quân" in runs  # the honorific is not part of the name


@pytest.mark.parametrize(("one", "other"), [
    ("Lý Mạnh Huy", "Lí Mạnh Huy"), ("kỹ thuật", "kĩ thuật"), ("Mỹ Đình", "Mĩ Đình"),
    ("quý", "quí"), ("công ty", "công ti"), ("Sỹ", "Sĩ"), ("LÝ", "lí"),
])
def test_i_y_spellings_fold_alike(one: str, other: str) -> None:
    assert fold_spelling(one).lower() == fold_spelling(other).lower()


@pytest.mark.parametrize("word", ["y tế", "Thủy", "hay", "khuya", "Huy", "Hny"])
def test_y_kept_where_it_is_not_the_i_y_variant(word: str) -> None:
    assert fold_spelling(word) == fold_diacritics(word)


def test_fold_spelling_keeps_length_and_folds_d() -> None:
    text = "Đặng Lý Kỹ, công ty Mỹ"
    assert len(fold_spelling(text)) == len(text)
    assert fold_spelling(text) == "Dang Li Ki, cong ti Mi"


def test_typing_without_marks_is_not_typing_marks() -> None:
    assert not has_diacritics("ly ky cong ty")
