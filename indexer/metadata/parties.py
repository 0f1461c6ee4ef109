"""The people a document names: holder, other parties, and what the text says about each.

A person is a name under a person label ("Họ, chữ đệm, tên vợ:", "Chủ cơ sở:", "Cấp cho:",
"Người đại diện:", "Người được cấp:"). The lines after a name, up to the next name, describe that
person: ID number, birth date, residence.

Holder rule (documented in docs/intake.md): the person the document says it is issued to
("Người được cấp", "Cấp cho") if it says so; otherwise the first person named with an ID number;
otherwise the first person named. Every other person named with an ID number is an
`other_party` (a marriage certificate's second spouse). People named without an ID number
(a birth extract's child) are not parties: a citizen finds a record by ID number.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from domain.text.vietnamese import normalize
from indexer.metadata.dates import first_date
from indexer.metadata.layout import Segment, is_upper_line
from indexer.metadata.model import Person
from indexer.metadata.names import same_person, split_name
from indexer.metadata.numbers import digits_of, id_trust

# A label may follow list numbering ("5.", "-"), which OCR also turns into stray marks ("°.").
_LABELLED = re.compile(r"^[^a-z]{0,5}?(?P<label>[a-z][a-z ,/]{1,60}?)\s*:\s*")
_PERSON_LABEL = re.compile(r"ho.{0,14}ten|\bchu\b|\bnguoi\b|cap cho|dung ten|\bong\b|\bba\b")
_NOT_PERSON = re.compile(r"ten (?:ho kinh doanh|co so|doanh nghiep|cong ty|cua hang|to chuc|"
                         r"cong trinh|du an)|noi |dia chi|dia diem")
_ISSUED_TO = re.compile(r"nguoi duoc cap|cap cho|nguoi dung ten")
_ID_LABEL = re.compile(r"dinh danh|can cuoc|cccd|cmnd|chung minh|giay to tuy than|ho chieu")
_ID_RUN = re.compile(r"[0-9OoIl|]{1,4}(?:[ .]?[0-9OoIl|]{1,4}){2,5}")
_BIRTH_LABEL = re.compile(r"nam sinh|sinh ngay|ngay sinh")
_ADDRESS_LABEL = re.compile(r"^[^a-z]{0,5}?(?:noi cu tru|noi thuong tru|thuong tru|"
                            r"dia chi thuong tru|dia chi cu tru|cho o hien nay|cho o|dia chi)\s*:")
_OTHER_ADDRESS = re.compile(r"dia chi (?:co so|tru so|kinh doanh|cong trinh)")
_STOP = re.compile(r"^(?:noi nhan|phu luc|kem theo)")


@dataclasses.dataclass
class _Draft:
    name: str
    label: str
    line: int
    known_surname: bool
    issued_to: bool
    id_number: str | None = None
    id_clean: bool = False
    birth_date: str | None = None
    address: str | None = None
    mentions: int = 1


def _mention(segment: Segment) -> _Draft | None:
    m = _LABELLED.match(segment.folded)
    if not m:
        return None
    label = m["label"].strip()
    if not _PERSON_LABEL.search(label) or _NOT_PERSON.search(label):
        return None
    found = split_name(segment.text[m.end():])
    if not found:
        return None
    name, known = found
    return _Draft(name, label, segment.line, known, bool(_ISSUED_TO.search(label)))


def _id_in(text: str) -> tuple[str, bool] | None:
    for m in _ID_RUN.finditer(text):
        digits = digits_of(m.group())
        if digits and len(digits) in (9, 12):
            return digits, m.group().isdigit()
    return None


def _continuation(segments: Sequence[Segment], start: int, value: str) -> str:
    """An address wraps onto following lines until a line ends with a full stop."""
    parts = [value.strip()]
    i = start + 1
    while i < len(segments) and not parts[-1].endswith(".") and len(parts) < 4:
        nxt = segments[i]
        if _LABELLED.match(nxt.folded) or is_upper_line(nxt.text) or _STOP.match(nxt.folded):
            break
        parts.append(nxt.text.strip())
        i += 1
    return " ".join(parts).strip().rstrip(".").strip()


def _describe(draft: _Draft, segments: Sequence[Segment], start: int, end: int) -> None:
    for i in range(start, end):
        seg = segments[i]
        folded = seg.folded
        if draft.id_number is None and _ID_LABEL.search(folded):
            found = _id_in(seg.text[_ID_LABEL.search(folded).end():])
            if not found and i + 1 < end:
                found = _id_in(segments[i + 1].text)
            if found:
                draft.id_number, draft.id_clean = found
        if draft.birth_date is None and _BIRTH_LABEL.search(folded):
            date = first_date(folded[_BIRTH_LABEL.search(folded).end():])
            if date:
                draft.birth_date = date[0].isoformat()
        if (draft.address is None and (m := _ADDRESS_LABEL.match(folded))
                and not _OTHER_ADDRESS.match(folded)):
            draft.address = _continuation(segments, i, seg.text[m.end():])


def _merge(drafts: list[_Draft]) -> list[_Draft]:
    merged: list[_Draft] = []
    for draft in drafts:
        same = next((d for d in merged if same_person(d.name, draft.name)
                     and (not d.id_number or not draft.id_number
                          or d.id_number == draft.id_number)), None)
        if same is None:
            merged.append(draft)
            continue
        same.mentions += 1
        # Two mentions spelt alike vouch for the spelling (OCR rarely errs twice the same way).
        same.known_surname = same.known_surname or normalize(same.name) == normalize(draft.name)
        same.issued_to = same.issued_to or draft.issued_to
        same.id_number = same.id_number or draft.id_number
        same.id_clean = same.id_clean or draft.id_clean
        same.birth_date = same.birth_date or draft.birth_date
        same.address = same.address or draft.address
    return merged


def _person(draft: _Draft) -> Person:
    birth_year = int(draft.birth_date[:4]) if draft.birth_date else None
    trust = 0.0
    if draft.id_number:
        trust = id_trust(draft.id_number, birth_year) - (0 if draft.id_clean else 0.15)
        if draft.mentions > 1 and trust < 0.95:
            trust = min(0.96, trust + 0.04)  # the annex repeats it
    return Person(draft.name, draft.label, draft.line, draft.id_number, trust,
                  draft.birth_date, draft.address, draft.issued_to, draft.known_surname,
                  draft.mentions)


def find_people(segments: Sequence[Segment]) -> list[Person]:
    """Every person named, merged across mentions (the annex repeats the holder)."""
    starts = [(i, d) for i, seg in enumerate(segments) if (d := _mention(seg))]
    drafts = []
    for n, (i, draft) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(segments)
        end = next((j for j in range(i + 1, end) if _STOP.match(segments[j].folded)), end)
        _describe(draft, segments, i, end)
        drafts.append(draft)
    merged = _merge(drafts)
    return [_person(d) for d in merged]


def choose_holder(people: Sequence[Person]) -> tuple[Person | None, list[Person]]:
    """(holder, other parties) by the rule in the module docstring."""
    if not people:
        return None, []
    with_id = [p for p in people if p.id_number]
    holder = next((p for p in people if p.issued_to), None)
    if holder is None:
        holder = with_id[0] if with_id else people[0]
    others = [p for p in with_id if p is not holder and p.id_number != holder.id_number]
    return holder, others
