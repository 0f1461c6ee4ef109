"""The one place that reads the environment (reference: docs/interfaces.md).

Everything else receives a `Settings` object. Bad values fail fast with a message naming the
variable, so a typo in a deployment stops the process at start-up instead of mid-batch.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from domain.text.codes import parse_iso_date

# The versioned mappings ship inside the package (`mappings` is package data), so an installed
# sohoa finds them without SOHOA_MAPPINGS_DIR.
BUNDLED_MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"

# The Hanoi plan's roadmap: yearly target per administrative level (fractions). Years after the
# last listed one keep the last value; years before the first have target 0.
DEFAULT_ROADMAP: dict[int, dict[str, float]] = {
    2022: {"city": 0.30, "district": 0.30, "commune": 0.25},
    2023: {"city": 0.55, "district": 0.55, "commune": 0.50},
    2024: {"city": 0.80, "district": 0.80, "commune": 0.75},
    2025: {"city": 1.00, "district": 1.00, "commune": 1.00},
}

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,40}$")


class SettingsError(ValueError):
    """An environment variable has a value sohoa cannot use."""


@dataclass(frozen=True)
class Settings:
    es_url: str = "http://127.0.0.1:9200"
    redis_url: str = "redis://127.0.0.1:6379/0"
    index_prefix: str = "sohoa"
    data_dir: Path = Path("./var")
    today: dt.date | None = None
    coverage_cutoff: dt.date = dt.date(2021, 12, 31)
    roadmap: Mapping[int, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_ROADMAP)
    es_username: str | None = None
    es_password: str | None = None
    es_ca_certs: str | None = None
    secret_key: str | None = None
    ocr_timeout_s: int = 300
    visibility_timeout_s: int = 3600  # Redis hands a killed worker's task to another after this
    stuck_after_s: int = 900  # a job queued/running this long with no broker message is stuck
    sweep_interval_s: int | None = None  # default: a third of stuck_after_s, at most 60 s
    # A worker's heartbeat key lives this long unless refreshed (every quarter of it); a job
    # whose holder's heartbeat has lapsed is orphaned and re-queued at the next liveness sweep.
    heartbeat_ttl_s: int = 20
    # SIGTERM: in-flight jobs get this long to finish, then go back to the queue (keep it below
    # the supervisor's kill timeout: docker/compose wait 10 s by default).
    stop_grace_s: int = 8
    max_file_bytes: int = 100 * 1024 * 1024
    mappings_dir: Path = BUNDLED_MAPPINGS
    # Reverse proxies in front of the web app whose X-Forwarded-* headers are believed; 0 when
    # clients connect directly (then a forged header is ignored).
    trusted_proxies: int = 0
    backup_dir: Path | None = None  # default: data_dir/backups (put it on another disk)
    stack_dir: Path | None = None  # local dev stack (`sohoa stack`); default: see devstack
    es_heap: str | None = None  # local dev stack's Elasticsearch heap, e.g. "2g"

    def effective_today(self) -> dt.date:
        """The date 'valid' and coverage are computed against when none is given."""
        return self.today or dt.date.today()

    @property
    def sweep_every_s(self) -> int:
        # Short stuck timeouts (tests, small sites) deserve a sweep at least that often.
        return self.sweep_interval_s or max(1, min(60, self.stuck_after_s // 3))

    @property
    def heartbeat_every_s(self) -> float:
        return max(0.5, self.heartbeat_ttl_s / 4)

    @property
    def liveness_every_s(self) -> int:
        # Orphans are looked for twice per heartbeat lifetime: re-queued well within a minute.
        return max(1, self.heartbeat_ttl_s // 2)

    def index_name(self, alias: str) -> str:
        """Public name (alias) of one of sohoa's indices, e.g. `sohoa-results`."""
        return f"{self.index_prefix}-{alias}"

    @property
    def celery_queue(self) -> str:
        # One queue per deployment prefix: test runs sharing a Redis never steal each other's tasks.
        return f"{self.index_prefix}.ingest"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    @property
    def backups_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"


_HEAP_RE = re.compile(r"^[1-9][0-9]*[mMgG]$")


def without_credentials(url: str) -> str:
    """`redis://:secret@redis:6379/0` -> `redis://redis:6379/0`, for messages and logs."""
    parts = urlparse(url)
    if not parts.password and not parts.username:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise SettingsError(
            f"{name}={value!r}: expected a URL starting with {' or '.join(schemes)}"
        )
    return value.rstrip("/") if parsed.scheme.startswith("http") else value


def _parse_date(name: str, value: str) -> dt.date:
    day = parse_iso_date(value.strip())
    if day is None:
        raise SettingsError(f"{name}={value!r}: expected an ISO date YYYY-MM-DD")
    return day


