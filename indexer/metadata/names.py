"""Person names: recognise one in a line, write it the way records store it.

A Vietnamese name starts with a family name from a short, well-known list (Nguyễn, Trần, Lê…);
that, and two to five capitalised syllables, tells a person from a shop name in capitals.
Matching is on the folded form so a lost diacritic (`Nguyen`, `Tran`) is still a name.
"""

from __future__ import annotations

import re

from domain.text.vietnamese import fold_diacritics, normalize
from indexer.metadata.layout import title_case

# Common Vietnamese family names (folded): together they cover the overwhelming majority of
# the population; a name outside the list is still accepted after "Ông"/"Bà", with less trust.
_SURNAME_TEXT = (
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dao dinh doan "
    "trinh truong lam mai ta cao luong ha kieu quach thai tang lai chu la phung khuc "
    "giang tong luu ton thach kim vuong ung lu nong hua bach dam diep khong quan tieu "
    "mac nghiem phuong tao thieu trieu chau lac"
)
SURNAMES = frozenset(_SURNAME_TEXT.split())
# How each family name is written (folded -> accented); OCR that drops or shifts a mark on the
# family name (`Nguyên`, `Lẽ`, `Đỉnh`) is written back. Ambiguous folds (vu: Vũ/Vu) stay out.
_SURNAME_SPELLING = {
    "vu": "Vũ", "vo": "Võ", "do": "Đỗ", "ho": "Hồ", "dam": "Đàm", "hua": "Hứa", "ton": "Tôn",
    "nguyen": "Nguyễn", "tran": "Trần", "le": "Lê", "pham": "Phạm", "hoang": "Hoàng",
    "huynh": "Huỳnh", "phan": "Phan", "dang": "Đặng", "bui": "Bùi", "ngo": "Ngô",
    "duong": "Dương", "dinh": "Đinh", "doan": "Đoàn", "trinh": "Trịnh", "truong": "Trương",
    "lam": "Lâm", "quach": "Quách", "luong": "Lương", "kieu": "Kiều", "phung": "Phùng",
    "thai": "Thái", "cao": "Cao", "mai": "Mai", "dao": "Đào", "ly": "Lý", "ta": "Tạ",
}
# Common middle and given names. A syllable outside the list lowers the trust in the name; one
# whose folded form matches exactly one listed syllable is written back (`Hông` -> `Hồng`).
_NAME_TEXT = (
    "An Anh Ánh Bách Bảo Bích Bình Bội Cẩm Cầm Châu Chi Chiến Chính Chung Chương Công Cúc "
    "Cường Danh Diệp Diệu Dung Dũng Duy Duyên Dương Đại Đan Đạt Đăng Điệp Định Đình Đông Đức "
    "Gia Giang Giao Hà Hạ Hải Hạnh Hào Hằng Hân Hậu Hiền Hiển Hiếu Hiệp Hòa Hoài Hoàn Hoàng "
    "Hoa Hồng Huân Huế Huệ Hùng Hưng Hương Hường Hữu Huy Huyền Khải Khang Khanh Khánh Khoa "
    "Khôi Khuê Kiên Kiều Kim Kỳ Lan Lâm Lân Lệ Liên Liễu Linh Loan Long Lộc Lợi Lực Luân "
    "Lương Ly Lý Mai Mạnh Minh My Mỹ Nam Nga Ngà Ngân Nghĩa Ngọc Nguyên Nhã Nhàn Nhân Nhật "
    "Nhi Nhung Như Ninh Oanh Phát Phi Phong Phú Phúc Phụng Phương Phượng Quang Quân Quế Quốc "
    "Quý Quyên Quyết Quỳnh Sang Sinh Sơn Sương Tài Tâm Tân Thạch Thái Thanh Thành Thảo Thắng "
    "Thân Thế Thi Thị Thiện Thịnh Thoa Thông Thu Thuận Thủy Thúy Thùy Thư Thương Tiến Tiên "
    "Tín Toàn Tố Trà Trang Trâm Trí Trinh Trọng Trung Trúc Tú Tuấn Tùng Tuyết Tuyền Tuệ Tường "
    "Uyên Văn Vân Việt Vinh Vĩnh Vũ Vy Xuân Yến Đào Lê Dân Hiệu Khiêm Lai Lành Liêm Mến Nghi "
    "Nhạn Phước Quyền Sâm Tấn Thuận Thường Tình Trường Tuyên Vương Vượng Ý Hậu Trâm Hiên"
)
NAME_SYLLABLES = frozenset(normalize(w) for w in _NAME_TEXT.split())
_SYLLABLE_BY_FOLD: dict[str, list[str]] = {}
for _syllable in NAME_SYLLABLES:
    _SYLLABLE_BY_FOLD.setdefault(fold_diacritics(_syllable), []).append(_syllable)
_HONORIFIC = re.compile(r"^(?:ông|bà|anh|chị|ong|ba)\s+", re.IGNORECASE)
_SYLLABLE = re.compile(r"^[^\W\d_]{1,7}$")
_STOP = re.compile(r"[,.;:(]|\s-\s|\s+(?:giới tính|sinh ngày|số định danh|căn cước|cccd|cmnd)",
                   re.IGNORECASE)


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _given(word: str) -> tuple[str, bool]:
    """A middle/given syllable written back when OCR shifted its marks; and whether it is
    sure: a listed syllable written without marks whose marked readings are listed too
    (`Dung`: Dung or Dũng) may be a lost mark, so it is not."""
    lower = normalize(word)
    candidates = _SYLLABLE_BY_FOLD.get(fold_diacritics(lower), [])
    if lower in NAME_SYLLABLES:
        unmarked = lower == fold_diacritics(lower)
        return word, not (unmarked and len(candidates) > 1)
    if len(candidates) == 1:
        return candidates[0], True
    return word, False


def split_name(text: str) -> tuple[str, bool] | None:
    """The person name at the start of `text` (after an optional Ông/Bà), title-cased, and
    whether every part of it is a known name (family name and given names); None when `text`
    does not start with a name."""
    text = text.strip()
    honorific = _HONORIFIC.match(text)
    rest = text[honorific.end():] if honorific else text
    rest = _STOP.split(rest, maxsplit=1)[0].strip()
    words = rest.split()
    if not 2 <= len(words) <= 5:
        return None
    if not all(_SYLLABLE.match(w) and _capitalised(w) for w in words):
        return None
    family = fold_diacritics(words[0]).lower()
    if family not in SURNAMES and not honorific:
        return None
    known = family in SURNAMES
    if family in _SURNAME_SPELLING:
        words[0] = _SURNAME_SPELLING[family]
    for i in range(1, len(words)):
        words[i], listed = _given(words[i])
        known = known and listed
    return title_case(" ".join(words)), known


def same_person(a: str, b: str) -> bool:
    return normalize(a) == normalize(b) or fold_diacritics(normalize(a)) == fold_diacritics(
        normalize(b))
