"""Where the repository and the shared corpus are, and the pinned "today" of every test."""

import datetime as dt
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "corpus" / "sample"
BAD = SHARED / "corpus" / "bad"
TODAY = dt.date(2026, 11, 25)  # tests pin "today" (SOHOA_TODAY) so validity never drifts
