"""Failed sign-ins by callers nobody has authenticated, recorded in bounded number.

Anyone can send failed sign-ins; one audit document each would let anonymous traffic grow the
audit index without bound. Per client address, action and outcome, in a 15-minute window,
the 1st, 2nd, 4th, 8th… failure is recorded with `attempts` (the count so far), so a burst of
n failures leaves about log2(n) documents and still shows who tried and how hard. Over all
addresses at most MAX_EVENTS_PER_WINDOW such documents are written per action and window;
the one that reaches the cap says so (`capped: true`), and the rest of the window is counted in
Redis only. Counters live under the rate-limit keys (`<prefix>:ratelimit:audit-sample:…`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import redis
from flask import request

from app import extensions
from app.audit import audit

WINDOW_S = 900
MAX_EVENTS_PER_WINDOW = 200


@dataclass(frozen=True)
class Sample:
    record: bool
    attempts: int  # failures of this kind from this address in the window, this one included
    capped: bool = False  # the window's last recorded event: later ones are not written


def is_sampled(count: int) -> bool:
    """1, 2, 4, 8, …: a burst of n events keeps about log2(n) of them."""
    return count > 0 and count & (count - 1) == 0


class FailureSampler:
    def __init__(self, client: redis.Redis, prefix: str, window_s: int = WINDOW_S,
                 cap: int = MAX_EVENTS_PER_WINDOW) -> None:
        self.client = client
        self.base = f"{prefix}:ratelimit:audit-sample"
        self.window_s = window_s
        self.cap = cap

    def _count(self, key: str) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.window_s * 2)
        return int(pipe.execute()[0])

    def sample(self, kind: str, subject: str, now: float | None = None) -> Sample:
        bucket = int((time.time() if now is None else now) // self.window_s)
        digest = hashlib.sha256(f"{self.base}|{subject}".encode()).hexdigest()[:32]
        attempts = self._count(f"{self.base}:{kind}:{bucket}:{digest}")
        if not is_sampled(attempts):
            return Sample(False, attempts)
        written = self._count(f"{self.base}:{kind}:{bucket}:written")
        return Sample(written <= self.cap, attempts, capped=written == self.cap)


def audit_failed_sign_in(action: str, outcome: str, **fields: Any) -> None:
    """`audit(action, outcome=…, **fields)` for an unauthenticated failure, when sampled."""
    subject = request.remote_addr or "unknown"
    sampler = FailureSampler(extensions.redis_client(), extensions.settings().index_prefix)
    sample = sampler.sample(f"{action}:{outcome}", subject)
    if sample.record:
        audit(action, outcome=outcome, attempts=sample.attempts,
              capped=sample.capped or None, **fields)
