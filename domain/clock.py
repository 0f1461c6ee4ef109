"""The one clock every stored timestamp comes from: UTC, ISO 8601."""

from __future__ import annotations

import datetime as dt


def utc_now_iso(timespec: str = "milliseconds") -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec=timespec)
