"""Search parameters from a query string, checked: one specific message per bad value.

Shared by `GET /api/v1/search` (strict: unknown parameters are refused, so a typo such as
`valid=1` cannot silently return unfiltered results) and the web search page (lenient).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from domain.agencies import LEVELS
from domain.search import suggest
from domain.search.es_query import MAX_SIZE, MAX_WINDOW, SORTS, SearchFilters
from domain.text.codes import parse_iso_date
from domain.wholenumber import whole_number

LIST_PARAMS = ("agency_code", "agency_level", "document_type", "procedure_code")
KNOWN_PARAMS = frozenset(
    {"q", *LIST_PARAMS, "valid_only", "issued_from", "issued_to", "page", "size", "sort"}
)
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
MAX_VALUE_CHARS = 200  # a filter value longer than this is not a code or a type name
DEFAULT_SIZE = 10


class ParamError(ValueError):
    """A query-string parameter the search cannot use; the message names it."""


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_SIZE


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":  # blank-looking control characters are not "empty"
        return default
    value = whole_number(raw)
    if value is None:
        raise ParamError(f"{name} must be a whole number, not {raw[:40]!r}")
    if not low <= value <= high:
        raise ParamError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _date(name: str, raw: str | None) -> dt.date | None:
    if raw is None or raw.strip() == "":
        return None
    day = parse_iso_date(raw.strip())
    if day is None:
        raise ParamError(f"{name} must be a date YYYY-MM-DD, not {raw[:40]!r}")
    return day


def _bool(name: str, raw: str | None) -> bool:
    text = (raw or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ParamError(f"{name} must be true or false, not {raw[:40]!r}")


def _values(name: str, raw: Iterable[str]) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
    for value in values:
        if len(value) > MAX_VALUE_CHARS:
            raise ParamError(f"{name} value is longer than {MAX_VALUE_CHARS} characters")
    if name == "agency_level":
        unknown = [v for v in values if v not in LEVELS]
        if unknown:
            raise ParamError(
                f"agency_level must be one of {', '.join(LEVELS)}, not {unknown[0][:40]!r}"
            )
    return values


def parse_search_args(args: MultiDict[str, str], *, strict: bool = True) -> SearchRequest:
    """A SearchRequest from request.args; ParamError names the first bad parameter."""
    if strict:
        unknown = sorted(set(args) - KNOWN_PARAMS)
        if unknown:
            expected = ", ".join(sorted(KNOWN_PARAMS))
            raise ParamError(f"unknown parameter {unknown[0]!r}; expected any of {expected}")
        for name in KNOWN_PARAMS - set(LIST_PARAMS):
            if len(args.getlist(name)) > 1:
                raise ParamError(f"{name} is given more than once")
    issued_from = _date("issued_from", args.get("issued_from"))
    issued_to = _date("issued_to", args.get("issued_to"))
    if issued_from and issued_to and issued_from > issued_to:
        raise ParamError("issued_from must not be after issued_to")
    filters = SearchFilters(
        **{name: _values(name, args.getlist(name)) for name in LIST_PARAMS},
        valid_only=_bool("valid_only", args.get("valid_only")),
        issued_from=issued_from,
        issued_to=issued_to,
    )
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise ParamError(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    size = _int("size", args.get("size"), DEFAULT_SIZE, 1, MAX_SIZE)
    page = _int("page", args.get("page"), 1, 1, MAX_WINDOW)
    if page * size > MAX_WINDOW:
        raise ParamError(f"page {page} is beyond the first {MAX_WINDOW} results; narrow the search")
    return SearchRequest(q=args.get("q") or "", filters=filters, sort=sort, page=page, size=size)


SUGGEST_PARAMS = frozenset({"q", "size"})


def parse_suggest_args(args: MultiDict[str, str]) -> tuple[str, int]:
    """(q, size) for `GET /suggest`; ParamError names the first bad parameter."""
    unknown = sorted(set(args) - SUGGEST_PARAMS)
    if unknown:
        raise ParamError(f"unknown parameter {unknown[0]!r}; expected q and size")
    for name in SUGGEST_PARAMS:
        if len(args.getlist(name)) > 1:
            raise ParamError(f"{name} is given more than once")
    q = args.get("q") or ""
    if len(q) > suggest.MAX_CHARS:
        raise ParamError(f"q is longer than {suggest.MAX_CHARS} characters")
    size = _int("size", args.get("size"), suggest.DEFAULT_SIZE, 1, suggest.MAX_SIZE)
    return q, size
