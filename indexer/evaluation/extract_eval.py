"""Field extraction against the manifest: accuracy, coverage, accuracy among confident values.

Per field and record: the manifest's value (truth) and the extracted one. Both absent: not
counted. Otherwise the pair counts, and is right when both are present and equal after
normalisation (names and titles: NFC, one tone placement, case; numbers: `code_key`, so
`CNĐK`/`CNDK` and spacing do not matter; dates: ISO). An invented value and a missed one are
both wrong.
- accuracy = right / counted
- coverage = records with an extracted value / records whose manifest has a value
- confident accuracy = right / counted among values extracted with confidence >= 0.9

Several parties: the holder may be any of them (the rule that picks one is ours, the manifest's
choice is arbitrary), so `holder_name` and `holder_id_number` are right when they name one of the
manifest's parties, `other_parties` is compared as the set of every party (holder included), and
the holder's birth date and address are only counted when we picked the manifest's holder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.text.codes import code_key
from domain.text.vietnamese import normalize

FIELDS = ("result_number", "document_type", "procedure_code", "agency_code", "agency_name",
          "agency_level", "issued_on", "signer", "signer_title", "holder_name",
          "holder_id_number", "holder_birth_date", "holder_address", "valid_from",
          "valid_until", "other_parties")
ACCEPTANCE = {"result_number": 0.95, "issued_on": 0.95, "document_type": 0.95,
              "agency_code": 0.95, "holder_name": 0.95, "holder_id_number": 0.95}
CONFIDENT = 0.9
CONFIDENT_ACCEPTANCE = 0.98
_CODES = ("result_number", "holder_id_number", "agency_code", "procedure_code")


@dataclass
class FieldScore:
    counted: int = 0
    right: int = 0
    truth_present: int = 0
    extracted_where_truth: int = 0
    confident: int = 0
    confident_right: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.counted if self.counted else None

    @property
    def coverage(self) -> float | None:
        return self.extracted_where_truth / self.truth_present if self.truth_present else None

    @property
    def confident_accuracy(self) -> float | None:
        return self.confident_right / self.confident if self.confident else None


def _norm(name: str, value: Any) -> Any:
    if value in (None, "", []):
        return None
    if name in _CODES:
        return code_key(str(value))
    if isinstance(value, str):
        return " ".join(normalize(value).rstrip(".").split())
    return value


def _parties(record: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    people = [{"name": record.get("holder_name"), "id_number": record.get("holder_id_number")},
              *(record.get("other_parties") or [])]
    return frozenset((_norm("holder_name", p.get("name")) or "",
                      _norm("holder_id_number", p.get("id_number")) or "")
                     for p in people if p.get("name") or p.get("id_number"))


def _compare(name: str, truth: Mapping[str, Any], got: Mapping[str, Any]) -> tuple[Any, Any, bool]:
    """(truth value, extracted value, right) for one field; the values None when absent."""
    multi = bool(truth.get("other_parties")) or bool(got.get("other_parties"))
    if name == "other_parties":
        t = _parties(truth) if truth.get("other_parties") else None
        g = _parties(got) if got.get("other_parties") else None
        return t, g, t == g
    t, g = _norm(name, truth.get(name)), _norm(name, got.get(name))
    if multi and name in ("holder_name", "holder_id_number"):
        key = 0 if name == "holder_name" else 1
        names = {p[key] for p in _parties(truth)}
        return t, g, g is not None and g in names
    return t, g, t is not None and t == g


def _holder_swapped(truth: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    return bool(truth.get("other_parties")) and _norm("holder_id_number",
                                                      truth.get("holder_id_number")) != _norm(
        "holder_id_number", got.get("holder_id_number"))


def score(pairs: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any],
                                Mapping[str, float]]]) -> dict[str, FieldScore]:
    """pairs: (result_id, manifest record, extracted values, confidences)."""
    scores = {name: FieldScore() for name in FIELDS}
    for result_id, truth, got, confidence in pairs:
        swapped = _holder_swapped(truth, got)
        for name in FIELDS:
            if swapped and name in ("holder_birth_date", "holder_address"):
                continue
            t, g, right = _compare(name, truth, got)
            if t is None and g is None:
                continue
            s = scores[name]
            s.counted += 1
            s.right += right
            if t is not None:
                s.truth_present += 1
                s.extracted_where_truth += g is not None
            if g is not None and confidence.get(name, 0.0) >= CONFIDENT:
                s.confident += 1
                s.confident_right += right
            if not right:
                s.wrong.append(f"{result_id}: {name} manifest={t!r} extracted={g!r} "
                               f"confidence={confidence.get(name)}")
    return scores


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def format_report(scores: Mapping[str, FieldScore], records: int) -> str:
    lines = [f"field extraction over {records} records (manifest fields stripped but files)",
             f"{'field':<18} {'n':>4} {'accuracy':>9} {'coverage':>9} "
             f"{'acc@conf>=0.9':>14} {'n@0.9':>6}  target"]
    for name, s in scores.items():
        target = ACCEPTANCE.get(name)
        verdict = []
        if target is not None:
            ok = s.accuracy is not None and s.accuracy >= target
            verdict.append(f"acc>={target} {'met' if ok else 'NOT met'}")
        if s.confident:
            ok = (s.confident_accuracy or 0) >= CONFIDENT_ACCEPTANCE
            verdict.append(f"conf {'met' if ok else 'NOT met'}")
        lines.append(f"{name:<18} {s.counted:>4} {_pct(s.accuracy):>9} {_pct(s.coverage):>9} "
                     f"{_pct(s.confident_accuracy):>14} {s.confident:>6}  {', '.join(verdict)}")
    return "\n".join(lines)


def all_met(scores: Mapping[str, FieldScore]) -> bool:
    for name, target in ACCEPTANCE.items():
        if (scores[name].accuracy or 0) < target:
            return False
    return all((s.confident_accuracy or 0) >= CONFIDENT_ACCEPTANCE
               for s in scores.values() if s.confident)
