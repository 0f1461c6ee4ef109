"""The append-only audit index `<prefix>-audit`: write one event, page through events.

Events are only ever created (op_type=create with a fresh id); nothing in sohoa updates or
deletes them. Managers read them through `GET /api/v1/audit` and the `/nhat-ky` page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from domain.settings import Settings
from domain.text.codes import parse_iso_date
from domain.wholenumber import whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_WINDOW = 10_000  # Elasticsearch's default max_result_window


class AuditQueryError(ValueError):
    """A filter of an audit query cannot be understood (bad date, bad page)."""


@dataclass(frozen=True)
class AuditQuery:
    user: str | None = None
    result_id: str | None = None
    action: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    page: int = 1
    size: int = PAGE_SIZE


def _parse_bound(name: str, value: str, end: bool) -> str:
    """ISO date or date-time; a bare `to` date includes that whole day."""
    problem = AuditQueryError(f"'{name}' must be an ISO date (YYYY-MM-DD) or date-time")
    day = parse_iso_date(value[:10])
    if day is None or not value.isascii() or (len(value) > 10 and value[10] != "T"):
        raise problem  # not `fromisoformat` alone: it takes 20240101, weeks, other digits
    if len(value) == 10:
        return f"{day.isoformat()}T23:59:59.999Z" if end else f"{day.isoformat()}T00:00:00Z"
    try:
        return dt.datetime.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise problem from exc


def parse_query(args: dict[str, str]) -> AuditQuery:
    def text(name: str) -> str | None:
        value = (args.get(name) or "").strip()
        return value or None

    page = whole_number(args.get("page") or "1")
    size = whole_number(args.get("size") or str(PAGE_SIZE))
    if page is None or size is None:
        raise AuditQueryError("'page' and 'size' must be whole numbers")
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise AuditQueryError(f"'page' starts at 1 and 'size' is 1..{MAX_PAGE_SIZE}")
    if page * size > MAX_WINDOW:
        raise AuditQueryError("page out of range; narrow the filters (user, action, from/to)")
    date_from, date_to = text("from"), text("to")
    return AuditQuery(
        user=text("user"), result_id=text("result_id"), action=text("action"),
        date_from=_parse_bound("from", date_from, end=False) if date_from else None,
        date_to=_parse_bound("to", date_to, end=True) if date_to else None,
        page=page, size=size)


class AuditStore:
    def __init__(self, client: Elasticsearch, settings: Settings) -> None:
        self.client = client
        self.index = settings.index_name("audit")

    def write(self, event: dict[str, Any]) -> str:
        event_id = uuid.uuid4().hex
        self.client.create(index=self.index, id=event_id, document=event)
        return event_id

    def search(self, query: AuditQuery) -> dict[str, Any]:
        filters: list[dict[str, Any]] = []
        for field, value in (("user", query.user), ("result_id", query.result_id),
                             ("action", query.action)):
            if value:
                filters.append({"term": {field: value}})
        if query.date_from or query.date_to:
            bounds = {k: v for k, v in (("gte", query.date_from), ("lte", query.date_to)) if v}
            filters.append({"range": {"timestamp": bounds}})
        response = self.client.search(
            index=self.index, query={"bool": {"filter": filters}}, track_total_hits=True,
            sort=[{"timestamp": "desc"}],
            from_=(query.page - 1) * query.size, size=query.size)
        total = response["hits"]["total"]["value"]
        events = [{"id": hit["_id"], **hit["_source"]} for hit in response["hits"]["hits"]]
        pages = max(1, -(-total // query.size))
        return {"total": total, "page": query.page, "size": query.size, "pages": pages,
                "events": events}
