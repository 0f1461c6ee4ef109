"""Vietnamese labels for the coverage pages and exports (the API keeps its English codes).

Level and quality-flag wording is the staff pages' own, so every page names things alike.
"""

from __future__ import annotations

from app.web.helpers import FLAG_LABELS, LEVEL_LABELS

SCOPE_LABELS = {**LEVEL_LABELS, "all": "Toàn thành phố"}
ON_TRACK_LABELS = {True: "Đạt", False: "Chậm"}

__all__ = ["FLAG_LABELS", "LEVEL_LABELS", "ON_TRACK_LABELS", "SCOPE_LABELS"]
