"""What extraction returns: one value per field with a confidence, plus the evidence used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldValue:
    value: Any
    confidence: float  # 0..1: how often a value given this confidence is right (measured)
    source: str = ""  # which rule found it, for the review page and for debugging

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "confidence": round(self.confidence, 2)}


@dataclass(frozen=True)
class Person:
    name: str
    label: str  # the folded label the name was found under ("chu co so", "ho, chu dem, ten vo")
    line: int
    id_number: str | None = None
    id_confidence: float = 0.0
    birth_date: str | None = None
    address: str | None = None
    issued_to: bool = False  # named as the one the document is issued to ("Người được cấp")
    known_surname: bool = True
    mentions: int = 1


@dataclass
class Extraction:
    fields: dict[str, FieldValue] = field(default_factory=dict)

    def put(self, name: str, value: Any, confidence: float, source: str) -> None:
        if value in (None, "", []):
            return
        self.fields[name] = FieldValue(value, max(0.0, min(1.0, confidence)), source)

    def value(self, name: str) -> Any:
        item = self.fields.get(name)
        return item.value if item else None
