"""`require_role(...)`: the server-side role check every staff endpoint carries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from app import extensions
from app.auth.accounts import AccountStore
from app.errors import ApiProblem

F = TypeVar("F", bound=Callable[..., Any])
STAFF_ROLES = ("officer", "manager")


def current_account_from_bearer() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "authentication required: send 'Authorization: Bearer <token>'")
    account = AccountStore(extensions.es(), extensions.settings()).by_token(token.strip())
    if account is None:
        raise ApiProblem(401, "invalid or disabled token")
    g.account = account


def require_role(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            current_account_from_bearer()
            if g.account.role not in roles:
                raise ApiProblem(403, f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
