"""The issuing agency, from the header lines, matched against the agency register.

The header names the agency in one or two lines above or beside the national motto, often with
its superior first ("UBND QUẬN CẦU GIẤY / UBND PHƯỜNG YÊN HÒA") or split over two lines
("ỦY BAN NHÂN DÂN / QUẬN ĐỐNG ĐA"). Names are compared folded, with "Ủy ban nhân dân" written
"UBND", so lost diacritics still match; a near match (one or two letters misread) counts with
less trust; a name several agencies share is settled by the superior named above it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from domain.agencies import Agency
from domain.text.vietnamese import fold_diacritics
from indexer.metadata.layout import Segment

_UBND = re.compile(r"\b(?:uy|u y)\s*ban\s*nhan\s*dan\b")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
# Level words that start an administrative unit's name.
_UNIT = re.compile(r"^(?:ubnd\s+)?(?:thanh pho|quan|huyen|thi xa|phuong|xa|thi tran)\s+\S")
_AGENCY_START = re.compile(r"^(?:ubnd|so|phong|chi cuc|cuc|ban|van phong|trung tam)\b")
_NEAR = 0.88


def agency_key(name: str) -> str:
    folded = fold_diacritics(name).lower()
    folded = _UBND.sub("ubnd", folded)
    folded = _NOT_WORD.sub(" ", folded)
    return " ".join(folded.split())


@dataclass(frozen=True)
class AgencyMatch:
    agency: Agency
    confidence: float


class Register:
    """The agency register, indexed by folded name key."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self.by_key: dict[str, list[Agency]] = {}
        self.by_code: dict[str, Agency] = {}
        for agency in agencies:
            self.by_key.setdefault(agency_key(agency.agency_name), []).append(agency)
            self.by_code[agency.agency_code] = agency

    def __bool__(self) -> bool:
        return bool(self.by_code)

    def lookup(self, key: str) -> tuple[list[Agency], float]:
        if key in self.by_key:
            return self.by_key[key], 1.0
        best: list[Agency] = []
        best_ratio = 0.0
        for known, agencies in self.by_key.items():
            if abs(len(known) - len(key)) > 3:
                continue
            ratio = SequenceMatcher(None, key, known).ratio()
            if ratio > best_ratio:
                best, best_ratio = agencies, ratio
        return (best, best_ratio) if best_ratio >= _NEAR else ([], 0.0)


def _header_keys(header: Sequence[Segment]) -> list[str]:
    """Candidate agency names from the header: each line, and a bare "UBND" line joined with
    the unit named on the next one."""
    keys: list[str] = []
    lines = [agency_key(s.text) for s in header]
    for i, key in enumerate(lines):
        if not key:
            continue
        if key == "ubnd" and i + 1 < len(lines):
            keys.append(f"ubnd {lines[i + 1]}")
        elif _UNIT.match(key) and not key.startswith("ubnd"):
            keys.append(f"ubnd {key}")
            keys.append(key)
        elif _AGENCY_START.match(key):
            keys.append(key)
    return keys


def match_agency(header: Sequence[Segment], register: Register) -> AgencyMatch | None:
    """The most specific header agency found in the register (the last one matched, since a
    header names the superior first)."""
    matched: list[tuple[list[Agency], float]] = []
    for key in _header_keys(header):
        agencies, ratio = register.lookup(key)
        if agencies:
            matched.append((agencies, ratio))
    if not matched:
        return None
    candidates, ratio = matched[-1]
    superiors = {a.agency_code for group, _ in matched[:-1] for a in group}
    if len(candidates) > 1:
        narrowed = [a for a in candidates if a.parent_code in superiors]
        if len(narrowed) != 1:
            return AgencyMatch(candidates[0], 0.4)
        candidates = narrowed
    agency = candidates[0]
    confidence = 0.97 if ratio == 1.0 else 0.8
    if superiors and agency.parent_code in superiors:
        confidence = min(0.99, confidence + 0.02)
    return AgencyMatch(agency, confidence)
