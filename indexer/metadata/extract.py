"""Field extraction from a document's text: the rules of each field put together.

`extract_metadata(text, register, known_types)` is pure: the agency register and the index's
document types are passed in. Every field it returns carries a confidence; a field the text
does not state is absent (never guessed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from indexer.metadata.agency import Register, match_agency
from indexer.metadata.dates import add_months, dates_in, first_date
from indexer.metadata.doctype import find_document_type, is_title_line
from indexer.metadata.layout import Segment, document_segments
from indexer.metadata.model import Extraction, Person
from indexer.metadata.numbers import number_key, repair_result_number
from indexer.metadata.parties import choose_holder, find_people
from indexer.metadata.signature import find_signature

_NUMBER_LINE = re.compile(r"^(?:s[o06]|5[o0])\s*[:;.]\s*(?=[0-9oO])")
_CODE_LABEL = re.compile(r"^(?:\d{1,2}\s*[.)]\s*)?(?:ma so [a-z ]{2,30}|so giay chung nhan|"
                         r"so dang ky)\s*:\s*")
_ANNEX_NUMBER = re.compile(r"kem theo (?:van ban|giay|quyet dinh)[a-z ]{0,20}?so\s*:?\s*")
_DATELINE = re.compile(r"[a-z][a-z .]{1,30},\s*ng[a]y\s*[0-9oO]")
_ISSUE_LABEL = re.compile(r"ngay dang ky|dang ky lan dau|ngay cap|cap ngay|nam dang ky|"
                          r"ngay ky|ngay ban hanh")
_VALID_UNTIL = re.compile(r"(?:gia tri|hieu luc)[a-z ,]{0,30}?\bden\b\s*(?:het\s*)?")
_VALID_FOR = re.compile(r"(?:trong\s+)?thoi han\s+(\d{1,3})\s*(thang|nam)\s+ke tu ngay\s+"
                        r"(?:cap|ky)")
_PROCEDURE = re.compile(r"(?:ma\s+)?(?:thu tuc|tthc)[a-z ]{0,20}:?\s*([123]\.\d{6})\b")
_BODY_START = re.compile(r"^(?:\d{1,2}\s*[.)]\s*)?[a-z][a-z ,]{1,40}:")


def _top(segments: Sequence[Segment]) -> list[Segment]:
    """The segments of the first page before the first labelled body line."""
    top = []
    for seg in segments:
        if seg.page != 1 or (_BODY_START.match(seg.folded) and not _NUMBER_LINE.match(seg.folded)):
            break
        top.append(seg)
    return top


def _number_token(text: str) -> str:
    """The number at the start of `text`: tokens joined while a separator links them; a slash
    OCR read as a space (`14 2020/GCNKH`) is put back when the rest is clearly the number's."""
    tokens = text.split()
    if (len(tokens) > 1 and tokens[0].isdigit() and len(tokens[0]) <= 6
            and re.match(r"^(?:(?:19|20)\d{2}/|[A-ZĐ]{2,}[-/])", tokens[1])):
        tokens = [f"{tokens[0]}/{tokens[1]}", *tokens[2:]]
    out = tokens[:1]
    for tok in tokens[1:]:
        if out[-1][-1:] in "/-" or tok[:1] in "/-":
            out.append(tok)
        else:
            break
    return "".join(out)


def _result_number(ex: Extraction, segments: Sequence[Segment], year: int | None) -> None:
    for seg in segments:
        if seg.page == 1 and (m := _NUMBER_LINE.match(seg.folded)):
            found = repair_result_number(_number_token(seg.text[m.end():]), year)
            if found:
                value, trust = found
                if _corroborated(value, segments):
                    trust = min(0.99, trust + 0.05)
                ex.put("result_number", value, trust, "Số: line")
                return
    for seg in segments:
        if seg.page == 1 and (m := _CODE_LABEL.match(seg.folded)):
            found = repair_result_number(_number_token(seg.text[m.end():]), year)
            if found and found[0].isdigit():
                ex.put("result_number", found[0], min(found[1], 0.9), "registration code")
                return


def _corroborated(value: str, segments: Sequence[Segment]) -> bool:
    key = number_key(value)
    for seg in segments:
        if (m := _ANNEX_NUMBER.search(seg.folded)) and \
                number_key(_number_token(seg.text[m.end():])) == key:
            return True
    return False


def _issued_on(ex: Extraction, top: Sequence[Segment], segments: Sequence[Segment]) -> None:
    for seg in top:
        if m := _DATELINE.search(seg.folded):
            found = first_date(seg.folded[m.start():])
            if found:
                ex.put("issued_on", found[0].isoformat(), 0.97 if found[1] else 0.85, "dateline")
                return
    for seg in segments:
        if m := _ISSUE_LABEL.search(seg.folded):
            found = first_date(seg.folded[m.end():])
            if found:
                ex.put("issued_on", found[0].isoformat(), 0.93 if found[1] else 0.8,
                       "labelled date")
                return


