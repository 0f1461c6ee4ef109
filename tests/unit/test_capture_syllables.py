"""Post-OCR syllable repair: the closed inventory, and repairs only from the document's words."""

from __future__ import annotations

import pytest

from indexer.extract.syllables import correct_syllables, is_valid, split_tone


@pytest.mark.parametrize(
    "word",
    [
        "quyết",
        "Việt",
        "hoà",
        "hòa",
        "nghiêng",
        "khuỷu",
        "giữa",
        "gì",
        "thuyền",
        "hoạch",
        "ăn",
        "trường",
        "được",
        "nguyễn",
        "xã",
        "chính",
        "chinh",
        "dinh",
        "Nam",
    ],
)
def test_real_syllables_are_valid(word: str) -> None:
    assert is_valid(word)


@pytest.mark.parametrize(
    "word",
    # stop final without sắc/nặng; iê/ươ without final; ă without final; two tones; no vowel
    ["quyet", "Viet", "lap", "tien", "truong", "duoc", "ă", "hoáà", "UBND", "GCNKH", "oach"],
)
def test_impossible_syllables_are_not(word: str) -> None:
    assert not is_valid(word)


def test_split_tone_keeps_vowel_marks() -> None:
    assert split_tone("Việt") == ("viêt", 5)
    assert split_tone("hoà") == ("hoa", 2) and split_tone("an") == ("an", 0)


def test_repair_uses_the_documents_own_spelling_and_case() -> None:
    text = "Quyết định số 12. Căn cứ quyet định. Cộng hoà xã hội chủ nghĩa VIET NAM, Việt Nam"
    assert correct_syllables(text) == (
        "Quyết định số 12. Căn cứ quyết định. Cộng hoà xã hội chủ nghĩa VIỆT NAM, Việt Nam"
    )


def test_nothing_is_guessed_without_context() -> None:
    text = "Căn cứ quyet dinh của UBND số 12/GCNKH"  # no correct spelling anywhere on the page
    assert correct_syllables(text) == text


def test_valid_syllables_are_never_changed_even_if_another_spelling_is_commoner() -> None:
    text = "dinh định định định ban bán bán"
    assert correct_syllables(text) == text
