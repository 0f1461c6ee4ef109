"""The citizen sign-in flow shared by the API and the web page: rate limits, identity, audit.

Limits (Redis, keys under the index prefix): per ID number 5 failures in 15 minutes lock that
ID number for 15 minutes; per client address 20 failures in 15 minutes lock the address for
30 minutes. A locked attempt is refused before the identity is checked, so even the right
birth date gets no session while the lock lasts; the check and the count are one atomic step
(`FailureLimiter.acquire`), so parallel guesses cannot slip past the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from app import extensions
from app.audit import audit
from app.audit.redact import mask_id
from app.audit.sampling import audit_failed_sign_in
from app.auth.ratelimit import FailureLimiter, Limit
from app.citizen.identity import (
    CitizenIdentity,
    IdentityClaim,
    IdentityProvider,
    ResultNumberProvider,
    normalise_id,
)

LIMITS = {"id": Limit("id", 5, 900, 900), "ip": Limit("ip", 20, 900, 1800)}
GENERIC_FAILURE = ("Thông tin không khớp với hồ sơ nào. Vui lòng kiểm tra số định danh, "
                   "ngày sinh và số kết quả.")


@dataclass(frozen=True)
class LoginOutcome:
    identity: CitizenIdentity | None
    retry_after: int = 0


def provider() -> IdentityProvider:
    """`CITIZEN_IDENTITY_PROVIDER` in the config (a callable taking the app) replaces it."""
    factory = current_app.config.get("CITIZEN_IDENTITY_PROVIDER")
    if factory is not None:
        return factory(current_app)
    return ResultNumberProvider(extensions.es(), extensions.settings(),
                                year_fallback=current_app.config.get("CITIZEN_YEAR_FALLBACK",
                                                                     True))


def limiter() -> FailureLimiter:
    return FailureLimiter(extensions.redis_client(), extensions.settings().index_prefix,
                          "citizen-login", current_app.config.get("CITIZEN_LIMITS", LIMITS))


def subjects_for(id_number: str) -> dict[str, str]:
    subject = normalise_id(id_number) or (id_number or "").strip()[:32]
    return {"id": subject, "ip": request.remote_addr or "unknown"}


def _verify(limits: FailureLimiter, subjects: dict[str, str],
            claim: IdentityClaim) -> CitizenIdentity | None:
    try:
        return provider().verify(claim)
    except BaseException:
        limits.release(subjects)  # the check did not run: no verdict, no failure counted
        raise


def attempt(claim: IdentityClaim) -> LoginOutcome:
    subjects = subjects_for(claim.id_number)
    who = f"citizen:{mask_id(subjects['id'])}"
    limits = limiter()
    if wait := limits.acquire(subjects):
        audit_failed_sign_in("citizen.login", "locked", user=who, role="citizen")
        return LoginOutcome(None, wait)
    identity = _verify(limits, subjects, claim)
    if identity is None:
        wait = limits.record_failure(subjects)
        audit_failed_sign_in("citizen.login", "failure", user=who, role="citizen",
                             result_number=claim.result_number[:64])
        return LoginOutcome(None, wait)
    limits.record_success(subjects, forget=("id",))
    audit("citizen.login", user=who, role="citizen", method=identity.method,
          result_number=claim.result_number[:64], scope=len(identity.witnesses))
    return LoginOutcome(identity)