def _check_number_year(ex: Extraction) -> None:
    """A number that carries a year confirms (or casts doubt on) the date, and back."""
    number, issued = ex.fields.get("result_number"), ex.fields.get("issued_on")
    if not number or not issued:
        return
    years = re.findall(r"/((?:19|20)\d{2})/", number.value)
    if not years:
        return
    agree = years[0] == issued.value[:4]
    bump = 0.02 if agree else -0.25
    ex.put("issued_on", issued.value, issued.confidence + bump, issued.source)
    ex.put("result_number", number.value, number.confidence + bump, number.source)


def _validity(ex: Extraction, segments: Sequence[Segment]) -> None:
    issued = ex.fields.get("issued_on")
    if issued:
        ex.put("valid_from", issued.value, min(issued.confidence, 0.85), "from the issue date")
    joined = " ".join(seg.folded for seg in segments)
    if m := _VALID_UNTIL.search(joined):
        found = dates_in(joined[m.end():m.end() + 40])
        if found and found[0][0] < 5:
            ex.put("valid_until", found[0][1].isoformat(), 0.85 if found[0][2] else 0.75,
                   "valid until")
            return
    if issued and (m := _VALID_FOR.search(joined)):
        months = int(m[1]) * (12 if m[2] == "nam" else 1)
        start = dt.date.fromisoformat(issued.value)
        ex.put("valid_until", add_months(start, months).isoformat(),
               min(issued.confidence, 0.7), "valid for a period from issue")


def _agency(ex: Extraction, top: Sequence[Segment], register: Register | None) -> None:
    if not register:
        return
    # The header is what stands above the number, the dateline and the title; a body line
    # naming an agency ("Ủy ban nhân dân phường X, quận Y, thành phố Hà Nội") is not the issuer.
    header = []
    for seg in top[:12]:
        if _NUMBER_LINE.match(seg.folded) or _DATELINE.search(seg.folded) or is_title_line(seg):
            break
        header.append(seg)
    found = match_agency(header, register)
    if found:
        ex.put("agency_code", found.agency.agency_code, found.confidence, "header + register")
        ex.put("agency_name", found.agency.agency_name, found.confidence, "register")
        ex.put("agency_level", found.agency.level, found.confidence, "register")


def _people(ex: Extraction, segments: Sequence[Segment]) -> None:
    holder, others = choose_holder(find_people(segments))
    if holder is None:
        return
    name_trust = _name_trust(holder)
    ex.put("holder_name", holder.name, name_trust, holder.label)
    if holder.id_number:
        ex.put("holder_id_number", holder.id_number, holder.id_confidence, "ID line")
    if holder.birth_date:
        ex.put("holder_birth_date", holder.birth_date,
               0.97 if holder.id_confidence >= 0.99 else 0.8, "birth date line")
    if holder.address:
        ex.put("holder_address", holder.address, 0.8, "residence line")
    if others:
        trust = min(min(_name_trust(p), p.id_confidence) for p in others)
        ex.put("other_parties", [{"name": p.name, "id_number": p.id_number} for p in others],
               min(trust, name_trust), "other people named with an ID")


def _name_trust(person: Person) -> float:
    trust = 0.95 if person.known_surname else 0.75
    if not person.id_number:
        trust -= 0.2  # a name with no ID beside it may not be the holder at all
    return trust


def _procedure(ex: Extraction, segments: Sequence[Segment]) -> None:
    for seg in segments:
        if m := _PROCEDURE.search(seg.folded):
            ex.put("procedure_code", m[1], 0.9, "procedure code line")
            return


def extract_metadata(text: str, register: Register | None = None,
                     known_types: Iterable[str] = ()) -> Extraction:
    """Every field the text states, each with a confidence."""
    segments = document_segments(text)
    ex = Extraction()
    if not segments:
        return ex
    top = _top(segments)
    _issued_on(ex, top, segments)
    year = int(ex.value("issued_on")[:4]) if ex.value("issued_on") else None
    _result_number(ex, segments, year)
    _check_number_year(ex)
    doc_type = find_document_type(segments, known_types)
    if doc_type:
        ex.put("document_type", doc_type[0], doc_type[1], "title")
    _agency(ex, top, register)
    _people(ex, segments)
    title, signer = find_signature(segments)
    if title:
        ex.put("signer_title", title[0], title[1], "signature block")
    if signer:
        ex.put("signer", signer[0], signer[1], "signature block")
    _validity(ex, segments)
    _procedure(ex, segments)
    return ex
