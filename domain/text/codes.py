"""Codes people type and documents print: result numbers, ID numbers, enterprise and dossier
codes, dates. Pure functions.

`code_key` is the one spelling typed and printed forms meet on (upper case, Đ -> D, no spaces
around separators). `loose_key` also drops the separators, for OCR that ate a slash or read one
as a space. Codes found in OCR text only add recall; the manifest's codes are authoritative.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from domain.text.vietnamese import fold_diacritics

_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "／": "/"})
_SEP_SPACES = re.compile(r"\s*([/\-.])\s*")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")

# 125/GPXD-UBND, 34/2026/ATTP-CNĐK, 3456/QĐ-UBND: a number, optional year, then letter groups.
_RESULT_NUMBER = re.compile(
    r"(?<![\w/])\d{1,6}(?:\s?/\s?(?:19|20)\d{2})?\s?/\s?[^\W\d_][\w]*(?:\s?[-/]\s?[\w]+)*"
)
# Dossier code (Circular 01/2018/TT-VPCP): 000.00.45.H26-220315-0012.
_DOSSIER = re.compile(r"(?<![\w.])\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2}-\d{6}-\d{4}(?!\w)")
# Enterprise/tax code of a branch: 10 digits, dash, 3 digits.
_BRANCH = re.compile(r"(?<![\w-])\d{10}\s?-\s?\d{3}(?![\w-])")
# Runs of 9..13 digits: old ID card (9), tax code (10), citizen ID (12), household business (13).
_DIGITS = re.compile(r"(?<![\w/.-])\d{9,13}(?![\w/-])")
_DATE_DMY = re.compile(r"(?<![\w/.-])(\d{1,2})\s?([/.-])\s?(\d{1,2})\s?\2\s?(\d{4})(?![\w/.-])")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_ISO = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


@dataclass(frozen=True)
class Code:
    kind: str  # result_number | dossier | enterprise | id_number | digits | date
    raw: str  # as found
    key: str  # code_key(raw), or the ISO date for dates


def code_key(text: str) -> str:
    """The form typed and printed codes meet on: `34 / 2026 / attp-cnđk` -> `34/2026/ATTP-CNDK`."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    text = _SEP_SPACES.sub(r"\1", fold_diacritics(text).upper())
    return _SPACES.sub(" ", text)


def loose_key(text: str) -> str:
    """`code_key` without any separator: `125 GPXD UBND`, `125/GPXD-UBND` -> `125GPXDUBND`."""
    return _NOT_ALNUM.sub("", code_key(text))


_STRICT_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(text: str) -> dt.date | None:
    """The one strict reader of `YYYY-MM-DD` (ASCII digits, dashes, exactly 10 characters).

    Every place whose message says YYYY-MM-DD calls it: `date.fromisoformat` alone also takes
    `20240101` and `2024-W01`, and `\\d` or `int()` take full-width or Arabic-Indic digits."""
    if not isinstance(text, str) or not _STRICT_ISO.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, `ngày 5 tháng 3 năm 2020` or ISO -> a date (or None)."""
    text = text.strip()
    if m := _DATE_ISO.fullmatch(text):
        y, mo, d = m.groups()
    elif m := _DATE_DMY.fullmatch(text):
        d, _, mo, y = m.groups()
    elif m := _DATE_WORDS.fullmatch(text):
        d, mo, y = m.groups()
    else:
        return None
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None



def _classify_digits(digits: str) -> str:
    return {9: "id_number", 12: "id_number", 10: "enterprise"}.get(len(digits), "digits")


def find_codes(text: str) -> list[Code]:
    """Every code in `text`, in order of appearance; each span is claimed by one pattern only."""
    found: list[tuple[int, Code]] = []
    taken: list[tuple[int, int]] = []

    def claim(m: re.Match[str]) -> bool:
        span = m.span()
        if any(span[0] < end and start < span[1] for start, end in taken):
            return False
        taken.append(span)
        return True

    for m in _DOSSIER.finditer(text):
        if claim(m):
            found.append((m.start(), Code("dossier", m.group(), code_key(m.group()))))
    for pattern in (_DATE_DMY, _DATE_WORDS, _DATE_ISO):
        for m in pattern.finditer(text):
            day = parse_date(m.group())
            if day and claim(m):
                found.append((m.start(), Code("date", m.group(), day.isoformat())))
    for m in _BRANCH.finditer(text):
        if claim(m):
            found.append((m.start(), Code("enterprise", m.group(), code_key(m.group()))))
    for m in _RESULT_NUMBER.finditer(text):
        if claim(m):
            raw = m.group().rstrip("-/")
            found.append((m.start(), Code("result_number", raw, code_key(raw))))
    for m in _DIGITS.finditer(text):
        if claim(m):
            found.append((m.start(), Code(_classify_digits(m.group()), m.group(), m.group())))
    return [code for _, code in sorted(found, key=lambda item: item[0])]


def code_terms(code: Code) -> list[str]:
    """The keyword terms a code is indexed and searched under: its key, plus the separator-free
    key for codes with separators (OCR turns `/` into a space or drops it)."""
    if code.kind == "date":
        return [code.key]
    loose = loose_key(code.key)
    return [code.key] if loose == code.key else [code.key, loose]
