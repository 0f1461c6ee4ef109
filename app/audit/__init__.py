"""The audit trail: who did what, when, from where, to which record, with what outcome.

Views call `audit("result.view", result_id=rid)` after deciding the outcome. The actor comes from
the request: `g.account` (staff, Bearer token or web session) or `g.citizen_id` (a citizen; only
the masked ID number is recorded). Writing is synchronous and fails closed: when the event cannot
be stored, the exception propagates and the view answers an error instead of the data, so nothing
is disclosed without a trace.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any

from elasticsearch import Elasticsearch
from flask import g, has_request_context, request

from app.audit.redact import mask_id
from app.audit.store import AuditStore
from domain.clock import utc_now_iso
from domain.settings import Settings

ACTIONS = (
    "search", "result.view", "result.file", "result.preview", "ingest", "job.view",
    "coverage.view", "coverage.export", "quality.view",
    "audit.view", "staff.login", "staff.logout", "citizen.login", "citizen.logout",
    "citizen.results", "citizen.view", "citizen.file", "account.add", "account.disable",
    "account.enable", "account.rotate-token", "account.set-password",
    "result.edit", "result.withdraw", "result.restore", "result.history",
)



def current_actor() -> tuple[str, str]:
    """(user, role) of the current request: staff name, masked citizen ID or anonymous."""
    account = g.get("account")
    if account is not None:
        return account.username, account.role
    citizen_id = g.get("citizen_id")
    if citizen_id:
        return f"citizen:{mask_id(citizen_id)}", "citizen"
    return "anonymous", "anonymous"


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if value not in (None, "", [], {})}


def build_event(action: str, *, result_id: str | None, outcome: str,
                user: str | None = None, role: str | None = None,
                details: dict[str, Any] | None = None) -> dict[str, Any]:
    actor_user, actor_role = current_actor() if has_request_context() else ("system", "system")
    event: dict[str, Any] = {
        "timestamp": utc_now_iso(), "action": action, "outcome": outcome,
        "user": user or actor_user, "role": role or actor_role, "result_id": result_id,
        "details": _clean(details or {}),
    }
    if has_request_context():
        event.update(client_ip=request.remote_addr or "unknown", method=request.method,
                     path=request.path)
    return event


def audit(action: str, *, result_id: str | None = None, outcome: str = "ok",
          user: str | None = None, role: str | None = None, **details: Any) -> None:
    """Record one event for the current request (see module docstring)."""
    from app import extensions  # the app's clients; imported late to keep this module light

    event = build_event(action, result_id=result_id, outcome=outcome, user=user, role=role,
                        details=details)
    AuditStore(extensions.es(), extensions.settings()).write(event)


def os_user() -> str:
    """The login name of whoever runs a CLI command (the actor of its audit events)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


def audit_cli(client: Elasticsearch, settings: Settings, action: str, *,
              outcome: str = "ok", result_id: str | None = None, **details: Any) -> None:
    """Record an administrative action taken on the command line (accounts, record updates)."""
    event = build_event(action, result_id=result_id, outcome=outcome,
                        user=f"cli:{os_user()}", role="admin", details=details)
    event.update(client_ip="local", method="CLI")
    AuditStore(client, settings).write(event)


def search_details(args: Mapping[str, str]) -> dict[str, Any]:
    """What a search asked for, for `audit("search", **search_details(request.args))`."""
    return {"query": args.get("q", ""),
            "filters": {k: v for k, v in args.items() if k != "q" and v}}
