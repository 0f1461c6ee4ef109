"""Put an extraction onto a record: fill what the manifest did not give, list every extracted
field with its confidence, note where the text contradicts the manifest. Pure."""

from __future__ import annotations

from typing import Any

from domain.review import EXTRACTABLE, min_confidence, review_state
from domain.text.codes import code_key
from domain.text.vietnamese import normalize
from indexer.metadata.model import Extraction

# Manifest fields worth checking against the text (a typo in a number or an ID is costly).
_CHECKED = ("result_number", "holder_id_number", "issued_on", "holder_name", "agency_code",
            "document_type")


def _same(name: str, a: Any, b: Any) -> bool:
    if name in ("result_number", "holder_id_number", "agency_code"):
        return code_key(str(a)) == code_key(str(b))
    if isinstance(a, str) and isinstance(b, str):
        return normalize(a) == normalize(b)
    return a == b


def apply_extraction(metadata: dict[str, Any], extraction: Extraction
                     ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(metadata with extracted fields added, the record's `review` object or None)."""
    effective = dict(metadata)
    fields: dict[str, dict[str, Any]] = {}
    for name in EXTRACTABLE:
        item = extraction.fields.get(name)
        if item is None or name in metadata:
            continue
        effective[name] = item.value
        fields[name] = item.as_dict()
    mismatches = {}
    for name in _CHECKED:
        item = extraction.fields.get(name)
        given = metadata.get(name)
        if item is not None and given not in (None, "") and not _same(name, given, item.value):
            mismatches[name] = {"manifest": given, "text": item.value,
                                "confidence": round(item.confidence, 2)}
    state = review_state(metadata.keys(), fields)
    if state is None and not fields and not mismatches:
        return effective, None
    review: dict[str, Any] = {"state": state or "confirmed", "fields": fields,
                              "min_confidence": min_confidence(fields)}
    if mismatches:
        review["mismatches"] = mismatches
    return effective, review
