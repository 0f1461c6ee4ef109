"""Failure counting with lockout in Redis, for logins (staff and citizens).

Each `Limit` counts failures of one subject (a client address, a username, an ID number) in a
fixed window; reaching `max_failures` sets a lock key that lives `lockout_s` seconds. While any
lock is set, attempts are refused before the credentials are even looked at (HTTP 429 with
Retry-After). Subjects are hashed in key names so Redis never holds an ID number in clear.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class Limit:
    name: str
    max_failures: int
    window_s: int
    lockout_s: int


class FailureLimiter:
    def __init__(self, client: redis.Redis, prefix: str, scope: str,
                 limits: Mapping[str, Limit]) -> None:
        self.client = client
        self.base = f"{prefix}:ratelimit:{scope}"
        self.limits = dict(limits)

    def _key(self, kind: str, limit: Limit, subject: str) -> str:
        digest = hashlib.sha256(f"{self.base}|{subject}".encode()).hexdigest()[:32]
        return f"{self.base}:{limit.name}:{kind}:{digest}"

    def retry_after(self, subjects: Mapping[str, str]) -> int:
        """Seconds until every lock on these subjects has expired; 0 when none is set."""
        pipe = self.client.pipeline(transaction=False)
        for name, subject in subjects.items():
            pipe.ttl(self._key("lock", self.limits[name], subject))
        ttls = [int(t) for t in pipe.execute()]
        # TTL is -2 for a missing key and -1 for one without expiry (never set by us).
        return max([t for t in ttls if t > 0] + [0])

    def record_failure(self, subjects: Mapping[str, str]) -> int:
        """Count one failure for every subject; return the Retry-After now due (0 = not locked)."""
        for name, subject in subjects.items():
            limit = self.limits[name]
            counter = self._key("failures", limit, subject)
            count = int(self.client.incr(counter))
            if count == 1:  # the window starts at the first failure (works on Redis < 7 too)
                self.client.expire(counter, limit.window_s)
            if count >= limit.max_failures:
                lock = self._key("lock", limit, subject)
                pipe = self.client.pipeline(transaction=True)
                pipe.set(lock, "1", ex=limit.lockout_s)
                pipe.delete(counter)
                pipe.execute()
        return self.retry_after(subjects)

    def forget(self, name: str, subject: str) -> None:
        """Clear the failure count of one subject (after a success); a lock stays."""
        self.client.delete(self._key("failures", self.limits[name], subject))

    def clear(self, subjects: Mapping[str, str]) -> None:
        """Remove counters and locks (administrators and tests)."""
        keys = [self._key(kind, self.limits[name], subject)
                for name, subject in subjects.items() for kind in ("failures", "lock")]
        self.client.delete(*keys)
