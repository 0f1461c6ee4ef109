"""Dates as documents print them: `ngày 05 tháng 6 năm 2020`, `05/06/2020`.

Matching is on folded lower-case text, so `ngay 5 thang 6 nam 2020` (lost marks) is the same
date; digits misread as letters (`O5`, `2O2O`) are mapped back first.
"""

from __future__ import annotations

import datetime as dt
import re

_WORDS = re.compile(
    r"ng[aà]y\s*([0-9oOlI]{1,2})\s*[,.]?\s*th[aá]ng\s*([0-9oOlI]{1,2})\s*[,.]?\s*n[aă]m\s*"
    r"([0-9oOlI]{4})"
)
_NUMERIC = re.compile(r"(?<![\d/])([0-9oO]{1,2})\s?[/.-]\s?([0-9oO]{1,2})\s?[/.-]\s?([0-9oO]{4})"
                      r"(?![\d/])")
_LOOKALIKE = str.maketrans({"o": "0", "O": "0", "l": "1", "I": "1"})
_FIRST_YEAR, _LAST_YEAR = 1900, 2100


def _make(day: str, month: str, year: str) -> dt.date | None:
    try:
        value = dt.date(int(year.translate(_LOOKALIKE)), int(month.translate(_LOOKALIKE)),
                        int(day.translate(_LOOKALIKE)))
    except ValueError:
        return None
    return value if _FIRST_YEAR <= value.year <= _LAST_YEAR else None


def dates_in(folded: str) -> list[tuple[int, dt.date, bool]]:
    """(offset, date, clean) for every date in a folded line; `clean` when no digit needed
    repair."""
    found = []
    for pattern in (_WORDS, _NUMERIC):
        for m in pattern.finditer(folded):
            value = _make(*m.groups())
            if value:
                clean = all(g.isdigit() for g in m.groups())
                found.append((m.start(), value, clean))
    return sorted(found, key=lambda item: item[0])


def first_date(folded: str) -> tuple[dt.date, bool] | None:
    found = dates_in(folded)
    return (found[0][1], found[0][2]) if found else None


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")
