"""Result numbers (số/ký hiệu) and personal ID numbers, repaired for common OCR damage.

A result number has the shape NUMBER[/YEAR]/SYMBOL[-SYMBOL...] (Decree 30/2020 on
administrative documents). OCR eats or mistakes the slash (`43I2011/GCNKH`, `26GP-UBND`);
a repair is only made where the shape leaves no doubt, and a repaired value gets less trust.
"""

from __future__ import annotations

import re

from domain.text.codes import code_key

_SEPARATORS = str.maketrans({"\\": "/", "|": "/", "⁄": "/", "–": "-", "—": "-", "‐": "-",
                             "‑": "-", "_": "-"})
_CLEAN = re.compile(r"^\d{1,6}(?:/(?:19|20)\d{2})?/[A-ZĐ][A-ZĐ0-9]*(?:[-/.][A-ZĐ0-9]+)*$")
# A slash read as I, l, 1, | or ! between the number and a year.
_SLASH_AS_LETTER_YEAR = re.compile(r"^(\d{1,6})[IlL1!|]((?:19|20)\d{2})/(.+)$")
# A slash lost or misread between the number and the symbol.
_SLASH_LOST = re.compile(r"^(\d{1,6})[Il!|]?([A-ZĐ][A-ZĐ0-9]*(?:[-/][A-ZĐ0-9]+)*)$")
_YEAR_LOST = re.compile(r"^(\d{1,6})[IlL1!|/]?((?:19|20)\d{2})[IlL1!|]([A-ZĐ].*)$")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                                   "|": "1", "!": "1", "i": "1", "S": "5", "B": "8",
                                   "Z": "2", "g": "9"})


def clean_number_token(raw: str) -> str:
    token = raw.translate(_SEPARATORS).strip(" .,;:")
    token = re.sub(r"\s*([/-])\s*", r"\1", token)
    return token.upper()


def repair_result_number(raw: str, year: int | None) -> tuple[str, float] | None:
    """A cleaned result number and the trust its shape earns; None when it is no number."""
    token = clean_number_token(raw)
    if not token or not token[0].isdigit():
        return None
    if _CLEAN.match(token):
        trust = 0.97
        years = re.findall(r"/((?:19|20)\d{2})/", token)
        if years and year is not None and int(years[0]) != year:
            trust = 0.7  # a number dated another year than the dateline: one of them is misread
        return token, trust
    if (m := _SLASH_AS_LETTER_YEAR.match(token)) and (year is None or int(m[2]) == year):
        return f"{m[1]}/{m[2]}/{m[3]}", 0.8
    if (m := _YEAR_LOST.match(token)) and year is not None and int(m[2]) == year:
        return f"{m[1]}/{m[2]}/{m[3]}", 0.75
    if m := _SLASH_LOST.match(token):
        return f"{m[1]}/{m[2]}", 0.7
    if re.fullmatch(r"\d{6,15}", token):
        return token, 0.9  # a registration code printed as digits only
    if re.fullmatch(r"\d[\w/.-]{1,40}", token):
        return token, 0.5
    return None


def number_key(value: str) -> str:
    return code_key(value)


def digits_of(raw: str) -> str | None:
    """A run that is an ID number once OCR look-alikes are mapped back (`0O1082489830`)."""
    compact = re.sub(r"[\s.]", "", raw)
    if not compact or sum(ch.isdigit() for ch in compact) < len(compact) - 2:
        return None
    mapped = compact.translate(_DIGIT_LOOKALIKES)
    return mapped if mapped.isdigit() else None


def id_trust(number: str, birth_year: int | None) -> float:
    """How far the ID number's own structure vouches for it.

    Citizen ID (CCCD, 12 digits): province code 001-096, then a century/sex digit
    (0/1: 1900s, 2/3: 2000s), then the last two digits of the birth year. Old ID card: 9 digits.
    """
    if len(number) == 9:
        return 0.85
    if len(number) != 12:
        return 0.4
    province, century, yy = int(number[:3]), number[3], number[4:6]
    if not 1 <= province <= 96 or century not in "0123456789":
        return 0.5
    if birth_year is None:
        return 0.92
    expected_century = {"0": 1900, "1": 1900, "2": 2000, "3": 2000, "4": 2100, "5": 2100}
    base = expected_century.get(century)
    if base is not None and base + int(yy) == birth_year:
        return 0.99
    return 0.55
