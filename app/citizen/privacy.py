"""What one citizen may see of a record that names several people. Pure functions.

A citizen sees their own ID number and birth date, and of everybody else on the record only the
name: no ID number, no birth date, no address — in the structured fields and in the transcribed
text alike. The fields a citizen sees are an allow-list, so a field added to the index later
stays hidden until somebody decides it is fit for citizens.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from app.audit.redact import ID_LIKE, digits_of
from domain.text.codes import parse_date

# Fields of the record itself that every person it names may see.
SHARED_FIELDS = ("result_id", "result_number", "document_type", "procedure_code",
                 "procedure_name", "agency_code", "agency_name", "agency_level", "issued_on",
                 "signer", "signer_title", "holder_name", "valid_from", "valid_until", "status",
                 "replaced_by", "summary", "digitized_on", "version", "text", "files",
                 "validity", "valid")
# The holder's personal data: shown to the holder only.
HOLDER_FIELDS = ("holder_id_number", "holder_birth_date", "holder_address")
PARTY_PERSONAL = ("id_number", "birth_date", "address")

_DATE = re.compile(
    r"(?<![0-9])[0-9]{1,2}\s?[/.\-]\s?[0-9]{1,2}\s?[/.\-]\s?[0-9]{4}(?![0-9])"
    r"|(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])"
    r"|ngày\s+[0-9]{1,2}\s+tháng\s+[0-9]{1,2}\s+năm\s+[0-9]{4}", re.IGNORECASE)
_BIRTH_WORD = re.compile(r"sinh", re.IGNORECASE)
DATE_MASK = "**/**/****"


def _as_date(value: Any) -> dt.date | None:
    return parse_date(str(value)[:10]) if value else None


def _people(source: dict[str, Any]) -> list[dict[str, Any]]:
    """(ID number, birth date) of everybody the record names, holder first."""
    holder = {"id_number": source.get("holder_id_number"),
              "birth_date": source.get("holder_birth_date")}
    return [holder, *(p for p in source.get("other_parties") or [] if isinstance(p, dict))]


def _own_birth_date(source: dict[str, Any], viewer: str) -> dt.date | None:
    return next((_as_date(p.get("birth_date")) for p in _people(source)
                 if str(p.get("id_number") or "") == viewer and p.get("birth_date")), None)


def mask_text(text: str, viewer: str, others_births: set[dt.date],
              own_birth: dt.date | None) -> str:
    """Mask every ID-like number but the viewer's, every known birth date of somebody else, and
    on lines that speak of birth ("sinh") every date but the viewer's own birth date."""
    def id_number(match: re.Match[str]) -> str:
        return match.group() if digits_of(match.group()) == viewer else "*" * 12

    def lines() -> list[str]:
        out = []
        for line in ID_LIKE.sub(id_number, text).split("\n"):
            birth_line = bool(_BIRTH_WORD.search(line))

            def date(match: re.Match[str], birth_line: bool = birth_line) -> str:
                day = parse_date(match.group())
                if day is None:
                    return match.group()
                hide = day in others_births or (birth_line and day != own_birth)
                return DATE_MASK if hide else match.group()

            out.append(_DATE.sub(date, line))
        return out

    return "\n".join(lines())


def _party_view(party: dict[str, Any], viewer: str) -> dict[str, Any]:
    if str(party.get("id_number") or "") == viewer:
        return dict(party)
    return {k: v for k, v in party.items() if k not in PARTY_PERSONAL}


def view_for(record: dict[str, Any], viewer: str) -> dict[str, Any]:
    """The record as `viewer` (an ID number the record names) may see it."""
    view = {k: record[k] for k in SHARED_FIELDS if k in record}
    if str(record.get("holder_id_number") or "") == viewer:
        view.update({k: record[k] for k in HOLDER_FIELDS if k in record})
    view["other_parties"] = [_party_view(p, viewer) for p in record.get("other_parties") or []
                             if isinstance(p, dict)]
    others = {d for p in _people(record) if str(p.get("id_number") or "") != viewer
              and (d := _as_date(p.get("birth_date"))) is not None}
    if isinstance(view.get("text"), str):
        view["text"] = mask_text(view["text"], viewer, others, _own_birth_date(record, viewer))
    return view
