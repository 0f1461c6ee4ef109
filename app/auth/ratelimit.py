"""Failure counting with lockout in Redis, for logins (staff and citizens).

Each `Limit` counts failures of one subject (a client address, a username, an ID number) in a
fixed window; reaching `max_failures` sets a lock key that lives `lockout_s` seconds. While any
lock is set, attempts are refused before the credentials are even looked at (HTTP 429 with
Retry-After). Subjects are hashed in key names so Redis never holds an ID number in clear.

Atomic: `acquire` counts the attempt as a failure *before* the credentials are checked, in one
Lua script with the lock check, and refuses it when the count would pass the limit; a success
hands its slot back (`record_success`). So N parallel guesses against a limit of 5 let at most 5
reach the credential check, whatever the timing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import redis

# KEYS: lock, counter per subject. ARGV: max, window, lockout per subject.
# 0 = go ahead (every counter now holds this attempt); otherwise the seconds to wait.
_ACQUIRE = """
local n = #KEYS / 2
local wait = 0
for i = 1, n do
  local ttl = redis.call('TTL', KEYS[2 * i - 1])
  if ttl > wait then wait = ttl end
end
if wait > 0 then return wait end
local over = 0
for i = 1, n do
  local c = redis.call('INCR', KEYS[2 * i])
  if c == 1 then redis.call('EXPIRE', KEYS[2 * i], ARGV[3 * i - 1]) end
  if c > tonumber(ARGV[3 * i - 2]) then
    local left = redis.call('TTL', KEYS[2 * i])
    if left > over then over = left end
  end
end
if over > 0 then
  for i = 1, n do redis.call('DECR', KEYS[2 * i]) end
  return over
end
return 0
"""
# Same KEYS/ARGV: the attempt failed; lock every subject whose count reached its limit.
_FAILED = """
local n = #KEYS / 2
local wait = 0
for i = 1, n do
  local c = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if c >= tonumber(ARGV[3 * i - 2]) then
    redis.call('SET', KEYS[2 * i - 1], '1', 'EX', ARGV[3 * i])
    redis.call('DEL', KEYS[2 * i])
  end
  local ttl = redis.call('TTL', KEYS[2 * i - 1])
  if ttl > wait then wait = ttl end
end
return wait
"""
# KEYS: counters to hand a slot back to, then counters to clear (ARGV[1]: how many refunds).
_SUCCEEDED = """
for i = 1, tonumber(ARGV[1]) do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
for i = tonumber(ARGV[1]) + 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 0
"""


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

    def _keys_args(self, subjects: Mapping[str, str]) -> tuple[list[str], list[int]]:
        keys: list[str] = []
        args: list[int] = []
        for name, subject in subjects.items():
            limit = self.limits[name]
            keys += [self._key("lock", limit, subject), self._key("failures", limit, subject)]
            args += [limit.max_failures, limit.window_s, limit.lockout_s]
        return keys, args

    def _run(self, script: str, keys: list[str], args: list[int]) -> int:
        return int(self.client.eval(script, len(keys), *keys, *args))

    def retry_after(self, subjects: Mapping[str, str]) -> int:
        """Seconds until every lock on these subjects has expired; 0 when none is set."""
        pipe = self.client.pipeline(transaction=False)
        for name, subject in subjects.items():
            pipe.ttl(self._key("lock", self.limits[name], subject))
        ttls = [int(t) for t in pipe.execute()]
        # TTL is -2 for a missing key and -1 for one without expiry (never set by us).
        return max([t for t in ttls if t > 0] + [0])

    def acquire(self, subjects: Mapping[str, str]) -> int:
        """Take one attempt's slot on every subject: 0 = check the credentials now; otherwise
        the Retry-After (a lock is set, or parallel attempts already hold every slot)."""
        return self._run(_ACQUIRE, *self._keys_args(subjects))

    def record_failure(self, subjects: Mapping[str, str]) -> int:
        """The acquired attempt failed; return the Retry-After now due (0 = not locked)."""
        return self._run(_FAILED, *self._keys_args(subjects))

    def record_success(self, subjects: Mapping[str, str], forget: Iterable[str] = ()) -> None:
        """The acquired attempt succeeded: hand its slot back, and clear the failure count of
        the subjects named in `forget` (a lock stays)."""
        forgotten = set(forget)
        refund = [self._key("failures", self.limits[n], s) for n, s in subjects.items()
                  if n not in forgotten]
        clear = [self._key("failures", self.limits[n], s) for n, s in subjects.items()
                 if n in forgotten]
        self.client.eval(_SUCCEEDED, len(refund) + len(clear), *refund, *clear, len(refund))

    def release(self, subjects: Mapping[str, str]) -> None:
        """Hand back an acquired slot without a verdict (the check itself could not run)."""
        self.record_success(subjects)

    def clear(self, subjects: Mapping[str, str]) -> None:
        """Remove counters and locks (administrators and tests)."""
        keys = [self._key(kind, self.limits[name], subject)
                for name, subject in subjects.items() for kind in ("failures", "lock")]
        self.client.delete(*keys)
