"""Query parameters of the coverage API and pages: parsed strictly, with clear messages.

Each error carries an English message (the API's) and a Vietnamese one (the pages').
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from domain.agencies import LEVELS
from domain.text.codes import parse_iso_date
from domain.wholenumber import whole_number


class ParamError(ValueError):
    """A query parameter has a value that cannot be used; the message says which and why."""

    def __init__(self, message: str, vi: str | None = None) -> None:
        super().__init__(message)
        self.vi = vi or message


def parse_day(value: str | None, name: str, default: dt.date) -> dt.date:
    if value is None or not value.strip():
        return default
    day = parse_iso_date(value.strip())
    if day is not None:
        return day
    raise ParamError(f"{name} must be a date YYYY-MM-DD, got {value!r}",
                     f"Ngày «{value}» không hợp lệ: hãy nhập theo dạng năm-tháng-ngày, "
                     "ví dụ 2025-12-31.")


def parse_month_bound(value: str | None, name: str, default: dt.date, end: bool) -> dt.date:
    """`YYYY-MM` (the month's first day, or its last when `end`) or `YYYY-MM-DD`."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    if match := re.fullmatch(r"([0-9]{4})-([0-9]{2})", text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 1:  # the calendar has no year 0
            day = calendar.monthrange(year, month)[1] if end else 1
            return dt.date(year, month, day)
    try:
        return parse_day(text, name, default)
    except ParamError as exc:
        raise ParamError(f"{name} must be a month YYYY-MM or a date YYYY-MM-DD, got {value!r}",
                         f"Tháng «{value}» không hợp lệ: hãy nhập dạng 2025-12 hoặc "
                         "2025-12-31.") from exc


def parse_level(value: str | None, name: str = "agency_level") -> str | None:
    if value is None or not value.strip() or value.strip() == "all":
        return None
    if value.strip() not in LEVELS:
        raise ParamError(f"{name} must be one of {', '.join(LEVELS)}, got {value!r}",
                         f"Cấp hành chính «{value}» không hợp lệ.")
    return value.strip()


def parse_int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or not value.strip():
        return default
    number = whole_number(value)
    if number is None or not low <= number <= high:
        raise ParamError(f"{name} must be a whole number from {low} to {high}, got {value!r}",
                         f"Giá trị «{value}» của {name} phải là số nguyên từ {low} đến {high}.")
    return number


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def parse_flag(value: str | None) -> bool:
    """Lenient (the pages' links): anything but a yes-word is no."""
    return (value or "").strip().lower() in TRUE_WORDS


def parse_bool(value: str | None, name: str) -> bool:
    """Strict (the API): a yes-word or a no-word, else a ParamError naming the parameter."""
    text = (value or "").strip().lower()
    if text not in TRUE_WORDS | FALSE_WORDS:
        raise ParamError(f"{name} must be one of 1/true/yes/on or 0/false/no/off, "
                         f"got {str(value)[:40]!r}")
    return text in TRUE_WORDS
