"""The gunicorn worker `sohoa serve` runs: gunicorn's threaded worker, except that a request
gunicorn refuses before the app sees it (a request line or a header over gunicorn's limits)
gets the API's JSON problem instead of gunicorn's HTML page.

Only the answer changes; the limits stay gunicorn's own (`--limit-request-line`, set to its
maximum of 8190 bytes by `sohoa serve`, so queries up to that size reach the app's 414).
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

SECURITY_HEADERS = ("X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
                    "Connection: close\r\n")


def problem_bytes(exc: Exception) -> bytes | None:
    """The raw HTTP answer for an over-limit request, or None for anything else."""
    if isinstance(exc, LimitRequestLine):
        status, reason, message = 414, "URI Too Long", "the request line is too long"
    elif isinstance(exc, LimitRequestHeaders):
        status, reason = 431, "Request Header Fields Too Large"
        message = "the request headers are too large or too many"
    else:
        return None
    body = json.dumps({"error": message, "status": status}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{SECURITY_HEADERS}\r\n")
    return head.encode("latin-1") + body


class JsonErrorsWorker(ThreadWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        answer = problem_bytes(exc)
        if answer is None:
            super().handle_error(req, client, addr, exc)
            return
        # The refused line itself may carry a query with an ID number: log only its kind.
        self.log.warning("refused an over-limit request: %s", type(exc).__name__)
        try:
            util.write_nonblock(client, answer)
        except OSError as err:  # the client has gone; nothing left to answer
            self.log.debug("could not send the %s answer: %s", type(exc).__name__, err)