def _parse_positive_int(name: str, value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise SettingsError(f"{name}={value!r}: expected a positive whole number")
    return int(value)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from environment variables; raise SettingsError on any bad value."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if v := env.get("SOHOA_ES_URL"):
        values["es_url"] = _parse_url("SOHOA_ES_URL", v, ("http", "https"))
    if v := env.get("SOHOA_REDIS_URL"):
        values["redis_url"] = _parse_url("SOHOA_REDIS_URL", v, ("redis", "rediss", "unix"))
    if v := env.get("SOHOA_INDEX_PREFIX"):
        if not _PREFIX_RE.match(v):
            raise SettingsError(
                f"SOHOA_INDEX_PREFIX={v!r}: use lowercase letters, digits, '-', '_' or '.', "
                "starting with a letter or digit (Elasticsearch index naming rules)"
            )
        values["index_prefix"] = v
    # Absolute, so every consumer (Flask's send_file resolves relative paths against the app
    # package, not the working directory) sees the same folder.
    values["data_dir"] = Path(env.get("SOHOA_DATA_DIR") or "./var").resolve()
    if v := env.get("SOHOA_TODAY"):
        values["today"] = _parse_date("SOHOA_TODAY", v)
    if v := env.get("SOHOA_COVERAGE_CUTOFF"):
        values["coverage_cutoff"] = _parse_date("SOHOA_COVERAGE_CUTOFF", v)
    if v := env.get("SOHOA_ROADMAP"):
        values["roadmap"] = parse_roadmap(v)
    if v := env.get("SOHOA_OCR_TIMEOUT"):
        values["ocr_timeout_s"] = _parse_positive_int("SOHOA_OCR_TIMEOUT", v)
    for key, var in (("visibility_timeout_s", "SOHOA_VISIBILITY_TIMEOUT"),
                     ("stuck_after_s", "SOHOA_STUCK_AFTER"),
                     ("sweep_interval_s", "SOHOA_SWEEP_INTERVAL"),
                     ("heartbeat_ttl_s", "SOHOA_HEARTBEAT_TTL"),
                     ("stop_grace_s", "SOHOA_STOP_GRACE")):
        if v := env.get(var):
            values[key] = _parse_positive_int(var, v)
    if v := env.get("SOHOA_MAPPINGS_DIR"):
        if not Path(v).is_dir():
            raise SettingsError(f"SOHOA_MAPPINGS_DIR={v!r}: no such folder")
        values["mappings_dir"] = Path(v)
    if v := env.get("SOHOA_TRUSTED_PROXIES"):
        if not v.isdigit():
            raise SettingsError(f"SOHOA_TRUSTED_PROXIES={v!r}: expected a whole number "
                                "(0 when clients connect directly)")
        values["trusted_proxies"] = int(v)
    if v := env.get("SOHOA_BACKUP_DIR"):
        values["backup_dir"] = Path(v).resolve()
    if v := env.get("SOHOA_STACK_DIR"):
        values["stack_dir"] = Path(v).resolve()
    if v := env.get("SOHOA_ES_HEAP"):
        if not _HEAP_RE.match(v):
            raise SettingsError(f"SOHOA_ES_HEAP={v!r}: expected a JVM heap size such as 512m or 2g")
        values["es_heap"] = v
    if v := env.get("SOHOA_MAX_FILE_MB"):
        values["max_file_bytes"] = _parse_positive_int("SOHOA_MAX_FILE_MB", v) * 1024 * 1024
    for key, var in (
        ("es_username", "SOHOA_ES_USERNAME"),
        ("es_password", "SOHOA_ES_PASSWORD"),
        ("es_ca_certs", "SOHOA_ES_CA_CERTS"),
        ("secret_key", "SOHOA_SECRET_KEY"),
    ):
        if v := env.get(var):
            values[key] = v
    return Settings(**values)  # type: ignore[arg-type]


def parse_roadmap(text: str) -> dict[int, dict[str, float]]:
    """Parse `2022:30/30/25,2023:55/55/50` (percent for city/district/commune) into fractions."""
    roadmap: dict[int, dict[str, float]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            year_text, targets_text = item.split(":")
            city, district, commune = (float(x) / 100 for x in targets_text.split("/"))
            year = int(year_text)
        except ValueError as exc:
            raise SettingsError(
                f"SOHOA_ROADMAP item {item!r}: expected YEAR:CITY/DISTRICT/COMMUNE in percent"
            ) from exc
        if not all(0 <= t <= 1 for t in (city, district, commune)):
            raise SettingsError(f"SOHOA_ROADMAP item {item!r}: percentages must be 0..100")
        roadmap[year] = {"city": city, "district": district, "commune": commune}
    if not roadmap:
        raise SettingsError("SOHOA_ROADMAP is set but empty")
    return roadmap


def signing_key(settings: Settings) -> str:
    """The key sessions and citizen tokens are signed with: SOHOA_SECRET_KEY, else one kept
    beside the data (mode 600), so every gunicorn worker signs alike and a restart signs no one
    out."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it first
            return path.read_text().strip()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
